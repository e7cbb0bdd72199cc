/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* biogatectl keys: the public key set that verifies this workstation's
 * step-up tokens, from the daemon (StepUp.GetPublicKeys). Any user may
 * export it: it holds public keys only, meant to be copied to backends. */
#include <stdio.h>
#include <string.h>

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
                .summary = "Print the JWK set (JSON) with the public keys that verify this workstation's\n"
                           "step-up tokens: the signing key, and keys retired by a rotation until the\n"
                           "last token they signed has expired. Any user may run it.",
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

int ctl_command_keys(Ctl *ctl, int argc, char **argv) {
        const CtlOption options[] = {
                CTL_OPTION_HELP_ENTRY,
                CTL_OPTION_END,
        };
        const CtlCommandLine cl = {
                .command = "keys",
                .usage = "keys export",
                .summary = "Work with the token signing keys. Commands:\n"
                           "  export  Print the public JWK set for backends (any user)",
                .options = options,
                .stop_at_positional = true,
        };
        int next, r;

        r = ctl_parse_command_line(&cl, argc, argv, &next);
        if (r >= 0)
                return r;
        if (next >= argc)
                return ctl_usage_error(cl.command, "No keys command given (export)");
        if (strcmp(argv[next], "export") == 0)
                return keys_export(ctl, argc - next, argv + next);
        return ctl_usage_error(cl.command, "Unknown keys command '%s'", argv[next]);
}
