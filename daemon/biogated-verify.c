/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogate-bus.h"
#include "biogated-error.h"
#include "biogated-limits.h"
#include "biogated-match.h"
#include "biogated-operation.h"
#include "biogated-prints.h"
#include "biogated-privacy.h"
#include "biogated-scan.h"

/* Verification: one touch against every enrolled finger of the user
 * (biogated-match.c), counted against the user's failure limits. */

static void on_matched(BiogatedOperation *op, FpPrint *match, const GError *error, gpointer user_data) {
        const BiogatedOperationTarget *target = biogated_operation_get_target(op);
        BiogatedLimits *limits = biogated_operation_get_limits(op);

        if (error) {
                biogated_operation_finish_error(op, error);
                return;
        }
        biogated_limits_record(limits, target->uid, match != NULL, biogated_operation_get_owner_uid(op),
                               g_get_real_time());
        if (match)
                /* Reported once the finger's last use is on disk (retention). */
                biogated_privacy_finish_match(op, biogated_print_get_finger(match));
        else
                biogated_operation_finish(op, BIOGATE_RESULT_NO_MATCH,
                                          biogated_scan_result_details(op, BIOGATE_FINGER_INVALID));
}

void biogated_verify_run(BiogatedOperation *op) {
        FpDevice *device = biogated_operation_get_device(op);
        const BiogatedOperationTarget *target = biogated_operation_get_target(op);
        g_autoptr(GPtrArray) prints = biogated_prints_filter_compatible(target->prints, device);
        g_autoptr(GError) error = NULL;

        if (prints->len == 0) {
                error = biogated_error_new(BIOGATE_ERROR_NO_ENROLLED_PRINTS,
                                           "No fingerprints are enrolled on this sensor");
                biogated_operation_finish_error(op, error);
                return;
        }
        if (!biogated_scan_check_limits(op, target->uid))
                return;
        biogated_match_run_own(op, prints, on_matched, NULL);
}
