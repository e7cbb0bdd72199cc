/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(BIOGATE_INSIDE) && !defined(BIOGATE_COMPILATION)
#error "Only <biogate.h> can be included directly."
#endif

#include <gio/gio.h>

G_BEGIN_DECLS

#define BIOGATE_TYPE_OPERATION (biogate_operation_get_type())
G_DECLARE_FINAL_TYPE(BiogateOperation, biogate_operation, BIOGATE, OPERATION, GObject)

const char *biogate_operation_get_kind(BiogateOperation *operation);
const char *biogate_operation_get_state(BiogateOperation *operation);
guint biogate_operation_get_stage(BiogateOperation *operation);
guint biogate_operation_get_stages(BiogateOperation *operation);
const char *biogate_operation_get_text(BiogateOperation *operation);
const char *biogate_operation_get_result(BiogateOperation *operation);
GVariant *biogate_operation_get_result_details(BiogateOperation *operation);
const char *biogate_operation_get_token(BiogateOperation *operation);
const char *biogate_operation_get_object_path(BiogateOperation *operation);

void biogate_operation_cancel(BiogateOperation *operation);

void biogate_operation_wait(BiogateOperation *operation, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data);
char *biogate_operation_wait_finish(BiogateOperation *operation, GAsyncResult *result, GError **error);
char *biogate_operation_wait_sync(BiogateOperation *operation, GCancellable *cancellable, GError **error);

G_END_DECLS
