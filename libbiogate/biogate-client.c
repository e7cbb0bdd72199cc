/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogate-private.h"

#include "biogate-bus.h"

/**
 * SECTION:biogate-client
 * @title: BiogateClient
 * @short_description: A connection to biogated
 *
 * #BiogateClient calls biogated (org.biogate1 on the system bus): what the
 * step-up policy requires for a transaction, step-up approvals, verification
 * and enrolment (as #BiogateOperation), the sensors, the enrolled fingers
 * and their deletion, what biogate holds about a user and its erasure, and
 * the keys that sign step-up tokens. The daemon identifies the caller from its bus
 * credentials; nothing here can claim to be someone else.
 *
 * Errors from biogated are in the %BIOGATE_ERROR domain.
 */

struct _BiogateClient {
        GObject parent_instance;
        GDBusConnection *connection;
};

enum {
        PROP_0,
        PROP_CONNECTION,
        N_PROPS,
};

static GParamSpec *props[N_PROPS];

G_DEFINE_FINAL_TYPE(BiogateClient, biogate_client, G_TYPE_OBJECT)

static GVariant *empty_vardict(void) {
        return g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0);
}

/* Bad input never reaches the bus: a clear error instead of a critical. */
static gboolean check_vardict(GVariant *value, BiogateError code, const char *what, GError **error) {
        if (value && g_variant_is_of_type(value, G_VARIANT_TYPE_VARDICT))
                return TRUE;
        g_set_error(error, BIOGATE_ERROR, code, "The %s must be a dictionary (a{sv}), not %s", what,
                    value ? g_variant_get_type_string(value) : "NULL");
        return FALSE;
}

/**
 * biogate_client_new_for_connection:
 * @connection: a #GDBusConnection to the bus biogated is on
 *
 * A client on @connection (tests give a private bus). No I/O.
 *
 * Returns: (transfer full): a new #BiogateClient
 */
BiogateClient *biogate_client_new_for_connection(GDBusConnection *connection) {
        g_return_val_if_fail(G_IS_DBUS_CONNECTION(connection), NULL);
        return g_object_new(BIOGATE_TYPE_CLIENT, "connection", connection, NULL);
}

static void on_bus(GObject *source, GAsyncResult *res, gpointer userdata) {
        g_autoptr(GTask) task = userdata;
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusConnection) connection = g_bus_get_finish(res, &error);

        if (!connection)
                g_task_return_error(task, g_steal_pointer(&error));
        else
                g_task_return_pointer(task, biogate_client_new_for_connection(connection), g_object_unref);
}

/**
 * biogate_client_new:
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the client is ready
 * @user_data: for @callback
 *
 * Connects to the system bus; finish with biogate_client_new_finish().
 */
void biogate_client_new(GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data) {
        GTask *task = g_task_new(NULL, cancellable, callback, user_data);

        g_task_set_source_tag(task, biogate_client_new);
        g_bus_get(G_BUS_TYPE_SYSTEM, cancellable, on_bus, task);
}

/**
 * biogate_client_new_finish:
 * @result: the #GAsyncResult given to the callback
 * @error: return location for an error
 *
 * Returns: (transfer full): a new #BiogateClient, or %NULL with @error set
 */
BiogateClient *biogate_client_new_finish(GAsyncResult *result, GError **error) {
        g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
        return g_task_propagate_pointer(G_TASK(result), error);
}

/**
 * biogate_client_new_sync:
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * A client on the system bus.
 *
 * Returns: (transfer full): a new #BiogateClient, or %NULL with @error set
 */
BiogateClient *biogate_client_new_sync(GCancellable *cancellable, GError **error) {
        g_autoptr(GDBusConnection) connection = g_bus_get_sync(G_BUS_TYPE_SYSTEM, cancellable, error);

        if (!connection)
                return NULL;
        return biogate_client_new_for_connection(connection);
}

/**
 * biogate_client_get_connection:
 * @client: a #BiogateClient
 *
 * Returns: (transfer none): the bus connection
 */
GDBusConnection *biogate_client_get_connection(BiogateClient *self) {
        g_return_val_if_fail(BIOGATE_IS_CLIENT(self), NULL);
        return self->connection;
}

/* ---- StepUp.Evaluate ---------------------------------------------------- */

typedef struct Evaluation {
        GVariant *transaction;
        char *rule;
        char *requirement;
        GVariant *details;
} Evaluation;

static void evaluation_free(Evaluation *e) {
        g_clear_pointer(&e->transaction, g_variant_unref);
        g_free(e->rule);
        g_free(e->requirement);
        g_clear_pointer(&e->details, g_variant_unref);
        g_free(e);
}

static void on_evaluated(GObject *source, GAsyncResult *res, gpointer userdata) {
        g_autoptr(GTask) task = userdata;
        g_autoptr(GError) error = NULL;
        Evaluation *e = g_task_get_task_data(task);

        if (!biogate_gen_step_up_call_evaluate_finish(BIOGATE_GEN_STEP_UP(source), &e->rule, &e->requirement,
                                                      &e->details, res, &error)) {
                biogate_error_tidy(error);
                g_task_return_error(task, g_steal_pointer(&error));
                return;
        }
        g_task_return_boolean(task, TRUE);
}

static void on_evaluate_proxy(GObject *source, GAsyncResult *res, gpointer userdata) {
        g_autoptr(GTask) task = userdata;
        g_autoptr(GError) error = NULL;
        g_autoptr(BiogateGenStepUp) proxy = biogate_gen_step_up_proxy_new_finish(res, &error);
        Evaluation *e = g_task_get_task_data(task);

        if (!proxy) {
                g_task_return_error(task, g_steal_pointer(&error));
                return;
        }
        biogate_gen_step_up_call_evaluate(proxy, e->transaction, g_task_get_cancellable(task), on_evaluated,
                                          g_object_ref(task));
}

/**
 * biogate_client_evaluate:
 * @client: a #BiogateClient
 * @transaction: the transaction, a{sv} (see org.biogate1.StepUp); a
 *   floating reference is consumed
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the answer
 * @user_data: for @callback
 *
 * Asks what the step-up policy requires for @transaction. No side effects:
 * no sensor, no counters, no token.
 */
void biogate_client_evaluate(BiogateClient *self, GVariant *transaction, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data) {
        g_autoptr(GTask) task = NULL;
        g_autoptr(GError) error = NULL;
        Evaluation *e;

        g_return_if_fail(BIOGATE_IS_CLIENT(self));

        task = g_task_new(self, cancellable, callback, user_data);
        g_task_set_source_tag(task, biogate_client_evaluate);
        if (transaction)
                g_variant_ref_sink(transaction);
        if (!check_vardict(transaction, BIOGATE_ERROR_INVALID_TRANSACTION, "transaction", &error)) {
                g_clear_pointer(&transaction, g_variant_unref);
                g_task_return_error(task, g_steal_pointer(&error));
                return;
        }
        e = g_new0(Evaluation, 1);
        e->transaction = transaction;
        g_task_set_task_data(task, e, (GDestroyNotify) evaluation_free);
        biogate_gen_step_up_proxy_new(self->connection, BIOGATE_CALL_PROXY_FLAGS, BIOGATE_BUS_NAME,
                                      BIOGATE_OBJECT_PATH, cancellable, on_evaluate_proxy, g_object_ref(task));
}

/**
 * biogate_client_evaluate_finish:
 * @client: a #BiogateClient
 * @result: the #GAsyncResult given to the callback
 * @out_rule: (out) (optional) (transfer full): the name of the rule that matches
 * @out_requirement: (out) (optional) (transfer full): "none", "fingerprint",
 *   "fingerprint+approver" or "deny"
 * @out_details: (out) (optional) (transfer full): a{sv}: "text" (what the
 *   user would approve), "tx-digest", "approver-group",
 *   "require-local-session", "token-lifetime"
 * @error: return location for an error
 *
 * Returns: %TRUE, or %FALSE with @error set (e.g.
 *   %BIOGATE_ERROR_INVALID_TRANSACTION naming the field)
 */
gboolean biogate_client_evaluate_finish(BiogateClient *self, GAsyncResult *result, char **out_rule,
                                        char **out_requirement, GVariant **out_details, GError **error) {
        Evaluation *e;

        g_return_val_if_fail(g_task_is_valid(result, self), FALSE);

        if (!g_task_propagate_boolean(G_TASK(result), error))
                return FALSE;
        e = g_task_get_task_data(G_TASK(result));
        if (out_rule)
                *out_rule = g_steal_pointer(&e->rule);
        if (out_requirement)
                *out_requirement = g_steal_pointer(&e->requirement);
        if (out_details)
                *out_details = g_steal_pointer(&e->details);
        return TRUE;
}

/**
 * biogate_client_evaluate_sync:
 * @client: a #BiogateClient
 * @transaction: the transaction, a{sv}; a floating reference is consumed
 * @out_rule: (out) (optional) (transfer full): see biogate_client_evaluate_finish()
 * @out_requirement: (out) (optional) (transfer full): see biogate_client_evaluate_finish()
 * @out_details: (out) (optional) (transfer full): see biogate_client_evaluate_finish()
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * biogate_client_evaluate(), blocking.
 *
 * Returns: %TRUE, or %FALSE with @error set
 */
gboolean biogate_client_evaluate_sync(BiogateClient *self, GVariant *transaction, char **out_rule,
                                      char **out_requirement, GVariant **out_details,
                                      GCancellable *cancellable, GError **error) {
        g_autoptr(BiogateGenStepUp) proxy = NULL;
        g_autoptr(GVariant) tx = NULL;
        gboolean ok;

        g_return_val_if_fail(BIOGATE_IS_CLIENT(self), FALSE);

        if (transaction)
                tx = g_variant_ref_sink(transaction);
        if (!check_vardict(tx, BIOGATE_ERROR_INVALID_TRANSACTION, "transaction", error))
                return FALSE;
        proxy = biogate_gen_step_up_proxy_new_sync(self->connection, BIOGATE_CALL_PROXY_FLAGS, BIOGATE_BUS_NAME,
                                                  BIOGATE_OBJECT_PATH, cancellable, error);
        if (!proxy)
                return FALSE;
        ok = biogate_gen_step_up_call_evaluate_sync(proxy, tx, out_rule, out_requirement, out_details,
                                                    cancellable, error);
        if (!ok && error)
                biogate_error_tidy(*error);
        return ok;
}

/* ---- Operations --------------------------------------------------------- */

/**
 * biogate_client_authorize:
 * @client: a #BiogateClient
 * @transaction: the transaction, a{sv}, with its "challenge" (ay, 16 to 64
 *   bytes from the backend); a floating reference is consumed
 * @options: (nullable): a{sv}: "timeout-ms" (u); a floating reference is consumed
 * @cancellable: (nullable): cancelling it cancels the operation
 *
 * Asks the caller to approve @transaction with a fresh touch. The operation
 * runs at once; wait for it with biogate_operation_wait(). Its result
 * "approved" carries the step-up token (biogate_operation_get_token()).
 * Refusals (policy "deny", lock-out, no prints...) end it with the daemon's
 * error.
 *
 * Returns: (transfer full): the running operation
 */
BiogateOperation *biogate_client_authorize(BiogateClient *self, GVariant *transaction, GVariant *options,
                                           GCancellable *cancellable) {
        g_autoptr(GVariant) tx = NULL, opts = NULL;
        GError *error = NULL;

        g_return_val_if_fail(BIOGATE_IS_CLIENT(self), NULL);

        tx = transaction ? g_variant_ref_sink(transaction) : NULL;
        opts = g_variant_ref_sink(options ? options : empty_vardict());
        if (!check_vardict(tx, BIOGATE_ERROR_INVALID_TRANSACTION, "transaction", &error) ||
            !check_vardict(opts, BIOGATE_ERROR_INVALID_ARGUMENT, "options", &error))
                return biogate_private_operation_new_failed(error);
        return biogate_private_operation_start(self->connection, "authorize",
                                               g_variant_new("(@a{sv}@a{sv})", tx, opts), 0, cancellable);
}

/**
 * biogate_client_verify:
 * @client: a #BiogateClient
 * @user: (nullable): the user; %NULL or "" for the caller
 * @options: (nullable): a{sv}: "fingers" (as), "timeout-ms" (u), "service"
 *   (s); a floating reference is consumed
 * @cancellable: (nullable): cancelling it cancels the operation
 *
 * Verifies @user's fingerprint. The result is "match" or "no-match".
 *
 * Returns: (transfer full): the running operation
 */
BiogateOperation *biogate_client_verify(BiogateClient *self, const char *user, GVariant *options,
                                        GCancellable *cancellable) {
        g_autoptr(GVariant) opts = NULL;
        GError *error = NULL;

        g_return_val_if_fail(BIOGATE_IS_CLIENT(self), NULL);

        opts = g_variant_ref_sink(options ? options : empty_vardict());
        if (!check_vardict(opts, BIOGATE_ERROR_INVALID_ARGUMENT, "options", &error))
                return biogate_private_operation_new_failed(error);
        return biogate_private_operation_start(self->connection, "verify",
                                       g_variant_new("(s@a{sv})", user ? user : "", opts), 0, cancellable);
}

/**
 * biogate_client_enroll:
 * @client: a #BiogateClient
 * @user: (nullable): the user; %NULL or "" for the caller
 * @finger: the finger, e.g. "right-index-finger"
 * @consent: whether the person consented to the consent notice
 * @notice_version: the version of the notice they consented to
 * @cancellable: (nullable): cancelling it cancels the operation
 *
 * Enrols @finger. biogated enrols only with consent to exactly the notice
 * version it ships. Progress reports "stage-passed"; the result is
 * "completed".
 *
 * Returns: (transfer full): the running operation
 */
BiogateOperation *biogate_client_enroll(BiogateClient *self, const char *user, const char *finger,
                                        gboolean consent, const char *notice_version,
                                        GCancellable *cancellable) {
        GVariantBuilder b;

        g_return_val_if_fail(BIOGATE_IS_CLIENT(self), NULL);
        g_return_val_if_fail(finger != NULL, NULL);
        g_return_val_if_fail(notice_version != NULL, NULL);

        g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add(&b, "{sv}", "consent", g_variant_new_boolean(consent));
        g_variant_builder_add(&b, "{sv}", "notice-version", g_variant_new_string(notice_version));
        return biogate_private_operation_start(self->connection, "enroll",
                                       g_variant_new("(ss@a{sv})", user ? user : "", finger, g_variant_builder_end(&b)),
                                               0, cancellable);
}

/* ---- StepUp.GetPublicKeys ----------------------------------------------- */

static void on_keys(GObject *source, GAsyncResult *res, gpointer userdata) {
        g_autoptr(GTask) task = userdata;
        g_autoptr(GError) error = NULL;
        char *jwks = NULL;

        if (!biogate_gen_step_up_call_get_public_keys_finish(BIOGATE_GEN_STEP_UP(source), &jwks, res, &error)) {
                biogate_error_tidy(error);
                g_task_return_error(task, g_steal_pointer(&error));
                return;
        }
        g_task_return_pointer(task, jwks, g_free);
}

static void on_keys_proxy(GObject *source, GAsyncResult *res, gpointer userdata) {
        g_autoptr(GTask) task = userdata;
        g_autoptr(GError) error = NULL;
        g_autoptr(BiogateGenStepUp) proxy = biogate_gen_step_up_proxy_new_finish(res, &error);

        if (!proxy) {
                g_task_return_error(task, g_steal_pointer(&error));
                return;
        }
        biogate_gen_step_up_call_get_public_keys(proxy, g_task_get_cancellable(task), on_keys, g_object_ref(task));
}

/**
 * biogate_client_get_public_keys:
 * @client: a #BiogateClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the answer
 * @user_data: for @callback
 *
 * Fetches the JWK set (JSON) with the Ed25519 key that signs step-up tokens.
 */
void biogate_client_get_public_keys(BiogateClient *self, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data) {
        g_autoptr(GTask) task = NULL;

        g_return_if_fail(BIOGATE_IS_CLIENT(self));

        task = g_task_new(self, cancellable, callback, user_data);
        g_task_set_source_tag(task, biogate_client_get_public_keys);
        biogate_gen_step_up_proxy_new(self->connection, BIOGATE_CALL_PROXY_FLAGS, BIOGATE_BUS_NAME,
                                      BIOGATE_OBJECT_PATH, cancellable, on_keys_proxy, g_object_ref(task));
}

/**
 * biogate_client_get_public_keys_finish:
 * @client: a #BiogateClient
 * @result: the #GAsyncResult given to the callback
 * @error: return location for an error
 *
 * Returns: (transfer full): the JWK set as JSON, or %NULL with @error set
 */
char *biogate_client_get_public_keys_finish(BiogateClient *self, GAsyncResult *result, GError **error) {
        g_return_val_if_fail(g_task_is_valid(result, self), NULL);
        return g_task_propagate_pointer(G_TASK(result), error);
}

/**
 * biogate_client_get_public_keys_sync:
 * @client: a #BiogateClient
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * Returns: (transfer full): the JWK set as JSON, or %NULL with @error set
 */
char *biogate_client_get_public_keys_sync(BiogateClient *self, GCancellable *cancellable, GError **error) {
        g_autoptr(BiogateGenStepUp) proxy = NULL;
        char *jwks = NULL;

        g_return_val_if_fail(BIOGATE_IS_CLIENT(self), NULL);

        proxy = biogate_gen_step_up_proxy_new_sync(self->connection, BIOGATE_CALL_PROXY_FLAGS, BIOGATE_BUS_NAME,
                                                  BIOGATE_OBJECT_PATH, cancellable, error);
        if (!proxy)
                return NULL;
        if (!biogate_gen_step_up_call_get_public_keys_sync(proxy, &jwks, cancellable, error)) {
                if (error)
                        biogate_error_tidy(*error);
                return NULL;
        }
        return jwks;
}

static void biogate_client_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec) {
        BiogateClient *self = BIOGATE_CLIENT(object);

        switch (id) {
        case PROP_CONNECTION:
                g_value_set_object(value, self->connection);
                break;
        default:
                G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
        }
}

static void biogate_client_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec) {
        BiogateClient *self = BIOGATE_CLIENT(object);

        switch (id) {
        case PROP_CONNECTION:
                self->connection = g_value_dup_object(value);
                break;
        default:
                G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
        }
}

static void biogate_client_dispose(GObject *object) {
        g_clear_object(&BIOGATE_CLIENT(object)->connection);
        G_OBJECT_CLASS(biogate_client_parent_class)->dispose(object);
}

static void biogate_client_class_init(BiogateClientClass *klass) {
        GObjectClass *object_class = G_OBJECT_CLASS(klass);

        object_class->get_property = biogate_client_get_property;
        object_class->set_property = biogate_client_set_property;
        object_class->dispose = biogate_client_dispose;

        /**
         * BiogateClient:connection:
         *
         * The bus connection biogated is reached on.
         */
        props[PROP_CONNECTION] = g_param_spec_object("connection", NULL, NULL, G_TYPE_DBUS_CONNECTION,
                                                     G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                                     G_PARAM_STATIC_STRINGS);
        g_object_class_install_properties(object_class, N_PROPS, props);

        /* Before the first reply: GDBus maps org.biogate1.Error.* to
         * BIOGATE_ERROR only once the domain is registered. */
        (void) biogate_error_quark();
}

static void biogate_client_init(BiogateClient *self) {
}
