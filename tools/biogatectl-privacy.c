/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What biogate holds about a user, erasing it, and the consent given ahead
 * of enrolment: my-data, erase, consent. */
#include <stdio.h>
#include <string.h>

#include "biogate-bus.h"
#include "biogate-i18n.h"
#include "biogatectl-args.h"
#include "biogatectl-commands.h"
#include "biogatectl-error.h"
#include "biogatectl-output.h"
#include "biogatectl-prompt.h"
#include "biogate-i18n.h"

static char *format_time(gint64 t) {
        g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(t);

        return dt ? g_date_time_format(dt, "%Y-%m-%d %H:%M:%S %Z") : g_strdup("?");
}

/* The daemon keeps only the day of a last use, as its UTC midnight. */
static char *format_day(gint64 t) {
        g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);

        return dt ? g_date_time_format(dt, "%Y-%m-%d") : g_strdup("?");
}

static char *finger_texts(GVariant *fingers) {
        g_autoptr(GString) s = g_string_new(NULL);
        GVariantIter iter;
        const char *finger;

        g_variant_iter_init(&iter, fingers);
        while (g_variant_iter_next(&iter, "&s", &finger))
                g_string_append_printf(s, "%s%s", s->len > 0 ? ", " : "", ctl_finger_display_name(finger));
        return ctl_printable(s->len > 0 ? s->str : _("none"));
}

static bool strv_contains(GVariant *strv, const char *needle) {
        g_autofree const char **v = strv ? g_variant_get_strv(strv, NULL) : NULL;

        return v && g_strv_contains(v, needle);
}

static void print_fingers(GVariant *data) {
        g_autoptr(GVariant) fingers = g_variant_lookup_value(data, "fingers", G_VARIANT_TYPE("as"));
        g_autoptr(GVariant) enrolled = g_variant_lookup_value(data, "enrolled", G_VARIANT_TYPE("a{sx}"));
        g_autoptr(GVariant) last_used = g_variant_lookup_value(data, "last-used", G_VARIANT_TYPE("a{sx}"));
        g_autoptr(GVariant) unusable = g_variant_lookup_value(data, "unusable", G_VARIANT_TYPE("as"));
        GVariantIter iter;
        const char *finger;

        if (!fingers || g_variant_n_children(fingers) == 0) {
                printf(_("Fingerprints: none\n"));
                return;
        }
        printf(_("Fingerprints (templates stored sealed on this machine, never shown):\n"));
        g_variant_iter_init(&iter, fingers);
        while (g_variant_iter_next(&iter, "&s", &finger)) {
                g_autofree char *name = ctl_printable(ctl_finger_display_name(finger));
                g_autofree char *when = NULL, *used = NULL;
                gint64 t;

                when = enrolled && g_variant_lookup(enrolled, finger, "x", &t) ? format_time(t) : g_strdup(_("unknown"));
                used = last_used && g_variant_lookup(last_used, finger, "x", &t) ? format_day(t) : g_strdup(_("never"));
                /* TRANSLATORS: a finger, when it was enrolled and last matched, maybe "; UNUSABLE ...". */
                printf(_("  %-20s enrolled %s, last used %s%s\n"), name, when, used,
                       strv_contains(unusable, finger) ? _("; UNUSABLE (damaged): delete and enrol it again") : "");
        }
}

static void print_consents(GVariant *data) {
        g_autoptr(GVariant) consents = g_variant_lookup_value(data, "consent", G_VARIANT_TYPE("aa{sv}"));
        gsize n = consents ? g_variant_n_children(consents) : 0;

        if (n == 0) {
                printf(_("Consent given with enrolments: none\n"));
                return;
        }
        printf(_("Consent given with enrolments:\n"));
        for (gsize i = 0; i < n; i++) {
                g_autoptr(GVariant) entry = g_variant_get_child_value(consents, i);
                g_autoptr(GVariant) fingers = g_variant_lookup_value(entry, "fingers", G_VARIANT_TYPE("as"));
                g_autofree char *when = NULL, *safe_version = NULL, *names = NULL;
                const char *version = "?";
                gint64 t = 0;
                guint32 by = 0;

                (void) g_variant_lookup(entry, "time", "x", &t);
                (void) g_variant_lookup(entry, "notice-version", "&s", &version);
                (void) g_variant_lookup(entry, "recorded-by", "u", &by);
                when = format_time(t);
                safe_version = ctl_printable(version);
                names = fingers ? finger_texts(fingers) : g_strdup("?");
                printf(_("  %s  notice version %s  %s  (recorded by uid %u)\n"), when, safe_version, names,
                       (unsigned) by);
        }
}

/* The standing consent of the a{sv} of GetMyData (consent --show, my-data);
 * current_version is the version of the notice biogated serves, NULL when
 * it has none. */
static void print_standing_consent(GVariant *data, const char *current_version) {
        g_autoptr(GVariant) standing = g_variant_lookup_value(data, "standing-consent", G_VARIANT_TYPE_VARDICT);
        g_autofree char *when = NULL, *safe_version = NULL;
        g_autofree char *safe_current = ctl_printable(current_version ? current_version : "?");
        const char *version = "?";
        gboolean current = FALSE;
        gint64 t = 0;

        if (!standing) {
                printf(_("Consent to enrolment from the desktop: not given (the current notice is version %s; "
                       "give it with: biogatectl consent)\n"), safe_current);
                return;
        }
        (void) g_variant_lookup(standing, "notice-version", "&s", &version);
        (void) g_variant_lookup(standing, "time", "x", &t);
        (void) g_variant_lookup(standing, "current", "b", &current);
        when = format_time(t);
        safe_version = ctl_printable(version);
        if (current)
                printf(_("Consent to enrolment from the desktop: given %s to notice version %s (the current one)\n"),
                       when, safe_version);
        else
                printf(_("Consent to enrolment from the desktop: given %s to notice version %s, not the current "
                       "notice (version %s); give it again with: biogatectl consent\n"), when, safe_version,
                       safe_current);
}

/* The version of the notice in force, or NULL when biogated has none: only
 * for a sentence of my-data, which stands without it. */
static char *current_notice_version(Ctl *ctl) {
        char *version = NULL;

        (void) biogate_client_get_consent_notice_sync(ctl->client, "", &version, NULL, NULL, NULL, NULL);
        return version;
}

int ctl_command_my_data(Ctl *ctl, int argc, char **argv) {
        const char *user = NULL;
        const CtlOption options[] = {
                { "user", 'u', CTL_OPTION_STRING, &user, "USER", N_("Whose data to show (default: yours)") },
                CTL_OPTION_JSON(&ctl->json),
                CTL_OPTION_HELP_ENTRY,
                CTL_OPTION_END,
        };
        const CtlCommandLine cl = {
                .command = "my-data",
                .usage = "my-data [--user USER] [--json]",
                .summary = N_("Show everything biogate holds about you: fingers, when they were enrolled\n"
                           "and last used, the consent you gave, retention. Never template data."),
                .options = options,
        };
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) data = NULL;
        g_autofree char *safe_user = NULL, *current = NULL;
        const char *name = NULL;
        guint32 uid = 0, days = 0;
        int r;

        r = ctl_parse_command_line(&cl, argc, argv, NULL);
        if (r >= 0)
                return r;
        if (!ctl_connect_for_user(ctl, user, &error))
                return ctl_report_error(ctl->json, error);

        data = biogate_client_get_user_data_sync(ctl->client, user, NULL, &error);
        if (!data)
                return ctl_report_error(ctl->json, error);

        if (ctl->json) {
                ctl_json_print(stdout, data);
                return CTL_EXIT_SUCCESS;
        }

        if (!g_variant_lookup(data, "user", "&s", &name))
                name = ctl_user_display_name(user);
        (void) g_variant_lookup(data, "uid", "u", &uid);
        safe_user = ctl_printable(name);
        printf(_("What biogate holds about %s (uid %u):\n"), safe_user, (unsigned) uid);
        print_fingers(data);
        print_consents(data);
        current = current_notice_version(ctl);
        print_standing_consent(data, current);
        if (g_variant_lookup(data, "retention-days", "u", &days) && days > 0)
                printf(P_("Retention: fingerprints not used for %u day are erased\n",
                          "Retention: fingerprints not used for %u days are erased\n", days), (unsigned) days);
        else
                printf(_("Retention: kept until deleted or erased\n"));
        ctl_print_locks(data, safe_user);
        printf(_("Erase all of it with: biogatectl erase\n"));
        return CTL_EXIT_SUCCESS;
}

int ctl_command_erase(Ctl *ctl, int argc, char **argv) {
        const char *user = NULL;
        bool yes = false;
        const CtlOption options[] = {
                { "user", 'u', CTL_OPTION_STRING, &user, "USER", N_("Whose data to erase (default: yours)") },
                { "yes", 'y', CTL_OPTION_FLAG, &yes, NULL, N_("Do not ask for confirmation (for scripts)") },
                CTL_OPTION_JSON(&ctl->json),
                CTL_OPTION_HELP_ENTRY,
                CTL_OPTION_END,
        };
        const CtlCommandLine cl = {
                .command = "erase",
                .usage = "erase [--user USER] [--yes] [--json]",
                .summary = N_("Erase everything biogate holds about a user: every fingerprint, the consent\n"
                           "and usage record, and the user's key, so that no copy can be read again."),
                .options = options,
        };
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) data = NULL, fingers = NULL;
        g_autofree char *safe_user = NULL, *names = NULL;
        gboolean key = FALSE, record = FALSE;
        const char *erased_user = NULL;
        guint32 files = 0;
        int r;

        r = ctl_parse_command_line(&cl, argc, argv, NULL);
        if (r >= 0)
                return r;
        /* Only now is --user known: asked before parsing, the question named
         * the caller while the data of USER was about to be erased. */
        safe_user = ctl_printable(ctl_user_display_name(user));
        if (!yes) {
                g_autofree char *question = NULL;

                if (!ctl_can_ask())
                        return ctl_usage_error("erase", _("Not on a terminal: pass --yes to erase without asking"));
                question = g_strdup_printf(_("Erase every fingerprint of %s, the consent record and the key? "
                                             "This cannot be undone."), safe_user);
                if (ctl_ask_yes_no(question) != 1)
                        return ctl_report_error_name(ctl->json, BIOGATE_ERROR_PREFIX "Cancelled", _("Nothing was erased"));
        }
        if (!ctl_connect_for_user(ctl, user, &error))
                return ctl_report_error(ctl->json, error);

        data = biogate_client_erase_user_sync(ctl->client, user, NULL, &error);
        if (!data)
                return ctl_report_error(ctl->json, error);

        if (ctl->json) {
                ctl_json_print(stdout, data);
                return CTL_EXIT_SUCCESS;
        }
        /* The daemon says whose data it erased; that is what the result names. */
        if (g_variant_lookup(data, "user", "&s", &erased_user)) {
                g_free(safe_user);
                safe_user = ctl_printable(erased_user);
        }
        fingers = g_variant_lookup_value(data, "fingers", G_VARIANT_TYPE("as"));
        (void) g_variant_lookup(data, "key", "b", &key);
        (void) g_variant_lookup(data, "record", "b", &record);
        (void) g_variant_lookup(data, "files", "u", &files);
        if (!key && !record && files == 0) {
                printf(_("Nothing was stored for %s.\n"), safe_user);
                return CTL_EXIT_SUCCESS;
        }
        names = fingers ? finger_texts(fingers) : g_strdup(_("none"));
        printf(_("Erased for %s: fingerprints: %s; consent and usage record: %s; key: %s (%u files).\n"), safe_user,
               names, record ? _("erased") : _("none"), key ? _("destroyed") : _("none"), (unsigned) files);
        return CTL_EXIT_SUCCESS;
}

/* consent --show: whether GetMyData reports a standing consent. */
/* The notice as biogated serves it to this user, then whether they have
 * consented to it. */
static int show_standing_consent(Ctl *ctl) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) data = NULL, standing = NULL;
        g_auto(CtlNotice) notice = { 0 };
        GVariantBuilder b;
        int r;

        r = ctl_fetch_notice(ctl, &notice);
        if (r >= 0)
                return r;
        data = biogate_client_get_user_data_sync(ctl->client, NULL, NULL, &error);
        if (!data)
                return ctl_report_error(ctl->json, error);
        if (!ctl->json) {
                printf("%s\n\n", notice.text);
                print_standing_consent(data, notice.version);
                return CTL_EXIT_SUCCESS;
        }
        standing = g_variant_lookup_value(data, "standing-consent", G_VARIANT_TYPE_VARDICT);
        g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add(&b, "{sv}", "recorded", g_variant_new_boolean(standing != NULL));
        if (standing) {
                GVariantIter iter;
                const char *key;
                GVariant *value;

                /* notice-version, time, current: as the daemon says. */
                g_variant_iter_init(&iter, standing);
                while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
                        g_variant_builder_add(&b, "{sv}", key, value);
                        g_variant_unref(value);
                }
        }
        g_variant_builder_add(&b, "{sv}", "current-notice-version", g_variant_new_string(notice.version));
        g_variant_builder_add(&b, "{sv}", "notice-language", g_variant_new_string(notice.language));
        g_variant_builder_add(&b, "{sv}", "notice", g_variant_new_string(notice.text));
        ctl_json_print(stdout, g_variant_builder_end(&b));
        return CTL_EXIT_SUCCESS;
}

int ctl_command_consent(Ctl *ctl, int argc, char **argv) {
        bool yes = false, withdraw = false, show = false;
        const CtlOption options[] = {
                { "yes", 'y', CTL_OPTION_FLAG, &yes, NULL,
                  N_("You have read the notice and agree; do not ask (for scripts that showed it)") },
                { "withdraw", 0, CTL_OPTION_FLAG, &withdraw, NULL,
                  N_("Withdraw your consent (your enrolled fingerprints stay)") },
                { "show", 0, CTL_OPTION_FLAG, &show, NULL,
                  N_("Show the notice, and whether you have given it, to which version") },
                CTL_OPTION_JSON(&ctl->json),
                CTL_OPTION_HELP_ENTRY,
                CTL_OPTION_END,
        };
        const CtlCommandLine cl = {
                .command = "consent",
                .usage = "consent [--yes | --withdraw | --show] [--json]",
                .summary = N_("Show the consent notice and record that you agree to enrol your fingerprints,\n"
                           "for enrolment in the desktop's fingerprint settings (which cannot ask you).\n"
                           "Only ever for yourself."),
                .options = options,
        };
        const CtlConsentTexts texts = {
                .question = "Do you consent to enrolling your fingerprints under this notice?",
                .given_option = "--yes",
                .no_terminal = _("Consent needs an answer: run biogatectl consent on a terminal to read the "
                                 "notice and answer, or pass --yes once you have read it "
                                 "(biogatectl consent --show prints it)"),
                .declined = "No consent was given; nothing was recorded",
        };
        g_autoptr(GError) error = NULL;
        g_auto(CtlNotice) notice = { 0 };
        int r;

        r = ctl_parse_command_line(&cl, argc, argv, NULL);
        if (r >= 0)
                return r;
        if ((int) yes + (int) withdraw + (int) show > 1)
                return ctl_usage_error("consent", _("--yes, --withdraw and --show exclude each other"));
        if (show)
                return show_standing_consent(ctl);

        if (withdraw) {
                if (!ctl_connect(ctl, &error))
                        return ctl_report_error(ctl->json, error);
                if (!biogate_client_withdraw_consent_sync(ctl->client, NULL, &error))
                        return ctl_report_error(ctl->json, error);
                if (ctl->json)
                        ctl_json_print(stdout, g_variant_new_parsed("{'withdrawn': <true>}"));
                else
                        printf(_("Consent withdrawn. Your enrolled fingerprints stay; remove them with "
                               "biogatectl delete or biogatectl erase.\n"));
                return CTL_EXIT_SUCCESS;
        }

        r = ctl_obtain_consent(ctl, yes, &texts, &notice);
        if (r >= 0)
                return r;
        if (!ctl_connect_interactive(ctl, &error))
                return ctl_report_error(ctl->json, error);
        if (!biogate_client_record_consent_sync(ctl->client, notice.version, NULL, &error))
                return ctl_report_error(ctl->json, error);
        if (ctl->json) {
                GVariantBuilder b;

                g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                g_variant_builder_add(&b, "{sv}", "recorded", g_variant_new_boolean(TRUE));
                g_variant_builder_add(&b, "{sv}", "notice-version", g_variant_new_string(notice.version));
                ctl_json_print(stdout, g_variant_builder_end(&b));
        } else
                printf(_("Consent to notice version %s recorded. You can enrol your fingerprints in the desktop's "
                       "settings; withdraw it with: biogatectl consent --withdraw\n"), notice.version);
        return CTL_EXIT_SUCCESS;
}
