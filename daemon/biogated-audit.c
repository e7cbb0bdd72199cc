/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-audit.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "biogate-audit.h"
#include "biogated-fileio.h"

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
};

struct BiogatedAudit {
        guint8 *key;                            /* sodium_malloc'd */
        guint8 chain[BIOGATE_AUDIT_CHAIN_SIZE];
        guint64 seq;                            /* of the last event sent */
        int dir_fd;                             /* <state>/audit */
};

static BiogatedAudit *default_audit;
/* Events also come from worker threads (erasure); the chain is one line. */
static GMutex audit_lock;

const char *biogated_audit_event_name(BiogatedAuditEvent event) {
        return (unsigned) event < _BIOGATED_AUDIT_EVENT_MAX ? events[event].name : NULL;
}

const char *biogated_audit_event_message_id(BiogatedAuditEvent event) {
        return (unsigned) event < _BIOGATED_AUDIT_EVENT_MAX ? events[event].message_id : NULL;
}

int biogated_audit_event_priority(BiogatedAuditEvent event) {
        return (unsigned) event < _BIOGATED_AUDIT_EVENT_MAX ? events[event].priority : -1;
}

void biogated_audit_set_default(BiogatedAudit *audit) {
        g_mutex_lock(&audit_lock);
        default_audit = audit;
        g_mutex_unlock(&audit_lock);
}

void biogated_audit_free(BiogatedAudit *audit) {
        if (!audit)
                return;
        if (audit->key)
                sodium_free(audit->key);
        if (audit->dir_fd >= 0)
                (void) close(audit->dir_fd);
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

/* "seq=N\nchain=HEX\n"; FALSE when absent or unreadable (a new chain). */
static gboolean load_chain(BiogatedAudit *audit) {
        g_autoptr(GBytes) data = biogated_read_private_file(audit->dir_fd, CHAIN_FILE, 256, NULL);
        char text[257], hex[65];
        guint64 seq;
        gsize size;

        if (!data)
                return FALSE;
        size = g_bytes_get_size(data);
        memcpy(text, g_bytes_get_data(data, NULL), size);
        text[size] = '\0';
        if (sscanf(text, "seq=%" G_GUINT64_FORMAT "\nchain=%64s\n", &seq, hex) != 2 ||
            !biogate_audit_chain_from_hex(hex, audit->chain))
                return FALSE;
        audit->seq = seq;
        return TRUE;
}

static gboolean save_chain(BiogatedAudit *audit, guint64 seq, const guint8 chain[BIOGATE_AUDIT_CHAIN_SIZE]) {
        g_autoptr(GError) error = NULL;
        g_autofree char *hex = biogate_audit_chain_to_hex(chain);
        g_autofree char *text = g_strdup_printf("seq=%" G_GUINT64_FORMAT "\nchain=%s\n", seq, hex);

        if (biogated_write_file_atomic(audit->dir_fd, CHAIN_FILE, text, strlen(text), 0600, &error))
                return TRUE;
        g_warning("Cannot save the audit chain state: %s", error->message);
        return FALSE;
}

BiogatedAudit *biogated_audit_open(const char *state_dir, GError **error) {
        g_autoptr(BiogatedAudit) audit = g_new0(BiogatedAudit, 1);
        gboolean created = FALSE, resumed;
        int state_fd, private_fd;

        audit->dir_fd = -1;
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
        resumed = !created && load_chain(audit);
        if (!resumed) {
                audit->seq = 0;
                memset(audit->chain, 0, sizeof audit->chain);
        }
        biogated_audit_set_default(audit);
        /* The chain's first event says it starts; a new key comes after. */
        if (resumed)
                biogated_audit(BIOGATED_AUDIT_CHAIN_RESUMED, &(BiogatedAuditInfo) { .uid = BIOGATED_AUDIT_NO_UID },
                               "Audit chain resumed at sequence %" G_GUINT64_FORMAT, audit->seq + 1);
        else
                biogated_audit(BIOGATED_AUDIT_CHAIN_STARTED, &(BiogatedAuditInfo) { .uid = BIOGATED_AUDIT_NO_UID },
                               "Audit chain started");
        if (created)
                biogated_audit(BIOGATED_AUDIT_KEY_CREATED, &(BiogatedAuditInfo) { .uid = BIOGATED_AUDIT_NO_UID,
                                                                                  .reason = "audit key" },
                               "Created a new audit key");
        biogated_audit_set_default(NULL);
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

void biogated_audit(BiogatedAuditEvent event, const BiogatedAuditInfo *info, const char *format, ...) {
        g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&audit_lock);
        BiogatedAudit *audit = default_audit;
        g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GArray) fields = g_array_new(FALSE, FALSE, sizeof(BiogateAuditField));
        g_autofree char *message = NULL, *uid = NULL, *seq = NULL, *time = NULL, *chain_hex = NULL;
        g_autofree struct iovec *iov = NULL;
        guint8 chain[BIOGATE_AUDIT_CHAIN_SIZE];
        va_list ap;
        gsize n = 0;

        g_return_if_fail((unsigned) event < _BIOGATED_AUDIT_EVENT_MAX);
        va_start(ap, format);
        message = g_strdup_vprintf(format, ap);
        va_end(ap);

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
        ADD("BIOGATE_SERVICE", info->service);
        ADD("BIOGATE_TX_DIGEST", info->tx_digest);
        ADD("BIOGATE_TX_KIND", info->tx_kind);
        ADD("BIOGATE_AMOUNT", info->amount);
        ADD("BIOGATE_CURRENCY", info->currency);
        ADD("BIOGATE_RULE", info->rule);
        ADD("BIOGATE_REASON", info->reason);

        if (audit) {
                seq = g_strdup_printf("%" G_GUINT64_FORMAT, audit->seq + 1);
                time = g_strdup_printf("%" G_GINT64_FORMAT, g_get_real_time());
                ADD("BIOGATE_SEQ", seq);
                ADD("BIOGATE_TIME", time);
                biogate_audit_chain_next(audit->key, audit->chain, (BiogateAuditField *) fields->data, fields->len,
                                         chain);
                /* Saved before sending: after a crash the journal may miss
                 * an event (a visible gap), never show a sequence twice. */
                (void) save_chain(audit, audit->seq + 1, chain);
                audit->seq++;
                memcpy(audit->chain, chain, sizeof chain);
                chain_hex = biogate_audit_chain_to_hex(chain);
                ADD("BIOGATE_CHAIN", chain_hex);
        }
#undef ADD

        iov = g_new0(struct iovec, fields->len + 4);
        g_ptr_array_add(strings, g_strdup_printf("MESSAGE_ID=%s", events[event].message_id));
        g_ptr_array_add(strings, g_strdup_printf("PRIORITY=%d", events[event].priority));
        g_ptr_array_add(strings, g_strdup_printf("MESSAGE=%s", message));
        g_ptr_array_add(strings, g_strdup("SYSLOG_IDENTIFIER=biogated"));
        for (guint i = strings->len - 4; i < strings->len; i++)
                iov[n++] = (struct iovec) { g_ptr_array_index(strings, i), strlen(g_ptr_array_index(strings, i)) };
        for (guint i = 0; i < fields->len; i++) {
                BiogateAuditField *f = &g_array_index(fields, BiogateAuditField, i);
                char *line = g_strdup_printf("%s=%s", f->name, f->value);
                g_ptr_array_add(strings, line);
                iov[n++] = (struct iovec) { line, strlen(line) };
        }
        (void) sd_journal_sendv(iov, (int) n);

        /* Under systemd, stderr is the journal already (JOURNAL_STREAM). */
        if (!g_getenv("JOURNAL_STREAM"))
                g_message("audit %s%s%s: %s", events[event].name, seq ? " #" : "", seq ? seq : "", message);
}
