/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libbiogate against the real biogated on a private bus and libfprint's
 * virtual sensor: the library's calls, its one Operation runner, and its
 * error domain. The Python case drives the same library through GObject
 * introspection. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "biogate.h"
#include "daemon-fixture.h"

static const char policy[] =
        "[rule withdrawals]\n"
        "kind=withdrawal\n"
        "currency=USD\n"
        "amount_min=10000.00\n"
        "require=fingerprint\n"
        "token_lifetime=60\n"
        "\n"
        "[rule sanctioned]\n"
        "payee=Sanctioned Corp\n"
        "require=deny\n"
        "\n"
        "[default]\n"
        "require=fingerprint\n";

/* tx_new()'s challenge, as `biogatectl token verify --challenge` takes it. */
static const char challenge_hex[] = "3031323334353637383961626364656630313233343536373839616263646566";

static void setup(Fixture *f, gconstpointer data) {
        fixture_prepare(f, NULL);
        fixture_start_daemon_with_policy(f, policy, NULL);
}

typedef struct Recorder {
        Fixture *f;
        const char *touch_id;   /* touch the sensor with this at finger-needed */
        GCancellable *cancel_at_finger; /* or cancel this */
        gboolean kill_at_finger;        /* or SIGKILL the daemon */
        GDBusConnection *forger;        /* or forge a Finished first, then touch */
        guint forged_seen;
        gboolean marker_seen;
        gint64 killed_at;
        GPtrArray *progress;    /* statuses in order */
        guint finished;
} Recorder;

static void on_progress(BiogateOperation *op, const char *status, GVariant *details, gpointer userdata) {
        Recorder *r = userdata;

        g_ptr_array_add(r->progress, g_strdup(status));
        if (strcmp(status, "finger-needed") != 0)
                return;
        if (r->forger) {
                g_autoptr(GError) error = NULL;
                GVariantBuilder b;
                const char *victim = g_dbus_connection_get_unique_name(r->f->conn);

                g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                g_variant_builder_add(&b, "{sv}", "token", g_variant_new_string("forged"));
                g_assert_true(g_dbus_connection_emit_signal(r->forger, victim, biogate_operation_get_object_path(op),
                                                            BIOGATE_OPERATION_INTERFACE, "Finished",
                                                            g_variant_new("(s@a{sv})", "approved",
                                                                          g_variant_builder_end(&b)),
                                                            &error));
                g_assert_no_error(error);
                /* The bus keeps the forger's order: once the marker is here,
                 * the forged signal was dispatched (or refused by the bus,
                 * which the raw subscription would show). */
                g_assert_true(g_dbus_connection_emit_signal(r->forger, victim, "/", "org.biogate1.Test", "Marker",
                                                            NULL, &error));
                g_assert_no_error(error);
                while (!r->marker_seen)
                        g_main_context_iteration(NULL, TRUE);
                g_assert_cmpuint(r->forged_seen, ==, 1);
        }
        if (r->touch_id)
                touch(r->f, r->touch_id);
        if (r->cancel_at_finger)
                g_cancellable_cancel(r->cancel_at_finger);
        if (r->kill_at_finger && !r->killed_at) {
                r->killed_at = g_get_monotonic_time();
                g_assert_cmpint(kill(btf_daemon_get_pid(r->f->daemon), SIGKILL), ==, 0);
        }
}

static void on_finished(BiogateOperation *op, const char *result, GVariant *details, gpointer userdata) {
        Recorder *r = userdata;

        r->finished++;
}

static void recorder_init(Recorder *r, Fixture *f, BiogateOperation *op) {
        *r = (Recorder) { .f = f, .progress = g_ptr_array_new_with_free_func(g_free) };
        g_signal_connect(op, "progress", G_CALLBACK(on_progress), r);
        g_signal_connect(op, "finished", G_CALLBACK(on_finished), r);
}

static void recorder_clear(Recorder *r) {
        g_clear_pointer(&r->progress, g_ptr_array_unref);
}

static gboolean recorded(Recorder *r, const char *status) {
        for (guint i = 0; i < r->progress->len; i++)
                if (strcmp(r->progress->pdata[i], status) == 0)
                        return TRUE;
        return FALSE;
}

/* Enrols through the library: five touches, one per "finger-needed". */
static void lib_enroll(Fixture *f, BiogateClient *client, const char *id) {
        g_autoptr(BiogateOperation) op = biogate_client_enroll(client, NULL, "right-index-finger", TRUE,
                                                               BIOGATE_TEST_NOTICE_VERSION, NULL);
        g_autoptr(GError) error = NULL;
        g_autofree char *result = NULL;
        Recorder r;

        recorder_init(&r, f, op);
        r.touch_id = id;
        result = biogate_operation_wait_sync(op, NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(result, ==, "completed");
        g_assert_cmpstr(biogate_operation_get_kind(op), ==, "enroll");
        g_assert_cmpuint(biogate_operation_get_stage(op), ==, 5);
        g_assert_cmpuint(biogate_operation_get_stages(op), ==, 5);
        g_assert_cmpuint(r.finished, ==, 1);
        recorder_clear(&r);
}

/* Evaluate, ListFingers, GetPublicKeys, and a refusal as BIOGATE_ERROR. */
static void test_calls(Fixture *f, gconstpointer data) {
        g_autoptr(BiogateClient) client = biogate_client_new_for_connection(f->conn);
        g_autoptr(GError) error = NULL;
        g_autofree char *rule = NULL, *requirement = NULL, *jwks = NULL;
        g_autoptr(GVariant) details = NULL;
        g_auto(GStrv) fingers = NULL;
        const char *text = NULL;
        GVariantBuilder b;

        g_assert_true(biogate_client_evaluate_sync(client, tx_new("withdrawal", "250000.00", "USD", "ACME Ltd"),
                                                   &rule, &requirement, &details, NULL, &error));
        g_assert_no_error(error);
        g_assert_cmpstr(rule, ==, "withdrawals");
        g_assert_cmpstr(requirement, ==, "fingerprint");
        g_assert_true(g_variant_lookup(details, "text", "&s", &text));
        g_assert_cmpstr(text, ==, "Approve WITHDRAWAL of 250,000.00 USD to payee \"ACME Ltd\" (reference \"T-1001\")?");

        /* The daemon's org.biogate1.Error.InvalidTransaction, as a code. */
        g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add(&b, "{sv}", "kind", g_variant_new_string("withdrawal"));
        g_variant_builder_add(&b, "{sv}", "currency", g_variant_new_string("XXQ"));
        g_assert_false(biogate_client_evaluate_sync(client, g_variant_builder_end(&b), NULL, NULL, NULL, NULL, &error));
        g_assert_error(error, BIOGATE_ERROR, BIOGATE_ERROR_INVALID_TRANSACTION);
        g_assert_false(g_dbus_error_is_remote_error(error) && strstr(error->message, "GDBus.Error:"));
        g_clear_error(&error);

        /* Not a dictionary: refused before the bus, with the same code. */
        g_assert_false(biogate_client_evaluate_sync(client, g_variant_new_string("withdrawal"), NULL, NULL, NULL,
                                                    NULL, &error));
        g_assert_error(error, BIOGATE_ERROR, BIOGATE_ERROR_INVALID_TRANSACTION);
        g_clear_error(&error);

        fingers = biogate_client_list_fingers_sync(client, NULL, NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(g_strv_length(fingers), ==, 0);

        jwks = biogate_client_get_public_keys_sync(client, NULL, &error);
        g_assert_no_error(error);
        g_assert_nonnull(strstr(jwks, "\"OKP\""));
        g_assert_nonnull(strstr(jwks, "\"Ed25519\""));

        /* No prints: Authorize is refused; the operation fails with the code. */
        {
                g_autoptr(BiogateOperation) op = biogate_client_authorize(
                                client, tx_new("withdrawal", "250000.00", "USD", "ACME Ltd"), NULL, NULL);
                g_autofree char *result = biogate_operation_wait_sync(op, NULL, &error);

                g_assert_null(result);
                g_assert_error(error, BIOGATE_ERROR, BIOGATE_ERROR_NO_ENROLLED_PRINTS);
                g_assert_cmpstr(biogate_operation_get_result(op), ==, "failed");
                g_clear_error(&error);
        }

        lib_enroll(f, client, "alice");
        g_clear_pointer(&fingers, g_strfreev);
        fingers = biogate_client_list_fingers_sync(client, NULL, NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(g_strv_length(fingers), ==, 1);
        g_assert_cmpstr(fingers[0], ==, "right-index-finger");

        /* A rule that says "deny". */
        {
                g_autoptr(BiogateOperation) op = biogate_client_authorize(
                                client, tx_new("order", "5.00", "USD", "Sanctioned Corp"), NULL, NULL);
                g_autofree char *result = biogate_operation_wait_sync(op, NULL, &error);

                g_assert_null(result);
                g_assert_error(error, BIOGATE_ERROR, BIOGATE_ERROR_POLICY_DENIED);
        }
}

static void on_async_done(GObject *source, GAsyncResult *res, gpointer userdata) {
        GAsyncResult **out = userdata;

        *out = g_object_ref(res);
}

/* Runs the default main context until an async call has called back. */
static GAsyncResult *wait_async(GAsyncResult **slot) {
        while (!*slot)
                g_main_context_iteration(NULL, TRUE);
        return *slot;
}

/* The Manager calls biogatectl's status, devices, delete, my-data and erase
 * make: version, sensors, deletion, subject-access data, erasure; async and
 * sync give the same answers, refusals come as BIOGATE_ERROR codes. */
static void test_manage(Fixture *f, gconstpointer data) {
        g_autoptr(BiogateClient) client = biogate_client_new_for_connection(f->conn);
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) devices = NULL, async_devices = NULL, mine = NULL, erased = NULL;
        g_autoptr(GAsyncResult) res = NULL;
        g_auto(GStrv) fingers = NULL;
        g_autofree char *id = NULL, *name = NULL;
        const char *user = NULL;
        guint32 uid = G_MAXUINT32;
        gboolean key = FALSE;

        g_assert_cmpuint(biogate_client_get_api_version_sync(client, NULL, &error), ==, 1);
        g_assert_no_error(error);
        biogate_client_get_api_version(client, NULL, on_async_done, &res);
        g_assert_cmpuint(biogate_client_get_api_version_finish(client, wait_async(&res), &error), ==, 1);
        g_assert_no_error(error);
        g_clear_object(&res);

        /* The virtual sensor, once, the same both ways. */
        devices = biogate_client_list_devices_sync(client, NULL, &error);
        g_assert_no_error(error);
        g_assert_true(g_variant_is_of_type(devices, G_VARIANT_TYPE("a(ssa{sv})")));
        g_assert_cmpuint(g_variant_n_children(devices), ==, 1);
        g_variant_get_child(devices, 0, "(ss@a{sv})", &id, &name, NULL);
        g_assert_cmpstr(id, !=, "");
        biogate_client_list_devices(client, NULL, on_async_done, &res);
        async_devices = biogate_client_list_devices_finish(client, wait_async(&res), &error);
        g_assert_no_error(error);
        g_assert_true(g_variant_equal(devices, async_devices));
        g_clear_object(&res);

        /* Delete: an unknown finger is refused with its code, then the one
         * enrolled finger goes (NULL: all of them). */
        lib_enroll(f, client, "alice");
        g_assert_false(biogate_client_delete_fingers_sync(client, NULL, (const char *[]) { "sixth-finger", NULL },
                                                          NULL, &error));
        g_assert_error(error, BIOGATE_ERROR, BIOGATE_ERROR_INVALID_FINGER);
        g_assert_null(strstr(error->message, "GDBus.Error:"));
        g_clear_error(&error);
        biogate_client_delete_fingers(client, NULL, NULL, NULL, on_async_done, &res);
        g_assert_true(biogate_client_delete_fingers_finish(client, wait_async(&res), &error));
        g_assert_no_error(error);
        g_clear_object(&res);
        fingers = biogate_client_list_fingers_sync(client, NULL, NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(g_strv_length(fingers), ==, 0);

        /* Subject access (GetMyData for NULL), then erasure of it all. */
        lib_enroll(f, client, "alice");
        biogate_client_get_user_data(client, NULL, NULL, on_async_done, &res);
        mine = biogate_client_get_user_data_finish(client, wait_async(&res), &error);
        g_assert_no_error(error);
        g_clear_object(&res);
        g_assert_true(g_variant_lookup(mine, "user", "&s", &user));
        g_assert_cmpstr(user, ==, g_get_user_name());
        g_assert_true(g_variant_lookup(mine, "uid", "u", &uid));
        g_assert_cmpuint(uid, ==, getuid());
        g_clear_pointer(&mine, g_variant_unref);
        mine = biogate_client_get_user_data_sync(client, "", NULL, &error);
        g_assert_no_error(error);
        g_assert_true(g_variant_lookup(mine, "uid", "u", &uid));
        g_assert_cmpuint(uid, ==, getuid());

        erased = biogate_client_erase_user_sync(client, NULL, NULL, &error);
        g_assert_no_error(error);
        g_assert_true(g_variant_lookup(erased, "key", "b", &key));
        g_assert_true(key);
        g_clear_pointer(&fingers, g_strfreev);
        fingers = biogate_client_list_fingers_sync(client, NULL, NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(g_strv_length(fingers), ==, 0);
        g_clear_pointer(&erased, g_variant_unref);
        biogate_client_erase_user(client, NULL, NULL, on_async_done, &res);
        erased = biogate_client_erase_user_finish(client, wait_async(&res), &error);
        g_assert_no_error(error);
        g_assert_nonnull(erased);
}

/* Standing consent through the library: recorded for the current notice
 * (GetMyData shows it), refused for another version, withdrawn; sync and
 * async alike. */
/* The notice version of the caller's standing consent, or NULL for none. */
static char *standing_version(BiogateClient *client) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) mine = biogate_client_get_user_data_sync(client, NULL, NULL, &error);
        g_autoptr(GVariant) standing = NULL;
        const char *v = NULL;

        g_assert_no_error(error);
        standing = g_variant_lookup_value(mine, "standing-consent", G_VARIANT_TYPE_VARDICT);
        if (!standing)
                return NULL;
        g_assert_true(g_variant_lookup(standing, "notice-version", "&s", &v));
        return g_strdup(v);
}

static void assert_standing_version(BiogateClient *client, const char *expected) {
        g_autofree char *version = standing_version(client);

        g_assert_cmpstr(version, ==, expected);
}

static void test_consent(Fixture *f, gconstpointer data) {
        g_autoptr(BiogateClient) client = biogate_client_new_for_connection(f->conn);
        g_autoptr(GError) error = NULL;
        g_autoptr(GAsyncResult) res = NULL;

        assert_standing_version(client, NULL);
        g_assert_false(biogate_client_record_consent_sync(client, "1999-0", NULL, &error));
        g_assert_error(error, BIOGATE_ERROR, BIOGATE_ERROR_CONSENT_REQUIRED);
        g_assert_null(strstr(error->message, "GDBus.Error:"));
        g_clear_error(&error);
        assert_standing_version(client, NULL);

        g_assert_true(biogate_client_record_consent_sync(client, BIOGATE_TEST_NOTICE_VERSION, NULL, &error));
        g_assert_no_error(error);
        assert_standing_version(client, BIOGATE_TEST_NOTICE_VERSION);

        biogate_client_withdraw_consent(client, NULL, on_async_done, &res);
        g_assert_true(biogate_client_withdraw_consent_finish(client, wait_async(&res), &error));
        g_assert_no_error(error);
        g_clear_object(&res);
        assert_standing_version(client, NULL);

        biogate_client_record_consent(client, BIOGATE_TEST_NOTICE_VERSION, NULL, on_async_done, &res);
        g_assert_true(biogate_client_record_consent_finish(client, wait_async(&res), &error));
        g_assert_no_error(error);
        g_clear_object(&res);
        assert_standing_version(client, BIOGATE_TEST_NOTICE_VERSION);
        g_assert_true(biogate_client_withdraw_consent_sync(client, NULL, &error));
        g_assert_no_error(error);
        assert_standing_version(client, NULL);
}

/* The consent notice through the library, sync and async: the daemon's
 * vendor notice, in the language asked for where it has it; the version to
 * send back; the out arguments optional. */
static void test_consent_notice(Fixture *f, gconstpointer data) {
        g_autoptr(BiogateClient) client = biogate_client_new_for_connection(f->conn);
        g_autoptr(GError) error = NULL;
        g_autoptr(GAsyncResult) res = NULL;
        g_autofree char *version = NULL, *language = NULL, *text = NULL, *async_version = NULL, *async_text = NULL;

        g_assert_true(biogate_client_get_consent_notice_sync(client, "ru_RU.UTF-8", &version, &language, &text, NULL,
                                                             &error));
        g_assert_no_error(error);
        g_assert_cmpstr(version, ==, BIOGATE_TEST_NOTICE_VERSION);
        g_assert_cmpstr(language, ==, "ru");
        g_assert_nonnull(strstr(text, "Регистрация отпечатка пальца на этой рабочей станции"));

        biogate_client_get_consent_notice(client, "de_DE.UTF-8", NULL, on_async_done, &res);
        g_assert_true(biogate_client_get_consent_notice_finish(client, wait_async(&res), &async_version, NULL,
                                                               &async_text, &error));
        g_assert_no_error(error);
        g_assert_cmpstr(async_version, ==, BIOGATE_TEST_NOTICE_VERSION);
        g_assert_nonnull(strstr(async_text, "Fingerprint enrolment on this workstation"));

        /* The version it gave is the one enrolment and consent take. */
        g_assert_true(biogate_client_record_consent_sync(client, version, NULL, &error));
        g_assert_no_error(error);
        assert_standing_version(client, version);
}

/* biogatectl follows its operation through the library: Ctrl-C while it
 * waits for a finger sends Cancel, and the daemon's "cancelled" gives exit
 * status 6 with the daemon's error name. */
static void test_biogatectl_interrupt(Fixture *f, gconstpointer data) {
        g_autoptr(BiogateClient) client = biogate_client_new_for_connection(f->conn);
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfProc) proc = NULL;
        const char *err;
        int status = 0;

        lib_enroll(f, client, "alice");
        proc = btf_spawn_async((const char *[]) { BIOGATECTL_PATH, "verify", NULL }, NULL, &error);
        g_assert_no_error(error);
        g_assert_true(btf_proc_wait_output(proc, BTF_STDERR, "Touch the sensor", 30000, &error));
        g_assert_no_error(error);

        btf_proc_kill(proc, SIGINT);
        g_assert_true(btf_proc_wait(proc, 30000, &status, &error));
        g_assert_no_error(error);
        err = btf_proc_get_stderr(proc);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 6)
                g_error("biogatectl verify after SIGINT: %s; stderr: %s", btf_wait_status_describe(status), err);
        g_assert_nonnull(strstr(err, "(org.biogate1.Error.Cancelled)"));
}

/* A touch gives a token that `biogatectl token verify` accepts; every
 * signal from the first (device-acquired) on arrives, in order. */
static void test_authorize(Fixture *f, gconstpointer data) {
        g_autoptr(BiogateClient) client = biogate_client_new_for_connection(f->conn);
        g_autoptr(BiogateOperation) op = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *result = NULL, *jwks = NULL, *out = NULL, *err = NULL;
        g_autofree char *jwks_path = g_build_filename(f->tmp, "jwks.json", NULL);
        const char *token;
        int status = 0;
        Recorder r;

        lib_enroll(f, client, "alice");
        op = biogate_client_authorize(client, tx_new("withdrawal", "250000.00", "USD", "ACME Ltd"), NULL, NULL);
        recorder_init(&r, f, op);
        r.touch_id = "alice";
        result = biogate_operation_wait_sync(op, NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(result, ==, "approved");
        g_assert_cmpuint(r.finished, ==, 1);
        g_assert_cmpuint(r.progress->len, >=, 2);
        g_assert_cmpstr(r.progress->pdata[0], ==, "device-acquired");
        g_assert_true(recorded(&r, "finger-needed"));
        g_assert_cmpstr(biogate_operation_get_text(op), ==,
                        "Approve WITHDRAWAL of 250,000.00 USD to payee \"ACME Ltd\" (reference \"T-1001\")?");
        g_assert_cmpstr(biogate_operation_get_state(op), ==, "done");
        token = biogate_operation_get_token(op);
        g_assert_nonnull(token);

        jwks = biogate_client_get_public_keys_sync(client, NULL, &error);
        g_assert_no_error(error);
        g_assert_true(g_file_set_contents(jwks_path, jwks, -1, NULL));
        g_assert_true(btf_run((const char *[]) { BIOGATECTL_PATH, "token", "verify", "--jwks", jwks_path,
                                                 "--challenge", challenge_hex, token, NULL },
                              NULL, &out, &err, &status, &error));
        g_assert_no_error(error);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                g_error("biogatectl token verify refused the token: %s", err);
        recorder_clear(&r);
}

static void on_raw_finished(GDBusConnection *c, const char *sender, const char *path, const char *iface,
                            const char *member, GVariant *parameters, gpointer userdata) {
        Recorder *r = userdata;

        if (g_strcmp0(sender, g_dbus_connection_get_unique_name(r->forger)) == 0)
                r->forged_seen++;
}

static void on_marker(GDBusConnection *c, const char *sender, const char *path, const char *iface,
                      const char *member, GVariant *parameters, gpointer userdata) {
        ((Recorder *) userdata)->marker_seen = TRUE;
}

/* A Finished sent to us by another bus client, for our operation's path,
 * is not the daemon's: the library waits for the real result. */
static void test_forged_signals(Fixture *f, gconstpointer data) {
        g_autoptr(BiogateClient) client = biogate_client_new_for_connection(f->conn);
        g_autoptr(BiogateOperation) op = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusConnection) forger = btf_bus_connect(f->bus, &error);
        g_autofree char *result = NULL;
        guint raw, marker;
        Recorder r;

        g_assert_no_error(error);
        lib_enroll(f, client, "alice");
        op = biogate_client_authorize(client, tx_new("withdrawal", "250000.00", "USD", "ACME Ltd"), NULL, NULL);
        recorder_init(&r, f, op);
        r.forger = forger;
        r.touch_id = "alice";
        raw = g_dbus_connection_signal_subscribe(f->conn, NULL, BIOGATE_OPERATION_INTERFACE, "Finished", NULL, NULL,
                                                 G_DBUS_SIGNAL_FLAGS_NONE, on_raw_finished, &r, NULL);
        marker = g_dbus_connection_signal_subscribe(f->conn, NULL, "org.biogate1.Test", "Marker", NULL, NULL,
                                                    G_DBUS_SIGNAL_FLAGS_NONE, on_marker, &r, NULL);
        result = biogate_operation_wait_sync(op, NULL, &error);
        g_dbus_connection_signal_unsubscribe(f->conn, raw);
        g_dbus_connection_signal_unsubscribe(f->conn, marker);
        g_assert_no_error(error);
        g_assert_cmpstr(result, ==, "approved");
        g_assert_cmpuint(r.finished, ==, 1);
        g_assert_cmpstr(biogate_operation_get_token(op), !=, "forged");
        g_assert_cmpuint(strlen(biogate_operation_get_token(op)), >, 100);
        recorder_clear(&r);
}

/* Cancelling the GCancellable given to authorize ends it "cancelled", with
 * no token. */
static void test_cancelled(Fixture *f, gconstpointer data) {
        g_autoptr(BiogateClient) client = biogate_client_new_for_connection(f->conn);
        g_autoptr(GCancellable) cancellable = g_cancellable_new();
        g_autoptr(BiogateOperation) op = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *result = NULL;
        Recorder r;

        lib_enroll(f, client, "alice");
        op = biogate_client_authorize(client, tx_new("withdrawal", "250000.00", "USD", "ACME Ltd"), NULL,
                                      cancellable);
        recorder_init(&r, f, op);
        r.cancel_at_finger = cancellable;
        result = biogate_operation_wait_sync(op, NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(result, ==, "cancelled");
        g_assert_null(biogate_operation_get_token(op));
        g_assert_cmpuint(r.finished, ==, 1);
        recorder_clear(&r);
}

static gboolean on_no_failure(gpointer userdata) {
        g_error("the operation did not fail 10 s after biogated was killed");
        return G_SOURCE_REMOVE;
}

/* biogated killed while it waits for the finger: the operation fails with
 * NameHasNoOwner within a second, instead of waiting forever. */
static void test_daemon_killed(Fixture *f, gconstpointer data) {
        g_autoptr(BiogateClient) client = biogate_client_new_for_connection(f->conn);
        g_autoptr(BiogateOperation) op = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *result = NULL;
        g_autofree char *name = NULL;
        gint64 elapsed;
        guint timeout;
        int status = 0;
        Recorder r;

        lib_enroll(f, client, "alice");
        op = biogate_client_authorize(client, tx_new("withdrawal", "250000.00", "USD", "ACME Ltd"), NULL, NULL);
        recorder_init(&r, f, op);
        r.kill_at_finger = TRUE;
        /* Without the library's watch, wait_sync() would never return: fail
         * within the test's time instead of meson's time-out. */
        timeout = g_timeout_add_seconds(10, on_no_failure, NULL);
        result = biogate_operation_wait_sync(op, NULL, &error);
        elapsed = g_get_monotonic_time() - r.killed_at;
        g_source_remove(timeout);
        g_assert_null(result);
        g_assert_error(error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER);
        g_clear_error(&error);
        g_assert_cmpstr(biogate_operation_get_result(op), ==, "failed");
        g_assert_true(g_variant_lookup(biogate_operation_get_result_details(op), "error", "s", &name));
        g_assert_cmpstr(name, ==, "org.freedesktop.DBus.Error.NameHasNoOwner");
        g_test_message("daemon killed -> operation failed after %" G_GINT64_FORMAT " us", elapsed);
        g_assert_cmpint(elapsed, <, G_USEC_PER_SEC);
        g_assert_cmpuint(r.finished, ==, 1);
        recorder_clear(&r);

        /* The library may learn of the death before the test reaps the
         * process: reap it here, so that the teardown does not stop it. */
        g_assert_true(btf_daemon_wait_exit(f->daemon, T, &status, &error));
        g_assert_no_error(error);
        g_assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

/* Signals that arrive before the library knows the operation's path and
 * has read its properties are buffered and replayed in order: a verify that
 * times out at once finishes while the library is still reading. */
static void test_early_signals(Fixture *f, gconstpointer data) {
        g_autoptr(BiogateClient) client = biogate_client_new_for_connection(f->conn);
        g_autoptr(GError) error = NULL;
        GVariantBuilder b;

        lib_enroll(f, client, "alice");
        for (int i = 0; i < 5; i++) {
                g_autoptr(BiogateOperation) op = NULL;
                g_autofree char *result = NULL;
                Recorder r;

                g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                g_variant_builder_add(&b, "{sv}", "timeout-ms", g_variant_new_uint32(1));
                op = biogate_client_verify(client, NULL, g_variant_builder_end(&b), NULL);
                recorder_init(&r, f, op);
                result = biogate_operation_wait_sync(op, NULL, &error);
                g_assert_null(result);
                g_assert_error(error, BIOGATE_ERROR, BIOGATE_ERROR_TIMED_OUT);
                g_clear_error(&error);
                g_assert_cmpuint(r.finished, ==, 1);
                /* The first signal of every operation is device-acquired. */
                g_assert_cmpuint(r.progress->len, >=, 1);
                g_assert_cmpstr(r.progress->pdata[0], ==, "device-acquired");
                recorder_clear(&r);
        }
}

/* The same library from Python through GObject introspection. */
static void test_python(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BiogateClient) client = biogate_client_new_for_connection(f->conn);
        g_autofree char *out = NULL, *err = NULL, *jwks = NULL, *token = NULL;
        g_autofree char *jwks_path = g_build_filename(f->tmp, "jwks.json", NULL);
        g_autofree char *bus_env = g_strdup_printf("DBUS_SYSTEM_BUS_ADDRESS=%s", btf_bus_get_address(f->bus));
        g_autofree char *vdev_env = g_strdup_printf("BIOGATE_TEST_VDEV=%s", f->vdev);
        g_autofree char *typelib_env = g_strdup_printf("GI_TYPELIB_PATH=%s", LIBBIOGATE_BUILD_DIR);
        g_autofree char *ld_env = g_strdup_printf("LD_LIBRARY_PATH=%s", LIBBIOGATE_BUILD_DIR);
        g_autofree char *preload_env = NULL;
        const char *preload = g_getenv("BIOGATE_TEST_PYTHON_PRELOAD");
        int status = 0;

        if (preload && *preload)
                preload_env = g_strdup_printf("LD_PRELOAD=%s", preload);
        lib_enroll(f, client, "alice");
        g_assert_true(btf_run((const char *[]) { "/usr/bin/python3", LIBBIOGATE_PYTHON_TEST, NULL },
                              (const char *[]) { bus_env, vdev_env, typelib_env, ld_env,
                                                 /* The interpreter's own allocations are not ours. */
                                                 "ASAN_OPTIONS=detect_leaks=0", preload_env, NULL },
                              &out, &err, &status, &error));
        g_assert_no_error(error);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                g_printerr("%s\n%s\n", out, err);
                g_error("the Python client failed (status %d)", status);
        }
        {
                g_auto(GStrv) lines = g_strsplit(out, "\n", -1);

                /* One line each: TAP takes only "# " lines as comments. */
                for (char **l = lines; *l; l++)
                        if (**l)
                                g_test_message("python: %s", *l);
        }
        token = g_strdup(strstr(out, "token ") ? strstr(out, "token ") + 6 : "");
        g_strstrip(token);
        g_assert_cmpuint(strlen(token), >, 100);

        jwks = biogate_client_get_public_keys_sync(client, NULL, &error);
        g_assert_no_error(error);
        g_assert_true(g_file_set_contents(jwks_path, jwks, -1, NULL));
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);
        g_assert_true(btf_run((const char *[]) { BIOGATECTL_PATH, "token", "verify", "--jwks", jwks_path,
                                                 "--challenge", challenge_hex, token, NULL },
                              NULL, &out, &err, &status, &error));
        g_assert_no_error(error);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                g_error("biogatectl token verify refused the Python client's token: %s", err);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

#define ADD(path, fn) g_test_add("/libbiogate/" path, Fixture, NULL, setup, fn, fixture_teardown)
        ADD("calls", test_calls);
        ADD("manage", test_manage);
        ADD("consent", test_consent);
        ADD("consent-notice", test_consent_notice);
        ADD("biogatectl-interrupt", test_biogatectl_interrupt);
        ADD("authorize", test_authorize);
        ADD("forged-signals", test_forged_signals);
        ADD("cancelled", test_cancelled);
        ADD("daemon-killed", test_daemon_killed);
        ADD("early-signals", test_early_signals);
        ADD("python", test_python);
        return g_test_run();
}
