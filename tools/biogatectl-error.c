/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogatectl-error.h"

#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

#include "biogate-bus.h"
#include "biogate-errors.h"
#include "biogate-i18n.h"
#include "biogatectl-output.h"

/* The one table from D-Bus error names to exit statuses; first match wins.
 * A name ending in '.' matches every name with that prefix. */
static const struct {
        const char *name;
        CtlExit exit_status;
} exit_table[] = {
        { BIOGATE_ERROR_PREFIX "PermissionDenied",                      CTL_EXIT_PERMISSION },
        { "org.freedesktop.DBus.Error.AccessDenied",                    CTL_EXIT_PERMISSION },
        { "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired", CTL_EXIT_PERMISSION },

        { BIOGATE_ERROR_PREFIX "NoSuchDevice",                          CTL_EXIT_DEVICE },
        { BIOGATE_ERROR_PREFIX "DeviceError",                           CTL_EXIT_DEVICE },
        { BIOGATE_ERROR_PREFIX "DeviceBusy",                            CTL_EXIT_DEVICE },
        { BIOGATE_ERROR_PREFIX "DeviceCannotIdentify",                  CTL_EXIT_DEVICE },

        { BIOGATE_ERROR_PREFIX "NoEnrolledPrints",                      CTL_EXIT_PRINTS },
        { BIOGATE_ERROR_PREFIX "NoSuchUser",                            CTL_EXIT_PRINTS },
        { BIOGATE_ERROR_PREFIX "AlreadyEnrolled",                       CTL_EXIT_PRINTS },
        { BIOGATE_ERROR_PREFIX "DuplicatePrint",                        CTL_EXIT_PRINTS },
        { BIOGATE_ERROR_PREFIX "InvalidFinger",                         CTL_EXIT_PRINTS },

        /* Step-up refusals: the request was understood and said no. */
        { BIOGATE_ERROR_PREFIX "PolicyDenied",                          CTL_EXIT_PERMISSION },
        { BIOGATE_ERROR_PREFIX "NotLocalSession",                       CTL_EXIT_PERMISSION },
        /* display=agent and no biogate-agent in the caller's session. */
        { BIOGATE_ERROR_PREFIX "NoAgent",                               CTL_EXIT_PERMISSION },
        { BIOGATE_ERROR_PREFIX "LockedOut",                             CTL_EXIT_PERMISSION },
        /* No consent, no enrolment. */
        { BIOGATE_ERROR_PREFIX "ConsentRequired",                       CTL_EXIT_PERMISSION },

        { BIOGATE_ERROR_PREFIX "Cancelled",                             CTL_EXIT_CANCELLED },
        { BIOGATE_ERROR_PREFIX "TimedOut",                              CTL_EXIT_CANCELLED },

        /* Every other error of ours is a daemon error... */
        { BIOGATE_ERROR_PREFIX,                                         CTL_EXIT_DAEMON },

        /* ...and biogate_bus_error_is_unreachable()'s say nobody answered. */
};

static bool name_matches(const char *pattern, const char *name) {
        size_t n = strlen(pattern);

        if (n > 0 && pattern[n - 1] == '.')
                return strncmp(pattern, name, n) == 0;
        return strcmp(pattern, name) == 0;
}

CtlExit ctl_exit_from_error_name(const char *name) {
        if (!name)
                return CTL_EXIT_DAEMON;
        for (size_t i = 0; i < G_N_ELEMENTS(exit_table); i++)
                if (name_matches(exit_table[i].name, name))
                        return exit_table[i].exit_status;
        if (biogate_bus_error_is_unreachable(name))
                return CTL_EXIT_UNREACHABLE;
        /* Unknown method, invalid arguments and the like: the daemon answered,
         * but not with success. */
        return CTL_EXIT_DAEMON;
}

/* Errors GIO raises itself carry no D-Bus name; give them the one a bus
 * would have used, so scripts see a single vocabulary. */
static const char *local_error_name(const GError *error) {
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
                return "org.freedesktop.DBus.Error.NoReply";
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CLOSED))
                return "org.freedesktop.DBus.Error.Disconnected";
        /* A reply of the wrong type: the daemon answered, but wrongly. */
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
                return "org.freedesktop.DBus.Error.InvalidSignature";
        return CTL_ERROR_NO_SERVER;
}

void ctl_error_describe(const GError *error, char **ret_name, char **ret_message) {
        g_autofree char *name = g_dbus_error_get_remote_error(error);
        g_autoptr(GError) copy = g_error_copy(error);

        if (name)
                g_dbus_error_strip_remote_error(copy);
        else if (copy->domain == G_DBUS_ERROR)
                /* GDBus made it up itself, e.g. for a closed connection. */
                name = g_dbus_error_encode_gerror(copy);
        else
                name = g_strdup(local_error_name(copy));

        *ret_name = g_steal_pointer(&name);
        *ret_message = g_strdup(copy->message);
}

CtlExit ctl_report_error_name(bool json, const char *name, const char *message) {
        const BiogateErrorInfo *info = biogate_error_info_from_name(name);

        if (!name || !*name)
                name = BIOGATE_ERROR_PREFIX "Internal";
        if (!message || !*message)
                message = info ? info->summary : "Failed";

        if (json) {
                GVariantBuilder b;

                g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                g_variant_builder_add(&b, "{sv}", "error", g_variant_new_string(name));
                g_variant_builder_add(&b, "{sv}", "message", g_variant_new_string(message));
                ctl_json_print(stdout, g_variant_builder_end(&b));
        } else {
                g_autofree char *safe_name = ctl_printable(name);
                g_autofree char *safe_message = ctl_printable(message);

                fprintf(stderr, "biogatectl: %s (%s)\n", safe_message, safe_name);
        }

        return ctl_exit_from_error_name(name);
}

CtlExit ctl_report_error(bool json, const GError *error) {
        g_autofree char *name = NULL, *message = NULL;

        ctl_error_describe(error, &name, &message);
        return ctl_report_error_name(json, name, message);
}

GError *ctl_error_new(const char *name, const char *format, ...) {
        g_autofree char *message = NULL;
        va_list ap;

        va_start(ap, format);
        message = g_strdup_vprintf(format, ap);
        va_end(ap);

        return g_dbus_error_new_for_dbus_error(name, message);
}

/* The message may quote what the user typed: made printable. */
static char *printable_vprintf(const char *format, va_list ap) G_GNUC_PRINTF(1, 0);
static char *printable_vprintf(const char *format, va_list ap) {
        g_autofree char *message = g_strdup_vprintf(format, ap);

        return ctl_printable(message);
}

CtlExit ctl_input_error(const char *format, ...) {
        g_autofree char *safe = NULL;
        va_list ap;

        va_start(ap, format);
        safe = printable_vprintf(format, ap);
        va_end(ap);

        /* The command line was right; what it described was not. --help
         * would not help, so no hint to it. */
        fprintf(stderr, "biogatectl: %s\n", safe);
        return CTL_EXIT_USAGE;
}

CtlExit ctl_usage_error(const char *command, const char *format, ...) {
        g_autofree char *safe = NULL;
        va_list ap;

        va_start(ap, format);
        safe = printable_vprintf(format, ap);
        va_end(ap);

        fprintf(stderr, "biogatectl: %s\n", safe);
        fprintf(stderr, _("Try 'biogatectl%s%s --help'.\n"), command ? " " : "", command ? command : "");
        return CTL_EXIT_USAGE;
}
