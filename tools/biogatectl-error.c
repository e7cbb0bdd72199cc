/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogatectl-error.h"

#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

#include "biogate-bus.h"
#include "biogate-i18n.h"
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

/* LockedOut: the daemon's message ends with "(retry-after-ms=N)" while the
 * lock ends by itself, and has none when only Manager.Unlock lifts it
 * (org.biogate1.xml, org.biogate1.StepUp). */
static bool lockout_retry_after(const char *message, guint64 *ret_ms) {
        const char *p = message ? strstr(message, "retry-after-ms=") : NULL;
        guint64 ms;
        char *end;

        if (!p)
                return false;
        p += strlen("retry-after-ms=");
        if (!g_ascii_isdigit(*p))
                return false;
        ms = g_ascii_strtoull(p, &end, 10);
        if (ms == 0)
                return false;
        *ret_ms = ms;
        return true;
}

/* Says which lock it is and how it ends: for N more seconds, or until an
 * administrator unlocks it (and with which command). */
static char *lockout_text(const char *message, const char *user, guint64 *ret_retry_after_ms) {
        /* Four-eyes approvals of the user's transactions have their own
         * counter; the daemon says which one refused. */
        bool approvals = message && strstr(message, "approv");
        g_autofree char *safe_user = ctl_printable(user && *user ? user : "USER");
        guint64 ms = 0;

        *ret_retry_after_ms = 0;
        if (lockout_retry_after(message, &ms)) {
                guint64 seconds = (ms + 999) / 1000;
                unsigned long n = (unsigned long) MIN(seconds, (guint64) G_MAXULONG);

                *ret_retry_after_ms = ms;
                return g_strdup_printf(approvals
                                       ? dngettext(GETTEXT_PACKAGE, "Four-eyes approvals are locked for %lu more second after too many "
                                                  "failed approver touches",
                                                  "Four-eyes approvals are locked for %lu more seconds after too many "
                                                  "failed approver touches", n)
                                       : dngettext(GETTEXT_PACKAGE, "Fingerprints are locked for %lu more second after too many failed "
                                                  "attempts",
                                                  "Fingerprints are locked for %lu more seconds after too many failed "
                                                  "attempts", n),
                                       n);
        }
        return g_strdup_printf(approvals
                               ? _("Four-eyes approvals are locked after too many failed approver touches until an "
                                   "administrator unlocks them (biogatectl unlock %s)")
                               : _("Fingerprints are locked after too many failed attempts until an administrator "
                                   "unlocks them (biogatectl unlock %s)"),
                               safe_user);
}

/* polkitd wanted a password that nobody could be asked for
 * (biogated-caller.c): say how to be asked. */
static bool needs_agent(const char *name, const char *message) {
        return g_strcmp0(name, BIOGATE_ERROR_PREFIX "PermissionDenied") == 0 && message &&
               strstr(message, "no polkit authentication agent");
}

CtlExit ctl_report_error_name_for(bool json, const char *name, const char *message, const char *user) {
        const BiogateErrorInfo *info = biogate_error_info_from_name(name);
        g_autofree char *text = NULL;
        guint64 retry_after_ms = 0;
        bool locked = false;

        if (!name || !*name)
                name = BIOGATE_ERROR_PREFIX "Internal";
        if (!message || !*message)
                message = info ? info->summary : "Failed";
        if (strcmp(name, BIOGATE_ERROR_PREFIX "LockedOut") == 0) {
                locked = true;
                message = text = lockout_text(message, user, &retry_after_ms);
        } else if (needs_agent(name, message))
                /* The daemon's sentence, in the user's language like the advice after it. */
                message = text = g_strdup_printf(
                        "%s. %s",
                        _("Authentication is required for this action, and there was no polkit authentication agent "
                          "to ask for it"),
                        _("Run biogatectl on a terminal, where it asks for the password (through pkttyagent), in a "
                          "desktop session with a polkit agent, or as root"));

        if (json) {
                GVariantBuilder b;

                g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                g_variant_builder_add(&b, "{sv}", "error", g_variant_new_string(name));
                g_variant_builder_add(&b, "{sv}", "message", g_variant_new_string(message));
                if (locked && retry_after_ms > 0)
                        g_variant_builder_add(&b, "{sv}", "retry-after-ms", g_variant_new_uint64(retry_after_ms));
                else if (locked)
                        g_variant_builder_add(&b, "{sv}", "until-unlocked", g_variant_new_boolean(TRUE));
                ctl_json_print(stdout, g_variant_builder_end(&b));
        } else {
                g_autofree char *safe_name = ctl_printable(name);
                g_autofree char *safe_message = ctl_printable(message);

                fprintf(stderr, "biogatectl: %s (%s)\n", safe_message, safe_name);
        }

        return ctl_exit_from_error_name(name);
}

CtlExit ctl_report_error_name(bool json, const char *name, const char *message) {
        return ctl_report_error_name_for(json, name, message, NULL);
}

CtlExit ctl_report_error_for(bool json, const GError *error, const char *user) {
        g_autofree char *name = NULL, *message = NULL;

        ctl_error_describe(error, &name, &message);
        return ctl_report_error_name_for(json, name, message, user);
}

CtlExit ctl_report_error(bool json, const GError *error) {
        return ctl_report_error_for(json, error, NULL);
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
