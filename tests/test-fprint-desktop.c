/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The desktop's fingerprint clients replayed against biogated's fprintd API,
 * call by call as their sources make them, through GDBusProxy objects built
 * on fprintd's published interfaces as theirs are (properties loaded with the
 * proxy, signals through it). The sources read:
 *
 *   gnome-shell 43.9 (45de25ea, Debian 12) js/gdm/util.js
 *     _checkForFingerprintReader(), and main (8f782086, 51.beta-57)
 *     js/gdm/fingerprintManager.js checkReaderType(), _handleFingerprintError();
 *   gnome-control-center 43.6 (ed5660b0, Debian 12)
 *     panels/user-accounts/cc-fingerprint-{manager,dialog}.c, and main
 *     (6dfc9f2f, 51.beta-56) panels/system/users/cc-fingerprint-{manager,dialog}.c;
 *   plasma-desktop kcms/users/src/fprintdevice.cpp (7a3acbe4) and
 *     fingerprintmodel.cpp (c2f45adb).
 *
 * The user is the one running the test, as the panels act for the user who
 * runs them (GNOME Settings shows no fingerprint row for anyone else). */
#include <unistd.h>

#include "fprint-fixture.h"

#define FINGER "right-index-finger"
#define CONSENT_REQUIRED "net.reactivated.Fprint.Error.ConsentRequired"
#define NO_ENROLLED_PRINTS "net.reactivated.Fprint.Error.NoEnrolledPrints"

/* A proxy as the clients make theirs: on the published interface, so that
 * GDBus checks every property, reply and signal against fprintd's types. */
static GDBusProxy *client_proxy(Fixture *f, const char *path, const char *iface, GDBusProxyFlags flags) {
        g_autofree char *file = g_strdup_printf("%s.xml", iface);
        g_autoptr(GDBusInterfaceInfo) info = published_interface(file, iface);
        g_autoptr(GError) error = NULL;
        GDBusProxy *proxy = g_dbus_proxy_new_sync(f->conn, flags, info, FPRINT_NAME, path, iface, NULL, &error);

        g_assert_no_error(error);
        return proxy;
}

static GVariant *proxy_call(GDBusProxy *proxy, const char *method, GVariant *params, GDBusCallFlags flags,
                            GError **error) {
        return g_dbus_proxy_call_sync(proxy, method, params, flags, -1, NULL, error);
}

static void call_ok(GDBusProxy *proxy, const char *method, GVariant *params, GDBusCallFlags flags) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = proxy_call(proxy, method, params, flags, &error);

        g_assert_no_error(error);
}

/* The call's error, which must be error_name. */
static GError *call_refused(GDBusProxy *proxy, const char *method, GVariant *params, GDBusCallFlags flags,
                            const char *error_name) {
        GError *error = NULL;
        g_autoptr(GVariant) reply = proxy_call(proxy, method, params, flags, &error);

        assert_dbus_error(error, error_name);
        g_test_message("%s: %s", method, error->message);
        return error;
}

static void call_refused_only(GDBusProxy *proxy, const char *method, GVariant *params, const char *error_name) {
        g_autoptr(GError) error = call_refused(proxy, method, params, G_DBUS_CALL_FLAGS_NONE, error_name);
}

static const char *cached_string(GDBusProxy *proxy, const char *name) {
        g_autoptr(GVariant) value = g_dbus_proxy_get_cached_property(proxy, name);

        if (!value)
                g_error("no property %s in the proxy's cache", name);
        /* The proxy's cache holds the value on: the string outlives this ref. */
        return g_variant_get_string(value, NULL);
}

static gboolean cached_boolean(GDBusProxy *proxy, const char *name) {
        g_autoptr(GVariant) value = g_dbus_proxy_get_cached_property(proxy, name);

        if (!value)
                g_error("no property %s in the proxy's cache", name);
        return g_variant_get_boolean(value);
}

/* ListEnrolledFingers(user) as both panels make it (GNOME's with interactive
 * authorization): the fingers, or NULL when biogated says NoEnrolledPrints,
 * which both take for "none" rather than for an error. */
static char **list_enrolled(GDBusProxy *device, const char *user) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = proxy_call(device, "ListEnrolledFingers", g_variant_new("(s)", user),
                                               G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION, &error);
        char **fingers = NULL;

        if (error) {
                assert_dbus_error(error, NO_ENROLLED_PRINTS);
                return NULL;
        }
        g_variant_get(reply, "(^as)", &fingers);
        g_assert_cmpuint(g_strv_length(fingers), >, 0);
        return fingers;
}

/* ---- what a client's device proxy received ---- */

typedef struct Client {
        GPtrArray *heard;       /* "Member args", in order */
        guint stages_passed;
        gboolean done;          /* an EnrollStatus or VerifyStatus with done */
        char *result;           /* of that one */
} Client;

/* The panels' on_device_signal() / FprintDevice::enrollStatus(): the
 * device proxy's g-signal. */
static void on_client_signal(GDBusProxy *proxy, const char *sender, const char *member, GVariant *params,
                             gpointer user_data) {
        Client *c = user_data;
        g_autofree char *args = g_variant_print(params, FALSE);
        const char *result;
        gboolean done;

        g_ptr_array_add(c->heard, g_strdup_printf("%s %s", member, args));
        if (!g_str_equal(member, "EnrollStatus") && !g_str_equal(member, "VerifyStatus"))
                return;
        g_variant_get(params, "(&sb)", &result, &done);
        if (g_str_equal(result, "enroll-stage-passed"))
                c->stages_passed++;
        if (done) {
                c->done = TRUE;
                g_free(c->result);
                c->result = g_strdup(result);
        }
}

static void client_listen(Client *c, GDBusProxy *device) {
        c->heard = g_ptr_array_new_with_free_func(g_free);
        g_signal_connect(device, "g-signal", G_CALLBACK(on_client_signal), c);
}

static void client_forget(Client *c, GDBusProxy *device) {
        for (guint i = 0; i < c->heard->len; i++)
                g_test_message("heard: %s", (char *) g_ptr_array_index(c->heard, i));
        g_signal_handlers_disconnect_by_data(device, c);
        g_ptr_array_unref(c->heard);
        g_free(c->result);
}

static gboolean client_done(gpointer user_data) {
        return ((Client *) user_data)->done;
}

static gboolean client_heard(Client *c, const char *prefix) {
        for (guint i = 0; i < c->heard->len; i++)
                if (g_str_has_prefix(g_ptr_array_index(c->heard, i), prefix))
                        return TRUE;
        return FALSE;
}

/* finger-needed as the proxy's cache has it from PropertiesChanged. */
static gboolean finger_needed(gpointer user_data) {
        return cached_boolean(user_data, "finger-needed");
}

typedef struct StageWait {
        Client *client;
        guint stages;
} StageWait;

static gboolean stage_passed_or_done(gpointer user_data) {
        StageWait *w = user_data;

        return w->client->stages_passed >= w->stages || w->client->done;
}

/* ---- gnome-shell: whether gdm starts gdm-fingerprint ---- */

/* gnome-shell's Manager proxy: loads nothing, connects no signals. */
static GDBusProxy *shell_manager_proxy(Fixture *f) {
        return client_proxy(f, FPRINT_MANAGER, FPRINT_MANAGER_IFACE,
                            G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES |
                                    G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START_AT_CONSTRUCTION |
                                    G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS);
}

/* checkReaderType(): GetDefaultDevice on a Manager proxy that loads nothing
 * and connects no signals, then a device proxy whose loaded scan-type,
 * upper-cased, must name a FingerprintReaderType (PRESS or SWIPE): with one,
 * gdm runs gdm-fingerprint beside the password (43.9: _beginVerification()
 * once _fingerprintReaderType is not NONE). */
static void test_gnome_shell_probe(Fixture *f, gconstpointer data) {
        g_autoptr(GDBusProxy) manager = shell_manager_proxy(f);
        g_autoptr(GDBusProxy) device = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = proxy_call(manager, "GetDefaultDevice", NULL, G_DBUS_CALL_FLAGS_NONE, &error);
        g_autofree char *greeter_out = NULL, *greeter_err = NULL;
        const char *path, *scan_type;
        int status = 0;

        g_assert_no_error(error);
        g_variant_get(reply, "(&o)", &path);
        g_assert_cmpstr(path, ==, FPRINT_DEVICE);
        device = client_proxy(f, path, FPRINT_DEVICE_IFACE, G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS);
        scan_type = cached_string(device, "scan-type");
        g_assert_true(g_str_equal(scan_type, "press") || g_str_equal(scan_type, "swipe"));
        /* libfprint's virtual_device says swipe; gdm then asks to swipe. */
        g_assert_cmpstr(scan_type, ==, "swipe");

        /* The greeter is not root (Debian-gdm), and the lock screen is the
         * user: the probe as uid 65534, with gdbus for the two calls. */
        g_assert_true(btf_run_as(NOBODY, NOBODY,
                                 (const char *const[]) { "gdbus", "call", "--address", btf_bus_get_address(f->bus),
                                                         "--dest", FPRINT_NAME, "--object-path", FPRINT_MANAGER,
                                                         "--method", FPRINT_MANAGER_IFACE ".GetDefaultDevice", NULL },
                                 &greeter_out, &greeter_err, &status, &error));
        g_assert_no_error(error);
        g_test_message("GetDefaultDevice as 65534: %s%s", greeter_out, greeter_err);
        btf_assert_exit_code(status, 0);
        g_assert_nonnull(strstr(greeter_out, "objectpath '" FPRINT_DEVICE "'"));
        g_clear_pointer(&greeter_out, g_free);
        g_clear_pointer(&greeter_err, g_free);
        g_assert_true(btf_run_as(NOBODY, NOBODY,
                                 (const char *const[]) { "gdbus", "call", "--address", btf_bus_get_address(f->bus),
                                                         "--dest", FPRINT_NAME, "--object-path", FPRINT_DEVICE,
                                                         "--method", "org.freedesktop.DBus.Properties.GetAll",
                                                         FPRINT_DEVICE_IFACE, NULL },
                                 &greeter_out, &greeter_err, &status, &error));
        g_assert_no_error(error);
        g_test_message("GetAll as 65534: %s%s", greeter_out, greeter_err);
        btf_assert_exit_code(status, 0);
        g_assert_nonnull(strstr(greeter_out, "'scan-type': <'swipe'>"));
}

/* No sensor: GetDefaultDevice fails with exactly the error gnome-shell takes
 * quietly for "no reader" (_handleFingerprintError(); 43.9 catches all),
 * so gdm does not start gdm-fingerprint; GNOME Settings' GetDevices is
 * empty, so it shows no fingerprint row (CC_FINGERPRINT_STATE_NONE). */
static void test_gnome_shell_probe_no_sensor(Fixture *f, gconstpointer data) {
        g_autoptr(GDBusProxy) manager = shell_manager_proxy(f);
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = proxy_call(manager, "GetDefaultDevice", NULL, G_DBUS_CALL_FLAGS_NONE, &error);
        g_autoptr(GVariant) devices = NULL;
        g_autofree const char **paths = NULL;

        g_assert_null(reply);
        assert_dbus_error(error, "net.reactivated.Fprint.Error.NoSuchDevice");
        g_clear_error(&error);
        devices = proxy_call(manager, "GetDevices", NULL, G_DBUS_CALL_FLAGS_NONE, &error);
        g_assert_no_error(error);
        g_variant_get(devices, "(^a&o)", &paths);
        g_assert_cmpuint(g_strv_length((char **) paths), ==, 0);
}

/* ---- GNOME Settings' fingerprint dialog ---- */

/* cc_fingerprint_manager_get_devices(): the Manager's proxy, GetDevices, and
 * a proxy for each device, its properties loaded and signals connected. The
 * dialog reads name, num-enroll-stages and scan-type from that cache, and
 * follows finger-present through it. */
static GDBusProxy *settings_get_device(Fixture *f) {
        g_autoptr(GDBusProxy) manager = client_proxy(f, FPRINT_MANAGER, FPRINT_MANAGER_IFACE, G_DBUS_PROXY_FLAGS_NONE);
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) devices = proxy_call(manager, "GetDevices", NULL, G_DBUS_CALL_FLAGS_NONE, &error);
        g_autoptr(GVariant) stages = NULL;
        g_autofree const char **paths = NULL;
        GDBusProxy *device;

        g_assert_no_error(error);
        g_variant_get(devices, "(^a&o)", &paths);
        g_assert_cmpuint(g_strv_length((char **) paths), ==, 1);
        g_assert_cmpstr(paths[0], ==, FPRINT_DEVICE);
        device = client_proxy(f, paths[0], FPRINT_DEVICE_IFACE, G_DBUS_PROXY_FLAGS_NONE);
        g_assert_cmpstr(cached_string(device, "name"), ==, VDEV_NAME);
        stages = g_dbus_proxy_get_cached_property(device, "num-enroll-stages");
        g_assert_nonnull(stages);
        g_assert_cmpint(g_variant_get_int32(stages), ==, 5);
        g_assert_cmpstr(cached_string(device, "scan-type"), ==, "swipe");
        g_assert_false(cached_boolean(device, "finger-present"));
        g_assert_false(cached_boolean(device, "finger-needed"));
        return device;
}

/* The dialog opened: update_state's listing unclaimed, claim_device() for
 * the user, update_prints_store()'s listing. */
static char **settings_open_dialog(GDBusProxy *device, const char *user) {
        g_auto(GStrv) unclaimed = list_enrolled(device, user);

        call_ok(device, "Claim", g_variant_new("(s)", user), G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION);
        return list_enrolled(device, user);
}

/* The Settings panel enrolling without a standing consent: EnrollStart is
 * refused with the named error, whose message says what to run; the
 * dialog (which shows it, logs error->message, and removes its enrolling
 * state without an EnrollStop) then closes with Release, which ends the
 * claim cleanly. */
static void test_gnome_settings_enroll(Fixture *f, gconstpointer data) {
        const char *user = g_get_user_name();
        g_autoptr(GDBusProxy) device = settings_get_device(f);
        g_autoptr(GError) refused = NULL;
        g_auto(GStrv) fingers = NULL;
        Client client = { 0 };

        client_listen(&client, device);
        fingers = settings_open_dialog(device, user);
        g_assert_null(fingers);

        /* enroll_finger() */
        refused = call_refused(device, "EnrollStart", g_variant_new("(s)", FINGER), G_DBUS_CALL_FLAGS_NONE,
                               CONSENT_REQUIRED);
        g_assert_nonnull(strstr(refused->message, "biogatectl consent"));
        /* Not the panel's: the refused start left no action behind. */
        call_refused_only(device, "EnrollStop", NULL, "net.reactivated.Fprint.Error.NoActionInProgress");
        round_trip(f->conn);
        g_assert_false(client_heard(&client, "EnrollStatus"));
        g_assert_false(finger_needed(device));

        /* on_dialog_closed_cb(): Release */
        call_ok(device, "Release", NULL, G_DBUS_CALL_FLAGS_NONE);
        /* Released: no claim left, and the next dialog claims again. */
        call_refused_only(device, "Release", NULL, "net.reactivated.Fprint.Error.ClaimDevice");
        call_ok(device, "Claim", g_variant_new("(s)", user), G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION);
        call_ok(device, "Release", NULL, G_DBUS_CALL_FLAGS_NONE);
        client_forget(&client, device);
}

/* The second half, once consent can be recorded (Manager.RecordConsent on
 * org.biogate1): the panel enrols with touches to enroll-completed, lists,
 * identifies (main's dialog verifies while open), deletes (main: one
 * finger; 43.6: DeleteEnrolledFingers2, fprint/gnome-settings-delete). */
static void test_gnome_settings_enroll_consented(Fixture *f, gconstpointer data) {
        const char *user = g_get_user_name();
        g_autoptr(GDBusProxy) device = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) consented = manager_call(f->conn, "RecordConsent",
                                                     g_variant_new("(s)", BIOGATE_TEST_NOTICE_VERSION), NULL,
                                                     &error);
        g_auto(GStrv) fingers = NULL, listed = NULL, after = NULL;
        Client client = { 0 };
        StageWait wait = { .client = &client };

        if (g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD)) {
                g_test_skip("org.biogate1.Manager.RecordConsent does not exist yet: consent cannot be recorded");
                return;
        }
        g_assert_no_error(error);
        device = settings_get_device(f);
        client_listen(&client, device);
        fingers = settings_open_dialog(device, user);
        g_assert_null(fingers);

        call_ok(device, "EnrollStart", g_variant_new("(s)", FINGER), G_DBUS_CALL_FLAGS_NONE);
        g_assert_true(btf_wait_until(finger_needed, device, T));
        g_assert_true(btf_vdev_wait_socket(f->vdev, T, &error));
        g_assert_no_error(error);
        /* A touch per stage, each once the one before has passed. */
        while (!client.done) {
                wait.stages = client.stages_passed + 1;
                touch(f, "settings-finger");
                g_assert_true(btf_wait_until(stage_passed_or_done, &wait, T));
        }
        g_assert_cmpstr(client.result, ==, "enroll-completed");
        /* fprintd's count, which update_enroll_progress() expects: one
         * enroll-stage-passed per stage but the last, which enroll-completed
         * tells (device.c enroll_progress_cb). */
        g_assert_cmpuint(client.stages_passed, ==, 5 - 1);
        /* done_button_clicked_cb(): EnrollStop; update_state's listing. */
        call_ok(device, "EnrollStop", NULL, G_DBUS_CALL_FLAGS_NONE);
        listed = list_enrolled(device, user);
        g_assert_nonnull(listed);
        g_assert_cmpstrv(listed, ((const char *const[]) { FINGER, NULL }));

        /* main's maybe_start_identification(): the one finger enrolled. */
        client.done = FALSE;
        call_ok(device, "VerifyStart", g_variant_new("(s)", FINGER), G_DBUS_CALL_FLAGS_NONE);
        g_assert_true(btf_wait_until(finger_needed, device, T));
        touch(f, "settings-finger");
        g_assert_true(btf_wait_until(client_done, &client, T));
        g_assert_cmpstr(client.result, ==, "verify-match");
        g_assert_true(client_heard(&client, "VerifyFingerSelected ('" FINGER "',)"));
        call_ok(device, "VerifyStop", NULL, G_DBUS_CALL_FLAGS_NONE);

        /* main's delete_fingerprint(): DeleteEnrolledFinger, then the list. */
        call_ok(device, "DeleteEnrolledFinger", g_variant_new("(s)", FINGER), G_DBUS_CALL_FLAGS_NONE);
        after = list_enrolled(device, user);
        g_assert_null(after);
        call_ok(device, "Release", NULL, G_DBUS_CALL_FLAGS_NONE);
        client_forget(&client, device);
}

/* GNOME Settings 43.6 (Debian 12): "Delete Fingerprints" is
 * delete_enrolled_prints(), DeleteEnrolledFingers2 on the claimed device,
 * then the dialog's and the manager's listings, then Release. */
static void test_gnome_settings_delete(Fixture *f, gconstpointer data) {
        const char *user = g_get_user_name();
        g_autoptr(GDBusProxy) device = NULL;
        g_auto(GStrv) fingers = NULL, after = NULL, state = NULL;

        enroll(f, user, "left-thumb", "thumb");
        enroll(f, user, FINGER, "index");
        device = settings_get_device(f);
        fingers = settings_open_dialog(device, user);
        g_assert_cmpstrv(fingers, ((const char *const[]) { "left-thumb", FINGER, NULL }));

        call_ok(device, "DeleteEnrolledFingers2", NULL, G_DBUS_CALL_FLAGS_NONE);
        after = list_enrolled(device, user);
        g_assert_null(after);
        state = list_enrolled(device, user);
        g_assert_null(state);
        call_ok(device, "Release", NULL, G_DBUS_CALL_FLAGS_NONE);
        /* Gone from org.biogate1's store too: one store. */
        g_strfreev(fingers);
        fingers = list_fingers(f->conn, user);
        g_assert_cmpuint(g_strv_length(fingers), ==, 0);
}

/* GNOME Settings main: the open dialog identifies (VerifyStart "any" with
 * two fingers enrolled); deleting one finger stops that (VerifyStop) and
 * sends DeleteEnrolledFinger at once behind it, then lists, and
 * identifies again with the finger left. */
static void test_gnome_settings_delete_finger(Fixture *f, gconstpointer data) {
        const char *user = g_get_user_name();
        g_autoptr(GDBusProxy) device = NULL;
        g_autoptr(GError) error = NULL;
        g_auto(GStrv) fingers = NULL, after = NULL;
        Client client = { 0 };

        enroll(f, user, "left-thumb", "thumb");
        enroll(f, user, FINGER, "index");
        device = settings_get_device(f);
        client_listen(&client, device);
        fingers = settings_open_dialog(device, user);
        g_assert_cmpuint(g_strv_length(fingers), ==, 2);

        call_ok(device, "VerifyStart", g_variant_new("(s)", "any"), G_DBUS_CALL_FLAGS_NONE);
        g_assert_true(btf_wait_until(finger_needed, device, T));
        g_assert_true(client_heard(&client, "VerifyFingerSelected ('any',)"));
        /* stop_identification() and the deletion, neither waiting for the other. */
        g_dbus_proxy_call(device, "VerifyStop", NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL, NULL);
        call_ok(device, "DeleteEnrolledFinger", g_variant_new("(s)", "left-thumb"), G_DBUS_CALL_FLAGS_NONE);
        after = list_enrolled(device, user);
        g_assert_cmpstrv(after, ((const char *const[]) { FINGER, NULL }));

        /* identification_stop_cb() → maybe_start_identification(): the one finger. */
        call_ok(device, "VerifyStart", g_variant_new("(s)", FINGER), G_DBUS_CALL_FLAGS_NONE);
        g_assert_true(btf_wait_until(finger_needed, device, T));
        g_assert_true(btf_vdev_wait_socket(f->vdev, T, &error));
        g_assert_no_error(error);
        touch(f, "index");
        g_assert_true(btf_wait_until(client_done, &client, T));
        g_assert_cmpstr(client.result, ==, "verify-match");
        /* The dialog closed: VerifyStop, Release. */
        call_ok(device, "VerifyStop", NULL, G_DBUS_CALL_FLAGS_NONE);
        call_ok(device, "Release", NULL, G_DBUS_CALL_FLAGS_NONE);
        client_forget(&client, device);
}

/* ---- KDE's Users page ---- */

/* FingerprintModel and FprintDevice: GetDefaultDevice, each property read
 * with its own Properties.Get, ListEnrolledFingers(user) unclaimed;
 * deleteFingerprint() and clearFingerprints() each Claim (AlreadyInUse
 * taken as claimed), delete, Release; startEnrolling() claims, and on an
 * EnrollStart error shows error.message() and releases, with no
 * EnrollStop. Differences from GNOME that matter: Get per property, not a
 * loaded cache; Release with no claim (switchUser()); KDE shows the
 * error's message itself. */
static void test_kde_users(Fixture *f, gconstpointer data) {
        const char *user = g_get_user_name();
        g_autoptr(GDBusProxy) manager = client_proxy(f, FPRINT_MANAGER, FPRINT_MANAGER_IFACE, G_DBUS_PROXY_FLAGS_NONE);
        g_autoptr(GDBusProxy) device = NULL;
        g_autoptr(GError) error = NULL, refused = NULL;
        g_autoptr(GVariant) reply = NULL;
        g_auto(GStrv) fingers = NULL, after_one = NULL, after_all = NULL;
        const char *path;

        enroll(f, user, "left-thumb", "thumb");
        enroll(f, user, FINGER, "index");
        reply = proxy_call(manager, "GetDefaultDevice", NULL, G_DBUS_CALL_FLAGS_NONE, &error);
        g_assert_no_error(error);
        g_variant_get(reply, "(&o)", &path);
        device = client_proxy(f, path, FPRINT_DEVICE_IFACE,
                              G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES);
        assert_virtual_device_properties(f->conn);

        /* switchUser(): Release of a device never claimed, its error ignored. */
        call_refused_only(device, "Release", NULL, "net.reactivated.Fprint.Error.ClaimDevice");
        fingers = list_enrolled(device, user);
        g_assert_cmpstrv(fingers, ((const char *const[]) { "left-thumb", FINGER, NULL }));

        /* deleteFingerprint(): claimDevice() twice in a row is what KDE
         * survives only through AlreadyInUse. */
        call_ok(device, "Claim", g_variant_new("(s)", user), G_DBUS_CALL_FLAGS_NONE);
        call_refused_only(device, "Claim", g_variant_new("(s)", user), "net.reactivated.Fprint.Error.AlreadyInUse");
        call_ok(device, "DeleteEnrolledFinger", g_variant_new("(s)", "left-thumb"), G_DBUS_CALL_FLAGS_NONE);
        call_ok(device, "Release", NULL, G_DBUS_CALL_FLAGS_NONE);
        after_one = list_enrolled(device, user);
        g_assert_cmpstrv(after_one, ((const char *const[]) { FINGER, NULL }));

        /* startEnrolling(): the refusal's message is what the page shows. */
        call_ok(device, "Claim", g_variant_new("(s)", user), G_DBUS_CALL_FLAGS_NONE);
        refused = call_refused(device, "EnrollStart", g_variant_new("(s)", "left-thumb"), G_DBUS_CALL_FLAGS_NONE,
                               CONSENT_REQUIRED);
        g_assert_nonnull(strstr(refused->message, "biogatectl consent"));
        call_ok(device, "Release", NULL, G_DBUS_CALL_FLAGS_NONE);

        /* clearFingerprints() */
        call_ok(device, "Claim", g_variant_new("(s)", user), G_DBUS_CALL_FLAGS_NONE);
        call_ok(device, "DeleteEnrolledFingers2", NULL, G_DBUS_CALL_FLAGS_NONE);
        call_ok(device, "Release", NULL, G_DBUS_CALL_FLAGS_NONE);
        after_all = list_enrolled(device, user);
        g_assert_null(after_all);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

#define ADD(path, driver, fn) g_test_add("/fprint/" path, Fixture, driver, fprint_setup, fn, fixture_teardown)
        ADD("gnome-shell-probe", NULL, test_gnome_shell_probe);
        ADD("gnome-shell-probe-no-sensor", "no_such_driver", test_gnome_shell_probe_no_sensor);
        ADD("gnome-settings-enroll", NULL, test_gnome_settings_enroll);
        ADD("gnome-settings-enroll-consented", NULL, test_gnome_settings_enroll_consented);
        ADD("gnome-settings-delete", NULL, test_gnome_settings_delete);
        ADD("gnome-settings-delete-finger", NULL, test_gnome_settings_delete_finger);
        ADD("kde-users", NULL, test_kde_users);
        return g_test_run();
}
