/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "biogated-privacy.h"

#include "biogate-bus.h"
#include "biogated-args.h"
#include "biogated-daemon.h"
#include "biogated-error.h"
#include "biogated-audit.h"
#include "biogated-prints.h"
#include "biogated-record.h"
#include "biogated-retention.h"
#include "biogated-scan.h"

BiogatedConsent *biogated_consent_new(const char *notice_version, uid_t recorded_by) {
        BiogatedConsent *consent = g_new0(BiogatedConsent, 1);

        consent->notice_version = g_strdup(notice_version);
        consent->recorded_by = recorded_by;
        return consent;
}

void biogated_consent_free(BiogatedConsent *consent) {
        if (!consent)
                return;
        g_free(consent->notice_version);
        g_free(consent);
}

/* ---- the notice ---- */

gboolean biogated_privacy_load_notice(BiogatedDaemon *daemon, uid_t caller_uid, gboolean reload, GError **error) {
        g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(BiogatedNotice) notice = NULL;
        g_autoptr(GError) local = NULL;
        g_autofree char *languages = NULL;
        BiogatedConfig config;

        /* The controller's name is part of the notice's words: a reload
         * takes the one biogate.conf says now. The rest of biogate.conf
         * still needs a restart. */
        biogated_config_init(&config);
        if (reload) {
                if (biogated_config_load(&config, daemon->config_path, &local))
                        notice = biogated_notice_load(daemon->consent_notice, daemon->vendor_consent_notice,
                                                      config.controller, warnings, &local);
        } else
                notice = biogated_notice_load(daemon->consent_notice, daemon->vendor_consent_notice,
                                              daemon->config.controller, warnings, &local);
        biogated_config_clear(&config);
        for (guint i = 0; i < warnings->len; i++)
                g_warning("Consent notice: %s", (const char *) warnings->pdata[i]);
        g_clear_pointer(&daemon->notice, biogated_notice_free);
        g_clear_error(&daemon->notice_error);
        if (!notice) {
                biogated_audit(daemon->audit, BIOGATED_AUDIT_NOTICE_REJECTED,
                               &(BiogatedAuditInfo) { .uid = BIOGATED_AUDIT_NO_UID, .caller_uid = caller_uid,
                                                      .reason = local->message },
                               "Consent notice rejected, enrolment refused until one loads: %s", local->message);
                daemon->notice_error = g_error_copy(local);
                g_propagate_error(error, g_steal_pointer(&local));
                return FALSE;
        }
        languages = biogated_notice_describe_languages(notice);
        biogated_audit(daemon->audit, BIOGATED_AUDIT_NOTICE_LOADED,
                       &(BiogatedAuditInfo) { .uid = BIOGATED_AUDIT_NO_UID, .caller_uid = caller_uid,
                                              .reason = biogated_notice_get_version(notice) },
                       "Consent notice version %s loaded from %s (languages: %s)",
                       biogated_notice_get_version(notice), biogated_notice_get_path(notice), languages);
        daemon->notice = g_steal_pointer(&notice);
        return TRUE;
}

const BiogatedNotice *biogated_privacy_get_notice(BiogatedDaemon *daemon, GError **error) {
        if (daemon->notice)
                return daemon->notice;
        g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_CONSENT_NOTICE,
                    "No consent notice is loaded, so nobody can consent to enrolment: %s; an administrator must "
                    "fix it and reload", daemon->notice_error ? daemon->notice_error->message : "not loaded yet");
        return NULL;
}

const char *biogated_privacy_notice_version(BiogatedDaemon *daemon) {
        return daemon->notice ? biogated_notice_get_version(daemon->notice) : NULL;
}

/* ---- standing consent ---- */

gboolean biogated_privacy_standing_consent(BiogatedStore *store, uid_t uid, const char *current_version,
                                           char **ret_notice_version, GError **error) {
        g_autoptr(GVariant) record = biogated_store_read_record(store, uid, error);
        g_autofree char *version = NULL;

        if (!record)
                return FALSE;
        if (!biogated_record_get_standing_consent(record, &version, NULL) ||
            !current_version || !g_str_equal(version, current_version))
                return FALSE;
        if (ret_notice_version)
                *ret_notice_version = g_steal_pointer(&version);
        return TRUE;
}

typedef struct StandingEdit {
        const char *notice_version;     /* NULL: withdraw */
        gint64 now;
        gboolean changed;
} StandingEdit;

static gboolean edit_standing_consent(GVariantDict *record, gpointer user_data) {
        StandingEdit *e = user_data;

        if (e->notice_version)
                biogated_record_set_standing_consent(record, e->notice_version, e->now);
        else if (!biogated_record_clear_standing_consent(record))
                return FALSE;
        e->changed = TRUE;
        return TRUE;
}

gboolean biogated_privacy_write_standing_consent(BiogatedStore *store, uid_t uid, const char *notice_version,
                                                 gint64 now, gboolean *ret_changed, GError **error) {
        StandingEdit e = { .notice_version = notice_version, .now = now };

        /* Consent creates the record on purpose; a withdrawal never does. */
        if (!biogated_store_edit_record(store, uid, notice_version != NULL, edit_standing_consent, &e, error))
                return FALSE;
        if (ret_changed)
                *ret_changed = e.changed;
        return TRUE;
}

/* The standing consent as GetMyData shows it, or NULL for none. */
static GVariant *standing_consent_data(GVariant *record, const char *current_version) {
        g_autofree char *version = NULL;
        GVariantBuilder b;
        gint64 when = 0;

        if (!biogated_record_get_standing_consent(record, &version, &when))
                return NULL;
        g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add(&b, "{sv}", "notice-version", g_variant_new_string(version));
        g_variant_builder_add(&b, "{sv}", "time", g_variant_new_int64(when));
        g_variant_builder_add(&b, "{sv}", "current",
                              g_variant_new_boolean(g_strcmp0(version, current_version) == 0));
        return g_variant_builder_end(&b);
}

/* ---- GetMyData / GetUserData ---- */

GVariant *biogated_privacy_collect_user_data(BiogatedDaemon *daemon, uid_t uid, const char *user, GError **error) {
        g_autoptr(GVariant) record = NULL, consents = NULL;
        g_autoptr(GError) record_error = NULL;
        GVariantBuilder b, enrolled, last_used;
        GVariant *standing;
        guint mask = 0, unusable = 0;
        guint64 retry_ms = 0;

        if (!biogated_store_list_fingers(daemon->store, uid, &mask, error))
                return NULL;
        /* A record that does not open is reported, not hidden behind an
         * error: the user must still see the rest, and erase it all. */
        record = biogated_store_read_record(daemon->store, uid, &record_error);
        if (!record && !g_error_matches(record_error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED)) {
                g_propagate_error(error, g_steal_pointer(&record_error));
                return NULL;
        }
        if (!record)
                record = biogated_record_new_empty();
        consents = biogated_record_get_consents(record);

        g_variant_builder_init(&enrolled, G_VARIANT_TYPE("a{sx}"));
        g_variant_builder_init(&last_used, G_VARIANT_TYPE("a{sx}"));
        BIOGATED_FOREACH_FINGER(f, mask) {
                const char *name = biogate_finger_to_name(f);
                g_autoptr(GBytes) plain = NULL;
                gint64 when = 0, used = 0;

                if (biogated_record_get_times(record, f, &when, &used)) {
                        g_variant_builder_add(&enrolled, "{sx}", name, when);
                        if (used > 0)
                                g_variant_builder_add(&last_used, "{sx}", name, used);
                }
                plain = biogated_store_read_print(daemon->store, uid, f, NULL, NULL, NULL);
                if (!plain)
                        unusable |= 1u << f;
        }

        g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add(&b, "{sv}", "user", g_variant_new_string(user));
        g_variant_builder_add(&b, "{sv}", "uid", g_variant_new_uint32((guint32) uid));
        g_variant_builder_add(&b, "{sv}", "fingers", biogated_finger_names(mask));
        g_variant_builder_add(&b, "{sv}", "enrolled", g_variant_builder_end(&enrolled));
        g_variant_builder_add(&b, "{sv}", "last-used", g_variant_builder_end(&last_used));
        g_variant_builder_add(&b, "{sv}", "unusable", biogated_finger_names(unusable));
        g_variant_builder_add(&b, "{sv}", "consent", consents);
        standing = standing_consent_data(record, biogated_privacy_notice_version(daemon));
        if (standing)
                g_variant_builder_add(&b, "{sv}", "standing-consent", standing);
        if (record_error)
                g_variant_builder_add(&b, "{sv}", "record-unusable", g_variant_new_boolean(TRUE));
        g_variant_builder_add(&b, "{sv}", "retention-days", g_variant_new_uint32(daemon->config.retention_days));
        gboolean locked = !biogated_limits_check(daemon->limits, uid, g_get_real_time(), &retry_ms, NULL);

        g_variant_builder_add(&b, "{sv}", "locked-out", g_variant_new_boolean(locked));
        if (locked && retry_ms > 0)
                g_variant_builder_add(&b, "{sv}", "retry-after-ms", g_variant_new_uint64(retry_ms));
        /* Failed approver touches of the user's four-eyes requests
         * have their own counter (biogated-limits.h). */
        locked = !biogated_limits_check_counter(daemon->limits, BIOGATED_LIMITS_APPROVALS, uid,
                                                g_get_real_time(), &retry_ms, NULL);
        g_variant_builder_add(&b, "{sv}", "approvals-locked-out", g_variant_new_boolean(locked));
        if (locked && retry_ms > 0)
                g_variant_builder_add(&b, "{sv}", "approvals-retry-after-ms", g_variant_new_uint64(retry_ms));
        return g_variant_builder_end(&b);
}

/* ---- EraseUser ---- */

typedef struct EraseJob {
        BiogatedStore *store;
        BiogatedAudit *audit;
        uid_t uid;
        uid_t by;
        char *user;
        BiogatedErasure erasure;
} EraseJob;

static void erase_job_free(EraseJob *job) {
        g_free(job->user);
        g_free(job);
}

static void erase_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable) {
        EraseJob *job = task_data;
        GError *error = NULL;

        if (!biogated_store_erase_user(job->store, job->uid, &job->erasure, &error))
                g_task_return_error(task, error);
        else
                g_task_return_boolean(task, TRUE);
}

void biogated_privacy_erase_user_async(BiogatedStore *store, BiogatedAudit *audit, uid_t uid, const char *user, uid_t by,
                                       GAsyncReadyCallback callback, gpointer user_data) {
        g_autoptr(GTask) task = g_task_new(NULL, NULL, callback, user_data);
        EraseJob *job = g_new0(EraseJob, 1);

        *job = (EraseJob) {
                .store = store,
                .audit = audit,
                .uid = uid,
                .by = by,
                .user = g_strdup(user),
        };
        g_task_set_task_data(task, job, (GDestroyNotify) erase_job_free);
        /* fsync after fsync: not on the main loop. */
        biogated_store_run_in_thread(store, task, erase_thread);
}

GVariant *biogated_privacy_erase_user_finish(GAsyncResult *res, GError **error) {
        EraseJob *job = g_task_get_task_data(G_TASK(res));
        const BiogatedErasure *e = &job->erasure;
        g_autoptr(GError) local_error = NULL;
        g_autoptr(GVariant) erased_fingers = NULL;
        g_autofree char *fingers = NULL;
        GVariantBuilder b;

        if (!g_task_propagate_boolean(G_TASK(res), &local_error)) {
                biogated_audit(job->audit, BIOGATED_AUDIT_ERASE,
                               &(BiogatedAuditInfo) { .outcome = "error", .user = job->user, .uid = job->uid,
                                                      .caller_uid = job->by, .reason = local_error->message },
                               "Erasing %s (uid %u) at the request of uid %u failed: %s", job->user,
                               (unsigned) job->uid, (unsigned) job->by, local_error->message);
                g_propagate_error(error, g_steal_pointer(&local_error));
                return NULL;
        }
        erased_fingers = g_variant_ref_sink(biogated_finger_names(e->fingers));
        fingers = g_variant_print(erased_fingers, FALSE);
        if (e->fingers == 0 && !e->key && !e->record && e->files == 0)
                /* Nothing changed, and any user may ask again at once
                 * (about 340 a second): within the per-caller limit. */
                biogated_audit_refusal(job->audit, BIOGATED_AUDIT_ERASE,
                                       &(BiogatedAuditInfo) { .user = job->user, .uid = job->uid,
                                                              .caller_uid = job->by,
                                                              .reason = BIOGATED_AUDIT_NOTHING_TO_ERASE },
                                       "Nothing to erase for %s (uid %u) at the request of uid %u", job->user,
                                       (unsigned) job->uid, (unsigned) job->by);
        else
                /* What was erased, never what it was. */
                biogated_audit(job->audit, BIOGATED_AUDIT_ERASE,
                               &(BiogatedAuditInfo) { .user = job->user, .uid = job->uid, .caller_uid = job->by },
                               "Erased %s (uid %u) at the request of uid %u: fingers %s, key %s, record %s, %u files",
                               job->user, (unsigned) job->uid, (unsigned) job->by, fingers,
                               e->key ? "destroyed" : "none", e->record ? "removed" : "none", e->files);

        g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add(&b, "{sv}", "user", g_variant_new_string(job->user));
        g_variant_builder_add(&b, "{sv}", "uid", g_variant_new_uint32((guint32) job->uid));
        g_variant_builder_add(&b, "{sv}", "fingers", erased_fingers);
        g_variant_builder_add(&b, "{sv}", "key", g_variant_new_boolean(e->key));
        g_variant_builder_add(&b, "{sv}", "record", g_variant_new_boolean(e->record));
        g_variant_builder_add(&b, "{sv}", "files", g_variant_new_uint32(e->files));
        return g_variant_builder_end(&b);
}

/* ---- start-up ---- */

static void report_sealed(uid_t uid, BiogateFinger finger, const GError *error, gpointer user_data) {
        BiogatedAudit *audit = user_data;

        if (error) {
                biogated_audit(audit, BIOGATED_AUDIT_STORE_REJECTED,
                               &(BiogatedAuditInfo) { .uid = uid, .reason = error->message },
                               "Cannot seal the plain template %s of uid %u; it stays unusable: %s",
                               biogate_finger_to_name(finger), (unsigned) uid, error->message);
                return;
        }
        g_message("Sealed the plain template %s of uid %u", biogate_finger_to_name(finger), (unsigned) uid);
}

static void report_stray(uid_t uid, const char *name, const char *what, gpointer user_data) {
        BiogatedAudit *audit = user_data;
        g_autofree char *reason = g_strdup_printf("%s; not followed", what);

        if (name)
                biogated_audit(audit, BIOGATED_AUDIT_STORE_REJECTED, &(BiogatedAuditInfo) { .uid = uid, .reason = reason },
                               "Ignoring prints/%u/%s of the state directory: %s", (unsigned) uid, name, reason);
        else
                biogated_audit(audit, BIOGATED_AUDIT_STORE_REJECTED, &(BiogatedAuditInfo) { .uid = uid, .reason = reason },
                               "Ignoring prints/%u of the state directory: %s; the prints of uid %u are unusable "
                               "until it is removed", (unsigned) uid, reason, (unsigned) uid);
}

void biogated_privacy_start(BiogatedDaemon *daemon) {
        BiogatedStore *store = daemon->store;
        g_autoptr(GArray) erased = NULL;
        g_autoptr(GError) error = NULL;
        int r;

        switch (biogated_store_get_key_origin(store)) {
        case BIOGATED_KEY_CREATED:
                biogated_audit(daemon->audit, BIOGATED_AUDIT_KEY_CREATED,
                               &(BiogatedAuditInfo) { .uid = BIOGATED_AUDIT_NO_UID, .reason = "master key" },
                               "Created a new master key in private/" BIOGATED_MASTER_KEY_FILE
                               " of the state directory; every template is sealed under it. Provide the credential "
                               BIOGATED_MASTER_KEY_CREDENTIAL " to keep it out of the file system (see biogated(8))");
                break;
        case BIOGATED_KEY_FROM_CREDENTIAL:
                g_message("Master key from the credential " BIOGATED_MASTER_KEY_CREDENTIAL);
                break;
        case BIOGATED_KEY_FROM_FILE:
                g_debug("Master key from private/" BIOGATED_MASTER_KEY_FILE);
                break;
        }

        r = biogated_store_check_master_key(store, &error);
        if (r < 0) {
                biogated_audit(daemon->audit, BIOGATED_AUDIT_STORE_REJECTED,
                               &(BiogatedAuditInfo) { .uid = BIOGATED_AUDIT_NO_UID, .reason = error->message },
                               "%s. No stored template opens until that key is back; users can be erased and "
                               "enrol again", error->message);
                g_clear_error(&error);
        } else if (r == 0) {
                /* First start with sealing: templates of an older biogated
                 * are plain files. Seal them, once. */
                biogated_prints_seal_plain(store, g_get_real_time() / G_USEC_PER_SEC, report_sealed, daemon->audit);
                if (!biogated_store_mark_sealed(store, &error)) {
                        g_warning("Cannot mark the store as sealed: %s", error->message);
                        g_clear_error(&error);
                }
        }

        /* A symlink planted where a template belongs is never followed and
         * never listed: without this it would go unnoticed. */
        biogated_store_find_strays(store, report_stray, daemon->audit);

        erased = biogated_store_finish_erasures(store, &error);
        if (!erased)
                g_warning("Cannot finish interrupted erasures: %s", error->message);
        for (guint i = 0; erased && i < erased->len; i++) {
                uid_t uid = g_array_index(erased, guint32, i);
                biogated_audit(daemon->audit, BIOGATED_AUDIT_ERASE,
                               &(BiogatedAuditInfo) { .uid = uid, .reason = "an interrupted erasure finished" },
                               "Removed the leftover files of uid %u, whose key is gone (an erasure that was "
                               "interrupted)", (unsigned) uid);
        }

        daemon->retention_id = biogated_retention_start(store, daemon->audit, daemon->config.retention_days);
}

/* ---- last use ---- */

typedef struct UseArgs {
        BiogateFinger finger;
        gint64 now;
} UseArgs;

static gboolean set_last_used(GVariantDict *record, gpointer user_data) {
        const UseArgs *args = user_data;

        return biogated_record_set_last_used(record, args->finger, args->now);
}

gboolean biogated_privacy_record_use(BiogatedStore *store, uid_t uid, BiogateFinger finger, gint64 now,
                                     GError **error) {
        /* The day (UTC) is all retention needs. The time of day would make
         * the record a log of when someone logs in, and a write (two
         * fsyncs) on every match; this way, at most one a day. */
        UseArgs args = { .finger = finger, .now = now - now % 86400 };

        return biogated_store_edit_record(store, uid, FALSE, set_last_used, &args, error);
}

typedef struct UseJob {
        BiogateFinger finger;
        gint64 now;             /* Unix s */
} UseJob;

static void record_use_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable) {
        BiogatedOperation *op = source;
        const UseJob *job = task_data;
        BiogatedStore *store = biogated_operation_get_store(op);
        uid_t uid = biogated_operation_get_target(op)->uid;
        GError *error = NULL;

        if (!biogated_privacy_record_use(store, uid, job->finger, job->now, &error)) {
                g_task_return_error(task, error);
                return;
        }
        biogated_store_note_use_day(store, uid, job->finger, job->now - job->now % 86400);
        g_task_return_boolean(task, TRUE);
}

/* Logs a failed record update (the match itself stands) and returns the
 * finger it was about. */
static BiogateFinger check_use_recorded(GObject *source, GAsyncResult *res) {
        BiogatedOperation *op = BIOGATED_OPERATION(source);
        const UseJob *job = g_task_get_task_data(G_TASK(res));
        g_autoptr(GError) error = NULL;

        if (!g_task_propagate_boolean(G_TASK(res), &error))
                g_warning("Cannot record the use of %s of uid %u: %s", biogate_finger_to_name(job->finger),
                          (unsigned) biogated_operation_get_target(op)->uid, error->message);
        return job->finger;
}

static void on_use_recorded(GObject *source, GAsyncResult *res, gpointer user_data) {
        BiogatedOperation *op = BIOGATED_OPERATION(source);
        BiogateFinger finger = check_use_recorded(source, res);

        biogated_operation_finish(op, BIOGATE_RESULT_MATCH, biogated_scan_result_details(op, finger));
}

static void on_use_noted(GObject *source, GAsyncResult *res, gpointer user_data) {
        (void) check_use_recorded(source, res);
}

static void record_use_async(BiogatedOperation *op, BiogateFinger finger, GAsyncReadyCallback done) {
        g_autoptr(GTask) task = g_task_new(op, NULL, done, NULL);
        BiogatedStore *store = biogated_operation_get_store(op);
        UseJob *job = g_new(UseJob, 1);

        *job = (UseJob) { .finger = finger, .now = g_get_real_time() / G_USEC_PER_SEC };
        g_task_set_task_data(task, job, g_free);
        /* The record has this day already (this daemon wrote or found it
         * there since the user's files last changed): nothing to read,
         * unseal or write, and the login does not wait for the writer. */
        if (biogated_store_has_use_day(store, biogated_operation_get_target(op)->uid, finger,
                                       job->now - job->now % 86400)) {
                g_task_return_boolean(task, TRUE);
                return;
        }
        biogated_store_run_in_thread(store, task, record_use_thread);
}

void biogated_privacy_finish_match(BiogatedOperation *op, BiogateFinger finger) {
        record_use_async(op, finger, on_use_recorded);
}

void biogated_privacy_note_use(BiogatedOperation *op, BiogateFinger finger) {
        record_use_async(op, finger, on_use_noted);
}
