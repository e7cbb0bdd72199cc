/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogate-operation-private.h"

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

enum {
        SIGNAL_PROGRESS,
        SIGNAL_FINISHED,
        N_SIGNALS,
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE(BiogateOperation, biogate_operation, G_TYPE_OBJECT)

void operation_set_string(BiogateOperation *self, char **field, const char *value, OperationProp prop) {
        if (g_strcmp0(*field, value) == 0)
                return;
        g_free(*field);
        *field = g_strdup(value);
        g_object_notify_by_pspec(G_OBJECT(self), props[prop]);
}

void operation_set_uint(BiogateOperation *self, guint *field, guint value, OperationProp prop) {
        if (*field == value)
                return;
        *field = value;
        g_object_notify_by_pspec(G_OBJECT(self), props[prop]);
}

void operation_notify(BiogateOperation *self, OperationProp prop) {
        g_object_notify_by_pspec(G_OBJECT(self), props[prop]);
}

void operation_emit_progress(BiogateOperation *self, const char *status, GVariant *details) {
        g_signal_emit(self, signals[SIGNAL_PROGRESS], 0, status, details);
}

void operation_announce_end(BiogateOperation *self, const char *result) {
        g_autoptr(GPtrArray) waiters = NULL;

        operation_set_string(self, &self->state, "done", PROP_STATE);
        operation_set_string(self, &self->result, result, PROP_RESULT);
        operation_notify(self, PROP_RESULT_DETAILS);
        g_signal_emit(self, signals[SIGNAL_FINISHED], 0, self->result, self->details);

        waiters = g_steal_pointer(&self->waiters);
        for (guint i = 0; i < waiters->len; i++)
                g_task_return_boolean(waiters->pdata[i], TRUE);
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
        operation_run_cancel(self);
}

static void on_wait_cancelled(GCancellable *cancellable, gpointer userdata) {
        operation_run_on_cancellable_cancelled(cancellable, userdata);
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
                operation_run_stop(self);
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
