/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>

#include "biogate.h"

/* What a command shows while libbiogate runs its operation. */
typedef struct CtlOperationHandler {
        /* Called once, when biogated's first State ("queued", ...) is known
         * and before buffered progress is replayed. May be NULL. */
        void (*started)(const char *state, void *userdata);
        /* Called whenever the number of stages becomes known or changes,
         * before the progress that depends on it. May be NULL. */
        void (*stages)(guint32 stages, void *userdata);
        /* Called for each Progress signal, in order. May be NULL. */
        void (*progress)(const char *status, GVariant *details, void *userdata);
        void *userdata;
} CtlOperationHandler;

/* Follows @operation, started by libbiogate, until it has a result. The
 * first SIGINT or SIGTERM asks biogated to cancel it; a second one stops
 * waiting for biogated (our connection closing on exit then cancels it).
 *
 * On success *ret_result is biogated's Result ("match", "no-match",
 * "completed", "approved", "denied", "cancelled", ...) and *ret_details its
 * ResultDetails. Fails with the daemon's error when it refused or the
 * operation failed, or when the daemon or the bus went away first. */
bool ctl_operation_follow(BiogateOperation *operation, const CtlOperationHandler *handler,
                          char **ret_result, GVariant **ret_details, GError **error);
