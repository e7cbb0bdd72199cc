/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fault injection against the real daemon: biogated killed under a waiting
 * biogatectl, sensor faults at every enrolment stage, a full disk, kill -9
 * at random points of many enrol/delete cycles, symlinks and garbage in the
 * state directory, and configuration and policy files that are huge, binary,
 * not files at all or symlinks. Each test has its own bus and daemon. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fprint.h>

#include "privacy-fixture.h"

#define ERR "org.biogate1.Error."
/* The bound for a client to notice a vanished daemon. */
#define KILL_TO_EXIT_MAX_USEC (1 * G_USEC_PER_SEC)

/* ---- helpers ---- */

/* Built with AddressSanitizer (the daemon under test is then too): about 3x
 * slower. The environment variable is what the other tests look at. */
static gboolean sanitized(void) {
#if defined(__SANITIZE_ADDRESS__)
        return TRUE;
#else
        return g_getenv("BIOGATE_TEST_SANITIZED") != NULL;
#endif
}

/* main() moved this process into a mount namespace of its own; if not,
 * why not (the tests that mount something fail, or skip when allowed). */
static gboolean own_mount_namespace;
static char *mount_namespace_error;

static void restart_daemon(Fixture *f, const char *const *extra_args) {
        g_autoptr(GError) error = NULL;

        if (!btf_daemon_has_exited(f->daemon)) {
                int status = 0;
                g_assert_true(btf_daemon_stop(f->daemon, &status, &error));
                btf_assert_exit_code(status, 0);
        }
        fixture_start_daemon(f, extra_args);
}

static void kill_daemon(Fixture *f) {
        g_autoptr(GError) error = NULL;
        int status = 0;

        g_assert_true(btf_daemon_kill(f->daemon, &status, &error));
        g_assert_no_error(error);
        btf_assert_signaled(status, SIGKILL);
}

static gboolean strv_equal(char **a, char **b) {
        return g_strv_equal((const char *const *) a, (const char *const *) b);
}

static void delete_fingers(Fixture *f, const char *user, const char *finger) {
        g_autoptr(GError) error = NULL;
        const char *one[] = { finger, NULL };
        g_autoptr(GVariant) r = manager_call(f->conn, "DeleteFingers", g_variant_new("(s^as)", user, one), NULL,
                                             &error);
        g_assert_no_error(error);
}

/* Every path under dir (relative, sorted) with its type and size: what a
 * failed operation must leave exactly as it was. */
static GString *tree_listing;
static size_t tree_prefix;

static int add_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        g_string_append_printf(tree_listing, "%s %o %lld\n", path + tree_prefix, (unsigned) (st->st_mode & S_IFMT),
                               S_ISREG(st->st_mode) ? (long long) st->st_size : 0LL);
        return 0;
}

static int compare_lines(gconstpointer a, gconstpointer b, gpointer user_data) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static char *tree_snapshot(const char *dir) {
        g_auto(GStrv) lines = NULL;
        g_autofree char *joined = NULL;

        tree_listing = g_string_new(NULL);
        tree_prefix = strlen(dir);
        if (nftw(dir, add_entry, 16, FTW_PHYS) < 0)
                g_assert_cmpint(errno, ==, ENOENT);
        joined = g_string_free(g_steal_pointer(&tree_listing), FALSE);
        lines = g_strsplit(joined, "\n", -1);
        g_qsort_with_data(lines, (gint) g_strv_length(lines), sizeof(char *), compare_lines, NULL);
        return g_strjoinv("\n", lines);
}

static guint n_enroll_stages(Fixture *f) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = manager_call(f->conn, "ListDevices", NULL, "(a(ssa{sv}))", &error);
        g_autoptr(GVariant) list = NULL, details = NULL;
        gint32 stages = 0;

        g_assert_no_error(error);
        list = g_variant_get_child_value(reply, 0);
        g_assert_cmpuint(g_variant_n_children(list), ==, 1);
        g_variant_get_child(list, 0, "(&s&s@a{sv})", NULL, NULL, &details);
        g_assert_true(g_variant_lookup(details, "enroll-stages", "i", &stages));
        g_assert_cmpint(stages, >, 0);
        return (guint) stages;
}

/* ---- biogatectl when the daemon dies under it ---- */

static const char stepup_policy[] =
        "[rule withdrawals]\n"
        "kind=withdrawal\n"
        "currency=USD\n"
        "amount_min=10000.00\n"
        "require=fingerprint\n"
        "\n"
        "[default]\n"
        "require=deny\n";

static const char *const approve_argv[] = {
        BIOGATECTL_PATH, "approve", "--kind", "withdrawal", "--amount", "250000.00", "--currency", "USD",
        "--payee", "ACME Ltd", "--reference", "T-1001", "--challenge", "000102030405060708090a0b0c0d0e0f", NULL,
};
static const char *const verify_argv[] = { BIOGATECTL_PATH, "verify", NULL };

/* Runs argv until it asks for a finger (prompt on stderr), kills biogated,
 * and checks that the client gives up at once with an error of its own. */
static void kill_daemon_under_client(Fixture *f, const char *const *argv, const char *prompt) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfProc) proc = btf_spawn_async(argv, NULL, &error);
        const char *err;
        gint64 killed_at, latency;
        int status = 0;

        g_assert_no_error(error);
        g_assert_true(btf_proc_wait_output(proc, BTF_STDERR, prompt, T, &error));
        g_assert_no_error(error);

        killed_at = g_get_monotonic_time();
        g_assert_cmpint(kill(btf_daemon_get_pid(f->daemon), SIGKILL), ==, 0);
        g_assert_true(btf_proc_wait(proc, T, &status, &error));
        g_assert_no_error(error);
        latency = g_get_monotonic_time() - killed_at;
        g_test_message("%s exited %" G_GINT64_FORMAT " ms after biogated was killed", argv[1], latency / 1000);
        g_assert_cmpint(latency, <, KILL_TO_EXIT_MAX_USEC);

        /* An exit of its own with the "daemon unreachable" status, not a
         * signal, and words that say what happened. */
        err = btf_proc_get_stderr(proc);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 8)
                g_error("biogatectl %s: %s; stderr: %s", argv[1], btf_wait_status_describe(status), err);
        g_assert_nonnull(strstr(err, "biogated left the bus before the operation finished"));
        kill_daemon(f); /* reaps it; SIGKILL again is harmless */
}

/* The next run against a fresh daemon succeeds with one touch of id. */
static void client_succeeds(Fixture *f, const char *const *argv, const char *id) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfProc) proc = NULL;
        int status = 0;

        unlink(f->vdev); /* the sensor is opened per operation */
        proc = btf_spawn_async(argv, NULL, &error);
        g_assert_no_error(error);
        g_assert_true(btf_vdev_wait_socket(f->vdev, T, &error));
        g_assert_no_error(error);
        touch(f, id);
        g_assert_true(btf_proc_wait(proc, T, &status, &error));
        g_assert_no_error(error);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                g_error("biogatectl %s: %s; stderr: %s", argv[1], btf_wait_status_describe(status),
                        btf_proc_get_stderr(proc));
}

static void test_ctl_killed_mid_verify(Fixture *f, gconstpointer data) {
        enroll(f, "", "right-index-finger", "alice");
        kill_daemon_under_client(f, verify_argv, "Touch the sensor");
        fixture_start_daemon(f, NULL);
        client_succeeds(f, verify_argv, "alice");
}

static void test_ctl_killed_mid_authorize(Fixture *f, gconstpointer data) {
        fixture_start_daemon_with_policy(f, stepup_policy, NULL);
        enroll(f, "", "right-index-finger", "alice");
        kill_daemon_under_client(f, approve_argv, "Touch the sensor to approve");
        fixture_start_daemon_with_policy(f, stepup_policy, NULL);
        client_succeeds(f, approve_argv, "alice");
}

/* ---- sensor faults at each enrolment stage ---- */

typedef enum {
        FAULT_ERROR,
        FAULT_UNPLUG,
        FAULT_RETRY,
} Fault;

/* What each stage injects: a different libfprint error and retry code at
 * each, with what the daemon documents for them (biogated-error.c). */
static const struct {
        int error;
        const char *dbus_error;
        int retry;
        const char *reason;
} stage_faults[] = {
        { FP_DEVICE_ERROR_GENERAL, ERR "DeviceError", FP_DEVICE_RETRY_GENERAL, "general" },
        { FP_DEVICE_ERROR_PROTO, ERR "DeviceError", FP_DEVICE_RETRY_TOO_SHORT, "too-short" },
        { FP_DEVICE_ERROR_BUSY, ERR "DeviceBusy", FP_DEVICE_RETRY_CENTER_FINGER, "center-finger" },
        { FP_DEVICE_ERROR_NOT_SUPPORTED, ERR "DeviceError", FP_DEVICE_RETRY_REMOVE_FINGER, "remove-finger" },
        { FP_DEVICE_ERROR_DATA_FULL, ERR "DeviceError", FP_DEVICE_RETRY_CENTER_FINGER, "center-finger" },
};

/* Enrols finger with `stage - 1` good touches, then the fault in place of
 * touch number `stage`. Returns the result and its details. */
static char *enroll_with_fault(Fixture *f, const char *finger, guint stages, guint stage, Fault fault,
                               GVariant **ret_details) {
        g_autoptr(BtfOp) op = start_enroll(f->conn, "", finger);
        gsize row = (stage - 1) % G_N_ELEMENTS(stage_faults);
        g_autofree char *command = NULL;
        char *result;

        for (guint i = 1; i < stage; i++) {
                wait_finger_needed(op);
                touch(f, "faulty");
        }
        wait_finger_needed(op);
        switch (fault) {
        case FAULT_ERROR:
                command = g_strdup_printf("ERROR %d", stage_faults[row].error);
                break;
        case FAULT_UNPLUG:
                command = g_strdup("UNPLUG");
                break;
        case FAULT_RETRY:
                command = g_strdup_printf("RETRY %d", stage_faults[row].retry);
                break;
        }
        sensor(f, command);
        if (fault == FAULT_RETRY)
                /* The same stage asks again; then the rest goes as usual. */
                for (guint i = stage; i <= stages; i++) {
                        wait_finger_needed(op);
                        touch(f, "faulty");
                }
        result = wait_finished(op, ret_details);
        if (fault == FAULT_RETRY) {
                g_autoptr(GVariant) retry = NULL;
                g_autoptr(GError) error = NULL;

                g_assert_cmpuint(btf_op_count_progress(op, "retry-scan"), ==, 1);
                g_assert_true(btf_op_wait_progress(op, "retry-scan", T, &retry, &error));
                g_assert_no_error(error);
                g_assert_cmpstr(detail_string(retry, "reason"), ==, stage_faults[row].reason);
                g_assert_cmpuint(btf_op_count_progress(op, "stage-passed"), ==, stages);
                /* One prompt more than stages: the repeated one. */
                g_assert_cmpuint(btf_op_count_progress(op, "finger-needed"), ==, stages + 1);
        } else {
                g_assert_cmpuint(btf_op_count_progress(op, "stage-passed"), ==, stage - 1);
        }
        release(f->conn, op);
        return result;
}

static void test_sensor_faults_each_stage(Fixture *f, gconstpointer data) {
        guint stages = n_enroll_stages(f);

        /* A finger of another user stays through it all. */
        enroll(f, OTHER_USER, "right-thumb", "bystander");
        for (guint stage = 1; stage <= stages; stage++) {
                static const Fault faults[] = { FAULT_ERROR, FAULT_RETRY, FAULT_UNPLUG };
                gsize row = (stage - 1) % G_N_ELEMENTS(stage_faults);

                for (gsize i = 0; i < G_N_ELEMENTS(faults); i++) {
                        g_autoptr(GVariant) details = NULL;
                        g_autoptr(GError) error = NULL;
                        g_autofree char *before = tree_snapshot(f->state), *after = NULL, *result = NULL;
                        g_auto(GStrv) fingers_before = list_fingers(f->conn, ""), fingers_after = NULL;

                        g_test_message("stage %u of %u: %s", stage, stages,
                                       faults[i] == FAULT_ERROR ? "ERROR" : faults[i] == FAULT_UNPLUG ? "UNPLUG" : "RETRY");
                        result = enroll_with_fault(f, "left-thumb", stages, stage, faults[i], &details);
                        fingers_after = list_fingers(f->conn, "");
                        after = tree_snapshot(f->state);

                        if (faults[i] == FAULT_RETRY) {
                                g_assert_cmpstr(result, ==, BIOGATE_RESULT_COMPLETED);
                                g_assert_cmpuint(g_strv_length(fingers_after), ==, 1);
                                g_assert_cmpstr(fingers_after[0], ==, "left-thumb");
                                g_clear_pointer(&result, g_free);
                                result = privacy_verify_finger(f, "left-thumb", "faulty");
                                g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
                                delete_fingers(f, "", "left-thumb");
                                continue;
                        }

                        /* Failed, with the documented error; nothing stored,
                         * nothing half-written, the daemon still answers. */
                        g_assert_cmpstr(result, ==, BIOGATE_RESULT_FAILED);
                        g_assert_cmpstr(detail_string(details, "error"), ==,
                                        faults[i] == FAULT_ERROR ? stage_faults[row].dbus_error : ERR "NoSuchDevice");
                        g_assert_true(strv_equal(fingers_before, fingers_after));
                        g_assert_cmpstr(before, ==, after);
                        g_assert_false(btf_daemon_has_exited(f->daemon));

                        if (faults[i] == FAULT_UNPLUG) {
                                /* The sensor is gone for this daemon: new
                                 * operations fail at once. A new daemon finds
                                 * it again and enrols. */
                                g_autoptr(GVariant) devices = NULL, list = NULL;
                                g_autoptr(BtfOp) refused = NULL;

                                devices = manager_call(f->conn, "ListDevices", NULL, "(a(ssa{sv}))", &error);
                                g_assert_no_error(error);
                                list = g_variant_get_child_value(devices, 0);
                                g_assert_cmpuint(g_variant_n_children(list), ==, 0);
                                refused = start_op(f->conn, "Enroll",
                                                   g_variant_new("(ss@a{sv})", "", "left-thumb", consent_options()),
                                                   &error);
                                assert_dbus_error(error, ERR "NoSuchDevice");
                                g_clear_error(&error);
                                restart_daemon(f, NULL);
                                enroll(f, "", "left-thumb", "after-unplug");
                                delete_fingers(f, "", "left-thumb");
                        }
                }
        }
        g_assert_false(privacy_has_temp_files(f));
        {
                g_autofree char *theirs = verify_with(f, f->conn, OTHER_USER, "bystander", NULL);
                g_assert_cmpstr(theirs, ==, BIOGATE_RESULT_MATCH);
        }
}

/* ---- a full disk ---- */

typedef struct {
        Fixture f;
        char *mount; /* the tmpfs, unmounted in teardown */
} DiskFixture;

static void disk_setup(DiskFixture *d, gconstpointer data) {
        if (!own_mount_namespace) {
                /* A skip counts as neither pass nor fail: the only full-disk
                 * test would vanish from CI without a word. CI runs as root,
                 * where this works; elsewhere skipping is asked for. */
                if (!g_getenv("BIOGATE_TEST_ALLOW_SKIP"))
                        g_error("no mount namespace of its own for the tmpfs: %s (needs root or CAP_SYS_ADMIN; "
                                "set BIOGATE_TEST_ALLOW_SKIP=1 to skip instead)",
                                mount_namespace_error);
                {
                        g_autofree char *why = g_strdup_printf(
                                "no mount namespace of its own: %s (BIOGATE_TEST_ALLOW_SKIP is set)",
                                mount_namespace_error);
                        g_test_skip(why);
                }
                return;
        }
        fixture_prepare(&d->f, data);
        g_assert_cmpint(g_mkdir_with_parents(d->f.state, 0700), ==, 0);
        /* Room for the store's keys and a few templates; the size is filled
         * up by the test anyway. */
        if (mount("tmpfs", d->f.state, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=256k,mode=0700") < 0)
                g_error("mounting a tmpfs on %s: %s", d->f.state, g_strerror(errno));
        d->mount = g_strdup(d->f.state);
        fixture_start_daemon(&d->f, NULL);
}

static void disk_teardown(DiskFixture *d, gconstpointer data) {
        if (!d->f.tmp)
                return;
        if (d->f.daemon && !btf_daemon_has_exited(d->f.daemon))
                (void) btf_daemon_stop(d->f.daemon, NULL, NULL);
        if (d->mount && umount2(d->mount, MNT_DETACH) < 0)
                g_warning("unmounting %s: %s", d->mount, g_strerror(errno));
        g_free(d->mount);
        fixture_teardown(&d->f, data);
}

/* Grows the file at path until its file system is full (ENOSPC), then
 * gives back free_pages pages (tmpfs allocates whole pages). */
static void fill_up(const char *path, guint free_pages) {
        static const char block[4096] = { 0 };
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        struct stat st;

        g_assert_cmpint(fd, >=, 0);
        for (;;) {
                ssize_t n = write(fd, block, sizeof block);
                if (n < 0) {
                        g_assert_cmpint(errno, ==, ENOSPC);
                        break;
                }
        }
        g_assert_cmpint(fstat(fd, &st), ==, 0);
        g_assert_cmpint(st.st_size, >=, (off_t) (free_pages * sizeof block));
        g_assert_cmpint(ftruncate(fd, st.st_size - (off_t) (free_pages * sizeof block)), ==, 0);
        g_assert_cmpint(close(fd), ==, 0);
}

/* Whether GetMyData says the caller's biometrics are locked out now. */
static gboolean my_lockout(Fixture *f, guint64 *ret_retry_after_ms) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = manager_call(f->conn, "GetMyData", NULL, "(a{sv})", &error);
        g_autoptr(GVariant) mine = NULL;
        gboolean locked = FALSE;

        g_assert_no_error(error);
        mine = g_variant_get_child_value(reply, 0);
        g_assert_true(g_variant_lookup(mine, "locked-out", "b", &locked));
        *ret_retry_after_ms = 0;
        (void) g_variant_lookup(mine, "retry-after-ms", "t", ret_retry_after_ms);
        return locked;
}

/* Hostile review of issue 14: a failure count the disk refused was
 * forgotten (the next check read the disk's older record), so on a full
 * file system (a user can use up the inodes of a file system that holds
 * /var/lib) every failed login counted as the first: never a delay, never
 * a lock. The count now goes on in memory: the fifth failure brings the
 * delay as it does with room on the disk. */
static void test_disk_full_failures_counted(DiskFixture *d, gconstpointer data) {
        Fixture *f = &d->f;
        g_autofree char *filler = NULL, *record = NULL;
        guint64 retry_after_ms = 0;

        if (g_test_failed() || !d->mount)
                return;
        filler = g_build_filename(f->state, "filler", NULL);
        record = g_build_filename(f->state, "limits", "0", NULL);
        enroll(f, "", "right-index-finger", "owner");
        fill_up(filler, 0);
        for (guint i = 1; i <= 5; i++) {
                g_autofree char *r = verify_with(f, f->conn, "", "impostor", NULL);

                g_assert_cmpstr(r, ==, BIOGATE_RESULT_NO_MATCH);
        }
        /* Not one of them on the disk, and still counted. */
        g_assert_false(g_file_test(record, G_FILE_TEST_EXISTS));
        g_assert_true(my_lockout(f, &retry_after_ms));
        g_assert_cmpuint(retry_after_ms, >, 25000);
        g_assert_cmpuint(retry_after_ms, <=, 30000);

        /* And enforced: the next attempt is refused before a touch. */
        g_assert_cmpint(unlink(filler), ==, 0);
        {
                g_autoptr(BtfOp) op = start_verify(f->conn, "");
                g_autoptr(GVariant) details = NULL;
                g_autofree char *r = wait_finished(op, &details);

                g_assert_cmpstr(r, ==, BIOGATE_RESULT_FAILED);
                g_assert_cmpstr(detail_string(details, "error"), ==, ERR "LockedOut");
        }
}

/* An enrolment with five touches of id; its result and details. */
static char *enroll_result(Fixture *f, const char *user, const char *finger, const char *id, GVariant **ret_details) {
        g_autoptr(BtfOp) op = start_enroll(f->conn, user, finger);
        char *result;

        for (int i = 0; i < 5; i++) {
                wait_finger_needed(op);
                touch(f, id);
        }
        result = wait_finished(op, ret_details);
        release(f->conn, op);
        return result;
}

/* A storage error that names the cause: not a hang, not a crash. */
static void assert_disk_full(const char *result, GVariant *details) {
        const char *message = detail_string(details, "message");

        g_assert_cmpstr(result, ==, BIOGATE_RESULT_FAILED);
        g_assert_cmpstr(detail_string(details, "error"), ==, ERR "StoreFull");
        g_assert_nonnull(message);
        g_test_message("disk full: %s", message);
        g_assert_nonnull(strstr(message, "Template store: cannot write"));
        g_assert_nonnull(strstr(message, g_strerror(ENOSPC)));
}

static void test_disk_full_during_enroll(DiskFixture *d, gconstpointer data) {
        Fixture *f = &d->f;
        g_autofree char *filler = NULL, *before = NULL, *after = NULL, *result = NULL, *again = NULL;
        g_autoptr(GVariant) details = NULL;
        g_auto(GStrv) fingers = NULL;
        guint free_pages;

        if (g_test_failed() || !d->mount)
                return;
        filler = g_build_filename(f->state, "filler", NULL);
        enroll(f, "", "right-index-finger", "first");

        /* Not a byte free: the second finger of the same user. */
        fill_up(filler, 0);
        before = tree_snapshot(f->state);
        result = enroll_result(f, "", "left-thumb", "second", &details);
        assert_disk_full(result, details);
        fingers = list_fingers(f->conn, "");
        g_assert_cmpuint(g_strv_length(fingers), ==, 1);
        g_assert_cmpstr(fingers[0], ==, "right-index-finger");
        after = tree_snapshot(f->state);
        g_assert_cmpstr(before, ==, after);
        g_assert_false(privacy_has_temp_files(f));

        /* A new user needs a key, a record and the template: with one page
         * more each time, the write fails at each of them in turn, and
         * nothing but whole files is left behind. */
        for (free_pages = 0; free_pages < 8; free_pages++) {
                g_autoptr(GVariant) d2 = NULL;
                g_autofree char *r2 = NULL;
                g_auto(GStrv) theirs = NULL;

                fill_up(filler, free_pages);
                r2 = enroll_result(f, OTHER_USER, "left-thumb", "other", &d2);
                g_test_message("%u free pages: %s", free_pages, r2);
                theirs = list_fingers(f->conn, OTHER_USER);
                g_assert_false(privacy_has_temp_files(f));
                if (g_str_equal(r2, BIOGATE_RESULT_COMPLETED)) {
                        g_assert_cmpuint(g_strv_length(theirs), ==, 1);
                        break;
                }
                assert_disk_full(r2, d2);
                g_assert_cmpuint(g_strv_length(theirs), ==, 0);
        }
        g_assert_cmpuint(free_pages, >, 0);
        g_assert_cmpuint(free_pages, <, 8);

        /* Both templates survive a restart on the full disk. */
        fill_up(filler, 0);
        restart_daemon(f, NULL);
        again = privacy_verify_finger(f, "right-index-finger", "first");
        g_assert_cmpstr(again, ==, BIOGATE_RESULT_MATCH);
        g_clear_pointer(&again, g_free);
        again = verify_with(f, f->conn, OTHER_USER, "other", NULL);
        g_assert_cmpstr(again, ==, BIOGATE_RESULT_MATCH);
        g_assert_false(privacy_has_temp_files(f));

        /* With room again, the enrolment that failed works. */
        g_assert_cmpint(unlink(filler), ==, 0);
        enroll(f, "", "left-thumb", "second");
        g_clear_pointer(&fingers, g_strfreev);
        fingers = list_fingers(f->conn, "");
        g_assert_cmpuint(g_strv_length(fingers), ==, 2);
        g_clear_pointer(&again, g_free);
        again = privacy_verify_finger(f, "left-thumb", "second");
        g_assert_cmpstr(again, ==, BIOGATE_RESULT_MATCH);
        g_assert_false(privacy_has_temp_files(f));
}

/* ---- kill -9 at random points of enrol/delete cycles ---- */

#define CYCLES 200
#define CYCLE_FINGERS 3

static const char *const cycle_users[] = { "", OTHER_USER };
static const char *const cycle_fingers[CYCLE_FINGERS] = { "left-thumb", "right-index-finger", "right-middle-finger" };

static char *cycle_id(guint user, guint finger) {
        return g_strdup_printf("cycle-%u-%s", user, cycle_fingers[finger]);
}

static gboolean strv_has(char **v, const char *s) {
        return v && g_strv_contains((const char *const *) v, s);
}

/* Enrols (user, finger), killing the daemon after kill_after touches
 * (after the Enroll call for 0; never for -1); the last touch is followed
 * by the kill after delay_us, inside the store write or not. */
static void cycle_enroll(Fixture *f, guint user, guint finger, int kill_after, guint delay_us) {
        g_autofree char *id = cycle_id(user, finger);
        g_autoptr(BtfOp) op = start_enroll(f->conn, cycle_users[user], cycle_fingers[finger]);
        g_autofree char *result = NULL;

        for (int i = 0; i < 5; i++) {
                if (i == kill_after) {
                        kill_daemon(f);
                        return;
                }
                wait_finger_needed(op);
                touch(f, id);
        }
        if (kill_after == 5) {
                g_usleep(delay_us);
                kill_daemon(f);
                return;
        }
        result = wait_finished(op, NULL);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_COMPLETED);
        release(f->conn, op);
}

static void on_delete_reply(GObject *source, GAsyncResult *res, gpointer user_data) {
        g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, NULL);
        (*(int *) user_data)++;
}

/* DeleteFingers, with the kill delay_us after the call went out when kill. */
static void cycle_delete(Fixture *f, guint user, guint finger, gboolean kill, guint delay_us) {
        const char *one[] = { cycle_fingers[finger], NULL };
        int replied = 0;

        if (!kill) {
                delete_fingers(f, cycle_users[user], cycle_fingers[finger]);
                return;
        }
        g_dbus_connection_call(f->conn, BIOGATE_BUS_NAME, BIOGATE_OBJECT_PATH, BIOGATE_MANAGER_INTERFACE,
                               "DeleteFingers", g_variant_new("(s^as)", cycle_users[user], one), NULL,
                               G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, on_delete_reply, &replied);
        g_dbus_connection_flush_sync(f->conn, NULL, NULL);
        g_usleep(delay_us);
        kill_daemon(f);
        /* The reply or the error for the vanished daemon. */
        while (!replied)
                g_main_context_iteration(NULL, TRUE);
}

/* Every file of the template store is one that belongs there: a sealed
 * template that ListFingers reports and that verifies, the user's record,
 * a user key; nothing half-written. */
static void check_store_consistent(Fixture *f, gboolean enrolled[][CYCLE_FINGERS], gboolean verify) {
        g_autofree char *prints = g_build_filename(f->state, "prints", NULL);
        g_autoptr(GDir) dir = g_dir_open(prints, 0, NULL);
        const char *uid_name;

        g_assert_nonnull(dir);
        g_assert_false(privacy_has_temp_files(f));
        /* What ListFingers says is exactly the model, for both users and
         * whether they have files or not: a kill that takes another
         * finger's template along (or brings a deleted one back) fails
         * here, at the check right after it. */
        for (guint user = 0; user < G_N_ELEMENTS(cycle_users); user++) {
                g_auto(GStrv) listed = list_fingers(f->conn, cycle_users[user]);
                guint expected = 0;

                for (guint finger = 0; finger < CYCLE_FINGERS; finger++) {
                        if (strv_has(listed, cycle_fingers[finger]) != enrolled[user][finger]) {
                                g_autofree char *all = g_strjoinv(", ", listed);
                                g_error("%s of %s is %s, the model says %s (listed: %s)", cycle_fingers[finger],
                                        user == 0 ? "root" : cycle_users[user],
                                        enrolled[user][finger] ? "gone" : "listed",
                                        enrolled[user][finger] ? "enrolled" : "not enrolled", all);
                        }
                        expected += enrolled[user][finger] ? 1 : 0;
                }
                /* Nothing else either, not twice. */
                g_assert_cmpuint(g_strv_length(listed), ==, expected);
        }
        while ((uid_name = g_dir_read_name(dir))) {
                g_autofree char *udir_path = g_build_filename(prints, uid_name, NULL);
                g_autoptr(GDir) udir = g_dir_open(udir_path, 0, NULL);
                guint user = g_str_equal(uid_name, "0") ? 0 : 1;
                g_auto(GStrv) listed = list_fingers(f->conn, cycle_users[user]);
                const char *name;

                /* Only the users of the test, and only as directories. */
                g_assert_true(g_str_equal(uid_name, "0") || g_str_equal(uid_name, "1"));
                g_assert_nonnull(udir);
                while ((name = g_dir_read_name(udir))) {
                        g_autofree char *path = g_build_filename(udir_path, name, NULL);
                        struct stat st;

                        g_assert_cmpint(lstat(path, &st), ==, 0);
                        g_assert_true(S_ISREG(st.st_mode));
                        g_assert_cmpint(st.st_size, >, 0);
                        if (g_str_equal(name, "record"))
                                continue;
                        if (!strv_has(listed, name))
                                g_error("%s is in the store but not listed", path);
                }
                for (char **l = listed; *l; l++) {
                        guint finger;

                        for (finger = 0; finger < CYCLE_FINGERS; finger++)
                                if (g_str_equal(*l, cycle_fingers[finger]))
                                        break;
                        g_assert_cmpuint(finger, <, CYCLE_FINGERS);
                        g_assert_true(enrolled[user][finger]);
                        if (verify) {
                                g_autofree char *id = cycle_id(user, finger);
                                g_autofree char *result = privacy_verify_user_finger(f, cycle_users[user], *l, id);
                                g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
                        }
                }
        }
        /* Each user with files has its key: nothing orphaned. */
        for (guint user = 0; user < G_N_ELEMENTS(cycle_users); user++) {
                g_autoptr(GVariant) data = privacy_user_data(f->conn, user == 0 ? NULL : cycle_users[user]);
                g_autoptr(GVariant) record_unusable = g_variant_lookup_value(data, "record-unusable", NULL);
                g_autofree const char **unusable = NULL;

                g_assert_true(g_variant_lookup(data, "unusable", "^a&s", &unusable));
                g_assert_cmpuint(g_strv_length((char **) unusable), ==, 0);
                g_assert_null(record_unusable);
        }
}

static void test_kill_random_cycles(Fixture *f, gconstpointer data) {
        const char *seed_env = g_getenv("BIOGATE_TEST_SEED");
        guint32 seed = seed_env ? (guint32) g_ascii_strtoull(seed_env, NULL, 10) : 20261125u;
        g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
        gboolean enrolled[G_N_ELEMENTS(cycle_users)][CYCLE_FINGERS] = { { FALSE } };
        gint64 start = g_get_monotonic_time();
        guint kills = 0;

        g_test_message("seed %u (BIOGATE_TEST_SEED=%u reproduces this run), %d cycles", seed, seed, CYCLES);
        for (guint cycle = 0; cycle < CYCLES; cycle++) {
                guint user = (guint) g_rand_int_range(rand, 0, G_N_ELEMENTS(cycle_users));
                guint finger = (guint) g_rand_int_range(rand, 0, CYCLE_FINGERS);
                /* A kill in one cycle of three: in enrolment at any of its
                 * steps, the last one after a delay that lands before, inside
                 * or after the store write; in a deletion after the call. */
                gboolean kill = g_rand_int_range(rand, 0, 3) == 0;
                int kill_after = kill ? g_rand_int_range(rand, 0, 6) : -1;
                guint delay_us = g_rand_boolean(rand) ? 0 : (guint) g_rand_int_range(rand, 0, 5000);
                g_auto(GStrv) listed = NULL;
                gboolean now;

                if (!enrolled[user][finger]) {
                        cycle_enroll(f, user, finger, kill_after, delay_us);
                        if (!kill)
                                enrolled[user][finger] = TRUE;
                } else {
                        cycle_delete(f, user, finger, kill, delay_us);
                        if (!kill)
                                enrolled[user][finger] = FALSE;
                }
                if (!kill)
                        continue;

                kills++;
                fixture_start_daemon(f, NULL);
                /* Either outcome of an interrupted step is fine; nothing in
                 * between is. */
                listed = list_fingers(f->conn, cycle_users[user]);
                now = strv_has(listed, cycle_fingers[finger]);
                g_test_message("cycle %u: killed %s %s of %s (step %d, %u us): %s", cycle,
                               enrolled[user][finger] ? "deleting" : "enrolling", cycle_fingers[finger],
                               user == 0 ? "root" : cycle_users[user], kill_after, delay_us,
                               now != enrolled[user][finger] ? "done" : "not done");
                enrolled[user][finger] = now;
                if (now) {
                        /* A template that survived a kill is whole. */
                        g_autofree char *id = cycle_id(user, finger);
                        g_autofree char *result = privacy_verify_user_finger(f, cycle_users[user],
                                                                             cycle_fingers[finger], id);
                        g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
                }
                check_store_consistent(f, enrolled, FALSE);
        }
        check_store_consistent(f, enrolled, TRUE);
        g_test_message("%d cycles, %u kills, %.1f s", CYCLES, kills,
                       (double) (g_get_monotonic_time() - start) / G_USEC_PER_SEC);
}

/* ---- symlinks and garbage in the state directory ---- */

static const char secret_text[] = "ROOT-ONLY-SECRET-0123456789-not-a-template";

static char *state_file(Fixture *f, const char *relative) {
        return g_build_filename(f->state, relative, NULL);
}

static void assert_secret_untouched(Fixture *f, const char *secret, const struct stat *was) {
        g_autofree char *contents = NULL, *log = btf_daemon_read_log(f->daemon);
        struct stat st;

        g_assert_true(g_file_get_contents(secret, &contents, NULL, NULL));
        g_assert_cmpstr(contents, ==, secret_text);
        g_assert_cmpint(lstat(secret, &st), ==, 0);
        g_assert_true(S_ISREG(st.st_mode));
        g_assert_cmpint(st.st_mtim.tv_sec, ==, was->st_mtim.tv_sec);
        g_assert_cmpint(st.st_mtim.tv_nsec, ==, was->st_mtim.tv_nsec);
        g_assert_cmpint(st.st_nlink, ==, 1);
        g_assert_null(strstr(log, "ROOT-ONLY-SECRET"));
}

static void test_symlinked_state_files(Fixture *f, gconstpointer data) {
        g_autofree char *secret = g_build_filename(f->tmp, "secret", NULL);
        g_autofree char *index = state_file(f, "prints/0/right-index-finger");
        g_autofree char *other_dir = state_file(f, "prints/1");
        g_autofree char *moved = g_build_filename(f->tmp, "moved-1", NULL);
        g_autofree char *moved_before = NULL, *moved_after = NULL;
        g_autoptr(GBytes) index_saved = NULL;
        g_auto(GStrv) fingers = NULL;
        g_autoptr(GError) error = NULL;
        struct stat secret_st, st;

        enroll(f, "", "right-index-finger", "sl-index");
        enroll(f, "", "left-thumb", "sl-thumb");
        enroll(f, OTHER_USER, "left-thumb", "sl-other");
        g_assert_true(g_file_set_contents(secret, secret_text, -1, NULL));
        g_assert_cmpint(chmod(secret, 0600), ==, 0);
        g_assert_cmpint(lstat(secret, &secret_st), ==, 0);
        index_saved = privacy_read_file(index);

        /* A template replaced by a symlink to a root-only file: not a
         * template, never opened through the link. */
        g_assert_cmpint(unlink(index), ==, 0);
        g_assert_cmpint(symlink(secret, index), ==, 0);
        for (int round = 0; round < 2; round++) {
                g_autofree char *err = NULL, *thumb = NULL;

                fingers = list_fingers(f->conn, "");
                g_assert_cmpuint(g_strv_length(fingers), ==, 1);
                g_assert_cmpstr(fingers[0], ==, "left-thumb");
                g_clear_pointer(&fingers, g_strfreev);
                err = privacy_verify_error(f, "right-index-finger");
                g_assert_cmpstr(err, ==, ERR "NoEnrolledPrints");
                thumb = verify_with(f, f->conn, "", "sl-thumb", NULL);
                g_assert_cmpstr(thumb, ==, BIOGATE_RESULT_MATCH);
                assert_secret_untouched(f, secret, &secret_st);
                /* The same from a fresh start, which reports the link. */
                if (round == 0)
                        restart_daemon(f, NULL);
        }
        g_assert_cmpuint(privacy_log_count(f, "audit store-file-rejected"), ==, 1);
        g_assert_cmpuint(privacy_log_count(f, "Ignoring prints/0/right-index-finger of the state directory: "
                                              "a symbolic link; not followed"), ==, 1);
        /* Enrolling the finger again replaces the link, not its target. */
        enroll(f, "", "right-index-finger", "sl-index2");
        g_assert_cmpint(lstat(index, &st), ==, 0);
        g_assert_true(S_ISREG(st.st_mode));
        assert_secret_untouched(f, secret, &secret_st);
        /* Deleting removes a link, never its target. */
        g_assert_cmpint(unlink(index), ==, 0);
        g_assert_cmpint(symlink(secret, index), ==, 0);
        {
                g_autoptr(GVariant) r = manager_call(f->conn, "DeleteFingers",
                                                     g_variant_new("(s^as)", "", (const char *[]) { "right-index-finger", NULL }),
                                                     NULL, &error);
                /* Not listed, so nothing to delete; the link stays a link. */
                assert_dbus_error(error, ERR "NoEnrolledPrints");
                g_clear_error(&error);
        }
        assert_secret_untouched(f, secret, &secret_st);
        g_assert_cmpint(unlink(index), ==, 0);
        privacy_write_file(index, g_bytes_get_data(index_saved, NULL), g_bytes_get_size(index_saved));

        /* A FIFO in place of a template: nobody writes to it, so an open
         * that waited would hang the daemon. */
        g_assert_cmpint(unlink(index), ==, 0);
        g_assert_cmpint(mkfifo(index, 0600), ==, 0);
        restart_daemon(f, NULL);
        g_assert_cmpuint(privacy_log_count(f, "Ignoring prints/0/right-index-finger of the state directory: "
                                              "a FIFO; not followed"), ==, 1);
        {
                g_autofree char *err = privacy_verify_error(f, "right-index-finger");
                g_autofree char *thumb = verify_with(f, f->conn, "", "sl-thumb", NULL);

                g_assert_cmpstr(err, ==, ERR "NoEnrolledPrints");
                g_assert_cmpstr(thumb, ==, BIOGATE_RESULT_MATCH);
        }
        g_assert_cmpint(unlink(index), ==, 0);
        privacy_write_file(index, g_bytes_get_data(index_saved, NULL), g_bytes_get_size(index_saved));

        /* Another user's directory replaced by a symlink to a copy: refused
         * as damaged, nothing written through it, root unaffected. */
        g_assert_cmpint(rename(other_dir, moved), ==, 0);
        g_assert_cmpint(symlink(moved, other_dir), ==, 0);
        moved_before = tree_snapshot(moved);
        restart_daemon(f, NULL);
        g_assert_cmpuint(privacy_log_count(f, "Ignoring prints/1 of the state directory: a symbolic link; "
                                              "not followed"), ==, 1);
        {
                g_autoptr(GVariant) r1 = manager_call(f->conn, "ListFingers", g_variant_new("(s)", OTHER_USER), "(as)",
                                                      &error);
                g_autoptr(GVariant) r2 = NULL, r3 = NULL, r4 = NULL;
                g_autofree char *mine = NULL;

                assert_dbus_error(error, ERR "StoreCorrupted");
                g_assert_nonnull(strstr(error->message, "a symbolic link; not followed"));
                g_clear_error(&error);
                r2 = manager_call(f->conn, "Verify", g_variant_new("(sa{sv})", OTHER_USER, NULL), "(o)", &error);
                assert_dbus_error(error, ERR "StoreCorrupted");
                g_clear_error(&error);
                r3 = manager_call(f->conn, "Enroll",
                                  g_variant_new("(ss@a{sv})", OTHER_USER, "right-thumb", consent_options()), "(o)",
                                  &error);
                assert_dbus_error(error, ERR "StoreCorrupted");
                g_clear_error(&error);
                r4 = manager_call(f->conn, "DeleteFingers", g_variant_new("(s^as)", OTHER_USER, (const char *[]) { NULL }),
                                  NULL, &error);
                assert_dbus_error(error, ERR "StoreCorrupted");
                g_clear_error(&error);

                mine = privacy_verify_finger(f, "right-index-finger", "sl-index");
                g_assert_cmpstr(mine, ==, BIOGATE_RESULT_MATCH);
        }
        moved_after = tree_snapshot(moved);
        g_assert_cmpstr(moved_before, ==, moved_after);
        g_assert_cmpint(lstat(other_dir, &st), ==, 0);
        g_assert_true(S_ISLNK(st.st_mode));
        g_assert_cmpint(unlink(other_dir), ==, 0);
        g_assert_cmpint(rename(moved, other_dir), ==, 0);
        {
                g_autofree char *theirs = verify_with(f, f->conn, OTHER_USER, "sl-other", NULL);
                g_assert_cmpstr(theirs, ==, BIOGATE_RESULT_MATCH);
        }

        /* Garbage in a template: random bytes, cut to a few bytes, empty.
         * Reported (audit event store-file-rejected), skipped, the other
         * finger still works. */
        for (int how = 0; how < 3; how++) {
                static const char *const hows[] = { "random bytes", "truncated", "zero-length" };
                g_autofree char *err = NULL, *good = NULL, *again = NULL;
                g_autoptr(GVariant) my = NULL;
                g_autofree const char **unusable = NULL;
                const char *skipped = "Skipping the unusable print right-index-finger of uid 0";
                guint logged = privacy_log_count(f, skipped);
                gsize size = g_bytes_get_size(index_saved);
                g_autofree guint8 *bytes = g_malloc(size);

                g_test_message("template: %s", hows[how]);
                for (gsize i = 0; i < size; i++)
                        bytes[i] = (guint8) g_random_int();
                if (how == 1)
                        memcpy(bytes, g_bytes_get_data(index_saved, NULL), size);
                privacy_write_file(index, bytes, how == 0 ? size : how == 1 ? 12 : 0);

                fingers = list_fingers(f->conn, "");
                g_assert_cmpuint(g_strv_length(fingers), ==, 2);
                g_clear_pointer(&fingers, g_strfreev);
                err = privacy_verify_error(f, "right-index-finger");
                g_assert_cmpstr(err, ==, ERR "StoreCorrupted");
                g_assert_cmpuint(privacy_log_count(f, skipped), >, logged);
                good = privacy_verify_finger(f, "left-thumb", "sl-thumb");
                g_assert_cmpstr(good, ==, BIOGATE_RESULT_MATCH);
                my = privacy_user_data(f->conn, NULL);
                g_assert_true(g_variant_lookup(my, "unusable", "^a&s", &unusable));
                g_assert_cmpuint(g_strv_length((char **) unusable), ==, 1);
                g_assert_cmpstr(unusable[0], ==, "right-index-finger");
                /* The other user never notices. */
                again = verify_with(f, f->conn, OTHER_USER, "sl-other", NULL);
                g_assert_cmpstr(again, ==, BIOGATE_RESULT_MATCH);
        }
        privacy_write_file(index, g_bytes_get_data(index_saved, NULL), g_bytes_get_size(index_saved));
        {
                g_autofree char *back = privacy_verify_finger(f, "right-index-finger", "sl-index");
                g_assert_cmpstr(back, ==, BIOGATE_RESULT_MATCH);
        }
}

/* ---- bad configuration and policy files ---- */

typedef enum {
        BAD_HUGE,
        BAD_BINARY,
        BAD_DIRECTORY,
        BAD_FIFO,
        BAD_SYMLINK,
        _BAD_MAX,
} BadFile;

static const char *const bad_names[_BAD_MAX] = { "huge", "binary", "a directory", "a FIFO", "a symlink" };

/* Puts a bad file at path; good_copy is a valid file for the symlink. */
static void plant_bad_file(const char *path, BadFile how, const char *good_copy) {
        int fd;

        switch (how) {
        case BAD_HUGE:
                /* 64 MiB of a valid-looking comment line: reading it all
                 * would take the memory; the size cap must refuse it. */
                fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                g_assert_cmpint(fd, >=, 0);
                g_assert_cmpint(write(fd, "# ", 2), ==, 2);
                g_assert_cmpint(ftruncate(fd, 64 * 1024 * 1024), ==, 0);
                g_assert_cmpint(close(fd), ==, 0);
                break;
        case BAD_BINARY: {
                guint8 junk[4096];

                for (gsize i = 0; i < sizeof junk; i++)
                        junk[i] = (guint8) g_random_int();
                junk[17] = junk[100] = 0;
                g_assert_true(g_file_set_contents(path, (const char *) junk, sizeof junk, NULL));
                g_assert_cmpint(chmod(path, 0644), ==, 0);
                break;
        }
        case BAD_DIRECTORY:
                g_assert_cmpint(mkdir(path, 0755), ==, 0);
                break;
        case BAD_FIFO:
                /* Root reads a mode 000 file: a FIFO is what cannot be read.
                 * Nobody writes to it: an open that waits would hang. */
                g_assert_cmpint(mkfifo(path, 0644), ==, 0);
                break;
        case BAD_SYMLINK:
                g_assert_cmpint(symlink(good_copy, path), ==, 0);
                break;
        default:
                g_assert_not_reached();
        }
}

static void remove_bad_file(const char *path) {
        g_assert_cmpint(remove(path), ==, 0);
}

static void test_bad_config_and_policy(Fixture *f, gconstpointer data) {
        g_autofree char *conf = g_build_filename(f->tmp, "biogate.conf", NULL);
        g_autofree char *good_conf = g_build_filename(f->tmp, "good.conf", NULL);
        g_autofree char *conf_arg = g_strdup_printf("--config=%s", conf);
        g_autofree char *dir = fixture_write_policy(f, "10-good.conf", stepup_policy);
        g_autofree char *bad_policy = g_build_filename(dir, "05-bad.conf", NULL);
        g_autofree char *good_policy = g_build_filename(f->tmp, "good-policy.conf", NULL);
        g_autofree char *dir_arg = g_strdup_printf("--policy-dir=%s", dir);
        g_autofree char *vendor_arg = g_strdup_printf("--vendor-policy=%s", good_policy);
        const char *policy_args[] = { dir_arg, vendor_arg, NULL };
        static const char *const config_says[_BAD_MAX] = {
                "not a regular file of at most", "not UTF-8 text", "not a regular file", "not a regular file",
                "symbolic link",
        };
        /* A start that exits at once: well under a second plain, about 3x
         * slower under the sanitizers, with room for a loaded machine. */
        const gint64 refuse_bound = (sanitized() ? 15 : 5) * G_USEC_PER_SEC;
        static const char *const policy_says[_BAD_MAX] = {
                /* The junk has NUL bytes (plant_bad_file): the pre-scan
                 * refuses them before it looks at UTF-8. */
                "larger than 1 MiB; refused", "NUL byte: not a text file", "not a regular file; refused",
                "not a regular file; refused", "is a symbolic link; refused",
        };

        g_assert_true(g_file_set_contents(good_conf, "[daemon]\nidle_exit_seconds=60\n", -1, NULL));
        g_assert_cmpint(chmod(good_conf, 0644), ==, 0);
        /* The vendor policy would let everything through: it must not stand
         * in for a site policy that is there but broken. */
        g_assert_true(g_file_set_contents(good_policy, "[default]\nrequire=none\n", -1, NULL));
        g_assert_cmpint(chmod(good_policy, 0644), ==, 0);

        /* The configuration: the daemon refuses to start, naming the file,
         * well within the deadline (no read of 64 MiB, no wait on a FIFO). */
        for (BadFile how = 0; how < _BAD_MAX; how++) {
                g_autoptr(GError) error = NULL;
                g_autofree char *log = NULL;
                g_autofree char *state = g_build_filename(f->tmp, "state-conf", NULL);
                const char *args[] = { conf_arg, NULL };
                BtfDaemonOptions options = { .daemon_path = BIOGATED_PATH, .state_dir = state, .extra_args = args };
                gint64 start = g_get_monotonic_time(), took;
                int status = 0;

                g_test_message("config file: %s", bad_names[how]);
                plant_bad_file(conf, how, good_conf);
                g_assert_true(btf_daemon_run_expect_exit(f->bus, &options, &status, &log, &error));
                g_assert_no_error(error);
                btf_assert_exit_code(status, 1);
                if (!strstr(log, conf) || !strstr(log, config_says[how]))
                        g_error("config %s: expected \"%s\" naming %s in:\n%s", bad_names[how], config_says[how], conf, log);
                took = g_get_monotonic_time() - start;
                g_test_message("refused after %" G_GINT64_FORMAT " ms", took / 1000);
                /* Seconds, not the harness's time-out: a read of 64 MiB or a
                 * wait on the FIFO would show here. */
                if (took > refuse_bound)
                        g_error("config %s: refused after %" G_GINT64_FORMAT " ms (bound %" G_GINT64_FORMAT " ms)",
                                bad_names[how], took / 1000, refuse_bound / 1000);
                remove_bad_file(conf);
        }

        /* A policy directory with one bad file next to a good one: the
         * whole directory is refused (not the vendor's, not half of it),
         * every step-up is denied, logins still work. */
        for (BadFile how = 0; how < _BAD_MAX; how++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) r1 = NULL, r2 = NULL;
                g_autofree char *good_copy = g_build_filename(f->tmp, "50-bad-target.conf", NULL);
                g_autofree char *result = NULL;

                g_test_message("policy file: %s", bad_names[how]);
                g_assert_true(g_file_set_contents(good_copy, stepup_policy, -1, NULL));
                g_assert_cmpint(chmod(good_copy, 0644), ==, 0);
                plant_bad_file(bad_policy, how, good_copy);
                fixture_start_daemon(f, policy_args);

                r1 = call_on(f->conn, BIOGATE_OBJECT_PATH, BIOGATE_STEPUP_INTERFACE, "Evaluate",
                             g_variant_new("(@a{sv})", tx_new("withdrawal", "250000.00", "USD", "ACME Ltd")), "(ssa{sv})", &error);
                assert_dbus_error(error, ERR "PolicyUnavailable");
                g_clear_error(&error);
                r2 = call_on(f->conn, BIOGATE_OBJECT_PATH, BIOGATE_STEPUP_INTERFACE, "Authorize",
                             g_variant_new("(@a{sv}a{sv})", tx_new("withdrawal", "1.00", "USD", NULL), NULL), "(o)", &error);
                assert_dbus_error(error, ERR "PolicyUnavailable");
                g_clear_error(&error);
                /* Said in the log (audit event policy-rejected), naming the file. */
                if (privacy_log_count(f, "Step-up policy rejected, denying every step-up") == 0 ||
                    privacy_log_count(f, policy_says[how]) == 0 || privacy_log_count(f, bad_policy) == 0) {
                        g_autofree char *log = btf_daemon_read_log(f->daemon);
                        g_error("policy %s: expected \"%s\" naming %s in:\n%s", bad_names[how], policy_says[how],
                                bad_policy, log);
                }
                g_assert_cmpuint(privacy_log_count(f, "Step-up policy loaded"), ==, 0);

                /* Biometric login is not affected. */
                enroll(f, "", "right-index-finger", "bp");
                result = verify_with(f, f->conn, "", "bp", NULL);
                g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
                delete_fingers(f, "", "right-index-finger");

                g_assert_true(btf_daemon_stop(f->daemon, NULL, &error));
                g_assert_no_error(error);
                remove_bad_file(bad_policy);
                remove_bad_file(good_copy);
        }

        /* The same files appearing under a running daemon: Reload refuses
         * them, naming the file, and the policy that was loaded stays. */
        fixture_start_daemon(f, policy_args);
        for (BadFile how = 0; how < _BAD_MAX; how++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) r1 = NULL, r2 = NULL;
                g_autofree char *good_copy = g_build_filename(f->tmp, "50-bad-target.conf", NULL);
                const char *rule = NULL, *requirement = NULL;

                g_test_message("policy file on reload: %s", bad_names[how]);
                g_assert_true(g_file_set_contents(good_copy, stepup_policy, -1, NULL));
                g_assert_cmpint(chmod(good_copy, 0644), ==, 0);
                plant_bad_file(bad_policy, how, good_copy);
                r1 = call_on(f->conn, BIOGATE_OBJECT_PATH, BIOGATE_MANAGER_INTERFACE, "Reload", NULL, NULL, &error);
                assert_dbus_error(error, ERR "PolicyUnavailable");
                g_assert_nonnull(strstr(error->message, bad_policy));
                g_assert_nonnull(strstr(error->message, policy_says[how]));
                g_clear_error(&error);
                r2 = call_on(f->conn, BIOGATE_OBJECT_PATH, BIOGATE_STEPUP_INTERFACE, "Evaluate",
                             g_variant_new("(@a{sv})", tx_new("withdrawal", "250000.00", "USD", "ACME Ltd")), "(ssa{sv})", &error);
                g_assert_no_error(error);
                g_variant_get(r2, "(&s&sa{sv})", &rule, &requirement, NULL);
                g_assert_cmpstr(rule, ==, "withdrawals");
                g_assert_cmpstr(requirement, ==, "fingerprint");
                remove_bad_file(bad_policy);
                remove_bad_file(good_copy);
        }
        g_assert_cmpuint(privacy_log_count(f, "Step-up policy rejected, keeping the previous one"), ==, _BAD_MAX);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

        /* Before any thread exists (unshare() refuses threaded callers): a
         * mount namespace of this test's own, so that a tmpfs it mounts can
         * never outlive it or be seen by other tests. */
        if (unshare(CLONE_NEWNS) < 0)
                mount_namespace_error = g_strdup_printf("unshare(CLONE_NEWNS): %s", g_strerror(errno));
        else if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                mount_namespace_error = g_strdup_printf("making / private: %s", g_strerror(errno));
        else
                own_mount_namespace = TRUE;

#define ADD(path, fn) g_test_add("/faults/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
        ADD("biogatectl-daemon-killed-mid-verify", test_ctl_killed_mid_verify);
        g_test_add("/faults/biogatectl-daemon-killed-mid-authorize", Fixture, NULL, privacy_setup_no_daemon,
                   test_ctl_killed_mid_authorize, fixture_teardown);
        ADD("sensor-faults-each-enroll-stage", test_sensor_faults_each_stage);
        g_test_add("/faults/disk-full-during-enroll", DiskFixture, NULL, disk_setup, test_disk_full_during_enroll,
                   disk_teardown);
        g_test_add("/faults/disk-full-failures-counted", DiskFixture, NULL, disk_setup,
                   test_disk_full_failures_counted, disk_teardown);
        ADD("kill-random-enroll-delete-cycles", test_kill_random_cycles);
        ADD("symlinked-state-files", test_symlinked_state_files);
        g_test_add("/faults/bad-config-and-policy", Fixture, NULL, privacy_setup_no_daemon,
                   test_bad_config_and_policy, fixture_teardown);
        return g_test_run();
}
