/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The commands that are one method call each: status, devices, list, delete. */
#include <stdio.h>
#include <string.h>

#include "biogate-bus.h"
#include "biogate-i18n.h"
#include "biogatectl-args.h"
#include "biogatectl-commands.h"
#include "biogatectl-error.h"
#include "biogatectl-output.h"

/* "right index finger, left thumb", or @none for an empty list. */
/* @user's enrolled fingers (the caller's for NULL) as an "as". */
static GVariant *list_fingers(Ctl *ctl, const char *user, GError **error) {
        g_auto(GStrv) fingers = biogate_client_list_fingers_sync(ctl->client, user, NULL, error);

        if (!fingers)
                return NULL;
        return g_variant_ref_sink(g_variant_new_strv((const char *const *) fingers, -1));
}

static char *join_finger_texts(GVariant *fingers, const char *none) {
        g_autoptr(GString) s = g_string_new(NULL);
        GVariantIter iter;
        const char *finger;

        g_variant_iter_init(&iter, fingers);
        while (g_variant_iter_next(&iter, "&s", &finger))
                g_string_append_printf(s, "%s%s", s->len > 0 ? ", " : "", ctl_finger_display_name(finger));

        return ctl_printable(s->len > 0 ? s->str : none);
}

int ctl_command_status(Ctl *ctl, int argc, char **argv) {
        const CtlOption options[] = {
                CTL_OPTION_JSON(&ctl->json),
                CTL_OPTION_HELP_ENTRY,
                CTL_OPTION_END,
        };
        const CtlCommandLine cl = {
                .command = "status",
                .usage = "status [--json]",
                .summary = N_("Show whether biogated is reachable, its API version, the number of\n"
                           "sensors and the fingers enrolled for you."),
                .options = options,
        };
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) devices = NULL, fingers = NULL, my_data = NULL;
        g_autofree char *safe_user = NULL, *finger_text = NULL;
        const char *user = ctl_user_display_name(NULL);
        guint32 api_version;
        size_t n_devices;
        int r;

        r = ctl_parse_command_line(&cl, argc, argv, NULL);
        if (r >= 0)
                return r;

        if (!ctl_connect(ctl, &error))
                return ctl_report_error(ctl->json, error);

        /* The first call also starts the daemon if it is not running. */
        api_version = biogate_client_get_api_version_sync(ctl->client, NULL, &error);
        if (api_version == 0)
                return ctl_report_error(ctl->json, error);

        devices = biogate_client_list_devices_sync(ctl->client, NULL, &error);
        if (!devices)
                return ctl_report_error(ctl->json, error);
        n_devices = g_variant_n_children(devices);

        fingers = list_fingers(ctl, NULL, &error);
        if (!fingers)
                return ctl_report_error(ctl->json, error);

        /* Whether the caller's fingerprints are locked, and until when: one's
         * own data needs no permission. Only shown when the daemon says. */
        my_data = biogate_client_get_user_data_sync(ctl->client, NULL, NULL, NULL);

        if (ctl->json) {
                static const char *const lock_keys[] = { "locked-out", "retry-after-ms", "approvals-locked-out",
                                                         "approvals-retry-after-ms" };
                GVariantBuilder b;

                g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                g_variant_builder_add(&b, "{sv}", "reachable", g_variant_new_boolean(TRUE));
                g_variant_builder_add(&b, "{sv}", "version", g_variant_new_uint32(api_version));
                g_variant_builder_add(&b, "{sv}", "devices", g_variant_new_uint64(n_devices));
                g_variant_builder_add(&b, "{sv}", "user", g_variant_new_string(user));
                g_variant_builder_add(&b, "{sv}", "fingers", fingers);
                for (size_t i = 0; my_data && i < G_N_ELEMENTS(lock_keys); i++) {
                        g_autoptr(GVariant) value = g_variant_lookup_value(my_data, lock_keys[i], NULL);

                        if (value)
                                g_variant_builder_add(&b, "{sv}", lock_keys[i], value);
                }
                ctl_json_print(stdout, g_variant_builder_end(&b));
                return CTL_EXIT_SUCCESS;
        }

        if (api_version != BIOGATE_API_VERSION)
                fprintf(stderr, _("biogatectl: warning: biogated implements API version %u, this biogatectl expects "
                                  "version %u\n"), (unsigned) api_version, BIOGATE_API_VERSION);

        safe_user = ctl_printable(user);
        finger_text = join_finger_texts(fingers, _("none"));
        printf(_("Daemon:   reachable (API version %u)\n"
                 "Sensors:  %zu\n"
                 "User:     %s\n"
                 "Fingers:  %s\n"),
               (unsigned) api_version, n_devices, safe_user, finger_text);
        if (my_data)
                ctl_print_locks(my_data, safe_user);
        return CTL_EXIT_SUCCESS;
}

/* Device details worth a label in plain output, in the order shown. Keys not
 * listed here are shown under their own name. */
static const struct {
        const char *key;
        const char *label;
} device_labels[] = {
        { "driver",        "driver" },
        { "scan-type",     "scan type" },
        { "enroll-stages", "enroll stages" },
        { "features",      "features" },
        { "default",       "default" },
};

static char *format_plain_value(GVariant *value) {
        if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING))
                return ctl_printable(g_variant_get_string(value, NULL));
        if (g_variant_is_of_type(value, G_VARIANT_TYPE_BOOLEAN))
                return g_strdup(g_variant_get_boolean(value) ? "yes" : "no");
        if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING_ARRAY)) {
                g_autofree const char **strv = g_variant_get_strv(value, NULL);
                g_autofree char *joined = g_strjoinv(", ", (char **) strv);

                return ctl_printable(*joined ? joined : "none");
        }
        /* Numbers, and whatever a newer daemon may add. */
        g_autofree char *printed = g_variant_print(value, FALSE);
        return ctl_printable(printed);
}

static void print_device_plain(const char *id, const char *name, GVariant *details) {
        g_autofree char *safe_id = ctl_printable(id), *safe_name = ctl_printable(name);
        GVariantIter iter;
        const char *key;
        GVariant *value;

        printf(_("Sensor %s\n  %-14s %s\n"), safe_id, "name:", safe_name);

        for (size_t i = 0; i < G_N_ELEMENTS(device_labels); i++) {
                g_autoptr(GVariant) v = g_variant_lookup_value(details, device_labels[i].key, NULL);
                g_autofree char *label = NULL, *text = NULL;

                if (!v)
                        continue;
                label = g_strconcat(device_labels[i].label, ":", NULL);
                text = format_plain_value(v);
                printf("  %-14s %s\n", label, text);
        }

        g_variant_iter_init(&iter, details);
        while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
                g_autoptr(GVariant) owned = value;
                g_autofree char *label = NULL, *text = NULL;
                bool known = false;

                for (size_t i = 0; i < G_N_ELEMENTS(device_labels); i++)
                        known = known || strcmp(key, device_labels[i].key) == 0;
                if (known)
                        continue;
                label = g_strconcat(key, ":", NULL);
                text = format_plain_value(owned);
                printf("  %-14s %s\n", label, text);
        }
}

int ctl_command_devices(Ctl *ctl, int argc, char **argv) {
        const CtlOption options[] = {
                CTL_OPTION_JSON(&ctl->json),
                CTL_OPTION_HELP_ENTRY,
                CTL_OPTION_END,
        };
        const CtlCommandLine cl = {
                .command = "devices",
                .usage = "devices [--json]",
                .summary = N_("List the fingerprint sensors biogated found."),
                .options = options,
        };
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) devices = NULL;
        GVariantBuilder list;
        GVariantIter iter;
        const char *id, *name;
        GVariant *details;
        int r;

        r = ctl_parse_command_line(&cl, argc, argv, NULL);
        if (r >= 0)
                return r;

        if (!ctl_connect(ctl, &error))
                return ctl_report_error(ctl->json, error);

        devices = biogate_client_list_devices_sync(ctl->client, NULL, &error);
        if (!devices)
                return ctl_report_error(ctl->json, error);

        if (!ctl->json && g_variant_n_children(devices) == 0) {
                printf(_("No fingerprint sensors found.\n"));
                return CTL_EXIT_SUCCESS;
        }

        g_variant_builder_init(&list, G_VARIANT_TYPE("aa{sv}"));
        g_variant_iter_init(&iter, devices);
        while (g_variant_iter_next(&iter, "(&s&s@a{sv})", &id, &name, &details)) {
                g_autoptr(GVariant) owned = details;
                GVariantBuilder device;
                GVariantIter entries;
                const char *key;
                GVariant *value;

                if (!ctl->json) {
                        print_device_plain(id, name, owned);
                        continue;
                }

                /* id and name, then every detail as the daemon sent it, so new
                 * keys show up without a new biogatectl. */
                g_variant_builder_init(&device, G_VARIANT_TYPE_VARDICT);
                g_variant_builder_add(&device, "{sv}", "id", g_variant_new_string(id));
                g_variant_builder_add(&device, "{sv}", "name", g_variant_new_string(name));
                g_variant_iter_init(&entries, owned);
                while (g_variant_iter_next(&entries, "{&sv}", &key, &value)) {
                        if (strcmp(key, "id") != 0 && strcmp(key, "name") != 0)
                                g_variant_builder_add(&device, "{sv}", key, value);
                        g_variant_unref(value);
                }
                g_variant_builder_add_value(&list, g_variant_builder_end(&device));
        }

        if (ctl->json) {
                GVariantBuilder b;

                g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                g_variant_builder_add(&b, "{sv}", "devices", g_variant_builder_end(&list));
                ctl_json_print(stdout, g_variant_builder_end(&b));
        } else
                g_variant_builder_clear(&list);

        return CTL_EXIT_SUCCESS;
}

int ctl_command_list(Ctl *ctl, int argc, char **argv) {
        const char *user = NULL;
        const CtlOption options[] = {
                { "user", 'u', CTL_OPTION_STRING, &user, "USER", N_("Whose fingers to list (default: yours)") },
                CTL_OPTION_JSON(&ctl->json),
                CTL_OPTION_HELP_ENTRY,
                CTL_OPTION_END,
        };
        const CtlCommandLine cl = {
                .command = "list",
                .usage = "list [--user USER] [--json]",
                .summary = N_("List the enrolled fingers of a user."),
                .options = options,
        };
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) fingers = NULL;
        g_autofree char *safe_user = NULL;
        GVariantIter iter;
        const char *finger;
        int r;

        r = ctl_parse_command_line(&cl, argc, argv, NULL);
        if (r >= 0)
                return r;

        if (!ctl_connect_for_user(ctl, user, &error))
                return ctl_report_error(ctl->json, error);

        fingers = list_fingers(ctl, user, &error);
        if (!fingers)
                return ctl_report_error(ctl->json, error);

        if (ctl->json) {
                GVariantBuilder b;

                g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                g_variant_builder_add(&b, "{sv}", "user", g_variant_new_string(ctl_user_display_name(user)));
                g_variant_builder_add(&b, "{sv}", "fingers", fingers);
                ctl_json_print(stdout, g_variant_builder_end(&b));
                return CTL_EXIT_SUCCESS;
        }

        safe_user = ctl_printable(ctl_user_display_name(user));
        if (g_variant_n_children(fingers) == 0) {
                printf(_("No fingers enrolled for %s.\n"), safe_user);
                return CTL_EXIT_SUCCESS;
        }

        printf(_("Fingers enrolled for %s:\n"), safe_user);
        g_variant_iter_init(&iter, fingers);
        while (g_variant_iter_next(&iter, "&s", &finger)) {
                g_autofree char *safe = ctl_printable(finger);
                g_autofree char *safe_text = ctl_printable(ctl_finger_display_name(finger));

                printf("  %-20s (%s)\n", safe, safe_text);
        }
        return CTL_EXIT_SUCCESS;
}

int ctl_command_delete(Ctl *ctl, int argc, char **argv) {
        const char *user = NULL;
        g_autoptr(GPtrArray) fingers = NULL;
        const CtlOption options[] = {
                { "user", 'u', CTL_OPTION_STRING, &user, "USER", N_("Whose prints to delete (default: yours)") },
                { "finger", 'f', CTL_OPTION_STRINGS, &fingers, "FINGER", N_("Delete only this finger; repeatable (default: all)") },
                CTL_OPTION_JSON(&ctl->json),
                CTL_OPTION_HELP_ENTRY,
                CTL_OPTION_END,
        };
        const CtlCommandLine cl = {
                .command = "delete",
                .usage = "delete [--user USER] [--finger FINGER]... [--json]",
                .summary = N_("Delete enrolled fingerprints; all of them unless --finger is given."),
                .options = options,
        };
        g_autoptr(GError) error = NULL;
        g_autofree const char **strv = NULL;
        const char *const *names;
        size_t n = 0;
        int r;

        r = ctl_parse_command_line(&cl, argc, argv, NULL);
        if (r >= 0)
                return r;

        if (fingers) {
                for (size_t i = 0; i < fingers->len; i++)
                        if (!ctl_check_finger(fingers->pdata[i], &error))
                                return ctl_report_error(ctl->json, error);
                n = fingers->len;
        }
        names = fingers ? (const char *const *) fingers->pdata : NULL;

        if (!ctl_connect_for_user(ctl, user, &error))
                return ctl_report_error(ctl->json, error);

        /* An empty list means all fingers, as in the API. */
        strv = g_new0(const char *, n + 1);
        for (size_t i = 0; i < n; i++)
                strv[i] = names[i];
        if (!biogate_client_delete_fingers_sync(ctl->client, user, strv, NULL, &error))
                return ctl_report_error(ctl->json, error);

        if (ctl->json) {
                GVariantBuilder b;

                g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                g_variant_builder_add(&b, "{sv}", "user", g_variant_new_string(ctl_user_display_name(user)));
                g_variant_builder_add(&b, "{sv}", "all", g_variant_new_boolean(n == 0));
                g_variant_builder_add(&b, "{sv}", "fingers", g_variant_new_strv(names, (gssize) n));
                ctl_json_print(stdout, g_variant_builder_end(&b));
                return CTL_EXIT_SUCCESS;
        }

        g_autofree char *safe_user = ctl_printable(ctl_user_display_name(user));
        if (n == 0) {
                printf(_("Deleted all fingerprints of %s.\n"), safe_user);
                return CTL_EXIT_SUCCESS;
        }
        for (size_t i = 0; i < n; i++)
                printf(_("Deleted %s of %s.\n"), ctl_finger_display_name(names[i]), safe_user);
        return CTL_EXIT_SUCCESS;
}
