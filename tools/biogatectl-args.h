/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "biogate-i18n.h"

typedef enum CtlOptionType {
        CTL_OPTION_FLAG,    /* target: bool * */
        CTL_OPTION_STRING,  /* target: const char ** (points into argv); at most once */
        CTL_OPTION_STRINGS, /* target: GPtrArray ** of const char *, created on first use */
        CTL_OPTION_HELP,    /* no target: print help and exit 0 */
} CtlOptionType;

typedef struct CtlOption {
        const char *long_name;
        char short_name;        /* 0 for none */
        CtlOptionType type;
        void *target;
        const char *arg_name;   /* for help, e.g. "FINGER" */
        const char *help;
} CtlOption;

#define CTL_OPTION_JSON(ptr) \
        { "json", 0, CTL_OPTION_FLAG, (ptr), NULL, N_("Print one JSON object on standard output") }
#define CTL_OPTION_HELP_ENTRY \
        { "help", 'h', CTL_OPTION_HELP, NULL, NULL, N_("Show this help and exit") }
#define CTL_OPTION_END { .long_name = NULL }

typedef struct CtlCommandLine {
        const char *command;      /* NULL for the global options */
        const char *usage;        /* what follows "biogatectl " in the usage line */
        const char *summary;
        const char *epilogue;     /* printed after the options; may be NULL */
        const CtlOption *options; /* ends with CTL_OPTION_END */
        bool stop_at_positional;  /* global options stop at the command name */
} CtlCommandLine;

/* Parses argv[1..argc-1]. Returns -1 when the caller should go on, with
 * *ret_next (may be NULL unless stop_at_positional) at the first argument not
 * consumed; otherwise the exit status to return: 0 after --help, 2 after a
 * usage error (already reported). Arguments that are not options are an
 * error unless stop_at_positional. */
int ctl_parse_command_line(const CtlCommandLine *cl, int argc, char **argv, int *ret_next);

/* Checks finger names locally so a typo fails before any sensor is touched;
 * the error is InvalidFinger, as the daemon would report it. */
bool ctl_check_finger(const char *name, GError **error);
