/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "daemon-fixture.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


void fixture_prepare_with_policies(Fixture *f, const char *driver, const char *const *bus_policies,
                                   const char *const *bus_include_dirs) {
        g_autoptr(GError) error = NULL;

        f->driver = g_strdup(driver ? driver : "virtual_device");
        f->tmp = btf_tmpdir_new();
        f->state = g_build_filename(f->tmp, "state", NULL);
        f->vdev = g_build_filename(f->tmp, "vdev.sock", NULL);
        f->bus = btf_bus_start_full(f->tmp, bus_policies, bus_include_dirs, &error);
        g_assert_no_error(error);
        f->conn = g_object_ref(btf_bus_get_connection(f->bus));
}

void fixture_prepare_full(Fixture *f, const char *driver, const char *const *bus_include_dirs) {
        fixture_prepare_with_policies(f, driver, (const char *const[]) { BIOGATE_BUS_POLICY, NULL }, bus_include_dirs);
}

void fixture_prepare(Fixture *f, const char *driver) {
        fixture_prepare_full(f, driver, NULL);
}

void fixture_start_daemon_full(Fixture *f, const char *const *extra_env, const char *const *extra_args) {
        fixture_start_daemon_wrapped(f, NULL, 0, extra_env, extra_args);
}

void fixture_start_daemon_wrapped(Fixture *f, const char *const *command_prefix, int timeout_ms,
                                  const char *const *extra_env, const char *const *extra_args) {
        g_autoptr(GError) error = NULL;
        g_autofree char *env_drv1 = g_strdup_printf("FP_DRIVERS_WHITELIST=%s", f->driver);
        g_autofree char *env_drv2 = g_strdup_printf("FP_DRIVERS_ALLOWLIST=%s", f->driver);
        g_autofree char *env_vdev = g_strdup_printf("FP_VIRTUAL_DEVICE=%s", f->vdev);
        g_autofree char *env_vstore = g_strdup_printf("FP_VIRTUAL_DEVICE_STORAGE=%s", f->vdev);
        g_autofree char *env_vimage = g_strdup_printf("FP_VIRTUAL_IMAGE=%s", f->vdev);
        g_autoptr(GPtrArray) env = g_ptr_array_new();

        g_ptr_array_add(env, env_drv1);
        g_ptr_array_add(env, env_drv2);
        g_ptr_array_add(env, env_vdev);
        g_ptr_array_add(env, env_vstore);
        g_ptr_array_add(env, env_vimage);
        for (const char *const *e = extra_env; e && *e; e++)
                g_ptr_array_add(env, (char *) *e);
        g_ptr_array_add(env, NULL);

        /* A restart replaces the previous (stopped) instance. */
        g_clear_pointer(&f->daemon, btf_daemon_free);
        f->daemon = btf_daemon_start_full(f->bus,
                                          &(BtfDaemonOptions) { .daemon_path = BIOGATED_PATH,
                                                                .command_prefix = command_prefix,
                                                                .state_dir = f->state,
                                                                .extra_env = (const char *const *) env->pdata,
                                                                .extra_args = extra_args,
                                                                .timeout_ms = timeout_ms },
                                          &error);
        g_assert_no_error(error);
}

void fixture_start_daemon(Fixture *f, const char *const *extra_args) {
        fixture_start_daemon_full(f, NULL, extra_args);
}

/* data: the libfprint driver to run, NULL for virtual_device. */
void fixture_setup(Fixture *f, gconstpointer data) {
        fixture_prepare(f, data);
        fixture_start_daemon(f, NULL);
}

char *fixture_write_policy(Fixture *f, const char *name, const char *text) {
        g_autofree char *dir = g_build_filename(f->tmp, "policy.d", NULL);
        g_autofree char *path = g_build_filename(dir, name, NULL);

        g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
        g_assert_true(g_file_set_contents(path, text, -1, NULL));
        g_assert_cmpint(chmod(path, 0644), ==, 0);
        return g_steal_pointer(&dir);
}

void fixture_start_daemon_with_policy(Fixture *f, const char *text, const char *const *extra_args) {
        g_autofree char *dir = fixture_write_policy(f, "50-test.conf", text);
        g_autofree char *dir_arg = g_strdup_printf("--policy-dir=%s", dir);
        g_autofree char *vendor_arg = g_strdup_printf("--vendor-policy=%s/none.conf", f->tmp);
        g_autoptr(GPtrArray) args = g_ptr_array_new();

        for (guint i = 0; extra_args && extra_args[i]; i++)
                g_ptr_array_add(args, (gpointer) extra_args[i]);
        g_ptr_array_add(args, dir_arg);
        g_ptr_array_add(args, vendor_arg);
        g_ptr_array_add(args, NULL);
        fixture_start_daemon(f, (const char *const *) args->pdata);
}

void fixture_teardown(Fixture *f, gconstpointer data) {
        int status = 0;

        if (f->daemon && !btf_daemon_has_exited(f->daemon)) {
                g_autoptr(GError) error = NULL;
                g_assert_true(btf_daemon_stop(f->daemon, &status, &error));
                /* A clean exit on SIGTERM, also under the sanitizers. */
                btf_assert_exit_code(status, 0);
        }
        btf_daemon_free(f->daemon);
        g_clear_object(&f->conn);
        btf_bus_free(f->bus);
        btf_tmpdir_remove(f->tmp);
        g_free(f->tmp);
        g_free(f->state);
        g_free(f->vdev);
        g_free(f->driver);
}

/* ---- helpers ---- */

GVariant *call_name(GDBusConnection *conn, const char *name, const char *path, const char *iface,
                    const char *method, GVariant *params, const char *reply_type, GError **error) {
        return g_dbus_connection_call_sync(conn, name, path, iface, method, params,
                                           reply_type ? G_VARIANT_TYPE(reply_type) : NULL,
                                           G_DBUS_CALL_FLAGS_NO_AUTO_START, 20000, NULL, error);
}

GVariant *call_on(GDBusConnection *conn, const char *path, const char *iface, const char *method,
                         GVariant *params, const char *reply_type, GError **error) {
        return call_name(conn, BIOGATE_BUS_NAME, path, iface, method, params, reply_type, error);
}

char *get_state(GDBusConnection *conn, BtfOp *op) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = call_on(conn, btf_op_get_path(op), "org.freedesktop.DBus.Properties", "Get",
                                        g_variant_new("(ss)", BIOGATE_OPERATION_INTERFACE, "State"), "(v)", &error);
        g_autoptr(GVariant) v = NULL;

        g_assert_no_error(error);
        g_variant_get(r, "(v)", &v);
        return g_variant_dup_string(v, NULL);
}

GVariant *manager_call(GDBusConnection *conn, const char *method, GVariant *params, const char *reply_type,
                              GError **error) {
        return call_on(conn, BIOGATE_OBJECT_PATH, BIOGATE_MANAGER_INTERFACE, method, params, reply_type, error);
}

void assert_same_interface(GDBusInterfaceInfo *want, GDBusInterfaceInfo *got) {
        g_assert_nonnull(got);
        for (guint i = 0; want->methods && want->methods[i]; i++) {
                GDBusMethodInfo *m = want->methods[i];
                GDBusMethodInfo *g = g_dbus_interface_info_lookup_method(got, m->name);
                g_assert_nonnull(g);
                for (guint j = 0; m->in_args && m->in_args[j]; j++)
                        g_assert_cmpstr(m->in_args[j]->signature, ==, g->in_args[j]->signature);
                for (guint j = 0; m->out_args && m->out_args[j]; j++)
                        g_assert_cmpstr(m->out_args[j]->signature, ==, g->out_args[j]->signature);
        }
        for (guint i = 0; got->methods && got->methods[i]; i++)
                g_assert_nonnull(g_dbus_interface_info_lookup_method(want, got->methods[i]->name));
        for (guint i = 0; want->signals && want->signals[i]; i++)
                g_assert_nonnull(g_dbus_interface_info_lookup_signal(got, want->signals[i]->name));
        for (guint i = 0; want->properties && want->properties[i]; i++) {
                GDBusPropertyInfo *p = g_dbus_interface_info_lookup_property(got, want->properties[i]->name);
                g_assert_nonnull(p);
                g_assert_cmpstr(p->signature, ==, want->properties[i]->signature);
                g_assert_cmpint(p->flags, ==, want->properties[i]->flags);
        }
}

void assert_dbus_error(const GError *error, const char *name) {
        g_autofree char *remote = NULL;

        g_assert_nonnull(error);
        remote = g_dbus_error_get_remote_error(error);
        if (g_strcmp0(remote, name) != 0)
                g_error("expected %s, got %s (%s)", name, remote, error->message);
}

GVariant *tx_new(const char *kind, const char *amount, const char *currency, const char *payee) {
        static const guint8 challenge[32] = "0123456789abcdef0123456789abcdef";
        GVariantBuilder b;

        g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add(&b, "{sv}", "kind", g_variant_new_string(kind));
        if (amount)
                g_variant_builder_add(&b, "{sv}", "amount", g_variant_new_string(amount));
        if (currency)
                g_variant_builder_add(&b, "{sv}", "currency", g_variant_new_string(currency));
        if (payee)
                g_variant_builder_add(&b, "{sv}", "payee", g_variant_new_string(payee));
        g_variant_builder_add(&b, "{sv}", "reference", g_variant_new_string("T-1001"));
        g_variant_builder_add(&b, "{sv}", "challenge",
                              g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, challenge, sizeof challenge, 1));
        return g_variant_builder_end(&b);
}

/* The Manager's Verify or Enroll, run by libbiogate. */
BtfOp *start_op(GDBusConnection *conn, const char *method, GVariant *params, GError **error) {
        const char *kind = g_str_equal(method, "Verify") ? "verify" : g_str_equal(method, "Enroll") ? "enroll" : NULL;

        g_assert_nonnull(kind);
        return btf_op_start(conn, kind, params, error);
}

BtfOp *start_authorize(GDBusConnection *conn, GVariant *tx, GError **error) {
        return btf_op_start(conn, "authorize", g_variant_new("(@a{sv}a{sv})", tx, NULL), error);
}

BtfOp *start_verify(GDBusConnection *conn, const char *user) {
        g_autoptr(GError) error = NULL;
        BtfOp *op = start_op(conn, "Verify", g_variant_new("(sa{sv})", user, NULL), &error);
        g_assert_no_error(error);
        return op;
}

GVariant *consent_options(void) {
        GVariantBuilder b;

        g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add(&b, "{sv}", "consent", g_variant_new_boolean(TRUE));
        g_variant_builder_add(&b, "{sv}", "notice-version", g_variant_new_string(BIOGATE_TEST_NOTICE_VERSION));
        return g_variant_builder_end(&b);
}

/* With consent to the current notice, as biogatectl enroll sends it. */
BtfOp *start_enroll(GDBusConnection *conn, const char *user, const char *finger) {
        g_autoptr(GError) error = NULL;
        BtfOp *op = start_op(conn, "Enroll", g_variant_new("(ss@a{sv})", user, finger, consent_options()), &error);
        g_assert_no_error(error);
        return op;
}

void wait_finger_needed(BtfOp *op) {
        g_autoptr(GError) error = NULL;
        g_assert_true(btf_op_wait_progress(op, "finger-needed", T, NULL, &error));
        g_assert_no_error(error);
}

void touch(Fixture *f, const char *id) {
        g_autoptr(GError) error = NULL;

        if (!btf_vdev_sendf(f->vdev, &error, "SCAN %s", id))
                g_error("touching the sensor: %s", error->message);
}

void sensor(Fixture *f, const char *command) {
        g_autoptr(GError) error = NULL;
        g_assert_true(btf_vdev_send(f->vdev, command, &error));
        g_assert_no_error(error);
}

/* Returns the result; details go to ret_details when not NULL. */
char *wait_finished(BtfOp *op, GVariant **ret_details) {
        g_autoptr(GError) error = NULL;
        char *result = NULL;

        g_assert_true(btf_op_wait_finished(op, T, &result, ret_details, &error));
        g_assert_no_error(error);
        return result;
}

const char *detail_string(GVariant *details, const char *key) {
        const char *value = NULL;
        if (!g_variant_lookup(details, key, "&s", &value))
                return NULL;
        return value;
}

void release(GDBusConnection *conn, BtfOp *op) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = call_on(conn, btf_op_get_path(op), BIOGATE_OPERATION_INTERFACE, "Release", NULL, NULL,
                                        &error);
        g_assert_no_error(error);
}

/* Full enrolment: five touches with the same id. */
void enroll(Fixture *f, const char *user, const char *finger, const char *id) {
        g_autoptr(BtfOp) op = start_enroll(f->conn, user, finger);
        g_autoptr(GVariant) details = NULL;
        g_autofree char *result = NULL;

        for (int i = 0; i < 5; i++) {
                wait_finger_needed(op);
                touch(f, id);
        }
        result = wait_finished(op, &details);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_COMPLETED);
        g_assert_cmpstr(detail_string(details, "finger"), ==, finger);
        g_assert_cmpuint(btf_op_count_progress(op, "stage-passed"), ==, 5);
        release(f->conn, op);
}

/* Verify with one touch per prompt until the daemon decides. */
char *verify_with(Fixture *f, GDBusConnection *conn, const char *user, const char *id, GVariant **ret_details) {
        g_autoptr(BtfOp) op = start_verify(conn, user);
        char *result;

        wait_finger_needed(op);
        touch(f, id);
        result = wait_finished(op, ret_details);
        release(conn, op);
        return result;
}

char *get_public_keys(GDBusConnection *conn) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = call_on(conn, BIOGATE_OBJECT_PATH, BIOGATE_STEPUP_INTERFACE, "GetPublicKeys", NULL,
                                            "(s)", &error);
        char *s = NULL;

        g_assert_no_error(error);
        g_variant_get(reply, "(s)", &s);
        return s;
}

char **list_fingers(GDBusConnection *conn, const char *user) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = manager_call(conn, "ListFingers", g_variant_new("(s)", user), "(as)", &error);
        char **fingers = NULL;

        g_assert_no_error(error);
        g_variant_get(reply, "(^as)", &fingers);
        return fingers;
}


guint fixture_log_count(Fixture *f, const char *needle) {
        g_autofree char *log = btf_daemon_read_log(f->daemon);
        guint n = 0;

        for (const char *p = log; p && (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

char *fixture_write_credential(Fixture *f, const char *dir, const char *name, guint8 seed, gsize size) {
        g_autofree char *dir_path = g_build_filename(f->tmp, dir, NULL);
        g_autofree char *path = g_build_filename(dir_path, name, NULL);
        g_autofree guint8 *bytes = g_malloc(size);

        for (gsize i = 0; i < size; i++)
                bytes[i] = (guint8) (seed + i * 13);
        g_assert_cmpint(g_mkdir_with_parents(dir_path, 0700), ==, 0);
        (void) unlink(path);
        g_assert_true(g_file_set_contents(path, (const char *) bytes, (gssize) size, NULL));
        g_assert_cmpint(chmod(path, 0400), ==, 0);
        return g_strdup_printf("CREDENTIALS_DIRECTORY=%s", dir_path);
}
