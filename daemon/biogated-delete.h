/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "biogated-caller.h"
#include "biogated-daemon.h"

/* Deleting enrolled fingers of an authorized caller's target, on the
 * writer: each template, then its dates in the record (the consent
 * history stays until EraseUser), one audit event per finger deleted.
 * Shared by Manager.DeleteFingers and fprintd's DeleteEnrolledFinger(s).
 * The caller checked that every finger of wanted is enrolled. */
typedef void (*BiogatedDeleted)(GDBusMethodInvocation *invocation, const GError *error, gpointer user_data);

/* done runs once the deletions that happened are written and audited, with
 * the error that stopped the rest (or NULL). */
void biogated_delete_fingers(BiogatedDaemon *daemon, GDBusMethodInvocation *invocation, const BiogatedCaller *caller,
                             guint wanted, BiogatedDeleted done, gpointer user_data);
