/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogate-bus.h"
#include "biogated-error.h"
#include "biogated-operation.h"
#include "biogated-prints.h"
#include "biogated-scan.h"

/* Verification matches one touch against every enrolled finger of the
 * user. Sensors that can identify do it in one pass; the rest get one
 * verify per finger in turn (libfprint offers no host-side matching of one
 * capture against several prints on such sensors). */

typedef struct VerifyRun {
        BiogatedOperation *op;  /* ref */
        GPtrArray *prints;      /* compatible FpPrint* */
        guint next;             /* sequential mode: index of the print to try */
} VerifyRun;

static void verify_run_free(VerifyRun *run) {
        g_object_unref(run->op);
        g_ptr_array_unref(run->prints);
        g_free(run);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VerifyRun, verify_run_free)

static void start_identify(VerifyRun *run);
static void start_verify(VerifyRun *run);

/* TRUE when the run goes on (retry); takes ownership of run then. */
static gboolean handle_error(VerifyRun *run, GError *error) {
        if (error->domain == FP_DEVICE_RETRY) {
                biogated_scan_emit_retry(run->op, error);
                return TRUE;
        }
        biogated_operation_finish_error(run->op, error);
        return FALSE;
}

static void on_identify_done(GObject *source, GAsyncResult *res, gpointer user_data) {
        g_autoptr(VerifyRun) run = user_data;
        g_autoptr(GError) error = NULL;
        g_autoptr(FpPrint) match = NULL;

        if (!fp_device_identify_finish(FP_DEVICE(source), res, &match, NULL, &error)) {
                if (handle_error(run, error))
                        start_identify(g_steal_pointer(&run));
                return;
        }
        if (match)
                biogated_operation_finish(run->op, BIOGATE_RESULT_MATCH,
                                          biogated_scan_result_details(run->op, biogated_print_get_finger(match)));
        else
                biogated_operation_finish(run->op, BIOGATE_RESULT_NO_MATCH,
                                          biogated_scan_result_details(run->op, BIOGATE_FINGER_INVALID));
}

static void start_identify(VerifyRun *run) {
        biogated_scan_wait_for_finger(run->op);
        fp_device_identify(biogated_operation_get_device(run->op), run->prints,
                           biogated_operation_get_cancellable(run->op), NULL, NULL, NULL, on_identify_done, run);
}

static void on_verify_done(GObject *source, GAsyncResult *res, gpointer user_data) {
        g_autoptr(VerifyRun) run = user_data;
        g_autoptr(GError) error = NULL;
        gboolean matched = FALSE;
        FpPrint *tried = g_ptr_array_index(run->prints, run->next);

        if (!fp_device_verify_finish(FP_DEVICE(source), res, &matched, NULL, &error)) {
                if (handle_error(run, error))
                        start_verify(g_steal_pointer(&run));
                return;
        }
        if (matched) {
                biogated_operation_finish(run->op, BIOGATE_RESULT_MATCH,
                                          biogated_scan_result_details(run->op, biogated_print_get_finger(tried)));
                return;
        }
        if (++run->next < run->prints->len) {
                start_verify(g_steal_pointer(&run));
                return;
        }
        biogated_operation_finish(run->op, BIOGATE_RESULT_NO_MATCH,
                                  biogated_scan_result_details(run->op, BIOGATE_FINGER_INVALID));
}

static void start_verify(VerifyRun *run) {
        biogated_scan_wait_for_finger(run->op);
        fp_device_verify(biogated_operation_get_device(run->op), g_ptr_array_index(run->prints, run->next),
                         biogated_operation_get_cancellable(run->op), NULL, NULL, NULL, on_verify_done, run);
}

void biogated_verify_run(BiogatedOperation *op) {
        FpDevice *device = biogated_operation_get_device(op);
        const BiogatedOperationTarget *target = biogated_operation_get_target(op);
        g_autoptr(VerifyRun) run = g_new0(VerifyRun, 1);
        g_autoptr(GError) error = NULL;

        run->op = g_object_ref(op);
        run->prints = biogated_prints_filter_compatible(target->prints, device);
        if (run->prints->len == 0) {
                error = biogated_error_new(BIOGATE_ERROR_NO_ENROLLED_PRINTS,
                                           "No fingerprints are enrolled on this sensor");
                biogated_operation_finish_error(op, error);
                return;
        }
        if (fp_device_has_feature(device, FP_DEVICE_FEATURE_IDENTIFY))
                start_identify(g_steal_pointer(&run));
        else
                start_verify(g_steal_pointer(&run));
}
