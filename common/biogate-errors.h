/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The one error table of biogate: every error has a D-Bus name, an errno
 * equivalent for the sd-bus side and the PAM code pam_biogate.so returns for
 * it. No GLib here: the PAM module links this. */

#include "biogate-error-codes.h"

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
