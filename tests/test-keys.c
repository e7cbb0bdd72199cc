/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The keys backends verify tokens with, against the real daemon:
 * biogatectl keys export and token verify --local-keys for any user, the
 * aud claim from biogate.conf, rotation, and one key for a fleet. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "biogate-token.h"
#include "daemon-fixture.h"

/* No sensor needed: every step-up is granted without a touch, which still
 * gives a signed token. */
static const char no_touch_policy[] = "[default]\nrequire=none\ntoken_lifetime=120\n";

static void setup(Fixture *f, gconstpointer data) {
        fixture_prepare(f, NULL);
}

static char *write_config(Fixture *f, const char *text) {
        char *path = g_build_filename(f->tmp, "biogate.conf", NULL);

        g_assert_true(g_file_set_contents(path, text, -1, NULL));
        g_assert_cmpint(chmod(path, 0644), ==, 0);
        return path;
}

static void start(Fixture *f, const char *config_text, const char *const *env) {
        g_autofree char *path = write_config(f, config_text ? config_text : "");
        g_autofree char *arg = g_strdup_printf("--config=%s", path);
        g_autofree char *policy_dir = fixture_write_policy(f, "50-test.conf", no_touch_policy);
        g_autofree char *policy_arg = g_strdup_printf("--policy-dir=%s", policy_dir);
        g_autofree char *vendor_arg = g_strdup_printf("--vendor-policy=%s/none.conf", f->tmp);

        fixture_start_daemon_full(f, env, (const char *[]) { arg, policy_arg, vendor_arg, NULL });
}

static char *served_jwks(Fixture *f) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = call_on(f->conn, BIOGATE_OBJECT_PATH, BIOGATE_STEPUP_INTERFACE, "GetPublicKeys",
                                            NULL, "(s)", &error);
        char *s = NULL;

        g_assert_no_error(error);
        g_variant_get(reply, "(s)", &s);
        return s;
}

/* A token from Authorize (require=none: no touch). */
static char *get_token(Fixture *f) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfOp) op = start_authorize(f->conn, tx_new("withdrawal", "250000.00", "USD", "ACME Ltd"), &error);
        g_autoptr(GVariant) details = NULL;
        g_autofree char *result = NULL;

        g_assert_no_error(error);
        result = wait_finished(op, &details);
        g_assert_cmpstr(result, ==, "approved");
        return g_strdup(detail_string(details, "token"));
}

static char *header_kid(const char *token) {
        g_autofree char *header_b64 = g_strndup(token, strcspn(token, "."));
        g_autoptr(GBytes) header = biogate_base64url_decode(header_b64, NULL);
        g_autoptr(JsonParser) parser = json_parser_new();

        g_assert_nonnull(header);
        g_assert_true(json_parser_load_from_data(parser, g_bytes_get_data(header, NULL),
                                                 (gssize) g_bytes_get_size(header), NULL));
        return g_strdup(json_object_get_string_member(json_node_get_object(json_parser_get_root(parser)), "kid"));
}

static int ctl_as(uid_t uid, const char *const *argv, char **ret_out, char **ret_err) {
        g_autoptr(GError) error = NULL;
        int status = 0;

        if (uid == 0)
                g_assert_true(btf_run(argv, NULL, ret_out, ret_err, &status, &error));
        else
                g_assert_true(btf_run_as(uid, uid, argv, ret_out, ret_err, &status, &error));
        g_assert_no_error(error);
        g_assert_true(WIFEXITED(status));
        return WEXITSTATUS(status);
}

/* Any user exports the public key set, byte for byte what GetPublicKeys
 * serves, though the published file lies in the root-only state directory
 * (which uid 65534 cannot read: the reason for the command); and any user
 * verifies a token with the daemon's keys (--local-keys). */
static void test_export_any_user(Fixture *f, gconstpointer data) {
        g_autofree char *jwks = NULL, *token = NULL, *published = g_build_filename(f->state, "public", "jwks.json", NULL);
        g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL, *out3 = NULL, *err3 = NULL;
        g_autofree char *out4 = NULL, *err4 = NULL, *tampered = NULL, *kid = NULL, *kid_member = NULL;

        start(f, NULL, NULL);
        jwks = served_jwks(f);
        token = get_token(f);
        kid = header_kid(token);
        kid_member = g_strdup_printf("\"kid\":\"%s\"", kid);
        g_assert_nonnull(strstr(jwks, kid_member));

        g_assert_cmpint(ctl_as(NOBODY, (const char *[]) { "cat", published, NULL }, &out, &err), !=, 0);
        g_assert_cmpint(ctl_as(NOBODY, (const char *[]) { BIOGATECTL_PATH, "keys", "export", NULL }, &out2, &err2),
                        ==, 0);
        g_assert_true(g_str_has_suffix(out2, "\n"));
        out2[strlen(out2) - 1] = '\0';
        g_assert_cmpstr(out2, ==, jwks);

        g_assert_cmpint(ctl_as(NOBODY, (const char *[]) { BIOGATECTL_PATH, "token", "verify", "--local-keys",
                                                          token, NULL },
                               &out3, &err3),
                        ==, 0);
        g_assert_nonnull(strstr(out3, "Token valid"));
        /* The same keys refuse a token with one character of the payload
         * changed. */
        tampered = g_strdup(token);
        tampered[strcspn(tampered, ".") + 5] ^= 1;
        g_assert_cmpint(ctl_as(NOBODY, (const char *[]) { BIOGATECTL_PATH, "token", "verify", "--local-keys",
                                                          tampered, NULL },
                               &out4, &err4),
                        ==, 1);
}

/* [stepup] audience= puts aud in every token; the verifier that names
 * that audience accepts it, another audience or none is refused. */
static void test_audience(Fixture *f, gconstpointer data) {
        g_autoptr(JsonObject) claims = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *token = NULL, *jwks = NULL, *plain = NULL;
        g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL, *out3 = NULL, *err3 = NULL;
        g_autofree char *out4 = NULL, *err4 = NULL;
        gint64 now = g_get_real_time() / G_USEC_PER_SEC;
        int status = 0;

        start(f, "[stepup]\naudience=payments-backend\n", NULL);
        token = get_token(f);
        jwks = served_jwks(f);
        g_assert_true(biogate_token_verify_for(token, jwks, NULL, "payments-backend", now, &claims, &error));
        g_assert_no_error(error);
        g_assert_cmpstr(json_object_get_string_member(claims, "aud"), ==, "payments-backend");

        g_assert_cmpint(ctl_as(NOBODY, (const char *[]) { BIOGATECTL_PATH, "token", "verify", "--local-keys",
                                                          "--audience", "payments-backend", token, NULL },
                               &out, &err),
                        ==, 0);
        g_assert_cmpint(ctl_as(NOBODY, (const char *[]) { BIOGATECTL_PATH, "token", "verify", "--local-keys",
                                                          "--audience", "risk-engine", token, NULL },
                               &out2, &err2),
                        ==, 1);
        g_assert_nonnull(strstr(err2, "wrong audience"));
        g_assert_cmpint(ctl_as(NOBODY, (const char *[]) { BIOGATECTL_PATH, "token", "verify", "--local-keys", token,
                                                          NULL },
                               &out3, &err3),
                        ==, 1);
        g_assert_nonnull(strstr(err3, "wrong audience"));

        /* Without the setting, no aud: and a verifier that expects one
         * refuses such a token. */
        g_assert_true(btf_daemon_stop(f->daemon, &status, &error));
        start(f, "[stepup]\naudience=\n", NULL);
        plain = get_token(f);
        g_clear_pointer(&claims, json_object_unref);
        g_assert_true(biogate_token_verify(plain, jwks, NULL, now, &claims, &error));
        g_assert_false(json_object_has_member(claims, "aud"));
        g_assert_cmpint(ctl_as(0, (const char *[]) { BIOGATECTL_PATH, "token", "verify", "--local-keys",
                                                     "--audience", "payments-backend", plain, NULL },
                               &out4, &err4),
                        ==, 1);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

#define ADD(path, fn) g_test_add("/keys/" path, Fixture, NULL, setup, fn, fixture_teardown)
        ADD("export-any-user", test_export_any_user);
        ADD("audience", test_audience);
#undef ADD
        return g_test_run();
}
