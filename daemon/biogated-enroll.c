/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogate-bus.h"
#include "biogated-audit.h"
#include "biogated-daemon.h"
#include "biogated-error.h"
#include "biogated-operation.h"
#include "biogated-match.h"
#include "biogated-prints.h"
#include "biogated-privacy.h"
#include "biogated-record.h"
#include "biogated-scan.h"

/* Enrolment: the sensor's enrolment stages; then, where the sensor can
 * identify and other users have prints, one more touch proves this finger
 * is not someone else's; then the consent and the print go to the store
 * (in a worker thread: each write ends in fsync).
 *
 * The check comes after the stages, against the other users' prints and the
 * one just enrolled: the touch must match the new print and no one else's.
 * A check before the stages could be passed with one finger and the stages
 * done with another (one already enrolled for someone else): then one
 * person holds one finger under two users and can approve their own
 * four-eyes step-ups. */

typedef struct EnrollRun {
        BiogatedOperation *op;  /* ref */
        GPtrArray *others;      /* compatible prints of other users */
        FpPrint *enrolled;      /* the new print, while it is being checked */
        guint stages;
} EnrollRun;

static void enroll_run_free(EnrollRun *run) {
        g_object_unref(run->op);
        g_ptr_array_unref(run->others);
        g_clear_object(&run->enrolled);
        g_free(run);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EnrollRun, enroll_run_free)

typedef struct StoreWrite {
        uid_t uid;
        BiogateFinger finger;
        char *driver;
        char *device_id;
        GBytes *data;
        const BiogatedConsent *consent; /* the operation's, which outlives the write */
        gint64 now;
        gboolean withdrawn;             /* the standing consent was gone at the write */
} StoreWrite;

static void store_write_free(StoreWrite *w) {
        g_free(w->driver);
        g_free(w->device_id);
        g_bytes_unref(w->data);
        g_free(w);
}

static gboolean record_consent(GVariantDict *record, gpointer user_data) {
        StoreWrite *w = user_data;

        /* Checked under the store's write lock, which WithdrawConsent's
         * edit takes too: either it comes after this template, or no
         * template. */
        if (w->consent->standing && !biogated_record_has_standing_consent_to(record, w->consent->notice_version)) {
                w->withdrawn = TRUE;
                return FALSE;
        }

        biogated_record_add_consent(record, w->now, w->consent->notice_version, w->finger, w->consent->recorded_by);
        biogated_record_set_enrolled(record, w->finger, w->now);
        return TRUE;
}

static void start_duplicate_check(EnrollRun *run);
static void start_enroll(EnrollRun *run);

static void write_print_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable) {
        StoreWrite *w = task_data;
        BiogatedOperation *op = source;
        BiogatedStore *store = biogated_operation_get_store(op);
        GError *error = NULL;

        /* No consent, no template, whoever started the operation. */
        if (!w->consent) {
                g_task_return_new_error(task, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_CONSENT_REQUIRED,
                                        "Enrolment without recorded consent");
                return;
        }
        /* Consent first: a crash in between leaves a consent without a
         * template (an enrolment that did not finish), never a template
         * without its consent. */
        if (!biogated_store_edit_record(store, w->uid, TRUE, record_consent, w, &error) ||
            (!w->withdrawn &&
             !biogated_store_write_print(store, w->uid, w->finger, w->driver, w->device_id, w->data, &error)))
                g_task_return_error(task, error);
        else if (w->withdrawn)
                g_task_return_new_error(task, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_CONSENT_REQUIRED,
                                        "The standing consent was withdrawn during the enrolment; nothing was stored");
        else
                g_task_return_boolean(task, TRUE);
}

static void on_print_written(GObject *source, GAsyncResult *res, gpointer user_data) {
        BiogatedOperation *op = BIOGATED_OPERATION(source);
        const BiogatedOperationTarget *target = biogated_operation_get_target(op);
        const BiogatedConsent *consent = target->kind_data; /* checked in the write */
        g_autoptr(GError) error = NULL;

        if (!g_task_propagate_boolean(G_TASK(res), &error)) {
                biogated_operation_finish_error(op, error);
                return;
        }
        biogated_audit(biogated_operation_get_audit(op), BIOGATED_AUDIT_CONSENT,
                       &(BiogatedAuditInfo) { .user = target->user, .uid = target->uid,
                                              .caller_uid = consent->recorded_by,
                                              .reason = consent->notice_version },
                       "Consent of %s (uid %u) to notice version %s recorded with the enrolment of %s, asked by uid %u",
                       target->user, (unsigned) target->uid, consent->notice_version,
                       biogate_finger_to_name(target->finger), (unsigned) consent->recorded_by);
        biogated_operation_finish(op, BIOGATE_RESULT_COMPLETED, biogated_scan_result_details(op, target->finger));
}

static gboolean needs_duplicate_check(EnrollRun *run) {
        FpDevice *device = biogated_operation_get_device(run->op);

        /* Sensors that check duplicates themselves fail the enrolment with
         * FP_DEVICE_ERROR_DATA_DUPLICATE; do not make the user touch again.
         * A verify-only sensor cannot check with one touch: four-eyes rules
         * are refused on it instead (biogated-authorize.c). */
        return run->others->len > 0 && fp_device_has_feature(device, FP_DEVICE_FEATURE_IDENTIFY) &&
               !fp_device_has_feature(device, FP_DEVICE_FEATURE_DUPLICATES_CHECK);
}

static void store_print(EnrollRun *run, FpPrint *print) {
        const BiogatedOperationTarget *target = biogated_operation_get_target(run->op);
        g_autoptr(GError) error = NULL;
        g_autoptr(GTask) task = NULL;
        StoreWrite *w;
        GBytes *data;

        data = biogated_print_serialize(print, &error);
        if (!data) {
                biogated_operation_finish_error(run->op, error);
                return;
        }
        biogated_operation_set_state(run->op, "scanning");
        w = g_new0(StoreWrite, 1);
        *w = (StoreWrite) {
                .uid = target->uid,
                .finger = target->finger,
                .driver = g_strdup(fp_print_get_driver(print)),
                .device_id = g_strdup(fp_print_get_device_id(print)),
                .data = data,
                .consent = target->kind_data,
                .now = g_get_real_time() / G_USEC_PER_SEC,
        };
        task = g_task_new(run->op, NULL, on_print_written, NULL);
        g_task_set_task_data(task, w, (GDestroyNotify) store_write_free);
        biogated_store_run_in_thread(biogated_operation_get_store(run->op), task, write_print_thread);
}

static void on_enroll_done(GObject *source, GAsyncResult *res, gpointer user_data) {
        g_autoptr(EnrollRun) run = user_data;
        const BiogatedOperationTarget *target = biogated_operation_get_target(run->op);
        g_autoptr(GError) error = NULL;
        g_autoptr(FpPrint) print = NULL;

        print = fp_device_enroll_finish(FP_DEVICE(source), res, &error);
        if (!print) {
                biogated_operation_finish_error(run->op, error);
                return;
        }
        biogated_print_set_owner(print, target->uid, target->finger);
        if (needs_duplicate_check(run)) {
                run->enrolled = g_steal_pointer(&print);
                start_duplicate_check(g_steal_pointer(&run));
                return;
        }
        store_print(run, print);
}

static void on_enroll_progress(FpDevice *device, gint completed, FpPrint *print, gpointer user_data, GError *error) {
        EnrollRun *run = user_data;
        GVariantBuilder details;

        if (error) {
                biogated_scan_emit_retry(run->op, error);
                biogated_scan_wait_for_finger(run->op);
                return;
        }
        biogated_operation_set_stage(run->op, (guint) completed, run->stages);
        biogated_operation_touch_timeout(run->op);
        g_variant_builder_init(&details, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&details, "{sv}", "stage", g_variant_new_uint32((guint) completed));
        g_variant_builder_add(&details, "{sv}", "stages", g_variant_new_uint32(run->stages));
        biogated_operation_emit_progress(run->op, "stage-passed", g_variant_builder_end(&details));
        if ((guint) completed < run->stages)
                biogated_scan_wait_for_finger(run->op);
}

static void start_enroll(EnrollRun *run) {
        FpDevice *device = biogated_operation_get_device(run->op);
        const BiogatedOperationTarget *target = biogated_operation_get_target(run->op);
        FpPrint *template = fp_print_new(device);
        g_autoptr(GDate) today = g_date_new();

        biogated_print_set_owner(template, target->uid, target->finger);
        g_date_set_time_t(today, time(NULL));
        fp_print_set_enroll_date(template, today);
        run->stages = (guint) MAX(fp_device_get_nr_enroll_stages(device), 1);
        biogated_operation_set_stage(run->op, 0, run->stages);
        biogated_scan_wait_for_finger(run->op);
        /* The progress callback borrows run; on_enroll_done owns it and
         * libfprint calls progress only before completion. */
        fp_device_enroll(device, template, biogated_operation_get_cancellable(run->op),
                         on_enroll_progress, run, NULL, on_enroll_done, run);
}

/* The one-touch identification is biogated-match.c's; only the verdict
 * is enrolment's own. The gallery is the other users' prints, then the new
 * one: identify reports the first print that matches, so a finger that is
 * someone else's is found even though it matches the new print too. */
static void on_duplicate_checked(BiogatedOperation *op, FpPrint *match, const GError *error, gpointer user_data) {
        g_autoptr(EnrollRun) run = user_data;
        g_autoptr(GError) duplicate = NULL;

        if (error) {
                biogated_operation_finish_error(op, error);
                return;
        }
        if (match == run->enrolled) {
                g_autoptr(FpPrint) print = g_steal_pointer(&run->enrolled);
                store_print(run, print);
                return;
        }
        if (match) {
                /* Whose print it is stays private to the daemon's log. */
                uid_t other = 0;
                (void) biogated_print_get_uid(match, &other);
                g_message("Enrolment refused: the finger matches a print of uid %u", (unsigned) other);
                duplicate = biogated_error_new(BIOGATE_ERROR_DUPLICATE_PRINT,
                                               "This finger is already enrolled for another user");
                biogated_operation_finish_error(op, duplicate);
                return;
        }
        /* Neither the finger just enrolled nor anyone's: a poor scan, or
         * another finger. Ask again; the operation's time-out is not
         * renewed, so this ends (TimedOut) unless the enrolled finger comes. */
        biogated_operation_emit_progress(op, "retry-scan",
                                         g_variant_new_parsed("{'reason': <'general'>}"));
        start_duplicate_check(g_steal_pointer(&run));
}

static void start_duplicate_check(EnrollRun *run) {
        g_autoptr(GPtrArray) gallery = g_ptr_array_new_with_free_func(g_object_unref);

        for (guint i = 0; i < run->others->len; i++)
                g_ptr_array_add(gallery, g_object_ref(g_ptr_array_index(run->others, i)));
        g_ptr_array_add(gallery, g_object_ref(run->enrolled));
        biogated_operation_emit_progress(run->op, "checking-duplicates", NULL);
        biogated_match_run(run->op, gallery, on_duplicate_checked, run);
}

void biogated_enroll_run(BiogatedOperation *op) {
        FpDevice *device = biogated_operation_get_device(op);
        const BiogatedOperationTarget *target = biogated_operation_get_target(op);
        g_autoptr(EnrollRun) run = g_new0(EnrollRun, 1);

        run->op = g_object_ref(op);
        run->others = biogated_prints_filter_compatible(target->prints, device);
        start_enroll(g_steal_pointer(&run));
}
