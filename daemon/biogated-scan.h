/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <fprint.h>
#include <gio/gio.h>

#include "biogated-operation.h"

/* Helpers shared by enrolment and verification. */

/* "retry-scan" progress with the reason named from an FP_DEVICE_RETRY error. */
void biogated_scan_emit_retry(BiogatedOperation *op, const GError *error);

/* Mark the operation as waiting for a touch and tell the owner. */
void biogated_scan_wait_for_finger(BiogatedOperation *op);
/* The same for a match against gallery (FpPrint*), with "fingers" (as): the
 * enrolled fingers the touch can match. */
void biogated_scan_wait_for_match(BiogatedOperation *op, GPtrArray *gallery);

/* {"user": s, "finger": s} for a result. */
GVariant *biogated_scan_result_details(BiogatedOperation *op, BiogateFinger finger);

/* FALSE (and the operation finished with LockedOut and "retry-after-ms")
 * when uid may not try a match now. */
gboolean biogated_scan_check_limits(BiogatedOperation *op, uid_t uid);
