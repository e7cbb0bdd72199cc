/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "biogated-operation.h"

/* fprintd's words for what biogate says: the status strings of
 * VerifyStatus and EnrollStatus, and the error names of
 * net.reactivated.Fprint.Error. Pure functions (unit test:
 * tests/test-fprint-status.c). */

typedef enum BiogatedFprintError {
        BIOGATED_FPRINT_ERROR_CLAIM_DEVICE,
        BIOGATED_FPRINT_ERROR_ALREADY_IN_USE,
        BIOGATED_FPRINT_ERROR_INTERNAL,
        BIOGATED_FPRINT_ERROR_PERMISSION_DENIED,
        BIOGATED_FPRINT_ERROR_NO_ENROLLED_PRINTS,
        BIOGATED_FPRINT_ERROR_FINGER_ALREADY_ENROLLED,
        BIOGATED_FPRINT_ERROR_NO_ACTION_IN_PROGRESS,
        BIOGATED_FPRINT_ERROR_INVALID_FINGERNAME,
        BIOGATED_FPRINT_ERROR_NO_SUCH_DEVICE,
        BIOGATED_FPRINT_ERROR_PRINTS_NOT_DELETED,
        /* biogate's own: fprintd's API carries no consent (EnrollStart). */
        BIOGATED_FPRINT_ERROR_CONSENT_REQUIRED,
        _BIOGATED_FPRINT_ERROR_MAX,
} BiogatedFprintError;

#define BIOGATED_FPRINT_ERROR (biogated_fprint_error_quark())
GQuark biogated_fprint_error_quark(void);

/* The fprintd error for a biogate one (BIOGATE_DBUS_ERROR or anything
 * biogated_error_from_gerror() maps), with its message. */
GError *biogated_fprint_error_from_biogate(const GError *error);

/* The status for a "retry-scan" progress with its "reason" (general,
 * too-short, center-finger, remove-finger; anything else is general). */
const char *biogated_fprint_retry_status(BiogatedOperationKind kind, const char *reason);

/* The status an ended operation reports (done = TRUE), from its result and
 * the "error" of its details (NULL when none); NULL for a cancellation,
 * which fprintd reports to nobody (the client asked for it). */
const char *biogated_fprint_result_status(BiogatedOperationKind kind, const char *result, const char *error_name);
