/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

#include "biogated-audit.h"
#include "biogated-writer.h"

/* Failure limits for biometric matching, per user, persisted so that a
 * restart does not reset them (NIST SP 800-63B §5.2.2): after
 * BIOGATED_LIMIT_DELAY_AFTER consecutive failed matches each further attempt
 * waits 30 s, doubling with every failure; after BIOGATED_LIMIT_LOCK_AFTER
 * failures without a success, biometrics are locked until an administrator
 * unlocks them. Login verification and step-up count alike.
 *
 * A second counter per user, with the same thresholds, counts the approver
 * touches of the user's own four-eyes step-ups that matched no eligible
 * approver. Nobody was identified by such a touch, so it is charged to the
 * requester, whose request made it possible; the requester's own successful
 * touch does not reset it (else the maker could guess at the approvers
 * forever, a few touches per request), only an approved four-eyes step-up
 * or Unlock does. It gates four-eyes approvals only, not login. */

#define BIOGATED_LIMIT_DELAY_AFTER 5u
#define BIOGATED_LIMIT_FIRST_DELAY_S 30u
#define BIOGATED_LIMIT_MAX_DELAY_S 3600u
#define BIOGATED_LIMIT_LOCK_AFTER 50u

typedef struct BiogatedLimits BiogatedLimits;

typedef enum BiogatedLimitsCounter {
        BIOGATED_LIMITS_MATCHES,        /* the user's own touches: login, verify, the maker's touch */
        BIOGATED_LIMITS_APPROVALS,      /* approver touches in the user's four-eyes step-ups */
} BiogatedLimitsCounter;

/* The counters are written by writer, which must outlive them; a check
 * sees a count the moment it is recorded. Lockouts are audited to audit. */
BiogatedLimits *biogated_limits_open(const char *state_dir, BiogatedWriter *writer, BiogatedAudit *audit,
                                     GError **error);
void biogated_limits_free(BiogatedLimits *limits);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BiogatedLimits, biogated_limits_free)

/* FALSE with LockedOut (message says how long, ret_retry_after_ms > 0, or
 * 0 when locked until unlocked) when uid may not try now. now: Unix µs. */
gboolean biogated_limits_check(BiogatedLimits *limits, uid_t uid, gint64 now, guint64 *ret_retry_after_ms,
                               GError **error);
/* The same for either counter (biogated_limits_check() is MATCHES). */
gboolean biogated_limits_check_counter(BiogatedLimits *limits, BiogatedLimitsCounter counter, uid_t uid, gint64 now,
                                       guint64 *ret_retry_after_ms, GError **error);

/* Records newer than the disk's: handed to the writer and not yet
 * reported, or kept because their write failed. Not 0: exiting now would
 * forget counted failures. */
guint biogated_limits_unsaved(BiogatedLimits *limits);

/* Count a failed or successful match of uid, in a call of caller_uid (for
 * the lockout event). The count is written by the writer: a reply that
 * must follow it waits for biogated_writer_then(). Write errors are
 * logged: a full disk must not turn a failure into a success. */
void biogated_limits_record(BiogatedLimits *limits, uid_t uid, gboolean success, uid_t caller_uid, gint64 now);
void biogated_limits_record_counter(BiogatedLimits *limits, BiogatedLimitsCounter counter, uid_t uid,
                                    gboolean success, uid_t caller_uid, gint64 now);

/* Resets both counters of uid (checks see it at once), and calls done once
 * that is durable; error is BIOGATE_DBUS_ERROR Internal when a counter
 * could not be removed (it then stays as it was). */
void biogated_limits_unlock(BiogatedLimits *limits, uid_t uid, BiogatedWriterDone done, gpointer user_data);
