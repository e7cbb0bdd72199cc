/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* biogatectl policy check|explain: the step-up policy engine of biogated,
 * run locally on files. No daemon and no privileges needed, so an admin can
 * check a policy before installing it and see which rule a transaction
 * meets. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "biogate-bus.h"
#include "biogate-i18n.h"
#include "biogate-policy.h"
#include "biogate-tx.h"
#include "biogatectl-args.h"
#include "biogatectl-commands.h"
#include "biogatectl-error.h"
#include "biogatectl-output.h"
#include "biogatectl-tx.h"

#define POLICY_UNAVAILABLE BIOGATE_ERROR_PREFIX "PolicyUnavailable"

/* An invalid or missing policy: exit status 1. @check adds "valid":false. */
static int report_policy_error(bool json, bool check, const GError *error) {
        if (json) {
                GVariantBuilder b;

                g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                if (check)
                        g_variant_builder_add(&b, "{sv}", "valid", g_variant_new_boolean(FALSE));
                g_variant_builder_add(&b, "{sv}", "error", g_variant_new_string(POLICY_UNAVAILABLE));
                g_variant_builder_add(&b, "{sv}", "message", g_variant_new_string(error->message));
                ctl_json_print(stdout, g_variant_builder_end(&b));
        } else {
                g_autofree char *safe = ctl_printable(error->message);

                fprintf(stderr, "biogatectl: %s\n", safe);
        }
        return 1;
}

static int policy_check(Ctl *ctl, int argc, char **argv) {
        bool json = ctl->json;
        const CtlOption options[] = {
                CTL_OPTION_JSON(&json),
                CTL_OPTION_HELP_ENTRY,
                CTL_OPTION_END,
        };
        const CtlCommandLine cl = {
                .command = "policy check",
                .usage = "policy check [--json] FILE...",
                .summary = N_("Check step-up policy files as biogated would load them: the files in the\n"
                           "order given form one policy, and the last one ends with [default]."),
                .epilogue = N_("Exit status: 0 valid, 1 not valid (the message names FILE:LINE), 2 usage.\n"),
                .options = options,
                .stop_at_positional = true,
        };
        g_autoptr(GPtrArray) files = g_ptr_array_new();
        g_autoptr(BiogatePolicy) policy = NULL;
        g_autoptr(GError) error = NULL;
        int base = 0, next, r;

        /* Options may come before, between and after the files; after "--"
         * everything is a file. argv[base] is what the parser skips. */
        for (;;) {
                r = ctl_parse_command_line(&cl, argc - base, argv + base, &next);
                if (r >= 0)
                        return r;
                next += base;
                if (next >= argc)
                        break;
                if (next - 1 > base && strcmp(argv[next - 1], "--") == 0) {
                        for (; next < argc; next++)
                                g_ptr_array_add(files, argv[next]);
                        break;
                }
                g_ptr_array_add(files, argv[next]);
                base = next;
        }
        if (files->len == 0)
                return ctl_usage_error("policy check", _("No FILE given"));
        g_ptr_array_add(files, NULL);

        policy = biogate_policy_load_files((const char *const *) files->pdata, &error);
        if (!policy)
                return report_policy_error(json, true, error);

        if (json) {
                GVariantBuilder b;

                g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                g_variant_builder_add(&b, "{sv}", "valid", g_variant_new_boolean(TRUE));
                g_variant_builder_add(&b, "{sv}", "files",
                                      g_variant_new_strv((const char *const *) files->pdata, -1));
                g_variant_builder_add(&b, "{sv}", "rules",
                                      g_variant_new_uint32(biogate_policy_get_n_rules(policy)));
                ctl_json_print(stdout, g_variant_builder_end(&b));
        } else {
                g_autofree char *safe = ctl_printable(biogate_policy_describe_sources(policy));

                printf("%s: valid, %u rules (the default included)\n", safe, biogate_policy_get_n_rules(policy));
        }
        return CTL_EXIT_SUCCESS;
}

/* --time HH:MM: today at that local time. */
static GDateTime *parse_time_option(const char *text) {
        g_autoptr(GDateTime) now = g_date_time_new_now_local();
        int h, m;

        if (strlen(text) != 5 || text[2] != ':' || !g_ascii_isdigit(text[0]) || !g_ascii_isdigit(text[1]) ||
            !g_ascii_isdigit(text[3]) || !g_ascii_isdigit(text[4]))
                return NULL;
        h = (text[0] - '0') * 10 + (text[1] - '0');
        m = (text[3] - '0') * 10 + (text[4] - '0');
        if (h > 23 || m > 59)
                return NULL;
        return g_date_time_new_local(g_date_time_get_year(now), g_date_time_get_month(now),
                                     g_date_time_get_day_of_month(now), h, m, 0);
}

static void print_explanation(bool json, const BiogatePolicy *policy, const BiogatePolicyRule *rule,
                              const char *text, GDateTime *when) {
        const char *requirement = biogate_requirement_to_string(rule->requirement);
        g_autofree char *time_text = g_date_time_format(when, "%H:%M");
        g_autofree char *safe_text = NULL, *safe_file = NULL, *safe_sources = NULL;
        /* A four-eyes rule fails on a verify-only sensor (DeviceCannotIdentify)
         * only when someone tries it: say so before the policy ships. */
        bool needs_identify = rule->requirement == BIOGATE_REQUIRE_FINGERPRINT_APPROVER;
        const char *sensor = needs_identify ? "needs a sensor that can identify (four eyes)"
                           : rule->requirement == BIOGATE_REQUIRE_FINGERPRINT ? "any sensor"
                                                                                 : "not used";

        if (json) {
                GVariantBuilder b;

                g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                g_variant_builder_add(&b, "{sv}", "rule", g_variant_new_string(rule->name));
                g_variant_builder_add(&b, "{sv}", "file", g_variant_new_string(rule->file));
                g_variant_builder_add(&b, "{sv}", "line", g_variant_new_int32(rule->line));
                g_variant_builder_add(&b, "{sv}", "requirement", g_variant_new_string(requirement));
                g_variant_builder_add(&b, "{sv}", "needs-identify", g_variant_new_boolean(needs_identify));
                if (rule->approver_group)
                        g_variant_builder_add(&b, "{sv}", "approver-group",
                                              g_variant_new_string(rule->approver_group));
                g_variant_builder_add(&b, "{sv}", "require-local-session",
                                      g_variant_new_boolean(rule->require_local_session));
                g_variant_builder_add(&b, "{sv}", "token-lifetime", g_variant_new_uint32(rule->token_lifetime_s));
                g_variant_builder_add(&b, "{sv}", "display",
                                      g_variant_new_string(rule->display_agent ? "agent" : "any"));
                g_variant_builder_add(&b, "{sv}", "text", g_variant_new_string(text));
                g_variant_builder_add(&b, "{sv}", "time", g_variant_new_string(time_text));
                g_variant_builder_add(&b, "{sv}", "sources",
                                      g_variant_new_string(biogate_policy_describe_sources(policy)));
                ctl_json_print(stdout, g_variant_builder_end(&b));
                return;
        }

        /* File names and the transaction come from outside: no escapes. */
        safe_text = ctl_printable(text);
        safe_file = ctl_printable(rule->file);
        safe_sources = ctl_printable(biogate_policy_describe_sources(policy));
        printf(_("Transaction:     %s\n"
               "At:              %s (local time)\n"
               "Rule:            %s\n"
               "Defined at:      %s:%d\n"
               "Requires:        %s\n"
               "Sensor:          %s\n"
               "Approver group:  %s\n"
               "Local session:   %s\n"
               "Token lifetime:  %u s\n"
               "Policy:          %s\n"),
               safe_text, time_text, rule->name, safe_file, rule->line, requirement,
               sensor,
               rule->approver_group ? rule->approver_group : "-",
               rule->require_local_session ? "required" : "not required",
               rule->token_lifetime_s, safe_sources);
}

static int policy_explain(Ctl *ctl, int argc, char **argv) {
        const char *policy_dir = NULL, *vendor = NULL, *time_text = NULL;
        CtlTxFields f = { 0 };
        bool json = ctl->json;
        const CtlOption options[] = {
                { "policy-dir", 0, CTL_OPTION_STRING, &policy_dir, "DIR",
                  "Local policy directory (default " BIOGATE_DEFAULT_POLICY_DIR ")" },
                { "vendor", 0, CTL_OPTION_STRING, &vendor, "FILE",
                  "Policy used when DIR has no *.conf (default " BIOGATE_DEFAULT_VENDOR_POLICY ")" },
                CTL_TX_OPTIONS(f),
                { "time", 0, CTL_OPTION_STRING, &time_text, "HH:MM", N_("Local time to evaluate at (default: now)") },
                CTL_OPTION_JSON(&json),
                CTL_OPTION_HELP_ENTRY,
                CTL_OPTION_END,
        };
        const CtlCommandLine cl = {
                .command = "policy explain",
                .usage = "policy explain [--policy-dir DIR] [--vendor FILE] --kind KIND\n"
                         "       [--amount AMOUNT --currency CODE] [--payee NAME] [--counterparty NAME]\n"
                         "       [--account ACCOUNT] [--instrument INSTRUMENT] [--reference REF]\n"
                         "       [--time HH:MM] [--json]",
                .summary = N_("Show which rule of the step-up policy a transaction meets and what it requires,\n"
                           "evaluating the policy files locally as biogated does."),
                .epilogue = N_("A rule that requires fingerprint+approver needs a sensor that can identify:\n"
                            "on a verify-only sensor biogated refuses it (DeviceCannotIdentify).\n"
                            "Exit status: 0 explained, 1 the policy is not valid or missing, 2 usage or an\n"
                            "invalid transaction.\n"),
                .options = options,
        };
        g_autoptr(BiogatePolicy) policy = NULL;
        g_autoptr(GDateTime) when = NULL;
        g_autoptr(GVariant) dict = NULL;
        g_autoptr(BiogateTx) tx = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *text = NULL;
        GVariantBuilder b;
        int r;

        r = ctl_parse_command_line(&cl, argc, argv, NULL);
        if (r >= 0)
                return r;
        if (!f.kind)
                return ctl_usage_error("policy explain", _("--kind is required"));
        when = time_text ? parse_time_option(time_text) : g_date_time_new_now_local();
        if (!when)
                return ctl_usage_error("policy explain", _("--time takes HH:MM (00:00 to 23:59), not '%s'"), time_text);

        /* The same parser as the daemon's: what it refuses, explain refuses. */
        g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
        ctl_tx_fields_add(&f, &b);
        dict = g_variant_ref_sink(g_variant_builder_end(&b));
        tx = biogate_tx_from_variant(dict, &error);
        if (!tx)
                return ctl_input_error(_("Invalid transaction: %s"), error->message);

        policy = biogate_policy_load(policy_dir ? policy_dir : BIOGATE_DEFAULT_POLICY_DIR,
                                     vendor ? vendor : BIOGATE_DEFAULT_VENDOR_POLICY, &error);
        if (!policy)
                return report_policy_error(json, false, error);

        if (!biogate_tx_kind_is_builtin(tx->kind) && !biogate_policy_knows_kind(policy, tx->kind))
                return ctl_input_error(_("Invalid transaction: kind '%s' is not built in and no rule of the "
                                       "policy names it, so biogated refuses it"), tx->kind);

        text = biogate_tx_render_text(tx);
        print_explanation(json, policy, biogate_policy_match(policy, tx, when), text, when);
        return CTL_EXIT_SUCCESS;
}

int ctl_command_policy(Ctl *ctl, int argc, char **argv) {
        static const char help[] =
                "Usage: biogatectl policy check [--json] FILE...\n"
                "       biogatectl policy explain [OPTIONS] --kind KIND [--amount AMOUNT --currency CODE] ...\n"
                "\n"
                "Check step-up policy files, or show which rule a transaction meets. Both run\n"
                "locally, without biogated. See biogate-policy(5).\n"
                "\n"
                "Run 'biogatectl policy check --help' or 'biogatectl policy explain --help' for\n"
                "their options.\n";

        if (argc < 2)
                return ctl_usage_error("policy", _("No policy command given: check or explain"));
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                fputs(help, stdout);
                return CTL_EXIT_SUCCESS;
        }
        if (strcmp(argv[1], "check") == 0)
                return policy_check(ctl, argc - 1, argv + 1);
        if (strcmp(argv[1], "explain") == 0)
                return policy_explain(ctl, argc - 1, argv + 1);
        return ctl_usage_error("policy", _("Unknown policy command '%s': use check or explain"), argv[1]);
}
