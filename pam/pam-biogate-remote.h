/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Is the person authenticating at the machine? A fingerprint on this
 * machine's sensor proves nothing about someone logging in over the network
 * (whoever sits at the desk could touch it), so remote logins get no
 * fingerprint unless the administrator says allow-remote. */

/* PAM_RHOST names another host (empty and loopback names do not). */
bool pam_biogate_rhost_is_remote(const char *rhost);

/* logind says the calling process belongs to a remote session, or to no
 * session at all. False where logind manages no seat (no logind). */
bool pam_biogate_session_is_remote(void);
