/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

/* At most one log line per interval for something any caller can repeat at
 * will (a refused call): a line each would share journald's rate limit with
 * the audit events, and a flood would make journald drop those. The line
 * that goes out counts the ones left out since the last. Not locked: a
 * limit used from several threads is guarded by its owner. */
typedef struct BiogatedLogLimit {
        gint64 interval_usec;
        gint64 last_logged;     /* monotonic; 0: never */
        guint left_out;
} BiogatedLogLimit;

/* TRUE: log now, and *ret_left_out is how many were left out since the
 * last line. FALSE: counted, not to be logged. */
gboolean biogated_log_limit_pass(BiogatedLogLimit *limit, guint *ret_left_out);
