/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <fprint.h>

#include "biogated-operation.h"

/* One "who is this finger?" step on the operation's sensor: one touch
 * matched against every print in the gallery (one identify pass where the
 * sensor can identify, otherwise one verify per print in turn; libfprint
 * offers no host-side matching of one capture against several prints on
 * verify-only sensors). Retries (a poor scan) prompt again; the operation's
 * cancellable and time-out apply. Verify, and both touches of a step-up,
 * are built on it. */

/* match: the gallery print that matched, NULL for no match; error set when
 * the sensor failed or the operation was cancelled (then match is NULL). */
typedef void (*BiogatedMatchDone)(BiogatedOperation *op, FpPrint *match, const GError *error, gpointer user_data);

/* gallery must be non-empty and compatible with the device. */
void biogated_match_run(BiogatedOperation *op, GPtrArray *gallery, BiogatedMatchDone done, gpointer user_data);
/* The same for a gallery of the operation's own user: each "finger-needed"
 * names the fingers that can match ("fingers", as), so a login prompt can
 * say which one to use. Never for a gallery of other users' prints (the
 * duplicate check, approvers): their fingers are not the caller's business. */
void biogated_match_run_own(BiogatedOperation *op, GPtrArray *gallery, BiogatedMatchDone done, gpointer user_data);
