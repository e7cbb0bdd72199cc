/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* biogatectl's exit statuses, documented in biogatectl(1). */
typedef enum CtlExit {
        CTL_EXIT_SUCCESS     = 0, /* done, or a verified match */
        CTL_EXIT_NO_MATCH    = 1,
        CTL_EXIT_USAGE       = 2,
        CTL_EXIT_PERMISSION  = 3,
        CTL_EXIT_DEVICE      = 4, /* no sensor, sensor error or busy */
        CTL_EXIT_PRINTS      = 5, /* no prints, no such user, invalid finger, already enrolled, duplicate */
        CTL_EXIT_CANCELLED   = 6, /* cancelled or timed out */
        CTL_EXIT_DAEMON      = 7, /* any other error */
        CTL_EXIT_UNREACHABLE = 8, /* daemon or bus not reachable */
} CtlExit;

#define CTL_ERROR_NO_SERVER "org.freedesktop.DBus.Error.NoServer"
#define CTL_ERROR_NO_OWNER  "org.freedesktop.DBus.Error.NameHasNoOwner"

CtlExit ctl_exit_from_error_name(const char *name);

/* The D-Bus error name of @error (errors raised locally by GIO get the
 * nearest D-Bus name) and its message without the "GDBus.Error:" prefix. */
void ctl_error_describe(const GError *error, char **ret_name, char **ret_message);

/* Report an error on stderr, or as {"error":..,"message":..} on stdout with
 * @json, and return the exit status for it. A NULL or empty @message is
 * replaced by the summary from the error table. */
CtlExit ctl_report_error_name(bool json, const char *name, const char *message);
CtlExit ctl_report_error(bool json, const GError *error);

/* The same for an operation on @user's fingerprints (NULL: unknown), whom a
 * LockedOut names: "locked for N more seconds", or "until an administrator
 * unlocks them (biogatectl unlock USER)"; with @json also "retry-after-ms"
 * (a number) or "until-unlocked" (true). */
CtlExit ctl_report_error_name_for(bool json, const char *name, const char *message, const char *user);
CtlExit ctl_report_error_for(bool json, const GError *error, const char *user);

/* A GError that carries D-Bus error @name, as if the daemon had sent it. */
GError *ctl_error_new(const char *name, const char *format, ...) G_GNUC_PRINTF(2, 3);

/* Report a command-line mistake on stderr (always plain text) and return
 * CTL_EXIT_USAGE. @command is NULL for the global options. */
CtlExit ctl_usage_error(const char *command, const char *format, ...) G_GNUC_PRINTF(2, 3);

/* Like ctl_usage_error() for input that parsed but is not valid, such as a
 * transaction the daemon would refuse: the same exit status, but no hint
 * to --help, which would not help. */
CtlExit ctl_input_error(const char *format, ...) G_GNUC_PRINTF(1, 2);
