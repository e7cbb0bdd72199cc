/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pam-biogate-remote.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
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

static bool all_digits(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

bool pam_biogate_tty_is_local_seat(const char *tty) {
        const char *dot;

        if (!tty)
                return false;
        if (strncmp(tty, "/dev/", 5) == 0)
                tty += 5;
        if (strncmp(tty, "tty", 3) == 0)
                return all_digits(tty + 3);
        /* ":0" or ":0.1", never "host:0", which is a display elsewhere. */
        if (tty[0] != ':')
                return false;
        dot = strchr(tty + 1, '.');
        if (!dot)
                return all_digits(tty + 1);
        {
                char display[16];
                size_t n = (size_t) (dot - (tty + 1));

                if (n == 0 || n >= sizeof display)
                        return false;
                memcpy(display, tty + 1, n);
                display[n] = '\0';
                return all_digits(display) && all_digits(dot + 1);
        }
}

bool pam_biogate_outside_session_is_local(uid_t real_uid, const char *tty) {
        return real_uid == 0 && pam_biogate_tty_is_local_seat(tty);
}

bool pam_biogate_session_is_remote(const char *tty) {
        _cleanup_free_ char *session = NULL;

        /* polkit's agent helper, su and sudo set no PAM_RHOST, but logind
         * still knows when the process sits in an ssh session. Without
         * logind managing a seat (containers, CI) nothing is known: not
         * remote. */
        if (sd_get_seats(NULL) <= 0)
                return false;
        if (sd_pid_get_session(0, &session) >= 0)
                return sd_session_is_remote(session) > 0;
        /* Outside any session. gdm's worker (the login and unlock screens)
         * and login on a console authenticate before pam_systemd opens
         * one, started by root, and say which terminal of a seat they
         * serve: someone is at the desk. Anything else (sudo from cron, su
         * from a user's service started over ssh, whatever terminal it
         * names) is not known to be: remote. */
        return !pam_biogate_outside_session_is_local(getuid(), tty);
}
