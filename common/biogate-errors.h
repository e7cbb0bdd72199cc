/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

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

/* Whether a bus error says that nobody answered for the daemon: not
 * running, not installed, activation failed, the bus is gone, or the daemon
 * left while the call waited. One list for every client (the PAM module,
 * biogatectl), so they agree on when the daemon is unreachable. */
bool biogate_bus_error_is_unreachable(const char *dbus_name);
