/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "biogated-args.h"

#include <string.h>

#include "biogated-error.h"

GVariant *biogated_finger_names(guint mask) {
        GVariantBuilder b;

        g_variant_builder_init(&b, G_VARIANT_TYPE("as"));
        BIOGATED_FOREACH_FINGER(f, mask)
                g_variant_builder_add(&b, "s", biogate_finger_to_name(f));
        return g_variant_builder_end(&b);
}

gboolean biogated_finger_mask_from_names(const char *const *names, guint *ret_mask, GError **error) {
        guint mask = 0;

        for (const char *const *n = names; n && *n; n++) {
                BiogateFinger f = biogate_finger_from_name(*n);
                if (f == BIOGATE_FINGER_INVALID) {
                        g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INVALID_FINGER,
                                    "Unknown finger name; use e.g. right-index-finger");
                        return FALSE;
                }
                mask |= 1u << f;
        }
        *ret_mask = mask;
        return TRUE;
}

gboolean biogated_service_name_is_valid(const char *name) {
        size_t n = strlen(name);

        if (n == 0 || n > BIOGATED_SERVICE_NAME_MAX)
                return FALSE;
        for (; *name; name++)
                if (!g_ascii_isalnum(*name) && !strchr("-_.@+", *name))
                        return FALSE;
        return TRUE;
}

gboolean biogated_options_parse(GVariant *options, const BiogatedOption *table, gpointer args, GError **error) {
        GVariantIter iter;
        const char *key;
        GVariant *raw;

        g_variant_iter_init(&iter, options);
        /* _next, not _loop: an early return must not leak the value (a
         * caller could send large ones until the daemon runs out of memory). */
        while (g_variant_iter_next(&iter, "{&sv}", &key, &raw)) {
                g_autoptr(GVariant) value = raw;
                const BiogatedOption *o = table;

                while (o->key && !g_str_equal(o->key, key))
                        o++;
                if (!o->key) {
                        g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INVALID_ARGUMENT,
                                    "Unknown option '%s'", key);
                        return FALSE;
                }
                if (!o->parse(key, value, G_STRUCT_MEMBER_P(args, o->offset), error))
                        return FALSE;
        }
        return TRUE;
}

static gboolean wrong_type(const char *key, const char *type, GError **error) {
        g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INVALID_ARGUMENT, "Option %s must be %s", key, type);
        return FALSE;
}

gboolean biogated_option_timeout_ms(const char *key, GVariant *value, gpointer out, GError **error) {
        if (!g_variant_is_of_type(value, G_VARIANT_TYPE_UINT32) || g_variant_get_uint32(value) == 0 ||
            g_variant_get_uint32(value) > BIOGATED_TIMEOUT_MS_MAX) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INVALID_ARGUMENT,
                            "Option %s must be a u from 1 to %u", key, BIOGATED_TIMEOUT_MS_MAX);
                return FALSE;
        }
        *(guint *) out = g_variant_get_uint32(value);
        return TRUE;
}

gboolean biogated_option_fingers(const char *key, GVariant *value, gpointer out, GError **error) {
        g_autofree const char **names = NULL;

        if (!g_variant_is_of_type(value, G_VARIANT_TYPE_STRING_ARRAY))
                return wrong_type(key, "an as", error);
        names = g_variant_get_strv(value, NULL);
        return biogated_finger_mask_from_names(names, out, error);
}

gboolean biogated_option_service(const char *key, GVariant *value, gpointer out, GError **error) {
        char **ret = out;

        if (!g_variant_is_of_type(value, G_VARIANT_TYPE_STRING) ||
            !biogated_service_name_is_valid(g_variant_get_string(value, NULL))) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INVALID_ARGUMENT,
                            "Option %s must be a PAM service name of at most %d characters", key,
                            BIOGATED_SERVICE_NAME_MAX);
                return FALSE;
        }
        g_free(*ret);
        *ret = g_variant_dup_string(value, NULL);
        return TRUE;
}

gboolean biogated_option_boolean(const char *key, GVariant *value, gpointer out, GError **error) {
        if (!g_variant_is_of_type(value, G_VARIANT_TYPE_BOOLEAN))
                return wrong_type(key, "a b", error);
        *(gboolean *) out = g_variant_get_boolean(value);
        return TRUE;
}

gboolean biogated_option_string(const char *key, GVariant *value, gpointer out, GError **error) {
        char **ret = out;

        if (!g_variant_is_of_type(value, G_VARIANT_TYPE_STRING))
                return wrong_type(key, "an s", error);
        g_free(*ret);
        *ret = g_variant_dup_string(value, NULL);
        return TRUE;
}

gboolean biogated_command_line_parse(BiogatedCommandLine *cl, int argc, char *argv[], GError **error) {
        GOptionEntry entries[] = {
                { "no-idle-exit", 0, 0, G_OPTION_ARG_NONE, &cl->no_idle_exit, "Keep running when idle", NULL },
                { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &cl->state_dir, "Template store (default " BIOGATE_DEFAULT_STATE_DIR ")", "DIR" },
                { "config", 0, 0, G_OPTION_ARG_FILENAME, &cl->config_path, "Configuration file (default " BIOGATE_DEFAULT_CONFIG ")", "FILE" },
                { "policy-dir", 0, 0, G_OPTION_ARG_FILENAME, &cl->policy_dir, "Step-up policy directory (default " BIOGATE_DEFAULT_POLICY_DIR ")", "DIR" },
                { "vendor-policy", 0, 0, G_OPTION_ARG_FILENAME, &cl->vendor_policy, "Policy used when DIR has none (default " BIOGATE_DEFAULT_VENDOR_POLICY ")", "FILE" },
                { "consent-notice", 0, 0, G_OPTION_ARG_FILENAME, &cl->consent_notice, "The site's consent notice (default " BIOGATE_DEFAULT_CONSENT_NOTICE ")", "FILE" },
                { "vendor-consent-notice", 0, 0, G_OPTION_ARG_FILENAME, &cl->vendor_consent_notice, "The notice used when the site has none (default " BIOGATE_DEFAULT_VENDOR_CONSENT_NOTICE ")", "FILE" },
                { "agent-path", 0, 0, G_OPTION_ARG_FILENAME, &cl->agent_path, "The approval agent's executable (default " BIOGATE_LIBEXECDIR "/biogate-agent)", "FILE" },
                { "verbose", 0, 0, G_OPTION_ARG_NONE, &cl->verbose, "Log debug messages", NULL },
                { "version", 0, 0, G_OPTION_ARG_NONE, &cl->version, "Print the version and exit", NULL },
                { NULL },
        };
        g_autoptr(GOptionContext) context = g_option_context_new("- biogate fingerprint daemon");

        *cl = (BiogatedCommandLine) { 0 };
        g_option_context_add_main_entries(context, entries, NULL);
        g_option_context_set_strict_posix(context, TRUE);
        if (!g_option_context_parse(context, &argc, &argv, error))
                return FALSE;
        if (argc > 1) {
                g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "unexpected argument '%s'", argv[1]);
                return FALSE;
        }
        cl->config_given = cl->config_path != NULL;
        if (!cl->state_dir)
                cl->state_dir = g_strdup(BIOGATE_DEFAULT_STATE_DIR);
        if (!cl->config_path)
                cl->config_path = g_strdup(BIOGATE_DEFAULT_CONFIG);
        if (!cl->policy_dir)
                cl->policy_dir = g_strdup(BIOGATE_DEFAULT_POLICY_DIR);
        if (!cl->vendor_policy)
                cl->vendor_policy = g_strdup(BIOGATE_DEFAULT_VENDOR_POLICY);
        if (!cl->consent_notice)
                cl->consent_notice = g_strdup(BIOGATE_DEFAULT_CONSENT_NOTICE);
        if (!cl->vendor_consent_notice)
                cl->vendor_consent_notice = g_strdup(BIOGATE_DEFAULT_VENDOR_CONSENT_NOTICE);
        if (!cl->agent_path)
                cl->agent_path = g_strdup(BIOGATE_LIBEXECDIR "/biogate-agent");
        return TRUE;
}

void biogated_command_line_clear(BiogatedCommandLine *cl) {
        g_clear_pointer(&cl->state_dir, g_free);
        g_clear_pointer(&cl->config_path, g_free);
        g_clear_pointer(&cl->policy_dir, g_free);
        g_clear_pointer(&cl->vendor_policy, g_free);
        g_clear_pointer(&cl->consent_notice, g_free);
        g_clear_pointer(&cl->vendor_consent_notice, g_free);
        g_clear_pointer(&cl->agent_path, g_free);
}
