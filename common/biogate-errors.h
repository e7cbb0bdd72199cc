/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* The one error table of biogate: every error has a D-Bus name, an errno
 * equivalent for the sd-bus side and the PAM code pam_biogate.so returns for
 * it. No GLib here: the PAM module links this. */

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
        _BIOGATE_ERROR_MAX,
} BiogateError;

typedef struct BiogateErrorInfo {
        BiogateError code;
        const char *dbus_name;  /* full name, "org.biogate1.Error.DeviceBusy" */
        int errno_value;        /* positive errno */
        int pam_code;           /* PAM_* returned by pam_biogate.so */
        const char *summary;    /* one line for people, no secrets */
} BiogateErrorInfo;

/* NULL for a code out of range. */
const BiogateErrorInfo *biogate_error_info(BiogateError code);

/* NULL when name is not one of ours. */
const BiogateErrorInfo *biogate_error_info_from_name(const char *dbus_name);

/* Whether a bus error says that nobody answered for the daemon: not
 * running, not installed, activation failed, the bus is gone, or the daemon
 * left while the call waited. One list for every client (the PAM module,
 * biogatectl), so they agree on when the daemon is unreachable. */
bool biogate_bus_error_is_unreachable(const char *dbus_name);
