/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "biogate-finger.h"

/* Argument checks shared by the D-Bus interfaces (biogated-manager.c,
 * biogated-stepup.c): the a{sv} options, finger names and PAM service
 * names. Each sets a BIOGATE_DBUS_ERROR that names what was wrong. */

/* The longest timeout-ms any option accepts (an operation's own cap may be
 * lower: BIOGATED_OPERATION_USER_TIMEOUT_MS_MAX). */
#define BIOGATED_TIMEOUT_MS_MAX 600000u
/* The longest PAM service name Verify's "service" option accepts. */
#define BIOGATED_SERVICE_NAME_MAX 64

/* Runs the body for each finger f (a BiogateFinger) set in mask, in
 * BiogateFinger order. break and continue work as in a for loop. */
#define BIOGATED_FOREACH_FINGER(f, mask)                                                        \
        for (BiogateFinger f = BIOGATE_FINGER_FIRST; f < _BIOGATE_FINGER_MAX; f++)              \
                if (!((mask) & (1u << f))) {                                                    \
                } else

/* The names of the fingers in mask, as a floating "as". */
GVariant *biogated_finger_names(guint mask);

/* A mask with bit (1u << finger) for each name; an empty list gives 0.
 * InvalidFinger for any unknown name. */
gboolean biogated_finger_mask_from_names(const char *const *names, guint *ret_mask, GError **error);

/* 1 to BIOGATED_SERVICE_NAME_MAX characters of [A-Za-z0-9-_.@+]: what a
 * PAM service file may be called, and safe in a log line. */
gboolean biogated_service_name_is_valid(const char *name);

/* One key an a{sv} argument may hold: parse checks the value and stores it
 * in the field at offset of the struct the options are parsed into. */
typedef gboolean (*BiogatedOptionParse)(const char *key, GVariant *value, gpointer out, GError **error);

typedef struct BiogatedOption {
        const char *key;
        BiogatedOptionParse parse;
        gsize offset;
} BiogatedOption;

/* Parses options into the struct at args, against table (ended by an entry
 * with key NULL): any other key, or a value of the wrong type or range, is
 * InvalidArgument. A key not present leaves its field untouched; of a
 * repeated key, the last value wins. */
gboolean biogated_options_parse(GVariant *options, const BiogatedOption *table, gpointer args, GError **error);

/* Parsers for the table. out is: */
gboolean biogated_option_timeout_ms(const char *key, GVariant *value, gpointer out, GError **error); /* guint * */
gboolean biogated_option_fingers(const char *key, GVariant *value, gpointer out, GError **error);    /* guint *, a mask */
gboolean biogated_option_service(const char *key, GVariant *value, gpointer out, GError **error);    /* char ** */
gboolean biogated_option_boolean(const char *key, GVariant *value, gpointer out, GError **error);    /* gboolean * */
gboolean biogated_option_string(const char *key, GVariant *value, gpointer out, GError **error);     /* char ** */

/* ---- biogated's command line -------------------------------------------- */

/* What biogated was started with; paths are the defaults where not given. */
typedef struct BiogatedCommandLine {
        char *state_dir;
        char *config_path;
        gboolean config_given;          /* then the file must exist */
        char *policy_dir;
        char *vendor_policy;
        char *consent_notice;           /* the site's notice... */
        char *vendor_consent_notice;    /* ...else this one */
        /* The only executable accepted as an approval agent. Only root can
         * start biogated, so naming another one (tests name the built
         * agent) is no way around the check. */
        char *agent_path;
        gboolean no_idle_exit;
        gboolean verbose;
        gboolean version;
} BiogatedCommandLine;

/* Parses argv (options only, POSIX order). FALSE with a message for the
 * user (no program name) on anything else. */
gboolean biogated_command_line_parse(BiogatedCommandLine *cl, int argc, char *argv[], GError **error);
void biogated_command_line_clear(BiogatedCommandLine *cl);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(BiogatedCommandLine, biogated_command_line_clear)
