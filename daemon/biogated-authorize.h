/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <fprint.h>
#include <sys/types.h>

#include "biogate-policy.h"
#include "biogate-tx.h"
#include "biogated-audit.h"
#include "biogated-signing.h"

/* What an "authorize" operation carries (BiogatedOperationTarget.kind_data). */
typedef struct BiogatedAuthorizeData {
        BiogateTx *tx;
        char *text;                     /* rendered from tx: what the user approves */
        char *rule;
        BiogateRequirement requirement;
        guint token_lifetime_s;
        char *audience;                 /* aud claim; NULL: none ([stepup] audience= of biogate.conf) */
        GPtrArray *approver_gallery;    /* FpPrint*: eligible approvers, plus the maker's own prints so a
                                           second touch by the maker is recognised and refused */
        BiogatedSigningKey *signing_key; /* borrowed: lives as long as the daemon */
        guint approver_failures;        /* approver touches of this Authorize that found no approver */
} BiogatedAuthorizeData;

/* Approver touches one four-eyes Authorize allows before it ends denied;
 * each failed one also counts against the requester's approvals limit
 * (biogated-limits.h). */
#define BIOGATED_AUTHORIZE_APPROVER_TRIES 3u

void biogated_authorize_data_free(BiogatedAuthorizeData *data);

/* One step-up decision to the audit trail (approve, deny, error). */
void biogated_authorize_audit(BiogatedAudit *audit, BiogatedAuditEvent event, const char *user, uid_t uid, const BiogateTx *tx,
                              const char *rule, const char *outcome, const char *reason, const char *message);
/* A step-up refused when it was asked for, before any touch (policy,
 * limits, no prints): a stepup-deny within the per-caller limit of
 * biogated_audit_refusal(). */
void biogated_authorize_audit_refusal(BiogatedAudit *audit, const char *user, uid_t uid, const BiogateTx *tx, const char *rule,
                                      const char *reason, const char *message);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BiogatedAuthorizeData, biogated_authorize_data_free)

/* NULL when device (NULL: not known yet) can serve a fingerprint+approver
 * rule; else DeviceCannotIdentify naming the rule: only a sensor that can
 * identify can keep one finger from being enrolled under two users. */
GError *biogated_authorize_check_four_eyes_device(FpDevice *device, const char *rule);
