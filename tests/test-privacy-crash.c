/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Crash safety and leak scans against the real daemon: kill -9 at every
 * step of an enrolment and an erasure leaves the old or the new state,
 * never a half-written one; nothing biometric crosses the bus or reaches
 * the daemon's output. */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "privacy-fixture.h"

/* ---- kill -9 ---- */

typedef struct {
        char *snapshot;
        char *arm;
        char *log;
        gboolean term; /* SIGTERM at the step, not SIGKILL */
} Crash;

static void crash_clear(Crash *c) {
        g_free(c->snapshot);
        g_free(c->arm);
        g_free(c->log);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Crash, crash_clear)

/* The state as it was at the snapshot, and a daemon on it: with the shim
 * killing it before step `at` (0: only counting), or plain (at < 0). */
static void restart_at(Fixture *f, Crash *c, int at) {
        const char *preload = g_getenv("BIOGATE_TEST_CRASH_PRELOAD");
        g_autofree char *e1 = g_strdup_printf("LD_PRELOAD=%s", preload ? preload : "");
        g_autofree char *e2 = g_strdup_printf("BIOGATE_TEST_CRASH_DIR=%s", f->state);
        g_autofree char *e3 = g_strdup_printf("BIOGATE_TEST_CRASH_ARM=%s", c->arm);
        g_autofree char *e4 = g_strdup_printf("BIOGATE_TEST_CRASH_AT=%d", at);
        g_autofree char *e5 = g_strdup_printf("BIOGATE_TEST_CRASH_LOG=%s", c->log);
        /* The shim is not first in line: fine for a test, not for ASan. */
        const char *env[] = { e1, e2, e3, e4, e5, "ASAN_OPTIONS=verify_asan_link_order=0",
                              c->term ? "BIOGATE_TEST_CRASH_TERM=1" : NULL, NULL };

        (void) g_unlink(c->arm);
        (void) g_unlink(c->log);
        if (f->daemon && !btf_daemon_has_exited(f->daemon)) {
                g_autoptr(GError) error = NULL;
                g_assert_true(btf_daemon_kill(f->daemon, NULL, &error));
        }
        if (at >= 0) {
                privacy_remove_tree(f->state);
                privacy_copy_tree(c->snapshot, f->state);
        }
        fixture_start_daemon_full(f, at >= 0 ? env : NULL, NULL);
}

static void arm(Crash *c) {
        g_assert_true(g_file_set_contents(c->arm, "", 0, NULL));
}

static guint steps_counted(Crash *c) {
        g_autofree char *log = NULL;
        guint n = 0;

        if (!g_file_get_contents(c->log, &log, NULL, NULL))
                return 0;
        for (const char *p = log; *p; p++)
                n += *p == '\n';
        return n;
}

static void expect_killed(Fixture *f) {
        g_autoptr(GError) error = NULL;
        int status = 0;

        g_assert_true(btf_daemon_wait_exit(f->daemon, T, &status, &error));
        g_assert_no_error(error);
        btf_assert_signaled(status, SIGKILL);
}

static void snapshot(Fixture *f, Crash *c) {
        g_autoptr(GError) error = NULL;
        int status = 0;

        g_assert_true(btf_daemon_stop(f->daemon, &status, &error));
        privacy_copy_tree(f->state, c->snapshot);
}

static void crash_init(Fixture *f, Crash *c) {
        c->snapshot = g_build_filename(f->tmp, "snapshot", NULL);
        c->arm = g_build_filename(f->tmp, "crash-arm", NULL);
        c->log = g_build_filename(f->tmp, "crash-steps.log", NULL);
}

static gboolean has_finger_of(Fixture *f, const char *user, const char *finger) {
        g_auto(GStrv) fingers = list_fingers(f->conn, user);

        return g_strv_contains((const char *const *) fingers, finger);
}

static gboolean has_finger(Fixture *f, const char *finger) {
        return has_finger_of(f, "", finger);
}

static gsize consents_of(Fixture *f, const char *user) {
        g_autoptr(GVariant) my = privacy_user_data(f->conn, user);
        g_autoptr(GVariant) c = g_variant_lookup_value(my, "consent", NULL);
        g_autoptr(GVariant) unusable = g_variant_lookup_value(my, "unusable", NULL);

        /* Whatever the state, nothing in it is damaged. */
        g_assert_cmpuint(g_variant_n_children(unusable), ==, 0);
        return g_variant_n_children(c);
}

static gsize consents(Fixture *f) {
        return consents_of(f, NULL);
}

static void assert_verifies(Fixture *f, const char *finger, const char *id) {
        g_autofree char *result = privacy_verify_finger(f, finger, id);

        g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
}

/* After an interrupted enrolment of finger of user: root's left thumb as
 * before, and the new finger either complete or absent. TRUE for new. */
static gboolean check_after_enroll(Fixture *f, const char *user, const char *finger, const char *id) {
        gboolean is_new = has_finger_of(f, user, finger);

        g_assert_true(has_finger(f, "left-thumb"));
        g_assert_false(privacy_has_temp_files(f));
        (void) consents_of(f, user);
        assert_verifies(f, "left-thumb", "ce-old");
        if (is_new) {
                g_autofree char *result = privacy_verify_user_finger(f, user, finger, id);
                g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
        }
        return is_new;
}

/* kill -9 before each step the enrolment takes on the state directory. */
static void crash_enroll_steps(Fixture *f, Crash *c, const char *user, const char *finger, const char *id) {
        gboolean saw_old = FALSE, saw_new = FALSE;
        guint steps;

        restart_at(f, c, 0);
        arm(c);
        enroll(f, user, finger, id);
        steps = steps_counted(c);
        g_test_message("enrolling %s of '%s' takes %u steps on the state directory", finger, user, steps);
        /* record and template, each: write, fsync, rename, fsync of the directory */
        g_assert_cmpuint(steps, >=, 8);

        for (guint at = 1; at <= steps; at++) {
                g_autoptr(BtfOp) op = NULL;

                restart_at(f, c, (int) at);
                arm(c);
                op = start_enroll(f->conn, user, finger);
                for (guint i = 0; i < 5; i++) {
                        wait_finger_needed(op);
                        touch(f, id);
                }
                expect_killed(f);
                restart_at(f, c, -1);
                if (check_after_enroll(f, user, finger, id))
                        saw_new = TRUE;
                else
                        saw_old = TRUE;
        }
        g_assert_true(saw_old);
        g_assert_true(saw_new);
}

static void test_crash_enroll(Fixture *f, gconstpointer data) {
        g_auto(Crash) c = { 0 };

        if (!g_getenv("BIOGATE_TEST_CRASH_PRELOAD")) {
                g_test_skip("BIOGATE_TEST_CRASH_PRELOAD is not set (run through meson test)");
                return;
        }
        crash_init(f, &c);
        enroll(f, "", "left-thumb", "ce-old");
        snapshot(f, &c);

        /* kill -9 at each stage of the enrolment (the sensor part): nothing
         * is stored yet, whatever the stage. */
        for (guint stage = 0; stage <= 5; stage++) {
                g_autoptr(BtfOp) op = NULL;
                g_autoptr(GError) error = NULL;

                restart_at(f, &c, 0);
                op = start_enroll(f->conn, "", "right-index-finger");
                for (guint i = 0; i < stage; i++) {
                        wait_finger_needed(op);
                        touch(f, "ce-new");
                }
                g_assert_true(btf_daemon_kill(f->daemon, NULL, &error));
                g_assert_no_error(error);
                restart_at(f, &c, -1);
                (void) check_after_enroll(f, "", "right-index-finger", "ce-new");
        }

        /* The store part: another finger of a user with a key, and the
         * first finger of a user without one (the key is made too). */
        crash_enroll_steps(f, &c, "", "right-index-finger", "ce-new");
        crash_enroll_steps(f, &c, OTHER_USER, "left-ring-finger", "ce-other");
}

/* After an interrupted erasure: everything as before, or nothing at all. */
static gboolean check_after_erase(Fixture *f) {
        g_autofree char *udir = g_build_filename(f->state, "prints", "0", NULL);
        g_autofree char *key = g_build_filename(f->state, "keys", "0", NULL);
        gboolean erased = !has_finger(f, "left-thumb");

        g_assert_false(privacy_has_temp_files(f));
        if (erased) {
                g_assert_false(has_finger(f, "right-index-finger"));
                g_assert_cmpuint(consents(f), ==, 0);
                g_assert_false(g_file_test(udir, G_FILE_TEST_EXISTS));
                g_assert_false(g_file_test(key, G_FILE_TEST_EXISTS));
                return TRUE;
        }
        g_assert_true(has_finger(f, "right-index-finger"));
        g_assert_cmpuint(consents(f), ==, 2);
        assert_verifies(f, "left-thumb", "cx-thumb");
        assert_verifies(f, "right-index-finger", "cx-index");
        return FALSE;
}

static void test_crash_erase(Fixture *f, gconstpointer data) {
        g_auto(Crash) c = { 0 };
        gboolean saw_old = FALSE, saw_new = FALSE;
        guint steps;

        if (!g_getenv("BIOGATE_TEST_CRASH_PRELOAD")) {
                g_test_skip("BIOGATE_TEST_CRASH_PRELOAD is not set (run through meson test)");
                return;
        }
        crash_init(f, &c);
        enroll(f, "", "left-thumb", "cx-thumb");
        enroll(f, "", "right-index-finger", "cx-index");
        snapshot(f, &c);

        restart_at(f, &c, 0);
        arm(&c);
        {
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) r = manager_call(f->conn, "EraseUser", g_variant_new("(s)", ""), "(a{sv})", &error);
                g_assert_no_error(error);
        }
        steps = steps_counted(&c);
        g_test_message("an erasure takes %u steps on the state directory", steps);
        g_assert_cmpuint(steps, >=, 6); /* shred: write, fsync, unlink, fsync; 3 unlinks, rmdir... */

        for (guint at = 1; at <= steps; at++) {
                restart_at(f, &c, (int) at);
                arm(&c);
                /* The reply never comes: the daemon dies first. */
                g_dbus_connection_call(f->conn, BIOGATE_BUS_NAME, BIOGATE_OBJECT_PATH, BIOGATE_MANAGER_INTERFACE,
                                       "EraseUser", g_variant_new("(s)", ""), NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                       NULL, NULL);
                expect_killed(f);
                restart_at(f, &c, -1);
                if (check_after_erase(f))
                        saw_new = TRUE;
                else
                        saw_old = TRUE;
        }
        g_assert_true(saw_old);
        g_assert_true(saw_new);
}

/* SIGTERM (systemctl stop) while an erasure's writes run in a worker
 * thread: the daemon finishes the erasure, answers the caller, logs the
 * audit event, and only then exits, cleanly. */
static void test_term_during_erase(Fixture *f, gconstpointer data) {
        g_auto(Crash) c = { 0 };
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GError) error = NULL;
        gint64 start;
        int status = 0;

        if (!g_getenv("BIOGATE_TEST_CRASH_PRELOAD")) {
                g_test_skip("BIOGATE_TEST_CRASH_PRELOAD is not set (run through meson test)");
                return;
        }
        crash_init(f, &c);
        enroll(f, "", "left-thumb", "cx-thumb");
        snapshot(f, &c);
        c.term = TRUE;
        /* Step 2: the erasure has begun on disk, in the worker thread. */
        restart_at(f, &c, 2);
        arm(&c);
        start = g_get_monotonic_time();
        reply = manager_call(f->conn, "EraseUser", g_variant_new("(s)", ""), "(a{sv})", &error);
        g_assert_no_error(error);
        g_assert_true(btf_daemon_wait_exit(f->daemon, T, &status, &error));
        g_assert_no_error(error);
        btf_assert_exit_code(status, 0);
        g_test_message("SIGTERM during an erasure: reply and exit after %" G_GINT64_FORMAT " ms",
                       (g_get_monotonic_time() - start) / 1000);
        g_assert_cmpuint(privacy_log_count(f, "audit erase"), ==, 1);

        c.term = FALSE;
        restart_at(f, &c, -1);
        g_assert_true(check_after_erase(f));
}

/* ---- nothing biometric on the bus or in the output ---- */

typedef struct {
        GMutex lock;
        GPtrArray *messages; /* GBytes: each message as sent on the wire */
        char *self;
        char *barrier;
        gboolean barrier_seen;
} Monitor;

static void monitor_free(gpointer data) {
        Monitor *m = data;

        g_ptr_array_unref(m->messages);
        g_free(m->self);
        g_free(m->barrier);
        g_mutex_clear(&m->lock);
        g_free(m);
}

static GDBusMessage *monitor_filter(GDBusConnection *connection, GDBusMessage *message, gboolean incoming,
                                    gpointer user_data) {
        Monitor *m = user_data;
        g_autoptr(GMutexLocker) locker = NULL;
        guchar *blob;
        gsize size = 0;

        /* Replies to our own BecomeMonitor call and the bus's notices to us
         * go on; everything else is a monitored copy, kept and dropped (a
         * monitor must never answer). */
        if (!incoming || g_strcmp0(g_dbus_message_get_destination(message), m->self) == 0)
                return message;
        blob = g_dbus_message_to_blob(message, &size, G_DBUS_CAPABILITY_FLAGS_UNIX_FD_PASSING, NULL);
        locker = g_mutex_locker_new(&m->lock);
        if (blob) {
                if (memmem(blob, size, m->barrier, strlen(m->barrier)))
                        m->barrier_seen = TRUE;
                g_ptr_array_add(m->messages, g_bytes_new_take(blob, size));
        }
        g_object_unref(message);
        g_main_context_wakeup(NULL);
        return NULL;
}

static gboolean barrier_seen(Monitor *m) {
        g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&m->lock);

        return m->barrier_seen;
}

static gboolean set_flag(gpointer user_data) {
        *(gboolean *) user_data = TRUE;
        return G_SOURCE_REMOVE;
}

/* Everything routed before this call has reached the monitor after it. */
static void monitor_sync(Fixture *f, Monitor *m) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = NULL;
        gboolean timed_out = FALSE;
        guint timeout = g_timeout_add(btf_timeout_default_ms(), set_flag, &timed_out);

        r = g_dbus_connection_call_sync(f->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                        "NameHasOwner", g_variant_new("(s)", m->barrier), NULL,
                                        G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
        g_assert_no_error(error);
        while (!barrier_seen(m) && !timed_out)
                g_main_context_iteration(NULL, TRUE);
        if (!timed_out)
                g_source_remove(timeout);
        g_assert_true(barrier_seen(m));
}

static void assert_absent(GBytes *haystack, GBytes *needle, const char *what) {
        if (memmem(g_bytes_get_data(haystack, NULL), g_bytes_get_size(haystack), g_bytes_get_data(needle, NULL),
                   g_bytes_get_size(needle)))
                g_error("%s contains template bytes", what);
}

static void test_no_template_leak(Fixture *f, gconstpointer data) {
        static const char id[] = "LEAKCHECK-print-5f1e2d3c4b5a6978";
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusConnection) mon = btf_bus_connect(f->bus, &error);
        g_autoptr(GVariant) r = NULL, my = NULL;
        g_autoptr(GBytes) id_bytes = g_bytes_new_static(id, sizeof id - 1), plain = NULL, log_bytes = NULL;
        g_autofree char *result = NULL, *log = NULL, *print = NULL;
        Monitor *m = g_new0(Monitor, 1);
        guint filter, finished = 0;
        int status = 0;

        g_assert_no_error(error);
        g_mutex_init(&m->lock);
        m->messages = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
        m->self = g_strdup(g_dbus_connection_get_unique_name(mon));
        m->barrier = g_strdup_printf("org.biogate1.test.barrier%d", (int) getpid());
        /* The filter runs in GDBus's worker thread, possibly even after it
         * is removed: GDBus frees m once no call can be running. */
        filter = g_dbus_connection_add_filter(mon, monitor_filter, m, monitor_free);
        r = g_dbus_connection_call_sync(mon, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus.Monitoring", "BecomeMonitor",
                                        g_variant_new("(^asu)", (const char *[]) { NULL }, 0u), NULL,
                                        G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
        g_assert_no_error(error);

        enroll(f, "", "right-index-finger", id);
        result = verify_with(f, f->conn, "", id, NULL);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
        my = privacy_user_data(f->conn, NULL);
        monitor_sync(f, m);

        g_assert_true(btf_daemon_stop(f->daemon, &status, &error));
        {
                g_autoptr(BiogatedStore) store = privacy_open_store(f);
                plain = biogated_store_read_print(store, 0, BIOGATE_FINGER_RIGHT_INDEX, NULL, NULL, &error);
                g_assert_no_error(error);
        }
        /* The search would find it: the template carries the print id. */
        g_assert_nonnull(memmem(g_bytes_get_data(plain, NULL), g_bytes_get_size(plain), id, sizeof id - 1));

        g_mutex_lock(&m->lock);
        g_test_message("%u messages seen on the bus", m->messages->len);
        for (guint i = 0; i < m->messages->len; i++) {
                GBytes *msg = g_ptr_array_index(m->messages, i);
                assert_absent(msg, id_bytes, "a D-Bus message");
                assert_absent(msg, plain, "a D-Bus message");
                finished += memmem(g_bytes_get_data(msg, NULL), g_bytes_get_size(msg), "Finished", 8) != NULL;
        }
        g_mutex_unlock(&m->lock);
        /* It really watched the daemon: the enrolment's and the verification's results. */
        g_assert_cmpuint(finished, >=, 2);

        log = btf_daemon_read_log(f->daemon);
        log_bytes = g_bytes_new(log, strlen(log));
        assert_absent(log_bytes, id_bytes, "biogated's output");
        assert_absent(log_bytes, plain, "biogated's output");
        print = g_build_filename(f->state, "prints", "0", "right-index-finger", NULL);
        {
                g_autoptr(GBytes) sealed = privacy_read_file(print);
                assert_absent(sealed, id_bytes, "the sealed file");
        }

        g_assert_true(g_dbus_connection_close_sync(mon, NULL, &error));
        g_assert_no_error(error);
        g_dbus_connection_remove_filter(mon, filter);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

        g_test_add("/privacy/crash-enroll", Fixture, NULL, fixture_setup, test_crash_enroll, fixture_teardown);
        g_test_add("/privacy/crash-erase", Fixture, NULL, fixture_setup, test_crash_erase, fixture_teardown);
        g_test_add("/privacy/term-during-erase", Fixture, NULL, fixture_setup, test_term_during_erase, fixture_teardown);
        g_test_add("/privacy/no-template-leak", Fixture, NULL, fixture_setup, test_no_template_leak, fixture_teardown);
        return g_test_run();
}
