/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The PAM module's pure parts: option parsing, the outcome table, remote
 * host names. */
#include <glib.h>
#include <security/_pam_types.h>

#include "pam-biogate-options.h"
#include "pam-biogate-outcome.h"
#include "pam-biogate-remote.h"

static void count_warning(void *userdata, const char *argument, const char *reason) {
        (*(int *) userdata)++;
        g_assert_nonnull(argument);
        g_assert_nonnull(reason);
}

static void parse(PamBiogateOptions *o, int *warnings, const char *args) {
        g_auto(GStrv) argv = g_strsplit(args, " ", -1);
        *warnings = 0;
        pam_biogate_options_parse(o, (int) g_strv_length(argv), (const char **) argv, count_warning, warnings);
}

static void test_options_defaults(void) {
        PamBiogateOptions o;
        int w;

        pam_biogate_options_parse(&o, 0, NULL, count_warning, &w);
        g_assert_false(o.debug);
        g_assert_false(o.quiet);
        g_assert_false(o.allow_remote);
        g_assert_cmpuint(o.timeout_s, ==, 30);
        g_assert_cmpuint(o.max_tries, ==, 3);
        g_assert_cmpint(o.finger, ==, BIOGATE_FINGER_INVALID);
}

static void test_options_valid(void) {
        PamBiogateOptions o;
        int w;

        parse(&o, &w, "debug quiet allow-remote timeout=600 max-tries=10 finger=left-thumb");
        g_assert_cmpint(w, ==, 0);
        g_assert_true(o.debug && o.quiet && o.allow_remote);
        g_assert_cmpuint(o.timeout_s, ==, 600);
        g_assert_cmpuint(o.max_tries, ==, 10);
        g_assert_cmpint(o.finger, ==, BIOGATE_FINGER_LEFT_THUMB);
        parse(&o, &w, "timeout=1 max-tries=1");
        g_assert_cmpuint(o.timeout_s, ==, 1);
        g_assert_cmpuint(o.max_tries, ==, 1);
}

/* Every malformed value is reported and leaves the default. */
static void test_options_invalid(void) {
        const char *bad[] = {
                "timeout=0", "timeout=601", "timeout=", "timeout=-5", "timeout=+5", "timeout= 5", "timeout=5s",
                "timeout=99999999999999999999", "max-tries=0", "max-tries=11", "max-tries=x", "finger=",
                "finger=thumb", "finger=RIGHT-THUMB", "Debug", "debug=1", "allow_remote", "nullok", "",
        };

        for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
                PamBiogateOptions o;
                int w = 0;
                const char *argv[] = { bad[i] };

                pam_biogate_options_parse(&o, 1, argv, count_warning, &w);
                g_assert_cmpint(w, ==, 1);
                g_assert_cmpuint(o.timeout_s, ==, 30);
                g_assert_cmpuint(o.max_tries, ==, 3);
                g_assert_cmpint(o.finger, ==, BIOGATE_FINGER_INVALID);
                g_assert_false(o.debug);
        }
}

/* Every row of the outcome table, and every daemon error. */
static void test_outcome_table(void) {
        static const struct {
                PamBiogateOutcome outcome;
                int pam_code;
        } rows[] = {
                { PAM_BIOGATE_MATCH, PAM_SUCCESS },
                { PAM_BIOGATE_NO_MATCH, PAM_AUTH_ERR },
                { PAM_BIOGATE_DAEMON_UNAVAILABLE, PAM_AUTHINFO_UNAVAIL },
                { PAM_BIOGATE_DAEMON_VANISHED, PAM_AUTHINFO_UNAVAIL },
                { PAM_BIOGATE_REMOTE_SESSION, PAM_AUTHINFO_UNAVAIL },
                { PAM_BIOGATE_TIMED_OUT, PAM_AUTHINFO_UNAVAIL },
                { PAM_BIOGATE_INTERRUPTED, PAM_AUTHINFO_UNAVAIL },
                { PAM_BIOGATE_USER_UNKNOWN, PAM_USER_UNKNOWN },
                { PAM_BIOGATE_ACCESS_DENIED, PAM_PERM_DENIED },
                { PAM_BIOGATE_CONV_ERROR, PAM_CONV_ERR },
                { PAM_BIOGATE_NO_MEMORY, PAM_BUF_ERR },
                { PAM_BIOGATE_UNEXPECTED, PAM_SERVICE_ERR },
        };
        G_STATIC_ASSERT(G_N_ELEMENTS(rows) == _PAM_BIOGATE_OUTCOME_MAX - 1);
        for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
                PamBiogateResult r = { rows[i].outcome, 0 };
                g_assert_cmpint(pam_biogate_result_to_pam(r), ==, rows[i].pam_code);
                g_assert_nonnull(pam_biogate_result_to_string(r));
        }
        /* No daemon error is ever success. */
        for (int e = 0; e < _BIOGATE_ERROR_MAX; e++) {
                PamBiogateResult r = { PAM_BIOGATE_DAEMON_ERROR, (BiogateError) e };
                int code = pam_biogate_result_to_pam(r);
                g_assert_cmpint(code, !=, PAM_SUCCESS);
                g_assert_cmpint(code, ==, biogate_error_info((BiogateError) e)->pam_code);
        }
        g_assert_cmpint(pam_biogate_result_to_pam((PamBiogateResult) { _PAM_BIOGATE_OUTCOME_MAX, 0 }), ==,
                        PAM_SERVICE_ERR);
        g_assert_cmpint(pam_biogate_result_to_pam((PamBiogateResult) { PAM_BIOGATE_DAEMON_ERROR, _BIOGATE_ERROR_MAX }),
                        ==, PAM_SERVICE_ERR);
}

static void test_error_names(void) {
        static const struct {
                const char *name;
                int pam_code;
        } rows[] = {
                { "org.biogate1.Error.NoEnrolledPrints", PAM_AUTHINFO_UNAVAIL },
                { "org.biogate1.Error.NoSuchDevice", PAM_AUTHINFO_UNAVAIL },
                { "org.biogate1.Error.DeviceBusy", PAM_AUTHINFO_UNAVAIL },
                { "org.biogate1.Error.TimedOut", PAM_AUTHINFO_UNAVAIL },
                { "org.biogate1.Error.LockedOut", PAM_MAXTRIES },
                { "org.biogate1.Error.PermissionDenied", PAM_PERM_DENIED },
                { "org.biogate1.Error.NoSuchUser", PAM_USER_UNKNOWN },
                { "org.biogate1.Error.Internal", PAM_SERVICE_ERR },
                { "org.freedesktop.DBus.Error.ServiceUnknown", PAM_AUTHINFO_UNAVAIL },
                { "org.freedesktop.DBus.Error.NoReply", PAM_AUTHINFO_UNAVAIL },
                { "org.freedesktop.DBus.Error.Spawn.ChildExited", PAM_AUTHINFO_UNAVAIL },
                { "org.freedesktop.DBus.Error.AccessDenied", PAM_PERM_DENIED },
                { "org.freedesktop.DBus.Error.NoMemory", PAM_BUF_ERR },
                { "org.example.Whatever", PAM_SERVICE_ERR },
                { "org.biogate1.Error.", PAM_SERVICE_ERR },
                { NULL, PAM_SERVICE_ERR },
        };

        for (gsize i = 0; i < G_N_ELEMENTS(rows); i++)
                g_assert_cmpint(pam_biogate_result_to_pam(pam_biogate_result_from_error_name(rows[i].name)), ==,
                                rows[i].pam_code);
}

static void test_rhost(void) {
        g_assert_false(pam_biogate_rhost_is_remote(NULL));
        g_assert_false(pam_biogate_rhost_is_remote(""));
        g_assert_false(pam_biogate_rhost_is_remote("localhost"));
        g_assert_false(pam_biogate_rhost_is_remote("LOCALHOST"));
        g_assert_false(pam_biogate_rhost_is_remote("127.0.0.1"));
        g_assert_false(pam_biogate_rhost_is_remote("::1"));
        g_assert_true(pam_biogate_rhost_is_remote("10.0.0.1"));
        g_assert_true(pam_biogate_rhost_is_remote("localhost.attacker.example"));
        g_assert_true(pam_biogate_rhost_is_remote("127.0.0.1.example"));
}

/* Outside a logind session, only a terminal of a seat says someone is at
 * the machine: gdm's worker (PAM_TTY "tty1" or ":0") and login on a
 * console ("/dev/tty2"). */
static void test_tty(void) {
        static const char *const local[] = { "tty1", "/dev/tty2", "tty63", ":0", ":1", ":0.0", ":12.3" };
        static const char *const elsewhere[] = {
                "pts/3", "/dev/pts/0", "ttyS0", "/dev/ttyUSB0", "tty", "/dev/tty", "ssh", "cron", "",
                "host:0", "localhost:10.0", ":", ":0.", ":.0", ":a", "tty1x", "/dev/../dev/tty1", ":99999999999999999.0",
        };

        g_assert_false(pam_biogate_tty_is_local_seat(NULL));
        for (gsize i = 0; i < G_N_ELEMENTS(local); i++)
                g_assert_true(pam_biogate_tty_is_local_seat(local[i]));
        for (gsize i = 0; i < G_N_ELEMENTS(elsewhere); i++)
                if (pam_biogate_tty_is_local_seat(elsewhere[i]))
                        g_error("\"%s\" taken for a seat's terminal", elsewhere[i]);
}

/* Hostile review: su takes PAM_TTY from its stdin, so a user's own
 * service can name the user's console; only a PAM host root started is
 * local outside a session. */
static void test_outside_session(void) {
        g_assert_true(pam_biogate_outside_session_is_local(0, "tty2"));
        g_assert_true(pam_biogate_outside_session_is_local(0, ":0"));
        g_assert_false(pam_biogate_outside_session_is_local(0, "pts/1"));
        g_assert_false(pam_biogate_outside_session_is_local(0, NULL));
        g_assert_false(pam_biogate_outside_session_is_local(1000, "/dev/tty2"));
        g_assert_false(pam_biogate_outside_session_is_local(1000, ":0"));
        g_assert_false(pam_biogate_outside_session_is_local(65534, "tty1"));
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/pam-units/options/defaults", test_options_defaults);
        g_test_add_func("/pam-units/options/valid", test_options_valid);
        g_test_add_func("/pam-units/options/invalid", test_options_invalid);
        g_test_add_func("/pam-units/outcome/table", test_outcome_table);
        g_test_add_func("/pam-units/outcome/error-names", test_error_names);
        g_test_add_func("/pam-units/remote/rhost", test_rhost);
        g_test_add_func("/pam-units/remote/tty", test_tty);
        g_test_add_func("/pam-units/remote/outside-session", test_outside_session);
        return g_test_run();
}
