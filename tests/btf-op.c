/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The integration fixture, part: operations, run by libbiogate
 * (btf_op_start()), or only recorded from the bus (btf_op_watch_begin(), for
 * tests of the protocol itself). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "btf-private.h"

#include "biogate-bus.h"
#include "biogate-private.h"

/* ---- org.biogate1.Operation: what the test saw --------------------------- */

typedef struct OpEvent {
        char *path;
        char *signal;           /* "Progress", "Finished" or another member */
        char *name;             /* status or result */
        GVariant *details;      /* a{sv} */
        gboolean consumed;
} OpEvent;

struct BtfOp {
        GDBusConnection *connection;
        GMainContext *ctx;
        guint subscription;             /* btf_op_watch_begin(): every signal from the bus */
        BiogateOperation *operation;    /* btf_op_start(): libbiogate's */
        char *path;             /* NULL until bound */
        GPtrArray *events;      /* OpEvent, in arrival order */
};

static void op_event_free(gpointer data) {
        OpEvent *ev = data;

        g_free(ev->path);
        g_free(ev->signal);
        g_free(ev->name);
        g_clear_pointer(&ev->details, g_variant_unref);
        g_free(ev);
}

static void op_record(BtfOp *op, const char *path, const char *signal, const char *name, GVariant *details) {
        OpEvent *ev = g_new0(OpEvent, 1);

        ev->path = g_strdup(path);
        ev->signal = g_strdup(signal);
        ev->name = g_strdup(name);
        ev->details = g_variant_ref(details);
        g_ptr_array_add(op->events, ev);
}

static void op_signal_cb(GDBusConnection *connection, const char *sender, const char *path,
                         const char *interface, const char *signal, GVariant *parameters,
                         gpointer user_data) {
        BtfOp *op = user_data;
        OpEvent *ev = g_new0(OpEvent, 1);

        (void) connection, (void) sender, (void) interface;
        ev->path = g_strdup(path);
        ev->signal = g_strdup(signal);
        if (g_variant_is_of_type(parameters, G_VARIANT_TYPE("(sa{sv})"))) {
                g_variant_get(parameters, "(s@a{sv})", &ev->name, &ev->details);
        } else {
                /* Not one of ours: keep it for describe(), never match it. */
                ev->name = g_variant_print(parameters, TRUE);
                ev->details = g_variant_ref_sink(g_variant_new("a{sv}", NULL));
                g_free(ev->signal);
                ev->signal = g_strconcat("?", signal, NULL);
        }
        g_ptr_array_add(op->events, ev);
}

BtfOp *btf_op_watch_begin(GDBusConnection *connection) {
        BtfOp *op = g_new0(BtfOp, 1);

        op->connection = g_object_ref(connection);
        op->ctx = g_main_context_ref_thread_default();
        op->events = g_ptr_array_new_with_free_func(op_event_free);
        op->subscription = g_dbus_connection_signal_subscribe(
                        connection, BIOGATE_BUS_NAME, BIOGATE_OPERATION_INTERFACE, NULL, NULL, NULL,
                        G_DBUS_SIGNAL_FLAGS_NONE, op_signal_cb, op, NULL);
        return op;
}

static void on_progress(BiogateOperation *operation, const char *status, GVariant *details, gpointer user_data) {
        BtfOp *op = user_data;

        op_record(op, biogate_operation_get_object_path(operation), "Progress", status, details);
}

static void on_finished(BiogateOperation *operation, const char *result, GVariant *details, gpointer user_data) {
        BtfOp *op = user_data;
        /* Only biogated's own Finished counts: libbiogate's ending on the
         * daemon's departure is no signal the daemon sent (kept for
         * describe()). */
        const char *member = biogate_private_operation_get_local_error(operation) ? "Lost" : "Finished";

        op_record(op, biogate_operation_get_object_path(operation), member, result, details);
}

BtfOp *btf_op_start(GDBusConnection *connection, const char *kind, GVariant *args, GError **error) {
        BtfOp *op = g_new0(BtfOp, 1);
        g_autoptr(BtfOp) cleanup = op;

        op->connection = g_object_ref(connection);
        op->ctx = g_main_context_ref_thread_default();
        op->events = g_ptr_array_new_with_free_func(op_event_free);
        /* As the tests' own calls always were: they release the operation
         * themselves (or check that it was not), never activate biogated. */
        op->operation = biogate_private_operation_start(connection, kind, args,
                                                        BIOGATE_PRIVATE_OPERATION_NO_AUTO_RELEASE |
                                                                BIOGATE_PRIVATE_OPERATION_PLAIN_CALL,
                                                        NULL);
        g_signal_connect(op->operation, "progress", G_CALLBACK(on_progress), op);
        g_signal_connect(op->operation, "finished", G_CALLBACK(on_finished), op);
        if (!biogate_private_operation_wait_started(op->operation, error))
                return NULL;
        op->path = g_strdup(biogate_operation_get_object_path(op->operation));
        return g_steal_pointer(&cleanup);
}

void btf_op_bind(BtfOp *op, const char *object_path) {
        g_free(op->path);
        op->path = g_strdup(object_path);
}

const char *btf_op_get_path(BtfOp *op) {
        return op->path;
}

static gboolean op_event_relevant(BtfOp *op, const OpEvent *ev) {
        return !op->path || g_str_equal(op->path, ev->path);
}

static OpEvent *op_find(BtfOp *op, const char *signal, const char *name, gboolean unconsumed) {
        for (guint i = 0; i < op->events->len; i++) {
                OpEvent *ev = op->events->pdata[i];

                if (op_event_relevant(op, ev) && g_str_equal(ev->signal, signal) &&
                    (!name || g_str_equal(ev->name, name)) && (!unconsumed || !ev->consumed))
                        return ev;
        }
        return NULL;
}

guint btf_op_count_progress(BtfOp *op, const char *status) {
        guint n = 0;

        for (guint i = 0; i < op->events->len; i++) {
                OpEvent *ev = op->events->pdata[i];

                if (op_event_relevant(op, ev) && g_str_equal(ev->signal, "Progress") &&
                    (!status || g_str_equal(ev->name, status)))
                        n++;
        }
        return n;
}

guint btf_op_consume_progress(BtfOp *op, const char *status) {
        guint n = 0;

        for (guint i = 0; i < op->events->len; i++) {
                OpEvent *ev = op->events->pdata[i];

                if (op_event_relevant(op, ev) && g_str_equal(ev->signal, "Progress") &&
                    (!status || g_str_equal(ev->name, status)) && !ev->consumed) {
                        ev->consumed = TRUE;
                        n++;
                }
        }
        return n;
}

gboolean btf_op_is_finished(BtfOp *op) {
        return op_find(op, "Finished", NULL, FALSE) != NULL;
}

char *btf_op_describe(BtfOp *op) {
        GString *s = g_string_new(NULL);

        for (guint i = 0; i < op->events->len; i++) {
                OpEvent *ev = op->events->pdata[i];

                if (!op_event_relevant(op, ev))
                        continue;
                if (s->len)
                        g_string_append_c(s, ' ');
                g_string_append_printf(s, "%s(%s)", ev->signal, ev->name);
        }
        if (!s->len)
                g_string_append(s, "(no signals)");
        return g_string_free(s, FALSE);
}

typedef struct {
        BtfOp *op;
        const char *status;
        guint count;
} OpWait;

static gboolean op_progress_cond(gpointer user_data) {
        OpWait *w = user_data;

        return op_find(w->op, "Progress", w->status, TRUE) || btf_op_is_finished(w->op);
}

static void op_set_error(BtfOp *op, GError **error, gboolean timed_out, const char *what) {
        g_autofree char *seen = btf_op_describe(op);

        g_set_error(error, G_IO_ERROR, timed_out ? G_IO_ERROR_TIMED_OUT : G_IO_ERROR_FAILED,
                    "%s %s on %s; received: %s", timed_out ? "timed out waiting for" : "finished without",
                    what, op->path ? op->path : "any operation", seen);
}

gboolean btf_op_wait_progress(BtfOp *op, const char *status, int timeout_ms,
                              GVariant **ret_details, GError **error) {
        OpWait w = { op, status, 0 };
        gboolean found = btf_iterate_until(op->ctx, btf_deadline_in(timeout_ms), op_progress_cond, &w);
        OpEvent *ev = op_find(op, "Progress", status, TRUE);

        if (!ev) {
                g_autofree char *what = g_strdup_printf("a further Progress(%s)", status);
                op_set_error(op, error, !found, what);
                return FALSE;
        }
        ev->consumed = TRUE;
        if (ret_details)
                *ret_details = g_variant_ref(ev->details);
        return TRUE;
}

static gboolean op_count_cond(gpointer user_data) {
        OpWait *w = user_data;

        return btf_op_count_progress(w->op, w->status) >= w->count || btf_op_is_finished(w->op);
}

gboolean btf_op_wait_progress_count(BtfOp *op, const char *status, guint count,
                                    int timeout_ms, GError **error) {
        OpWait w = { op, status, count };
        gboolean done = btf_iterate_until(op->ctx, btf_deadline_in(timeout_ms), op_count_cond, &w);

        if (btf_op_count_progress(op, status) < count) {
                g_autofree char *what = g_strdup_printf("%u x Progress(%s)", count, status);
                op_set_error(op, error, !done, what);
                return FALSE;
        }
        return TRUE;
}

static gboolean op_finished_cond(gpointer user_data) {
        return btf_op_is_finished(user_data);
}

gboolean btf_op_wait_finished(BtfOp *op, int timeout_ms, char **ret_result,
                              GVariant **ret_details, GError **error) {
        OpEvent *ev;

        if (!btf_iterate_until(op->ctx, btf_deadline_in(timeout_ms), op_finished_cond, op)) {
                op_set_error(op, error, TRUE, "Finished");
                return FALSE;
        }
        ev = op_find(op, "Finished", NULL, FALSE);
        ev->consumed = TRUE;
        if (ret_result)
                *ret_result = g_strdup(ev->name);
        if (ret_details)
                *ret_details = g_variant_ref(ev->details);
        return TRUE;
}

void btf_op_free(BtfOp *op) {
        if (!op)
                return;
        if (op->operation) {
                g_signal_handlers_disconnect_by_data(op->operation, op);
                /* Stop hearing about it, as the recorder unsubscribes: the
                 * test decides whether the operation is released. */
                biogate_private_operation_abandon(op->operation);
                g_object_unref(op->operation);
        }
        if (op->subscription)
                g_dbus_connection_signal_unsubscribe(op->connection, op->subscription);
        g_object_unref(op->connection);
        g_main_context_unref(op->ctx);
        g_ptr_array_unref(op->events);
        g_free(op->path);
        g_free(op);
}
