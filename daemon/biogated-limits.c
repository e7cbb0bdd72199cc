/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-limits.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "biogated-audit.h"
#include "biogated-caller.h"
#include "biogated-error.h"
#include "biogated-storeio.h"
#include "biogated-writer.h"

#define LIMITS_DIR "limits"
#define RECORD_MAX 256

struct BiogatedLimits {
        int dir_fd;
        BiogatedWriter *writer;
        BiogatedAudit *audit;
        /* Records handed to the writer and not yet reported: name →
         * Unsaved. What the next check reads, so that a failure counts the
         * moment it happens, not once it is on disk. */
        GHashTable *unsaved;
};

typedef struct Record {
        guint consecutive;     /* failures since the last success */
        gint64 not_before;     /* Unix µs before which no attempt is allowed */
        gboolean locked;
} Record;

typedef struct Unsaved {
        Record record;         /* the newest one handed to the writer */
        guint writes;          /* of this name, not yet reported */
        gboolean failed;       /* the last write reported failed: the disk has an older record */
} Unsaved;

BiogatedLimits *biogated_limits_open(const char *state_dir, BiogatedWriter *writer, BiogatedAudit *audit,
                                     GError **error) {
        g_autoptr(BiogatedLimits) limits = g_new0(BiogatedLimits, 1);
        int state_fd;

        limits->dir_fd = -1;
        limits->writer = writer;
        limits->audit = audit;
        limits->unsaved = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        state_fd = biogated_open_private_dir(AT_FDCWD, state_dir, FALSE, error);
        if (state_fd < 0)
                return NULL;
        limits->dir_fd = biogated_open_private_dir(state_fd, LIMITS_DIR, TRUE, error);
        (void) close(state_fd);
        if (limits->dir_fd < 0)
                return NULL;
        return g_steal_pointer(&limits);
}

void biogated_limits_free(BiogatedLimits *limits) {
        if (!limits)
                return;
        /* Their reports refer to us. */
        if (g_hash_table_size(limits->unsaved) > 0)
                biogated_writer_drain(limits->writer);
        if (limits->dir_fd >= 0)
                (void) close(limits->dir_fd);
        g_hash_table_unref(limits->unsaved);
        g_free(limits);
}

#define RECORD_NAME_MAX 32

/* The user's own matches under the uid; the approver touches of the
 * user's four-eyes requests beside it, so an old state directory reads the
 * same and Unlock can clear both. */
static void record_name(BiogatedLimitsCounter counter, uid_t uid, char name[static RECORD_NAME_MAX]) {
        g_snprintf(name, RECORD_NAME_MAX, "%s%u", counter == BIOGATED_LIMITS_APPROVALS ? "approvals-" : "",
                   (unsigned) uid);
}

/* A missing record is a clean slate; a damaged one fails closed (locked),
 * since someone may have tampered with it to reset the counter. */
static Record read_record(BiogatedLimits *limits, BiogatedLimitsCounter counter, uid_t uid) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) data = NULL;
        char name[RECORD_NAME_MAX], text[RECORD_MAX + 1];
        const Unsaved *unsaved;
        Record r = { 0 };
        unsigned consecutive, locked;
        long long not_before;
        gsize size;

        record_name(counter, uid, name);
        unsaved = g_hash_table_lookup(limits->unsaved, name);
        if (unsaved)
                return unsaved->record;
        data = biogated_read_private_file(limits->dir_fd, name, RECORD_MAX, &error);
        if (!data) {
                if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
                        g_warning("Failure counter %s unreadable (%s): treating it as locked", name,
                                  error->message);
                        r.locked = TRUE;
                }
                return r;
        }
        size = g_bytes_get_size(data);
        memcpy(text, g_bytes_get_data(data, NULL), size);
        text[size] = '\0';
        if (sscanf(text, "consecutive=%u\nnot_before=%lld\nlocked=%u\n", &consecutive, &not_before, &locked) != 3 ||
            locked > 1 || not_before < 0) {
                g_warning("Failure counter %s is malformed: treating it as locked", name);
                r.locked = TRUE;
                return r;
        }
        r.consecutive = consecutive;
        r.not_before = not_before;
        r.locked = locked;
        return r;
}

typedef struct Saving {
        BiogatedLimits *limits;
        char *name;
        uid_t uid;
        /* Unlock: reports once its last removal is reported. */
        struct Unlocking *unlocking;
} Saving;

typedef struct Unlocking {
        guint left;
        GError *error;
        BiogatedWriterDone done;
        gpointer user_data;
} Unlocking;

static void on_saved(const GError *error, gpointer user_data) {
        Saving *s = user_data;
        Unsaved *unsaved = g_hash_table_lookup(s->limits->unsaved, s->name);

        /* Dropped with the last write once the disk has the newest record.
         * Kept when that write failed: the disk then has an older record,
         * with fewer failures, and reading it would forget each failure as
         * soon as its write fails, so whoever can fill the file system
         * (inodes are not reserved for root) could try without limit. The
         * count goes on in memory until a write of it succeeds; the idle
         * exit waits for that (biogated_limits_unsaved()). */
        unsaved->failed = error != NULL;
        if (--unsaved->writes == 0 && !unsaved->failed)
                g_hash_table_remove(s->limits->unsaved, s->name);
        if (error && !s->unlocking)
                g_warning("Cannot store the failure counter of uid %u: %s", (unsigned) s->uid, error->message);
        if (s->unlocking) {
                Unlocking *u = s->unlocking;

                if (error && !u->error)
                        u->error = g_error_new(BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INTERNAL,
                                               "Cannot reset the counter: %s", error->message);
                if (--u->left == 0) {
                        u->done(u->error, u->user_data);
                        g_clear_error(&u->error);
                        g_free(u);
                }
        }
        g_free(s->name);
        g_free(s);
}

/* Hands the record (NULL: remove it) to the writer; checks see it at once. */
static void save_record(BiogatedLimits *limits, BiogatedLimitsCounter counter, uid_t uid, const Record *r,
                        Unlocking *unlocking) {
        Saving *s = g_new0(Saving, 1);
        char name[RECORD_NAME_MAX];
        Unsaved *unsaved;

        record_name(counter, uid, name);
        unsaved = g_hash_table_lookup(limits->unsaved, name);
        if (!unsaved) {
                unsaved = g_new0(Unsaved, 1);
                g_hash_table_insert(limits->unsaved, g_strdup(name), unsaved);
        }
        unsaved->record = r ? *r : (Record) { 0 };
        unsaved->writes++;
        *s = (Saving) { .limits = limits, .name = g_strdup(name), .uid = uid, .unlocking = unlocking };
        if (r) {
                g_autofree char *text = g_strdup_printf("consecutive=%u\nnot_before=%" G_GINT64_FORMAT "\nlocked=%u\n",
                                                        r->consecutive, r->not_before, r->locked ? 1u : 0u);
                g_autoptr(GBytes) data = g_bytes_new(text, strlen(text));

                biogated_writer_write(limits->writer, limits->dir_fd, name, data, 0600, on_saved, s);
        } else {
                biogated_writer_remove(limits->writer, limits->dir_fd, name, on_saved, s);
        }
}

guint biogated_limits_unsaved(BiogatedLimits *limits) {
        return g_hash_table_size(limits->unsaved);
}

gboolean biogated_limits_check_counter(BiogatedLimits *limits, BiogatedLimitsCounter counter, uid_t uid, gint64 now,
                                       guint64 *ret_retry_after_ms, GError **error) {
        Record r = read_record(limits, counter, uid);
        const char *what = counter == BIOGATED_LIMITS_APPROVALS ?
                "Four-eyes approvals of your transactions are" : "Biometrics are";
        guint64 wait_ms;

        if (r.locked) {
                *ret_retry_after_ms = 0;
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_LOCKED_OUT,
                            "%s locked after too many failed attempts; an administrator must unlock them", what);
                return FALSE;
        }
        if (r.not_before <= now) {
                *ret_retry_after_ms = 0;
                return TRUE;
        }
        wait_ms = (guint64) (r.not_before - now + 999) / 1000;
        *ret_retry_after_ms = wait_ms;
        if (counter == BIOGATED_LIMITS_APPROVALS)
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_LOCKED_OUT,
                            "Too many failed approver touches; try again in %" G_GUINT64_FORMAT
                            " s (retry-after-ms=%" G_GUINT64_FORMAT ")", (wait_ms + 999) / 1000, wait_ms);
        else
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_LOCKED_OUT,
                            "Too many failed attempts; try again in %" G_GUINT64_FORMAT " s (retry-after-ms=%"
                            G_GUINT64_FORMAT ")", (wait_ms + 999) / 1000, wait_ms);
        return FALSE;
}

gboolean biogated_limits_check(BiogatedLimits *limits, uid_t uid, gint64 now, guint64 *ret_retry_after_ms,
                               GError **error) {
        return biogated_limits_check_counter(limits, BIOGATED_LIMITS_MATCHES, uid, now, ret_retry_after_ms, error);
}

void biogated_limits_record_counter(BiogatedLimits *limits, BiogatedLimitsCounter counter, uid_t uid,
                                    gboolean success, uid_t caller_uid, gint64 now) {
        Record r = read_record(limits, counter, uid);
        const char *what = counter == BIOGATED_LIMITS_APPROVALS ? "failed approver touches" : "failed matches";
        const char *locks = counter == BIOGATED_LIMITS_APPROVALS ? "four-eyes approvals" : "biometrics";

        if (success) {
                if (r.locked)
                        return; /* cannot happen: locked users are refused before scanning */
                if (r.consecutive == 0 && r.not_before == 0)
                        return; /* nothing to reset: no write, no fsync on every login */
                r = (Record) { 0 };
        } else {
                r.consecutive++;
                if (r.consecutive >= BIOGATED_LIMIT_LOCK_AFTER) {
                        g_autofree char *name = biogated_user_name(uid);
                        const char *reason = counter == BIOGATED_LIMITS_APPROVALS ?
                                "four-eyes approvals locked until an administrator unlocks" :
                                "locked until an administrator unlocks";
                        r.locked = TRUE;
                        biogated_audit(limits->audit, BIOGATED_AUDIT_LOCKOUT,
                                       &(BiogatedAuditInfo) { .user = name, .uid = uid, .caller_uid = caller_uid,
                                                              .outcome = "locked", .reason = reason },
                                       "uid %u: %u %s without a success; %s locked", (unsigned) uid, r.consecutive,
                                       what, locks);
                } else if (r.consecutive >= BIOGATED_LIMIT_DELAY_AFTER) {
                        guint doublings = MIN(r.consecutive - BIOGATED_LIMIT_DELAY_AFTER, 16u);
                        guint64 delay_s = MIN((guint64) BIOGATED_LIMIT_FIRST_DELAY_S << doublings,
                                              (guint64) BIOGATED_LIMIT_MAX_DELAY_S);
                        r.not_before = now + (gint64) delay_s * G_USEC_PER_SEC;
                        g_autofree char *reason = g_strdup_printf("retry-after-ms=%" G_GUINT64_FORMAT, delay_s * 1000);
                        g_autofree char *name = biogated_user_name(uid);
                        biogated_audit(limits->audit, BIOGATED_AUDIT_LOCKOUT,
                                       &(BiogatedAuditInfo) { .user = name, .uid = uid, .caller_uid = caller_uid,
                                                              .outcome = "delayed",
                                                              .reason = reason },
                                       "uid %u: %u consecutive %s; next %s in %" G_GUINT64_FORMAT " s",
                                       (unsigned) uid, r.consecutive, what,
                                       counter == BIOGATED_LIMITS_APPROVALS ? "four-eyes approval" : "attempt",
                                       delay_s);
                }
        }
        save_record(limits, counter, uid, &r, NULL);
}

void biogated_limits_record(BiogatedLimits *limits, uid_t uid, gboolean success, uid_t caller_uid, gint64 now) {
        biogated_limits_record_counter(limits, BIOGATED_LIMITS_MATCHES, uid, success, caller_uid, now);
}

void biogated_limits_unlock(BiogatedLimits *limits, uid_t uid, BiogatedWriterDone done, gpointer user_data) {
        static const BiogatedLimitsCounter counters[] = { BIOGATED_LIMITS_MATCHES, BIOGATED_LIMITS_APPROVALS };
        Unlocking *u = g_new0(Unlocking, 1);

        *u = (Unlocking) { .left = G_N_ELEMENTS(counters), .done = done, .user_data = user_data };
        for (gsize i = 0; i < G_N_ELEMENTS(counters); i++)
                save_record(limits, counters[i], uid, NULL, u);
}
