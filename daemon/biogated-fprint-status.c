/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-fprint-status.h"

#include "biogate-bus.h"
#include "biogated-error.h"

GQuark biogated_fprint_error_quark(void) {
        static gsize quark = 0;
        static const GDBusErrorEntry entries[] = {
                { BIOGATED_FPRINT_ERROR_CLAIM_DEVICE, "net.reactivated.Fprint.Error.ClaimDevice" },
                { BIOGATED_FPRINT_ERROR_ALREADY_IN_USE, "net.reactivated.Fprint.Error.AlreadyInUse" },
                { BIOGATED_FPRINT_ERROR_INTERNAL, "net.reactivated.Fprint.Error.Internal" },
                { BIOGATED_FPRINT_ERROR_PERMISSION_DENIED, "net.reactivated.Fprint.Error.PermissionDenied" },
                { BIOGATED_FPRINT_ERROR_NO_ENROLLED_PRINTS, "net.reactivated.Fprint.Error.NoEnrolledPrints" },
                { BIOGATED_FPRINT_ERROR_FINGER_ALREADY_ENROLLED, "net.reactivated.Fprint.Error.FingerAlreadyEnrolled" },
                { BIOGATED_FPRINT_ERROR_NO_ACTION_IN_PROGRESS, "net.reactivated.Fprint.Error.NoActionInProgress" },
                { BIOGATED_FPRINT_ERROR_INVALID_FINGERNAME, "net.reactivated.Fprint.Error.InvalidFingername" },
                { BIOGATED_FPRINT_ERROR_NO_SUCH_DEVICE, "net.reactivated.Fprint.Error.NoSuchDevice" },
                { BIOGATED_FPRINT_ERROR_PRINTS_NOT_DELETED, "net.reactivated.Fprint.Error.PrintsNotDeleted" },
                { BIOGATED_FPRINT_ERROR_CONSENT_REQUIRED, "net.reactivated.Fprint.Error.ConsentRequired" },
        };
        G_STATIC_ASSERT(G_N_ELEMENTS(entries) == _BIOGATED_FPRINT_ERROR_MAX);

        g_dbus_error_register_error_domain("biogated-fprint-error-quark", &quark, entries, G_N_ELEMENTS(entries));
        return (GQuark) quark;
}

static BiogatedFprintError code_for(BiogateError code) {
        switch (code) {
        case BIOGATE_ERROR_PERMISSION_DENIED:
        case BIOGATE_ERROR_NOT_LOCAL_SESSION:
                return BIOGATED_FPRINT_ERROR_PERMISSION_DENIED;
        case BIOGATE_ERROR_NO_SUCH_DEVICE:
                return BIOGATED_FPRINT_ERROR_NO_SUCH_DEVICE;
        case BIOGATE_ERROR_DEVICE_BUSY:
                return BIOGATED_FPRINT_ERROR_ALREADY_IN_USE;
        case BIOGATE_ERROR_NO_ENROLLED_PRINTS:
                return BIOGATED_FPRINT_ERROR_NO_ENROLLED_PRINTS;
        case BIOGATE_ERROR_INVALID_FINGER:
                return BIOGATED_FPRINT_ERROR_INVALID_FINGERNAME;
        case BIOGATE_ERROR_ALREADY_ENROLLED:
                return BIOGATED_FPRINT_ERROR_FINGER_ALREADY_ENROLLED;
        case BIOGATE_ERROR_CONSENT_REQUIRED:
                return BIOGATED_FPRINT_ERROR_CONSENT_REQUIRED;
        default:
                /* fprintd has no word for the rest (a user that does not
                 * exist, a locked-out user, a damaged store...): Internal,
                 * with biogate's message. */
                return BIOGATED_FPRINT_ERROR_INTERNAL;
        }
}

GError *biogated_fprint_error_from_biogate(const GError *error) {
        g_autoptr(GError) mapped = biogated_error_from_gerror(error);

        return g_error_new_literal(BIOGATED_FPRINT_ERROR, code_for((BiogateError) mapped->code), mapped->message);
}

const char *biogated_fprint_retry_status(BiogatedOperationKind kind, const char *reason) {
        gboolean verify = kind != BIOGATED_OPERATION_ENROLL;

        if (g_strcmp0(reason, "too-short") == 0)
                return verify ? "verify-swipe-too-short" : "enroll-swipe-too-short";
        if (g_strcmp0(reason, "center-finger") == 0)
                return verify ? "verify-finger-not-centered" : "enroll-finger-not-centered";
        if (g_strcmp0(reason, "remove-finger") == 0)
                return verify ? "verify-remove-and-retry" : "enroll-remove-and-retry";
        return verify ? "verify-retry-scan" : "enroll-retry-scan";
}

static gboolean error_is(const char *error_name, BiogateError code) {
        return error_name && g_str_equal(error_name, biogate_error_info(code)->dbus_name);
}

const char *biogated_fprint_result_status(BiogatedOperationKind kind, const char *result, const char *error_name) {
        if (g_str_equal(result, BIOGATE_RESULT_CANCELLED))
                return NULL;
        if (kind == BIOGATED_OPERATION_ENROLL) {
                if (g_str_equal(result, BIOGATE_RESULT_COMPLETED))
                        return "enroll-completed";
                if (error_is(error_name, BIOGATE_ERROR_DUPLICATE_PRINT))
                        return "enroll-duplicate";
                if (error_is(error_name, BIOGATE_ERROR_NO_SUCH_DEVICE))
                        return "enroll-disconnected";
                if (error_is(error_name, BIOGATE_ERROR_STORE_FULL))
                        return "enroll-data-full";
                if (error_is(error_name, BIOGATE_ERROR_DEVICE_ERROR) || error_is(error_name, BIOGATE_ERROR_TIMED_OUT))
                        return "enroll-failed";
                return "enroll-unknown-error";
        }
        if (g_str_equal(result, BIOGATE_RESULT_MATCH))
                return "verify-match";
        if (g_str_equal(result, BIOGATE_RESULT_NO_MATCH))
                return "verify-no-match";
        if (error_is(error_name, BIOGATE_ERROR_NO_SUCH_DEVICE))
                return "verify-disconnected";
        /* Locked out, sensor busy for too long, no finger in time, a
         * sensor error: fprintd has no word for them; the audit event and
         * the daemon's log say which. */
        return "verify-unknown-error";
}
