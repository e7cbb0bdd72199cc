/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogatectl-operation.h"

#include <glib-unix.h>
#include <signal.h>
#include <string.h>

#include "biogate-bus.h"
#include "biogatectl-error.h"

/* A signal that arrived before we could tell whether it is ours. */
typedef struct PendingSignal {
        char *sender;
        char *path;
        char *member;
        GVariant *parameters;
} PendingSignal;

static void pending_signal_free(void *p) {
        PendingSignal *s = p;

        if (!s)
                return;
        g_free(s->sender);
        g_free(s->path);
        g_free(s->member);
        g_variant_unref(s->parameters);
        g_free(s);
}

typedef struct Run {
        GDBusConnection *bus;
        const CtlOperationHandler *handler;
        GMainLoop *loop;
        /* Cancelled when we stop: late async callbacks then see
         * G_IO_ERROR_CANCELLED and must not touch the Run. */
        GCancellable *cancellable;

        guint operation_subscription;
        guint owner_subscription;
        gulong closed_handler;
        guint sigint_source;
        guint sigterm_source;

        /* Operation signals in arrival order, kept until we know our
         * operation's path and have read its properties; NULL after. */
        GPtrArray *backlog;
        char *daemon; /* unique name that answered the method call */
        char *path;

        bool interrupted;
        bool cancel_sent;
        bool done;

        char *result;
        GVariant *details;
        GError *error;
} Run;

static bool cancelled(const GError *error) {
        return g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void run_fail(Run *run, GError *error) {
        if (run->done) {
                g_error_free(error);
                return;
        }
        run->done = true;
        run->error = error;
        /* No Release: the operation dies with our connection anyway, and the
         * daemon may be gone. */
        g_main_loop_quit(run->loop);
}

static void on_released(GObject *source, GAsyncResult *res, void *userdata) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
        Run *run = userdata;

        if (!reply && cancelled(error))
                return;
        /* Any other error is fine: the result is ours already, and the
         * daemon drops the object when our connection closes anyway. */
        g_main_loop_quit(run->loop);
}

static void run_finish(Run *run, const char *result, GVariant *details) {
        if (run->done)
                return;
        run->done = true;
        run->result = g_strdup(result);
        run->details = details ? g_variant_ref(details) : g_variant_ref_sink(g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0));

        g_dbus_connection_call(run->bus, run->daemon, run->path, BIOGATE_OPERATION_INTERFACE, "Release",
                               NULL, NULL, G_DBUS_CALL_FLAGS_NONE, -1, run->cancellable, on_released, run);
}

/* Ends the run as cancelled without the daemon's word: after a second
 * signal, or when Cancel itself failed. Closing our connection on exit makes
 * the daemon cancel the operation and free the sensor. */
static void run_finish_locally_cancelled(Run *run) {
        GVariantBuilder b;

        if (run->done)
                return;
        g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add(&b, "{sv}", "error", g_variant_new_string(BIOGATE_ERROR_PREFIX "Cancelled"));
        g_variant_builder_add(&b, "{sv}", "message", g_variant_new_string("Interrupted"));

        run->done = true;
        run->result = g_strdup(BIOGATE_RESULT_CANCELLED);
        run->details = g_variant_ref_sink(g_variant_builder_end(&b));
        g_main_loop_quit(run->loop);
}

static void handle_signal(Run *run, const char *sender, const char *path, const char *member, GVariant *parameters) {
        const char *text;
        g_autoptr(GVariant) details = NULL;

        if (run->done)
                return;
        /* Only the daemon instance that created our operation may report on
         * it: signals addressed to us by anyone else are forgeries, whatever
         * GDBus's own sender filtering does. */
        if (g_strcmp0(sender, run->daemon) != 0 || g_strcmp0(path, run->path) != 0)
                return;
        if (!g_variant_is_of_type(parameters, G_VARIANT_TYPE("(sa{sv})")))
                return;

        g_variant_get(parameters, "(&s@a{sv})", &text, &details);

        if (strcmp(member, "Progress") == 0) {
                if (run->handler->progress)
                        run->handler->progress(text, details, run->handler->userdata);
        } else if (strcmp(member, "Finished") == 0)
                run_finish(run, text, details);
}

static void on_operation_signal(GDBusConnection *bus, const char *sender, const char *path,
                                const char *interface, const char *member, GVariant *parameters,
                                void *userdata) {
        Run *run = userdata;

        if (run->done)
                return;

        if (run->backlog) {
                PendingSignal *s = g_new0(PendingSignal, 1);

                s->sender = g_strdup(sender);
                s->path = g_strdup(path);
                s->member = g_strdup(member);
                s->parameters = g_variant_ref(parameters);
                g_ptr_array_add(run->backlog, s);
                return;
        }

        handle_signal(run, sender, path, member, parameters);
}

static void on_name_owner_changed(GDBusConnection *bus, const char *sender, const char *path,
                                  const char *interface, const char *member, GVariant *parameters,
                                  void *userdata) {
        Run *run = userdata;
        const char *name, *old_owner, *new_owner;

        if (!g_variant_is_of_type(parameters, G_VARIANT_TYPE("(sss)")))
                return;
        g_variant_get(parameters, "(&s&s&s)", &name, &old_owner, &new_owner);
        if (strcmp(name, run->daemon) != 0 || *new_owner)
                return;

        /* Without this, a crashed daemon would leave us waiting forever. */
        run_fail(run, ctl_error_new(CTL_ERROR_NO_OWNER, "biogated left the bus before the operation finished"));
}

static void on_closed(GDBusConnection *bus, gboolean remote_peer_vanished, GError *error, void *userdata) {
        run_fail(userdata, ctl_error_new("org.freedesktop.DBus.Error.Disconnected",
                                         "Lost the connection to the system bus"));
}

static void on_cancel_reply(GObject *source, GAsyncResult *res, void *userdata) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);

        if (reply)
                return; /* Finished "cancelled" (or the real result) follows. */
        if (cancelled(error))
                return;
        run_finish_locally_cancelled(userdata);
}

static void send_cancel(Run *run) {
        if (run->cancel_sent || run->done)
                return;
        run->cancel_sent = true;
        g_dbus_connection_call(run->bus, run->daemon, run->path, BIOGATE_OPERATION_INTERFACE, "Cancel",
                               NULL, NULL, G_DBUS_CALL_FLAGS_NONE, -1, run->cancellable, on_cancel_reply, run);
}

static gboolean on_unix_signal(void *userdata) {
        Run *run = userdata;

        if (run->done)
                return G_SOURCE_CONTINUE;

        if (run->interrupted) {
                /* Asked twice: stop waiting for the daemon. */
                run_finish_locally_cancelled(run);
                return G_SOURCE_CONTINUE;
        }

        run->interrupted = true;
        /* Without a path yet, the method reply handler sends Cancel. */
        if (run->path)
                send_cancel(run);
        return G_SOURCE_CONTINUE;
}

static void on_get_all(GObject *source, GAsyncResult *res, void *userdata) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
        g_autoptr(GVariant) props = NULL, details = NULL;
        g_autoptr(GPtrArray) backlog = NULL;
        const char *state = "", *result = "";
        guint32 stages = 0;
        Run *run = userdata;

        if (!reply) {
                if (cancelled(error))
                        return;
                run_fail(run, g_steal_pointer(&error));
                return;
        }

        props = g_variant_get_child_value(reply, 0);
        (void) g_variant_lookup(props, "State", "&s", &state);
        (void) g_variant_lookup(props, "Result", "&s", &result);
        (void) g_variant_lookup(props, "Stages", "u", &stages);
        details = g_variant_lookup_value(props, "ResultDetails", G_VARIANT_TYPE_VARDICT);

        /* Even for an operation that is already done: Stages still helps to
         * word the progress replayed below. */
        if (!run->done && run->handler->started)
                run->handler->started(state, stages, run->handler->userdata);

        /* Everything buffered happened before these properties were read, so
         * it goes first, in order... */
        backlog = g_steal_pointer(&run->backlog);
        for (size_t i = 0; i < backlog->len; i++) {
                PendingSignal *s = backlog->pdata[i];

                handle_signal(run, s->sender, s->path, s->member, s->parameters);
        }

        /* ...and a result that was final before we subscribed in time, or
         * whose Finished we never saw, is still in the properties. */
        if (!run->done && strcmp(state, "done") == 0 && *result)
                run_finish(run, result, details);
}

static void on_method_reply(GObject *source, GAsyncResult *res, void *userdata) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusMessage) reply = g_dbus_connection_send_message_with_reply_finish(G_DBUS_CONNECTION(source), res, &error);
        Run *run = userdata;
        GVariant *body;

        if (!reply) {
                if (cancelled(error))
                        return;
                run_fail(run, g_steal_pointer(&error));
                return;
        }

        if (g_dbus_message_to_gerror(reply, &error)) {
                run_fail(run, g_steal_pointer(&error));
                return;
        }

        body = g_dbus_message_get_body(reply);
        if (!body || !g_variant_is_of_type(body, G_VARIANT_TYPE("(o)")) || !g_dbus_message_get_sender(reply)) {
                run_fail(run, ctl_error_new("org.freedesktop.DBus.Error.InvalidSignature",
                                            "biogated sent an unexpected reply"));
                return;
        }

        run->daemon = g_strdup(g_dbus_message_get_sender(reply));
        g_variant_get(body, "(o)", &run->path);

        /* From now on the daemon must not vanish unnoticed. Subscribed before
         * anything else is sent to it, so either its departure or an error
         * reply reaches us. */
        run->owner_subscription = g_dbus_connection_signal_subscribe(
                        run->bus, "org.freedesktop.DBus", "org.freedesktop.DBus", "NameOwnerChanged",
                        "/org/freedesktop/DBus", run->daemon, G_DBUS_SIGNAL_FLAGS_NONE,
                        on_name_owner_changed, run, NULL);

        if (run->interrupted)
                send_cancel(run);

        /* Talk to the unique name, not the well-known one: if this instance
         * died, a freshly activated one knows nothing about our operation. */
        g_dbus_connection_call(run->bus, run->daemon, run->path, "org.freedesktop.DBus.Properties", "GetAll",
                               g_variant_new("(s)", BIOGATE_OPERATION_INTERFACE), G_VARIANT_TYPE("(a{sv})"),
                               G_DBUS_CALL_FLAGS_NONE, -1, run->cancellable, on_get_all, run);
}

bool ctl_operation_run(GDBusConnection *bus, const char *method, GVariant *parameters,
                       const CtlOperationHandler *handler,
                       char **ret_result, GVariant **ret_details, GError **error) {
        return ctl_operation_run_on(bus, BIOGATE_MANAGER_INTERFACE, method, parameters, handler, ret_result,
                                    ret_details, error);
}

bool ctl_operation_run_on(GDBusConnection *bus, const char *interface, const char *method, GVariant *parameters,
                          const CtlOperationHandler *handler,
                          char **ret_result, GVariant **ret_details, GError **error) {
        g_autoptr(GDBusMessage) message = NULL;
        Run run = {
                .bus = bus,
                .handler = handler,
        };

        run.loop = g_main_loop_new(NULL, FALSE);
        run.cancellable = g_cancellable_new();
        run.backlog = g_ptr_array_new_with_free_func(pending_signal_free);

        /* Subscribe before calling: the daemon may send Progress and even
         * Finished before its reply to Enroll/Verify reaches us. */
        run.operation_subscription = g_dbus_connection_signal_subscribe(
                        bus, BIOGATE_BUS_NAME, BIOGATE_OPERATION_INTERFACE, NULL, NULL, NULL,
                        G_DBUS_SIGNAL_FLAGS_NONE, on_operation_signal, &run, NULL);
        run.closed_handler = g_signal_connect(bus, "closed", G_CALLBACK(on_closed), &run);
        run.sigint_source = g_unix_signal_add(SIGINT, on_unix_signal, &run);
        run.sigterm_source = g_unix_signal_add(SIGTERM, on_unix_signal, &run);

        /* A plain message rather than g_dbus_connection_call(): we need the
         * reply's sender to know which signals really come from the daemon. */
        message = g_dbus_message_new_method_call(BIOGATE_BUS_NAME, BIOGATE_OBJECT_PATH, interface, method);
        g_dbus_message_set_body(message, parameters);
        /* As for every biogatectl call: a polkit agent may ask (see ctl_manager_call()). */
        g_dbus_message_set_flags(message, G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION);
        g_dbus_connection_send_message_with_reply(bus, message, G_DBUS_SEND_MESSAGE_FLAGS_NONE, -1, NULL,
                                                  run.cancellable, on_method_reply, &run);

        g_main_loop_run(run.loop);

        g_cancellable_cancel(run.cancellable);
        g_source_remove(run.sigint_source);
        g_source_remove(run.sigterm_source);
        g_signal_handler_disconnect(bus, run.closed_handler);
        g_dbus_connection_signal_unsubscribe(bus, run.operation_subscription);
        if (run.owner_subscription)
                g_dbus_connection_signal_unsubscribe(bus, run.owner_subscription);
        g_clear_pointer(&run.backlog, g_ptr_array_unref);
        g_free(run.daemon);
        g_free(run.path);
        g_object_unref(run.cancellable);
        g_main_loop_unref(run.loop);

        if (run.error) {
                g_propagate_error(error, run.error);
                return false;
        }

        *ret_result = run.result;
        *ret_details = run.details;
        return true;
}
