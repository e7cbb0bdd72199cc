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

/* Not in the public API: for biogate's own tests (tests/btf-op.c), whose
 * assertions about the protocol predate the library. The shared library
 * does not export them (libbiogate.sym); the tests link the library's
 * objects (libbiogate_private_dep). */
typedef enum {
        /* The caller releases the operation itself (Operation.Release). */
        BIOGATE_PRIVATE_OPERATION_NO_AUTO_RELEASE = 1 << 0,
        /* The start call as a plain client makes it: no activation of
         * biogated, no interactive authorization. */
        BIOGATE_PRIVATE_OPERATION_PLAIN_CALL = 1 << 1,
} BiogatePrivateOperationFlags;

/* Starts an operation: kind "authorize" (args (a{sv}a{sv})), "verify"
 * ((sa{sv})) or "enroll" ((ssa{sv})). args is sunk. The public API passes
 * no flags. */
BiogateOperation *biogate_private_operation_start(GDBusConnection *connection, const char *kind, GVariant *args,
                                                  BiogatePrivateOperationFlags flags, GCancellable *cancellable);
/* Iterates the operation's main context until biogated has answered the
 * start call: TRUE once the object path is known, else FALSE with the error
 * the call ended with, unmapped and untidied (as GDBus returned it). */
gboolean biogate_private_operation_wait_started(BiogateOperation *operation, GError **error);
/* The error of an operation that ended without biogated's result (it left
 * the bus, the call failed); NULL while running or for biogated's result. */
const GError *biogate_private_operation_get_local_error(BiogateOperation *operation);
/* Stops watching a running operation without ending it: no further signal,
 * no Release, no Cancel; the object then goes with its last reference.
 * Only for an operation nobody waits on. */
void biogate_private_operation_abandon(BiogateOperation *operation);
/* An operation that failed before reaching the daemon (bad arguments). */
BiogateOperation *biogate_private_operation_new_failed(GError *error);
