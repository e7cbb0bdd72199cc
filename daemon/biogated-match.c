/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-match.h"

#include "biogated-scan.h"

typedef struct MatchRun {
        BiogatedOperation *op;  /* ref */
        GPtrArray *gallery;     /* ref */
        guint next;             /* sequential mode: the print to try */
        gboolean name_fingers;  /* the gallery is the caller's own: say which fingers */
        BiogatedMatchDone done;
        gpointer user_data;
} MatchRun;

static void match_run_free(MatchRun *run) {
        g_object_unref(run->op);
        g_ptr_array_unref(run->gallery);
        g_free(run);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MatchRun, match_run_free)

static void start_identify(MatchRun *run);
static void start_verify(MatchRun *run);

static void wait_for_finger(MatchRun *run) {
        if (run->name_fingers)
                biogated_scan_wait_for_match(run->op, run->gallery);
        else
                biogated_scan_wait_for_finger(run->op);
}

static void on_identify_done(GObject *source, GAsyncResult *res, gpointer user_data) {
        g_autoptr(MatchRun) run = user_data;
        g_autoptr(GError) error = NULL;
        g_autoptr(FpPrint) match = NULL;

        if (!fp_device_identify_finish(FP_DEVICE(source), res, &match, NULL, &error)) {
                if (error->domain == FP_DEVICE_RETRY) {
                        biogated_scan_emit_retry(run->op, error);
                        start_identify(g_steal_pointer(&run));
                        return;
                }
                run->done(run->op, NULL, error, run->user_data);
                return;
        }
        run->done(run->op, match, NULL, run->user_data);
}

static void start_identify(MatchRun *run) {
        wait_for_finger(run);
        fp_device_identify(biogated_operation_get_device(run->op), run->gallery,
                           biogated_operation_get_cancellable(run->op), NULL, NULL, NULL, on_identify_done, run);
}

static void on_verify_done(GObject *source, GAsyncResult *res, gpointer user_data) {
        g_autoptr(MatchRun) run = user_data;
        g_autoptr(GError) error = NULL;
        gboolean matched = FALSE;

        if (!fp_device_verify_finish(FP_DEVICE(source), res, &matched, NULL, &error)) {
                if (error->domain == FP_DEVICE_RETRY) {
                        biogated_scan_emit_retry(run->op, error);
                        start_verify(g_steal_pointer(&run));
                        return;
                }
                run->done(run->op, NULL, error, run->user_data);
                return;
        }
        if (matched) {
                run->done(run->op, g_ptr_array_index(run->gallery, run->next), NULL, run->user_data);
                return;
        }
        if (++run->next < run->gallery->len) {
                start_verify(g_steal_pointer(&run));
                return;
        }
        run->done(run->op, NULL, NULL, run->user_data);
}

static void start_verify(MatchRun *run) {
        wait_for_finger(run);
        fp_device_verify(biogated_operation_get_device(run->op), g_ptr_array_index(run->gallery, run->next),
                         biogated_operation_get_cancellable(run->op), NULL, NULL, NULL, on_verify_done, run);
}

static void match_run(BiogatedOperation *op, GPtrArray *gallery, gboolean name_fingers, BiogatedMatchDone done,
                      gpointer user_data) {
        MatchRun *run = g_new0(MatchRun, 1);

        g_return_if_fail(gallery->len > 0);
        *run = (MatchRun) { .op = g_object_ref(op), .gallery = g_ptr_array_ref(gallery),
                            .name_fingers = name_fingers, .done = done, .user_data = user_data };
        if (fp_device_has_feature(biogated_operation_get_device(op), FP_DEVICE_FEATURE_IDENTIFY))
                start_identify(run);
        else
                start_verify(run);
}

void biogated_match_run(BiogatedOperation *op, GPtrArray *gallery, BiogatedMatchDone done, gpointer user_data) {
        match_run(op, gallery, FALSE, done, user_data);
}

void biogated_match_run_own(BiogatedOperation *op, GPtrArray *gallery, BiogatedMatchDone done, gpointer user_data) {
        match_run(op, gallery, TRUE, done, user_data);
}
