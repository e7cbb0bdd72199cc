/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Integration tests: a private dbus-daemon with biogate's bus policy, the
 * real biogated from the build tree, libfprint's virtual sensors. Each test
 * gets its own bus, daemon and state directory. */
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon-fixture.h"
#include "synth-finger.h"

/* ---- tests ---- */

static GDBusNodeInfo *introspect(GDBusConnection *conn, const char *path) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = call_on(conn, path, "org.freedesktop.DBus.Introspectable", "Introspect", NULL,
                                            "(s)", &error);
        const char *xml;
        GDBusNodeInfo *node;

        g_assert_no_error(error);
        g_variant_get(reply, "(&s)", &xml);
        node = g_dbus_node_info_new_for_xml(xml, &error);
        g_assert_no_error(error);
        return node;
}

/* The running daemon serves exactly the API in daemon/org.biogate1.xml. */
static void test_introspection(Fixture *f, gconstpointer data) {
        g_autofree char *xml = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusNodeInfo) want = NULL, manager = NULL, operation = NULL;
        g_autoptr(BtfOp) op = NULL;

        g_assert_true(g_file_get_contents(BIOGATE_API_XML, &xml, NULL, &error));
        want = g_dbus_node_info_new_for_xml(xml, &error);
        g_assert_no_error(error);

        manager = introspect(f->conn, BIOGATE_OBJECT_PATH);
        assert_same_interface(g_dbus_node_info_lookup_interface(want, BIOGATE_MANAGER_INTERFACE),
                              g_dbus_node_info_lookup_interface(manager, BIOGATE_MANAGER_INTERFACE));

        enroll(f, "", "right-index-finger", "intro");
        op = start_verify(f->conn, "");
        operation = introspect(f->conn, btf_op_get_path(op));
        assert_same_interface(g_dbus_node_info_lookup_interface(want, BIOGATE_OPERATION_INTERFACE),
                              g_dbus_node_info_lookup_interface(operation, BIOGATE_OPERATION_INTERFACE));
        release(f->conn, op);
}

static void test_list_devices(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = manager_call(f->conn, "ListDevices", NULL, "(a(ssa{sv}))", &error);
        g_autoptr(GVariant) list = NULL, details = NULL;
        const char *id, *name, *driver;
        gboolean is_default = FALSE;
        gint32 stages = 0;

        g_assert_no_error(error);
        list = g_variant_get_child_value(reply, 0);
        g_assert_cmpuint(g_variant_n_children(list), ==, 1);
        g_variant_get_child(list, 0, "(&s&s@a{sv})", &id, &name, &details);
        g_assert_true(g_variant_lookup(details, "driver", "&s", &driver));
        g_assert_cmpstr(driver, ==, "virtual_device");
        g_assert_true(g_variant_lookup(details, "enroll-stages", "i", &stages));
        g_assert_cmpint(stages, ==, 5);
        g_assert_true(g_variant_lookup(details, "default", "b", &is_default));
        g_assert_true(is_default);
}

static void test_enroll_verify_match(Fixture *f, gconstpointer data) {
        g_auto(GStrv) fingers = NULL;
        g_autoptr(GVariant) details = NULL;
        g_autofree char *result = NULL, *print = g_build_filename(f->state, "prints", "0", "right-index-finger", NULL);
        struct stat st;

        enroll(f, "", "right-index-finger", "alice");
        fingers = list_fingers(f->conn, "");
        g_assert_cmpuint(g_strv_length(fingers), ==, 1);
        g_assert_cmpstr(fingers[0], ==, "right-index-finger");
        /* Stored root-only. */
        g_assert_cmpint(lstat(print, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 07777, ==, 0600);

        result = verify_with(f, f->conn, "", "alice", &details);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
        g_assert_cmpstr(detail_string(details, "finger"), ==, "right-index-finger");
        g_assert_cmpstr(detail_string(details, "user"), ==, "root");
}

static void test_verify_no_match(Fixture *f, gconstpointer data) {
        g_autofree char *result = NULL;

        enroll(f, "", "right-index-finger", "alice");
        result = verify_with(f, f->conn, "", "mallory", NULL);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_NO_MATCH);
}

static void test_verify_no_prints(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfOp) op = start_op(f->conn, "Verify", g_variant_new("(sa{sv})", "", NULL), &error);

        assert_dbus_error(error, "org.biogate1.Error.NoEnrolledPrints");
}

/* virtual_device can only verify: every finger is tried, one touch each. */
static void test_verify_checks_all_fingers(Fixture *f, gconstpointer data) {
        g_autoptr(BtfOp) op = NULL;
        g_autoptr(GVariant) details = NULL;
        g_autofree char *result = NULL;

        enroll(f, "", "left-thumb", "thumb");
        enroll(f, "", "right-index-finger", "index");
        op = start_verify(f->conn, "");
        wait_finger_needed(op);
        touch(f, "index"); /* not the left thumb */
        wait_finger_needed(op);
        touch(f, "index");
        result = wait_finished(op, &details);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
        g_assert_cmpstr(detail_string(details, "finger"), ==, "right-index-finger");
}

/* Verify's "finger-needed" names the fingers the touch can match (the PAM
 * module's prompt comes from it); enrolment's names none. */
static void test_verify_names_fingers(Fixture *f, gconstpointer data) {
        g_autoptr(BtfOp) all = NULL, one = NULL, enrol = NULL;
        g_autoptr(GVariant) d1 = NULL, d2 = NULL, d3 = NULL;
        g_autofree const char **names = NULL, **named = NULL;
        g_autoptr(GError) error = NULL;
        GVariantBuilder options;

        enroll(f, "", "left-thumb", "thumb");
        enroll(f, "", "right-index-finger", "index");
        all = start_verify(f->conn, "");
        g_assert_true(btf_op_wait_progress(all, "finger-needed", T, &d1, &error));
        g_assert_no_error(error);
        g_assert_true(g_variant_lookup(d1, "fingers", "^a&s", &names));
        g_assert_cmpuint(g_strv_length((char **) names), ==, 2);
        g_assert_true(g_strv_contains(names, "left-thumb"));
        g_assert_true(g_strv_contains(names, "right-index-finger"));
        release(f->conn, all);

        g_variant_builder_init(&options, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&options, "{sv}", "fingers", g_variant_new_strv((const char *[]) { "left-thumb" }, 1));
        one = start_op(f->conn, "Verify", g_variant_new("(sa{sv})", "", &options), &error);
        g_assert_no_error(error);
        g_assert_true(btf_op_wait_progress(one, "finger-needed", T, &d2, &error));
        g_assert_no_error(error);
        g_assert_true(g_variant_lookup(d2, "fingers", "^a&s", &named));
        g_assert_cmpuint(g_strv_length((char **) named), ==, 1);
        g_assert_cmpstr(named[0], ==, "left-thumb");
        release(f->conn, one);

        enrol = start_enroll(f->conn, "", "right-thumb");
        g_assert_true(btf_op_wait_progress(enrol, "finger-needed", T, &d3, &error));
        g_assert_no_error(error);
        g_assert_false(g_variant_lookup(d3, "fingers", "^a&s", NULL));
}

/* A sensor that can identify matches one touch against all fingers. */
static void test_identify_all_fingers(Fixture *f, gconstpointer data) {
        g_autoptr(BtfOp) op = NULL;
        g_autoptr(GVariant) details = NULL;
        g_autofree char *result = NULL;

        enroll(f, "", "left-thumb", "thumb");
        enroll(f, "", "right-index-finger", "index");
        op = start_verify(f->conn, "");
        wait_finger_needed(op);
        touch(f, "index");
        result = wait_finished(op, &details);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
        g_assert_cmpstr(detail_string(details, "finger"), ==, "right-index-finger");
        g_assert_cmpuint(btf_op_count_progress(op, "finger-needed"), ==, 1);
}

static void test_duplicate_print(Fixture *f, gconstpointer data) {
        g_autoptr(BtfOp) op = NULL;
        g_autoptr(GVariant) details = NULL;
        g_autofree char *result = NULL;
        g_auto(GStrv) fingers = NULL;

        enroll(f, "", "right-index-finger", "alice");
        op = start_enroll(f->conn, OTHER_USER, "left-thumb");
        /* This sensor checks duplicates itself, on the first touch. */
        wait_finger_needed(op);
        touch(f, "alice");
        result = wait_finished(op, &details);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_FAILED);
        g_assert_cmpstr(detail_string(details, "error"), ==, "org.biogate1.Error.DuplicatePrint");
        fingers = list_fingers(f->conn, OTHER_USER);
        g_assert_cmpuint(g_strv_length(fingers), ==, 0);
}

static void test_already_enrolled(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfOp) again = NULL;

        enroll(f, "", "right-index-finger", "alice");
        again = start_op(f->conn, "Enroll", g_variant_new("(ss@a{sv})", "", "right-index-finger", consent_options()),
                         &error);
        assert_dbus_error(error, "org.biogate1.Error.AlreadyEnrolled");
}

static void test_list_delete(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r1 = NULL, r2 = NULL, r3 = NULL;
        const char *one[] = { "left-thumb", NULL };
        const char *not_enrolled[] = { "right-little-finger", NULL };
        g_auto(GStrv) after_one = NULL, after_all = NULL, after_bad = NULL;

        enroll(f, "", "left-thumb", "a");
        enroll(f, "", "right-index-finger", "b");

        r1 = manager_call(f->conn, "DeleteFingers", g_variant_new("(s^as)", "", not_enrolled), NULL, &error);
        assert_dbus_error(error, "org.biogate1.Error.NoEnrolledPrints");
        g_clear_error(&error);
        after_bad = list_fingers(f->conn, "");
        g_assert_cmpuint(g_strv_length(after_bad), ==, 2);

        r2 = manager_call(f->conn, "DeleteFingers", g_variant_new("(s^as)", "", one), NULL, &error);
        g_assert_no_error(error);
        after_one = list_fingers(f->conn, "");
        g_assert_cmpuint(g_strv_length(after_one), ==, 1);
        g_assert_cmpstr(after_one[0], ==, "right-index-finger");

        r3 = manager_call(f->conn, "DeleteFingers", g_variant_new("(s^as)", "", (const char *[]) { NULL }), NULL, &error);
        g_assert_no_error(error);
        after_all = list_fingers(f->conn, "");
        g_assert_cmpuint(g_strv_length(after_all), ==, 0);
}

static void run_ctl_as_nobody(const char *const *args, int expected_exit, const char *expected_text) {
        g_autoptr(GError) error = NULL;
        g_autofree char *out = NULL, *err = NULL;
        int status = 0;

        g_assert_true(btf_run_as(NOBODY, NOBODY, args, &out, &err, &status, &error));
        g_assert_no_error(error);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != expected_exit)
                g_error("%s %s: expected exit %d; stdout: %s stderr: %s", args[1], args[2] ? args[2] : "",
                        expected_exit, out, err);
        if (expected_text)
                g_assert_nonnull(strstr(out, expected_text) ? out : strstr(err, expected_text));
}

/* A client as uid 65534 may not read, enrol, verify or delete for root,
 * whatever it passes as user; it may act on itself. */
static void test_other_user_refused(Fixture *f, gconstpointer data) {
        g_auto(GStrv) fingers = NULL;

        enroll(f, "", "right-index-finger", "alice");

        run_ctl_as_nobody((const char *[]) { BIOGATECTL_PATH, "list", "--user", "root", NULL }, 3, "PermissionDenied");
        run_ctl_as_nobody((const char *[]) { BIOGATECTL_PATH, "verify", "--user", "root", NULL }, 3, "PermissionDenied");
        run_ctl_as_nobody((const char *[]) { BIOGATECTL_PATH, "enroll", "--yes-i-consent", "--user", "root", "--finger",
                                             "left-thumb", NULL },
                          3, "PermissionDenied");
        run_ctl_as_nobody((const char *[]) { BIOGATECTL_PATH, "delete", "--user", "root", NULL }, 3, "PermissionDenied");
        /* A name that does not exist does not leak that fact. */
        run_ctl_as_nobody((const char *[]) { BIOGATECTL_PATH, "list", "--user", "no-such-user-xyz", NULL }, 3,
                          "PermissionDenied");
        /* Itself: allowed, and nothing enrolled. */
        run_ctl_as_nobody((const char *[]) { BIOGATECTL_PATH, "--json", "list", NULL }, 0, "[]");
        run_ctl_as_nobody((const char *[]) { BIOGATECTL_PATH, "verify", NULL }, 5, "NoEnrolledPrints");

        fingers = list_fingers(f->conn, "");
        g_assert_cmpuint(g_strv_length(fingers), ==, 1);
}

static void test_cancel(Fixture *f, gconstpointer data) {
        g_autoptr(BtfOp) op = NULL;
        g_autoptr(GVariant) details = NULL, r = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *result = NULL, *again = NULL;

        enroll(f, "", "right-index-finger", "alice");
        op = start_verify(f->conn, "");
        wait_finger_needed(op);
        r = call_on(f->conn, btf_op_get_path(op), BIOGATE_OPERATION_INTERFACE, "Cancel", NULL, NULL, &error);
        g_assert_no_error(error);
        result = wait_finished(op, &details);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_CANCELLED);
        g_assert_cmpstr(detail_string(details, "error"), ==, "org.biogate1.Error.Cancelled");
        release(f->conn, op);

        again = verify_with(f, f->conn, "", "alice", NULL);
        g_assert_cmpstr(again, ==, BIOGATE_RESULT_MATCH);
}

/* A client that leaves the bus mid-verify (connection closed) gives the
 * sensor back: the next verify works. */
static void test_client_leaves_bus(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusConnection) other = btf_bus_connect(f->bus, &error);
        g_autoptr(BtfOp) op = NULL;
        g_autofree char *result = NULL;

        g_assert_no_error(error);
        enroll(f, "", "right-index-finger", "alice");
        op = start_verify(other, "");
        wait_finger_needed(op);
        g_assert_true(g_dbus_connection_close_sync(other, NULL, &error));
        g_assert_no_error(error);

        result = verify_with(f, f->conn, "", "alice", NULL);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
}

/* The same with a real process killed by SIGKILL while it waits for a touch. */
static void test_client_killed(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfProc) proc = NULL;
        g_autofree char *result = NULL;
        int status = 0;

        enroll(f, "", "right-index-finger", "alice");
        proc = btf_spawn_async((const char *[]) { BIOGATECTL_PATH, "verify", NULL }, NULL, &error);
        g_assert_no_error(error);
        g_assert_true(btf_proc_wait_output(proc, BTF_STDERR, "Touch", T, &error));
        g_assert_no_error(error);
        btf_proc_kill(proc, SIGKILL);
        g_assert_true(btf_proc_wait(proc, T, &status, &error));
        btf_assert_signaled(status, SIGKILL);

        result = verify_with(f, f->conn, "", "alice", NULL);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
}

static void test_sensor_error_mid_enroll(Fixture *f, gconstpointer data) {
        g_autoptr(BtfOp) op = start_enroll(f->conn, "", "right-index-finger");
        g_autoptr(GVariant) details = NULL;
        g_autofree char *result = NULL;
        g_auto(GStrv) fingers = NULL;

        wait_finger_needed(op);
        touch(f, "alice");
        wait_finger_needed(op);
        touch(f, "alice");
        wait_finger_needed(op);
        sensor(f, "ERROR 0"); /* FP_DEVICE_ERROR_GENERAL */
        result = wait_finished(op, &details);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_FAILED);
        g_assert_cmpstr(detail_string(details, "error"), ==, "org.biogate1.Error.DeviceError");
        release(f->conn, op);

        fingers = list_fingers(f->conn, "");
        g_assert_cmpuint(g_strv_length(fingers), ==, 0);
        /* The sensor is usable again. */
        enroll(f, "", "right-index-finger", "alice");
}

static void test_sensor_unplugged_mid_verify(Fixture *f, gconstpointer data) {
        g_autoptr(BtfOp) op = NULL, refused = NULL;
        g_autoptr(GVariant) details = NULL, devices = NULL, list = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *result = NULL;

        enroll(f, "", "right-index-finger", "alice");
        op = start_verify(f->conn, "");
        wait_finger_needed(op);
        sensor(f, "UNPLUG");
        result = wait_finished(op, &details);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_FAILED);
        g_assert_cmpstr(detail_string(details, "error"), ==, "org.biogate1.Error.NoSuchDevice");

        refused = start_op(f->conn, "Verify", g_variant_new("(sa{sv})", "", NULL), &error);
        assert_dbus_error(error, "org.biogate1.Error.NoSuchDevice");
        g_clear_error(&error);
        devices = manager_call(f->conn, "ListDevices", NULL, "(a(ssa{sv}))", &error);
        g_assert_no_error(error);
        list = g_variant_get_child_value(devices, 0);
        g_assert_cmpuint(g_variant_n_children(list), ==, 0);
}

static void test_invalid_arguments(Fixture *f, gconstpointer data) {
        const char *bad_fingers[] = { "right-index-finger", "sixth-finger", NULL };
        struct {
                const char *method;
                GVariant *params;
                const char *error;
        } rows[] = {
                { "Enroll", g_variant_new("(ssa{sv})", "", "thumb", NULL), "org.biogate1.Error.InvalidFinger" },
                { "Enroll", g_variant_new("(ssa{sv})", "", "", NULL), "org.biogate1.Error.InvalidFinger" },
                { "DeleteFingers", g_variant_new("(s^as)", "", bad_fingers), "org.biogate1.Error.InvalidFinger" },
                { "Verify", g_variant_new_parsed("('', {'fingers': <['pinky']>})"), "org.biogate1.Error.InvalidFinger" },
                { "Verify", g_variant_new_parsed("('', {'bogus': <1>})"), "org.biogate1.Error.InvalidArgument" },
                { "Verify", g_variant_new_parsed("('', {'timeout-ms': <uint32 0>})"), "org.biogate1.Error.InvalidArgument" },
                { "Verify", g_variant_new_parsed("('', {'timeout-ms': <'5'>})"), "org.biogate1.Error.InvalidArgument" },
                { "Verify", g_variant_new_parsed("('', {'service': <'bad service\n'>})"), "org.biogate1.Error.InvalidArgument" },
                { "Enroll", g_variant_new_parsed("('', 'left-thumb', {'service': <'login'>})"), "org.biogate1.Error.InvalidArgument" },
                { "ListFingers", g_variant_new("(s)", "no-such-user-xyz"), "org.biogate1.Error.NoSuchUser" },
                { "ListFingers", g_variant_new("(s)", "bad\nname"), "org.biogate1.Error.InvalidArgument" },
        };

        for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) r = manager_call(f->conn, rows[i].method, rows[i].params, NULL, &error);
                assert_dbus_error(error, rows[i].error);
        }
}

/* Nobody but the owner hears about an operation or can touch it. */
static void test_signals_unicast(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusConnection) spy = btf_bus_connect(f->bus, &error);
        g_autoptr(BtfOp) spy_watch = NULL, op = NULL;
        g_autoptr(GVariant) r1 = NULL, r2 = NULL, id = NULL;
        g_autofree char *result = NULL;

        g_assert_no_error(error);
        enroll(f, "", "right-index-finger", "alice");
        spy_watch = btf_op_watch_begin(spy);

        op = start_verify(f->conn, "");
        wait_finger_needed(op);
        r1 = call_on(spy, btf_op_get_path(op), "org.freedesktop.DBus.Properties", "Get",
                     g_variant_new("(ss)", BIOGATE_OPERATION_INTERFACE, "State"), NULL, &error);
        assert_dbus_error(error, "org.biogate1.Error.PermissionDenied");
        g_clear_error(&error);
        r2 = call_on(spy, btf_op_get_path(op), BIOGATE_OPERATION_INTERFACE, "Cancel", NULL, NULL, &error);
        assert_dbus_error(error, "org.biogate1.Error.PermissionDenied");
        g_clear_error(&error);

        touch(f, "alice");
        result = wait_finished(op, NULL);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
        /* A round trip through the bus after the owner heard everything: any
         * broadcast copy would have been queued for the spy before this reply. */
        id = g_dbus_connection_call_sync(spy, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                         "GetId", NULL, NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
        g_assert_no_error(error);
        while (g_main_context_iteration(NULL, FALSE))
                ;
        g_assert_cmpuint(btf_op_count_progress(spy_watch, NULL), ==, 0);
        g_assert_false(btf_op_is_finished(spy_watch));
        g_assert_cmpuint(btf_op_count_progress(op, NULL), >, 0);
}

/* A client that missed the signals still reads the result. */
static void test_result_in_properties(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfOp) op = NULL;
        g_autoptr(GVariant) all = NULL, props = NULL, after = NULL;
        g_autofree char *result = NULL;
        const char *state = NULL, *res = NULL;

        enroll(f, "", "right-index-finger", "alice");
        op = start_verify(f->conn, "");
        wait_finger_needed(op);
        touch(f, "alice");
        result = wait_finished(op, NULL);
        all = call_on(f->conn, btf_op_get_path(op), "org.freedesktop.DBus.Properties", "GetAll",
                      g_variant_new("(s)", BIOGATE_OPERATION_INTERFACE), "(a{sv})", &error);
        g_assert_no_error(error);
        props = g_variant_get_child_value(all, 0);
        g_assert_true(g_variant_lookup(props, "State", "&s", &state));
        g_assert_true(g_variant_lookup(props, "Result", "&s", &res));
        g_assert_cmpstr(state, ==, "done");
        g_assert_cmpstr(res, ==, BIOGATE_RESULT_MATCH);

        release(f->conn, op);
        after = call_on(f->conn, btf_op_get_path(op), "org.freedesktop.DBus.Properties", "GetAll",
                        g_variant_new("(s)", BIOGATE_OPERATION_INTERFACE), "(a{sv})", &error);
        g_assert_nonnull(error);
}

/* One operation on the sensor at a time; two more per user may wait, then
 * DeviceBusy. Cancelling the running one lets the next start. */
static void test_queue(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfOp) first = NULL, second = NULL, third = NULL, busy = NULL;
        g_autoptr(GVariant) r = NULL;
        g_autofree char *s2 = NULL, *res1 = NULL, *res2 = NULL;

        enroll(f, "", "right-index-finger", "alice");
        first = start_verify(f->conn, "");
        wait_finger_needed(first);
        second = start_verify(f->conn, "");
        third = start_verify(f->conn, "");
        s2 = get_state(f->conn, second);
        g_assert_cmpstr(s2, ==, "queued");
        busy = start_op(f->conn, "Verify", g_variant_new("(sa{sv})", "", NULL), &error);
        assert_dbus_error(error, "org.biogate1.Error.DeviceBusy");
        g_clear_error(&error);

        r = call_on(f->conn, btf_op_get_path(first), BIOGATE_OPERATION_INTERFACE, "Cancel", NULL, NULL, &error);
        g_assert_no_error(error);
        res1 = wait_finished(first, NULL);
        g_assert_cmpstr(res1, ==, BIOGATE_RESULT_CANCELLED);
        wait_finger_needed(second);
        touch(f, "alice");
        res2 = wait_finished(second, NULL);
        g_assert_cmpstr(res2, ==, BIOGATE_RESULT_MATCH);
        release(f->conn, third); /* cancels it while queued or running */
}

/* Root's callers act for many users: their requests queue under the user
 * they act for, so requests about one user cannot fill the slots the
 * next login of another user needs. */
static void test_queue_fair_share(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfOp) running = NULL, n1 = NULL, n2 = NULL, own = NULL, busy = NULL;
        g_autofree char *state = NULL;

        enroll(f, "", "right-index-finger", "alice");
        enroll(f, "nobody", "right-index-finger", "nobody-finger");
        running = start_verify(f->conn, "");
        wait_finger_needed(running);
        n1 = start_verify(f->conn, "nobody");
        n2 = start_verify(f->conn, "nobody");
        busy = start_op(f->conn, "Verify", g_variant_new("(sa{sv})", "nobody", NULL), &error);
        assert_dbus_error(error, "org.biogate1.Error.DeviceBusy");
        g_clear_error(&error);

        own = start_verify(f->conn, "");
        state = get_state(f->conn, own);
        g_assert_cmpstr(state, ==, "queued");
        release(f->conn, own);
        release(f->conn, n2);
        release(f->conn, n1);
        release(f->conn, running);
}

static void test_timeout(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfOp) op = NULL;
        g_autoptr(GVariant) details = NULL;
        g_autofree char *result = NULL;

        enroll(f, "", "right-index-finger", "alice");
        op = start_op(f->conn, "Verify", g_variant_new_parsed("('', {'timeout-ms': <uint32 300>})"), &error);
        g_assert_no_error(error);
        result = wait_finished(op, &details);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_FAILED);
        g_assert_cmpstr(detail_string(details, "error"), ==, "org.biogate1.Error.TimedOut");
}

/* biogatectl end to end: enrol and verify with --json. */
static void test_biogatectl(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfProc) proc = NULL;
        int status = 0;

        unlink(f->vdev); /* a closed sensor leaves its socket file behind */
        proc = btf_spawn_async((const char *[]) { BIOGATECTL_PATH, "--json", "enroll", "--yes-i-consent", "--finger",
                                                  "left-thumb", NULL },
                               NULL, &error);
        g_assert_no_error(error);
        g_assert_true(btf_vdev_wait_socket(f->vdev, T, &error));
        g_assert_no_error(error);
        for (int i = 0; i < 5; i++)
                touch(f, "carol");
        g_assert_true(btf_proc_wait(proc, T, &status, &error));
        btf_assert_exit_code(status, 0);
        g_assert_nonnull(strstr(btf_proc_get_stdout(proc), "left-thumb"));
        btf_proc_free(g_steal_pointer(&proc));

        unlink(f->vdev);
        proc = btf_spawn_async((const char *[]) { BIOGATECTL_PATH, "verify", NULL }, NULL, &error);
        g_assert_true(btf_vdev_wait_socket(f->vdev, T, &error));
        touch(f, "dave");
        g_assert_true(btf_proc_wait(proc, T, &status, &error));
        btf_assert_exit_code(status, 1);
        btf_proc_free(g_steal_pointer(&proc));

        unlink(f->vdev);
        proc = btf_spawn_async((const char *[]) { BIOGATECTL_PATH, "--json", "verify", NULL }, NULL, &error);
        g_assert_true(btf_vdev_wait_socket(f->vdev, T, &error));
        touch(f, "carol");
        g_assert_true(btf_proc_wait(proc, T, &status, &error));
        btf_assert_exit_code(status, 0);
        g_assert_nonnull(strstr(btf_proc_get_stdout(proc), "\"match\""));
}

/* The daemon on a sensor that takes SLOW_OPEN_MS to open (tests/slow-open-shim.c). */
#define SLOW_OPEN_MS "600"

static void fixture_setup_slow_open(Fixture *f, gconstpointer data) {
        const char *preload = g_getenv("BIOGATE_TEST_SLOW_OPEN_PRELOAD");
        g_autofree char *env_preload = NULL, *env_path = NULL;

        /* Set by tests/meson.build: without it the test proves nothing. */
        g_assert_nonnull(preload);
        fixture_prepare(f, data);
        env_preload = g_strdup_printf("LD_PRELOAD=%s", preload);
        env_path = g_strdup_printf("BIOGATE_TEST_SLOW_OPEN_PATH=%s", f->vdev);
        fixture_start_daemon_full(f, (const char *const[]) { env_preload, env_path,
                                                            "BIOGATE_TEST_SLOW_OPEN_MS=" SLOW_OPEN_MS, NULL },
                                  NULL);
}

/* Every operation starts "queued", also on a free sensor, until the sensor
 * is open for it, and biogatectl used to say "another operation is using
 * it" whenever it saw that state: on a sensor slow to open (here 600 ms),
 * every time. It may say so only when the operation really waits behind
 * another one. */
static void test_biogatectl_queue_notice(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfProc) proc = NULL;
        g_autoptr(BtfOp) first = NULL;
        g_autoptr(GVariant) r = NULL;
        g_autofree char *result = NULL;
        int status = 0;

        enroll(f, "", "right-index-finger", "alice");

        /* Nothing else runs: no notice, also right after another
         * verification, while the sensor is being closed and reopened. */
        for (int i = 0; i < 3; i++) {
                unlink(f->vdev);
                proc = btf_spawn_async((const char *[]) { BIOGATECTL_PATH, "verify", NULL }, NULL, &error);
                g_assert_no_error(error);
                g_assert_true(btf_proc_wait_output(proc, BTF_STDERR, "Touch the sensor", T, &error));
                g_assert_no_error(error);
                touch(f, "alice");
                g_assert_true(btf_proc_wait(proc, T, &status, &error));
                btf_assert_exit_code(status, 0);
                g_test_message("alone, run %d: %s", i, btf_proc_get_stderr(proc));
                g_assert_null(strstr(btf_proc_get_stderr(proc), "Waiting for the sensor"));
                btf_proc_free(g_steal_pointer(&proc));
        }

        /* Behind another verification: the notice, then its turn. */
        first = start_verify(f->conn, "");
        wait_finger_needed(first);
        proc = btf_spawn_async((const char *[]) { BIOGATECTL_PATH, "verify", NULL }, NULL, &error);
        g_assert_no_error(error);
        g_assert_true(btf_proc_wait_output(proc, BTF_STDERR, "Waiting for the sensor: another request", T,
                                           &error));
        g_assert_no_error(error);
        r = call_on(f->conn, btf_op_get_path(first), BIOGATE_OPERATION_INTERFACE, "Cancel", NULL, NULL, &error);
        g_assert_no_error(error);
        result = wait_finished(first, NULL);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_CANCELLED);
        g_assert_true(btf_proc_wait_output(proc, BTF_STDERR, "Touch the sensor", T, &error));
        g_assert_no_error(error);
        touch(f, "alice");
        g_assert_true(btf_proc_wait(proc, T, &status, &error));
        btf_assert_exit_code(status, 0);
}

/* libfprint's virtual_image sensor: real minutiae matching (NBIS) on
 * synthetic fingerprints, one image per touch. */
static void show_finger(Fixture *f, uint64_t seed) {
        g_autofree char *message = NULL;

        if (synth_finger_send(f->vdev, seed, &message) < 0)
                g_error("sending a finger image: %s", message);
}

static void enroll_image(Fixture *f, const char *user, const char *finger, uint64_t seed) {
        g_autoptr(BtfOp) op = start_enroll(f->conn, user, finger);
        g_autoptr(GVariant) details = NULL;
        g_autofree char *result = NULL;

        for (int i = 0; i < 5; i++) {
                wait_finger_needed(op);
                show_finger(f, seed);
        }
        result = wait_finished(op, &details);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_COMPLETED);
        release(f->conn, op);
}

/* On a sensor that identifies but does not check duplicates itself, one
 * more touch after the enrolment stages is compared with everyone else's
 * prints and the new one. */
static void test_image_duplicate_check(Fixture *f, gconstpointer data) {
        g_autoptr(BtfOp) op = NULL, other = NULL, verify = NULL;
        g_autoptr(GVariant) details = NULL;
        g_autofree char *result = NULL, *other_result = NULL, *verified = NULL;

        enroll_image(f, "", "right-index-finger", 7);

        op = start_enroll(f->conn, OTHER_USER, "left-thumb");
        for (int i = 0; i < 5; i++) {
                wait_finger_needed(op);
                show_finger(f, 7);
        }
        g_assert_true(btf_op_wait_progress(op, "checking-duplicates", T, NULL, NULL));
        wait_finger_needed(op);
        show_finger(f, 7);
        result = wait_finished(op, &details);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_FAILED);
        g_assert_cmpstr(detail_string(details, "error"), ==, "org.biogate1.Error.DuplicatePrint");
        release(f->conn, op);

        /* A different finger passes the check, then is stored. */
        other = start_enroll(f->conn, OTHER_USER, "left-thumb");
        for (int i = 0; i < 6; i++) {
                wait_finger_needed(other);
                show_finger(f, 8);
        }
        other_result = wait_finished(other, NULL);
        g_assert_cmpstr(other_result, ==, BIOGATE_RESULT_COMPLETED);
        release(f->conn, other);

        /* And identification picks the right user's finger. */
        verify = start_verify(f->conn, OTHER_USER);
        wait_finger_needed(verify);
        show_finger(f, 8);
        verified = wait_finished(verify, NULL);
        g_assert_cmpstr(verified, ==, BIOGATE_RESULT_MATCH);
}

/* Review finding 6, on a sensor that identifies: the duplicate check used
 * to come first, so one finger passed it and another (root's) did the
 * enrolment stages; then one person held one finger as two users. The
 * check touch must now match the finger just enrolled and no one else's. */
static void test_finger_swap_at_enrolment(Fixture *f, gconstpointer data) {
        g_autoptr(BtfOp) op = NULL;
        g_autoptr(GVariant) details = NULL;
        g_autofree char *result = NULL;
        g_auto(GStrv) fingers = NULL;
        guint touches = 0, checks_seen = 0;

        enroll_image(f, "", "right-index-finger", 7);

        /* Root's finger for the stages, a fresh one for the first check
         * touch, root's again after that. */
        op = start_enroll(f->conn, OTHER_USER, "left-thumb");
        while (touches < 10 && btf_op_wait_progress(op, "finger-needed", T, NULL, NULL)) {
                guint checks = btf_op_count_progress(op, "checking-duplicates");
                gboolean check_touch = checks > checks_seen;

                checks_seen = checks;
                show_finger(f, check_touch && checks == 1 ? 9 : 7);
                touches++;
        }
        result = wait_finished(op, &details);
        g_test_message("%u touches, result %s %s", touches, result,
                       detail_string(details, "error") ? detail_string(details, "error") : "");
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_FAILED);
        g_assert_cmpstr(detail_string(details, "error"), ==, "org.biogate1.Error.DuplicatePrint");
        g_assert_cmpuint(btf_op_count_progress(op, "retry-scan"), >=, 1);
        release(f->conn, op);
        fingers = list_fingers(f->conn, OTHER_USER);
        g_assert_cmpuint(g_strv_length(fingers), ==, 0);
}

/* No sensor at all: the daemon still starts and answers, operations fail
 * with NoSuchDevice. */
static void test_no_sensor(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) devices = manager_call(f->conn, "ListDevices", NULL, "(a(ssa{sv}))", &error);
        g_autoptr(GVariant) list = NULL;
        g_autoptr(BtfOp) refused = NULL;
        g_auto(GStrv) fingers = NULL;

        g_assert_no_error(error);
        list = g_variant_get_child_value(devices, 0);
        g_assert_cmpuint(g_variant_n_children(list), ==, 0);
        fingers = list_fingers(f->conn, "");
        g_assert_cmpuint(g_strv_length(fingers), ==, 0);
        refused = start_op(f->conn, "Enroll", g_variant_new("(ss@a{sv})", "", "left-thumb", consent_options()), &error);
        assert_dbus_error(error, "org.biogate1.Error.NoSuchDevice");
}

/* Unknown options, stray arguments and a bad configuration stop the daemon
 * before it takes the bus name. */
static void test_refuses_to_start(Fixture *f, gconstpointer data) {
        g_autofree char *conf = g_build_filename(f->tmp, "bad.conf", NULL);
        g_autofree char *conf_arg = g_strdup_printf("--config=%s", conf);
        g_autofree char *missing_arg = g_strdup_printf("--config=%s/missing.conf", f->tmp);
        g_autofree char *budget = g_build_filename(f->tmp, "budget.conf", NULL);
        g_autofree char *budget_arg = g_strdup_printf("--config=%s", budget);
        g_autofree char *zero = g_build_filename(f->tmp, "zero.conf", NULL);
        g_autofree char *zero_arg = g_strdup_printf("--config=%s", zero);
        struct {
                const char *args[3];
                int code;
                const char *says;
        } rows[] = {
                { { "--bogus", NULL }, 2, "bogus" },
                { { "stray", NULL }, 2, "stray" },
                { { conf_arg, NULL }, 1, "devcie" },
                { { missing_arg, NULL }, 1, "missing.conf" },
                /* A sensor budget longer than its window is none at all. */
                { { budget_arg, NULL }, 1, "sensor_budget_seconds=30 is longer than sensor_budget_window_seconds=10" },
                { { zero_arg, NULL }, 1, "sensor_budget_seconds=0 is not a number from 1 to 3600" },
        };

        g_assert_true(g_file_set_contents(conf, "[daemon]\ndevcie=virtual_device\n", -1, NULL));
        g_assert_true(g_file_set_contents(budget, "[daemon]\nsensor_budget_seconds=30\nsensor_budget_window_seconds=10\n",
                                          -1, NULL));
        g_assert_true(g_file_set_contents(zero, "[daemon]\nsensor_budget_seconds=0\n", -1, NULL));
        for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
                g_autoptr(GError) error = NULL;
                g_autofree char *log = NULL;
                g_autofree char *state = g_build_filename(f->tmp, "state2", NULL);
                BtfDaemonOptions options = { .daemon_path = BIOGATED_PATH, .state_dir = state,
                                             .extra_args = rows[i].args };
                int status = 0;

                g_assert_true(btf_daemon_run_expect_exit(f->bus, &options, &status, &log, &error));
                g_assert_no_error(error);
                btf_assert_exit_code(status, rows[i].code);
                g_assert_nonnull(strstr(log, rows[i].says));
        }
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

#define ADD(path, fn) g_test_add("/daemon/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
#define ADD_DRIVER(path, driver, fn) g_test_add("/daemon/" path, Fixture, driver, fixture_setup, fn, fixture_teardown)
        ADD("introspection", test_introspection);
        ADD("list-devices", test_list_devices);
        ADD("enroll-verify-match", test_enroll_verify_match);
        ADD("verify-no-match", test_verify_no_match);
        ADD("verify-no-prints", test_verify_no_prints);
        ADD("verify-checks-all-fingers", test_verify_checks_all_fingers);
        ADD("verify-names-fingers", test_verify_names_fingers);
        ADD_DRIVER("identify-all-fingers", "virtual_device_storage", test_identify_all_fingers);
        ADD_DRIVER("duplicate-print", "virtual_device_storage", test_duplicate_print);
        ADD("already-enrolled", test_already_enrolled);
        ADD("list-delete", test_list_delete);
        ADD("other-user-refused", test_other_user_refused);
        ADD("cancel", test_cancel);
        ADD("client-leaves-bus", test_client_leaves_bus);
        ADD("client-killed", test_client_killed);
        ADD("sensor-error-mid-enroll", test_sensor_error_mid_enroll);
        ADD("sensor-unplugged-mid-verify", test_sensor_unplugged_mid_verify);
        ADD("invalid-arguments", test_invalid_arguments);
        ADD("signals-unicast", test_signals_unicast);
        ADD("result-in-properties", test_result_in_properties);
        ADD("queue", test_queue);
        ADD("queue-fair-share", test_queue_fair_share);
        ADD("timeout", test_timeout);
        ADD("biogatectl", test_biogatectl);
        g_test_add("/daemon/biogatectl-queue-notice", Fixture, NULL, fixture_setup_slow_open,
                   test_biogatectl_queue_notice, fixture_teardown);
        ADD("refuses-to-start", test_refuses_to_start);
        ADD_DRIVER("no-sensor", "no_such_driver", test_no_sensor);
        ADD_DRIVER("image-duplicate-check", "virtual_image", test_image_duplicate_check);
        g_test_add("/review/finger-swap-at-enrolment", Fixture, "virtual_image", fixture_setup,
                   test_finger_swap_at_enrolment, fixture_teardown);
        return g_test_run();
}
