/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Is the person authenticating at the machine? A fingerprint on this
 * machine's sensor proves nothing about someone logging in over the network
 * (whoever sits at the desk could touch it), so remote logins get no
 * fingerprint unless the administrator says allow-remote. */

/* PAM_RHOST names another host (empty and loopback names do not). */
bool pam_biogate_rhost_is_remote(const char *rhost);

/* PAM_TTY (or the X display) names a terminal of this machine's seats: a
 * virtual console ("tty3", "/dev/tty3") or a local X display (":0",
 * ":1.0"). Not a pseudo-terminal, which anyone can open from anywhere, nor
 * a serial line, which may be a console server's. */
bool pam_biogate_tty_is_local_seat(const char *tty);

/* logind says the calling process belongs to a remote session; or it
 * belongs to no session and its PAM host named no local seat's terminal
 * (tty: PAM_TTY, may be NULL). gdm's worker and login on a console run
 * before pam_systemd gives them a session, with PAM_TTY on a seat: local;
 * a user's service or a cron job has none: remote. False where logind
 * manages no seat (no logind). */
bool pam_biogate_session_is_remote(const char *tty);
