/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

#include "biogated-writer.h"

/* The audit trail: one journal event per security decision, each type
 * with a fixed MESSAGE_ID (documented in biogate.catalog and
 * docs/audit.md), chained with an HMAC so that a deleted, reordered or
 * edited event is detectable (common/biogate-audit.h). Never a template
 * byte, key or image: only names, numbers, digests. */

typedef enum BiogatedAuditEvent {
        BIOGATED_AUDIT_VERIFY_MATCH,
        BIOGATED_AUDIT_VERIFY_NO_MATCH,
        BIOGATED_AUDIT_VERIFY_ERROR,
        BIOGATED_AUDIT_STEPUP_EVALUATE,
        BIOGATED_AUDIT_STEPUP_APPROVE,
        BIOGATED_AUDIT_STEPUP_DENY,
        BIOGATED_AUDIT_ENROLL,
        BIOGATED_AUDIT_ENROLL_FAILED,
        BIOGATED_AUDIT_DELETE,
        BIOGATED_AUDIT_ERASE,
        BIOGATED_AUDIT_CONSENT,
        BIOGATED_AUDIT_LOCKOUT,
        BIOGATED_AUDIT_UNLOCK,
        BIOGATED_AUDIT_POLICY_LOADED,
        BIOGATED_AUDIT_POLICY_REJECTED,
        BIOGATED_AUDIT_KEY_CREATED,
        BIOGATED_AUDIT_STORE_REJECTED,
        BIOGATED_AUDIT_RETENTION_PURGE,
        BIOGATED_AUDIT_CHAIN_STARTED,
        BIOGATED_AUDIT_CHAIN_RESUMED,
        BIOGATED_AUDIT_STEPUP_EVALUATE_SUPPRESSED,
        BIOGATED_AUDIT_SUPPRESSED,
        BIOGATED_AUDIT_STANDING_CONSENT,
        BIOGATED_AUDIT_CONSENT_WITHDRAWN,
        BIOGATED_AUDIT_SIGNING_KEY_ROTATED,
        BIOGATED_AUDIT_SIGNING_KEY_RETIRED,
        BIOGATED_AUDIT_NOTICE_LOADED,
        BIOGATED_AUDIT_NOTICE_REJECTED,
        _BIOGATED_AUDIT_EVENT_MAX,
} BiogatedAuditEvent;

/* What an event says; every member may be NULL/unset. */
typedef struct BiogatedAuditInfo {
        const char *outcome;     /* "success", "failure", "error", "denied", ... (default from the event) */
        const char *user;
        uid_t uid;               /* (uid_t) -1: none */
        /* Who asked: the uid of the D-Bus peer whose call led to the event
         * (BIOGATE_CALLER_UID, with its name as BIOGATE_CALLER_USER). 0 for
         * what biogated does on its own (start, timers, SIGHUP): it runs as
         * root, so the zero of an unset member is literally true there, and
         * every event that a call causes must set it. */
        uid_t caller_uid;
        const char *service;     /* PAM service */
        const char *tx_digest;
        const char *tx_kind;
        const char *amount;
        const char *currency;
        const char *rule;
        const char *reason;      /* one line, no secrets */
        /* stepup-evaluate-suppressed and audit-suppressed only: how many
         * calls, the first and the last one's time (µs since the epoch) */
        const char *count;
        const char *first_time;
        const char *last_time;
        const char *suppressed_event; /* audit-suppressed: the event it stands for */
        /* audit-chain-resumed after an unclean exit: the sequence number of
         * the state saved, which it links to, and the last number reserved
         * (the numbers after the first were never used, or used by events
         * chained from it that the journal holds). */
        const char *resumed_from;
        const char *reserved_to;
} BiogatedAuditInfo;

#define BIOGATED_AUDIT_NO_UID ((uid_t) -1)

typedef struct BiogatedAudit BiogatedAudit;

/* Loads the audit key (credential biogate.audit-key, or <state>/private/
 * audit.key, created 0400) and the chain state (<state>/audit/chain), and
 * emits audit-chain-started or audit-chain-resumed. The chain state is
 * saved by writer, which must outlive the trail. After an unclean exit
 * (the state reserves numbers beyond its last event) the resumed event
 * takes the number after the reservation, links to the state's chain
 * value and names both (BIOGATE_RESUMED_FROM, BIOGATE_RESERVED_TO). */
BiogatedAudit *biogated_audit_open(const char *state_dir, BiogatedWriter *writer, GError **error);
void biogated_audit_free(BiogatedAudit *audit);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BiogatedAudit, biogated_audit_free)

/* Chains the event and sends it: to the journal with its fields, and as
 * one line to stderr when stderr is not the journal already. Sequence
 * numbers are reserved in blocks in the chain state, ahead of use: an
 * event whose number is durably reserved goes out at once, before this
 * returns; one beyond it (a burst) waits, in order, until the writer has
 * made the next block durable. The state (last event sent, reservation)
 * is saved behind each event, in the background. A reply that must
 * follow the event waits for biogated_audit_sent_then(), or for
 * biogated_writer_then() if the event's state must be durable too, or
 * uses biogated_audit_then(). Main thread only. */
void biogated_audit(BiogatedAudit *audit, BiogatedAuditEvent event, const BiogatedAuditInfo *info,
                    const char *format, ...) G_GNUC_PRINTF(4, 5);

/* The same, with done(done_data) once the event is sent and the chain
 * state that records it is durable. Under load the writer saves the chain
 * state once for a batch of events (one fsync per batch, not per event);
 * the order is always: number reserved, event sent, state saved, done. */
typedef void (*BiogatedAuditDone)(gpointer user_data);
void biogated_audit_then(BiogatedAudit *audit, BiogatedAuditEvent event, const BiogatedAuditInfo *info,
                         BiogatedAuditDone done, gpointer done_data, const char *format, ...) G_GNUC_PRINTF(6, 7);

/* done(done_data) once every event chained so far is sent to the journal:
 * before this returns when none waits for its number, else when the last
 * of them goes out. For a reply that needs nothing durable (a login's
 * match) but must come after its event. */
void biogated_audit_sent_then(BiogatedAudit *audit, BiogatedAuditDone done, gpointer done_data);

/* At a clean exit, after the last event: drains the writer (every event
 * sent) and saves the state with nothing reserved beyond the last event,
 * so that the next start resumes right after it. Needs the writer's
 * context. */
void biogated_audit_shutdown(BiogatedAudit *audit);

/* StepUp.Evaluate's event, limited per caller: within a window of
 * window_s seconds that starts with a caller's first Evaluate, the first
 * burst events of that caller_uid are sent one by one, as
 * biogated_audit_then() does; the rest are only counted, done(done_data)
 * runs at once, and one stepup-evaluate-suppressed event per uid sums them
 * up (count, first and last time, calls per rule) when the window ends or
 * biogated exits. So K flooding uids cause at most K * (burst + 1) events per
 * window, whatever their call rate. info->rule must be set; without
 * info->user the caller's name is looked up for the events sent. */
#define BIOGATED_AUDIT_EVALUATE_BURST_DEFAULT 20u
#define BIOGATED_AUDIT_EVALUATE_BURST_MAX 10000u
#define BIOGATED_AUDIT_EVALUATE_WINDOW_S_DEFAULT 60u
#define BIOGATED_AUDIT_EVALUATE_WINDOW_S_MAX 3600u
void biogated_audit_set_evaluate_limit(BiogatedAudit *audit, guint burst, guint window_s);
void biogated_audit_evaluate(BiogatedAudit *audit, const BiogatedAuditInfo *info, BiogatedAuditDone done,
                             gpointer done_data, const char *format, ...) G_GNUC_PRINTF(5, 6);
/* An event that decides nothing and changes nothing, caused by a call that
 * any user may repeat: a call refused before it touched the sensor or the
 * store (verify-error, stepup-deny, enroll-failed before a touch), an
 * erase that found nothing to erase. Limited like Evaluate's, per (event,
 * caller uid), with burst and window of their own: the first burst events
 * of a window are sent one by one, as biogated_audit() does; the rest are
 * counted per info->reason and summed up in one audit-suppressed event
 * (BIOGATE_SUPPRESSED_EVENT names the event) when the window ends or
 * biogated exits. Calls by root (caller_uid 0) are always sent. Never for
 * an event that records a decision or a change: those go through
 * biogated_audit(), one by one. Main thread only. */
/* BIOGATE_REASON of an erase event that found nothing to erase. */
#define BIOGATED_AUDIT_NOTHING_TO_ERASE "nothing to erase"
#define BIOGATED_AUDIT_REFUSAL_BURST_DEFAULT 20u
#define BIOGATED_AUDIT_REFUSAL_WINDOW_S_DEFAULT 60u
void biogated_audit_set_refusal_limit(BiogatedAudit *audit, guint burst, guint window_s);
void biogated_audit_refusal(BiogatedAudit *audit, BiogatedAuditEvent event, const BiogatedAuditInfo *info,
                            const char *format, ...) G_GNUC_PRINTF(4, 5);

/* Sends the summary of every window (Evaluate's and the refusals') now,
 * before biogated exits. */
void biogated_audit_evaluate_flush(BiogatedAudit *audit);

/* "verify-match" etc., its MESSAGE_ID (32 hex digits) and priority. */
const char *biogated_audit_event_name(BiogatedAuditEvent event);
const char *biogated_audit_event_message_id(BiogatedAuditEvent event);
int biogated_audit_event_priority(BiogatedAuditEvent event);
