/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

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

/* A process that logind puts in no session is someone at the desk only
 * when root started it (real uid 0: gdm's worker, login from getty, not a
 * setuid su or sudo that a user ran) and its PAM host named a seat's
 * terminal (tty: PAM_TTY, may be NULL). A user can run su from a service
 * of their own with any terminal they own on stdin, and su takes PAM_TTY
 * from it. */
bool pam_biogate_outside_session_is_local(uid_t real_uid, const char *tty);

/* logind says the calling process belongs to a remote session; or it
 * belongs to no session and is not local by the rule above. False where
 * logind manages no seat (no logind). */
bool pam_biogate_session_is_remote(const char *tty);
