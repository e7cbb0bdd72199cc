/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* pam_biogate.so, skeleton.
 *
 * The module is installed and loadable so that packaging, the bus policy and
 * the PAM test harness can be built around it, but it does not talk to
 * biogated yet. Until it does it must never let anyone in: it answers
 * PAM_AUTHINFO_UNAVAIL ("this method cannot be used right now"), which a
 * "sufficient" line skips and a "required" line treats as a failure — so a
 * stack that lists it falls through to the password or fails closed, never
 * open. */

#include <syslog.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        /* Logged on every call, at NOTICE, so an administrator who enabled the
         * module sees why fingerprints are never asked for. */
        pam_syslog(pamh, LOG_NOTICE,
                   "pam_biogate is not implemented yet; fingerprint authentication is unavailable");
        return PAM_AUTHINFO_UNAVAIL;
}

int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        /* biogate establishes no credentials (no tickets, no keys); this only
         * keeps a stack that calls setcred on every auth module from failing.
         * It grants nothing: authentication is decided by pam_sm_authenticate. */
        return PAM_SUCCESS;
}
