/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* pam_biogate.so: fingerprint authentication through biogated.
 *
 * The module lives inside gdm, sshd, sudo and screen lockers, so it is a
 * thin sd-bus client: no GLib, no threads, nothing left behind after
 * pam_end(). It returns PAM_SUCCESS only for a match that biogated reported
 * for this user and this very operation; everything that means "cannot use
 * fingerprints now" is PAM_AUTHINFO_UNAVAIL, so a "sufficient" line falls
 * through to the password. */

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "biogate-finger.h"
#include "biogate-i18n.h"
#include "pam-biogate-bus.h"
#include "pam-biogate-interrupt.h"
#include "pam-biogate-options.h"
#include "pam-biogate-outcome.h"
#include "pam-biogate-remote.h"
#include "pam-biogate-util.h"

typedef struct Attempt {
        pam_handle_t *pamh;
        const PamBiogateOptions *options;
        unsigned touches;          /* finger-needed prompts in this try */
} Attempt;

static void warn_option(void *userdata, const char *argument, const char *reason) {
        pam_syslog(userdata, LOG_WARNING, "ignoring option '%s': %s", argument, reason);
}

static int say(Attempt *a, int style, const char *format, ...) __attribute__((format(printf, 3, 4)));
static int say(Attempt *a, int style, const char *format, ...) {
        char text[256];
        va_list ap;

        if (a->options->quiet)
                return 0;
        va_start(ap, format);
        vsnprintf(text, sizeof text, format, ap);
        va_end(ap);
        return pam_prompt(a->pamh, style, NULL, "%s", text) == PAM_SUCCESS ? 0 : -EIO;
}

static int on_progress(void *userdata, const char *status, const PamBiogateDetails *details) {
        Attempt *a = userdata;
        const char *reason = details->reason;

        if (strcmp(status, "finger-needed") == 0) {
                if (a->touches++ > 0)
                        return say(a, PAM_TEXT_INFO, _("Touch the fingerprint sensor again"));
                /* The daemon names the fingers that can match; when it is
                 * one, so does the prompt. */
                if (__builtin_popcount(details->fingers) == 1)
                        return say(a, PAM_TEXT_INFO, _("Place your %s on the fingerprint sensor"),
                                   _(biogate_finger_to_text((BiogateFinger) __builtin_ctz(details->fingers))));
                return say(a, PAM_TEXT_INFO, _("Place your finger on the fingerprint sensor"));
        }
        if (strcmp(status, "retry-scan") == 0) {
                if (reason && strcmp(reason, "too-short") == 0)
                        return say(a, PAM_ERROR_MSG, _("Swipe was too short, try again"));
                if (reason && strcmp(reason, "center-finger") == 0)
                        return say(a, PAM_ERROR_MSG, _("Centre your finger on the sensor and try again"));
                if (reason && strcmp(reason, "remove-finger") == 0)
                        return say(a, PAM_ERROR_MSG, _("Lift your finger and try again"));
                return say(a, PAM_ERROR_MSG, _("Could not read the finger, try again"));
        }
        return 0;
}

/* Why no touch was asked for, and whether waiting helps: the next module
 * (the password) still runs. */
static void say_locked(Attempt *a, uint64_t retry_after_ms) {
        unsigned long seconds = (unsigned long) ((retry_after_ms + 999) / 1000);

        if (seconds > 0)
                (void) say(a, PAM_ERROR_MSG,
                           dngettext(GETTEXT_PACKAGE,
                                     "Fingerprint is locked for %lu more second after too many failed attempts",
                                     "Fingerprint is locked for %lu more seconds after too many failed attempts",
                                     seconds),
                           seconds);
        else
                (void) say(a, PAM_ERROR_MSG, "%s",
                           _("Fingerprint is locked after too many failed attempts until an administrator "
                             "unlocks it"));
}

static bool user_exists(const char *user) {
        struct passwd pw, *result = NULL;
        char buf[4096];

        return getpwnam_r(user, &pw, buf, sizeof buf, &result) == 0 && result;
}

static bool service_is_sane(const char *s) {
        size_t n = s ? strlen(s) : 0;

        if (n == 0 || n > 64)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                      strchr("-_.@+", *s)))
                        return false;
        return true;
}

static PamBiogateResult authenticate(pam_handle_t *pamh, const PamBiogateOptions *options, const char *user) {
        const void *rhost = NULL, *tty = NULL, *service = NULL;
        /* One connection per call, closed before returning: the host may
         * keep its PAM handle for a whole session (a display manager, a
         * screen locker), and must not hold a socket to the system bus, or
         * hand it to what it forks, all that time. Closed without a flush:
         * nothing left to send matters (the daemon also releases the sensor
         * when we leave), and a flush has no time limit. */
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        uint64_t deadline = pam_biogate_now_usec() + (uint64_t) options->timeout_s * UINT64_C(1000000);
        PamBiogateInterrupt interrupt;
        PamBiogateResult result;
        Attempt attempt = { .pamh = pamh, .options = options };

        if (!user_exists(user))
                return (PamBiogateResult) { PAM_BIOGATE_USER_UNKNOWN, 0 };

        (void) pam_get_item(pamh, PAM_RHOST, &rhost);
        (void) pam_get_item(pamh, PAM_TTY, &tty);
        if (!options->allow_remote && (pam_biogate_rhost_is_remote(rhost) || pam_biogate_session_is_remote(tty)))
                return (PamBiogateResult) { PAM_BIOGATE_REMOTE_SESSION, 0 };

        if (pam_biogate_bus_open(&bus) < 0)
                return (PamBiogateResult) { PAM_BIOGATE_DAEMON_UNAVAILABLE, 0 };

        /* No ListFingers first: Verify itself refuses with NoEnrolledPrints
         * before any prompt when no finger (of the one named by finger=)
         * is enrolled, and its "finger-needed" names the fingers. */
        (void) pam_get_item(pamh, PAM_SERVICE, &service);
        pam_biogate_interrupt_begin(&interrupt);
        for (unsigned try = 1;; try++) {
                PamBiogateVerify args = {
                        .user = user,
                        .service = service_is_sane(service) ? service : NULL,
                        .finger = options->finger != BIOGATE_FINGER_INVALID ? biogate_finger_to_name(options->finger)
                                                                           : NULL,
                        .deadline = deadline,
                        .interrupt_fd = pam_biogate_interrupt_fd(&interrupt),
                        .progress = on_progress,
                        .userdata = &attempt,
                };

                attempt.touches = 0;
                result = pam_biogate_verify(bus, &args);
                if (result.outcome != PAM_BIOGATE_NO_MATCH)
                        break;
                if (try >= options->max_tries) {
                        if (say(&attempt, PAM_ERROR_MSG, _("Too many failed attempts")) < 0)
                                result = (PamBiogateResult) { PAM_BIOGATE_CONV_ERROR, 0 };
                        break;
                }
                if (say(&attempt, PAM_ERROR_MSG, _("Fingerprint not recognised, try again")) < 0) {
                        result = (PamBiogateResult) { PAM_BIOGATE_CONV_ERROR, 0 };
                        break;
                }
        }
        pam_biogate_interrupt_end(&interrupt);
        if (result.outcome == PAM_BIOGATE_DAEMON_ERROR && result.error == BIOGATE_ERROR_LOCKED_OUT)
                say_locked(&attempt, result.retry_after_ms);
        return result;
}

__attribute__((visibility("default")))
int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        PamBiogateOptions options;
        PamBiogateResult result;
        const char *user = NULL;
        int r;

        /* The prompts in the user's language: the host chose the locale
         * (setlocale() is the program's to call, never a module's); the
         * catalogues come from the compiled-in directory only, nothing in
         * the environment moves them. */
        biogate_i18n_init();
        pam_biogate_options_parse(&options, argc, argv, warn_option, pamh);

        r = pam_get_user(pamh, &user, NULL);
        if (r != PAM_SUCCESS)
                return r == PAM_CONV_AGAIN ? PAM_INCOMPLETE : r;
        if (!user || !*user)
                return PAM_USER_UNKNOWN;

        result = authenticate(pamh, &options, user);
        r = pam_biogate_result_to_pam(result);
        if (r == PAM_SUCCESS)
                pam_syslog(pamh, LOG_INFO, "user %s: %s", user, pam_biogate_result_to_string(result));
        else if (options.debug || r != PAM_AUTHINFO_UNAVAIL)
                pam_syslog(pamh, LOG_NOTICE, "user %s: %s (%s)", user, pam_biogate_result_to_string(result),
                           pam_strerror(pamh, r));
        return r;
}

__attribute__((visibility("default")))
int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        /* biogate establishes no credentials; this keeps stacks that call
         * setcred on every auth module working. It grants nothing. */
        return PAM_SUCCESS;
}
