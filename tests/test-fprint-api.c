/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fprintd's D-Bus API on biogated, driven by fprintd's own clients: Debian's
 * fprintd-list, -verify, -enroll and -delete (package fprintd; its daemon
 * never runs here) against the real biogated on a private bus with the
 * virtual sensor, and the served interface against the one fprintd
 * publishes. pam_fprintd.so is test-fprint-pam.c's. */
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include "fprint-fixture.h"
#include "security-fixture.h"
#include "synth-finger.h"


/* ---- the contract ---- */


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

/* ---- enrolment: consent recorded beforehand ---- */

typedef struct Occurrences {
        BtfProc *proc;
        const char *needle;
        guint count;
} Occurrences;

static gboolean has_occurrences(gpointer user_data) {
        Occurrences *o = user_data;
        const char *out = btf_proc_get_stdout(o->proc);
        guint n = 0;

        for (const char *p = strstr(out, o->needle); p; p = strstr(p + 1, o->needle))
                n++;
        return n >= o->count;
}

/* fprintd-enroll in the background: five touches, each once the previous
 * stage has been reported; its output and exit status. */
static char *enroll_with_tool(Fixture *f, const char *finger, const char *id, int expected_exit) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfProc) proc = btf_spawn_async((const char *const[]) { "stdbuf", "-oL", "fprintd-enroll", "-f",
                                                                          finger, "root", NULL },
                                                  NULL, &error);
        int status = 0;

        g_assert_no_error(error);
        g_assert_true(btf_proc_wait_output(proc, BTF_STDOUT, "Enrolling ", T, &error));
        g_assert_no_error(error);
        g_assert_true(btf_vdev_wait_socket(f->vdev, T, &error));
        g_assert_no_error(error);
        /* As fprintd: a stage-passed for each of the five stages but the
         * last, which enroll-completed reports. */
        for (guint i = 1; i <= 5; i++) {
                Occurrences passed = { .proc = proc,
                                       .needle = i < 5 ? "Enroll result: enroll-stage-passed"
                                                       : "Enroll result: enroll-completed",
                                       .count = i < 5 ? i : 1 };

                touch(f, id);
                g_assert_true(btf_wait_until(has_occurrences, &passed, T));
        }
        g_assert_true(btf_proc_wait(proc, T, &status, &error));
        g_assert_no_error(error);
        g_test_message("fprintd-enroll: %s%s", btf_proc_get_stdout(proc), btf_proc_get_stderr(proc));
        btf_assert_exit_code(status, expected_exit);
        return g_strdup(btf_proc_get_stdout(proc));
}

static void record_consent(GDBusConnection *conn, const char *version) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = manager_call(conn, "RecordConsent", g_variant_new("(s)", version), NULL, &error);

        g_assert_no_error(error);
}

/* fprintd-enroll as the Settings panel would enrol: refused with a named
 * error that says what to do until the user has recorded consent to the
 * current notice; then five touches, the finger stored with that consent,
 * and the same finger verified through either API. */
static void test_tools_enroll_after_consent(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = NULL, mine = NULL, consents = NULL;
        g_autofree char *refused = NULL, *old = NULL, *enrolled = NULL, *listed = NULL, *again = NULL;
        g_auto(GStrv) fingers = NULL;
        g_autofree char *result = NULL;

        refused = run_tool((const char *const[]) { "fprintd-enroll", "-f", "right-index-finger", "root", NULL }, 1);
        g_assert_nonnull(strstr(refused, "EnrollStart failed: "));
        g_assert_nonnull(strstr(refused, "biogatectl consent"));
        /* A claim made by the refused tool is gone with it: nothing left. */
        fingers = list_fingers(f->conn, "root");
        g_assert_cmpuint(g_strv_length(fingers), ==, 0);

        /* Consent to another version of the notice is none. */
        reply = manager_call(f->conn, "RecordConsent", g_variant_new("(s)", "1999-1"), NULL, &error);
        assert_dbus_error(error, "org.biogate1.Error.ConsentRequired");
        g_clear_error(&error);
        old = run_tool((const char *const[]) { "fprintd-enroll", "-f", "right-index-finger", "root", NULL }, 1);
        g_assert_nonnull(strstr(old, "biogatectl consent"));

        record_consent(f->conn, BIOGATE_TEST_NOTICE_VERSION);
        enrolled = enroll_with_tool(f, "right-index-finger", "root-index", 0);
        g_assert_nonnull(strstr(enrolled, "Enroll result: enroll-completed"));
        g_strfreev(fingers);
        fingers = list_fingers(f->conn, "root");
        g_assert_cmpuint(g_strv_length(fingers), ==, 1);
        g_assert_cmpstr(fingers[0], ==, "right-index-finger");

        /* The consent went with the print, as for biogatectl enroll. */
        mine = manager_call(f->conn, "GetMyData", NULL, "(a{sv})", &error);
        g_assert_no_error(error);
        consents = g_variant_lookup_value(g_variant_get_child_value(mine, 0), "consent", G_VARIANT_TYPE("aa{sv}"));
        g_assert_nonnull(consents);
        g_assert_cmpuint(g_variant_n_children(consents), ==, 1);

        /* The same finger, through org.biogate1 now. */
        result = verify_with(f, f->conn, "root", "root-index", NULL);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
        /* An enrolled finger is not replaced. */
        again = run_tool((const char *const[]) { "fprintd-enroll", "-f", "right-index-finger", "root", NULL }, 1);
        g_assert_nonnull(strstr(again, "EnrollStart failed: "));
        listed = run_tool((const char *const[]) { "fprintd-list", "root", NULL }, 0);
        g_assert_nonnull(strstr(listed, " - #0: right-index-finger"));
}

/* ---- the duplicate check ---- */

typedef struct Count {
        Heard *heard;
        const char *prefix;
        guint count;
} Count;

static guint heard_count(Heard *heard, const char *prefix) {
        guint n = 0;

        for (guint i = 0; i < heard->signals->len; i++)
                if (g_str_has_prefix(g_ptr_array_index(heard->signals, i), prefix))
                        n++;
        return n;
}

static gboolean heard_count_reached(gpointer user_data) {
        Count *c = user_data;

        return heard_count(c->heard, c->prefix) >= c->count;
}

/* One image of synthetic finger @seed on the virtual_image sensor, once
 * the claim's finger-needed has turned TRUE for the @nth time. */
static void touch_image_when_needed(Fixture *f, Heard *heard, guint nth, uint64_t seed) {
        Count needed = { heard, "PropertiesChanged ('net.reactivated.Fprint.Device', {'finger-needed': <true>}", nth };
        g_autofree char *message = NULL;

        g_assert_true(btf_wait_until(heard_count_reached, &needed, T));
        if (synth_finger_send(f->vdev, seed, &message) < 0)
                g_error("sending a finger image: %s", message);
}

/* On a sensor that identifies (virtual_image), an enrolment through
 * fprintd's API gets biogate's duplicate check: root's finger cannot be
 * enrolled again for another user (enroll-duplicate), another finger can. */
static void test_enroll_duplicate(Fixture *f, gconstpointer data) {
        g_autoptr(GDBusConnection) daemon_user = security_connect_as(f, 1, 1);
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(BtfOp) op = NULL;
        g_autofree char *result = NULL;
        g_auto(GStrv) fingers = NULL;
        Heard heard = { 0 };
        guint id, wanted = 0;

        /* Root's right index finger (image seed 7), through org.biogate1. */
        op = start_enroll(f->conn, "root", "right-index-finger");
        for (int i = 0; i < 5; i++) {
                g_autofree char *message = NULL;

                wait_finger_needed(op);
                if (synth_finger_send(f->vdev, 7, &message) < 0)
                        g_error("sending a finger image: %s", message);
        }
        result = wait_finished(op, NULL);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_COMPLETED);
        release(f->conn, op);

        /* uid 1 consents for itself; root enrols for it through the API. */
        record_consent(daemon_user, BIOGATE_TEST_NOTICE_VERSION);
        id = fprint_listen(f->conn, &heard);
        reply = device_call(f->conn, "Claim", g_variant_new("(s)", OTHER_USER), NULL, &error);
        g_assert_no_error(error);
        g_clear_pointer(&reply, g_variant_unref);
        for (guint round = 0; round < 2; round++) {
                uint64_t seed = round == 0 ? 7 : 8;

                reply = device_call(f->conn, "EnrollStart", g_variant_new("(s)", "left-thumb"), NULL, &error);
                g_assert_no_error(error);
                g_clear_pointer(&reply, g_variant_unref);
                /* Five stages and the check's touch. */
                for (guint i = 0; i < 6; i++)
                        touch_image_when_needed(f, &heard, ++wanted, seed);
                g_assert_true(btf_wait_until(heard_done, &heard, T));
                heard.done = FALSE;
                reply = device_call(f->conn, "EnrollStop", NULL, NULL, &error);
                g_assert_no_error(error);
                g_clear_pointer(&reply, g_variant_unref);
                g_assert_true(heard_contains(&heard, round == 0 ? "EnrollStatus ('enroll-duplicate', true)"
                                                                : "EnrollStatus ('enroll-completed', true)"));
        }
        /* 4 stage-passed per enrolment (the fifth stage is not one
         * fprintd would report); the check's touch ends it. */
        g_assert_cmpuint(heard_count(&heard, "EnrollStatus ('enroll-stage-passed', false)"), ==, 8);
        reply = device_call(f->conn, "Release", NULL, NULL, &error);
        g_assert_no_error(error);
        fingers = list_fingers(f->conn, OTHER_USER);
        g_assert_cmpuint(g_strv_length(fingers), ==, 1);
        g_assert_cmpstr(fingers[0], ==, "left-thumb");
        g_dbus_connection_signal_unsubscribe(f->conn, id);
        g_ptr_array_unref(heard.signals);
}

/* Consent given with an enrolment (biogatectl enroll, Enroll's consent
 * option) covers that enrolment only: the desktop's EnrollStart still
 * wants consent recorded for it, and its message must say which one, since
 * the user's record does show a consent to the current notice. */
static void test_tools_enroll_consent_is_per_enrolment(Fixture *f, gconstpointer data) {
        g_autofree char *refused = NULL;
        g_auto(GStrv) fingers = NULL;

        enroll(f, "root", "right-index-finger", "root-index");
        refused = run_tool((const char *const[]) { "fprintd-enroll", "-f", "left-index-finger", "root", NULL }, 1);
        g_assert_nonnull(strstr(refused, "net.reactivated.Fprint.Error.ConsentRequired"));
        g_assert_nonnull(strstr(refused, "consent to enrolment from the desktop"));
        g_assert_nonnull(strstr(refused, "biogatectl consent"));
        fingers = list_fingers(f->conn, "root");
        g_assert_cmpuint(g_strv_length(fingers), ==, 1);
        g_assert_cmpstr(fingers[0], ==, "right-index-finger");
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
        mine_id = fprint_listen(f->conn, &mine);
        theirs_id = fprint_listen(other, &theirs);

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

/* GetNameOwner of net.reactivated.Fprint. */
static GVariant *fprint_name_owner(GDBusConnection *conn, GError **error) {
        return g_dbus_connection_call_sync(conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                           "org.freedesktop.DBus", "GetNameOwner", g_variant_new("(s)", FPRINT_NAME),
                                           G_VARIANT_TYPE("(s)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
}

/* The bus starts biogated for net.reactivated.Fprint alone, as for
 * gnome-shell's probe at the login screen after a boot or an idle exit:
 * through an activation file like the shipped one (which hands the start to
 * systemd; here the bus runs the daemon itself), with fprintd_api=yes. The
 * process that answers owns org.biogate1 too: one daemon. */
static void test_activated_by_name(Fixture *f, gconstpointer data) {
        g_autofree char *config_arg = NULL, *service = NULL, *service_path = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) device = NULL, fprint_owner = NULL, biogate_owner = NULL, pid = NULL;

        prepare(f);
        write_config(f, "yes", &config_arg);
        service_path = g_build_filename(f->tmp, "services", FPRINT_NAME ".service", NULL);
        service = g_strdup_printf("[D-BUS Service]\nName=%s\nExec=/usr/bin/env FP_DRIVERS_WHITELIST=virtual_device "
                                  "FP_DRIVERS_ALLOWLIST=virtual_device FP_VIRTUAL_DEVICE=%s %s --state-dir=%s %s "
                                  "--vendor-consent-notice=" BIOGATE_TEST_VENDOR_NOTICE "\n"
                                  "User=root\n",
                                  FPRINT_NAME, f->vdev, BIOGATED_PATH, f->state, config_arg);
        g_assert_true(g_file_set_contents(service_path, service, -1, &error));
        g_assert_no_error(error);

        /* gnome-shell's call, with auto-start allowed. */
        device = g_dbus_connection_call_sync(f->conn, FPRINT_NAME, FPRINT_MANAGER, FPRINT_MANAGER_IFACE,
                                             "GetDefaultDevice", NULL, G_VARIANT_TYPE("(o)"), G_DBUS_CALL_FLAGS_NONE,
                                             20000, NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(g_variant_get_string(g_variant_get_child_value(device, 0), NULL), ==, FPRINT_DEVICE);

        fprint_owner = fprint_name_owner(f->conn, &error);
        g_assert_no_error(error);
        g_assert_true(btf_bus_wait_name(f->bus, BIOGATE_BUS_NAME, T, NULL, &error));
        g_assert_no_error(error);
        biogate_owner = g_dbus_connection_call_sync(f->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                    "org.freedesktop.DBus", "GetNameOwner",
                                                    g_variant_new("(s)", BIOGATE_BUS_NAME), G_VARIANT_TYPE("(s)"),
                                                    G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(g_variant_get_string(g_variant_get_child_value(fprint_owner, 0), NULL), ==,
                        g_variant_get_string(g_variant_get_child_value(biogate_owner, 0), NULL));

        /* Not the fixture's: stop it here, and see it go. */
        pid = g_dbus_connection_call_sync(f->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                          "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                          g_variant_new("(s)", g_variant_get_string(
                                                                       g_variant_get_child_value(fprint_owner, 0), NULL)),
                                          G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpint(kill((pid_t) g_variant_get_uint32(g_variant_get_child_value(pid, 0)), SIGTERM), ==, 0);
        g_assert_true(btf_bus_wait_name_gone(f->bus, FPRINT_NAME, T, &error));
        g_assert_no_error(error);
        g_assert_true(btf_bus_wait_name_gone(f->bus, BIOGATE_BUS_NAME, T, &error));
        g_assert_no_error(error);
}


/* fprintd_api=no, and auto on a machine where fprintd is installed: the
 * name stays free for fprintd, and org.biogate1 is served as ever. */
static void test_not_served(Fixture *f, gconstpointer data) {
        const char *setting = data;
        g_autofree char *config_arg = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) owner = NULL, devices = NULL;
        g_autofree char *log = NULL;

        if (g_str_equal(setting, "auto") && !g_file_test("/usr/libexec/fprintd", G_FILE_TEST_EXISTS)) {
                g_test_skip("fprintd's daemon is not installed: auto means yes here");
                return;
        }
        prepare(f);
        write_config(f, setting, &config_arg);
        fixture_start_daemon(f, (const char *const[]) { config_arg, NULL });
        devices = manager_call(f->conn, "ListDevices", NULL, "(a(ssa{sv}))", &error);
        g_assert_no_error(error);
        owner = fprint_name_owner(f->conn, &error);
        assert_dbus_error(error, "org.freedesktop.DBus.Error.NameHasNoOwner");
        /* The journal says why: a call that activated the name is left
         * waiting for the bus's time-out, and this line is all an
         * administrator has to go on. */
        log = btf_daemon_read_log(f->daemon);
        g_assert_nonnull(strstr(log, g_str_equal(setting, "auto")
                                             ? "Not serving fprintd's API (net.reactivated.Fprint): fprintd_api=auto "
                                               "and fprintd's daemon is installed (/usr/libexec/fprintd)"
                                             : "Not serving fprintd's API (net.reactivated.Fprint): fprintd_api=no"));
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
        owner = fprint_name_owner(f->conn, &error);
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
        g_test_add("/fprint/tools-enroll-after-consent", Fixture, NULL, fprint_setup, test_tools_enroll_after_consent,
                   fixture_teardown);
        g_test_add("/fprint/enroll-duplicate", Fixture, "virtual_image", fprint_setup, test_enroll_duplicate,
                   fixture_teardown);
        g_test_add("/fprint/tools-enroll-consent-is-per-enrolment", Fixture, NULL, fprint_setup,
                   test_tools_enroll_consent_is_per_enrolment, fixture_teardown);
        g_test_add("/fprint/signals-unicast", Fixture, NULL, fprint_setup, test_signals_unicast, fixture_teardown);
        g_test_add("/fprint/not-served-no", Fixture, "no", NULL, test_not_served, fixture_teardown);
        g_test_add("/fprint/not-served-auto", Fixture, "auto", NULL, test_not_served, fixture_teardown);
        g_test_add("/fprint/never-fights", Fixture, NULL, NULL, test_never_fights, fixture_teardown);
        g_test_add("/fprint/activated-by-name", Fixture, NULL, NULL, test_activated_by_name, fixture_teardown);
        return g_test_run();
}
