/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-session.h"

#include <stdlib.h>
#include <systemd/sd-login.h>

gboolean biogated_session_is_local_active(pid_t pid, char **ret_reason) {
        g_autofree char *session = NULL;
        char *s = NULL;
        int r;

        if (pid <= 0) {
                *ret_reason = g_strdup("the caller's process is unknown");
                return FALSE;
        }
        r = sd_pid_get_session(pid, &s);
        if (r < 0) {
                *ret_reason = g_strdup_printf("logind knows no session for the caller (%s)", g_strerror(-r));
                return FALSE;
        }
        session = g_strdup(s);
        free(s);
        if (sd_session_is_remote(session) != 0) {
                *ret_reason = g_strdup_printf("session %s is remote", session);
                return FALSE;
        }
        if (sd_session_is_active(session) <= 0) {
                *ret_reason = g_strdup_printf("session %s is not the active one on its seat", session);
                return FALSE;
        }
        return TRUE;
}
