/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogatectl-args.h"

#include <stdio.h>
#include <string.h>

#include "biogate-bus.h"
#include "biogate-finger.h"
#include "biogate-i18n.h"
#include "biogatectl-error.h"

static const CtlOption *find_long(const CtlOption *options, const char *name, size_t len) {
        for (const CtlOption *o = options; o->long_name; o++)
                if (strlen(o->long_name) == len && strncmp(o->long_name, name, len) == 0)
                        return o;
        return NULL;
}

static const CtlOption *find_short(const CtlOption *options, char c) {
        for (const CtlOption *o = options; o->long_name; o++)
                if (o->short_name != 0 && o->short_name == c)
                        return o;
        return NULL;
}

static bool takes_value(const CtlOption *o) {
        return o->type == CTL_OPTION_STRING || o->type == CTL_OPTION_STRINGS;
}

static void print_help(const CtlCommandLine *cl) {
        int width = 0;

        /* The summaries and option texts are N_() where they are defined. */
        printf(_("Usage: biogatectl %s\n\n%s\n\nOptions:\n"), cl->usage, _(cl->summary));

        for (const CtlOption *o = cl->options; o->long_name; o++) {
                int w = (int) strlen(o->long_name) + (o->arg_name ? (int) strlen(o->arg_name) + 1 : 0);
                width = MAX(width, w);
        }

        for (const CtlOption *o = cl->options; o->long_name; o++) {
                g_autofree char *spec = o->arg_name ? g_strdup_printf("%s=%s", o->long_name, o->arg_name)
                                                    : g_strdup(o->long_name);

                if (o->short_name)
                        printf("  -%c, --%-*s  %s\n", o->short_name, width, spec, _(o->help));
                else
                        printf("      --%-*s  %s\n", width, spec, _(o->help));
        }

        /* Whatever follows the help starts on a line of its own. */
        if (cl->epilogue)
                printf("\n%s%s", _(cl->epilogue), g_str_has_suffix(cl->epilogue, "\n") ? "" : "\n");
}

/* Stores @value for @o; false with a message in *ret_message on failure. */
static bool store(const CtlOption *o, const char *value, bool *help, char **ret_message) {
        switch (o->type) {
        case CTL_OPTION_FLAG:
                *(bool *) o->target = true;
                return true;
        case CTL_OPTION_HELP:
                *help = true;
                return true;
        case CTL_OPTION_STRING:
        case CTL_OPTION_STRINGS:
                break;
        }

        /* Everything we pass on goes into D-Bus strings, which must be UTF-8. */
        if (!g_utf8_validate(value, -1, NULL)) {
                *ret_message = g_strdup_printf(_("The value of --%s is not valid UTF-8"), o->long_name);
                return false;
        }

        if (o->type == CTL_OPTION_STRING) {
                const char **target = o->target;

                /* Two values would silently drop one; say so instead. */
                if (*target) {
                        *ret_message = g_strdup_printf(_("--%s given more than once"), o->long_name);
                        return false;
                }
                *target = value;
                return true;
        }

        GPtrArray **list = o->target;
        if (!*list)
                *list = g_ptr_array_new();
        g_ptr_array_add(*list, (void *) value);
        return true;
}

int ctl_parse_command_line(const CtlCommandLine *cl, int argc, char **argv, int *ret_next) {
        bool help = false;
        int i;

        for (i = 1; i < argc; i++) {
                const char *arg = argv[i];
                g_autofree char *problem = NULL;
                const CtlOption *o;
                const char *value = NULL;

                if (strcmp(arg, "--") == 0) {
                        i++;
                        break;
                }

                if (arg[0] != '-' || arg[1] == '\0') {
                        if (cl->stop_at_positional)
                                break;
                        return ctl_usage_error(cl->command, _("Unexpected argument '%s'"), arg);
                }

                if (arg[1] == '-') {
                        const char *name = arg + 2;
                        const char *eq = strchr(name, '=');

                        o = find_long(cl->options, name, eq ? (size_t) (eq - name) : strlen(name));
                        if (!o)
                                return ctl_usage_error(cl->command, _("Unknown option '%s'"), arg);
                        if (eq) {
                                if (!takes_value(o))
                                        return ctl_usage_error(cl->command, _("Option --%s takes no value"), o->long_name);
                                value = eq + 1;
                        }
                } else {
                        o = find_short(cl->options, arg[1]);
                        if (!o)
                                return ctl_usage_error(cl->command, _("Unknown option '%s'"), arg);
                        if (arg[2] != '\0') {
                                if (!takes_value(o))
                                        return ctl_usage_error(cl->command, _("Unknown option '%s'"), arg);
                                value = arg + 2;
                        }
                }

                if (takes_value(o) && !value) {
                        if (i + 1 >= argc)
                                return ctl_usage_error(cl->command, _("Option --%s needs a value"), o->long_name);
                        value = argv[++i];
                }

                if (!store(o, value, &help, &problem))
                        return ctl_usage_error(cl->command, "%s", problem);

                /* Whatever follows --help is not checked: asking for help
                 * should not fail on the rest of a half-typed command. */
                if (help) {
                        print_help(cl);
                        return CTL_EXIT_SUCCESS;
                }
        }

        if (!cl->stop_at_positional && i < argc)
                return ctl_usage_error(cl->command, _("Unexpected argument '%s'"), argv[i]);

        if (ret_next)
                *ret_next = i;
        return -1;
}

bool ctl_check_finger(const char *name, GError **error) {
        g_autoptr(GString) known = NULL;

        if (biogate_finger_from_name(name) != BIOGATE_FINGER_INVALID)
                return true;

        known = g_string_new(NULL);
        for (int f = BIOGATE_FINGER_FIRST; f < _BIOGATE_FINGER_MAX; f++)
                g_string_append_printf(known, "%s%s", f == BIOGATE_FINGER_FIRST ? "" : ", ",
                                       biogate_finger_to_name((BiogateFinger) f));

        g_propagate_error(error, ctl_error_new(BIOGATE_ERROR_PREFIX "InvalidFinger",
                                               _("Invalid finger name '%s'; use one of %s"), name, known->str));
        return false;
}
