/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-loglimit.h"

gboolean biogated_log_limit_pass(BiogatedLogLimit *limit, guint *ret_left_out) {
        gint64 now = g_get_monotonic_time();

        if (limit->last_logged != 0 && now - limit->last_logged < limit->interval_usec) {
                limit->left_out++;
                return FALSE;
        }
        *ret_left_out = limit->left_out;
        limit->last_logged = now;
        limit->left_out = 0;
        return TRUE;
}
