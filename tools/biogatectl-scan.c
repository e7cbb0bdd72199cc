/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The commands that touch the sensor: enroll and verify. Both run an
 * org.biogate1.Operation and turn its signals into words. */
#include <stdio.h>
#include <string.h>

#include "biogate-bus.h"
#include "biogate-i18n.h"
#include "biogatectl-args.h"
#include "biogatectl-commands.h"
#include "biogatectl-error.h"
#include "biogatectl-operation.h"
#include "biogatectl-output.h"
#include "biogatectl-prompt.h"
#include "biogate-i18n.h"

typedef struct ScanView {
        bool json;
        bool enroll;
        /* What to touch the sensor with, for prompts: "the right index
         * finger", "the left thumb or right thumb", "an enrolled finger". */
        char *finger_phrase;
        guint32 stage;  /* stages passed so far */
        guint32 stages; /* 0 while unknown */
        guint queued_notice; /* timeout source while the operation is queued */
} ScanView;

static void scan_view_clear(ScanView *v) {
        g_free(v->finger_phrase);
        g_clear_handle_id(&v->queued_notice, g_source_remove);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ScanView, scan_view_clear)

static const struct {
        const char *reason;
        const char *text;
} retry_reasons[] = {
        { "general",       N_("the scan was unclear") },
        { "too-short",     N_("the swipe was too short") },
        { "center-finger", N_("centre your finger on the sensor") },
        { "remove-finger", N_("lift your finger first") },
};

static void print_retry(GVariant *details) {
        const char *reason = "general";
        g_autofree char *safe = NULL;

        (void) g_variant_lookup(details, "reason", "&s", &reason);
        for (size_t i = 0; i < G_N_ELEMENTS(retry_reasons); i++)
                if (strcmp(reason, retry_reasons[i].reason) == 0) {
                        fprintf(stderr, _("Scan failed (%s), try again\n"), _(retry_reasons[i].text));
                        return;
                }

        /* A reason newer than us: still better than nothing. */
        safe = ctl_printable(reason);
        fprintf(stderr, _("Scan failed (%s), try again\n"), safe);
}

/* Every operation starts "queued", also when the sensor is free: opening it
 * takes a moment. Only one that is still queued this long (and has not
 * said "device-acquired") is really waiting behind another request. */
#define QUEUED_NOTICE_MS 1500

static gboolean on_still_queued(void *userdata) {
        ScanView *v = userdata;

        v->queued_notice = 0;
        fprintf(stderr, _("Waiting for the sensor: another request is using it\n"));
        return G_SOURCE_REMOVE;
}

static void on_started(const char *state, void *userdata) {
        ScanView *v = userdata;

        if (!v->json && strcmp(state, "queued") == 0 && v->queued_notice == 0)
                v->queued_notice = g_timeout_add(QUEUED_NOTICE_MS, on_still_queued, v);
}

static void on_stages(guint32 stages, void *userdata) {
        ScanView *v = userdata;

        if (stages > 0)
                v->stages = stages;
}

static void on_progress(const char *status, GVariant *details, void *userdata) {
        ScanView *v = userdata;

        /* The first progress ("device-acquired") means it left the queue. */
        g_clear_handle_id(&v->queued_notice, g_source_remove);

        /* Progress never goes to stdout, which carries only the result. */
        if (v->json) {
                GVariantBuilder b;

                g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                g_variant_builder_add(&b, "{sv}", "progress", g_variant_new_string(status));
                g_variant_builder_add(&b, "{sv}", "details", details);
                ctl_json_print(stderr, g_variant_builder_end(&b));
                return;
        }

        if (strcmp(status, "finger-needed") == 0) {
                /* After the last stage comes the duplicate check's touch. */
                if (v->enroll && v->stages > 0 && v->stage < v->stages)
                        fprintf(stderr, _("Touch the sensor with %s (%u of %u)\n"), v->finger_phrase,
                                (unsigned) v->stage + 1, (unsigned) v->stages);
                else
                        fprintf(stderr, _("Touch the sensor with %s\n"), v->finger_phrase);
        } else if (strcmp(status, "stage-passed") == 0) {
                guint32 stage = 0, stages = 0;

                (void) g_variant_lookup(details, "stage", "u", &stage);
                (void) g_variant_lookup(details, "stages", "u", &stages);
                v->stage = stage;
                if (stages > 0)
                        v->stages = stages;
                if (v->stages > 0)
                        fprintf(stderr, _("Scan %u of %u done\n"), (unsigned) v->stage, (unsigned) v->stages);
                else
                        fprintf(stderr, _("Scan %u done\n"), (unsigned) v->stage);
        } else if (strcmp(status, "retry-scan") == 0)
                print_retry(details);
        else if (strcmp(status, "checking-duplicates") == 0)
                fprintf(stderr, _("Touch the sensor once more with the same finger, to check it is not enrolled for "
                                "someone else\n"));
        /* device-acquired and statuses newer than us need no words. */
}

/* Reports a result other than the one the command hoped for. */
static int report_failure(bool json, const char *result, GVariant *details, const char *user) {
        g_autofree char *unexpected = NULL;
        const char *name = NULL, *message = NULL;

        (void) g_variant_lookup(details, "error", "&s", &name);
        (void) g_variant_lookup(details, "message", "&s", &message);

        if (!name || !*name) {
                if (strcmp(result, BIOGATE_RESULT_CANCELLED) == 0)
                        name = BIOGATE_ERROR_PREFIX "Cancelled";
                else
                        name = BIOGATE_ERROR_PREFIX "Internal";
        }
        if (strcmp(result, BIOGATE_RESULT_CANCELLED) != 0 && strcmp(result, BIOGATE_RESULT_FAILED) != 0 &&
            (!message || !*message))
                message = unexpected = g_strdup_printf(_("biogated reported the unexpected result '%s'"), result);

        return ctl_report_error_name_for(json, name, message, ctl_user_display_name(user));
}

static const char *detail_string(GVariant *details, const char *key, const char *fallback) {
        const char *value;

        if (g_variant_lookup(details, key, "&s", &value) && *value)
                return value;
        return fallback;
}

/* Prints the successful outcome: JSON object or one plain line on stdout.
 * notice_version: the consent notice of an enrolment; NULL for verify. */
static void print_outcome(bool json, const char *result, const char *user, const char *finger,
                          const char *notice_version) {
        if (json) {
                GVariantBuilder b;

                g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                g_variant_builder_add(&b, "{sv}", "result", g_variant_new_string(result));
                if (user)
                        g_variant_builder_add(&b, "{sv}", "user", g_variant_new_string(user));
                if (finger)
                        g_variant_builder_add(&b, "{sv}", "finger", g_variant_new_string(finger));
                if (notice_version)
                        g_variant_builder_add(&b, "{sv}", "notice-version", g_variant_new_string(notice_version));
                ctl_json_print(stdout, g_variant_builder_end(&b));
                return;
        }

        g_autofree char *safe_user = ctl_printable(user), *safe_finger = ctl_printable(finger ? ctl_finger_display_name(finger) : NULL);

        if (strcmp(result, BIOGATE_RESULT_COMPLETED) == 0)
                printf(_("Enrolled %s for %s; consent to notice version %s recorded\n"), safe_finger, safe_user,
                       notice_version ? notice_version : "?");
        else if (strcmp(result, BIOGATE_RESULT_NO_MATCH) == 0)
                printf(_("No match\n"));
        else if (finger)
                printf(_("Match: %s (user %s)\n"), safe_finger, safe_user);
        else
                printf(_("Match (user %s)\n"), safe_user);
}

/* Returns -1 to go on, else the exit status (ctl_obtain_consent()). */
static int obtain_consent(Ctl *ctl, bool given, const char *user, const char *finger, CtlNotice *ret_notice) {
        g_autofree char *safe_user = ctl_printable(ctl_user_display_name(user));
        g_autofree char *question = g_strdup_printf(_("Does %s consent to enrolling the %s under this notice?"),
                                                    safe_user, ctl_finger_display_name(finger));
        const CtlConsentTexts texts = {
                .question = question,
                .given_option = "--yes-i-consent",
                .no_terminal = _("Enrolment needs consent: run biogatectl enroll on a terminal to read the "
                                 "notice and answer, or pass --yes-i-consent once the person whose finger it is "
                                 "has read it (biogatectl consent --show prints it)"),
                .declined = _("No consent was given; nothing was enrolled"),
        };

        return ctl_obtain_consent(ctl, given, &texts, ret_notice);
}

int ctl_command_enroll(Ctl *ctl, int argc, char **argv) {
        const char *user = NULL, *finger = NULL;
        bool consent = false;
        const CtlOption options[] = {
                { "finger", 'f', CTL_OPTION_STRING, &finger, "FINGER", N_("Finger to enrol (default: right-index-finger)") },
                { "user", 'u', CTL_OPTION_STRING, &user, "USER", N_("Whose finger to enrol (default: yours)") },
                { "yes-i-consent", 0, CTL_OPTION_FLAG, &consent, NULL,
                  N_("The person has read the consent notice and agrees (for scripts)") },
                CTL_OPTION_JSON(&ctl->json),
                CTL_OPTION_HELP_ENTRY,
                CTL_OPTION_END,
        };
        const CtlCommandLine cl = {
                .command = "enroll",
                .usage = "enroll [--finger FINGER] [--user USER] [--yes-i-consent] [--json]",
                .summary = N_("Enrol one finger: show the consent notice, ask for consent, then touch the\n"
                           "sensor as often as it asks."),
                .options = options,
        };
        g_autoptr(BiogateOperation) operation = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) details = NULL;
        g_autofree char *result = NULL;
        g_auto(ScanView) view = { .enroll = true };
        g_auto(CtlNotice) notice = { 0 };
        const CtlOperationHandler handler = {
                .started = on_started,
                .stages = on_stages,
                .progress = on_progress,
                .userdata = &view,
        };
        int r;

        r = ctl_parse_command_line(&cl, argc, argv, NULL);
        if (r >= 0)
                return r;

        if (!finger)
                finger = "right-index-finger";
        if (!ctl_check_finger(finger, &error))
                return ctl_report_error(ctl->json, error);

        r = obtain_consent(ctl, consent, user, finger, &notice);
        if (r >= 0)
                return r;

        if (!ctl_connect_interactive(ctl, &error))
                return ctl_report_error(ctl->json, error);

        view.json = ctl->json;
        /* TRANSLATORS: what to touch the sensor with: "the right index finger". */
        view.finger_phrase = g_strdup_printf(_("the %s"), ctl_finger_display_name(finger));

        operation = biogate_client_enroll(ctl->client, user ? user : "", finger, TRUE, notice.version, NULL);
        if (!ctl_operation_follow(operation, &handler, &result, &details, &error))
                return ctl_report_error_for(ctl->json, error, ctl_user_display_name(user));

        if (strcmp(result, BIOGATE_RESULT_COMPLETED) != 0)
                return report_failure(ctl->json, result, details, user);

        print_outcome(ctl->json, result,
                      detail_string(details, "user", ctl_user_display_name(user)),
                      detail_string(details, "finger", finger), notice.version);
        return CTL_EXIT_SUCCESS;
}

/* "the right index finger", "the left thumb, right thumb or right index
 * finger", or "an enrolled finger" when any will do. */
static char *finger_phrase(GPtrArray *fingers) {
        g_autoptr(GString) s = NULL;

        if (!fingers || fingers->len == 0)
                return g_strdup(_("an enrolled finger"));

        s = g_string_new(NULL);
        for (size_t i = 0; i < fingers->len; i++) {
                if (i > 0)
                        /* TRANSLATORS: between the last two of a list of fingers, and between the others. */
                        g_string_append(s, i + 1 == fingers->len ? _(" or ") : _(", "));
                g_string_append(s, ctl_finger_display_name(fingers->pdata[i]));
        }
        return g_strdup_printf(_("the %s"), s->str);
}

int ctl_command_verify(Ctl *ctl, int argc, char **argv) {
        const char *user = NULL, *timeout = NULL;
        g_autoptr(GPtrArray) fingers = NULL;
        const CtlOption options[] = {
                { "user", 'u', CTL_OPTION_STRING, &user, "USER", N_("Whose fingers to match (default: yours)") },
                { "finger", 'f', CTL_OPTION_STRINGS, &fingers, "FINGER", N_("Match only this finger; repeatable (default: all enrolled)") },
                { "timeout", 't', CTL_OPTION_STRING, &timeout, "SECONDS", N_("Give up after 1..600 seconds (default: the daemon's, 30)") },
                CTL_OPTION_JSON(&ctl->json),
                CTL_OPTION_HELP_ENTRY,
                CTL_OPTION_END,
        };
        const CtlCommandLine cl = {
                .command = "verify",
                .usage = "verify [--user USER] [--finger FINGER]... [--timeout SECONDS] [--json]",
                .summary = N_("Match one touch against a user's enrolled fingers.\n"
                           "Exits 0 on a match and 1 when the finger does not match."),
                .options = options,
        };
        g_autoptr(BiogateOperation) operation = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) details = NULL;
        g_autofree char *result = NULL;
        g_auto(ScanView) view = { .enroll = false };
        const CtlOperationHandler handler = {
                .started = on_started,
                .stages = on_stages,
                .progress = on_progress,
                .userdata = &view,
        };
        GVariantBuilder opts;
        guint64 seconds = 0;
        int r;

        r = ctl_parse_command_line(&cl, argc, argv, NULL);
        if (r >= 0)
                return r;

        if (timeout && !g_ascii_string_to_unsigned(timeout, 10, 1, 600, &seconds, &error))
                return ctl_usage_error("verify", _("Invalid --timeout '%s': %s"), timeout, error->message);

        if (fingers)
                for (size_t i = 0; i < fingers->len; i++)
                        if (!ctl_check_finger(fingers->pdata[i], &error))
                                return ctl_report_error(ctl->json, error);

        if (!ctl_connect(ctl, &error))
                return ctl_report_error(ctl->json, error);

        /* Only what was asked for: the daemon's defaults apply otherwise. */
        g_variant_builder_init(&opts, G_VARIANT_TYPE_VARDICT);
        if (fingers)
                g_variant_builder_add(&opts, "{sv}", "fingers",
                                      g_variant_new_strv((const char *const *) fingers->pdata, fingers->len));
        if (timeout)
                g_variant_builder_add(&opts, "{sv}", "timeout-ms", g_variant_new_uint32((guint32) seconds * 1000));

        view.json = ctl->json;
        view.finger_phrase = finger_phrase(fingers);

        operation = biogate_client_verify(ctl->client, user ? user : "", g_variant_builder_end(&opts), NULL);
        if (!ctl_operation_follow(operation, &handler, &result, &details, &error))
                return ctl_report_error_for(ctl->json, error, ctl_user_display_name(user));

        /* Only a match the daemon reported is a success; anything unknown is
         * an error, never a match. */
        if (strcmp(result, BIOGATE_RESULT_MATCH) == 0) {
                print_outcome(ctl->json, result,
                              detail_string(details, "user", ctl_user_display_name(user)),
                              detail_string(details, "finger", NULL), NULL);
                return CTL_EXIT_SUCCESS;
        }
        if (strcmp(result, BIOGATE_RESULT_NO_MATCH) == 0) {
                print_outcome(ctl->json, result, NULL, NULL, NULL);
                return CTL_EXIT_NO_MATCH;
        }
        return report_failure(ctl->json, result, details, user);
}
