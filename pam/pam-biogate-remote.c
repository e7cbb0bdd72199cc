/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pam-biogate-remote.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <systemd/sd-login.h>

#include "pam-biogate-util.h"

bool pam_biogate_rhost_is_remote(const char *rhost) {
        static const char *const local_names[] = {
                "localhost", "localhost.localdomain", "127.0.0.1", "::1", "0:0:0:0:0:0:0:1",
        };

        if (!rhost || rhost[0] == '\0')
                return false;
        for (size_t i = 0; i < ELEMENTSOF(local_names); i++)
                if (strcasecmp(rhost, local_names[i]) == 0)
                        return false;
        return true;
}

bool pam_biogate_session_is_remote(void) {
        _cleanup_free_ char *session = NULL;

        /* polkit's agent helper, su and sudo set no PAM_RHOST, but logind
         * still knows when the process sits in an ssh session. Where logind
         * runs, a process outside any session (sudo from cron, a user unit
         * started over ssh) is not someone at the desk either: remote.
         * Without logind managing a seat (containers, CI) nothing is known:
         * not remote. */
        if (sd_get_seats(NULL) <= 0)
                return false;
        if (sd_pid_get_session(0, &session) < 0)
                return true;
        return sd_session_is_remote(session) > 0;
}
