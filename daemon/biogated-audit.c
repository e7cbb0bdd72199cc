/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-audit.h"
#include "biogated-caller.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "biogate-audit.h"
#include "biogated-storeio.h"
#include "biogated-writer.h"

#define CREDENTIAL_NAME "biogate.audit-key"
#define KEY_FILE "audit.key"
#define CHAIN_DIR "audit"
#define CHAIN_FILE "chain"

/* Fixed forever: security teams filter on these. docs/audit.md and
 * systemd/biogate.catalog describe each one. */
static const struct {
        const char *name;
        const char *message_id;
        int priority;
        const char *outcome;
} events[_BIOGATED_AUDIT_EVENT_MAX] = {
        [BIOGATED_AUDIT_VERIFY_MATCH]     = { "verify-match",         "633a0732045346f0b4840c10dd65f3ee", LOG_INFO,    "success" },
        [BIOGATED_AUDIT_VERIFY_NO_MATCH]  = { "verify-no-match",      "db50301f7eef476aa2b8ab242838bc11", LOG_NOTICE,  "failure" },
        [BIOGATED_AUDIT_VERIFY_ERROR]     = { "verify-error",         "1239a731d26d40ffb0fc4445e3f671a6", LOG_WARNING, "error" },
        [BIOGATED_AUDIT_STEPUP_EVALUATE]  = { "stepup-evaluate",      "bf3424c77a1443098356b5245c8705ff", LOG_INFO,    "success" },
        [BIOGATED_AUDIT_STEPUP_APPROVE]   = { "stepup-approve",       "397bf43a7af1456da5cf8edf75253562", LOG_NOTICE,  "success" },
        [BIOGATED_AUDIT_STEPUP_DENY]      = { "stepup-deny",          "53f6acf646174bae834457eb5b60a51c", LOG_WARNING, "denied" },
        [BIOGATED_AUDIT_ENROLL]           = { "enroll",               "b6c289b4c77d4a2f9f65149b68d5d313", LOG_NOTICE,  "success" },
        [BIOGATED_AUDIT_ENROLL_FAILED]    = { "enroll-failed",        "103953ea27024cf88ff31b6e6af00581", LOG_WARNING, "failure" },
        [BIOGATED_AUDIT_DELETE]           = { "delete",               "4b06651197104cceb7b3d5ff68cba875", LOG_NOTICE,  "success" },
        [BIOGATED_AUDIT_ERASE]            = { "erase",                "7ffac428a66e4e8eb58a6062ff2191c9", LOG_NOTICE,  "success" },
        [BIOGATED_AUDIT_CONSENT]          = { "consent-recorded",     "12b5b340f8034acba6c0ebafa7c155e5", LOG_NOTICE,  "success" },
        [BIOGATED_AUDIT_LOCKOUT]          = { "lockout",              "3e1b5dfd17e545fdb570b8f7cdf90c55", LOG_WARNING, "failure" },
        [BIOGATED_AUDIT_UNLOCK]           = { "unlock",               "5ef6a829a5a547358cd1f4c5357e46e3", LOG_NOTICE,  "success" },
        [BIOGATED_AUDIT_POLICY_LOADED]    = { "policy-loaded",        "1321855609264da0ab6af5f5636e36ad", LOG_NOTICE,  "success" },
        [BIOGATED_AUDIT_POLICY_REJECTED]  = { "policy-rejected",      "6bcd63d06b704d3dbafdfff316b8bd0c", LOG_ERR,     "error" },
        [BIOGATED_AUDIT_KEY_CREATED]      = { "key-created",          "0b6ab918f9ee49088bcaeb3f8b9cb285", LOG_NOTICE,  "success" },
        [BIOGATED_AUDIT_STORE_REJECTED]   = { "store-file-rejected",  "1bd9806fcecd447d885644f6e619105c", LOG_ERR,     "error" },
        [BIOGATED_AUDIT_RETENTION_PURGE]  = { "retention-purge",      "1422c91f55cc4f91b4792cdd320f5d45", LOG_NOTICE,  "success" },
        [BIOGATED_AUDIT_CHAIN_STARTED]    = { "audit-chain-started",  "ac6da70c17194809ad2382e6c9f53df2", LOG_NOTICE,  "success" },
        [BIOGATED_AUDIT_CHAIN_RESUMED]    = { "audit-chain-resumed",  "c04a153dba8e40bc80b0501512782ab4", LOG_INFO,    "success" },
        [BIOGATED_AUDIT_STEPUP_EVALUATE_SUPPRESSED] =
                { "stepup-evaluate-suppressed", "c61c1273d0bb45099dc9b9da56a827e2", LOG_INFO, "success" },
        [BIOGATED_AUDIT_SUPPRESSED]       = { "audit-suppressed",     "cc2623fd69e0440c8ec017cca9de1e70", LOG_INFO, NULL },
        [BIOGATED_AUDIT_STANDING_CONSENT] =
                { "standing-consent-recorded", "9d60003bf1a44bf78a39162b65bc8a56", LOG_NOTICE, "success" },
        [BIOGATED_AUDIT_CONSENT_WITHDRAWN] =
                { "standing-consent-withdrawn", "d93f3a1b987745cba3c2ceed3efe24d4", LOG_NOTICE, "success" },
        [BIOGATED_AUDIT_SIGNING_KEY_ROTATED] =
                { "signing-key-rotated", "6b0270ced0e948a58edc7d40f50d7b93", LOG_NOTICE, "success" },
        [BIOGATED_AUDIT_SIGNING_KEY_RETIRED] =
                { "signing-key-retired", "04a005e6231a4b9fba9383672424bb70", LOG_NOTICE, "success" },
        [BIOGATED_AUDIT_NOTICE_LOADED] =
                { "consent-notice-loaded", "19eb533dc9944a31900a9877b136f31b", LOG_NOTICE, "success" },
        [BIOGATED_AUDIT_NOTICE_REJECTED] =
                { "consent-notice-rejected", "5cd35f5e3d4f4df8b18eb48a4e62f432", LOG_ERR, "error" },
};

/* Only the main thread chains and sends events: no lock. */
struct BiogatedAudit {
        guint8 *key;                            /* sodium_malloc'd */
        guint8 chain[BIOGATE_AUDIT_CHAIN_SIZE];
        guint64 seq;                            /* of the last event chained */
        /* The last event sent to the journal: what the state file records. */
        guint64 sent_seq;
        guint8 sent_chain[BIOGATE_AUDIT_CHAIN_SIZE];
        guint64 reserved;                       /* durably reserved up to here */
        guint64 reserving;                      /* asked of the writer (>= reserved) */
        guint64 skipped;                        /* after a crash: the numbers up to here */
        GQueue unsent;                          /* Entry: chained beyond reserved, in order */
        int dir_fd;                             /* <state>/audit */
        BiogatedWriter *writer;                 /* saves the chain state */
        /* The windows of events limited per caller (see below). */
        GHashTable *windows;                    /* &LimitWindow.key → LimitWindow */
        guint evaluate_burst, evaluate_window_s;
        guint refusal_burst, refusal_window_s;
};


const char *biogated_audit_event_name(BiogatedAuditEvent event) {
        return (unsigned) event < _BIOGATED_AUDIT_EVENT_MAX ? events[event].name : NULL;
}

const char *biogated_audit_event_message_id(BiogatedAuditEvent event) {
        return (unsigned) event < _BIOGATED_AUDIT_EVENT_MAX ? events[event].message_id : NULL;
}

int biogated_audit_event_priority(BiogatedAuditEvent event) {
        return (unsigned) event < _BIOGATED_AUDIT_EVENT_MAX ? events[event].priority : -1;
}

static void entry_free(gpointer data);

void biogated_audit_free(BiogatedAudit *audit) {
        if (!audit)
                return;
        if (audit->key)
                sodium_free(audit->key);
        if (audit->dir_fd >= 0)
                (void) close(audit->dir_fd);
        g_queue_clear_full(&audit->unsent, entry_free);
        g_clear_pointer(&audit->windows, g_hash_table_unref);
        g_free(audit);
}

static gboolean load_key(int private_fd, guint8 *key, gboolean *ret_created, GError **error) {
        const char *creds = g_getenv("CREDENTIALS_DIRECTORY");
        g_autoptr(GBytes) data = NULL;
        g_autoptr(GError) local_error = NULL;

        *ret_created = FALSE;
        if (creds) {
                int fd = open(creds, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd >= 0) {
                        data = biogated_read_private_file(fd, CREDENTIAL_NAME, 4096, &local_error);
                        (void) close(fd);
                        if (!data && !g_error_matches(local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
                                g_propagate_prefixed_error(error, g_steal_pointer(&local_error),
                                                           "Credential " CREDENTIAL_NAME ": ");
                                return FALSE;
                        }
                        g_clear_error(&local_error);
                }
        }
        if (!data)
                data = biogated_read_private_file(private_fd, KEY_FILE, 4096, &local_error);
        if (data) {
                gboolean ok = g_bytes_get_size(data) == BIOGATE_AUDIT_KEY_SIZE;
                if (ok)
                        memcpy(key, g_bytes_get_data(data, NULL), BIOGATE_AUDIT_KEY_SIZE);
                sodium_memzero((void *) g_bytes_get_data(data, NULL), g_bytes_get_size(data));
                if (!ok)
                        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "The audit key must be %d bytes",
                                    BIOGATE_AUDIT_KEY_SIZE);
                return ok;
        }
        if (!g_error_matches(local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
                g_propagate_prefixed_error(error, g_steal_pointer(&local_error), "Audit key: ");
                return FALSE;
        }
        randombytes_buf(key, BIOGATE_AUDIT_KEY_SIZE);
        if (!biogated_write_file_atomic(private_fd, KEY_FILE, key, BIOGATE_AUDIT_KEY_SIZE, 0400, error))
                return FALSE;
        *ret_created = TRUE;
        return TRUE;
}

/* "seq=N\nchain=HEX\nreserved=R\n" (R >= N; a file of a version without
 * it has R = N); FALSE when absent or unreadable (a new chain). */
static gboolean load_chain(BiogatedAudit *audit, guint64 *ret_reserved) {
        g_autoptr(GBytes) data = biogated_read_private_file(audit->dir_fd, CHAIN_FILE, 256, NULL);
        char text[257], hex[65];
        guint64 seq, reserved;
        gsize size;
        int n;

        if (!data)
                return FALSE;
        size = g_bytes_get_size(data);
        memcpy(text, g_bytes_get_data(data, NULL), size);
        text[size] = '\0';
        n = sscanf(text, "seq=%" G_GUINT64_FORMAT "\nchain=%64s\nreserved=%" G_GUINT64_FORMAT "\n", &seq, hex,
                   &reserved);
        if (n == 2)
                reserved = seq;
        if (n < 2 || reserved < seq || !biogate_audit_chain_from_hex(hex, audit->chain))
                return FALSE;
        audit->seq = seq;
        *ret_reserved = reserved;
        return TRUE;
}

BiogatedAudit *biogated_audit_open(const char *state_dir, BiogatedWriter *writer, GError **error) {
        g_autoptr(BiogatedAudit) audit = g_new0(BiogatedAudit, 1);
        gboolean created = FALSE, resumed;
        guint64 reserved = 0;
        int state_fd, private_fd;

        audit->dir_fd = -1;
        audit->writer = writer;
        g_queue_init(&audit->unsent);
        audit->evaluate_burst = BIOGATED_AUDIT_EVALUATE_BURST_DEFAULT;
        audit->evaluate_window_s = BIOGATED_AUDIT_EVALUATE_WINDOW_S_DEFAULT;
        audit->refusal_burst = BIOGATED_AUDIT_REFUSAL_BURST_DEFAULT;
        audit->refusal_window_s = BIOGATED_AUDIT_REFUSAL_WINDOW_S_DEFAULT;
        if (sodium_init() < 0 || !(audit->key = sodium_malloc(BIOGATE_AUDIT_KEY_SIZE))) {
                g_set_error_literal(error, G_FILE_ERROR, G_FILE_ERROR_NOMEM, "Cannot lock memory for the audit key");
                return NULL;
        }
        state_fd = biogated_open_private_dir(AT_FDCWD, state_dir, FALSE, error);
        if (state_fd < 0)
                return NULL;
        private_fd = biogated_open_private_dir(state_fd, "private", TRUE, error);
        audit->dir_fd = biogated_open_private_dir(state_fd, CHAIN_DIR, TRUE, error);
        (void) close(state_fd);
        if (private_fd < 0 || audit->dir_fd < 0) {
                if (private_fd >= 0)
                        (void) close(private_fd);
                return NULL;
        }
        if (!load_key(private_fd, audit->key, &created, error)) {
                (void) close(private_fd);
                return NULL;
        }
        (void) close(private_fd);

        /* A new key cannot continue an old chain: start over, and say so. */
        resumed = !created && load_chain(audit, &reserved);
        if (!resumed) {
                audit->seq = reserved = 0;
                memset(audit->chain, 0, sizeof audit->chain);
        }
        audit->sent_seq = audit->seq;
        memcpy(audit->sent_chain, audit->chain, sizeof audit->chain);
        audit->reserved = audit->reserving = reserved;
        /* The chain's first event says it starts; a new key comes after. */
        if (resumed && reserved > audit->seq) {
                /* biogated ended without its final save (a crash): events
                 * up to the reservation may be in the journal, chained
                 * from the state saved. None of their numbers is used
                 * again; this event links to that state, and says so in
                 * fields the chain covers. */
                g_autofree char *from = g_strdup_printf("%" G_GUINT64_FORMAT, audit->seq);
                g_autofree char *to = g_strdup_printf("%" G_GUINT64_FORMAT, reserved);

                audit->seq = audit->skipped = reserved;
                biogated_audit(audit, BIOGATED_AUDIT_CHAIN_RESUMED,
                               &(BiogatedAuditInfo) { .uid = BIOGATED_AUDIT_NO_UID, .resumed_from = from,
                                                      .reserved_to = to },
                               "Audit chain resumed at sequence %" G_GUINT64_FORMAT " after an unclean exit, "
                               "from the state saved at sequence %s (numbers up to %s were reserved)",
                               reserved + 1, from, to);
        } else if (resumed)
                biogated_audit(audit, BIOGATED_AUDIT_CHAIN_RESUMED, &(BiogatedAuditInfo) { .uid = BIOGATED_AUDIT_NO_UID },
                               "Audit chain resumed at sequence %" G_GUINT64_FORMAT, audit->seq + 1);
        else
                biogated_audit(audit, BIOGATED_AUDIT_CHAIN_STARTED, &(BiogatedAuditInfo) { .uid = BIOGATED_AUDIT_NO_UID },
                               "Audit chain started");
        if (created)
                biogated_audit(audit, BIOGATED_AUDIT_KEY_CREATED, &(BiogatedAuditInfo) { .uid = BIOGATED_AUDIT_NO_UID,
                                                                                  .reason = "audit key" },
                               "Created a new audit key");
        return g_steal_pointer(&audit);
}

/* No newlines or control characters in a field value: journal export
 * formats and the human report stay one line per value. */
static char *field_value(const char *value) {
        char *copy = g_strdup(value);

        for (char *c = copy; *c; c++)
                if ((unsigned char) *c < 0x20 || *c == 0x7f)
                        *c = ' ';
        return copy;
}

/* A callback and its data. */
typedef struct Waiter {
        BiogatedAuditDone done;
        gpointer data;
} Waiter;

/* One chained event, built but not yet sent. */
typedef struct Entry {
        guint64 seq;
        guint8 chain[BIOGATE_AUDIT_CHAIN_SIZE];
        GPtrArray *lines;               /* "FIELD=value" for the journal */
        char *stderr_line;              /* NULL under systemd */
        BiogatedAuditDone done;         /* once sent and its state saved */
        gpointer done_data;
        GArray *sent_waiters;           /* Waiter: once sent; NULL: none */
} Entry;

static void entry_free(gpointer data) {
        Entry *e = data;

        g_ptr_array_unref(e->lines);
        g_free(e->stderr_line);
        if (e->sent_waiters)
                g_array_unref(e->sent_waiters);
        g_free(e);
}

/* Chains the event (audit->seq and ->chain move on in memory only) and
 * returns it ready to send. */
static Entry *entry_build(BiogatedAudit *audit, BiogatedAuditEvent event, const BiogatedAuditInfo *info,
                          const char *caller_user, const char *message) {
        g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GArray) fields = g_array_new(FALSE, FALSE, sizeof(BiogateAuditField));
        g_autofree char *uid = NULL, *seq = NULL, *time = NULL, *chain_hex = NULL;
        g_autofree char *caller_uid = g_strdup_printf("%u", (unsigned) info->caller_uid);
        Entry *e = g_new0(Entry, 1);
        guint8 chain[BIOGATE_AUDIT_CHAIN_SIZE];

#define ADD(name_, value_)                                                                  \
        do {                                                                                \
                if (value_) {                                                               \
                        char *v_ = field_value(value_);                                     \
                        g_ptr_array_add(strings, v_);                                       \
                        g_array_append_val(fields, ((BiogateAuditField) { name_, v_ }));    \
                }                                                                           \
        } while (0)
        ADD("BIOGATE_EVENT", events[event].name);
        ADD("BIOGATE_OUTCOME", info->outcome ? info->outcome : events[event].outcome);
        ADD("BIOGATE_USER", info->user);
        if (info->uid != BIOGATED_AUDIT_NO_UID)
                uid = g_strdup_printf("%u", (unsigned) info->uid);
        ADD("BIOGATE_UID", uid);
        ADD("BIOGATE_CALLER_UID", caller_uid);
        ADD("BIOGATE_CALLER_USER", caller_user);
        ADD("BIOGATE_SERVICE", info->service);
        ADD("BIOGATE_TX_DIGEST", info->tx_digest);
        ADD("BIOGATE_TX_KIND", info->tx_kind);
        ADD("BIOGATE_AMOUNT", info->amount);
        ADD("BIOGATE_CURRENCY", info->currency);
        ADD("BIOGATE_RULE", info->rule);
        ADD("BIOGATE_REASON", info->reason);
        ADD("BIOGATE_COUNT", info->count);
        ADD("BIOGATE_FIRST_TIME", info->first_time);
        ADD("BIOGATE_LAST_TIME", info->last_time);
        ADD("BIOGATE_SUPPRESSED_EVENT", info->suppressed_event);
        ADD("BIOGATE_RESUMED_FROM", info->resumed_from);
        ADD("BIOGATE_RESERVED_TO", info->reserved_to);

        seq = g_strdup_printf("%" G_GUINT64_FORMAT, audit->seq + 1);
        time = g_strdup_printf("%" G_GINT64_FORMAT, g_get_real_time());
        ADD("BIOGATE_SEQ", seq);
        ADD("BIOGATE_TIME", time);
        biogate_audit_chain_next(audit->key, audit->chain, (BiogateAuditField *) fields->data, fields->len,
                                 chain);
        audit->seq++;
        memcpy(audit->chain, chain, sizeof chain);
        e->seq = audit->seq;
        memcpy(e->chain, chain, sizeof chain);
        chain_hex = biogate_audit_chain_to_hex(chain);
        ADD("BIOGATE_CHAIN", chain_hex);
#undef ADD

        e->lines = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(e->lines, g_strdup_printf("MESSAGE_ID=%s", events[event].message_id));
        g_ptr_array_add(e->lines, g_strdup_printf("PRIORITY=%d", events[event].priority));
        g_ptr_array_add(e->lines, g_strdup_printf("MESSAGE=%s", message));
        g_ptr_array_add(e->lines, g_strdup("SYSLOG_IDENTIFIER=biogated"));
        for (guint i = 0; i < fields->len; i++) {
                BiogateAuditField *f = &g_array_index(fields, BiogateAuditField, i);

                g_ptr_array_add(e->lines, g_strdup_printf("%s=%s", f->name, f->value));
        }
        /* Under systemd, stderr is the journal already (JOURNAL_STREAM). */
        if (!g_getenv("JOURNAL_STREAM"))
                e->stderr_line = g_strdup_printf("audit %s%s%s: %s", events[event].name, seq ? " #" : "",
                                                 seq ? seq : "", message);
        return e;
}

static void entry_send(Entry *e) {
        g_autofree struct iovec *iov = g_new0(struct iovec, e->lines->len);

        for (guint i = 0; i < e->lines->len; i++)
                iov[i] = (struct iovec) { e->lines->pdata[i], strlen(e->lines->pdata[i]) };
        (void) sd_journal_sendv(iov, (int) e->lines->len);
        if (e->stderr_line)
                g_message("%s", e->stderr_line);
}

/* A write of the chain state: which reservation it makes durable, and
 * who waits for it. */
typedef struct StateSave {
        BiogatedAudit *audit;
        guint64 reserved;
        BiogatedAuditDone done;
        gpointer done_data;
} StateSave;

static void flush_unsent(BiogatedAudit *audit);
static void save_state(BiogatedAudit *audit, BiogatedAuditDone done, gpointer done_data);

/* Sequence numbers are reserved in the chain state (its reserved=) a block
 * beyond the last event sent, ahead of use: an event whose number is
 * reserved durably goes to the journal at once, with no write on its way.
 * When fewer than half a block is left for the events chained, the next
 * block, before it is needed. Never more than a block beyond the last
 * event sent: a burst longer than that waits for the events before it, so
 * that after a crash the journal holds at most a block of events beyond
 * the state saved (biogatectl audit verify relies on that). */
static void reserve_ahead(BiogatedAudit *audit) {
        /* After a crash the first event sent is the one after the numbers
         * skipped, not after the state's. */
        guint64 limit = MAX(audit->sent_seq, audit->skipped) + BIOGATE_AUDIT_RESERVE_BLOCK;

        if (audit->reserving >= audit->seq + BIOGATE_AUDIT_RESERVE_BLOCK / 2 || audit->reserving >= limit)
                return;
        audit->reserving = limit;
        save_state(audit, NULL, NULL);
}

/* The state is durable (or could not be saved: the events go out all the
 * same, with a warning, as they always did). The writer completes jobs
 * in the order they were submitted: reservations only grow. */
static void on_state_saved(const GError *error, gpointer user_data) {
        g_autofree StateSave *save = user_data;
        BiogatedAudit *audit = save->audit;

        if (error)
                g_warning("Cannot save the audit chain state: %s", error->message);
        if (save->reserved > audit->reserved) {
                audit->reserved = save->reserved;
                flush_unsent(audit);
                /* A burst sent up to here may need the next block. */
                reserve_ahead(audit);
        }
        if (save->done)
                save->done(save->done_data);
}

/* Hands the state to the writer: the last event sent (its number and
 * chain value: after a crash the next start chains from there) and the
 * numbers reserved. Writes in one batch are one write (biogated-writer.h):
 * a group commit. Until the first event of a new chain is sent there is
 * no such event: the state names the newest one chained, as if sent (a
 * crash in that moment leaves a visible gap, never a number used twice). */
static void save_state(BiogatedAudit *audit, BiogatedAuditDone done, gpointer done_data) {
        gboolean none_sent = audit->sent_seq == 0;
        g_autofree char *hex = biogate_audit_chain_to_hex(none_sent ? audit->chain : audit->sent_chain);
        char *text = g_strdup_printf("seq=%" G_GUINT64_FORMAT "\nchain=%s\nreserved=%" G_GUINT64_FORMAT "\n",
                                     none_sent ? audit->seq : audit->sent_seq, hex, audit->reserving);
        g_autoptr(GBytes) state = g_bytes_new_take(text, strlen(text));
        StateSave *save = g_new0(StateSave, 1);

        *save = (StateSave) { .audit = audit, .reserved = audit->reserving, .done = done, .done_data = done_data };
        biogated_writer_write(audit->writer, audit->dir_fd, CHAIN_FILE, state, 0600, on_state_saved, save);
}

/* Sends, in chain order, every event whose number is durably reserved:
 * to the journal, then to whoever waits for it being sent; its state is
 * saved behind it, in the background. */
static void flush_unsent(BiogatedAudit *audit) {
        Entry *e;

        while ((e = g_queue_peek_head(&audit->unsent)) && e->seq <= audit->reserved) {
                (void) g_queue_pop_head(&audit->unsent);
                entry_send(e);
                audit->sent_seq = e->seq;
                memcpy(audit->sent_chain, e->chain, sizeof e->chain);
                save_state(audit, e->done, e->done_data);
                for (guint i = 0; e->sent_waiters && i < e->sent_waiters->len; i++) {
                        Waiter *w = &g_array_index(e->sent_waiters, Waiter, i);

                        w->done(w->data);
                }
                entry_free(e);
        }
}

/* Chains the event and sends it at once when its number is reserved
 * durably, else once it is (in order, behind the events before it). The
 * reservation is extended in the background before it runs out: after a
 * crash, the next start never uses a number up to the reservation again
 * (biogated_audit_open()), so the journal may miss events (a visible,
 * explained gap), never show a number twice. */
static void audit_thenv(BiogatedAudit *audit, BiogatedAuditEvent event, const BiogatedAuditInfo *info,
                        BiogatedAuditDone done, gpointer done_data, const char *format, va_list ap)
        G_GNUC_PRINTF(6, 0);
static void audit_thenv(BiogatedAudit *audit, BiogatedAuditEvent event, const BiogatedAuditInfo *info,
                        BiogatedAuditDone done, gpointer done_data, const char *format, va_list ap) {
        g_autofree char *message = g_strdup_vprintf(format, ap);
        /* Most callers act on themselves, whose name the event has already. */
        g_autofree char *caller_user = info->user && info->uid == info->caller_uid ? g_strdup(info->user)
                                                                                    : biogated_user_name(info->caller_uid);
        Entry *e = entry_build(audit, event, info, caller_user, message);

        e->done = done;
        e->done_data = done_data;
        g_queue_push_tail(&audit->unsent, e);
        reserve_ahead(audit);
        flush_unsent(audit);
}

void biogated_audit_sent_then(BiogatedAudit *audit, BiogatedAuditDone done, gpointer done_data) {
        Entry *last = g_queue_peek_tail(&audit->unsent);

        if (!last) {
                done(done_data);
                return;
        }
        if (!last->sent_waiters)
                last->sent_waiters = g_array_new(FALSE, FALSE, sizeof(Waiter));
        g_array_append_val(last->sent_waiters, ((Waiter) { done, done_data }));
}

void biogated_audit_shutdown(BiogatedAudit *audit) {
        /* Every event sent (their reservations are durable once the
         * writer is through), then the end of the chain as the next start
         * continues it: nothing reserved beyond the last event. */
        biogated_writer_drain(audit->writer);
        g_return_if_fail(g_queue_is_empty(&audit->unsent));
        audit->reserved = audit->reserving = audit->sent_seq;
        save_state(audit, NULL, NULL);
        biogated_writer_drain(audit->writer);
}

void biogated_audit(BiogatedAudit *audit, BiogatedAuditEvent event, const BiogatedAuditInfo *info,
                    const char *format, ...) {
        va_list ap;

        g_return_if_fail((unsigned) event < _BIOGATED_AUDIT_EVENT_MAX);
        va_start(ap, format);
        audit_thenv(audit, event, info, NULL, NULL, format, ap);
        va_end(ap);
}

void biogated_audit_then(BiogatedAudit *audit, BiogatedAuditEvent event, const BiogatedAuditInfo *info,
                         BiogatedAuditDone done, gpointer done_data, const char *format, ...) {
        va_list ap;

        g_return_if_fail((unsigned) event < _BIOGATED_AUDIT_EVENT_MAX);
        va_start(ap, format);
        audit_thenv(audit, event, info, done, done_data, format, ap);
        va_end(ap);
}

/* ---- Events that decide nothing, limited per caller ---- */

/* Evaluate decides nothing and needs no permission: any local user may
 * call it as fast as the bus carries calls (about 7,500 calls/s from three
 * clients). So may a user repeat a call that is refused before it touches
 * anything (a Verify without enrolled prints, about 250 a second) or that
 * finds nothing to change (an EraseUser of nothing, about 340 a second).
 * One event each would rotate the login and approval events out of the
 * journal, and push biogated over journald's rate limit, which then drops
 * its events, genuine ones included. So each (event, caller uid) gets a
 * burst of events per window, then one summary. */
typedef struct LimitWindow {
        BiogatedAudit *audit;
        guint64 key;                    /* (caller uid << 32) | event: sorts by uid, then event */
        BiogatedAuditEvent event;
        uid_t uid;
        guint sent;                     /* events sent one by one in this window */
        guint64 suppressed;             /* calls counted instead */
        gint64 first_time, last_time;   /* real time of the first and last of those */
        const char *outcome;            /* of the calls counted (static) */
        GHashTable *reasons;            /* rule (Evaluate) or reason → guint64 * calls */
        guint timeout_id;
} LimitWindow;

void biogated_audit_set_evaluate_limit(BiogatedAudit *audit, guint burst, guint window_s) {
        g_return_if_fail(burst <= BIOGATED_AUDIT_EVALUATE_BURST_MAX);
        g_return_if_fail(window_s >= 1 && window_s <= BIOGATED_AUDIT_EVALUATE_WINDOW_S_MAX);

        audit->evaluate_burst = burst;
        audit->evaluate_window_s = window_s;
}

void biogated_audit_set_refusal_limit(BiogatedAudit *audit, guint burst, guint window_s) {
        g_return_if_fail(burst <= BIOGATED_AUDIT_EVALUATE_BURST_MAX);
        g_return_if_fail(window_s >= 1 && window_s <= BIOGATED_AUDIT_EVALUATE_WINDOW_S_MAX);

        audit->refusal_burst = burst;
        audit->refusal_window_s = window_s;
}

static guint window_burst(const LimitWindow *w) {
        return w->event == BIOGATED_AUDIT_STEPUP_EVALUATE ? w->audit->evaluate_burst : w->audit->refusal_burst;
}

static guint window_seconds(const LimitWindow *w) {
        return w->event == BIOGATED_AUDIT_STEPUP_EVALUATE ? w->audit->evaluate_window_s
                                                          : w->audit->refusal_window_s;
}

static int compare_strings(gconstpointer a, gconstpointer b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* "default=4000, withdrawals=12": sorted, so equal windows read alike. */
static char *describe_reasons(GHashTable *reasons) {
        g_autofree const char **names = (const char **) g_hash_table_get_keys_as_array(reasons, NULL);
        guint n = g_hash_table_size(reasons);
        GString *s = g_string_new(NULL);

        qsort(names, n, sizeof *names, compare_strings);
        for (guint i = 0; i < n; i++)
                g_string_append_printf(s, "%s%s=%" G_GUINT64_FORMAT, i ? ", " : "", names[i],
                                       *(guint64 *) g_hash_table_lookup(reasons, names[i]));
        return g_string_free(s, FALSE);
}

/* The summary of a window that counted calls; nothing for one that did
 * not (every call has its own event then). */
static void window_send_summary(LimitWindow *w) {
        g_autofree char *name = NULL, *count = NULL, *first = NULL, *last = NULL, *reasons = NULL;
        g_autofree char *uid = NULL;
        BiogatedAuditInfo info;

        if (w->suppressed == 0)
                return;
        name = biogated_user_name(w->uid);
        uid = g_strdup_printf("%u", (unsigned) w->uid);
        count = g_strdup_printf("%" G_GUINT64_FORMAT, w->suppressed);
        first = g_strdup_printf("%" G_GINT64_FORMAT, w->first_time);
        last = g_strdup_printf("%" G_GINT64_FORMAT, w->last_time);
        reasons = describe_reasons(w->reasons);
        info = (BiogatedAuditInfo) { .user = name, .uid = w->uid, .caller_uid = w->uid, .reason = reasons,
                                     .count = count, .first_time = first, .last_time = last };
        if (w->event == BIOGATED_AUDIT_STEPUP_EVALUATE) {
                biogated_audit(w->audit, BIOGATED_AUDIT_STEPUP_EVALUATE_SUPPRESSED, &info,
                               "%s more step-up evaluations by %s (uid %u) within %u s, beyond the %u logged one by "
                               "one: by rule %s",
                               count, name ? name : uid, (unsigned) w->uid, window_seconds(w), window_burst(w),
                               reasons);
                return;
        }
        /* The outcome of the events it stands for: a filter on refusals
         * (error, denied) finds their summaries too. */
        info.suppressed_event = events[w->event].name;
        info.outcome = w->outcome;
        biogated_audit(w->audit, BIOGATED_AUDIT_SUPPRESSED, &info,
                       "%s more %s events caused by %s (uid %u) within %u s, beyond the %u logged one by one: %s",
                       count, events[w->event].name, name ? name : uid, (unsigned) w->uid, window_seconds(w),
                       window_burst(w), reasons);
}

static void window_free(gpointer data) {
        LimitWindow *w = data;

        g_clear_handle_id(&w->timeout_id, g_source_remove);
        g_hash_table_unref(w->reasons);
        g_free(w);
}

static gboolean on_window_end(gpointer user_data) {
        LimitWindow *w = user_data;

        /* The next call of this uid opens a new window. */
        w->timeout_id = 0;
        window_send_summary(w);
        g_hash_table_remove(w->audit->windows, &w->key);
        return G_SOURCE_REMOVE;
}

/* The window of (event, uid), opened by its first call. */
static LimitWindow *window_get(BiogatedAudit *audit, BiogatedAuditEvent event, uid_t uid) {
        guint64 key = ((guint64) uid << 32) | (guint64) event;
        LimitWindow *w;

        if (!audit->windows)
                audit->windows = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, window_free);
        w = g_hash_table_lookup(audit->windows, &key);
        if (w)
                return w;
        /* A window per (event, uid) seen in the last window_s seconds, no
         * more: uids are few, and each goes at its end. */
        w = g_new0(LimitWindow, 1);
        w->audit = audit;
        w->key = key;
        w->event = event;
        w->uid = uid;
        w->reasons = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        w->timeout_id = g_timeout_add_seconds(window_seconds(w), on_window_end, w);
        g_hash_table_insert(audit->windows, &w->key, w);
        return w;
}

/* Counted only: no chain step, no state write, no journal entry. */
static void window_count(LimitWindow *w, const char *reason) {
        gint64 now = g_get_real_time();
        guint64 *calls;

        if (w->suppressed == 0)
                w->first_time = now;
        w->last_time = now;
        w->suppressed++;
        calls = g_hash_table_lookup(w->reasons, reason);
        if (!calls) {
                calls = g_new0(guint64, 1);
                g_hash_table_insert(w->reasons, g_strdup(reason), calls);
        }
        (*calls)++;
}

void biogated_audit_evaluate(BiogatedAudit *audit, const BiogatedAuditInfo *info, BiogatedAuditDone done,
                             gpointer done_data, const char *format, ...) {
        LimitWindow *w;
        va_list ap;

        g_return_if_fail(info->rule);
        w = window_get(audit, BIOGATED_AUDIT_STEPUP_EVALUATE, info->caller_uid);
        if (w->sent < audit->evaluate_burst) {
                /* The subject of an evaluation is the caller: named here,
                 * for the events that are sent only. */
                g_autofree char *name = info->user ? NULL : biogated_user_name(info->caller_uid);
                BiogatedAuditInfo named = *info;

                if (name)
                        named.user = name;
                w->sent++;
                va_start(ap, format);
                audit_thenv(audit, BIOGATED_AUDIT_STEPUP_EVALUATE, &named, done, done_data, format, ap);
                va_end(ap);
                return;
        }
        window_count(w, info->rule);
        if (done)
                done(done_data);
}

void biogated_audit_refusal(BiogatedAudit *audit, BiogatedAuditEvent event, const BiogatedAuditInfo *info,
                            const char *format, ...) {
        va_list ap;

        g_return_if_fail((unsigned) event < _BIOGATED_AUDIT_EVENT_MAX && event != BIOGATED_AUDIT_STEPUP_EVALUATE);
        /* root (login hosts, administrators, biogated itself) is not the
         * flood this guards against, and its refusals stay one by one. */
        if (info->caller_uid != 0) {
                LimitWindow *w = window_get(audit, event, info->caller_uid);

                if (w->sent >= audit->refusal_burst) {
                        if (w->suppressed == 0)
                                w->outcome = info->outcome ? g_intern_string(info->outcome)
                                                           : events[event].outcome;
                        window_count(w, info->reason ? info->reason : "-");
                        return;
                }
                w->sent++;
        }
        va_start(ap, format);
        audit_thenv(audit, event, info, NULL, NULL, format, ap);
        va_end(ap);
}

static int compare_window_keys(gconstpointer a, gconstpointer b) {
        guint64 x = *(const guint64 *) *(const gpointer *) a, y = *(const guint64 *) *(const gpointer *) b;

        return x < y ? -1 : x > y;
}

void biogated_audit_evaluate_flush(BiogatedAudit *audit) {
        g_autoptr(GHashTable) windows = g_steal_pointer(&audit->windows);
        g_autofree gpointer *keys = NULL;
        guint n;

        if (!windows)
                return;
        /* In uid order, then event order, so that the trail does not
         * depend on hashing. */
        keys = g_hash_table_get_keys_as_array(windows, &n);
        qsort(keys, n, sizeof *keys, compare_window_keys);
        for (guint i = 0; i < n; i++)
                window_send_summary(g_hash_table_lookup(windows, keys[i]));
}
