/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogate-private.h"

#include <string.h>

#include "biogate-bus.h"

/**
 * SECTION:biogate-operation
 * @title: BiogateOperation
 * @short_description: One enrolment, verification or step-up approval
 *
 * A #BiogateOperation runs one org.biogate1.Operation of biogated: it is
 * returned already started by biogate_client_authorize(),
 * biogate_client_verify() and biogate_client_enroll(). It reports progress
 * with #BiogateOperation::progress, its end with #BiogateOperation::finished,
 * and biogate_operation_wait() completes with the result.
 *
 * It subscribes to the operation's signals before it calls the daemon (the
 * daemon may report, even finish, before its reply arrives), keeps those
 * early signals in order and replays them once it knows its object path,
 * accepts signals only from the daemon instance that created the operation,
 * and fails with %G_DBUS_ERROR_NAME_HAS_NO_OWNER if that instance leaves the
 * bus before the result.
 */

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

struct _BiogateOperation {
        GObject parent_instance;

        GDBusConnection *connection;
        GMainContext *context;
        GVariant *args;
        /* Cancelled when the operation ends or is disposed: late replies
         * then see G_IO_ERROR_CANCELLED and leave the object alone. */
        GCancellable *internal;
        GCancellable *cancellable;
        gulong cancellable_id;

        char *daemon;   /* unique name of the biogated that runs it */
        char *path;
        BiogateGenOperation *proxy;

        guint signal_subscription;
        guint owner_subscription;
        gulong closed_id;
        gulong properties_id;
        /* Signals that came before we knew our path and read the
         * properties; NULL after. */
        GPtrArray *backlog;

        BiogatePrivateOperationFlags flags;
        /* Why it ended before biogated gave it a path, as the bus said it
         * (biogate_private_operation_wait_started()). */
        GError *start_error;

        gboolean cancel_requested;
        gboolean cancel_sent;
        gboolean done;
        /* Held while running, so that dropping the last reference of the
         * caller does not lose the result on its way. */
        gboolean self_ref;

        char *kind;
        char *state;
        guint stage;
        guint stages;
        char *text;
        char *result;
        GVariant *details;
        GError *error;

        GPtrArray *waiters; /* GTask */
};

enum {
        PROP_0,
        PROP_KIND,
        PROP_STATE,
        PROP_STAGE,
        PROP_STAGES,
        PROP_TEXT,
        PROP_RESULT,
        PROP_RESULT_DETAILS,
        PROP_OBJECT_PATH,
        N_PROPS,
};

enum {
        SIGNAL_PROGRESS,
        SIGNAL_FINISHED,
        N_SIGNALS,
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE(BiogateOperation, biogate_operation, G_TYPE_OBJECT)

static gboolean is_cancelled(const GError *error) {
        return g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static GVariant *empty_vardict(void) {
        return g_variant_ref_sink(g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0));
}

static void set_string(BiogateOperation *self, char **field, const char *value, int prop) {
        if (g_strcmp0(*field, value) == 0)
                return;
        g_free(*field);
        *field = g_strdup(value);
        g_object_notify_by_pspec(G_OBJECT(self), props[prop]);
}

static void set_uint(BiogateOperation *self, guint *field, guint value, int prop) {
        if (*field == value)
                return;
        *field = value;
        g_object_notify_by_pspec(G_OBJECT(self), props[prop]);
}

static void stop_watching(BiogateOperation *self) {
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
        g_autoptr(GPtrArray) waiters = NULL;

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
        stop_watching(self);
        if (self->cancellable)
                g_cancellable_disconnect(self->cancellable, self->cancellable_id);
        self->cancellable_id = 0;

        set_string(self, &self->state, "done", PROP_STATE);
        set_string(self, &self->result, result, PROP_RESULT);
        g_object_notify_by_pspec(G_OBJECT(self), props[PROP_RESULT_DETAILS]);
        g_signal_emit(self, signals[SIGNAL_FINISHED], 0, self->result, self->details);

        waiters = g_steal_pointer(&self->waiters);
        for (guint i = 0; i < waiters->len; i++)
                g_task_return_boolean(waiters->pdata[i], TRUE);

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
                        set_uint(self, &self->stage, stage, PROP_STAGE);
                if (g_variant_lookup(details, "stages", "u", &stages))
                        set_uint(self, &self->stages, stages, PROP_STAGES);
                g_signal_emit(self, signals[SIGNAL_PROGRESS], 0, text, details);
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

static void send_cancel(BiogateOperation *self) {
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
                set_string(self, &self->state, s, PROP_STATE);
        if (g_variant_lookup(changed, "Text", "&s", &s))
                set_string(self, &self->text, s, PROP_TEXT);
        if (g_variant_lookup(changed, "Stage", "u", &u))
                set_uint(self, &self->stage, u, PROP_STAGE);
        if (g_variant_lookup(changed, "Stages", "u", &u))
                set_uint(self, &self->stages, u, PROP_STAGES);
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
                set_string(self, &self->kind, biogate_gen_operation_get_kind(proxy), PROP_KIND);
        if (biogate_gen_operation_get_state(proxy))
                set_string(self, &self->state, biogate_gen_operation_get_state(proxy), PROP_STATE);
        if (biogate_gen_operation_get_text(proxy))
                set_string(self, &self->text, biogate_gen_operation_get_text(proxy), PROP_TEXT);
        set_uint(self, &self->stage, biogate_gen_operation_get_stage(proxy), PROP_STAGE);
        set_uint(self, &self->stages, biogate_gen_operation_get_stages(proxy), PROP_STAGES);

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
        g_object_notify_by_pspec(G_OBJECT(self), props[PROP_OBJECT_PATH]);

        if (self->cancel_requested)
                send_cancel(self);

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
static void on_cancellable_cancelled(GCancellable *cancellable, gpointer userdata) {
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
                self->cancellable_id = g_cancellable_connect(cancellable, G_CALLBACK(on_cancellable_cancelled),
                                                             self, NULL);
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
        stop_watching(self);
        if (self->cancellable)
                g_cancellable_disconnect(self->cancellable, self->cancellable_id);
        self->cancellable_id = 0;
        if (self->self_ref) {
                self->self_ref = FALSE;
                g_object_unref(self);
        }
}

/**
 * biogate_operation_cancel:
 * @operation: a #BiogateOperation
 *
 * Asks biogated to stop the operation. It then finishes with the result
 * "cancelled" (or with the result that was already on its way). Cancelling an
 * operation that has finished does nothing.
 */
void biogate_operation_cancel(BiogateOperation *self) {
        g_return_if_fail(BIOGATE_IS_OPERATION(self));

        if (self->done)
                return;
        self->cancel_requested = TRUE;
        /* Without a path yet, the method reply sends it. */
        send_cancel(self);
}

static void on_wait_cancelled(GCancellable *cancellable, gpointer userdata) {
        on_cancellable_cancelled(cancellable, userdata);
}

/**
 * biogate_operation_wait:
 * @operation: a #BiogateOperation
 * @cancellable: (nullable): cancels the operation (not only the wait)
 * @callback: (scope async): called when the operation has finished
 * @user_data: for @callback
 *
 * Waits for the end of the operation; get it with
 * biogate_operation_wait_finish(). Cancelling @cancellable is
 * biogate_operation_cancel(): the wait still ends with biogated's result.
 */
void biogate_operation_wait(BiogateOperation *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data) {
        g_autoptr(GTask) task = NULL;

        g_return_if_fail(BIOGATE_IS_OPERATION(self));

        task = g_task_new(self, NULL, callback, user_data);
        g_task_set_source_tag(task, biogate_operation_wait);
        if (self->done) {
                g_task_return_boolean(task, TRUE);
                return;
        }
        if (cancellable) {
                /* Cancelling sends Cancel; the callback needs no disconnect
                 * as it holds no state of the task. */
                gulong id = g_cancellable_connect(cancellable, G_CALLBACK(on_wait_cancelled), g_object_ref(self),
                                                  g_object_unref);

                g_object_set_data_full(G_OBJECT(task), "biogate-wait-cancellable-id",
                                       g_memdup2(&id, sizeof id), g_free);
                g_task_set_task_data(task, g_object_ref(cancellable), g_object_unref);
        }
        g_ptr_array_add(self->waiters, g_object_ref(task));
}

static char *outcome(BiogateOperation *self, GError **error) {
        if (self->error) {
                g_propagate_error(error, g_error_copy(self->error));
                return NULL;
        }
        if (g_strcmp0(self->result, BIOGATE_RESULT_FAILED) == 0) {
                g_propagate_error(error, biogate_error_from_details(self->details));
                return NULL;
        }
        return g_strdup(self->result);
}

static void disconnect_wait_cancellable(GTask *task) {
        GCancellable *cancellable = g_task_get_task_data(task);
        gulong *id = g_object_get_data(G_OBJECT(task), "biogate-wait-cancellable-id");

        if (cancellable && id)
                g_cancellable_disconnect(cancellable, *id);
}

/**
 * biogate_operation_wait_finish:
 * @operation: a #BiogateOperation
 * @result: the #GAsyncResult given to the callback
 * @error: return location for an error
 *
 * The result of the operation: "approved" or "denied" (authorize), "match"
 * or "no-match" (verify), "completed" (enroll) or "cancelled". A non-match
 * or a denial is a result, not an error.
 *
 * Returns: (transfer full): the result, or %NULL with @error set: the
 *   daemon's error (%BIOGATE_ERROR, e.g. %BIOGATE_ERROR_LOCKED_OUT) when it
 *   refused or the operation failed, %G_DBUS_ERROR_NAME_HAS_NO_OWNER when
 *   biogated left the bus first, or another #GDBusError
 */
char *biogate_operation_wait_finish(BiogateOperation *self, GAsyncResult *result, GError **error) {
        g_return_val_if_fail(BIOGATE_IS_OPERATION(self), NULL);
        g_return_val_if_fail(g_task_is_valid(result, self), NULL);

        disconnect_wait_cancellable(G_TASK(result));
        if (!g_task_propagate_boolean(G_TASK(result), error))
                return NULL;
        return outcome(self, error);
}

/**
 * biogate_operation_wait_sync:
 * @operation: a #BiogateOperation
 * @cancellable: (nullable): cancels the operation (not only the wait)
 * @error: return location for an error
 *
 * biogate_operation_wait() that iterates the main context the operation was
 * started in until it has finished. Call it in the thread that started the
 * operation.
 *
 * Returns: (transfer full): as biogate_operation_wait_finish()
 */
char *biogate_operation_wait_sync(BiogateOperation *self, GCancellable *cancellable, GError **error) {
        gulong id = 0;

        g_return_val_if_fail(BIOGATE_IS_OPERATION(self), NULL);

        g_object_ref(self);
        if (cancellable && !self->done)
                id = g_cancellable_connect(cancellable, G_CALLBACK(on_wait_cancelled), g_object_ref(self),
                                           g_object_unref);
        while (!self->done)
                g_main_context_iteration(self->context, TRUE);
        if (cancellable)
                g_cancellable_disconnect(cancellable, id);
        g_object_unref(self);
        return outcome(self, error);
}

/**
 * biogate_operation_get_kind:
 * @operation: a #BiogateOperation
 *
 * Returns: "authorize", "verify" or "enroll"
 */
const char *biogate_operation_get_kind(BiogateOperation *self) {
        g_return_val_if_fail(BIOGATE_IS_OPERATION(self), NULL);
        return self->kind;
}

/**
 * biogate_operation_get_state:
 * @operation: a #BiogateOperation
 *
 * Returns: (nullable): "queued", "waiting-for-finger", "scanning",
 *   "waiting-for-approver", "done"; %NULL before biogated has said
 */
const char *biogate_operation_get_state(BiogateOperation *self) {
        g_return_val_if_fail(BIOGATE_IS_OPERATION(self), NULL);
        return self->state;
}

/**
 * biogate_operation_get_stage:
 * @operation: a #BiogateOperation
 *
 * Returns: the enrolment stages passed so far (0 for others)
 */
guint biogate_operation_get_stage(BiogateOperation *self) {
        g_return_val_if_fail(BIOGATE_IS_OPERATION(self), 0);
        return self->stage;
}

/**
 * biogate_operation_get_stages:
 * @operation: a #BiogateOperation
 *
 * Returns: the enrolment stages needed (0 for others)
 */
guint biogate_operation_get_stages(BiogateOperation *self) {
        g_return_val_if_fail(BIOGATE_IS_OPERATION(self), 0);
        return self->stages;
}

/**
 * biogate_operation_get_text:
 * @operation: a #BiogateOperation
 *
 * Returns: (nullable): for "authorize", what the user approves, as biogated
 *   rendered it; %NULL before biogated has said
 */
const char *biogate_operation_get_text(BiogateOperation *self) {
        g_return_val_if_fail(BIOGATE_IS_OPERATION(self), NULL);
        return self->text;
}

/**
 * biogate_operation_get_result:
 * @operation: a #BiogateOperation
 *
 * Returns: (nullable): the result once finished ("failed" if it could not
 *   run), else %NULL
 */
const char *biogate_operation_get_result(BiogateOperation *self) {
        g_return_val_if_fail(BIOGATE_IS_OPERATION(self), NULL);
        return self->result;
}

/**
 * biogate_operation_get_result_details:
 * @operation: a #BiogateOperation
 *
 * Returns: (nullable) (transfer none): the result's details (a{sv}: "token",
 *   "error", "message", "retry-after-ms", "user", "finger", ...) once
 *   finished, else %NULL
 */
GVariant *biogate_operation_get_result_details(BiogateOperation *self) {
        g_return_val_if_fail(BIOGATE_IS_OPERATION(self), NULL);
        return self->details;
}

/**
 * biogate_operation_get_token:
 * @operation: a #BiogateOperation
 *
 * Returns: (nullable): the step-up token of an approved "authorize"
 *   operation, else %NULL
 */
const char *biogate_operation_get_token(BiogateOperation *self) {
        const char *token = NULL;

        g_return_val_if_fail(BIOGATE_IS_OPERATION(self), NULL);
        if (!self->details || g_strcmp0(self->result, "approved") != 0)
                return NULL;
        if (!g_variant_lookup(self->details, "token", "&s", &token))
                return NULL;
        return token;
}

/**
 * biogate_operation_get_object_path:
 * @operation: a #BiogateOperation
 *
 * Returns: (nullable): the D-Bus object path, once biogated has replied
 */
const char *biogate_operation_get_object_path(BiogateOperation *self) {
        g_return_val_if_fail(BIOGATE_IS_OPERATION(self), NULL);
        return self->path;
}

static void biogate_operation_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec) {
        BiogateOperation *self = BIOGATE_OPERATION(object);

        switch (id) {
        case PROP_KIND:
                g_value_set_string(value, self->kind);
                break;
        case PROP_STATE:
                g_value_set_string(value, self->state);
                break;
        case PROP_STAGE:
                g_value_set_uint(value, self->stage);
                break;
        case PROP_STAGES:
                g_value_set_uint(value, self->stages);
                break;
        case PROP_TEXT:
                g_value_set_string(value, self->text);
                break;
        case PROP_RESULT:
                g_value_set_string(value, self->result);
                break;
        case PROP_RESULT_DETAILS:
                g_value_set_variant(value, self->details);
                break;
        case PROP_OBJECT_PATH:
                g_value_set_string(value, self->path);
                break;
        default:
                G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
        }
}

static void biogate_operation_dispose(GObject *object) {
        BiogateOperation *self = BIOGATE_OPERATION(object);

        if (self->connection)
                stop_watching(self);
        if (self->cancellable && self->cancellable_id)
                g_cancellable_disconnect(self->cancellable, self->cancellable_id);
        self->cancellable_id = 0;
        g_clear_object(&self->cancellable);
        g_clear_object(&self->proxy);
        g_clear_object(&self->connection);
        G_OBJECT_CLASS(biogate_operation_parent_class)->dispose(object);
}

static void biogate_operation_finalize(GObject *object) {
        BiogateOperation *self = BIOGATE_OPERATION(object);

        g_clear_pointer(&self->context, g_main_context_unref);
        g_clear_pointer(&self->args, g_variant_unref);
        g_clear_object(&self->internal);
        g_free(self->daemon);
        g_free(self->path);
        g_free(self->kind);
        g_free(self->state);
        g_free(self->text);
        g_free(self->result);
        g_clear_pointer(&self->details, g_variant_unref);
        g_clear_error(&self->error);
        g_clear_error(&self->start_error);
        g_clear_pointer(&self->waiters, g_ptr_array_unref);
        G_OBJECT_CLASS(biogate_operation_parent_class)->finalize(object);
}

static void biogate_operation_class_init(BiogateOperationClass *klass) {
        GObjectClass *object_class = G_OBJECT_CLASS(klass);
        const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

        object_class->get_property = biogate_operation_get_property;
        object_class->dispose = biogate_operation_dispose;
        object_class->finalize = biogate_operation_finalize;

        /**
         * BiogateOperation:kind:
         *
         * "authorize", "verify" or "enroll".
         */
        props[PROP_KIND] = g_param_spec_string("kind", NULL, NULL, NULL, ro);
        /**
         * BiogateOperation:state:
         *
         * biogated's State: "queued", "waiting-for-finger", "scanning",
         * "waiting-for-approver" or "done".
         */
        props[PROP_STATE] = g_param_spec_string("state", NULL, NULL, NULL, ro);
        /**
         * BiogateOperation:stage:
         *
         * Enrolment stages passed so far.
         */
        props[PROP_STAGE] = g_param_spec_uint("stage", NULL, NULL, 0, G_MAXUINT, 0, ro);
        /**
         * BiogateOperation:stages:
         *
         * Enrolment stages needed.
         */
        props[PROP_STAGES] = g_param_spec_uint("stages", NULL, NULL, 0, G_MAXUINT, 0, ro);
        /**
         * BiogateOperation:text:
         *
         * For "authorize": what the user approves, rendered by biogated.
         */
        props[PROP_TEXT] = g_param_spec_string("text", NULL, NULL, NULL, ro);
        /**
         * BiogateOperation:result:
         *
         * The result once finished, else %NULL.
         */
        props[PROP_RESULT] = g_param_spec_string("result", NULL, NULL, NULL, ro);
        /**
         * BiogateOperation:result-details:
         *
         * The result's details (a{sv}) once finished, else %NULL.
         */
        props[PROP_RESULT_DETAILS] = g_param_spec_variant("result-details", NULL, NULL, G_VARIANT_TYPE_VARDICT,
                                                          NULL, ro);
        /**
         * BiogateOperation:object-path:
         *
         * The operation's D-Bus object path, once biogated has replied.
         */
        props[PROP_OBJECT_PATH] = g_param_spec_string("object-path", NULL, NULL, NULL, ro);
        g_object_class_install_properties(object_class, N_PROPS, props);

        /**
         * BiogateOperation::progress:
         * @operation: the operation
         * @status: "finger-needed", "stage-passed", "retry-scan",
         *   "checking-duplicates", "approver-needed", "approver-retry",
         *   "device-acquired", ...
         * @details: a{sv}, as org.biogate1.Operation documents for @status
         *
         * biogated reported progress. Early reports (sent before its reply
         * to the method) come too, in order.
         */
        signals[SIGNAL_PROGRESS] = g_signal_new("progress", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                                NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_VARIANT);
        /**
         * BiogateOperation::finished:
         * @operation: the operation
         * @result: as #BiogateOperation:result
         * @details: as #BiogateOperation:result-details
         *
         * The operation has ended, exactly once: with biogated's result, or
         * "failed" with "error" and "message" in @details when it could not
         * run or biogated left the bus.
         */
        signals[SIGNAL_FINISHED] = g_signal_new("finished", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                                NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_VARIANT);
}

static void biogate_operation_init(BiogateOperation *self) {
        self->internal = g_cancellable_new();
}
