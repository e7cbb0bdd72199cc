/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-limits.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "biogated-audit.h"
#include "biogated-error.h"
#include "biogated-fileio.h"

#define LIMITS_DIR "limits"
#define RECORD_MAX 256

struct BiogatedLimits {
        int dir_fd;
};

typedef struct Record {
        guint consecutive;     /* failures since the last success */
        gint64 not_before;     /* Unix µs before which no attempt is allowed */
        gboolean locked;
} Record;

static BiogatedLimits *default_limits;

BiogatedLimits *biogated_limits_get_default(void) {
        return default_limits;
}

void biogated_limits_set_default(BiogatedLimits *limits) {
        default_limits = limits;
}

BiogatedLimits *biogated_limits_open(const char *state_dir, GError **error) {
        g_autoptr(BiogatedLimits) limits = g_new0(BiogatedLimits, 1);
        int state_fd;

        limits->dir_fd = -1;
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
        if (limits->dir_fd >= 0)
                (void) close(limits->dir_fd);
        g_free(limits);
}

static void record_name(uid_t uid, char name[static 16]) {
        g_snprintf(name, 16, "%u", (unsigned) uid);
}

/* A missing record is a clean slate; a damaged one fails closed (locked),
 * since someone may have tampered with it to reset the counter. */
static Record read_record(BiogatedLimits *limits, uid_t uid) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) data = NULL;
        char name[16], text[RECORD_MAX + 1];
        Record r = { 0 };
        unsigned consecutive, locked;
        long long not_before;
        gsize size;

        record_name(uid, name);
        data = biogated_read_private_file(limits->dir_fd, name, RECORD_MAX, &error);
        if (!data) {
                if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
                        g_warning("Failure counter of uid %u unreadable (%s): treating biometrics as locked",
                                  (unsigned) uid, error->message);
                        r.locked = TRUE;
                }
                return r;
        }
        size = g_bytes_get_size(data);
        memcpy(text, g_bytes_get_data(data, NULL), size);
        text[size] = '\0';
        if (sscanf(text, "consecutive=%u\nnot_before=%lld\nlocked=%u\n", &consecutive, &not_before, &locked) != 3 ||
            locked > 1 || not_before < 0) {
                g_warning("Failure counter of uid %u is malformed: treating biometrics as locked", (unsigned) uid);
                r.locked = TRUE;
                return r;
        }
        r.consecutive = consecutive;
        r.not_before = not_before;
        r.locked = locked;
        return r;
}

static gboolean write_record(BiogatedLimits *limits, uid_t uid, const Record *r, GError **error) {
        g_autofree char *text = g_strdup_printf("consecutive=%u\nnot_before=%" G_GINT64_FORMAT "\nlocked=%u\n",
                                                r->consecutive, r->not_before, r->locked ? 1u : 0u);
        char name[16];

        record_name(uid, name);
        return biogated_write_file_atomic(limits->dir_fd, name, text, strlen(text), 0600, error);
}

gboolean biogated_limits_check(BiogatedLimits *limits, uid_t uid, gint64 now, guint64 *ret_retry_after_ms,
                               GError **error) {
        Record r = read_record(limits, uid);
        guint64 wait_ms;

        if (r.locked) {
                *ret_retry_after_ms = 0;
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_LOCKED_OUT,
                            "Biometrics are locked after too many failed attempts; an administrator must unlock them");
                return FALSE;
        }
        if (r.not_before <= now) {
                *ret_retry_after_ms = 0;
                return TRUE;
        }
        wait_ms = (guint64) (r.not_before - now + 999) / 1000;
        *ret_retry_after_ms = wait_ms;
        g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_LOCKED_OUT,
                    "Too many failed attempts; try again in %" G_GUINT64_FORMAT " s (retry-after-ms=%" G_GUINT64_FORMAT
                    ")", (wait_ms + 999) / 1000, wait_ms);
        return FALSE;
}

static char *user_name(uid_t uid) {
        struct passwd pw, *result = NULL;
        char buf[4096];

        if (getpwuid_r(uid, &pw, buf, sizeof buf, &result) != 0 || !result)
                return NULL;
        return g_strdup(result->pw_name);
}

void biogated_limits_record(BiogatedLimits *limits, uid_t uid, gboolean success, uid_t caller_uid, gint64 now) {
        g_autoptr(GError) error = NULL;
        Record r = read_record(limits, uid);

        if (success) {
                if (r.locked)
                        return; /* cannot happen: locked users are refused before scanning */
                if (r.consecutive == 0 && r.not_before == 0)
                        return; /* nothing to reset: no write, no fsync on every login */
                r = (Record) { 0 };
        } else {
                r.consecutive++;
                if (r.consecutive >= BIOGATED_LIMIT_LOCK_AFTER) {
                        g_autofree char *name = user_name(uid);
                        r.locked = TRUE;
                        biogated_audit(BIOGATED_AUDIT_LOCKOUT,
                                       &(BiogatedAuditInfo) { .user = name, .uid = uid, .caller_uid = caller_uid,
                                                              .outcome = "locked",
                                                              .reason = "locked until an administrator unlocks" },
                                       "uid %u: %u failed matches without a success; biometrics locked",
                                       (unsigned) uid, r.consecutive);
                } else if (r.consecutive >= BIOGATED_LIMIT_DELAY_AFTER) {
                        guint doublings = MIN(r.consecutive - BIOGATED_LIMIT_DELAY_AFTER, 16u);
                        guint64 delay_s = MIN((guint64) BIOGATED_LIMIT_FIRST_DELAY_S << doublings,
                                              (guint64) BIOGATED_LIMIT_MAX_DELAY_S);
                        r.not_before = now + (gint64) delay_s * G_USEC_PER_SEC;
                        g_autofree char *reason = g_strdup_printf("retry-after-ms=%" G_GUINT64_FORMAT, delay_s * 1000);
                        g_autofree char *name = user_name(uid);
                        biogated_audit(BIOGATED_AUDIT_LOCKOUT,
                                       &(BiogatedAuditInfo) { .user = name, .uid = uid, .caller_uid = caller_uid,
                                                              .outcome = "delayed",
                                                              .reason = reason },
                                       "uid %u: %u consecutive failed matches; next attempt in %" G_GUINT64_FORMAT " s",
                                       (unsigned) uid, r.consecutive, delay_s);
                }
        }
        if (!write_record(limits, uid, &r, &error))
                g_warning("Cannot store the failure counter of uid %u: %s", (unsigned) uid, error->message);
}

gboolean biogated_limits_unlock(BiogatedLimits *limits, uid_t uid, GError **error) {
        char name[16];

        record_name(uid, name);
        if (unlinkat(limits->dir_fd, name, 0) < 0 && errno != ENOENT) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INTERNAL, "Cannot reset the counter: %s",
                            g_strerror(errno));
                return FALSE;
        }
        if (fsync(limits->dir_fd) < 0)
                g_warning("Cannot sync the failure counters: %s", g_strerror(errno));
        return TRUE;
}
