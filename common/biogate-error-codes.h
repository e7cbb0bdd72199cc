/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The codes of biogate's one error table (common/biogate-errors.c), apart
 * so that libbiogate can install them as its public GError codes: the daemon,
 * the PAM module, biogatectl and libbiogate's users all see the same numbers.
 * Installed as <biogate-1/biogate-error-codes.h>: append only, never reorder, and
 * keep _BIOGATE_ERROR_MAX one past the last. */

/**
 * BiogateError:
 * @BIOGATE_ERROR_PERMISSION_DENIED: org.biogate1.Error.PermissionDenied
 * @BIOGATE_ERROR_NO_SUCH_USER: org.biogate1.Error.NoSuchUser
 * @BIOGATE_ERROR_NO_SUCH_DEVICE: org.biogate1.Error.NoSuchDevice
 * @BIOGATE_ERROR_DEVICE_BUSY: org.biogate1.Error.DeviceBusy
 * @BIOGATE_ERROR_DEVICE_ERROR: org.biogate1.Error.DeviceError
 * @BIOGATE_ERROR_DEVICE_CANNOT_IDENTIFY: org.biogate1.Error.DeviceCannotIdentify
 * @BIOGATE_ERROR_NO_ENROLLED_PRINTS: org.biogate1.Error.NoEnrolledPrints
 * @BIOGATE_ERROR_INVALID_FINGER: org.biogate1.Error.InvalidFinger
 * @BIOGATE_ERROR_INVALID_ARGUMENT: org.biogate1.Error.InvalidArgument
 * @BIOGATE_ERROR_ARGUMENT_TOO_LARGE: org.biogate1.Error.ArgumentTooLarge
 * @BIOGATE_ERROR_ALREADY_ENROLLED: org.biogate1.Error.AlreadyEnrolled
 * @BIOGATE_ERROR_DUPLICATE_PRINT: org.biogate1.Error.DuplicatePrint
 * @BIOGATE_ERROR_CONSENT_REQUIRED: org.biogate1.Error.ConsentRequired
 * @BIOGATE_ERROR_INVALID_TRANSACTION: org.biogate1.Error.InvalidTransaction
 * @BIOGATE_ERROR_POLICY_DENIED: org.biogate1.Error.PolicyDenied
 * @BIOGATE_ERROR_POLICY_UNAVAILABLE: org.biogate1.Error.PolicyUnavailable
 * @BIOGATE_ERROR_LOCKED_OUT: org.biogate1.Error.LockedOut
 * @BIOGATE_ERROR_NOT_LOCAL_SESSION: org.biogate1.Error.NotLocalSession
 * @BIOGATE_ERROR_CANCELLED: org.biogate1.Error.Cancelled
 * @BIOGATE_ERROR_TIMED_OUT: org.biogate1.Error.TimedOut
 * @BIOGATE_ERROR_STORE_CORRUPTED: org.biogate1.Error.StoreCorrupted
 * @BIOGATE_ERROR_STORE_FULL: org.biogate1.Error.StoreFull
 * @BIOGATE_ERROR_INTERNAL: org.biogate1.Error.Internal
 * @BIOGATE_ERROR_KEY_MANAGED_EXTERNALLY: org.biogate1.Error.KeyManagedExternally
 * @BIOGATE_ERROR_NO_AGENT: org.biogate1.Error.NoAgent
 * @BIOGATE_ERROR_CONSENT_NOTICE: org.biogate1.Error.ConsentNotice
 *
 * The errors biogated reports, each with its D-Bus name. In libbiogate they
 * are the codes of the %BIOGATE_ERROR domain.
 */
typedef enum BiogateError {
        BIOGATE_ERROR_PERMISSION_DENIED,
        BIOGATE_ERROR_NO_SUCH_USER,
        BIOGATE_ERROR_NO_SUCH_DEVICE,
        BIOGATE_ERROR_DEVICE_BUSY,
        BIOGATE_ERROR_DEVICE_ERROR,
        BIOGATE_ERROR_DEVICE_CANNOT_IDENTIFY,
        BIOGATE_ERROR_NO_ENROLLED_PRINTS,
        BIOGATE_ERROR_INVALID_FINGER,
        BIOGATE_ERROR_INVALID_ARGUMENT,
        BIOGATE_ERROR_ARGUMENT_TOO_LARGE,
        BIOGATE_ERROR_ALREADY_ENROLLED,
        BIOGATE_ERROR_DUPLICATE_PRINT,
        BIOGATE_ERROR_CONSENT_REQUIRED,
        BIOGATE_ERROR_INVALID_TRANSACTION,
        BIOGATE_ERROR_POLICY_DENIED,
        BIOGATE_ERROR_POLICY_UNAVAILABLE,
        BIOGATE_ERROR_LOCKED_OUT,
        BIOGATE_ERROR_NOT_LOCAL_SESSION,
        BIOGATE_ERROR_CANCELLED,
        BIOGATE_ERROR_TIMED_OUT,
        BIOGATE_ERROR_STORE_CORRUPTED,
        BIOGATE_ERROR_STORE_FULL,
        BIOGATE_ERROR_INTERNAL,
        BIOGATE_ERROR_KEY_MANAGED_EXTERNALLY,
        BIOGATE_ERROR_NO_AGENT,
        BIOGATE_ERROR_CONSENT_NOTICE,
} BiogateError;

/* The number of codes; not a member, so that the installed enumeration
 * holds only errors (GObject introspection names them Biogate.Error.X). */
#define _BIOGATE_ERROR_MAX (BIOGATE_ERROR_CONSENT_NOTICE + 1)
