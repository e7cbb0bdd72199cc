/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogate-errors.h"

#include <errno.h>
#include <security/_pam_types.h>
#include <stddef.h>
#include <string.h>

#define E(code, name, err, pam, text) \
        [code] = { code, "org.biogate1.Error." name, err, pam, text }

/* PAM codes: anything that means "biometrics cannot be used right now" is
 * PAM_AUTHINFO_UNAVAIL, so a "sufficient" stack falls through to the
 * password; only a real no-match is PAM_AUTH_ERR. */
static const BiogateErrorInfo error_table[_BIOGATE_ERROR_MAX] = {
        E(BIOGATE_ERROR_PERMISSION_DENIED,   "PermissionDenied",   EPERM,      PAM_PERM_DENIED,      "Permission denied"),
        E(BIOGATE_ERROR_NO_SUCH_USER,        "NoSuchUser",         ESRCH,      PAM_USER_UNKNOWN,     "No such user"),
        E(BIOGATE_ERROR_NO_SUCH_DEVICE,      "NoSuchDevice",       ENODEV,     PAM_AUTHINFO_UNAVAIL, "No fingerprint sensor available"),
        E(BIOGATE_ERROR_DEVICE_BUSY,         "DeviceBusy",         EBUSY,      PAM_AUTHINFO_UNAVAIL, "The fingerprint sensor is busy"),
        E(BIOGATE_ERROR_DEVICE_ERROR,        "DeviceError",        EIO,        PAM_AUTHINFO_UNAVAIL, "The fingerprint sensor reported an error"),
        E(BIOGATE_ERROR_DEVICE_CANNOT_IDENTIFY, "DeviceCannotIdentify", EOPNOTSUPP, PAM_AUTHINFO_UNAVAIL, "The fingerprint sensor cannot tell users apart, so it cannot do four-eyes approval"),
        E(BIOGATE_ERROR_NO_ENROLLED_PRINTS,  "NoEnrolledPrints",   ENOENT,     PAM_AUTHINFO_UNAVAIL, "No fingerprints are enrolled"),
        E(BIOGATE_ERROR_INVALID_FINGER,      "InvalidFinger",      EINVAL,     PAM_SERVICE_ERR,      "Invalid finger name"),
        E(BIOGATE_ERROR_INVALID_ARGUMENT,    "InvalidArgument",    EINVAL,     PAM_SERVICE_ERR,      "Invalid argument"),
        E(BIOGATE_ERROR_ARGUMENT_TOO_LARGE,  "ArgumentTooLarge",   E2BIG,      PAM_SERVICE_ERR,      "A call's arguments exceed biogated's size limits"),
        E(BIOGATE_ERROR_ALREADY_ENROLLED,    "AlreadyEnrolled",    EEXIST,     PAM_SERVICE_ERR,      "This finger is already enrolled"),
        E(BIOGATE_ERROR_DUPLICATE_PRINT,     "DuplicatePrint",     EEXIST,     PAM_SERVICE_ERR,      "This finger is already enrolled for another user"),
        E(BIOGATE_ERROR_CONSENT_REQUIRED,    "ConsentRequired",    EACCES,     PAM_SERVICE_ERR,      "Explicit consent is required"),
        E(BIOGATE_ERROR_INVALID_TRANSACTION, "InvalidTransaction", EBADMSG,    PAM_SERVICE_ERR,      "Invalid transaction"),
        E(BIOGATE_ERROR_POLICY_DENIED,       "PolicyDenied",       EACCES,     PAM_PERM_DENIED,      "Denied by policy"),
        E(BIOGATE_ERROR_POLICY_UNAVAILABLE,  "PolicyUnavailable",  ENOENT,     PAM_SERVICE_ERR,      "No valid step-up policy is loaded"),
        E(BIOGATE_ERROR_LOCKED_OUT,          "LockedOut",          EUSERS,     PAM_MAXTRIES,         "Too many failed attempts"),
        E(BIOGATE_ERROR_NOT_LOCAL_SESSION,   "NotLocalSession",    EREMOTE,    PAM_AUTHINFO_UNAVAIL, "Not a local, active session"),
        E(BIOGATE_ERROR_CANCELLED,           "Cancelled",          ECANCELED,  PAM_AUTHINFO_UNAVAIL, "Cancelled"),
        E(BIOGATE_ERROR_TIMED_OUT,           "TimedOut",           ETIMEDOUT,  PAM_AUTHINFO_UNAVAIL, "Timed out waiting for a finger"),
        E(BIOGATE_ERROR_STORE_CORRUPTED,     "StoreCorrupted",     EUCLEAN,    PAM_AUTHINFO_UNAVAIL, "A stored fingerprint could not be read"),
        E(BIOGATE_ERROR_STORE_FULL,          "StoreFull",          ENOSPC,     PAM_AUTHINFO_UNAVAIL, "No space left to store fingerprint data"),
        E(BIOGATE_ERROR_INTERNAL,            "Internal",           EPROTO,     PAM_SERVICE_ERR,      "Internal error"),
        E(BIOGATE_ERROR_KEY_MANAGED_EXTERNALLY, "KeyManagedExternally", EROFS, PAM_SERVICE_ERR, "The signing key comes from a systemd credential: rotate the credential"),
        E(BIOGATE_ERROR_NO_AGENT,            "NoAgent",            ENOTCONN,   PAM_AUTHINFO_UNAVAIL, "The rule needs the approval agent, and this session has none"),
        E(BIOGATE_ERROR_CONSENT_NOTICE,      "ConsentNotice",      ENOENT,     PAM_SERVICE_ERR,      "The consent notice could not be loaded; enrolment is refused"),
};

const BiogateErrorInfo *biogate_error_info(BiogateError code) {
        if ((unsigned) code >= _BIOGATE_ERROR_MAX)
                return NULL;
        return &error_table[code];
}

const BiogateErrorInfo *biogate_error_info_from_name(const char *dbus_name) {
        if (!dbus_name)
                return NULL;
        for (size_t i = 0; i < _BIOGATE_ERROR_MAX; i++)
                if (strcmp(error_table[i].dbus_name, dbus_name) == 0)
                        return &error_table[i];
        return NULL;
}

bool biogate_bus_error_is_unreachable(const char *dbus_name) {
        /* A trailing '.' matches the whole family. */
        static const char *const unreachable[] = {
                "org.freedesktop.DBus.Error.ServiceUnknown",
                "org.freedesktop.DBus.Error.NameHasNoOwner",
                "org.freedesktop.DBus.Error.NoServer",
                "org.freedesktop.DBus.Error.NoNetwork",
                "org.freedesktop.DBus.Error.Disconnected",
                "org.freedesktop.DBus.Error.NoReply",
                "org.freedesktop.DBus.Error.Timeout",
                "org.freedesktop.DBus.Error.TimedOut",
                "org.freedesktop.DBus.Error.Spawn.",
                "org.freedesktop.systemd1.",
        };

        if (!dbus_name)
                return false;
        for (size_t i = 0; i < sizeof unreachable / sizeof unreachable[0]; i++) {
                size_t n = strlen(unreachable[i]);

                if (unreachable[i][n - 1] == '.' ? strncmp(unreachable[i], dbus_name, n) == 0
                                                 : strcmp(unreachable[i], dbus_name) == 0)
                        return true;
        }
        return false;
}
