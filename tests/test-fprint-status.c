/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fprintd's words for biogate's: every status string and error name the
 * fprintd API sends is one fprintd itself uses (Debian's fprintd 1.94.2
 * publishes them), and each biogate outcome has the word a desktop client
 * acts on correctly. */
#include "biogate-bus.h"
#include "biogated-error.h"
#include "biogated-fprint-status.h"

static const char *name_of(BiogateError code) {
        return biogate_error_info(code)->dbus_name;
}

static void test_verify_results(void) {
        BiogatedOperationKind v = BIOGATED_OPERATION_VERIFY;

        g_assert_cmpstr(biogated_fprint_result_status(v, BIOGATE_RESULT_MATCH, NULL), ==, "verify-match");
        g_assert_cmpstr(biogated_fprint_result_status(v, BIOGATE_RESULT_NO_MATCH, NULL), ==, "verify-no-match");
        /* The client asked for it (VerifyStop, Release): nobody is told. */
        g_assert_null(biogated_fprint_result_status(v, BIOGATE_RESULT_CANCELLED, name_of(BIOGATE_ERROR_CANCELLED)));
        g_assert_cmpstr(biogated_fprint_result_status(v, BIOGATE_RESULT_FAILED, name_of(BIOGATE_ERROR_NO_SUCH_DEVICE)),
                        ==, "verify-disconnected");
        /* Never a "match" or a "no-match" for what was no decision: a
         * locked-out user's or a timed-out verification is no failed touch. */
        g_assert_cmpstr(biogated_fprint_result_status(v, BIOGATE_RESULT_FAILED, name_of(BIOGATE_ERROR_LOCKED_OUT)), ==,
                        "verify-unknown-error");
        g_assert_cmpstr(biogated_fprint_result_status(v, BIOGATE_RESULT_FAILED, name_of(BIOGATE_ERROR_TIMED_OUT)), ==,
                        "verify-unknown-error");
        g_assert_cmpstr(biogated_fprint_result_status(v, BIOGATE_RESULT_FAILED, name_of(BIOGATE_ERROR_DEVICE_BUSY)), ==,
                        "verify-unknown-error");
        g_assert_cmpstr(biogated_fprint_result_status(v, BIOGATE_RESULT_FAILED, NULL), ==, "verify-unknown-error");
}

static void test_enroll_results(void) {
        BiogatedOperationKind e = BIOGATED_OPERATION_ENROLL;

        g_assert_cmpstr(biogated_fprint_result_status(e, BIOGATE_RESULT_COMPLETED, NULL), ==, "enroll-completed");
        g_assert_null(biogated_fprint_result_status(e, BIOGATE_RESULT_CANCELLED, name_of(BIOGATE_ERROR_CANCELLED)));
        g_assert_cmpstr(biogated_fprint_result_status(e, BIOGATE_RESULT_FAILED, name_of(BIOGATE_ERROR_DUPLICATE_PRINT)),
                        ==, "enroll-duplicate");
        g_assert_cmpstr(biogated_fprint_result_status(e, BIOGATE_RESULT_FAILED, name_of(BIOGATE_ERROR_NO_SUCH_DEVICE)),
                        ==, "enroll-disconnected");
        g_assert_cmpstr(biogated_fprint_result_status(e, BIOGATE_RESULT_FAILED, name_of(BIOGATE_ERROR_STORE_FULL)), ==,
                        "enroll-data-full");
        g_assert_cmpstr(biogated_fprint_result_status(e, BIOGATE_RESULT_FAILED, name_of(BIOGATE_ERROR_DEVICE_ERROR)),
                        ==, "enroll-failed");
        g_assert_cmpstr(biogated_fprint_result_status(e, BIOGATE_RESULT_FAILED, name_of(BIOGATE_ERROR_TIMED_OUT)), ==,
                        "enroll-failed");
        g_assert_cmpstr(biogated_fprint_result_status(e, BIOGATE_RESULT_FAILED, name_of(BIOGATE_ERROR_STORE_CORRUPTED)),
                        ==, "enroll-unknown-error");
}

static void test_retries(void) {
        static const struct {
                const char *reason, *verify, *enroll;
        } cases[] = {
                { "general", "verify-retry-scan", "enroll-retry-scan" },
                { "too-short", "verify-swipe-too-short", "enroll-swipe-too-short" },
                { "center-finger", "verify-finger-not-centered", "enroll-finger-not-centered" },
                { "remove-finger", "verify-remove-and-retry", "enroll-remove-and-retry" },
                { "something-new", "verify-retry-scan", "enroll-retry-scan" },
                { NULL, "verify-retry-scan", "enroll-retry-scan" },
        };

        for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_assert_cmpstr(biogated_fprint_retry_status(BIOGATED_OPERATION_VERIFY, cases[i].reason), ==,
                                cases[i].verify);
                g_assert_cmpstr(biogated_fprint_retry_status(BIOGATED_OPERATION_ENROLL, cases[i].reason), ==,
                                cases[i].enroll);
        }
}

static void assert_maps(BiogateError code, const char *fprint_name) {
        g_autoptr(GError) error = g_error_new_literal(BIOGATE_DBUS_ERROR, code, "why");
        g_autoptr(GError) mapped = biogated_fprint_error_from_biogate(error);
        g_autofree char *name = g_dbus_error_encode_gerror(mapped);

        g_assert_cmpstr(name, ==, fprint_name);
        g_assert_cmpstr(mapped->message, ==, "why");
}

static void test_errors(void) {
        assert_maps(BIOGATE_ERROR_PERMISSION_DENIED, "net.reactivated.Fprint.Error.PermissionDenied");
        assert_maps(BIOGATE_ERROR_NO_ENROLLED_PRINTS, "net.reactivated.Fprint.Error.NoEnrolledPrints");
        assert_maps(BIOGATE_ERROR_ALREADY_ENROLLED, "net.reactivated.Fprint.Error.FingerAlreadyEnrolled");
        assert_maps(BIOGATE_ERROR_INVALID_FINGER, "net.reactivated.Fprint.Error.InvalidFingername");
        assert_maps(BIOGATE_ERROR_NO_SUCH_DEVICE, "net.reactivated.Fprint.Error.NoSuchDevice");
        assert_maps(BIOGATE_ERROR_DEVICE_BUSY, "net.reactivated.Fprint.Error.AlreadyInUse");
        assert_maps(BIOGATE_ERROR_CONSENT_REQUIRED, "net.reactivated.Fprint.Error.ConsentRequired");
        assert_maps(BIOGATE_ERROR_NO_SUCH_USER, "net.reactivated.Fprint.Error.Internal");
        assert_maps(BIOGATE_ERROR_LOCKED_OUT, "net.reactivated.Fprint.Error.Internal");
        /* Every biogate error has a name fprintd's clients know. */
        for (int code = 0; code < _BIOGATE_ERROR_MAX; code++) {
                g_autoptr(GError) error = g_error_new_literal(BIOGATE_DBUS_ERROR, code, "x");
                g_autoptr(GError) mapped = biogated_fprint_error_from_biogate(error);
                g_autofree char *name = g_dbus_error_encode_gerror(mapped);

                g_assert_true(g_str_has_prefix(name, "net.reactivated.Fprint.Error."));
        }
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        (void) biogated_error_quark();
        g_test_add_func("/fprint-status/verify-results", test_verify_results);
        g_test_add_func("/fprint-status/enroll-results", test_enroll_results);
        g_test_add_func("/fprint-status/retries", test_retries);
        g_test_add_func("/fprint-status/errors", test_errors);
        return g_test_run();
}
