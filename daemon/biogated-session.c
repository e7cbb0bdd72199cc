/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-session.h"

#include <stdlib.h>
#include <systemd/sd-login.h>

BiogatedSessionPlace biogated_session_place(pid_t pid, char **ret_reason) {
        g_autofree char *session = NULL;
        char *s = NULL;
        int r;

        /* logind always has seat0 while it runs: no seat, no logind. The
         * same test as the PAM module's remote check, so both agree on what
         * "unknown" is. */
        if (sd_get_seats(NULL) <= 0) {
                *ret_reason = g_strdup("logind is not running, so whether the session is local is unknown");
                return BIOGATED_SESSION_UNKNOWN;
        }
        if (pid <= 0) {
                *ret_reason = g_strdup("the caller's process is unknown");
                return BIOGATED_SESSION_UNKNOWN;
        }
        r = sd_pid_get_session(pid, &s);
        if (r < 0) {
                *ret_reason = g_strdup_printf("the caller is in no login session (%s)", g_strerror(-r));
                return BIOGATED_SESSION_ELSEWHERE;
        }
        session = g_strdup(s);
        free(s);
        if (sd_session_is_remote(session) != 0) {
                *ret_reason = g_strdup_printf("session %s is remote", session);
                return BIOGATED_SESSION_ELSEWHERE;
        }
        if (sd_session_is_active(session) <= 0) {
                *ret_reason = g_strdup_printf("session %s is not the active one on its seat", session);
                return BIOGATED_SESSION_ELSEWHERE;
        }
        *ret_reason = g_strdup_printf("session %s is local and active", session);
        return BIOGATED_SESSION_LOCAL_ACTIVE;
}

gboolean biogated_session_is_local_active(pid_t pid, char **ret_reason) {
        g_autofree char *reason = NULL;

        if (biogated_session_place(pid, &reason) == BIOGATED_SESSION_LOCAL_ACTIVE)
                return TRUE;
        *ret_reason = g_steal_pointer(&reason);
        return FALSE;
}

gboolean biogated_session_is_remote(pid_t pid) {
        g_autofree char *session = NULL;
        char *s = NULL;

        if (pid <= 0 || sd_get_seats(NULL) <= 0 || sd_pid_get_session(pid, &s) < 0)
                return FALSE;
        session = g_strdup(s);
        free(s);
        return sd_session_is_remote(session) > 0;
}
