/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-retention.h"

#include <errno.h>
#include <pwd.h>

#include "biogated-args.h"
#include "biogated-audit.h"
#include "biogated-caller.h"
#include "biogated-record.h"

#define SWEEP_INTERVAL_SECONDS (24u * 3600u)

static void expiry_clear(gpointer data) {
        BiogatedExpiry *e = data;

        g_clear_error(&e->error);
}

static gboolean forget_fingers(GVariantDict *record, gpointer user_data) {
        guint mask = GPOINTER_TO_UINT(user_data);
        gboolean changed = FALSE;

        BIOGATED_FOREACH_FINGER(f, mask)
                changed |= biogated_record_forget_finger(record, f);
        return changed;
}

/* Sweeps one user; FALSE with error when it could not. */
static gboolean sweep_user(BiogatedStore *store, uid_t uid, guint retention_days, gint64 now, BiogatedExpiry *e,
                           GError **error) {
        g_autoptr(GVariant) record = NULL;
        guint mask = 0, expired = 0;

        if (!biogated_store_list_fingers(store, uid, &mask, error))
                return FALSE;
        if (mask == 0)
                return TRUE;
        record = biogated_store_read_record(store, uid, error);
        if (!record)
                return FALSE;
        BIOGATED_FOREACH_FINGER(f, mask)
                if (biogated_record_is_expired(record, f, retention_days, now))
                        expired |= 1u << f;
        if (expired == 0)
                return TRUE;

        e->fingers = expired;
        if (expired == mask) {
                e->user_erased = TRUE;
                return biogated_store_erase_user(store, uid, NULL, error);
        }
        BIOGATED_FOREACH_FINGER(f, expired)
                if (!biogated_store_delete_print(store, uid, f, error))
                        return FALSE;
        /* The templates are gone; a stale entry left by a failure here
         * would name a finger without a template, which means nothing. */
        return biogated_store_edit_record(store, uid, FALSE, forget_fingers, GUINT_TO_POINTER(expired), error);
}

GArray *biogated_retention_sweep(BiogatedStore *store, guint retention_days, gint64 now) {
        g_autoptr(GArray) expiries = g_array_new(FALSE, TRUE, sizeof(BiogatedExpiry));
        g_autoptr(GArray) uids = NULL;
        g_autoptr(GError) error = NULL;

        g_array_set_clear_func(expiries, expiry_clear);
        if (retention_days == 0)
                return g_steal_pointer(&expiries);
        uids = biogated_store_list_uids(store, &error);
        if (!uids) {
                BiogatedExpiry e = { .uid = (uid_t) -1, .error = g_steal_pointer(&error) };
                g_array_append_val(expiries, e);
                return g_steal_pointer(&expiries);
        }
        for (guint i = 0; i < uids->len; i++) {
                BiogatedExpiry e = { .uid = g_array_index(uids, guint32, i) };

                if (!sweep_user(store, e.uid, retention_days, now, &e, &e.error) || e.fingers != 0)
                        g_array_append_val(expiries, e);
        }
        return g_steal_pointer(&expiries);
}

static char *finger_list(guint mask) {
        GString *s = g_string_new(NULL);

        BIOGATED_FOREACH_FINGER(f, mask)
                g_string_append_printf(s, "%s%s", s->len ? ", " : "", biogate_finger_to_name(f));
        return g_string_free(s, FALSE);
}

void biogated_retention_log(BiogatedAudit *audit, GArray *expiries, guint retention_days) {
        for (guint i = 0; i < expiries->len; i++) {
                const BiogatedExpiry *e = &g_array_index(expiries, BiogatedExpiry, i);
                g_autofree char *name = NULL, *fingers = NULL;

                if (e->error) {
                        biogated_audit(audit, BIOGATED_AUDIT_RETENTION_PURGE,
                                       &(BiogatedAuditInfo) { .outcome = "error", .uid = e->uid,
                                                              .reason = e->error->message },
                                       "Retention: cannot sweep uid %u: %s", (unsigned) e->uid, e->error->message);
                        continue;
                }
                name = biogated_user_name(e->uid);
                fingers = finger_list(e->fingers);
                biogated_audit(audit, BIOGATED_AUDIT_RETENTION_PURGE,
                               &(BiogatedAuditInfo) { .user = name, .uid = e->uid, .reason = fingers },
                               "Retention: erased %s of %s (uid %u), unused for more than %u days%s", fingers,
                               name ? name : "a user without a passwd entry",
                               (unsigned) e->uid, retention_days,
                               e->user_erased ? "; no fingerprint was left, so the key and record were erased too" : "");
        }
}

typedef struct Schedule {
        BiogatedStore *store;
        BiogatedAudit *audit;
        guint retention_days;
} Schedule;

typedef struct Sweep {
        Schedule *schedule;
        gint64 now;
        GArray *expiries;       /* written on the writer thread, read in done */
} Sweep;

static gboolean sweep_on_writer(gpointer data, GError **error) {
        Sweep *sweep = data;

        sweep->expiries = biogated_retention_sweep(sweep->schedule->store, sweep->schedule->retention_days,
                                                   sweep->now);
        return TRUE;
}

static void on_swept(const GError *error, gpointer user_data) {
        g_autofree Sweep *sweep = user_data;
        g_autoptr(GArray) expiries = sweep->expiries;

        biogated_retention_log(sweep->schedule->audit, expiries, sweep->schedule->retention_days);
}

static gboolean on_sweep_timer(gpointer user_data) {
        Schedule *s = user_data;
        Sweep *sweep = g_new0(Sweep, 1);

        /* On the writer, in order with every other write; a sweep still
         * queued when the daemon exits is done before it goes. */
        *sweep = (Sweep) { .schedule = s, .now = g_get_real_time() / G_USEC_PER_SEC };
        biogated_writer_run(biogated_store_get_writer(s->store), sweep_on_writer, sweep, NULL, on_swept, sweep);
        return G_SOURCE_CONTINUE;
}

guint biogated_retention_start(BiogatedStore *store, BiogatedAudit *audit, guint retention_days) {
        g_autoptr(GArray) expiries = NULL;
        Schedule *s;

        if (retention_days == 0)
                return 0;
        /* At start-up, before anyone can call: on this thread. */
        expiries = biogated_retention_sweep(store, retention_days, g_get_real_time() / G_USEC_PER_SEC);
        biogated_retention_log(audit, expiries, retention_days);
        s = g_new0(Schedule, 1);
        *s = (Schedule) { .store = store, .audit = audit, .retention_days = retention_days };
        return g_timeout_add_seconds_full(G_PRIORITY_LOW, SWEEP_INTERVAL_SECONDS, on_sweep_timer, s, g_free);
}
