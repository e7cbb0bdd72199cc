/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-scan.h"

#include "biogated-args.h"
#include "biogated-limits.h"
#include "biogated-prints.h"

void biogated_scan_emit_retry(BiogatedOperation *op, const GError *error) {
        static const char *const reasons[] = {
                [FP_DEVICE_RETRY_GENERAL] = "general",
                [FP_DEVICE_RETRY_TOO_SHORT] = "too-short",
                [FP_DEVICE_RETRY_CENTER_FINGER] = "center-finger",
                [FP_DEVICE_RETRY_REMOVE_FINGER] = "remove-finger",
        };
        const char *reason = "general";
        GVariantBuilder details;

        if (error->code >= 0 && (gsize) error->code < G_N_ELEMENTS(reasons) && reasons[error->code])
                reason = reasons[error->code];
        g_variant_builder_init(&details, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&details, "{sv}", "reason", g_variant_new_string(reason));
        biogated_operation_emit_progress(op, "retry-scan", g_variant_builder_end(&details));
}

void biogated_scan_wait_for_finger(BiogatedOperation *op) {
        biogated_operation_set_state(op, "waiting-for-finger");
        biogated_operation_emit_progress(op, "finger-needed", NULL);
}

void biogated_scan_wait_for_match(BiogatedOperation *op, GPtrArray *gallery) {
        GVariantBuilder details;
        guint mask = 0;

        /* The fingers that can match this touch, so that a client can name
         * the one to use without a ListFingers round trip of its own. */
        for (guint i = 0; i < gallery->len; i++) {
                BiogateFinger f = biogated_print_get_finger(g_ptr_array_index(gallery, i));
                if (biogate_finger_to_name(f))
                        mask |= 1u << f;
        }
        g_variant_builder_init(&details, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&details, "{sv}", "fingers", biogated_finger_names(mask));
        biogated_operation_set_state(op, "waiting-for-finger");
        biogated_operation_emit_progress(op, "finger-needed", g_variant_builder_end(&details));
}

GVariant *biogated_scan_result_details(BiogatedOperation *op, BiogateFinger finger) {
        const BiogatedOperationTarget *target = biogated_operation_get_target(op);
        GVariantBuilder details;

        g_variant_builder_init(&details, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&details, "{sv}", "user", g_variant_new_string(target->user));
        if (biogate_finger_to_name(finger))
                g_variant_builder_add(&details, "{sv}", "finger", g_variant_new_string(biogate_finger_to_name(finger)));
        return g_variant_builder_end(&details);
}

gboolean biogated_scan_check_limits(BiogatedOperation *op, uid_t uid) {
        BiogatedLimits *limits = biogated_operation_get_limits(op);
        g_autoptr(GError) error = NULL;
        guint64 retry_after_ms = 0;

        if (biogated_limits_check(limits, uid, g_get_real_time(), &retry_after_ms, &error))
                return TRUE;
        biogated_operation_finish_error_details(op, error, "retry-after-ms", g_variant_new_uint64(retry_after_ms));
        return FALSE;
}
