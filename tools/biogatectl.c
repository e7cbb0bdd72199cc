/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* biogatectl: command-line client of biogated. This file parses the global
 * options and dispatches to the commands of biogatectl-commands.h, each in
 * the biogatectl-*.c file of its area. */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "biogate-i18n.h"
#include "biogatectl-args.h"
#include "biogatectl-commands.h"
#include "biogatectl-error.h"
#include "biogatectl-output.h"

static const struct {
        const char *name;
        CtlCommandFunc run;
        const char *summary;
} commands[] = {
        { "status",  ctl_command_status,  N_("Show whether biogated is reachable, its API version and your fingers") },
        { "devices", ctl_command_devices, N_("List fingerprint sensors") },
        { "list",    ctl_command_list,    N_("List enrolled fingers") },
        { "enroll",  ctl_command_enroll,  N_("Enrol a finger") },
        { "verify",  ctl_command_verify,  N_("Match a finger against enrolled prints") },
        { "delete",  ctl_command_delete,  N_("Delete enrolled fingerprints") },
        { "my-data", ctl_command_my_data, N_("Show what biogate holds about you (never template data)") },
        { "erase",   ctl_command_erase,   N_("Erase all your fingerprints, consent record and key") },
        { "consent", ctl_command_consent, N_("Agree to the consent notice ahead of enrolment in the desktop's settings") },
        { "approve", ctl_command_approve, N_("Approve a transaction with a fingerprint (step-up)") },
        { "token",   ctl_command_token,   N_("Verify a step-up token offline (token verify)") },
        { "keys",    ctl_command_keys,    N_("Export the keys that verify step-up tokens, or rotate the signing key") },
        { "policy",  ctl_command_policy,  N_("Check a step-up policy, or explain which rule applies") },
        { "audit",   ctl_command_audit,   N_("Verify the audit trail in the journal, or report on it") },
        { "unlock",  ctl_command_unlock,  N_("Lift the lock that failed attempts put on a user (administrators)") },
        { "reload",  ctl_command_reload,  N_("Make biogated read the step-up policy and consent notice again (administrators)") },
};

static char *commands_help(void) {
        GString *s = g_string_new(_("Commands:\n"));

        for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
                g_string_append_printf(s, "  %-9s %s\n", commands[i].name, _(commands[i].summary));
        g_string_append(s, _("\nRun 'biogatectl COMMAND --help' for the options of a command.\n"
                             "See biogatectl(1) for exit statuses and JSON output.\n"));
        return g_string_free(s, FALSE);
}

static int print_version(bool json) {
        if (json) {
                GVariantBuilder b;

                g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                g_variant_builder_add(&b, "{sv}", "version", g_variant_new_string(BIOGATE_VERSION));
                ctl_json_print(stdout, g_variant_builder_end(&b));
        } else
                printf("biogatectl %s\n", BIOGATE_VERSION);
        return CTL_EXIT_SUCCESS;
}

static int run(int argc, char **argv) {
        Ctl ctl = { .json = false };
        bool version = false;
        g_autofree char *epilogue = commands_help();
        const CtlOption options[] = {
                CTL_OPTION_JSON(&ctl.json),
                { "version", 0, CTL_OPTION_FLAG, &version, NULL, N_("Show the version and exit") },
                { "no-ask-password", 0, CTL_OPTION_FLAG, &ctl.no_ask_password, NULL,
                  N_("Never start a polkit agent to ask for a password") },
                CTL_OPTION_HELP_ENTRY,
                CTL_OPTION_END,
        };
        const CtlCommandLine cl = {
                .command = NULL,
                .usage = "[--json] [--no-ask-password] [--help] [--version] COMMAND [OPTIONS]",
                .summary = N_("Enrol, verify, list and delete fingerprints through biogated."),
                .epilogue = epilogue,
                .options = options,
                .stop_at_positional = true,
        };
        const char *name;
        int next, r;

        r = ctl_parse_command_line(&cl, argc, argv, &next);
        if (r >= 0)
                return r;

        if (version)
                return print_version(ctl.json);

        if (next >= argc)
                return ctl_usage_error(NULL, _("No command given"));

        name = argv[next];
        for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
                if (strcmp(commands[i].name, name) != 0)
                        continue;
                r = commands[i].run(&ctl, argc - next, argv + next);
                g_clear_object(&ctl.client);
                ctl_polkit_agent_close(&ctl);
                return r;
        }

        return ctl_usage_error(NULL, _("Unknown command '%s'"), name);
}

int main(int argc, char **argv) {
        /* Before run(): its help text is translated as it is declared. */
        setlocale(LC_ALL, "");
        biogate_i18n_init();
        return run(argc, argv);
}
