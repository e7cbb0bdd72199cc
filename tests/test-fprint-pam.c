/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Debian's pam_fprintd.so (package libpam-fprintd) in pamtester, through
 * pam_wrapper, against the real biogated serving fprintd's API on a private
 * bus with the virtual sensor: a site's existing pam_fprintd stack keeps
 * working when biogated takes the name. */
#include <security/pam_appl.h>

#include "fprint-fixture.h"
#include "pam-fixture.h"

/* ---- Debian's pam_fprintd.so ---- */

/* pam_fprintd.so 1.94.2 (pam/pam_fprintd.c) with the virtual sensor, a
 * swipe sensor: VerifyFingerSelected("any") is shown as this, and each
 * no-match as the error below. pamtester's conversation prints information
 * to stdout and errors to stderr. */
#define FPRINTD_PROMPT "Swipe your finger across the fingerprint reader\n"
#define FPRINTD_NO_MATCH "Failed to match fingerprint\n"

static char *fprintd_service(Fixture *f, const char *options) {
        g_autofree char *lines = g_strdup_printf("auth required %s %s\n", PAM_FPRINTD_PATH, options);

        return pam_fixture_write_service(f, "fprintd-test", lines);
}

/* common-auth as pam-auth-update writes it with libpam-fprintd's profile
 * the only primary one: its "Auth:" line with "end" made the jump over the
 * block's end (pam_deny), then pam_permit. Only the finger lets root in. */
static char *debian_profile_service(Fixture *f) {
        g_autofree char *profile = NULL, *line = NULL, *lines = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GString) auth = NULL;
        const char *start;

        g_assert_true(g_file_get_contents("/usr/share/pam-configs/fprintd", &profile, NULL, &error));
        g_assert_no_error(error);
        start = strstr(profile, "\nAuth:\n");
        g_assert_nonnull(start);
        start += strlen("\nAuth:\n");
        line = g_strndup(start, strcspn(start, "#\n"));
        auth = g_string_new(g_strstrip(line));
        g_assert_cmpuint(g_string_replace(auth, "pam_fprintd.so", PAM_FPRINTD_PATH, 0), ==, 1);
        g_assert_cmpuint(g_string_replace(auth, "success=end", "success=1", 0), ==, 1);
        lines = g_strdup_printf("auth %s\nauth requisite pam_deny.so\nauth required pam_permit.so\n", auth->str);
        g_test_message("common-auth:\n%s", lines);
        return pam_fixture_write_service(f, "fprintd-test", lines);
}

/* pamtester authenticating root through pam_fprintd.so; rhost, when not
 * NULL, as PAM_RHOST. */
static BtfProc *run_pamtester(Fixture *f, const char *pam_dir, const char *rhost) {
        g_autofree char *item = g_strdup_printf("rhost=%s", rhost ? rhost : "");
        /* Line-buffered: the test waits for each prompt as it comes. */
        const char *argv[] = { "stdbuf", "-oL", "pamtester", "-v", "-I", item, "fprintd-test", "root", "authenticate",
                               NULL };
        /* pamtester and pam_fprintd.so are Debian's, never sanitized: no
         * sanitizer runtime before pam_wrapper, whatever this build is. */
        const char *env[] = { "LD_PRELOAD=libpam_wrapper.so", NULL };

        return pam_fixture_run_host(f, pam_dir, 0, argv, env);
}

/* Waits for @count prompts in all, then for the sensor. */
/* One touch, for the verification pam_fprintd has just started. Between
 * two tries the daemon may close the sensor after the previous one and
 * open it again for this one: a socket seen a moment ago can be gone, and
 * its successor is waited for (inotify), a few times at most. */
static void touch_current(Fixture *f, const char *id) {
        for (guint attempt = 0;; attempt++) {
                g_autoptr(GError) error = NULL;

                if (btf_vdev_sendf(f->vdev, &error, "SCAN %s", id))
                        return;
                if (attempt == 4)
                        g_error("touching the sensor: %s", error->message);
                g_clear_error(&error);
                g_assert_true(btf_vdev_wait_socket(f->vdev, T, &error));
                g_assert_no_error(error);
        }
}

static void wait_prompts(Fixture *f, BtfProc *proc, guint count) {
        g_autoptr(GString) needle = g_string_new(NULL);
        g_autoptr(GError) error = NULL;

        for (guint i = 0; i < count; i++)
                g_string_append(needle, FPRINTD_PROMPT);
        if (!btf_proc_wait_output(proc, BTF_STDOUT, needle->str, T, &error))
                g_error("waiting for prompt %u: %s\nstdout: %s\nstderr: %s", count, error->message,
                        btf_proc_get_stdout(proc), btf_proc_get_stderr(proc));
        g_assert_true(btf_vdev_wait_socket(f->vdev, T, &error));
        g_assert_no_error(error);
}

/* pamtester says which PAM code pam_authenticate() returned in
 * pam_strerror()'s words: 0 is "successfully authenticated". */
static void assert_pamtester_code(BtfProc *proc, int expected, int timeout_ms) {
        g_autoptr(GError) error = NULL;
        g_autofree char *failure = NULL;
        int status = 0;

        g_assert_true(btf_proc_wait(proc, timeout_ms, &status, &error));
        g_assert_no_error(error);
        g_test_message("pamtester: %s%s", btf_proc_get_stdout(proc), btf_proc_get_stderr(proc));
        if (expected == PAM_SUCCESS) {
                btf_assert_exit_code(status, 0);
                g_assert_nonnull(strstr(btf_proc_get_stdout(proc), "pamtester: successfully authenticated"));
                return;
        }
        btf_assert_exit_code(status, 1);
        failure = g_strdup_printf("pamtester: %s\n", pam_strerror(NULL, expected));
        if (!strstr(btf_proc_get_stderr(proc), failure))
                g_error("expected '%s', pamtester wrote: %s%s", failure, btf_proc_get_stdout(proc),
                        btf_proc_get_stderr(proc));
}

static guint count_of(const char *haystack, const char *needle) {
        guint n = 0;

        for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
                n++;
        return n;
}

/* The claim pam_fprintd held is gone: biogated's own verification gets the
 * sensor at once rather than waiting behind it. */
static void assert_sensor_free(Fixture *f, const char *id, const char *expected) {
        g_autofree char *result = verify_with(f, f->conn, "root", id, NULL);

        g_assert_cmpstr(result, ==, expected);
}

/* Debian's own stack: the finger ends it with success. */
static void test_pam_fprintd_match(Fixture *f, gconstpointer data) {
        g_autofree char *dir = debian_profile_service(f);
        g_autoptr(BtfProc) proc = NULL;
        g_autofree char *log = NULL;

        enroll(f, "root", "right-index-finger", "root-finger");
        proc = run_pamtester(f, dir, NULL);
        wait_prompts(f, proc, 1);
        touch(f, "root-finger");
        assert_pamtester_code(proc, PAM_SUCCESS, T);
        /* One prompt, no error: the sensor needed one touch. */
        g_assert_cmpuint(count_of(btf_proc_get_stdout(proc), FPRINTD_PROMPT), ==, 1);
        g_assert_null(strstr(btf_proc_get_stderr(proc), FPRINTD_NO_MATCH));
        log = btf_daemon_read_log(f->daemon);
        g_assert_cmpuint(count_of(log, "audit verify-match #"), ==, 1);
        g_assert_cmpuint(count_of(log, "verify for root (uid 0) via service 'fprintd-api': match right-index-finger\n"),
                         ==, 1);
        assert_sensor_free(f, "root-finger", BIOGATE_RESULT_MATCH);
}

/* max-tries=5 wrong fingers: pam_fprintd asks again after each (a new
 * VerifyStart) and then gives up with PAM_MAXTRIES. Each is an audit event
 * and counts in biogated's failure limits as on org.biogate1: after the
 * fifth the user must wait, and the next pam_fprintd login fails without
 * a touch. pam_fprintd knows no lock-out: it still shows its prompt, says
 * nothing of the wait, and returns what it returns for any sensor error. */
static void test_pam_fprintd_no_match(Fixture *f, gconstpointer data) {
        g_autofree char *dir = fprintd_service(f, "max-tries=5");
        g_autoptr(BtfProc) proc = NULL, refused = NULL;
        g_autoptr(GVariant) reply = NULL, user_data = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *log = NULL;
        gboolean locked = FALSE;
        guint64 retry_ms = 0;

        enroll(f, "root", "right-index-finger", "root-finger");
        proc = run_pamtester(f, dir, NULL);
        for (guint i = 1; i <= 5; i++) {
                wait_prompts(f, proc, i);
                touch_current(f, "mallory");
        }
        assert_pamtester_code(proc, PAM_MAXTRIES, T);
        g_assert_cmpuint(count_of(btf_proc_get_stdout(proc), FPRINTD_PROMPT), ==, 5);
        g_assert_cmpuint(count_of(btf_proc_get_stderr(proc), FPRINTD_NO_MATCH), ==, 5);

        reply = manager_call(f->conn, "GetUserData", g_variant_new("(s)", "root"), "(a{sv})", &error);
        g_assert_no_error(error);
        g_variant_get(reply, "(@a{sv})", &user_data);
        g_assert_true(g_variant_lookup(user_data, "locked-out", "b", &locked));
        g_assert_true(locked);
        g_assert_true(g_variant_lookup(user_data, "retry-after-ms", "t", &retry_ms));
        g_assert_cmpuint(retry_ms, >, 0);

        log = btf_daemon_read_log(f->daemon);
        g_assert_cmpuint(count_of(log, "verify for root (uid 0) via service 'fprintd-api': no-match\n"), ==, 5);
        g_assert_cmpuint(count_of(log, "audit verify-no-match #"), ==, 5);
        g_assert_cmpuint(count_of(log, ": uid 0: 5 consecutive failed matches; next attempt in 30 s\n"), ==, 1);

        refused = run_pamtester(f, dir, NULL);
        assert_pamtester_code(refused, PAM_AUTHINFO_UNAVAIL, T);
        g_assert_cmpuint(count_of(btf_proc_get_stdout(refused), FPRINTD_PROMPT), ==, 1);
        g_assert_null(strstr(btf_proc_get_stderr(refused), FPRINTD_NO_MATCH));
        g_clear_pointer(&log, g_free);
        log = btf_daemon_read_log(f->daemon);
        g_assert_nonnull(strstr(log, "via service 'fprintd-api' ended without a touch: org.biogate1.Error.LockedOut"));
}

/* timeout=10 (pam_fprintd's least) and nobody touches: "Verification timed
 * out", PAM_AUTHINFO_UNAVAIL, and pam_fprintd's VerifyStop and Release
 * leave nothing of the operation behind. */
static void test_pam_fprintd_timeout(Fixture *f, gconstpointer data) {
        g_autofree char *dir = fprintd_service(f, "timeout=10");
        g_autoptr(BtfProc) proc = NULL;
        gint64 started, elapsed;

        enroll(f, "root", "right-index-finger", "root-finger");
        proc = run_pamtester(f, dir, NULL);
        started = g_get_monotonic_time();
        wait_prompts(f, proc, 1);
        assert_pamtester_code(proc, PAM_AUTHINFO_UNAVAIL, 10000 + btf_timeout_default_ms());
        /* pam_fprintd's time-out, not biogated's (60 s). */
        elapsed = g_get_monotonic_time() - started;
        g_assert_cmpint(elapsed, >=, 10 * G_USEC_PER_SEC);
        g_assert_cmpint(elapsed, <, (10 * 1000 + (gint64) btf_timeout_default_ms()) * 1000);
        g_assert_nonnull(strstr(btf_proc_get_stdout(proc), "Verification timed out\n"));
        g_assert_cmpuint(count_of(btf_proc_get_stdout(proc), FPRINTD_PROMPT), ==, 1);
        assert_sensor_free(f, "root-finger", BIOGATE_RESULT_MATCH);
}

/* A PAM_RHOST that is not the local host: pam_fprintd gives up before it
 * asks biogated anything (the same test as pam_biogate.so's without
 * allow-remote), so no claim and no audit event; "localhost" is local. */
static void test_pam_fprintd_remote(Fixture *f, gconstpointer data) {
        g_autofree char *dir = fprintd_service(f, "");
        g_autoptr(BtfProc) remote = NULL, local = NULL;
        g_autofree char *log = NULL;

        enroll(f, "root", "right-index-finger", "root-finger");
        remote = run_pamtester(f, dir, "attacker.example.org");
        assert_pamtester_code(remote, PAM_AUTHINFO_UNAVAIL, T);
        g_assert_null(strstr(btf_proc_get_stdout(remote), FPRINTD_PROMPT));

        local = run_pamtester(f, dir, "localhost");
        wait_prompts(f, local, 1);
        touch(f, "root-finger");
        assert_pamtester_code(local, PAM_SUCCESS, T);
        /* The local one's claim and login are the only ones. */
        log = btf_daemon_read_log(f->daemon);
        g_assert_cmpuint(count_of(log, "claimed the device for root"), ==, 1);
        g_assert_cmpuint(count_of(log, "via service 'fprintd-api'"), ==, 1);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

#define ADD_PAM_FPRINTD(name, fn) \
        g_test_add("/fprint/pam-fprintd-" name, Fixture, NULL, fprint_setup, fn, fixture_teardown)
        ADD_PAM_FPRINTD("match", test_pam_fprintd_match);
        ADD_PAM_FPRINTD("no-match", test_pam_fprintd_no_match);
        ADD_PAM_FPRINTD("timeout", test_pam_fprintd_timeout);
        ADD_PAM_FPRINTD("remote", test_pam_fprintd_remote);
        return g_test_run();
}
