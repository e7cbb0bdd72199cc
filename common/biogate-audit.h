/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The audit trail's tamper evidence, shared by biogated (which writes
 * events) and `biogatectl audit verify` (which checks them).
 *
 * Every event biogated sends to the journal carries BIOGATE_* fields, among
 * them BIOGATE_SEQ (1, 2, 3, ... per chain) and BIOGATE_CHAIN:
 *
 *   chain(n) = HMAC-SHA256(audit key, chain(n-1) ‖ encode(fields of n))
 *
 * with chain(0) = 32 zero bytes, written as 64 lower-case hex digits. The
 * encoding covers every BIOGATE_* field of the event except BIOGATE_CHAIN
 * itself (BIOGATE_SEQ and BIOGATE_TIME included): fields sorted by name
 * (bytewise), each as 4-byte big-endian name length, name, 4-byte big-endian
 * value length, value. So a deleted event leaves a gap in BIOGATE_SEQ, a
 * reordered one breaks the sequence, and an edited, added or removed field
 * changes the chain. A chain starts over at BIOGATE_SEQ=1 only with the
 * event "audit-chain-started" (a new state directory or audit key). */

#include <glib.h>

#define BIOGATE_AUDIT_KEY_SIZE 32
#define BIOGATE_AUDIT_CHAIN_SIZE 32
/* biogated reserves sequence numbers in its chain state this many beyond
 * the last event sent, never more: after a crash, the events it sent after
 * its last saved state are fewer, and the state saved lags the journal by
 * no more (biogatectl audit verify keeps that many chain values). */
#define BIOGATE_AUDIT_RESERVE_BLOCK 256u

typedef struct BiogateAuditField {
        const char *name;   /* "BIOGATE_USER" */
        const char *value;  /* UTF-8, may contain anything but NUL */
} BiogateAuditField;

/* Computes chain(n) from chain(n-1) and the event's fields (any order;
 * BIOGATE_CHAIN, if present, is skipped; fields not starting with
 * "BIOGATE_" are skipped). */
void biogate_audit_chain_next(const guint8 key[BIOGATE_AUDIT_KEY_SIZE],
                              const guint8 previous[BIOGATE_AUDIT_CHAIN_SIZE],
                              const BiogateAuditField *fields, gsize n_fields,
                              guint8 ret_chain[BIOGATE_AUDIT_CHAIN_SIZE]);

/* 64 lower-case hex digits. */
char *biogate_audit_chain_to_hex(const guint8 chain[BIOGATE_AUDIT_CHAIN_SIZE]);
gboolean biogate_audit_chain_from_hex(const char *hex, guint8 ret_chain[BIOGATE_AUDIT_CHAIN_SIZE]);
