/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>

typedef struct CtlOperationHandler {
        /* Called once, when the operation's properties have been read and
         * before buffered progress is replayed: its State ("queued", ...,
         * "done") and Stages. May be NULL. */
        void (*started)(const char *state, guint32 stages, void *userdata);
        /* Called for each Progress signal, in order. May be NULL. */
        void (*progress)(const char *status, GVariant *details, void *userdata);
        void *userdata;
} CtlOperationHandler;

/* Calls Manager.@method(@parameters), which returns an org.biogate1.Operation,
 * follows that operation until it has a result and then releases it. SIGINT
 * and SIGTERM cancel it (a second signal stops waiting for the daemon).
 *
 * On success, *ret_result is the Result ("match", "no-match", "completed",
 * "cancelled", "failed", or whatever the daemon said) and *ret_details the
 * ResultDetails. Fails only when the method call itself fails or the daemon
 * or the bus goes away first. */
bool ctl_operation_run(GDBusConnection *bus, const char *method, GVariant *parameters,
                       const CtlOperationHandler *handler,
                       char **ret_result, GVariant **ret_details, GError **error);

/* The same for a method of another interface on /org/biogate1 (StepUp.Authorize). */
bool ctl_operation_run_on(GDBusConnection *bus, const char *interface, const char *method, GVariant *parameters,
                          const CtlOperationHandler *handler,
                          char **ret_result, GVariant **ret_details, GError **error);
