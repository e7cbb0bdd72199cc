/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The lifecycle of an org.biogate1.Operation (daemon/biogated-operation.c)
 * in this process: a registry and a sensor queue (libfprint's
 * virtual_device) of our own on a private dbus-daemon, no biogated. The
 * test holds the sensor itself to keep an operation queued, calls the
 * Operation methods as its owner over the bus, and looks at the registry
 * and the object directly: created and queued, running, cancelled,
 * finished and kept for its owner, released (and freed), released twice,
 * its owner gone, the per-user bound on finished operations, and the
 * daemon's exit with one still queued. Until now
 * only the integration tests, through the whole daemon, covered this. */
#include <sys/stat.h>

#include "biogated-daemon.h"
#include "biogated-error.h"
#include "biogated-operation.h"

#include "biogate-bus.h"
#include "biogate-test-fixture.h"

#define OWNER_UID 1000u
#define HOLDER_UID 2000u

typedef struct {
        char *tmp;
        BtfBus *bus;
        GDBusConnection *daemon_conn;   /* the registry's side, owns org.biogate1 */
        GDBusConnection *owner;         /* the operations' owner */
        BiogatedDevices *devices;
        BiogatedWriter *writer;         /* the results wait for it, as in biogated */
        BiogatedAudit *audit;
        BiogatedStore *store;
        GMainContext *calls_context;    /* the registry's, served by the test as biogated serves it */
        BiogatedOperations *registry;
        guint count_notified;
        BiogatedLease *holder;          /* the test's own hold on the sensor, or NULL */
        gboolean holder_ready;
        guint subscription;
        GPtrArray *heard;               /* "Progress(status)" / "Finished(result)" the owner heard */
} Fixture;

static void on_count(gpointer user_data) {
        Fixture *f = user_data;

        f->count_notified++;
}

static void on_signal(GDBusConnection *connection, const char *sender, const char *path, const char *interface,
                      const char *member, GVariant *parameters, gpointer user_data) {
        Fixture *f = user_data;
        const char *name = NULL;

        if (g_variant_is_of_type(parameters, G_VARIANT_TYPE("(sa{sv})")))
                g_variant_get(parameters, "(&s@a{sv})", &name, NULL);
        g_ptr_array_add(f->heard, g_strdup_printf("%s %s(%s)", path, member, name ? name : "?"));
}

static void on_holder_ready(BiogatedLease *lease, FpDevice *device, const GError *error, guint64 retry_after_ms,
                            gpointer user_data) {
        Fixture *f = user_data;

        g_assert_no_error(error);
        f->holder_ready = TRUE;
}

static gboolean on_holder_preempt(BiogatedLease *lease, const GError *reason, guint64 retry_after_ms,
                                  gboolean force, gpointer user_data) {
        return FALSE;
}

static gboolean is_true(gpointer user_data) {
        return *(gboolean *) user_data;
}

/* Holds the sensor: operations started now stay queued. */
static void hold_sensor(Fixture *f) {
        g_autoptr(GError) error = NULL;

        f->holder_ready = FALSE;
        f->holder = biogated_devices_request(f->devices, &(BiogatedLeaseRequest) { .uid = HOLDER_UID, .exempt = TRUE },
                                             on_holder_ready, on_holder_preempt, f, NULL, &error);
        g_assert_no_error(error);
        g_assert_true(btf_wait_until(is_true, &f->holder_ready, BTF_TIMEOUT_DEFAULT));
}

static void let_go_of_sensor(Fixture *f) {
        g_clear_pointer(&f->holder, biogated_lease_release);
}

static void fixture_setup(Fixture *f, gconstpointer data) {
        static const BiogatedSensorLimits limits = {
                .budget_seconds = 3600, .window_seconds = 7200,
                .login_budget_seconds = 3600, .login_window_seconds = 7200,
        };
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = NULL;
        g_autofree char *state = NULL;

        f->tmp = btf_tmpdir_new();
        f->bus = btf_bus_start(f->tmp, BIOGATE_BUS_POLICY, &error);
        g_assert_no_error(error);
        f->daemon_conn = btf_bus_connect(f->bus, &error);
        g_assert_no_error(error);
        /* The bus policy lets callers reach the Operation interface at
         * org.biogate1 only. */
        reply = g_dbus_connection_call_sync(f->daemon_conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                            "org.freedesktop.DBus", "RequestName",
                                            g_variant_new("(su)", BIOGATE_BUS_NAME, 4u /* DO_NOT_QUEUE */),
                                            G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
        g_assert_no_error(error);
        f->owner = btf_bus_connect(f->bus, &error);
        g_assert_no_error(error);
        f->heard = g_ptr_array_new_with_free_func(g_free);
        f->subscription = g_dbus_connection_signal_subscribe(f->owner, NULL, BIOGATE_OPERATION_INTERFACE, NULL, NULL,
                                                             NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_signal, f, NULL);
        f->devices = biogated_devices_new(NULL, &limits);
        g_assert_nonnull(biogated_devices_get_default(f->devices));
        /* The audit trail and the store in a state directory of their own. */
        state = g_build_filename(f->tmp, "state", NULL);
        g_assert_cmpint(mkdir(state, 0700), ==, 0);
        f->writer = biogated_writer_new(NULL);
        f->audit = biogated_audit_open(state, f->writer, &error);
        g_assert_no_error(error);
        f->store = biogated_store_open(state, f->writer, &error);
        g_assert_no_error(error);
        f->calls_context = g_main_context_new();
        f->registry = biogated_operations_new(f->audit, f->calls_context, on_count, f);
}

static void fixture_teardown(Fixture *f, gconstpointer data) {
        g_clear_pointer(&f->registry, biogated_operations_free);
        g_main_context_unref(f->calls_context);
        let_go_of_sensor(f);
        biogated_devices_free(f->devices);
        biogated_writer_drain(f->writer);
        biogated_store_free(f->store);
        biogated_audit_free(f->audit);
        biogated_writer_free(f->writer);
        if (f->subscription)
                g_dbus_connection_signal_unsubscribe(f->owner, f->subscription);
        g_clear_object(&f->owner);
        g_clear_object(&f->daemon_conn);
        btf_bus_free(f->bus);
        g_ptr_array_unref(f->heard);
        btf_tmpdir_remove(f->tmp);
        g_free(f->tmp);
}

/* An operation of @kind for OWNER_UID, started by the owner connection: a
 * verification without prints (it never gets as far as matching) or an
 * enrolment of the left thumb. */
static BiogatedOperation *start(Fixture *f, BiogatedOperationKind kind) {
        g_autoptr(GError) error = NULL;
        BiogatedOperationTarget target = {
                .uid = OWNER_UID,
                .user = "owner",
                .finger = BIOGATE_FINGER_LEFT_THUMB,
                .timeout_ms = 60000,
        };
        BiogatedOperation *op = biogated_operation_start(f->registry, f->daemon_conn,
                                                         g_dbus_connection_get_unique_name(f->owner), OWNER_UID, kind,
                                                         &target, f->devices, f->store, NULL, &error);

        g_assert_no_error(error);
        g_assert_nonnull(op);
        return op;
}

typedef struct {
        GDBusConnection *connection;
        char *path;
        const char *interface;
        const char *method;
        GVariant *parameters;
        GVariant *reply;
        GError *error;
        GMainContext *wake;
        gint done;
} OwnerCall;

static gpointer owner_call_thread(gpointer user_data) {
        OwnerCall *c = user_data;

        c->reply = g_dbus_connection_call_sync(c->connection, BIOGATE_BUS_NAME, c->path, c->interface, c->method,
                                               c->parameters, NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL,
                                               &c->error);
        g_atomic_int_set(&c->done, TRUE);
        g_main_context_wakeup(c->wake);
        return NULL;
}

/* The owner (or @connection) calls a method of the operation at @path.
 * Bus calls to operations are dispatched in the registry's calls context: the
 * call is made from a thread of its own, while this one serves that
 * context, as biogated's main loop does. */
static GVariant *call_from(Fixture *f, GDBusConnection *connection, const char *path, const char *interface,
                           const char *method, GVariant *parameters, GError **error) {
        OwnerCall c = {
                .connection = connection, .path = g_strdup(path), .interface = interface, .method = method,
                .parameters = parameters ? g_variant_ref_sink(parameters) : NULL,
                .wake = f->calls_context,
        };
        GThread *thread = g_thread_new("owner-call", owner_call_thread, &c);

        while (!g_atomic_int_get(&c.done))
                g_main_context_iteration(c.wake, TRUE);
        g_thread_join(thread);
        g_free(c.path);
        g_clear_pointer(&c.parameters, g_variant_unref);
        if (c.error)
                g_propagate_error(error, c.error);
        return c.reply;
}

static GVariant *call(Fixture *f, BiogatedOperation *op, const char *method, GError **error) {
        return call_from(f, f->owner, biogated_operation_get_path(op), BIOGATE_OPERATION_INTERFACE, method, NULL, error);
}

/* A property as the owner reads it. */
static GVariant *property(Fixture *f, const char *path, const char *name) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = call_from(f, f->owner, path, "org.freedesktop.DBus.Properties", "Get",
                                              g_variant_new("(ss)", BIOGATE_OPERATION_INTERFACE, name), &error);
        GVariant *value;

        g_assert_no_error(error);
        g_variant_get(reply, "(v)", &value);
        return value;
}

static char *property_string(Fixture *f, const char *path, const char *name) {
        g_autoptr(GVariant) value = property(f, path, name);

        return g_variant_dup_string(value, NULL);
}

typedef struct {
        Fixture *f;
        char *line;
} Heard;

static gboolean heard_cond(gpointer user_data) {
        Heard *h = user_data;

        for (guint i = 0; i < h->f->heard->len; i++)
                if (g_str_equal(h->f->heard->pdata[i], h->line))
                        return TRUE;
        return FALSE;
}

/* Waits until the owner has heard @member(@name) of @op. */
static void wait_heard(Fixture *f, BiogatedOperation *op, const char *member, const char *name) {
        Heard h = { f, g_strdup_printf("%s %s(%s)", biogated_operation_get_path(op), member, name) };

        if (!btf_wait_until(heard_cond, &h, BTF_TIMEOUT_DEFAULT))
                g_error("the owner did not hear %s", h.line);
        g_free(h.line);
}

static guint count_heard(Fixture *f, BiogatedOperation *op, const char *member) {
        g_autofree char *prefix = g_strdup_printf("%s %s(", biogated_operation_get_path(op), member);
        guint n = 0;

        for (guint i = 0; i < f->heard->len; i++)
                n += g_str_has_prefix(f->heard->pdata[i], prefix);
        return n;
}

static gboolean is_null(gpointer user_data) {
        return *(gpointer *) user_data == NULL;
}

/* Queued behind the sensor's holder, cancelled by its owner: it ends at
 * once, stays exported with its result for the owner, goes on Release and
 * is freed; a second Release finds nothing. */
static void test_queued_cancel_release(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r1 = NULL, r2 = NULL, r3 = NULL, details = NULL;
        g_autofree char *state = NULL, *done = NULL, *result = NULL, *path = NULL;
        BiogatedOperation *op;
        const char *name = NULL;

        hold_sensor(f);
        op = start(f, BIOGATED_OPERATION_VERIFY);
        path = g_strdup(biogated_operation_get_path(op));
        g_assert_true(g_str_has_prefix(path, BIOGATE_OPERATION_PATH_BASE "/"));
        g_assert_cmpuint(biogated_operations_count(f->registry), ==, 1);
        g_assert_cmpuint(f->count_notified, >=, 1);
        g_assert_cmpuint(biogated_operation_get_owner_uid(op), ==, OWNER_UID);
        /* Queued: no sensor, nothing to run on. */
        g_assert_null(biogated_operation_get_device(op));
        state = property_string(f, path, "State");
        g_assert_cmpstr(state, ==, "queued");

        r1 = call(f, op, "Cancel", &error);
        g_assert_no_error(error);
        wait_heard(f, op, "Finished", BIOGATE_RESULT_CANCELLED);
        g_assert_cmpuint(count_heard(f, op, "Finished"), ==, 1);
        g_assert_cmpuint(count_heard(f, op, "Progress"), ==, 0);
        /* Finished, and still there for its owner to read. */
        g_assert_cmpuint(biogated_operations_count(f->registry), ==, 1);
        done = property_string(f, path, "State");
        g_assert_cmpstr(done, ==, "done");
        result = property_string(f, path, "Result");
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_CANCELLED);
        details = property(f, path, "ResultDetails");
        g_assert_true(g_variant_lookup(details, "error", "&s", &name));
        g_assert_cmpstr(name, ==, biogate_error_info(BIOGATE_ERROR_CANCELLED)->dbus_name);
        /* A finished operation is not cancelled again. */
        r2 = call(f, op, "Cancel", &error);
        g_assert_no_error(error);
        g_assert_cmpuint(count_heard(f, op, "Finished"), ==, 1);

        /* Released: unexported, and freed once the caller's reference goes. */
        g_object_add_weak_pointer(G_OBJECT(op), (gpointer *) &op);
        r3 = call_from(f, f->owner, path, BIOGATE_OPERATION_INTERFACE, "Release", NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(biogated_operations_count(f->registry), ==, 0);
        g_object_unref(op);
        g_assert_true(btf_wait_until(is_null, &op, BTF_TIMEOUT_DEFAULT));

        /* Twice: nothing is there any more. */
        g_clear_pointer(&r3, g_variant_unref);
        r3 = call_from(f, f->owner, path, BIOGATE_OPERATION_INTERFACE, "Release", NULL, &error);
        g_assert_null(r3);
        g_assert_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD);
}

/* Only the owner may look or act; anyone else is refused as if nothing
 * were there to learn about, and the operation goes on. */
static void test_owner_only(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusConnection) other = btf_bus_connect(f->bus, &error);
        g_autoptr(BiogatedOperation) op = NULL;
        g_autoptr(GVariant) r1 = NULL, r2 = NULL;
        g_autofree char *state = NULL;
        const char *methods[] = { "Cancel", "Release" };

        g_assert_no_error(error);
        hold_sensor(f);
        op = start(f, BIOGATED_OPERATION_VERIFY);
        for (gsize i = 0; i < G_N_ELEMENTS(methods); i++) {
                g_autoptr(GVariant) r = call_from(f, other, biogated_operation_get_path(op), BIOGATE_OPERATION_INTERFACE,
                                                  methods[i], NULL, &error);

                g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_PERMISSION_DENIED);
                g_clear_error(&error);
        }
        r1 = call_from(f, other, biogated_operation_get_path(op), "org.freedesktop.DBus.Properties", "GetAll",
                       g_variant_new("(s)", BIOGATE_OPERATION_INTERFACE), &error);
        g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_PERMISSION_DENIED);
        g_clear_error(&error);
        r2 = call_from(f, other, biogated_operation_get_path(op), "org.freedesktop.DBus.Properties", "Get",
                       g_variant_new("(ss)", BIOGATE_OPERATION_INTERFACE, "State"), &error);
        g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_PERMISSION_DENIED);
        g_clear_error(&error);

        g_assert_cmpuint(biogated_operations_count(f->registry), ==, 1);
        state = property_string(f, biogated_operation_get_path(op), "State");
        g_assert_cmpstr(state, ==, "queued");
}

static gboolean registry_empty(gpointer user_data) {
        Fixture *f = user_data;

        return biogated_operations_count(f->registry) == 0;
}

static void on_next_ready(BiogatedLease *lease, FpDevice *device, const GError *error, guint64 retry_after_ms,
                          gpointer user_data) {
        g_assert_no_error(error);
        *(gboolean *) user_data = TRUE;
}

/* Its owner leaves the bus while it waits for the sensor: it is cancelled
 * and unexported, and its place in the queue goes with it (the next
 * request gets the sensor once the holder lets go). */
static void test_owner_vanishes(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        BiogatedLease *next;
        BiogatedOperation *op;
        gboolean next_ready = FALSE;

        hold_sensor(f);
        op = start(f, BIOGATED_OPERATION_VERIFY);
        g_object_add_weak_pointer(G_OBJECT(op), (gpointer *) &op);
        g_object_unref(op);
        g_assert_nonnull(op); /* the registry and the queue hold it */

        g_assert_true(g_dbus_connection_close_sync(f->owner, NULL, &error));
        g_assert_no_error(error);
        g_assert_true(btf_wait_until(registry_empty, f, BTF_TIMEOUT_DEFAULT));
        g_assert_true(btf_wait_until(is_null, &op, BTF_TIMEOUT_DEFAULT));

        next = biogated_devices_request(f->devices, &(BiogatedLeaseRequest) { .uid = OWNER_UID }, on_next_ready,
                                        on_holder_preempt, &next_ready, NULL, &error);
        g_assert_no_error(error);
        let_go_of_sensor(f);
        g_assert_true(btf_wait_until(is_true, &next_ready, BTF_TIMEOUT_DEFAULT));
        biogated_lease_release(next);
}

/* Gets the sensor and runs (an enrolment waits for a finger); cancelled
 * by its owner it stops the scan and ends "cancelled". */
static void test_running_cancel(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BiogatedOperation) op = start(f, BIOGATED_OPERATION_ENROLL);
        g_autoptr(GVariant) r = NULL, stages = NULL;
        g_autofree char *state = NULL, *result = NULL;

        wait_heard(f, op, "Progress", "device-acquired");
        wait_heard(f, op, "Progress", "finger-needed");
        g_assert_nonnull(biogated_operation_get_device(op));
        state = property_string(f, biogated_operation_get_path(op), "State");
        g_assert_cmpstr(state, ==, "waiting-for-finger");
        stages = property(f, biogated_operation_get_path(op), "Stages");
        g_assert_cmpuint(g_variant_get_uint32(stages), >, 0);
        g_assert_cmpuint(count_heard(f, op, "Finished"), ==, 0);

        r = call(f, op, "Cancel", &error);
        g_assert_no_error(error);
        wait_heard(f, op, "Finished", BIOGATE_RESULT_CANCELLED);
        /* The sensor went back before the result was told. */
        g_assert_null(biogated_operation_get_device(op));
        result = property_string(f, biogated_operation_get_path(op), "Result");
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_CANCELLED);
        g_assert_cmpuint(count_heard(f, op, "Finished"), ==, 1);
}

/* At exit, an operation its owner released while it ran on the sensor is
 * still alive: it ends when libfprint reports the cancellation, and then
 * gives its lease back to the sensor queue and writes its audit event
 * through the registry. biogated_operations_end_all() waits for that, so
 * that the teardown (registry, then sensor queue, as biogated_stop() does)
 * frees nothing it still uses (seen under ASan: a lease freed by
 * biogated_devices_free() and released again from fp_device_close_sync()). */
static void test_exit_after_release(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = NULL;
        BiogatedOperation *op = start(f, BIOGATED_OPERATION_ENROLL);
        BiogatedOperation *alive = op;

        g_object_add_weak_pointer(G_OBJECT(op), (gpointer *) &alive);
        wait_heard(f, op, "Progress", "finger-needed");
        g_assert_nonnull(biogated_operation_get_device(op));
        r = call(f, op, "Release", &error);
        g_assert_no_error(error);
        g_object_unref(op);
        /* Released, unexported, out of the registry's table: only libfprint
         * keeps it now, until it reports the cancellation. */
        g_assert_nonnull(alive);
        g_assert_cmpuint(biogated_operations_count(f->registry), ==, 0);

        g_assert_true(biogated_operations_end_all(f->registry, 5000));
        biogated_writer_drain(f->writer);
        g_assert_null(alive);
}

/* Finished operations nobody released: each user keeps the newest
 * BIOGATED_OPERATION_FINISHED_MAX_PER_UID, the oldest goes (and is freed). */
static void test_finished_bounded(Fixture *f, gconstpointer data) {
        BiogatedOperation *first = NULL;
        g_autofree char *first_path = NULL, *second_path = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) gone = NULL;
        g_autofree char *kept = NULL;

        hold_sensor(f);
        for (guint i = 0; i <= BIOGATED_OPERATION_FINISHED_MAX_PER_UID; i++) {
                g_autoptr(BiogatedOperation) op = start(f, BIOGATED_OPERATION_VERIFY);

                if (i == 0) {
                        first = op;
                        first_path = g_strdup(biogated_operation_get_path(op));
                        g_object_add_weak_pointer(G_OBJECT(op), (gpointer *) &first);
                } else if (i == 1) {
                        second_path = g_strdup(biogated_operation_get_path(op));
                }
                /* As before system sleep: every live one ends "cancelled". */
                biogated_operations_cancel_all(f->registry);
                /* A result is kept once its audit event is durable. */
                biogated_writer_drain(f->writer);
                g_assert_cmpuint(biogated_operations_count(f->registry), ==,
                                 MIN(i + 1, BIOGATED_OPERATION_FINISHED_MAX_PER_UID));
        }
        g_assert_true(btf_wait_until(is_null, &first, BTF_TIMEOUT_DEFAULT));
        gone = call_from(f, f->owner, first_path, "org.freedesktop.DBus.Properties", "Get",
                         g_variant_new("(ss)", BIOGATE_OPERATION_INTERFACE, "Result"), &error);
        g_assert_null(gone);
        g_assert_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD);
        kept = property_string(f, second_path, "Result");
        g_assert_cmpstr(kept, ==, BIOGATE_RESULT_CANCELLED);
}

/* A login's match is told without waiting for any write (its event's
 * number is reserved, its failure count only goes down); a no-match, which
 * counts a failure, is told only once that is durable. With the writer
 * stuck, the match's Finished arrives and the no-match's, finished before
 * it, does not until the writer can go on. */
static void test_match_not_waiting(Fixture *f, gconstpointer data) {
        g_autoptr(BiogatedOperation) no_match = NULL, match = NULL;
        g_autoptr(BtfGate) gate = btf_gate_new();

        hold_sensor(f);
        no_match = start(f, BIOGATED_OPERATION_VERIFY);
        match = start(f, BIOGATED_OPERATION_VERIFY);
        biogated_writer_drain(f->writer);
        biogated_writer_run(f->writer, btf_gate_pass, gate, NULL, NULL, NULL);

        biogated_operation_finish(no_match, BIOGATE_RESULT_NO_MATCH, NULL);
        biogated_operation_finish(match, BIOGATE_RESULT_MATCH, NULL);
        wait_heard(f, match, "Finished", BIOGATE_RESULT_MATCH);
        /* One sender's signals arrive in the order sent. */
        g_assert_cmpuint(count_heard(f, no_match, "Finished"), ==, 0);

        btf_gate_open(gate);
        wait_heard(f, no_match, "Finished", BIOGATE_RESULT_NO_MATCH);
        biogated_writer_drain(f->writer);
}

/* biogated exits (biogated_stop()) with an operation still waiting for the
 * sensor: the registry goes first, then the sensor queue. The operation
 * gives up its place and is freed once, with the registry. */
static void test_exit_while_queued(Fixture *f, gconstpointer data) {
        BiogatedOperation *op;

        hold_sensor(f);
        op = start(f, BIOGATED_OPERATION_VERIFY);
        g_object_add_weak_pointer(G_OBJECT(op), (gpointer *) &op);
        g_object_unref(op);
        g_assert_nonnull(op);
        g_clear_pointer(&f->registry, biogated_operations_free);
        g_assert_null(op);
        let_go_of_sensor(f);
        g_clear_pointer(&f->devices, biogated_devices_free);
}

int main(int argc, char **argv) {
        char *vdev_dir;
        int ret;

        g_test_init(&argc, &argv, NULL);
        (void) biogated_error_quark();
        vdev_dir = btf_vdev_in_process_setup();

#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
        ADD("/operation/queued-cancel-release", test_queued_cancel_release);
        ADD("/operation/owner-only", test_owner_only);
        ADD("/operation/owner-vanishes", test_owner_vanishes);
        ADD("/operation/running-cancel", test_running_cancel);
        ADD("/operation/finished-bounded", test_finished_bounded);
        ADD("/operation/exit-while-queued", test_exit_while_queued);
        ADD("/operation/exit-after-release", test_exit_after_release);
        ADD("/operation/match-not-waiting", test_match_not_waiting);
        ret = g_test_run();
        btf_vdev_in_process_clear(vdev_dir);
        return ret;
}
