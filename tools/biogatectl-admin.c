/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Day-two commands of administrators: unlock and reload. Manager.Unlock and
 * Manager.Reload are for administrators' tools, not part of libbiogate's
 * API (as RotateSigningKey): called on the client's connection. Both need
 * org.biogate1.manage, for which polkit asks for an administrator's
 * password: interactive authorization is allowed, and on a terminal
 * biogatectl starts an agent to ask. */
#include "config.h"

#include <stdio.h>

#include "biogate-bus.h"
#include "biogate-i18n.h"
#include "biogatectl-args.h"
#include "biogatectl-commands.h"
#include "biogatectl-error.h"
#include "biogatectl-output.h"

/* Makes the call: -1 when it succeeded, else the exit status of the error
 * it reported. */
static int manager_call(Ctl *ctl, const char *method, GVariant *args) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = ctl_call_administrative(ctl, BIOGATE_MANAGER_INTERFACE, method, args,
                                                            G_VARIANT_TYPE_UNIT, &error);

        if (!reply)
                return ctl_report_error(ctl->json, error);
        return -1;
}

int ctl_command_unlock(Ctl *ctl, int argc, char **argv) {
        const CtlOption options[] = {
                CTL_OPTION_JSON(&ctl->json),
                CTL_OPTION_HELP_ENTRY,
                CTL_OPTION_END,
        };
        const CtlCommandLine cl = {
                .command = "unlock",
                .usage = "unlock [--json] USER",
                .summary = N_("Lift the lock that failed fingerprint matches put on USER: clears the\n"
                              "failure counters (logins, step-up and four-eyes approvals). Check who\n"
                              "made the attempts first (biogatectl audit report). Administrators only."),
                .epilogue = N_("Exit status: 0 unlocked (also when nothing was locked); 2 usage error;\n"
                               "3 not an administrator; 5 no such user; 7 another daemon error;\n"
                               "8 daemon not reachable.\n"),
                .options = options,
                .stop_at_positional = true,
        };
        g_autofree char *safe_user = NULL;
        const char *user;
        int next, r;

        r = ctl_parse_command_line(&cl, argc, argv, &next);
        if (r >= 0)
                return r;
        if (next >= argc)
                return ctl_usage_error(cl.command, "%s", _("Name the user to unlock"));
        if (next + 1 < argc)
                return ctl_usage_error(cl.command, _("Unexpected argument '%s'"), argv[next + 1]);
        user = argv[next];
        if (!*user)
                return ctl_usage_error(cl.command, "%s", _("Name the user to unlock"));

        r = manager_call(ctl, "Unlock", g_variant_new("(s)", user));
        if (r >= 0)
                return r;

        if (ctl->json) {
                GVariantBuilder b;

                g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                g_variant_builder_add(&b, "{sv}", "user", g_variant_new_string(user));
                g_variant_builder_add(&b, "{sv}", "unlocked", g_variant_new_boolean(TRUE));
                ctl_json_print(stdout, g_variant_builder_end(&b));
                return CTL_EXIT_SUCCESS;
        }
        safe_user = ctl_printable(user);
        printf(_("Unlocked the fingerprints of %s: failed attempts no longer count against them.\n"), safe_user);
        return CTL_EXIT_SUCCESS;
}

int ctl_command_reload(Ctl *ctl, int argc, char **argv) {
        const CtlOption options[] = {
                CTL_OPTION_JSON(&ctl->json),
                CTL_OPTION_HELP_ENTRY,
                CTL_OPTION_END,
        };
        const CtlCommandLine cl = {
                .command = "reload",
                .usage = "reload [--json]",
                .summary = N_("Make biogated read the step-up policy and the consent notice again (as\n"
                              "SIGHUP or systemctl reload does). A policy that does not load is refused\n"
                              "with its file and line, and the last good one stays in force. Administrators\n"
                              "only."),
                .epilogue = N_("Exit status: 0 reloaded; 2 usage error; 3 not an administrator; 7 the policy\n"
                               "or the consent notice did not load (PolicyUnavailable, ConsentNotice) or\n"
                               "another daemon error; 8 daemon not reachable.\n"),
                .options = options,
        };
        int r;

        r = ctl_parse_command_line(&cl, argc, argv, NULL);
        if (r >= 0)
                return r;

        r = manager_call(ctl, "Reload", NULL);
        if (r >= 0)
                return r;

        if (ctl->json) {
                GVariantBuilder b;

                g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                g_variant_builder_add(&b, "{sv}", "reloaded", g_variant_new_boolean(TRUE));
                ctl_json_print(stdout, g_variant_builder_end(&b));
                return CTL_EXIT_SUCCESS;
        }
        printf("%s\n", _("Reloaded the step-up policy and the consent notice."));
        return CTL_EXIT_SUCCESS;
}
