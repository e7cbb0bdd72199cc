/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* BiogateOperation, part: the org.biogate1.Operation protocol. Find the
 * daemon (activating it once), subscribe to its signals and its departure
 * before the call, buffer what comes before the path is known, read the
 * properties, replay, end exactly once. The GObject is biogate-operation.c. */
#include "biogate-operation-private.h"

#include <string.h>

#include "biogate-bus.h"

typedef struct PendingSignal {
        char *path;
        char *member;
        GVariant *parameters;
} PendingSignal;

static void pending_signal_free(void *p) {
        PendingSignal *s = p;

        if (!s)
                return;
        g_free(s->path);
        g_free(s->member);
        g_variant_unref(s->parameters);
        g_free(s);
}

static gboolean is_cancelled(const GError *error) {
        return g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static GVariant *empty_vardict(void) {
        return g_variant_ref_sink(g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0));
}

void operation_run_stop(BiogateOperation *self) {
        g_cancellable_cancel(self->internal);
        if (self->signal_subscription)
                g_dbus_connection_signal_unsubscribe(self->connection, self->signal_subscription);
        self->signal_subscription = 0;
        if (self->owner_subscription)
                g_dbus_connection_signal_unsubscribe(self->connection, self->owner_subscription);
        self->owner_subscription = 0;
        g_clear_signal_handler(&self->closed_id, self->connection);
        if (self->proxy)
                g_clear_signal_handler(&self->properties_id, self->proxy);
        g_clear_pointer(&self->backlog, g_ptr_array_unref);
}

static void on_released(GObject *source, GAsyncResult *res, gpointer userdata) {
        /* Any error is fine: the result is ours already, and the daemon
         * drops the object when our connection closes anyway. */
        (void) biogate_gen_operation_call_release_finish(BIOGATE_GEN_OPERATION(source), res, NULL);
}

/* The one way an operation ends: with the daemon's result, or with error
 * (then result "failed" and the error's name in the details). */
static void complete(BiogateOperation *self, const char *result, GVariant *details, GError *error) {
        if (self->done) {
                g_clear_error(&error);
                return;
        }
        self->done = TRUE;
        g_object_ref(self);

        if (error) {
                GVariantBuilder b;
                g_autofree char *name = g_dbus_error_encode_gerror(error);

                g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                g_variant_builder_add(&b, "{sv}", "error", g_variant_new_string(name));
                g_variant_builder_add(&b, "{sv}", "message", g_variant_new_string(error->message));
                self->error = error;
                self->details = g_variant_ref_sink(g_variant_builder_end(&b));
                result = BIOGATE_RESULT_FAILED;
        } else {
                self->details = details ? g_variant_ref(details) : empty_vardict();
                /* Our own object, not the daemon's: release it now that we
                 * have the result. */
                if (self->proxy && !(self->flags & BIOGATE_PRIVATE_OPERATION_NO_AUTO_RELEASE))
                        biogate_gen_operation_call_release(self->proxy, NULL, on_released, NULL);
        }
        operation_run_stop(self);
        if (self->cancellable)
                g_cancellable_disconnect(self->cancellable, self->cancellable_id);
        self->cancellable_id = 0;

        operation_announce_end(self, result);

        if (self->self_ref) {
                self->self_ref = FALSE;
                g_object_unref(self);
        }
        g_object_unref(self);
}

static void fail(BiogateOperation *self, GError *error) {
        if (!self->done && !self->path && !self->start_error)
                self->start_error = g_error_copy(error);
        biogate_error_tidy(error);
        complete(self, NULL, NULL, error);
}

static void handle_signal(BiogateOperation *self, const char *path, const char *member, GVariant *parameters) {
        const char *text;
        g_autoptr(GVariant) details = NULL;

        if (self->done || g_strcmp0(path, self->path) != 0)
                return;
        if (!g_variant_is_of_type(parameters, G_VARIANT_TYPE("(sa{sv})")))
                return;
        g_variant_get(parameters, "(&s@a{sv})", &text, &details);

        if (strcmp(member, "Progress") == 0) {
                guint32 stage, stages;

                if (g_variant_lookup(details, "stage", "u", &stage))
                        operation_set_uint(self, &self->stage, stage, PROP_STAGE);
                if (g_variant_lookup(details, "stages", "u", &stages))
                        operation_set_uint(self, &self->stages, stages, PROP_STAGES);
                operation_emit_progress(self, text, details);
        } else if (strcmp(member, "Finished") == 0)
                complete(self, text, details, NULL);
}

static void on_operation_signal(GDBusConnection *connection, const char *sender, const char *path,
                                const char *interface, const char *member, GVariant *parameters,
                                gpointer userdata) {
        BiogateOperation *self = userdata;

        /* GDBus matched the sender (the daemon's unique name) already. */
        if (self->done)
                return;
        if (self->backlog) {
                PendingSignal *s = g_new0(PendingSignal, 1);

                s->path = g_strdup(path);
                s->member = g_strdup(member);
                s->parameters = g_variant_ref(parameters);
                g_ptr_array_add(self->backlog, s);
                return;
        }
        handle_signal(self, path, member, parameters);
}

static void on_name_owner_changed(GDBusConnection *connection, const char *sender, const char *path,
                                  const char *interface, const char *member, GVariant *parameters,
                                  gpointer userdata) {
        BiogateOperation *self = userdata;
        const char *name, *old_owner, *new_owner;

        if (!g_variant_is_of_type(parameters, G_VARIANT_TYPE("(sss)")))
                return;
        g_variant_get(parameters, "(&s&s&s)", &name, &old_owner, &new_owner);
        if (g_strcmp0(name, self->daemon) != 0 || *new_owner)
                return;
        /* Without this a crashed daemon would leave the caller waiting
         * forever. */
        fail(self, g_error_new_literal(G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER,
                                       "biogated left the bus before the operation finished"));
}

static void on_closed(GDBusConnection *connection, gboolean remote_peer_vanished, GError *error,
                      gpointer userdata) {
        fail(userdata, g_error_new_literal(G_DBUS_ERROR, G_DBUS_ERROR_DISCONNECTED,
                                           "Lost the connection to the bus"));
}

static void on_cancel_reply(GObject *source, GAsyncResult *res, gpointer userdata) {
        g_autoptr(BiogateOperation) self = userdata;
        g_autoptr(GError) error = NULL;

        /* On success Finished("cancelled") follows (or the result that was
         * already on its way). A failed Cancel is not the end: the daemon's
         * departure or its result still ends the operation. */
        (void) biogate_gen_operation_call_cancel_finish(BIOGATE_GEN_OPERATION(source), res, &error);
}

void operation_run_cancel(BiogateOperation *self) {
        g_autoptr(BiogateGenOperation) proxy = NULL;

        if (self->done || self->cancel_sent || !self->path)
                return;
        self->cancel_sent = TRUE;
        proxy = biogate_gen_operation_proxy_new_sync(self->connection, BIOGATE_CALL_PROXY_FLAGS, self->daemon,
                                                    self->path, NULL, NULL);
        if (proxy)
                biogate_gen_operation_call_cancel(proxy, self->internal, on_cancel_reply, g_object_ref(self));
}

static void on_properties_changed(GDBusProxy *proxy, GVariant *changed, GStrv invalidated, gpointer userdata) {
        BiogateOperation *self = userdata;
        const char *s;
        guint32 u;

        if (self->done)
                return;
        if (g_variant_lookup(changed, "State", "&s", &s))
                operation_set_string(self, &self->state, s, PROP_STATE);
        if (g_variant_lookup(changed, "Text", "&s", &s))
                operation_set_string(self, &self->text, s, PROP_TEXT);
        if (g_variant_lookup(changed, "Stage", "u", &u))
                operation_set_uint(self, &self->stage, u, PROP_STAGE);
        if (g_variant_lookup(changed, "Stages", "u", &u))
                operation_set_uint(self, &self->stages, u, PROP_STAGES);
}

static void on_proxy_ready(GObject *source, GAsyncResult *res, gpointer userdata) {
        g_autoptr(BiogateOperation) self = userdata;
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) backlog = NULL;
        BiogateGenOperation *proxy = biogate_gen_operation_proxy_new_finish(res, &error);
        const char *result;

        if (!proxy) {
                if (!is_cancelled(error))
                        fail(self, g_steal_pointer(&error));
                return;
        }
        if (self->done) {
                g_object_unref(proxy);
                return;
        }
        self->proxy = proxy;
        self->properties_id = g_signal_connect(proxy, "g-properties-changed", G_CALLBACK(on_properties_changed), self);

        if (biogate_gen_operation_get_kind(proxy))
                operation_set_string(self, &self->kind, biogate_gen_operation_get_kind(proxy), PROP_KIND);
        if (biogate_gen_operation_get_state(proxy))
                operation_set_string(self, &self->state, biogate_gen_operation_get_state(proxy), PROP_STATE);
        if (biogate_gen_operation_get_text(proxy))
                operation_set_string(self, &self->text, biogate_gen_operation_get_text(proxy), PROP_TEXT);
        operation_set_uint(self, &self->stage, biogate_gen_operation_get_stage(proxy), PROP_STAGE);
        operation_set_uint(self, &self->stages, biogate_gen_operation_get_stages(proxy), PROP_STAGES);

        /* Everything buffered happened before these properties were read,
         * so it goes first, in order... */
        backlog = g_steal_pointer(&self->backlog);
        for (guint i = 0; i < backlog->len && !self->done; i++) {
                PendingSignal *s = backlog->pdata[i];

                handle_signal(self, s->path, s->member, s->parameters);
        }

        /* ...and a result that was final before we could see its Finished
         * is still in the properties. */
        result = biogate_gen_operation_get_result(proxy);
        if (!self->done && g_strcmp0(biogate_gen_operation_get_state(proxy), "done") == 0 && result && *result)
                complete(self, result, biogate_gen_operation_get_result_details(proxy), NULL);
}

static void on_method_reply(GObject *source, GAsyncResult *res, gpointer userdata) {
        g_autoptr(BiogateOperation) self = userdata;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
        g_autofree char *path = NULL;

        if (!reply) {
                if (!is_cancelled(error))
                        fail(self, g_steal_pointer(&error));
                return;
        }
        g_variant_get(reply, "(o)", &path);
        if (self->done)
                return;
        if (!g_str_has_prefix(path, BIOGATE_OPERATION_PATH_BASE "/")) {
                fail(self, g_error_new(G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                       "biogated returned an unexpected object path %s", path));
                return;
        }
        self->path = g_steal_pointer(&path);
        operation_notify(self, PROP_OBJECT_PATH);

        if (self->cancel_requested)
                operation_run_cancel(self);

        /* Talk to the unique name, not the well-known one: a freshly
         * activated biogated knows nothing about our operation. */
        biogate_gen_operation_proxy_new(self->connection, G_DBUS_PROXY_FLAGS_NONE, self->daemon, self->path,
                                        self->internal, on_proxy_ready, g_object_ref(self));
}

/* The method that starts each kind; self->args is its argument tuple. */
static const struct {
        const char *kind;
        const char *interface;
        const char *method;
} start_methods[] = {
        { "authorize", BIOGATE_STEPUP_INTERFACE,  "Authorize" },
        { "verify",    BIOGATE_MANAGER_INTERFACE, "Verify" },
        { "enroll",    BIOGATE_MANAGER_INTERFACE, "Enroll" },
};

static void call_method(BiogateOperation *self) {
        GDBusCallFlags flags = self->flags & BIOGATE_PRIVATE_OPERATION_PLAIN_CALL
                                       ? G_DBUS_CALL_FLAGS_NO_AUTO_START
                                       : G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION;

        for (size_t i = 0; i < G_N_ELEMENTS(start_methods); i++) {
                if (strcmp(self->kind, start_methods[i].kind) != 0)
                        continue;
                /* Interactive authorization: where polkit wants a password
                 * (enrolling for someone else), the caller's session agent
                 * may ask for it instead of a flat refusal. */
                g_dbus_connection_call(self->connection, self->daemon, BIOGATE_OBJECT_PATH, start_methods[i].interface,
                                       start_methods[i].method, self->args, G_VARIANT_TYPE("(o)"), flags, -1,
                                       self->internal,
                                       on_method_reply, g_object_ref(self));
                return;
        }
        g_assert_not_reached();
}

static void get_name_owner(BiogateOperation *self, gboolean started);
static void on_service_started(GObject *source, GAsyncResult *res, gpointer userdata);

static void on_name_owner(GObject *source, GAsyncResult *res, gpointer userdata) {
        g_autoptr(BiogateOperation) self = userdata;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
        gboolean started = GPOINTER_TO_INT(g_object_steal_data(G_OBJECT(self), "biogate-started"));

        if (!reply) {
                if (is_cancelled(error))
                        return;
                /* Not running: once, ask the bus to activate it. */
                if (!started && !(self->flags & BIOGATE_PRIVATE_OPERATION_PLAIN_CALL) &&
                    g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER)) {
                        g_dbus_connection_call(self->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                               "org.freedesktop.DBus", "StartServiceByName",
                                               g_variant_new("(su)", BIOGATE_BUS_NAME, 0u), G_VARIANT_TYPE("(u)"),
                                               G_DBUS_CALL_FLAGS_NONE, -1, self->internal, on_service_started,
                                               g_object_ref(self));
                        return;
                }
                fail(self, g_steal_pointer(&error));
                return;
        }
        if (self->done)
                return;
        g_variant_get(reply, "(s)", &self->daemon);

        /* Both before the call: the daemon may report (even finish) before
         * its reply, and it must not vanish unnoticed. Only signals from
         * this very instance count: anyone else's are forgeries. */
        self->signal_subscription = g_dbus_connection_signal_subscribe(
                        self->connection, self->daemon, BIOGATE_OPERATION_INTERFACE, NULL, NULL, NULL,
                        G_DBUS_SIGNAL_FLAGS_NONE, on_operation_signal, self, NULL);
        self->owner_subscription = g_dbus_connection_signal_subscribe(
                        self->connection, "org.freedesktop.DBus", "org.freedesktop.DBus", "NameOwnerChanged",
                        "/org/freedesktop/DBus", self->daemon, G_DBUS_SIGNAL_FLAGS_NONE,
                        on_name_owner_changed, self, NULL);
        call_method(self);
}

static void on_service_started(GObject *source, GAsyncResult *res, gpointer userdata) {
        g_autoptr(BiogateOperation) self = userdata;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);

        if (!reply) {
                if (!is_cancelled(error))
                        fail(self, g_steal_pointer(&error));
                return;
        }
        /* Running now: ask who it is. */
        get_name_owner(self, TRUE);
}

static void get_name_owner(BiogateOperation *self, gboolean started) {
        g_object_set_data(G_OBJECT(self), "biogate-started", GINT_TO_POINTER(started));
        g_dbus_connection_call(self->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                               "org.freedesktop.DBus", "GetNameOwner", g_variant_new("(s)", BIOGATE_BUS_NAME),
                               G_VARIANT_TYPE("(s)"), G_DBUS_CALL_FLAGS_NONE, -1, self->internal, on_name_owner,
                               g_object_ref(self));
}

static gboolean cancel_in_context(gpointer userdata) {
        biogate_operation_cancel(userdata);
        return G_SOURCE_REMOVE;
}

/* A GCancellable may be cancelled from any thread: the Cancel goes out from
 * the operation's own main context. */
void operation_run_on_cancellable_cancelled(GCancellable *cancellable, gpointer userdata) {
        BiogateOperation *self = userdata;

        g_main_context_invoke_full(self->context, G_PRIORITY_DEFAULT, cancel_in_context, g_object_ref(self),
                                   g_object_unref);
}

BiogateOperation *biogate_private_operation_start(GDBusConnection *connection, const char *kind, GVariant *args,
                                                  BiogatePrivateOperationFlags flags, GCancellable *cancellable) {
        BiogateOperation *self = g_object_new(BIOGATE_TYPE_OPERATION, NULL);

        (void) biogate_error_quark();
        self->connection = g_object_ref(connection);
        self->context = g_main_context_ref_thread_default();
        self->kind = g_strdup(kind);
        self->args = g_variant_ref_sink(args);
        self->flags = flags;
        self->backlog = g_ptr_array_new_with_free_func(pending_signal_free);
        self->waiters = g_ptr_array_new_with_free_func(g_object_unref);
        self->self_ref = TRUE;
        g_object_ref(self);

        self->closed_id = g_signal_connect(connection, "closed", G_CALLBACK(on_closed), self);
        if (cancellable) {
                self->cancellable = g_object_ref(cancellable);
                /* Runs at once if it is cancelled already: then the Cancel
                 * goes out as soon as the operation has a path. */
                self->cancellable_id = g_cancellable_connect(
                                cancellable, G_CALLBACK(operation_run_on_cancellable_cancelled), self, NULL);
        }
        if (g_dbus_connection_is_closed(connection)) {
                on_closed(connection, FALSE, NULL, self);
                return self;
        }
        get_name_owner(self, FALSE);
        return self;
}

/* Fails a new operation at once, for arguments that never reach the daemon. */
BiogateOperation *biogate_private_operation_new_failed(GError *error) {
        BiogateOperation *self = g_object_new(BIOGATE_TYPE_OPERATION, NULL);

        self->waiters = g_ptr_array_new_with_free_func(g_object_unref);
        complete(self, NULL, NULL, error);
        return self;
}

gboolean biogate_private_operation_wait_started(BiogateOperation *self, GError **error) {
        g_autoptr(BiogateOperation) hold = g_object_ref(self);

        while (!self->path && !self->done)
                g_main_context_iteration(self->context, TRUE);
        if (self->path)
                return TRUE;
        g_propagate_error(error, g_error_copy(self->start_error ? self->start_error : self->error));
        return FALSE;
}

const GError *biogate_private_operation_get_local_error(BiogateOperation *self) {
        return self->error;
}

void biogate_private_operation_abandon(BiogateOperation *self) {
        if (self->done)
                return;
        /* Nothing more is reported: no signal, no Release, no Cancel. */
        self->done = TRUE;
        operation_run_stop(self);
        if (self->cancellable)
                g_cancellable_disconnect(self->cancellable, self->cancellable_id);
        self->cancellable_id = 0;
        if (self->self_ref) {
                self->self_ref = FALSE;
                g_object_unref(self);
        }
}
