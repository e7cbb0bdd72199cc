/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "biogated-caller.h"
#include "biogated-daemon.h"
#include "biogated-operation.h"

/* Starting an enrolment or a verification for a caller the gate has
 * authorized: what the store must say first (the finger is free, prints
 * exist), a root caller's session (whose sensor share, whether a login),
 * then the operation. Shared by org.biogate1.Manager and the fprintd API
 * (biogated-fprint.c), so both go through the same checks and audit
 * events. */

typedef struct BiogatedStartRequest {
        BiogatedOperationKind kind;     /* ENROLL or VERIFY */
        BiogateFinger finger;           /* enroll */
        guint finger_mask;              /* verify: 0 = every enrolled finger */
        guint timeout_ms;
        const char *service;            /* verify: PAM service; may be NULL */
        const char *notice_version;     /* enroll: the consent, checked by the caller */
        gboolean standing_consent;      /* enroll: notice_version is the user's standing consent */
        const BiogatedOperationObserver *observer; /* see BiogatedOperationTarget */
        gpointer observer_data;
} BiogatedStartRequest;

/* Called once: with the operation (the caller's reference is borrowed)
 * or with why it did not start. A refusal that was audited (a verification
 * without prints) is reported once its event is durable. */
typedef void (*BiogatedStarted)(GDBusMethodInvocation *invocation, BiogatedOperation *op, const GError *error,
                                gpointer user_data);

/* request is copied. started owns nothing; destroy(user_data) runs after it. */
void biogated_start_operation(BiogatedDaemon *daemon, GDBusMethodInvocation *invocation, const BiogatedCaller *caller,
                              const BiogatedStartRequest *request, BiogatedStarted started, gpointer user_data,
                              GDestroyNotify destroy);
