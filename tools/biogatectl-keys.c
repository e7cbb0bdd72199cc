/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* biogatectl keys: the public key set that verifies this workstation's
 * step-up tokens, from the daemon (StepUp.GetPublicKeys). Any user may
 * export it: it holds public keys only, meant to be copied to backends.
 * An administrator rotates the signing key (StepUp.RotateSigningKey). */
#include <stdio.h>
#include <string.h>

#include "biogate-bus.h"
#include "biogate-i18n.h"
#include "biogatectl-output.h"

#include "biogatectl-args.h"
#include "biogatectl-commands.h"
#include "biogatectl-error.h"
#include "biogatectl-keys.h"

char *ctl_keys_fetch(Ctl *ctl, GError **error) {
        if (!ctl_connect(ctl, error))
                return NULL;
        return biogate_client_get_public_keys_sync(ctl->client, NULL, error);
}

static int keys_export(Ctl *ctl, int argc, char **argv) {
        const CtlOption options[] = {
                CTL_OPTION_HELP_ENTRY,
                CTL_OPTION_END,
        };
        const CtlCommandLine cl = {
                .command = "keys export",
                .usage = "keys export",
                .summary = N_("Print the JWK set (JSON) with the public keys that verify this workstation's\n"
                           "step-up tokens: the signing key, and keys retired by a rotation until the\n"
                           "last token they signed has expired. Any user may run it."),
                .options = options,
        };
        g_autoptr(GError) error = NULL;
        g_autofree char *jwks = NULL;
        int r;

        r = ctl_parse_command_line(&cl, argc, argv, NULL);
        if (r >= 0)
                return r;
        jwks = ctl_keys_fetch(ctl, &error);
        if (!jwks)
                return ctl_report_error(false, error);
        printf("%s\n", jwks);
        return fflush(stdout) == 0 ? CTL_EXIT_SUCCESS : CTL_EXIT_DAEMON;
}

static int keys_rotate(Ctl *ctl, int argc, char **argv) {
        const CtlOption options[] = {
                CTL_OPTION_JSON(&ctl->json),
                CTL_OPTION_HELP_ENTRY,
                CTL_OPTION_END,
        };
        const CtlCommandLine cl = {
                .command = "keys rotate",
                .usage = "keys rotate [--json]",
                .summary = N_("Make a new token signing key (org.biogate1.manage: root, or as polkit allows).\n"
                           "Tokens signed from now on carry the new key id, printed here; the old public\n"
                           "key stays in 'keys export' until every token it signed has expired. Refused\n"
                           "when the key comes from the systemd credential biogate.signing-key: rotate\n"
                           "that credential instead."),
                .options = options,
        };
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = NULL;
        g_autofree char *safe = NULL;
        const char *kid = NULL;
        int r;

        r = ctl_parse_command_line(&cl, argc, argv, NULL);
        if (r >= 0)
                return r;
        reply = ctl_call_administrative(ctl, BIOGATE_STEPUP_INTERFACE, "RotateSigningKey", NULL,
                                        G_VARIANT_TYPE("(s)"), &error);
        if (!reply)
                return ctl_report_error(ctl->json, error);
        g_variant_get(reply, "(&s)", &kid);
        if (ctl->json) {
                g_autoptr(GString) line = g_string_new("{\"kid\":");

                ctl_json_append_string(line, kid);
                g_string_append(line, "}\n");
                fputs(line->str, stdout);
        } else {
                safe = ctl_printable(kid);
                printf(_("New signing key: %s\n"
                       "The previous key stays published until every token it signed has expired.\n"
                       "Give backends the new key set now: biogatectl keys export\n"),
                       safe);
        }
        return fflush(stdout) == 0 ? CTL_EXIT_SUCCESS : CTL_EXIT_DAEMON;
}

int ctl_command_keys(Ctl *ctl, int argc, char **argv) {
        const CtlOption options[] = {
                CTL_OPTION_HELP_ENTRY,
                CTL_OPTION_END,
        };
        const CtlCommandLine cl = {
                .command = "keys",
                .usage = "keys export|rotate",
                .summary = N_("Work with the token signing keys. Commands:\n"
                           "  export  Print the public JWK set for backends (any user)\n"
                           "  rotate  Make a new signing key (administrators)"),
                .options = options,
                .stop_at_positional = true,
        };
        int next, r;

        r = ctl_parse_command_line(&cl, argc, argv, &next);
        if (r >= 0)
                return r;
        if (next >= argc)
                return ctl_usage_error(cl.command, _("No keys command given (export, rotate)"));
        if (strcmp(argv[next], "export") == 0)
                return keys_export(ctl, argc - next, argv + next);
        if (strcmp(argv[next], "rotate") == 0)
                return keys_rotate(ctl, argc - next, argv + next);
        return ctl_usage_error(cl.command, _("Unknown keys command '%s'"), argv[next]);
}
