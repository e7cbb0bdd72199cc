/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* BiogateClient, part: the Manager's calls that answer at once (fingers,
 * sensors, deletion, a user's data and its erasure, standing consent, the
 * API version). The
 * object, step-up and operations are in biogate-client.c. */
#include "biogate-private.h"

#include "biogate-bus.h"

/* ---- Manager.ListFingers ------------------------------------------------ */

static void on_fingers(GObject *source, GAsyncResult *res, gpointer userdata) {
        g_autoptr(GTask) task = userdata;
        g_autoptr(GError) error = NULL;
        char **fingers = NULL;

        if (!biogate_gen_manager_call_list_fingers_finish(BIOGATE_GEN_MANAGER(source), &fingers, res, &error)) {
                biogate_error_tidy(error);
                g_task_return_error(task, g_steal_pointer(&error));
                return;
        }
        g_task_return_pointer(task, fingers, (GDestroyNotify) g_strfreev);
}

static void on_fingers_proxy(GObject *source, GAsyncResult *res, gpointer userdata) {
        g_autoptr(GTask) task = userdata;
        g_autoptr(GError) error = NULL;
        g_autoptr(BiogateGenManager) proxy = biogate_gen_manager_proxy_new_finish(res, &error);

        if (!proxy) {
                g_task_return_error(task, g_steal_pointer(&error));
                return;
        }
        biogate_gen_manager_call_list_fingers(proxy, g_task_get_task_data(task), g_task_get_cancellable(task),
                                              on_fingers, g_object_ref(task));
}

/**
 * biogate_client_list_fingers:
 * @client: a #BiogateClient
 * @user: (nullable): the user; %NULL or "" for the caller
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the answer
 * @user_data: for @callback
 *
 * Lists the fingers enrolled for @user.
 */
void biogate_client_list_fingers(BiogateClient *self, const char *user, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data) {
        g_autoptr(GTask) task = NULL;

        g_return_if_fail(BIOGATE_IS_CLIENT(self));

        task = g_task_new(self, cancellable, callback, user_data);
        g_task_set_source_tag(task, biogate_client_list_fingers);
        g_task_set_task_data(task, g_strdup(user ? user : ""), g_free);
        biogate_gen_manager_proxy_new(biogate_client_get_connection(self), BIOGATE_CALL_PROXY_FLAGS,
                                      BIOGATE_BUS_NAME, BIOGATE_OBJECT_PATH, cancellable, on_fingers_proxy,
                                      g_object_ref(task));
}

/**
 * biogate_client_list_fingers_finish:
 * @client: a #BiogateClient
 * @result: the #GAsyncResult given to the callback
 * @error: return location for an error
 *
 * Returns: (transfer full) (array zero-terminated=1): the finger names
 *   (possibly none), or %NULL with @error set
 */
char **biogate_client_list_fingers_finish(BiogateClient *self, GAsyncResult *result, GError **error) {
        g_return_val_if_fail(g_task_is_valid(result, self), NULL);
        return g_task_propagate_pointer(G_TASK(result), error);
}

/**
 * biogate_client_list_fingers_sync:
 * @client: a #BiogateClient
 * @user: (nullable): the user; %NULL or "" for the caller
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * Returns: (transfer full) (array zero-terminated=1): the finger names
 *   (possibly none), or %NULL with @error set
 */
char **biogate_client_list_fingers_sync(BiogateClient *self, const char *user, GCancellable *cancellable,
                                        GError **error) {
        g_autoptr(BiogateGenManager) proxy = NULL;
        char **fingers = NULL;

        g_return_val_if_fail(BIOGATE_IS_CLIENT(self), NULL);

        proxy = biogate_gen_manager_proxy_new_sync(biogate_client_get_connection(self), BIOGATE_CALL_PROXY_FLAGS,
                                                  BIOGATE_BUS_NAME, BIOGATE_OBJECT_PATH, cancellable, error);
        if (!proxy)
                return NULL;
        if (!biogate_gen_manager_call_list_fingers_sync(proxy, user ? user : "", &fingers, cancellable, error)) {
                if (error)
                        biogate_error_tidy(*error);
                return NULL;
        }
        return fingers;
}

/* ---- Manager calls with one reply value -------------------------------- */

/* The Manager methods below differ only in name, arguments and reply: one
 * call, one finish. Interactive authorization: where polkit wants a
 * password (managing another user's prints), the caller's session agent may
 * ask for it. Sent to the well-known name, which activates biogated. */
static GVariant *sink(GVariant *parameters) {
        return parameters ? g_variant_ref_sink(parameters) : NULL;
}

static void on_manager_reply(GObject *source, GAsyncResult *res, gpointer userdata) {
        g_autoptr(GTask) task = userdata;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);

        if (!reply) {
                biogate_error_tidy(error);
                g_task_return_error(task, g_steal_pointer(&error));
                return;
        }
        /* "()" replies carry no value: an empty tuple stands for success. */
        g_task_return_pointer(task,
                              g_variant_n_children(reply) > 0 ? g_variant_get_child_value(reply, 0)
                                                              : g_variant_ref(reply),
                              (GDestroyNotify) g_variant_unref);
}

static void manager_call(BiogateClient *self, const char *interface, const char *method, GVariant *parameters,
                         const char *reply_type, GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data, gpointer source_tag) {
        g_autoptr(GVariant) args = sink(parameters);
        GTask *task = g_task_new(self, cancellable, callback, user_data);

        g_task_set_source_tag(task, source_tag);
        g_dbus_connection_call(biogate_client_get_connection(self), BIOGATE_BUS_NAME, BIOGATE_OBJECT_PATH,
                               interface, method, args, G_VARIANT_TYPE(reply_type),
                               G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION, -1, cancellable, on_manager_reply,
                               task);
}

static GVariant *manager_call_finish(BiogateClient *self, GAsyncResult *result, gpointer source_tag,
                                     GError **error) {
        g_return_val_if_fail(g_task_is_valid(result, self), NULL);
        g_return_val_if_fail(g_task_get_source_tag(G_TASK(result)) == source_tag, NULL);
        return g_task_propagate_pointer(G_TASK(result), error);
}

static GVariant *manager_call_sync(BiogateClient *self, const char *interface, const char *method,
                                   GVariant *parameters, const char *reply_type, GCancellable *cancellable,
                                   GError **error) {
        g_autoptr(GVariant) args = sink(parameters);
        g_autoptr(GVariant) reply = NULL;

        reply = g_dbus_connection_call_sync(biogate_client_get_connection(self), BIOGATE_BUS_NAME,
                                            BIOGATE_OBJECT_PATH, interface, method, args, G_VARIANT_TYPE(reply_type),
                                            G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION, -1, cancellable,
                                            error);
        if (!reply) {
                if (error)
                        biogate_error_tidy(*error);
                return NULL;
        }
        return g_variant_n_children(reply) > 0 ? g_variant_get_child_value(reply, 0) : g_steal_pointer(&reply);
}

static GVariant *version_args(void) {
        return g_variant_new("(ss)", BIOGATE_MANAGER_INTERFACE, "Version");
}

/* Version arrives as a variant: anything but a number is the daemon's fault. */
static guint version_from_value(GVariant *value, GError **error) {
        g_autoptr(GVariant) inner = value ? g_variant_get_variant(value) : NULL;

        if (!inner)
                return 0;
        if (!g_variant_is_of_type(inner, G_VARIANT_TYPE_UINT32)) {
                g_set_error_literal(error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_SIGNATURE,
                                    "biogated's Version property is not a number");
                return 0;
        }
        /* 0 is how the finish functions say "failed". */
        if (g_variant_get_uint32(inner) == 0) {
                g_set_error_literal(error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_SIGNATURE,
                                    "biogated's Version property is 0");
                return 0;
        }
        return g_variant_get_uint32(inner);
}

/**
 * biogate_client_get_api_version:
 * @client: a #BiogateClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the answer
 * @user_data: for @callback
 *
 * Asks biogated which version of its D-Bus API it implements (the Manager's
 * Version property); starts it if it is not running.
 */
void biogate_client_get_api_version(BiogateClient *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data) {
        g_return_if_fail(BIOGATE_IS_CLIENT(self));
        manager_call(self, "org.freedesktop.DBus.Properties", "Get", version_args(), "(v)", cancellable, callback,
                     user_data, biogate_client_get_api_version);
}

/**
 * biogate_client_get_api_version_finish:
 * @client: a #BiogateClient
 * @result: the #GAsyncResult given to the callback
 * @error: return location for an error
 *
 * Returns: the API version (1 or more), or 0 with @error set
 */
guint biogate_client_get_api_version_finish(BiogateClient *self, GAsyncResult *result, GError **error) {
        g_autoptr(GVariant) value = manager_call_finish(self, result, biogate_client_get_api_version, error);

        return version_from_value(value, error);
}

/**
 * biogate_client_get_api_version_sync:
 * @client: a #BiogateClient
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * Returns: the API version (1 or more), or 0 with @error set
 */
guint biogate_client_get_api_version_sync(BiogateClient *self, GCancellable *cancellable, GError **error) {
        g_autoptr(GVariant) value = NULL;

        g_return_val_if_fail(BIOGATE_IS_CLIENT(self), 0);
        value = manager_call_sync(self, "org.freedesktop.DBus.Properties", "Get", version_args(), "(v)",
                                  cancellable, error);
        return version_from_value(value, error);
}

/**
 * biogate_client_list_devices:
 * @client: a #BiogateClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the answer
 * @user_data: for @callback
 *
 * Lists the fingerprint sensors biogated uses.
 */
void biogate_client_list_devices(BiogateClient *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data) {
        g_return_if_fail(BIOGATE_IS_CLIENT(self));
        manager_call(self, BIOGATE_MANAGER_INTERFACE, "ListDevices", NULL, "(a(ssa{sv}))", cancellable, callback,
                     user_data, biogate_client_list_devices);
}

/**
 * biogate_client_list_devices_finish:
 * @client: a #BiogateClient
 * @result: the #GAsyncResult given to the callback
 * @error: return location for an error
 *
 * Returns: (transfer full): a(ssa{sv}): per sensor its id, its name and
 *   details ("driver", "scan-type", "enroll-stages", ...), or %NULL with
 *   @error set
 */
GVariant *biogate_client_list_devices_finish(BiogateClient *self, GAsyncResult *result, GError **error) {
        return manager_call_finish(self, result, biogate_client_list_devices, error);
}

/**
 * biogate_client_list_devices_sync:
 * @client: a #BiogateClient
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * Returns: (transfer full): as biogate_client_list_devices_finish()
 */
GVariant *biogate_client_list_devices_sync(BiogateClient *self, GCancellable *cancellable, GError **error) {
        g_return_val_if_fail(BIOGATE_IS_CLIENT(self), NULL);
        return manager_call_sync(self, BIOGATE_MANAGER_INTERFACE, "ListDevices", NULL, "(a(ssa{sv}))", cancellable,
                                 error);
}

static GVariant *delete_args(const char *user, const char *const *fingers) {
        return g_variant_new("(s^as)", user ? user : "", fingers ? fingers : (const char *const[]) { NULL });
}

/**
 * biogate_client_delete_fingers:
 * @client: a #BiogateClient
 * @user: (nullable): the user; %NULL or "" for the caller
 * @fingers: (nullable) (array zero-terminated=1): the fingers to delete;
 *   %NULL or empty for all of them
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when they are deleted
 * @user_data: for @callback
 *
 * Deletes enrolled fingerprints. When the call returns they are gone from
 * disk.
 */
void biogate_client_delete_fingers(BiogateClient *self, const char *user, const char *const *fingers,
                                   GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data) {
        g_return_if_fail(BIOGATE_IS_CLIENT(self));
        manager_call(self, BIOGATE_MANAGER_INTERFACE, "DeleteFingers", delete_args(user, fingers), "()",
                     cancellable, callback, user_data, biogate_client_delete_fingers);
}

/**
 * biogate_client_delete_fingers_finish:
 * @client: a #BiogateClient
 * @result: the #GAsyncResult given to the callback
 * @error: return location for an error
 *
 * Returns: %TRUE, or %FALSE with @error set
 */
gboolean biogate_client_delete_fingers_finish(BiogateClient *self, GAsyncResult *result, GError **error) {
        g_autoptr(GVariant) reply = manager_call_finish(self, result, biogate_client_delete_fingers, error);

        return reply != NULL;
}

/**
 * biogate_client_delete_fingers_sync:
 * @client: a #BiogateClient
 * @user: (nullable): the user; %NULL or "" for the caller
 * @fingers: (nullable) (array zero-terminated=1): the fingers; %NULL or
 *   empty for all
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * Returns: %TRUE, or %FALSE with @error set
 */
gboolean biogate_client_delete_fingers_sync(BiogateClient *self, const char *user, const char *const *fingers,
                                            GCancellable *cancellable, GError **error) {
        g_autoptr(GVariant) reply = NULL;

        g_return_val_if_fail(BIOGATE_IS_CLIENT(self), FALSE);
        reply = manager_call_sync(self, BIOGATE_MANAGER_INTERFACE, "DeleteFingers", delete_args(user, fingers), "()",
                                  cancellable, error);
        return reply != NULL;
}

/* GetMyData for the caller, GetUserData for someone named: biogated checks
 * a different polkit action for each. */
static const char *user_data_method(const char *user) {
        return user && *user ? "GetUserData" : "GetMyData";
}

static GVariant *user_data_args(const char *user) {
        return user && *user ? g_variant_new("(s)", user) : NULL;
}

/**
 * biogate_client_get_user_data:
 * @client: a #BiogateClient
 * @user: (nullable): the user; %NULL or "" for the caller
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the answer
 * @user_data: for @callback
 *
 * What biogate holds about @user (never template data): the subject-access
 * answer of org.biogate1.Manager.GetMyData / GetUserData.
 */
void biogate_client_get_user_data(BiogateClient *self, const char *user, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data) {
        g_return_if_fail(BIOGATE_IS_CLIENT(self));
        manager_call(self, BIOGATE_MANAGER_INTERFACE, user_data_method(user), user_data_args(user), "(a{sv})",
                     cancellable, callback, user_data, biogate_client_get_user_data);
}

/**
 * biogate_client_get_user_data_finish:
 * @client: a #BiogateClient
 * @result: the #GAsyncResult given to the callback
 * @error: return location for an error
 *
 * Returns: (transfer full): a{sv}, as org.biogate1.Manager documents, or
 *   %NULL with @error set
 */
GVariant *biogate_client_get_user_data_finish(BiogateClient *self, GAsyncResult *result, GError **error) {
        return manager_call_finish(self, result, biogate_client_get_user_data, error);
}

/**
 * biogate_client_get_user_data_sync:
 * @client: a #BiogateClient
 * @user: (nullable): the user; %NULL or "" for the caller
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * Returns: (transfer full): as biogate_client_get_user_data_finish()
 */
GVariant *biogate_client_get_user_data_sync(BiogateClient *self, const char *user, GCancellable *cancellable,
                                            GError **error) {
        g_return_val_if_fail(BIOGATE_IS_CLIENT(self), NULL);
        return manager_call_sync(self, BIOGATE_MANAGER_INTERFACE, user_data_method(user), user_data_args(user),
                                 "(a{sv})", cancellable, error);
}

/**
 * biogate_client_erase_user:
 * @client: a #BiogateClient
 * @user: (nullable): the user; %NULL or "" for the caller
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the data is erased
 * @user_data: for @callback
 *
 * Erases everything biogate holds about @user: fingerprints, consent record
 * and the user's key. When the call returns it is gone from disk.
 */
void biogate_client_erase_user(BiogateClient *self, const char *user, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data) {
        g_return_if_fail(BIOGATE_IS_CLIENT(self));
        manager_call(self, BIOGATE_MANAGER_INTERFACE, "EraseUser", g_variant_new("(s)", user ? user : ""),
                     "(a{sv})", cancellable, callback, user_data, biogate_client_erase_user);
}

/**
 * biogate_client_erase_user_finish:
 * @client: a #BiogateClient
 * @result: the #GAsyncResult given to the callback
 * @error: return location for an error
 *
 * Returns: (transfer full): a{sv}: what was erased, as
 *   org.biogate1.Manager.EraseUser documents, or %NULL with @error set
 */
GVariant *biogate_client_erase_user_finish(BiogateClient *self, GAsyncResult *result, GError **error) {
        return manager_call_finish(self, result, biogate_client_erase_user, error);
}

/**
 * biogate_client_erase_user_sync:
 * @client: a #BiogateClient
 * @user: (nullable): the user; %NULL or "" for the caller
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * Returns: (transfer full): as biogate_client_erase_user_finish()
 */
GVariant *biogate_client_erase_user_sync(BiogateClient *self, const char *user, GCancellable *cancellable,
                                         GError **error) {
        g_return_val_if_fail(BIOGATE_IS_CLIENT(self), NULL);
        return manager_call_sync(self, BIOGATE_MANAGER_INTERFACE, "EraseUser", g_variant_new("(s)", user ? user : ""),
                                 "(a{sv})", cancellable, error);
}

/**
 * biogate_client_record_consent:
 * @client: a #BiogateClient
 * @notice_version: the version of the consent notice the caller was shown
 *   and agreed to (the "Notice-Version:" line of the notice)
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the consent is recorded
 * @user_data: for @callback
 *
 * Records the caller's standing consent to enrolment under the notice
 * @notice_version, for enrolment through the desktop's fingerprint settings
 * (net.reactivated.Fprint), which cannot carry consent itself. Always the
 * caller's own: there is no user argument. Fails with
 * %BIOGATE_ERROR_CONSENT_REQUIRED when @notice_version is not the current
 * notice's. When the call returns the consent is on disk.
 */
void biogate_client_record_consent(BiogateClient *self, const char *notice_version, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data) {
        g_return_if_fail(BIOGATE_IS_CLIENT(self));
        g_return_if_fail(notice_version != NULL);
        manager_call(self, BIOGATE_MANAGER_INTERFACE, "RecordConsent", g_variant_new("(s)", notice_version), "()",
                     cancellable, callback, user_data, biogate_client_record_consent);
}

/**
 * biogate_client_record_consent_finish:
 * @client: a #BiogateClient
 * @result: the #GAsyncResult given to the callback
 * @error: return location for an error
 *
 * Returns: %TRUE, or %FALSE with @error set
 */
gboolean biogate_client_record_consent_finish(BiogateClient *self, GAsyncResult *result, GError **error) {
        g_autoptr(GVariant) reply = manager_call_finish(self, result, biogate_client_record_consent, error);

        return reply != NULL;
}

/**
 * biogate_client_record_consent_sync:
 * @client: a #BiogateClient
 * @notice_version: the version of the notice the caller agreed to
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * Returns: %TRUE, or %FALSE with @error set
 */
gboolean biogate_client_record_consent_sync(BiogateClient *self, const char *notice_version,
                                            GCancellable *cancellable, GError **error) {
        g_autoptr(GVariant) reply = NULL;

        g_return_val_if_fail(BIOGATE_IS_CLIENT(self), FALSE);
        g_return_val_if_fail(notice_version != NULL, FALSE);
        reply = manager_call_sync(self, BIOGATE_MANAGER_INTERFACE, "RecordConsent",
                                  g_variant_new("(s)", notice_version), "()", cancellable, error);
        return reply != NULL;
}

static gboolean notice_from_reply(GVariant *reply, char **ret_version, char **ret_language, char **ret_text) {
        g_autofree char *version = NULL, *language = NULL, *text = NULL;

        if (!reply)
                return FALSE;
        g_variant_get(reply, "(sss)", &version, &language, &text);
        if (ret_version)
                *ret_version = g_steal_pointer(&version);
        if (ret_language)
                *ret_language = g_steal_pointer(&language);
        if (ret_text)
                *ret_text = g_steal_pointer(&text);
        return TRUE;
}

static void on_notice_reply(GObject *source, GAsyncResult *res, gpointer userdata) {
        g_autoptr(GTask) task = userdata;
        g_autoptr(GError) error = NULL;
        GVariant *reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);

        if (!reply) {
                biogate_error_tidy(error);
                g_task_return_error(task, g_steal_pointer(&error));
                return;
        }
        g_task_return_pointer(task, reply, (GDestroyNotify) g_variant_unref);
}

/**
 * biogate_client_get_consent_notice:
 * @client: a #BiogateClient
 * @language: the reader's locale, e.g. "kk_KZ.UTF-8" (what LC_MESSAGES
 *   says), or "" for the notice's own language
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the notice
 * @user_data: for @callback
 *
 * Asks biogated for the consent notice to show before enrolment or
 * biogate_client_record_consent(): the site's notice, or the vendor's, in
 * the reader's language when a translation exists (else in the notice's
 * own), with the data controller's name filled in. Pass the version it
 * returns back with the consent: consent is to that version. Fails with
 * %BIOGATE_ERROR_CONSENT_NOTICE while biogated has no notice it can use.
 */
void biogate_client_get_consent_notice(BiogateClient *self, const char *language, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data) {
        g_return_if_fail(BIOGATE_IS_CLIENT(self));
        g_return_if_fail(language != NULL);
        GTask *task = g_task_new(self, cancellable, callback, user_data);

        g_task_set_source_tag(task, biogate_client_get_consent_notice);
        /* Three reply values: the whole tuple, not manager_call()'s one. */
        g_dbus_connection_call(biogate_client_get_connection(self), BIOGATE_BUS_NAME, BIOGATE_OBJECT_PATH,
                               BIOGATE_MANAGER_INTERFACE, "GetConsentNotice", g_variant_new("(s)", language),
                               G_VARIANT_TYPE("(sss)"), G_DBUS_CALL_FLAGS_NONE, -1, cancellable, on_notice_reply,
                               task);
}

/**
 * biogate_client_get_consent_notice_finish:
 * @client: a #BiogateClient
 * @result: the #GAsyncResult given to the callback
 * @notice_version: (out) (optional) (transfer full): the notice's version
 * @served_language: (out) (optional) (transfer full): the language of @text
 * @text: (out) (optional) (transfer full): the notice to show
 * @error: return location for an error
 *
 * Returns: %TRUE, or %FALSE with @error set (the out arguments untouched)
 */
gboolean biogate_client_get_consent_notice_finish(BiogateClient *self, GAsyncResult *result, char **notice_version,
                                                  char **served_language, char **text, GError **error) {
        g_autoptr(GVariant) reply = manager_call_finish(self, result, biogate_client_get_consent_notice, error);

        return notice_from_reply(reply, notice_version, served_language, text);
}

/**
 * biogate_client_get_consent_notice_sync:
 * @client: a #BiogateClient
 * @language: the reader's locale, or ""
 * @notice_version: (out) (optional) (transfer full): the notice's version
 * @served_language: (out) (optional) (transfer full): the language of @text
 * @text: (out) (optional) (transfer full): the notice to show
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * Returns: %TRUE, or %FALSE with @error set (the out arguments untouched)
 */
gboolean biogate_client_get_consent_notice_sync(BiogateClient *self, const char *language, char **notice_version,
                                                char **served_language, char **text, GCancellable *cancellable,
                                                GError **error) {
        g_autoptr(GVariant) reply = NULL;

        g_return_val_if_fail(BIOGATE_IS_CLIENT(self), FALSE);
        g_return_val_if_fail(language != NULL, FALSE);
        reply = g_dbus_connection_call_sync(biogate_client_get_connection(self), BIOGATE_BUS_NAME,
                                            BIOGATE_OBJECT_PATH, BIOGATE_MANAGER_INTERFACE, "GetConsentNotice",
                                            g_variant_new("(s)", language), G_VARIANT_TYPE("(sss)"),
                                            G_DBUS_CALL_FLAGS_NONE, -1, cancellable, error);
        if (!reply && error)
                biogate_error_tidy(*error);
        return notice_from_reply(reply, notice_version, served_language, text);
}

/**
 * biogate_client_withdraw_consent:
 * @client: a #BiogateClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the consent is withdrawn
 * @user_data: for @callback
 *
 * Withdraws the caller's standing consent (see
 * biogate_client_record_consent()). Enrolled fingerprints stay: delete or
 * erase them to remove them. Succeeds when none was recorded.
 */
void biogate_client_withdraw_consent(BiogateClient *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                                     gpointer user_data) {
        g_return_if_fail(BIOGATE_IS_CLIENT(self));
        manager_call(self, BIOGATE_MANAGER_INTERFACE, "WithdrawConsent", NULL, "()", cancellable, callback,
                     user_data, biogate_client_withdraw_consent);
}

/**
 * biogate_client_withdraw_consent_finish:
 * @client: a #BiogateClient
 * @result: the #GAsyncResult given to the callback
 * @error: return location for an error
 *
 * Returns: %TRUE, or %FALSE with @error set
 */
gboolean biogate_client_withdraw_consent_finish(BiogateClient *self, GAsyncResult *result, GError **error) {
        g_autoptr(GVariant) reply = manager_call_finish(self, result, biogate_client_withdraw_consent, error);

        return reply != NULL;
}

/**
 * biogate_client_withdraw_consent_sync:
 * @client: a #BiogateClient
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * Returns: %TRUE, or %FALSE with @error set
 */
gboolean biogate_client_withdraw_consent_sync(BiogateClient *self, GCancellable *cancellable, GError **error) {
        g_autoptr(GVariant) reply = NULL;

        g_return_val_if_fail(BIOGATE_IS_CLIENT(self), FALSE);
        reply = manager_call_sync(self, BIOGATE_MANAGER_INTERFACE, "WithdrawConsent", NULL, "()", cancellable,
                                  error);
        return reply != NULL;
}
