/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(BIOGATE_INSIDE) && !defined(BIOGATE_COMPILATION)
#error "Only <biogate.h> can be included directly."
#endif

#include <gio/gio.h>

#include "biogate-operation.h"

G_BEGIN_DECLS

#define BIOGATE_TYPE_CLIENT (biogate_client_get_type())
G_DECLARE_FINAL_TYPE(BiogateClient, biogate_client, BIOGATE, CLIENT, GObject)

void biogate_client_new(GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
BiogateClient *biogate_client_new_finish(GAsyncResult *result, GError **error);
BiogateClient *biogate_client_new_sync(GCancellable *cancellable, GError **error);
BiogateClient *biogate_client_new_for_connection(GDBusConnection *connection);

GDBusConnection *biogate_client_get_connection(BiogateClient *client);

void biogate_client_evaluate(BiogateClient *client, GVariant *transaction, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data);
gboolean biogate_client_evaluate_finish(BiogateClient *client, GAsyncResult *result, char **out_rule,
                                        char **out_requirement, GVariant **out_details, GError **error);
gboolean biogate_client_evaluate_sync(BiogateClient *client, GVariant *transaction, char **out_rule,
                                      char **out_requirement, GVariant **out_details,
                                      GCancellable *cancellable, GError **error);

BiogateOperation *biogate_client_authorize(BiogateClient *client, GVariant *transaction, GVariant *options,
                                           GCancellable *cancellable);
BiogateOperation *biogate_client_verify(BiogateClient *client, const char *user, GVariant *options,
                                        GCancellable *cancellable);
BiogateOperation *biogate_client_enroll(BiogateClient *client, const char *user, const char *finger,
                                        gboolean consent, const char *notice_version,
                                        GCancellable *cancellable);

void biogate_client_list_fingers(BiogateClient *client, const char *user, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
char **biogate_client_list_fingers_finish(BiogateClient *client, GAsyncResult *result, GError **error);
char **biogate_client_list_fingers_sync(BiogateClient *client, const char *user, GCancellable *cancellable,
                                        GError **error);

void biogate_client_get_public_keys(BiogateClient *client, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data);
char *biogate_client_get_public_keys_finish(BiogateClient *client, GAsyncResult *result, GError **error);
char *biogate_client_get_public_keys_sync(BiogateClient *client, GCancellable *cancellable, GError **error);

void biogate_client_get_api_version(BiogateClient *client, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data);
guint biogate_client_get_api_version_finish(BiogateClient *client, GAsyncResult *result, GError **error);
guint biogate_client_get_api_version_sync(BiogateClient *client, GCancellable *cancellable, GError **error);

void biogate_client_list_devices(BiogateClient *client, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
GVariant *biogate_client_list_devices_finish(BiogateClient *client, GAsyncResult *result, GError **error);
GVariant *biogate_client_list_devices_sync(BiogateClient *client, GCancellable *cancellable, GError **error);

void biogate_client_delete_fingers(BiogateClient *client, const char *user, const char *const *fingers,
                                   GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
gboolean biogate_client_delete_fingers_finish(BiogateClient *client, GAsyncResult *result, GError **error);
gboolean biogate_client_delete_fingers_sync(BiogateClient *client, const char *user, const char *const *fingers,
                                            GCancellable *cancellable, GError **error);

void biogate_client_get_user_data(BiogateClient *client, const char *user, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
GVariant *biogate_client_get_user_data_finish(BiogateClient *client, GAsyncResult *result, GError **error);
GVariant *biogate_client_get_user_data_sync(BiogateClient *client, const char *user, GCancellable *cancellable,
                                            GError **error);

void biogate_client_erase_user(BiogateClient *client, const char *user, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
GVariant *biogate_client_erase_user_finish(BiogateClient *client, GAsyncResult *result, GError **error);
GVariant *biogate_client_erase_user_sync(BiogateClient *client, const char *user, GCancellable *cancellable,
                                         GError **error);

void biogate_client_record_consent(BiogateClient *client, const char *notice_version, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);
gboolean biogate_client_record_consent_finish(BiogateClient *client, GAsyncResult *result, GError **error);
gboolean biogate_client_record_consent_sync(BiogateClient *client, const char *notice_version,
                                            GCancellable *cancellable, GError **error);

void biogate_client_get_consent_notice(BiogateClient *client, const char *language, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data);
gboolean biogate_client_get_consent_notice_finish(BiogateClient *client, GAsyncResult *result, char **notice_version,
                                                  char **served_language, char **text, GError **error);
gboolean biogate_client_get_consent_notice_sync(BiogateClient *client, const char *language, char **notice_version,
                                                char **served_language, char **text, GCancellable *cancellable,
                                                GError **error);

void biogate_client_withdraw_consent(BiogateClient *client, GCancellable *cancellable, GAsyncReadyCallback callback,
                                     gpointer user_data);
gboolean biogate_client_withdraw_consent_finish(BiogateClient *client, GAsyncResult *result, GError **error);
gboolean biogate_client_withdraw_consent_sync(BiogateClient *client, GCancellable *cancellable, GError **error);

G_END_DECLS
