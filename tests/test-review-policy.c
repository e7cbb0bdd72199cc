/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Findings 1 and 8 of the security review (issue 13), reproduced against
 * the real daemon: a payee= rule that let the counterparty decide, and a
 * policy directory that anyone could empty. Each case runs the attack as
 * the review did and fails on the code before the fix. */
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
        fixture_prepare(f, NULL);
        fixture_start_daemon_with_policy(f, selector_policy, NULL);
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

/* ---- finding 8 ---- */

/* Evaluate of a 250,000.00 USD withdrawal: the rule that decides it. */
static char *withdrawal_rule(Fixture *f) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = call_on(f->conn, BIOGATE_OBJECT_PATH, BIOGATE_STEPUP_INTERFACE, "Evaluate",
                                            g_variant_new("(@a{sv})", tx_new("withdrawal", "250000.00", "USD",
                                                                             "ACME Ltd")),
                                            "(ssa{sv})", &error);
        char *rule = NULL;

        g_assert_no_error(error);
        g_variant_get(reply, "(s&s@a{sv})", &rule, NULL, NULL);
        return rule;
}

static void reload_expect(Fixture *f, const char *error_name, const char *dir, const char *reason) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = call_on(f->conn, BIOGATE_OBJECT_PATH, BIOGATE_MANAGER_INTERFACE, "Reload", NULL,
                                            NULL, &error);

        if (!error_name) {
                g_assert_no_error(error);
                return;
        }
        if (!error)
                g_error("Reload succeeded; expected %s naming %s (%s)", error_name, dir, reason);
        assert_dbus_error(error, error_name);
        if (!strstr(error->message, dir) || !strstr(error->message, reason))
                g_error("Reload: expected \"%s\" naming %s, got: %s", reason, dir, error->message);
}

/* Runs a shell command as uid 65534 and asserts it worked: the attack must
 * really happen for the test to mean anything. */
static void as_nobody(const char *command) {
        g_autoptr(GError) error = NULL;
        g_autofree char *out = NULL, *err = NULL;
        int status = 0;

        g_assert_true(btf_run_as(NOBODY, NOBODY, (const char *[]) { "sh", "-c", command, NULL }, &out, &err,
                                 &status, &error));
        g_assert_no_error(error);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                g_error("as uid 65534: %s: exit 0x%x: %s", command, (unsigned) status, err);
}

/* The policy-rejected events in the journal whose reason names @dir and
 * says @reason. */
static guint count_rejections(AuditFixture *a, const char *reason) {
        g_autoptr(GPtrArray) events = NULL;
        guint n = 0;

        audit_sync_journal(a);
        events = audit_fixture_events(a);
        for (guint i = 0; i < events->len; i++) {
                GHashTable *e = events->pdata[i];
                const char *got = audit_field(e, "BIOGATE_REASON");

                if (g_strcmp0(audit_field(e, "BIOGATE_EVENT"), "policy-rejected") == 0 && got &&
                    strstr(got, a->policy_dir) && strstr(got, reason))
                        n++;
        }
        return n;
}

/* Root puts the directory right again. */
static void restore_policy_dir(AuditFixture *a) {
        g_assert_cmpint(chown(a->policy_dir, 0, 0), ==, 0);
        g_assert_cmpint(chmod(a->policy_dir, 0755), ==, 0);
}

/* Finding 8: with policy.d mode 0777 a user deleted the site policy and
 * Reload fell back to the vendor's. Now the directory is refused (0777, or
 * owned by uid 65534), Reload names it, the last good policy stays in
 * force, and the refusal is in the audit trail. */
static void test_policy_dir_permissions(AuditFixture *a, gconstpointer data) {
        Fixture *f = &a->f;
        g_autofree char *site = g_build_filename(a->policy_dir, "50-test.conf", NULL);
        g_autofree char *vendor = g_build_filename(f->tmp, "none.conf", NULL);
        g_autofree char *site_text = NULL, *rule = NULL;
        g_autofree char *rm = g_strdup_printf("rm -f '%s'", site);
        g_autofree char *mv = g_strdup_printf("mv '%s' '%s.off'", site, site);
        g_autofree char *off = g_strdup_printf("%s.off", site);

        g_assert_true(g_file_get_contents(site, &site_text, NULL, NULL));
        /* The policy the daemon would fall back to lets everything through. */
        g_assert_true(g_file_set_contents(vendor, "[rule vendor-anything]\nrequire=none\n[default]\nrequire=none\n",
                                          -1, NULL));
        g_assert_cmpint(chmod(vendor, 0644), ==, 0);
        rule = withdrawal_rule(f);
        g_assert_cmpstr(rule, ==, "withdrawals");

        /* 0777: any user removes the site policy. */
        g_assert_cmpint(chmod(a->policy_dir, 0777), ==, 0);
        as_nobody(rm);
        g_assert_false(g_file_test(site, G_FILE_TEST_EXISTS));
        reload_expect(f, ERR "PolicyUnavailable", a->policy_dir, "writable by group or others (mode 0777)");
        g_clear_pointer(&rule, g_free);
        rule = withdrawal_rule(f);
        g_assert_cmpstr(rule, ==, "withdrawals"); /* the last good policy, not the vendor's */
        g_assert_cmpuint(count_rejections(a, "writable by group or others"), ==, 1);

        /* Put right by root: loads again. */
        restore_policy_dir(a);
        g_assert_true(g_file_set_contents(site, site_text, -1, NULL));
        g_assert_cmpint(chmod(site, 0644), ==, 0);
        reload_expect(f, NULL, NULL, NULL);

        /* Owned by uid 65534 (mode 0755): its owner moves the site file away. */
        g_assert_cmpint(chown(a->policy_dir, NOBODY, NOBODY), ==, 0);
        as_nobody(mv);
        g_assert_true(g_file_test(off, G_FILE_TEST_EXISTS));
        reload_expect(f, ERR "PolicyUnavailable", a->policy_dir, "not owned by root (owner uid 65534)");
        g_clear_pointer(&rule, g_free);
        rule = withdrawal_rule(f);
        g_assert_cmpstr(rule, ==, "withdrawals");
        g_assert_cmpuint(count_rejections(a, "not owned by root"), ==, 1);

        restore_policy_dir(a);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

        g_test_add("/review/policy-selector-bypass", Fixture, NULL, selector_setup, test_policy_selector_bypass,
                   fixture_teardown);
        g_test_add("/review/policy-dir-permissions", AuditFixture, NULL, audit_setup, test_policy_dir_permissions,
                   audit_teardown);
        return g_test_run();
}
