/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* biogatectl approve: a trader approves one transaction with a fresh touch
 * and gets the signed step-up token for the backend. */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "biogate-bus.h"
#include "biogate-i18n.h"
#include "biogatectl-args.h"
#include "biogatectl-commands.h"
#include "biogatectl-error.h"
#include "biogatectl-operation.h"
#include "biogatectl-output.h"
#include "biogatectl-tx.h"

typedef struct ApproveView {
        bool json;
        const char *approver_group;
} ApproveView;

static bool parse_hex(const char *hex, GBytes **ret, GError **error) {
        size_t n = strlen(hex);
        g_autofree guint8 *buf = NULL;

        if (n == 0 || n % 2 != 0 || n / 2 > 64) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            "--challenge takes an even number of hex digits (at most 128)");
                return false;
        }
        buf = g_malloc(n / 2);
        for (size_t i = 0; i < n / 2; i++) {
                int hi = g_ascii_xdigit_value(hex[2 * i]), lo = g_ascii_xdigit_value(hex[2 * i + 1]);
                if (hi < 0 || lo < 0) {
                        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "--challenge is not hex");
                        return false;
                }
                buf[i] = (guint8) (hi << 4 | lo);
        }
        *ret = g_bytes_new_take(g_steal_pointer(&buf), n / 2);
        return true;
}

static void on_progress(const char *status, GVariant *details, void *userdata) {
        ApproveView *v = userdata;

        if (v->json)
                return;
        if (strcmp(status, "finger-needed") == 0)
                fprintf(stderr, _("Touch the sensor to approve\n"));
        else if (strcmp(status, "approver-needed") == 0 && v->approver_group)
                fprintf(stderr, _("Approved by you. Now a second person (group %s) must touch the sensor\n"),
                        v->approver_group);
        else if (strcmp(status, "approver-needed") == 0)
                fprintf(stderr, _("Approved by you. Now a second person (group of approvers) must touch the sensor\n"));
        else if (strcmp(status, "retry-scan") == 0)
                fprintf(stderr, _("Scan failed, try again\n"));
        else if (strcmp(status, "approver-retry") == 0) {
                guint32 left = 0;
                (void) g_variant_lookup(details, "tries-left", "u", &left);
                fprintf(stderr, P_("That finger is not an eligible approver; %u try left\n",
                                  "That finger is not an eligible approver; %u tries left\n", left),
                        (unsigned) left);
        }
}

static int report_denied(bool json, GVariant *details) {
        const char *reason = "denied", *message = _("The transaction was not approved");

        (void) g_variant_lookup(details, "reason", "&s", &reason);
        (void) g_variant_lookup(details, "message", "&s", &message);
        if (json) {
                GVariantBuilder b;
                g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                g_variant_builder_add(&b, "{sv}", "result", g_variant_new_string("denied"));
                g_variant_builder_add(&b, "{sv}", "reason", g_variant_new_string(reason));
                g_variant_builder_add(&b, "{sv}", "message", g_variant_new_string(message));
                ctl_json_print(stdout, g_variant_builder_end(&b));
        } else {
                g_autofree char *safe = ctl_printable(message);
                fprintf(stderr, _("Not approved: %s\n"), safe);
        }
        return CTL_EXIT_NO_MATCH;
}

int ctl_command_approve(Ctl *ctl, int argc, char **argv) {
        CtlTxFields f = { 0 };
        const char *challenge_hex = NULL;
        bool json = ctl->json;
        const CtlOption options[] = {
                CTL_TX_OPTIONS(f),
                { "challenge", 0, CTL_OPTION_STRING, &challenge_hex, "HEX",
                  N_("The backend's nonce, 16 to 64 bytes in hex (default: a random one, printed)") },
                CTL_OPTION_JSON(&json),
                CTL_OPTION_HELP_ENTRY,
                CTL_OPTION_END,
        };
        const CtlCommandLine cl = {
                .command = "approve",
                .usage = "approve --kind KIND [--amount AMOUNT --currency CODE] [--payee NAME] [OPTIONS]",
                .summary = N_("Approve one transaction with a fresh fingerprint and print the signed token."),
                .epilogue = N_("The daemon renders the text you approve from the same fields the token binds.\n"
                            "The challenge is hex here; in the token it is base64url (nonce, tx.challenge).\n"
                            "Exit status: 0 approved; 1 not approved (no match, or no eligible approver);\n"
                            "2 usage error; 3 refused (the rule denies, not a local session, locked out);\n"
                            "4 no sensor, sensor busy, or a four-eyes rule on a sensor that cannot identify;\n"
                            "5 no enrolled prints; 6 cancelled or timed out; 7 invalid transaction or another\n"
                            "daemon error; 8 daemon not reachable.\n"),
                .options = options,
        };
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) challenge = NULL;
        g_autoptr(GVariant) eval_details = NULL, details = NULL;
        g_autoptr(BiogateOperation) operation = NULL;
        g_autofree char *result = NULL, *safe_text = NULL, *rule = NULL, *requirement = NULL;
        const char *text = "";
        ApproveView view = { 0 };
        CtlOperationHandler handler = { .progress = on_progress, .userdata = &view };
        GVariantBuilder tx;
        int r;

        r = ctl_parse_command_line(&cl, argc, argv, NULL);
        if (r >= 0)
                return r;
        if (!f.kind)
                return ctl_usage_error("approve", _("--kind is required"));
        if (challenge_hex) {
                if (!parse_hex(challenge_hex, &challenge, &error))
                        return ctl_usage_error("approve", "%s", error->message);
        } else {
                guint8 random[32];
                if (getrandom(random, sizeof random, 0) != (ssize_t) sizeof random)
                        return ctl_usage_error("approve", _("cannot make a random challenge; pass --challenge"));
                challenge = g_bytes_new(random, sizeof random);
                if (!json)
                        fprintf(stderr, _("No --challenge given: using a random one (a backend supplies its own)\n"));
        }

        g_variant_builder_init(&tx, G_VARIANT_TYPE_VARDICT);
        ctl_tx_fields_add(&f, &tx);
        g_variant_builder_add(&tx, "{sv}", "challenge",
                              g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, g_bytes_get_data(challenge, NULL),
                                                        g_bytes_get_size(challenge), 1));
        {
                /* Evaluate and Authorize each take a reference of their own. */
                g_autoptr(GVariant) tx_value = g_variant_ref_sink(g_variant_builder_end(&tx));

                if (!ctl_connect(ctl, &error))
                        return ctl_report_error(json, error);
                if (!biogate_client_evaluate_sync(ctl->client, tx_value, &rule, &requirement, &eval_details, NULL,
                                                  &error))
                        return ctl_report_error(json, error);
                (void) g_variant_lookup(eval_details, "text", "&s", &text);
                (void) g_variant_lookup(eval_details, "approver-group", "&s", &view.approver_group);
                view.json = json;
                safe_text = ctl_printable(text);
                if (!json)
                        fprintf(stderr, "%s\nRule '%s' requires: %s\n", safe_text, rule, requirement);

                operation = biogate_client_authorize(ctl->client, tx_value, NULL, NULL);
                /* Always the caller's own fingerprints (and approvals). */
                if (!ctl_operation_follow(operation, &handler, &result, &details, &error))
                        return ctl_report_error_for(json, error, ctl_user_display_name(NULL));
        }

        if (strcmp(result, "denied") == 0)
                return report_denied(json, details);
        if (strcmp(result, "approved") != 0) {
                const char *name = BIOGATE_ERROR_PREFIX "Internal", *message = _("unexpected result");
                (void) g_variant_lookup(details, "error", "&s", &name);
                (void) g_variant_lookup(details, "message", "&s", &message);
                return ctl_report_error_name_for(json, name, message, ctl_user_display_name(NULL));
        }

        {
                const char *token = "";
                g_autofree char *challenge_out = NULL;
                GString *hex = g_string_new(NULL);
                const guint8 *c = g_bytes_get_data(challenge, NULL);

                for (gsize i = 0; i < g_bytes_get_size(challenge); i++)
                        g_string_append_printf(hex, "%02x", c[i]);
                challenge_out = g_string_free(hex, FALSE);
                (void) g_variant_lookup(details, "token", "&s", &token);
                if (json) {
                        GVariantBuilder b;
                        g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                        g_variant_builder_add(&b, "{sv}", "result", g_variant_new_string("approved"));
                        g_variant_builder_add(&b, "{sv}", "rule", g_variant_new_string(rule));
                        g_variant_builder_add(&b, "{sv}", "text", g_variant_new_string(text));
                        g_variant_builder_add(&b, "{sv}", "challenge", g_variant_new_string(challenge_out));
                        g_variant_builder_add(&b, "{sv}", "token", g_variant_new_string(token));
                        ctl_json_print(stdout, g_variant_builder_end(&b));
                } else {
                        fprintf(stderr, _("Approved under rule '%s' (challenge %s)\n"), rule, challenge_out);
                        printf("%s\n", token);
                }
        }
        return CTL_EXIT_SUCCESS;
}
