/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pam_biogate.so inside real PAM hosts (tests/pam-host, pamtester) through
 * pam_wrapper, against the real daemon and the virtual sensor.
 *
 * The module only ever talks to /run/dbus/system_bus_socket, so each host
 * runs in a private mount namespace where that path is the test's private
 * bus (tests/pam-fixture.c): the same path the module uses in production. */
#include <security/_pam_types.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "pam-fixture.h"

#define FINGER_PROMPT "info: Place your right index finger on the fingerprint sensor"

static char *write_service(Fixture *f, const char *name, const char *lines) {
        g_autoptr(GString) expanded = g_string_new(lines);

        g_string_replace(expanded, "@MODULE@", PAM_MODULE_PATH, 0);
        return pam_fixture_write_service(f, name, expanded->str);
}

static BtfProc *run_pam(Fixture *f, const char *pam_dir, uid_t uid, const char *user, const char *rhost) {
        const char *argv[] = { PAM_HOST_PATH, "--rhost", rhost ? rhost : "", "biogate-test", user, NULL };
        return pam_fixture_run_host(f, pam_dir, uid, argv, NULL);
}

static void wait_output(BtfProc *proc, const char *needle) {
        g_autoptr(GError) error = NULL;

        if (!btf_proc_wait_output(proc, BTF_STDOUT, needle, T, &error))
                g_error("waiting for '%s': %s\nstdout: %s\nstderr: %s", needle, error->message,
                        btf_proc_get_stdout(proc), btf_proc_get_stderr(proc));
}

/* Waits for the host and returns its exit status: the PAM code. */
static int pam_code(BtfProc *proc) {
        g_autoptr(GError) error = NULL;
        int status = 0;

        g_assert_true(btf_proc_wait(proc, T, &status, &error));
        g_assert_no_error(error);
        if (!WIFEXITED(status) || WEXITSTATUS(status) >= 100)
                g_error("host failed: stdout: %s\nstderr: %s", btf_proc_get_stdout(proc), btf_proc_get_stderr(proc));
        return WEXITSTATUS(status);
}

static void assert_pam_code(BtfProc *proc, int expected) {
        int code = pam_code(proc);

        if (code != expected)
                g_error("expected PAM code %d, got %d\nstdout: %s\nstderr: %s", expected, code,
                        btf_proc_get_stdout(proc), btf_proc_get_stderr(proc));
}

static void assert_no_fd_leak(BtfProc *proc) {
        const char *line = strstr(btf_proc_get_stdout(proc), "fds: ");
        int before = -1, after = -2;

        g_assert_nonnull(line);
        g_assert_cmpint(sscanf(line, "fds: %d %d", &before, &after), ==, 2);
        g_assert_cmpint(before, ==, after);
}

static const char required_stack[] = "auth required @MODULE@ debug\n";

static void test_success(Fixture *f, gconstpointer data) {
        g_autofree char *dir = write_service(f, "biogate-test", required_stack);
        g_autoptr(BtfProc) proc = NULL;

        enroll(f, "", "right-index-finger", "alice");
        proc = run_pam(f, dir, 0, "root", NULL);
        wait_output(proc, FINGER_PROMPT);
        touch(f, "alice");
        assert_pam_code(proc, PAM_SUCCESS);
        assert_no_fd_leak(proc);
}

static void test_no_match_until_max_tries(Fixture *f, gconstpointer data) {
        g_autofree char *dir = write_service(f, "biogate-test", "auth required @MODULE@ max-tries=2\n");
        g_autoptr(BtfProc) proc = NULL;

        enroll(f, "", "right-index-finger", "alice");
        proc = run_pam(f, dir, 0, "root", NULL);
        wait_output(proc, FINGER_PROMPT);
        touch(f, "mallory");
        wait_output(proc, "error: Fingerprint not recognised, try again\n" FINGER_PROMPT);
        touch(f, "mallory");
        assert_pam_code(proc, PAM_AUTH_ERR);
        g_assert_nonnull(strstr(btf_proc_get_stdout(proc), "error: Too many failed attempts"));
        assert_no_fd_leak(proc);
}

static void test_timeout(Fixture *f, gconstpointer data) {
        g_autofree char *dir = write_service(f, "biogate-test", "auth required @MODULE@ timeout=1 max-tries=3\n");
        g_autoptr(BtfProc) proc = NULL;

        enroll(f, "", "right-index-finger", "alice");
        proc = run_pam(f, dir, 0, "root", NULL);
        wait_output(proc, FINGER_PROMPT);
        /* Nobody touches: one timeout for the whole call. */
        assert_pam_code(proc, PAM_AUTHINFO_UNAVAIL);
}

static void test_no_prints(Fixture *f, gconstpointer data) {
        g_autofree char *dir = write_service(f, "biogate-test", required_stack);
        g_autoptr(BtfProc) proc = run_pam(f, dir, 0, OTHER_USER, NULL);

        assert_pam_code(proc, PAM_AUTHINFO_UNAVAIL);
        g_assert_null(strstr(btf_proc_get_stdout(proc), "info:"));
}

static void test_daemon_not_running(Fixture *f, gconstpointer data) {
        g_autofree char *dir = write_service(f, "biogate-test", required_stack);
        g_autoptr(BtfProc) proc = NULL;
        g_autoptr(GError) error = NULL;

        g_assert_true(btf_daemon_stop(f->daemon, NULL, &error));
        proc = run_pam(f, dir, 0, "root", NULL);
        assert_pam_code(proc, PAM_AUTHINFO_UNAVAIL);
        assert_no_fd_leak(proc);
}

static void test_daemon_killed_mid_verify(Fixture *f, gconstpointer data) {
        g_autofree char *dir = write_service(f, "biogate-test", required_stack);
        g_autoptr(BtfProc) proc = NULL;
        g_autoptr(GError) error = NULL;
        gint64 killed;

        enroll(f, "", "right-index-finger", "alice");
        proc = run_pam(f, dir, 0, "root", NULL);
        wait_output(proc, FINGER_PROMPT);
        killed = g_get_monotonic_time();
        g_assert_true(btf_daemon_kill(f->daemon, NULL, &error));
        assert_pam_code(proc, PAM_AUTHINFO_UNAVAIL);
        /* The module notices the daemon leaving the bus, not a time-out. */
        g_assert_cmpint(g_get_monotonic_time() - killed, <, G_USEC_PER_SEC);

        /* The next login works against a restarted daemon. */
        g_clear_pointer(&proc, btf_proc_free);
        fixture_start_daemon(f, NULL);
        proc = run_pam(f, dir, 0, "root", NULL);
        wait_output(proc, FINGER_PROMPT);
        touch(f, "alice");
        assert_pam_code(proc, PAM_SUCCESS);
}

/* Sends a forged "match" for every operation path a guesser would try to
 * every connection on the bus but the daemon's: malware in the session can
 * list the bus's names and count. */
static void forge_finished(Fixture *f, GDBusConnection *forger) {
        g_autoptr(GVariant) names = NULL;
        g_autoptr(GVariantIter) iter = NULL;
        g_autoptr(GError) error = NULL;
        const char *daemon = btf_daemon_get_unique_name(f->daemon);
        const char *name;
        guint sent = 0;

        names = g_dbus_connection_call_sync(forger, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                            "org.freedesktop.DBus", "ListNames", NULL, G_VARIANT_TYPE("(as)"),
                                            G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
        g_assert_no_error(error);
        g_variant_get(names, "(as)", &iter);
        while (g_variant_iter_next(iter, "&s", &name)) {
                if (name[0] != ':' || g_str_equal(name, daemon))
                        continue;
                for (guint id = 0; id < 64; id++) {
                        g_autofree char *path = g_strdup_printf(BIOGATE_OPERATION_PATH_BASE "/%u", id);
                        GVariantBuilder details;

                        g_variant_builder_init(&details, G_VARIANT_TYPE_VARDICT);
                        g_variant_builder_add(&details, "{sv}", "user", g_variant_new_string("root"));
                        g_assert_true(g_dbus_connection_emit_signal(forger, name, path, BIOGATE_OPERATION_INTERFACE,
                                                                    "Finished",
                                                                    g_variant_new("(sa{sv})", BIOGATE_RESULT_MATCH,
                                                                                  &details),
                                                                    &error));
                        g_assert_no_error(error);
                        sent++;
                }
        }
        g_assert_true(g_dbus_connection_flush_sync(forger, NULL, &error));
        g_assert_no_error(error);
        g_assert_cmpuint(sent, >, 0);
}

/* Forged Finished("match") signals from another connection do not log
 * anyone in: the module listens to the daemon that answered its call. */
static void test_forged_signals(Fixture *f, gconstpointer data) {
        g_autofree char *dir = write_service(f, "biogate-test", "auth required @MODULE@ max-tries=1\n");
        g_autoptr(GDBusConnection) forger = NULL;
        g_autoptr(BtfProc) proc = NULL;
        g_autoptr(GError) error = NULL;

        enroll(f, "", "right-index-finger", "alice");
        forger = g_dbus_connection_new_for_address_sync(btf_bus_get_address(f->bus),
                                                        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                                G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                        NULL, NULL, &error);
        g_assert_no_error(error);
        proc = run_pam(f, dir, 0, "root", NULL);
        wait_output(proc, FINGER_PROMPT);
        forge_finished(f, forger);
        /* Still waiting for the sensor (the main loop runs while we wait,
         * so an exit would be seen): a wrong finger ends it as no match. */
        g_assert_false(btf_proc_wait(proc, 300, NULL, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
        g_clear_error(&error);
        touch(f, "mallory");
        assert_pam_code(proc, PAM_AUTH_ERR);
}

static void test_remote_rhost(Fixture *f, gconstpointer data) {
        g_autofree char *dir = write_service(f, "biogate-test", required_stack);
        g_autoptr(BtfProc) remote = NULL, local = NULL;

        enroll(f, "", "right-index-finger", "alice");
        remote = run_pam(f, dir, 0, "root", "attacker.example.org");
        assert_pam_code(remote, PAM_AUTHINFO_UNAVAIL);
        g_assert_null(strstr(btf_proc_get_stdout(remote), "info:"));

        local = run_pam(f, dir, 0, "root", "localhost");
        wait_output(local, FINGER_PROMPT);
        touch(f, "alice");
        assert_pam_code(local, PAM_SUCCESS);
}

static void test_allow_remote(Fixture *f, gconstpointer data) {
        g_autofree char *dir = write_service(f, "biogate-test", "auth required @MODULE@ allow-remote\n");
        g_autoptr(BtfProc) proc = NULL;

        enroll(f, "", "right-index-finger", "alice");
        proc = run_pam(f, dir, 0, "root", "10.1.2.3");
        wait_output(proc, FINGER_PROMPT);
        touch(f, "alice");
        assert_pam_code(proc, PAM_SUCCESS);
}

/* Bad options are ignored (logged) and the defaults stay; a finger
 * restriction nobody enrolled means no fingerprint; quiet prints nothing. */
static void test_options(Fixture *f, gconstpointer data) {
        g_autofree char *bad = write_service(f, "biogate-test",
                                             "auth required @MODULE@ timeout=0 timeout=abc timeout=601 max-tries=0 "
                                             "max-tries=11 max-tries=-1 finger=pinky finger= unknown debug=yes\n");
        g_autoptr(BtfProc) p1 = NULL, p2 = NULL, p3 = NULL;
        g_autofree char *restricted = NULL, *quiet = NULL;

        enroll(f, "", "right-index-finger", "alice");
        p1 = run_pam(f, bad, 0, "root", NULL);
        wait_output(p1, FINGER_PROMPT);
        touch(f, "alice");
        assert_pam_code(p1, PAM_SUCCESS);

        restricted = write_service(f, "biogate-test", "auth required @MODULE@ finger=left-thumb\n");
        p2 = run_pam(f, restricted, 0, "root", NULL);
        assert_pam_code(p2, PAM_AUTHINFO_UNAVAIL);
        g_assert_null(strstr(btf_proc_get_stdout(p2), "info:"));

        quiet = write_service(f, "biogate-test", "auth required @MODULE@ quiet finger=right-index-finger\n");
        unlink(f->vdev); /* a closed sensor leaves its socket file behind */
        p3 = run_pam(f, quiet, 0, "root", NULL);
        /* No prompt to wait for: the sensor socket says when it listens. */
        g_assert_true(btf_vdev_wait_socket(f->vdev, T, NULL));
        touch(f, "alice");
        assert_pam_code(p3, PAM_SUCCESS);
        g_assert_null(strstr(btf_proc_get_stdout(p3), "info:"));
        g_assert_null(strstr(btf_proc_get_stdout(p3), "error:"));
}

/* "sufficient": a match ends the stack with success; no fingerprint falls
 * through to the next module (here pam_deny, or pam_permit as a stand-in
 * for the password). */
static void test_sufficient_falls_through(Fixture *f, gconstpointer data) {
        g_autofree char *deny = write_service(f, "biogate-test", "auth sufficient @MODULE@\nauth required pam_deny.so\n");
        g_autoptr(BtfProc) p1 = NULL, p2 = NULL, p3 = NULL;
        g_autofree char *permit = NULL;

        enroll(f, "", "right-index-finger", "alice");
        p1 = run_pam(f, deny, 0, "root", NULL);
        wait_output(p1, FINGER_PROMPT);
        touch(f, "alice");
        assert_pam_code(p1, PAM_SUCCESS);

        p2 = run_pam(f, deny, 0, OTHER_USER, NULL);
        assert_pam_code(p2, PAM_AUTH_ERR); /* pam_deny decided */

        permit = write_service(f, "biogate-test", "auth sufficient @MODULE@\nauth required pam_permit.so\n");
        p3 = run_pam(f, permit, 0, OTHER_USER, NULL);
        assert_pam_code(p3, PAM_SUCCESS); /* the "password" decided */
}

/* A screen locker runs PAM as the user: it may verify itself, not others. */
/* The build tree may sit where only root can reach it (a clone under
 * /root): give the unprivileged host its own copies in the test directory. */
static char *copy_for_everyone(Fixture *f, const char *path) {
        g_autofree char *base = g_path_get_basename(path);
        char *copy = g_build_filename(f->tmp, base, NULL);
        g_autofree char *contents = NULL;
        gsize size = 0;

        g_assert_true(g_file_get_contents(path, &contents, &size, NULL));
        g_assert_true(g_file_set_contents(copy, contents, (gssize) size, NULL));
        g_assert_cmpint(chmod(copy, 0755), ==, 0);
        return copy;
}

static void test_unprivileged_host(Fixture *f, gconstpointer data) {
        g_autofree char *module = copy_for_everyone(f, PAM_MODULE_PATH);
        g_autofree char *host = copy_for_everyone(f, PAM_HOST_PATH);
        g_autofree char *stack = g_strdup_printf("auth required %s debug\n", module);
        g_autofree char *dir = write_service(f, "biogate-test", stack);
        g_autoptr(BtfProc) self = NULL, other = NULL;

        enroll(f, "nobody", "right-index-finger", "nobody-finger");
        enroll(f, "", "right-index-finger", "alice");
        self = pam_fixture_run_host(f, dir, NOBODY, (const char *[]) { host, "biogate-test", "nobody", NULL }, NULL);
        wait_output(self, FINGER_PROMPT);
        touch(f, "nobody-finger");
        assert_pam_code(self, PAM_SUCCESS);

        other = pam_fixture_run_host(f, dir, NOBODY, (const char *[]) { host, "biogate-test", "root", NULL }, NULL);
        assert_pam_code(other, PAM_PERM_DENIED);
}

static void test_interrupt(Fixture *f, gconstpointer data) {
        g_autofree char *dir = write_service(f, "biogate-test", required_stack);
        g_autoptr(BtfProc) proc = NULL;
        g_autofree char *result = NULL;

        enroll(f, "", "right-index-finger", "alice");
        proc = run_pam(f, dir, 0, "root", NULL);
        wait_output(proc, FINGER_PROMPT);
        /* The host is exec'd by unshare/sh: the PID is pam-host's own. */
        btf_proc_kill(proc, SIGINT);
        assert_pam_code(proc, PAM_AUTHINFO_UNAVAIL);
        /* The sensor was released: a new verification works at once. */
        result = verify_with(f, f->conn, "", "alice", NULL);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
}

/* Biometrics the daemon locked after too many failures: PAM_MAXTRIES,
 * and no prompt for a touch that could not count. */
static void test_locked_out(Fixture *f, gconstpointer data) {
        g_autofree char *dir = write_service(f, "biogate-test", required_stack);
        g_autofree char *record = g_build_filename(f->state, "limits", "0", NULL);
        g_autoptr(BtfProc) proc = NULL;

        enroll(f, "", "right-index-finger", "alice");
        g_assert_true(g_file_set_contents(record, "consecutive=50\nnot_before=0\nlocked=1\n", -1, NULL));
        g_assert_cmpint(chmod(record, 0600), ==, 0);
        proc = run_pam(f, dir, 0, "root", NULL);
        assert_pam_code(proc, PAM_MAXTRIES);
        g_assert_null(strstr(btf_proc_get_stdout(proc), "info: Place"));
}

/* What the user reads at a locked login: how many seconds are left, or
 * that only an administrator can lift the lock. The stack goes on either
 * way (PAM_MAXTRIES), to the password. */
static void test_locked_out_words(Fixture *f, gconstpointer data) {
        g_autofree char *dir = write_service(f, "biogate-test", required_stack);
        g_autofree char *record_path = g_build_filename(f->state, "limits", "0", NULL);
        g_autofree char *record = g_strdup_printf("consecutive=5\nnot_before=%" G_GINT64_FORMAT "\nlocked=0\n",
                                                  g_get_real_time() + 45 * G_USEC_PER_SEC);
        g_autoptr(BtfProc) timed = NULL, locked = NULL;
        const char *said;

        enroll(f, "", "right-index-finger", "alice");
        g_assert_true(g_file_set_contents(record_path, record, -1, NULL));
        g_assert_cmpint(chmod(record_path, 0600), ==, 0);
        timed = run_pam(f, dir, 0, "root", NULL);
        assert_pam_code(timed, PAM_MAXTRIES);
        said = strstr(btf_proc_get_stdout(timed), "error: Fingerprint is locked for ");
        g_assert_nonnull(said);
        g_assert_cmpuint(g_ascii_strtoull(said + strlen("error: Fingerprint is locked for "), NULL, 10), >, 30);
        g_assert_cmpuint(g_ascii_strtoull(said + strlen("error: Fingerprint is locked for "), NULL, 10), <=, 45);
        g_assert_nonnull(strstr(said, " more seconds after too many failed attempts"));

        g_assert_true(g_file_set_contents(record_path, "consecutive=50\nnot_before=0\nlocked=1\n", -1, NULL));
        g_assert_cmpint(chmod(record_path, 0600), ==, 0);
        locked = run_pam(f, dir, 0, "root", NULL);
        assert_pam_code(locked, PAM_MAXTRIES);
        g_assert_nonnull(strstr(btf_proc_get_stdout(locked),
                                "error: Fingerprint is locked after too many failed attempts until an administrator "
                                "unlocks it"));
        g_assert_null(strstr(btf_proc_get_stdout(locked), "more second"));
}

static void test_user_unknown(Fixture *f, gconstpointer data) {
        g_autofree char *dir = write_service(f, "biogate-test", required_stack);
        g_autoptr(BtfProc) proc = run_pam(f, dir, 0, "no-such-user-xyz", NULL);

        assert_pam_code(proc, PAM_USER_UNKNOWN);
}

static void test_conversation_error(Fixture *f, gconstpointer data) {
        g_autofree char *dir = write_service(f, "biogate-test", required_stack);
        const char *argv[] = { PAM_HOST_PATH, "--fail-conv", "biogate-test", "root", NULL };
        g_autoptr(BtfProc) proc = NULL;

        enroll(f, "", "right-index-finger", "alice");
        proc = pam_fixture_run_host(f, dir, 0, argv, NULL);
        assert_pam_code(proc, PAM_CONV_ERR);
}

/* The host's environment cannot redirect the module to another bus (in sudo
 * it belongs to the caller). */
static void test_environment_ignored(Fixture *f, gconstpointer data) {
        g_autofree char *dir = write_service(f, "biogate-test", required_stack);
        const char *argv[] = { PAM_HOST_PATH, "biogate-test", "root", NULL };
        const char *env[] = { "DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/attacker_bus", NULL };
        g_autoptr(BtfProc) proc = NULL;

        enroll(f, "", "right-index-finger", "alice");
        proc = pam_fixture_run_host(f, dir, 0, argv, env);
        wait_output(proc, FINGER_PROMPT);
        touch(f, "alice");
        assert_pam_code(proc, PAM_SUCCESS);
}

/* pamtester, a real PAM application, with the module under valgrind. */
static void test_valgrind(Fixture *f, gconstpointer data) {
        g_autofree char *dir = write_service(f, "biogate-test", required_stack);
        g_autoptr(BtfProc) proc = NULL;
        g_autoptr(GError) error = NULL;
        int status = 0;
        const char *argv[] = { "valgrind", "--error-exitcode=9", "--leak-check=full",
                               "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite",
                               "pamtester", "biogate-test", "root", "authenticate", NULL };

        if (g_getenv("BIOGATE_TEST_SANITIZED")) {
                g_test_skip("valgrind cannot run AddressSanitizer builds; the plain build runs this");
                return;
        }
        enroll(f, "", "right-index-finger", "alice");
        /* pamtester's prompts sit in its stdio buffer until it exits: the
         * sensor's socket appearing says when the touch is awaited. */
        unlink(f->vdev);
        proc = pam_fixture_run_host(f, dir, 0, argv, NULL);
        g_assert_true(btf_vdev_wait_socket(f->vdev, btf_timeout_default_ms() * 3, &error));
        g_assert_no_error(error);
        touch(f, "alice");
        g_assert_true(btf_proc_wait(proc, btf_timeout_default_ms() * 3, &status, &error));
        g_assert_no_error(error);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                g_error("pamtester under valgrind: %s\n%s", btf_proc_get_stdout(proc), btf_proc_get_stderr(proc));
        g_assert_nonnull(strstr(btf_proc_get_stdout(proc), "successfully authenticated"));
        /* It really ran under valgrind, which found nothing. */
        g_assert_nonnull(strstr(btf_proc_get_stderr(proc), "ERROR SUMMARY: 0 errors"));
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

#define ADD(path, fn) g_test_add("/pam/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
        ADD("success", test_success);
        ADD("no-match-until-max-tries", test_no_match_until_max_tries);
        ADD("timeout", test_timeout);
        ADD("no-prints", test_no_prints);
        ADD("daemon-not-running", test_daemon_not_running);
        ADD("daemon-killed-mid-verify", test_daemon_killed_mid_verify);
        ADD("forged-signals", test_forged_signals);
        ADD("remote-rhost", test_remote_rhost);
        ADD("allow-remote", test_allow_remote);
        ADD("options", test_options);
        ADD("sufficient-falls-through", test_sufficient_falls_through);
        ADD("unprivileged-host", test_unprivileged_host);
        ADD("interrupt", test_interrupt);
        ADD("user-unknown", test_user_unknown);
        ADD("locked-out", test_locked_out);
        ADD("locked-out-words", test_locked_out_words);
        ADD("conversation-error", test_conversation_error);
        ADD("environment-ignored", test_environment_ignored);
        ADD("valgrind", test_valgrind);
        return g_test_run();
}
