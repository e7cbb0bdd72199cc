/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "biogate.h"
#include "biogate-gen.h"

/* Flags for proxies that only make calls: no property cache, no signals. */
#define BIOGATE_CALL_PROXY_FLAGS \
        (G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES | G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS)

/* The GError for a "failed" result: its "error" name and "message". */
GError *biogate_error_from_details(GVariant *details);
/* Drops GDBus's "GDBus.Error:org.biogate1.Error.X: " prefix from a mapped
 * error's message. Accepts NULL. */
void biogate_error_tidy(GError *error);

/* Starts an operation: kind "authorize" (args (a{sv}a{sv})), "verify"
 * ((sa{sv})) or "enroll" ((ssa{sv})). args is sunk. */
BiogateOperation *biogate_private_operation_start(GDBusConnection *connection, const char *kind, GVariant *args,
                                          GCancellable *cancellable);
/* An operation that failed before reaching the daemon (bad arguments). */
BiogateOperation *biogate_private_operation_new_failed(GError *error);
