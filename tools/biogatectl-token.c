/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* biogatectl token verify: checks a step-up token offline, the way a
 * backend would, from the token and a JWK set alone. With --jwks it needs
 * neither the daemon nor the bus, so it also runs on the backend's side;
 * without, the key set comes from the local daemon (GetPublicKeys), which
 * any user may ask, unlike the root-only state directory. */
#include <stdio.h>
#include <string.h>

#include "biogate-jcs.h"
#include "biogate-i18n.h"
#include "biogate-token-ledger.h"
#include "biogate-token.h"
#include "biogatectl-args.h"
#include "biogatectl-commands.h"
#include "biogatectl-error.h"
#include "biogatectl-keys.h"
#include "biogatectl-output.h"

/* A JWK set is a few hundred bytes; this only stops a wrong file. */
#define JWKS_MAX_SIZE (1024 * 1024)
/* Tokens are about 1 KiB; biogate_token_verify() refuses long ones anyway. */
#define TOKEN_MAX_SIZE (64 * 1024)

/* The one table from verification errors to the check that failed, as
 * printed and as "check" in --json output (documented in biogatectl(1)). */
static const struct {
        BiogateTokenError code;
        const char *check;
        const char *summary;
} checks[] = {
        { BIOGATE_TOKEN_ERROR_MALFORMED,     "format",    "malformed token" },
        { BIOGATE_TOKEN_ERROR_UNKNOWN_KEY,   "key",       "unknown key" },
        { BIOGATE_TOKEN_ERROR_BAD_SIGNATURE, "signature", "bad signature" },
        { BIOGATE_TOKEN_ERROR_EXPIRED,       "expiry",    "expired" },
        { BIOGATE_TOKEN_ERROR_NOT_YET_VALID, "issued-at", "issued in the future" },
        { BIOGATE_TOKEN_ERROR_NONCE,         "nonce",     "wrong nonce" },
        { BIOGATE_TOKEN_ERROR_DIGEST,        "digest",    "transaction digest mismatch" },
        { BIOGATE_TOKEN_ERROR_REPLAYED,      "replay",    "already used" },
        { BIOGATE_TOKEN_ERROR_AUDIENCE,      "audience",  "wrong audience" },
};

static void describe_failure(const GError *error, const char **ret_check, const char **ret_summary) {
        *ret_check = "internal";
        *ret_summary = "verification failed";
        if (error->domain != BIOGATE_TOKEN_ERROR)
                return;
        for (size_t i = 0; i < G_N_ELEMENTS(checks); i++)
                if ((int) checks[i].code == error->code) {
                        *ret_check = checks[i].check;
                        *ret_summary = checks[i].summary;
                        return;
                }
}

/* 16..64 bytes as hex, like the challenge of a transaction. */
static GBytes *parse_challenge(const char *hex) {
        size_t n = strlen(hex);
        g_autofree guint8 *bytes = NULL;

        if (n % 2 != 0 || n / 2 < BIOGATE_TX_CHALLENGE_MIN || n / 2 > BIOGATE_TX_CHALLENGE_MAX)
                return NULL;
        bytes = g_malloc(n / 2);
        for (size_t i = 0; i < n / 2; i++) {
                int hi = g_ascii_xdigit_value(hex[2 * i]), lo = g_ascii_xdigit_value(hex[2 * i + 1]);

                if (hi < 0 || lo < 0)
                        return NULL;
                bytes[i] = (guint8) (hi << 4 | lo);
        }
        return g_bytes_new_take(g_steal_pointer(&bytes), n / 2);
}

/* The token from the argument, or from standard input for "-" (so that
 * `biogatectl approve ... | biogatectl token verify ... -` works), without
 * surrounding whitespace. */
static char *read_token(const char *arg, GError **error) {
        g_autoptr(GString) s = NULL;
        char buf[4096];
        size_t n;

        if (strcmp(arg, "-") != 0)
                return g_strstrip(g_strdup(arg));

        s = g_string_new(NULL);
        while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
                g_string_append_len(s, buf, (gssize) n);
                if (s->len > TOKEN_MAX_SIZE) {
                        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                                            "The token on standard input is too long");
                        return NULL;
                }
        }
        if (ferror(stdin)) {
                g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot read standard input");
                return NULL;
        }
        return g_strstrip(g_string_free(g_steal_pointer(&s), FALSE));
}

static const char *claim_string(JsonObject *claims, const char *name) {
        JsonNode *node = json_object_get_member(claims, name);

        if (!node || !JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
                return "?";
        return json_node_get_string(node);
}

static gint64 claim_int(JsonObject *claims, const char *name, gint64 fallback) {
        JsonNode *node = json_object_get_member(claims, name);

        if (!node || !JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64)
                return fallback;
        return json_node_get_int(node);
}

/* Whether the token says a fingerprint was taken: "fpt" in amr (RFC 8176).
 * A rule with require=none gets a validly signed token with an empty amr; a
 * backend that only checks the signature would take it for a touch. */
static gboolean claims_have_touch(JsonObject *claims) {
        JsonNode *node = json_object_get_member(claims, "amr");
        JsonArray *amr;

        if (!node || !JSON_NODE_HOLDS_ARRAY(node))
                return FALSE;
        amr = json_node_get_array(node);
        for (guint i = 0; i < json_array_get_length(amr); i++) {
                JsonNode *e = json_array_get_element(amr, i);

                if (JSON_NODE_HOLDS_VALUE(e) && json_node_get_value_type(e) == G_TYPE_STRING &&
                    g_str_equal(json_node_get_string(e), "fpt"))
                        return TRUE;
        }
        return FALSE;
}

#define NO_TOUCH_WARNING "approved by policy without a touch"

static void print_valid_plain(JsonObject *claims, gboolean nonce_checked, const char *audience, gint64 now) {
        g_autoptr(BiogateTx) tx = NULL;
        g_autofree char *text = NULL, *safe_text = NULL, *safe_sub = NULL, *safe_rule = NULL;

        /* Verification parsed the same tx already; it cannot fail here. */
        tx = biogate_tx_from_json(json_object_get_member(claims, "tx"), NULL);
        text = tx ? biogate_tx_render_text(tx) : g_strdup("?");
        safe_text = ctl_printable(text);
        safe_sub = ctl_printable(claim_string(claims, "sub"));
        safe_rule = ctl_printable(claim_string(claims, "rule"));

        fputs(nonce_checked ? _("Token valid: signature, expiry, nonce and transaction digest check out\n")
                            : _("Token valid: signature, expiry and transaction digest check out\n"),
              stdout);
        /* The transaction text is biogated's, as the token binds it: never translated. */
        printf(_("Transaction: %s\n"
                 "User:        %s (uid %lld)\n"
                 "Rule:        %s\n"
                 "Expires in:  %lld s\n"),
               safe_text, safe_sub, (long long) claim_int(claims, "uid", -1), safe_rule,
               (long long) (claim_int(claims, "exp", now) - now));
        if (audience) {
                g_autofree char *safe_audience = ctl_printable(audience);

                /* The summary line above names only what every run checks. */
                printf(_("Audience:    %s (checked)\n"), safe_audience);
        }
        if (!nonce_checked)
                printf(_("Nonce:       not checked (no --challenge given)\n"));
        if (claims_have_touch(claims))
                printf(_("Fingerprint: taken for this transaction (amr fpt)\n"));
        else
                /* The English of NO_TOUCH_WARNING, which --json prints as is. */
                fputs(_("Fingerprint: NONE\n"
                        "WARNING:     approved by policy without a touch: no fingerprint was taken for this "
                        "transaction\n"
                        "             (amr holds no fpt); accept it only where the rule allows that\n"),
                      stdout);
}

static void print_valid_json(JsonObject *claims, gboolean nonce_checked, gboolean once_checked) {
        g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), claims);
        g_autofree char *claims_text = biogate_jcs_serialize(node, NULL);
        g_autoptr(GString) line = g_string_new(NULL);

        /* The claims were parsed from JSON text: JCS cannot fail on them
         * unless they hold integers beyond 2^53, which ours never do. */
        g_string_append_printf(line, "{\"valid\":true,\"nonce-checked\":%s,\"once-checked\":%s,\"touch\":%s,",
                               nonce_checked ? "true" : "false", once_checked ? "true" : "false",
                               claims_have_touch(claims) ? "true" : "false");
        if (!claims_have_touch(claims))
                g_string_append(line, "\"warning\":\"" NO_TOUCH_WARNING "\",");
        g_string_append_printf(line, "\"claims\":%s}\n", claims_text ? claims_text : "null");
        fputs(line->str, stdout);
        fflush(stdout);
}

/* A refusal: the token is not to be accepted, whichever check said so. */
static int report_refusal(bool json, const char *check, const char *summary, const char *message) {
        if (json) {
                g_autoptr(GString) line = g_string_new("{\"valid\":false,\"check\":");

                ctl_json_append_string(line, check);
                g_string_append(line, ",\"message\":");
                ctl_json_append_string(line, message);
                g_string_append(line, "}\n");
                fputs(line->str, stdout);
                fflush(stdout);
        } else {
                /* The message may quote the token's kid or alg, or a path. */
                g_autofree char *safe = ctl_printable(message);

                fprintf(stderr, "biogatectl: invalid token: %s: %s\n", summary, safe);
        }
        return CTL_EXIT_NO_MATCH;
}

static int report_invalid(bool json, const GError *error) {
        const char *check, *summary;

        describe_failure(error, &check, &summary);
        return report_refusal(json, check, summary, error->message);
}

static int token_verify(Ctl *ctl, int argc, char **argv) {
        const char *jwks_path = NULL, *challenge_hex = NULL, *now_text = NULL, *ledger_path = NULL, *audience = NULL;
        bool require_touch = false, local_keys = false;
        const CtlOption options[] = {
                { "jwks", 0, CTL_OPTION_STRING, &jwks_path, "FILE", N_("JWK set with the daemon's public key(s)") },
                { "local-keys", 0, CTL_OPTION_FLAG, &local_keys, NULL,
                  N_("Instead of --jwks: ask the local biogated for its key set (any user)") },
                { "audience", 0, CTL_OPTION_STRING, &audience, "AUD",
                  N_("Who verifies: the token's aud must name AUD (a token with aud needs it)") },
                { "challenge", 0, CTL_OPTION_STRING, &challenge_hex, "HEX",
                  N_("The challenge the backend sent; the token's nonce must equal it") },
                { "now", 0, CTL_OPTION_STRING, &now_text, "UNIX", N_("Check expiry at this time (seconds since the epoch)") },
                { "once-db", 0, CTL_OPTION_STRING, &ledger_path, "LEDGER",
                  N_("Accept each token once: refuse a token whose jti the ledger file holds, else record it") },
                { "once", 0, CTL_OPTION_STRING, &ledger_path, "LEDGER", N_("The same as --once-db (its first name)") },
                { "require-touch", 0, CTL_OPTION_FLAG, &require_touch, NULL,
                  N_("Refuse a token issued without a fingerprint (no \"fpt\" in amr, e.g. a require=none rule)") },
                CTL_OPTION_JSON(&ctl->json),
                CTL_OPTION_HELP_ENTRY,
                CTL_OPTION_END,
        };
        const CtlCommandLine cl = {
                .command = "token verify",
                .usage = "token verify --jwks FILE|--local-keys [--audience AUD] [--challenge HEX] [--now UNIX]\n"
                         "                         [--once-db LEDGER] [--require-touch] [--json] TOKEN",
                .summary = N_("Check a step-up token: Ed25519 signature with a key of the JWK set, expiry,\n"
                           "nonce (with --challenge) and the transaction digest, recomputed from the\n"
                           "transaction in the token; with --once-db (or --once), that the token was\n"
                           "not accepted before (libbiogate's biogate_ledger_use(), the same file);\n"
                           "with --require-touch, that a fingerprint was taken. TOKEN '-' reads it\n"
                           "from standard input. With --local-keys the key set comes from the local\n"
                           "biogated. A token with an aud claim is refused unless --audience names it.\n"
                           "--challenge takes hex; in the token the nonce is base64url. Exit status 0:\n"
                           "valid; 1: refused (the check that failed is printed); 2: usage error."),
                .options = options,
                .stop_at_positional = true,
        };
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) challenge = NULL;
        g_autoptr(JsonObject) claims = NULL;
        g_autofree char *jwks = NULL, *token = NULL;
        const char *token_arg;
        gsize jwks_len;
        gint64 now;
        int next, r;

        r = ctl_parse_command_line(&cl, argc, argv, &next);
        if (r >= 0)
                return r;
        if (next >= argc)
                return ctl_usage_error(cl.command, _("No token given"));
        token_arg = argv[next];
        /* Options may follow the token too; a second token may not. */
        r = ctl_parse_command_line(&(const CtlCommandLine) { .command = cl.command, .usage = cl.usage,
                                                             .summary = cl.summary, .options = options },
                                   argc - next, argv + next, NULL);
        if (r >= 0)
                return r;

        /* Never a silent default: a backend that forgot --jwks must not
         * end up trusting whatever daemon its own bus happens to reach. */
        if (!jwks_path == !local_keys)
                return ctl_usage_error(cl.command, _("Give either --jwks FILE or --local-keys"));
        if (audience && *audience == '\0')
                return ctl_usage_error(cl.command, _("--audience must not be empty"));
        if (challenge_hex) {
                challenge = parse_challenge(challenge_hex);
                if (!challenge)
                        return ctl_usage_error(cl.command, _("--challenge must be %d to %d bytes in hex"),
                                               BIOGATE_TX_CHALLENGE_MIN, BIOGATE_TX_CHALLENGE_MAX);
        }
        if (now_text) {
                guint64 value;

                if (!g_ascii_string_to_unsigned(now_text, 10, 0, G_MAXINT64, &value, NULL))
                        return ctl_usage_error(cl.command, _("--now must be a number of seconds since the epoch"));
                now = (gint64) value;
        } else
                now = g_get_real_time() / G_USEC_PER_SEC;

        if (jwks_path) {
                if (!g_file_get_contents(jwks_path, &jwks, &jwks_len, &error))
                        /* The daemon's own copy is root's; a user who tried it
                         * needs to learn where the same keys are open to all. */
                        return ctl_usage_error(cl.command, _("Cannot read the JWK set: %s%s"), error->message,
                                               g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_ACCES)
                                                       ? " (any user gets the daemon's keys with --local-keys "
                                                         "or 'biogatectl keys export')"
                                                       : "");
                if (jwks_len > JWKS_MAX_SIZE || strlen(jwks) != jwks_len)
                        return ctl_usage_error(cl.command, _("%s is not a JWK set"), jwks_path);
        } else {
                jwks = ctl_keys_fetch(ctl, &error);
                if (!jwks)
                        return ctl_report_error(ctl->json, error);
        }

        token = read_token(token_arg, &error);
        if (!token)
                return ctl_usage_error(cl.command, "%s", error->message);

        if (!biogate_token_verify_for(token, jwks, challenge, audience, now, &claims, &error))
                return report_invalid(ctl->json, error);
        /* The signature only says the daemon issued it; under a require=none
         * rule it does so without a touch. A backend that wants a person at
         * the sensor says so here. Checked before the ledger, so a refused
         * token does not burn its jti. */
        if (require_touch && !claims_have_touch(claims))
                return report_refusal(ctl->json, "touch", "no fingerprint",
                                      "No fingerprint was taken for this token (amr holds no \"fpt\"); "
                                      "--require-touch refuses it");
        /* Only a token that passed every other check is recorded: a forged
         * one must not fill the ledger or burn a genuine jti. */
        if (ledger_path && !biogate_token_ledger_use(ledger_path, claim_string(claims, "jti"),
                                                     claim_int(claims, "exp", now), now, &error)) {
                /* EXPIRED: the ledger's clock has passed exp (biogatectl(1)
                 * names this check "expiry"). */
                if (g_error_matches(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_REPLAYED) ||
                    g_error_matches(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_EXPIRED) ||
                    g_error_matches(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_MALFORMED))
                        return report_invalid(ctl->json, error);
                /* A ledger we cannot read, trust or write cannot say the
                 * token is new: refuse it like any failed check, so that a
                 * script testing for exit 1 refuses it too. */
                return report_refusal(ctl->json, "ledger", "the ledger cannot be used", error->message);
        }

        if (ctl->json)
                print_valid_json(claims, challenge != NULL, ledger_path != NULL);
        else {
                print_valid_plain(claims, challenge != NULL, audience, now);
                if (ledger_path) {
                        g_autofree char *safe = ctl_printable(ledger_path);
                        printf(_("Ledger:      first use, recorded in %s\n"), safe);
                }
        }
        return CTL_EXIT_SUCCESS;
}

int ctl_command_token(Ctl *ctl, int argc, char **argv) {
        const CtlOption options[] = {
                CTL_OPTION_JSON(&ctl->json),
                CTL_OPTION_HELP_ENTRY,
                CTL_OPTION_END,
        };
        const CtlCommandLine cl = {
                .command = "token",
                .usage = "token verify --jwks FILE|--local-keys [--audience AUD] [--challenge HEX] [--now UNIX]\n"
                         "                         [--once-db LEDGER] [--require-touch] [--json] TOKEN",
                .summary = N_("Work with step-up tokens. Commands:\n"
                           "  verify  Check a token's signature, expiry, nonce and transaction digest"),
                .options = options,
                .stop_at_positional = true,
        };
        int next, r;

        r = ctl_parse_command_line(&cl, argc, argv, &next);
        if (r >= 0)
                return r;
        if (next >= argc)
                return ctl_usage_error(cl.command, _("No token command given (verify)"));
        if (strcmp(argv[next], "verify") == 0)
                return token_verify(ctl, argc - next, argv + next);
        return ctl_usage_error(cl.command, _("Unknown token command '%s'"), argv[next]);
}
