/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Finding 1 of the security review (issue 13), reproduced against the real
 * daemon: a payee= rule that let the counterparty decide. The case runs the
 * attack as the review did and fails on the code before the fix. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "audit-fixture.h"

#define ERR "org.biogate1.Error."
#define CHALLENGE "000102030405060708090a0b0c0d0e0f"
#define NO_TOUCH "approved by policy without a touch"

/* The house rule of biogate-policy(5)'s example, then rules that must
 * still decide for everyone else. */
static const char selector_policy[] =
        "[rule house-transfers]\n"
        "kind=transfer\n"
        "payee=HOUSE-*\n"
        "require=none\n"
        "\n"
        "[rule offshore]\n"
        "payee=Mallory*\n"
        "require=deny\n"
        "\n"
        "[rule transfers]\n"
        "kind=transfer\n"
        "require=fingerprint\n"
        "\n"
        "[default]\n"
        "require=fingerprint\n";

static void selector_setup(Fixture *f, gconstpointer data) {
        g_autofree char *dir = NULL, *dir_arg = NULL, *vendor_arg = NULL;

        fixture_prepare(f, NULL);
        dir = fixture_write_policy(f, "50-site.conf", selector_policy);
        dir_arg = g_strdup_printf("--policy-dir=%s", dir);
        vendor_arg = g_strdup_printf("--vendor-policy=%s/none.conf", f->tmp);
        fixture_start_daemon(f, (const char *[]) { dir_arg, vendor_arg, NULL });
}

/* StepUp.Evaluate of @tx_text (a GVariant text); asserts rule and requirement. */
static void assert_evaluates(Fixture *f, const char *tx_text, const char *rule, const char *requirement) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = call_on(f->conn, BIOGATE_OBJECT_PATH, BIOGATE_STEPUP_INTERFACE, "Evaluate",
                                            g_variant_new("(@a{sv})", g_variant_new_parsed(tx_text)), "(ssa{sv})",
                                            &error);
        const char *got_rule = NULL, *got_requirement = NULL;

        g_assert_no_error(error);
        g_variant_get(reply, "(&s&s@a{sv})", &got_rule, &got_requirement, NULL);
        if (!g_str_equal(got_rule, rule) || !g_str_equal(got_requirement, requirement))
                g_error("%s: rule %s (%s), expected %s (%s)", tx_text, got_rule, got_requirement, rule, requirement);
}

/* biogatectl approve of a 10.00 USD transfer; @counterparty may be NULL. */
static BtfProc *run_approve(const char *payee, const char *counterparty, int *ret_status) {
        g_autoptr(GError) error = NULL;
        const char *argv[20] = { BIOGATECTL_PATH, "approve", "--kind", "transfer", "--amount", "10.00", "--currency",
                                 "USD", "--payee", payee, "--reference", "T-1001", "--challenge", CHALLENGE };
        size_t n = 14;
        BtfProc *proc;

        if (counterparty) {
                argv[n++] = "--counterparty";
                argv[n++] = counterparty;
        }
        argv[n] = NULL;
        proc = btf_spawn_async(argv, NULL, &error);
        g_assert_no_error(error);
        g_assert_true(btf_proc_wait(proc, T, ret_status, &error));
        g_assert_no_error(error);
        return proc;
}

/* Finding 1: with the house rule first, an approval for "Mallory Offshore"
 * that names HOUSE-1 as the counterparty got a signed token without a
 * touch (amr []), skipping the deny rule below. Then: a token that really
 * was approved without a touch says so in `token verify`. */
static void test_policy_selector_bypass(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) keys_reply = NULL;
        g_autoptr(BtfProc) attack = NULL, house = NULL;
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autofree char *keys_path = g_build_filename(f->tmp, "jwks.json", NULL);
        g_autofree char *token = NULL, *out = NULL, *err = NULL, *json_out = NULL;
        const char *keys = NULL;
        JsonObject *verdict;
        int status = 0;

        /* What the policy decides, through the daemon. */
        assert_evaluates(f, "{'kind': <'transfer'>, 'amount': <'10.00'>, 'currency': <'USD'>, "
                            "'payee': <'Mallory Offshore'>, 'counterparty': <'HOUSE-1'>}", "offshore", "deny");
        assert_evaluates(f, "{'kind': <'transfer'>, 'amount': <'10.00'>, 'currency': <'USD'>, "
                            "'counterparty': <'HOUSE-1'>}", "transfers", "fingerprint");
        assert_evaluates(f, "{'kind': <'transfer'>, 'amount': <'10.00'>, 'currency': <'USD'>, "
                            "'payee': <'HOUSE-1'>}", "house-transfers", "none");

        /* The attack as the review ran it: no token, refused by the deny rule. */
        attack = run_approve("Mallory Offshore", "HOUSE-1", &status);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 3)
                g_error("approve to Mallory Offshore with counterparty HOUSE-1: exit 0x%x, expected 3 "
                        "(PolicyDenied); stdout: %s stderr: %s", (unsigned) status, btf_proc_get_stdout(attack),
                        btf_proc_get_stderr(attack));
        g_assert_nonnull(strstr(btf_proc_get_stderr(attack), ERR "PolicyDenied"));
        g_assert_cmpstr(btf_proc_get_stdout(attack), ==, "");

        /* A genuine require=none approval: a token, and the verifier warns. */
        house = run_approve("HOUSE-1", NULL, &status);
        btf_assert_exit_code(status, 0);
        token = g_strstrip(g_strdup(btf_proc_get_stdout(house)));
        g_assert_cmpuint(strlen(token), >, 100);

        keys_reply = call_on(f->conn, BIOGATE_OBJECT_PATH, BIOGATE_STEPUP_INTERFACE, "GetPublicKeys", NULL, "(s)",
                             &error);
        g_assert_no_error(error);
        g_variant_get(keys_reply, "(&s)", &keys);
        g_assert_true(g_file_set_contents(keys_path, keys, -1, NULL));

        g_assert_true(btf_run((const char *[]) { BIOGATECTL_PATH, "token", "verify", "--jwks", keys_path,
                                                 "--challenge", CHALLENGE, token, NULL },
                              NULL, &out, &err, &status, &error));
        g_assert_no_error(error);
        btf_assert_exit_code(status, 0);
        if (!strstr(out, "Fingerprint: NONE") || !strstr(out, "WARNING:     " NO_TOUCH))
                g_error("token verify of a touch-free token does not warn:\n%s", out);

        g_clear_pointer(&err, g_free);
        g_assert_true(btf_run((const char *[]) { BIOGATECTL_PATH, "token", "verify", "--json", "--jwks", keys_path,
                                                 "--challenge", CHALLENGE, token, NULL },
                              NULL, &json_out, &err, &status, &error));
        g_assert_no_error(error);
        btf_assert_exit_code(status, 0);
        g_assert_true(json_parser_load_from_data(parser, json_out, -1, &error));
        g_assert_no_error(error);
        verdict = json_node_get_object(json_parser_get_root(parser));
        g_assert_true(json_object_get_boolean_member(verdict, "valid"));
        g_assert_true(json_object_has_member(verdict, "touch"));
        g_assert_false(json_object_get_boolean_member(verdict, "touch"));
        g_assert_cmpstr(json_object_get_string_member_with_default(verdict, "warning", ""), ==, NO_TOUCH);
        g_assert_cmpuint(json_array_get_length(json_object_get_array_member(
                                 json_object_get_object_member(verdict, "claims"), "amr")), ==, 0);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

        g_test_add("/review/policy-selector-bypass", Fixture, NULL, selector_setup, test_policy_selector_bypass,
                   fixture_teardown);
        return g_test_run();
}
