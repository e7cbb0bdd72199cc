/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fprintd's D-Bus API on biogated, driven by fprintd's own clients: Debian's
 * fprintd-list, -verify, -enroll and -delete (package fprintd; its daemon
 * never runs here) against the real biogated on a private bus with the
 * virtual sensor, and the served interface against the one fprintd
 * publishes. */
#include <pwd.h>
#include <unistd.h>

#include "fprint-fixture.h"

/* Runs an fprintd tool to its end; its output and exit status. */
static char *run_tool(const char *const *argv, int expected_exit) {
        g_autoptr(GError) error = NULL;
        g_autofree char *err = NULL;
        char *out = NULL;
        int status = 0;

        g_assert_true(btf_run(argv, NULL, &out, &err, &status, &error));
        g_assert_no_error(error);
        g_test_message("%s: %s%s", argv[0], out, err);
        btf_assert_exit_code(status, expected_exit);
        return out;
}

/* ---- the contract ---- */

static GDBusInterfaceInfo *served_interface(Fixture *f, const char *path, const char *name) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = fprint_call(f->conn, path, "org.freedesktop.DBus.Introspectable", "Introspect",
                                                NULL, "(s)", &error);
        g_autoptr(GDBusNodeInfo) node = NULL;
        const char *xml;

        g_assert_no_error(error);
        g_variant_get(reply, "(&s)", &xml);
        node = g_dbus_node_info_new_for_xml(xml, &error);
        g_assert_no_error(error);
        return interface_ref(node, name);
}

/* What runs on the bus is fprintd's published interface: every method with
 * its signature, every signal, every property with its type and access,
 * and nothing more. */
static void test_contract(Fixture *f, gconstpointer data) {
        static const struct {
                const char *file, *name, *path;
        } interfaces[] = {
                { "net.reactivated.Fprint.Manager.xml", FPRINT_MANAGER_IFACE, FPRINT_MANAGER },
                { "net.reactivated.Fprint.Device.xml", FPRINT_DEVICE_IFACE, FPRINT_DEVICE },
        };

        for (gsize i = 0; i < G_N_ELEMENTS(interfaces); i++) {
                g_autoptr(GDBusInterfaceInfo) want = published_interface(interfaces[i].file, interfaces[i].name);
                g_autoptr(GDBusInterfaceInfo) got = served_interface(f, interfaces[i].path, interfaces[i].name);

                g_assert_nonnull(want);
                assert_same_interface(want, got);
                assert_same_interface(got, want);
        }
}

/* ---- the Manager and the properties ---- */

static void test_manager(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) devices = fprint_call(f->conn, FPRINT_MANAGER, FPRINT_MANAGER_IFACE, "GetDevices", NULL,
                                                  "(ao)", &error);
        g_autoptr(GVariant) device = NULL;
        g_autofree const char **paths = NULL;

        g_assert_no_error(error);
        g_variant_get(devices, "(^a&o)", &paths);
        g_assert_cmpuint(g_strv_length((char **) paths), ==, 1);
        g_assert_cmpstr(paths[0], ==, FPRINT_DEVICE);
        device = fprint_call(f->conn, FPRINT_MANAGER, FPRINT_MANAGER_IFACE, "GetDefaultDevice", NULL, "(o)", &error);
        g_assert_no_error(error);
        g_assert_cmpstr(g_variant_get_string(g_variant_get_child_value(device, 0), NULL), ==, FPRINT_DEVICE);

        assert_virtual_device_properties(f->conn);
}

/* ---- fprintd's tools ---- */

/* fprintd-verify in the background, touched once it has started. */
static char *verify_with_tool(Fixture *f, const char *id, int expected_exit) {
        g_autoptr(GError) error = NULL;
        /* Line-buffered: its stdout is a pipe, and the test reads it as it comes. */
        g_autoptr(BtfProc) proc = btf_spawn_async((const char *const[]) { "stdbuf", "-oL", "fprintd-verify", "root",
                                                                          NULL },
                                                  NULL, &error);
        int status = 0;

        g_assert_no_error(error);
        /* Printed on VerifyFingerSelected, which follows VerifyStart. */
        if (!btf_proc_wait_output(proc, BTF_STDOUT, "Verifying: ", T, &error))
                g_error("fprintd-verify: %s (it wrote: %s%s)", error->message, btf_proc_get_stdout(proc),
                        btf_proc_get_stderr(proc));
        g_assert_true(btf_vdev_wait_socket(f->vdev, T, &error));
        g_assert_no_error(error);
        touch(f, id);
        g_assert_true(btf_proc_wait(proc, T, &status, &error));
        g_assert_no_error(error);
        g_test_message("fprintd-verify: %s%s", btf_proc_get_stdout(proc), btf_proc_get_stderr(proc));
        btf_assert_exit_code(status, expected_exit);
        return g_strdup(btf_proc_get_stdout(proc));
}


static void test_tools_list_verify_delete(Fixture *f, gconstpointer data) {
        g_autofree char *none = NULL, *listed = NULL, *match = NULL, *no_match = NULL, *deleted = NULL,
                        *after = NULL, *nothing = NULL;

        none = run_tool((const char *const[]) { "fprintd-list", "root", NULL }, 0);
        g_assert_nonnull(strstr(none, "User root has no fingers enrolled for " VDEV_NAME "."));

        enroll(f, "root", "right-index-finger", "root-finger");
        listed = run_tool((const char *const[]) { "fprintd-list", "root", NULL }, 0);
        g_assert_nonnull(strstr(listed, "Fingerprints for user root on " VDEV_NAME " (swipe):"));
        g_assert_nonnull(strstr(listed, " - #0: right-index-finger"));

        match = verify_with_tool(f, "root-finger", 0);
        g_assert_nonnull(strstr(match, "Verify result: verify-match (done)"));
        no_match = verify_with_tool(f, "someone-else", 1);
        g_assert_nonnull(strstr(no_match, "Verify result: verify-no-match (done)"));

        deleted = run_tool((const char *const[]) { "fprintd-delete", "root", NULL }, 0);
        g_assert_nonnull(strstr(deleted, "Fingerprints of user root deleted on " VDEV_NAME));
        after = run_tool((const char *const[]) { "fprintd-list", "root", NULL }, 0);
        g_assert_nonnull(strstr(after, "User root has no fingers enrolled"));
        nothing = run_tool((const char *const[]) { "fprintd-delete", "root", NULL }, 0);
        g_assert_nonnull(strstr(nothing, "No fingerprints to delete on " VDEV_NAME));
}

/* ---- signals go to the claiming client alone ---- */

static void test_signals_unicast(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusConnection) other = btf_bus_connect(f->bus, &error);
        g_autoptr(GVariant) reply = NULL;
        Heard mine = { 0 }, theirs = { 0 };
        guint mine_id, theirs_id;

        g_assert_no_error(error);
        enroll(f, "root", "left-thumb", "thumb");
        mine_id = listen(f->conn, &mine);
        theirs_id = listen(other, &theirs);

        reply = device_call(f->conn, "Claim", g_variant_new("(s)", ""), NULL, &error);
        g_assert_no_error(error);
        g_clear_pointer(&reply, g_variant_unref);
        reply = device_call(f->conn, "VerifyStart", g_variant_new("(s)", "any"), NULL, &error);
        g_assert_no_error(error);
        g_clear_pointer(&reply, g_variant_unref);
        g_assert_true(btf_vdev_wait_socket(f->vdev, T, &error));
        g_assert_no_error(error);
        touch(f, "thumb");
        g_assert_true(btf_wait_until(heard_done, &mine, T));
        round_trip(other);

        g_assert_true(heard_contains(&mine, "VerifyFingerSelected ('any',)"));
        g_assert_true(heard_contains(&mine, "VerifyStatus ('verify-match', true)"));
        g_assert_true(heard_contains(&mine, "PropertiesChanged"));
        for (guint i = 0; i < theirs.signals->len; i++)
                g_test_message("the other client heard: %s", (char *) g_ptr_array_index(theirs.signals, i));
        g_assert_cmpuint(theirs.signals->len, ==, 0);

        reply = device_call(f->conn, "VerifyStop", NULL, NULL, &error);
        g_assert_no_error(error);
        g_clear_pointer(&reply, g_variant_unref);
        reply = device_call(f->conn, "Release", NULL, NULL, &error);
        g_assert_no_error(error);
        g_dbus_connection_signal_unsubscribe(f->conn, mine_id);
        g_dbus_connection_signal_unsubscribe(other, theirs_id);
        g_ptr_array_unref(mine.signals);
        g_ptr_array_unref(theirs.signals);
}

/* ---- ownership ---- */

/* fprintd_api=no, and auto on a machine where fprintd is installed: the
 * name stays free for fprintd, and org.biogate1 is served as ever. */
static void test_not_served(Fixture *f, gconstpointer data) {
        const char *setting = data;
        g_autofree char *config_arg = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) owner = NULL, devices = NULL;

        if (g_str_equal(setting, "auto") && !g_file_test("/usr/libexec/fprintd", G_FILE_TEST_EXISTS)) {
                g_test_skip("fprintd's daemon is not installed: auto means yes here");
                return;
        }
        prepare(f);
        write_config(f, setting, &config_arg);
        fixture_start_daemon(f, (const char *const[]) { config_arg, NULL });
        devices = manager_call(f->conn, "ListDevices", NULL, "(a(ssa{sv}))", &error);
        g_assert_no_error(error);
        owner = g_dbus_connection_call_sync(f->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                            "org.freedesktop.DBus", "GetNameOwner", g_variant_new("(s)", FPRINT_NAME),
                                            G_VARIANT_TYPE("(s)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
        assert_dbus_error(error, "org.freedesktop.DBus.Error.NameHasNoOwner");
}

/* Someone (fprintd) holds the name: biogated does not take it, does not
 * queue for it, and serves org.biogate1 alone. */
static void test_never_fights(Fixture *f, gconstpointer data) {
        g_autofree char *config_arg = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) owned = NULL, devices = NULL, owner = NULL, queued = NULL;
        g_autofree char *log = NULL;
        const char *const *names;

        prepare(f);
        owned = g_dbus_connection_call_sync(f->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                            "org.freedesktop.DBus", "RequestName",
                                            g_variant_new("(su)", FPRINT_NAME, 0x4 /* DO_NOT_QUEUE */),
                                            G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
        g_assert_no_error(error);
        write_config(f, "yes", &config_arg);
        fixture_start_daemon(f, (const char *const[]) { config_arg, NULL });
        devices = manager_call(f->conn, "ListDevices", NULL, "(a(ssa{sv}))", &error);
        g_assert_no_error(error);
        owner = g_dbus_connection_call_sync(f->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                            "org.freedesktop.DBus", "GetNameOwner", g_variant_new("(s)", FPRINT_NAME),
                                            G_VARIANT_TYPE("(s)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(g_variant_get_string(g_variant_get_child_value(owner, 0), NULL), ==,
                        g_dbus_connection_get_unique_name(f->conn));
        queued = g_dbus_connection_call_sync(f->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                             "org.freedesktop.DBus", "ListQueuedOwners",
                                             g_variant_new("(s)", FPRINT_NAME), G_VARIANT_TYPE("(as)"),
                                             G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
        g_assert_no_error(error);
        g_variant_get(queued, "(^a&s)", &names);
        g_assert_cmpuint(g_strv_length((char **) names), ==, 1);
        g_free((gpointer) names);
        log = btf_daemon_read_log(f->daemon);
        g_assert_nonnull(strstr(log, "net.reactivated.Fprint is owned by another process"));
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

        g_test_add("/fprint/contract", Fixture, NULL, fprint_setup, test_contract, fixture_teardown);
        g_test_add("/fprint/manager", Fixture, NULL, fprint_setup, test_manager, fixture_teardown);
        g_test_add("/fprint/tools-list-verify-delete", Fixture, NULL, fprint_setup, test_tools_list_verify_delete,
                   fixture_teardown);
        g_test_add("/fprint/signals-unicast", Fixture, NULL, fprint_setup, test_signals_unicast, fixture_teardown);
        g_test_add("/fprint/not-served-no", Fixture, "no", NULL, test_not_served, fixture_teardown);
        g_test_add("/fprint/not-served-auto", Fixture, "auto", NULL, test_not_served, fixture_teardown);
        g_test_add("/fprint/never-fights", Fixture, NULL, NULL, test_never_fights, fixture_teardown);
        return g_test_run();
}
