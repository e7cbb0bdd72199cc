/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The keys backends verify tokens with, against the real daemon:
 * biogatectl keys export and token verify --local-keys for any user, the
 * aud claim from biogate.conf, rotation, and one key for a fleet. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
        return get_public_keys(f->conn);
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
        g_autofree char *out5 = NULL, *err5 = NULL;

        start(f, NULL, NULL);
        jwks = served_jwks(f);
        token = get_token(f);
        kid = header_kid(token);
        kid_member = g_strdup_printf("\"kid\":\"%s\"", kid);
        g_assert_nonnull(strstr(jwks, kid_member));

        g_assert_cmpint(ctl_as(NOBODY, (const char *[]) { "cat", published, NULL }, &out, &err), !=, 0);
        /* Pointed at that file, the verifier says where the same keys are. */
        g_assert_cmpint(ctl_as(NOBODY, (const char *[]) { BIOGATECTL_PATH, "token", "verify", "--jwks", published,
                                                          token, NULL },
                               &out5, &err5),
                        ==, 2);
        g_assert_nonnull(strstr(err5, "Permission denied (any user gets the daemon's keys with --local-keys or "
                                      "'biogatectl keys export')"));
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
        g_assert_nonnull(strstr(out, "\nAudience:    payments-backend (checked)\n"));
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

static guint log_count(Fixture *f, const char *needle) {
        return fixture_log_count(f, needle);
}

static guint jwks_size(const char *jwks) {
        g_autoptr(JsonParser) parser = json_parser_new();

        g_assert_true(json_parser_load_from_data(parser, jwks, -1, NULL));
        return json_array_get_length(
                json_object_get_array_member(json_node_get_object(json_parser_get_root(parser)), "keys"));
}

/* The kid of the i-th key of the set. */
static char *jwks_kid(const char *jwks, guint i) {
        g_autoptr(JsonParser) parser = json_parser_new();
        JsonArray *keys;

        g_assert_true(json_parser_load_from_data(parser, jwks, -1, NULL));
        keys = json_object_get_array_member(json_node_get_object(json_parser_get_root(parser)), "keys");
        return g_strdup(json_object_get_string_member(json_array_get_object_element(keys, i), "kid"));
}

static gboolean verifies(const char *token, const char *jwks, GError **error) {
        return biogate_token_verify(token, jwks, NULL, g_get_real_time() / G_USEC_PER_SEC, NULL, error);
}

/* biogatectl token verify --jwks FILE, as a backend runs it. */
static int ctl_verify_with(Fixture *f, const char *jwks, const char *token) {
        g_autofree char *path = g_build_filename(f->tmp, "backend-keys.json", NULL);
        g_autofree char *out = NULL, *err = NULL;

        g_assert_true(g_file_set_contents(path, jwks, -1, NULL));
        return ctl_as(0, (const char *[]) { BIOGATECTL_PATH, "token", "verify", "--jwks", path, token, NULL }, &out,
                      &err);
}

static char *rotate(void) {
        g_autofree char *out = NULL, *err = NULL;
        g_autoptr(JsonParser) parser = json_parser_new();

        g_assert_cmpint(ctl_as(0, (const char *[]) { BIOGATECTL_PATH, "--json", "keys", "rotate", NULL }, &out, &err),
                        ==, 0);
        g_assert_true(json_parser_load_from_data(parser, out, -1, NULL));
        return g_strdup(json_object_get_string_member(json_node_get_object(json_parser_get_root(parser)), "kid"));
}

/* An administrator rotates: new tokens carry the new kid, the set lists the
 * new key first and keeps the old one, so a token signed before still
 * verifies with what keys export prints now; the rotation is audited and
 * survives a restart. Nobody else may rotate (no polkitd here: the
 * built-in rule, root only). */
static void test_rotate(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autofree char *before = NULL, *old_kid = NULL, *new_kid = NULL, *after = NULL, *token_b = NULL;
        g_autofree char *kid_b = NULL, *first = NULL, *second = NULL, *exported = NULL, *err = NULL;
        g_autofree char *published = NULL, *restarted = NULL, *out2 = NULL, *err2 = NULL, *token_a = NULL;
        g_autofree char *path = g_build_filename(f->state, "public", "jwks.json", NULL);
        int status = 0;

        start(f, NULL, NULL);
        before = served_jwks(f);
        token_a = get_token(f);
        old_kid = header_kid(token_a);
        g_assert_cmpuint(jwks_size(before), ==, 1);

        g_assert_cmpint(ctl_as(NOBODY, (const char *[]) { BIOGATECTL_PATH, "keys", "rotate", NULL }, &out2, &err2),
                        ==, 3);
        g_assert_nonnull(strstr(err2, "org.biogate1.Error.PermissionDenied"));
        g_assert_cmpuint(log_count(f, "audit signing-key-rotated"), ==, 0);

        new_kid = rotate();
        g_assert_cmpstr(new_kid, !=, old_kid);
        g_assert_cmpuint(log_count(f, "audit signing-key-rotated"), ==, 1);
        token_b = get_token(f);
        kid_b = header_kid(token_b);
        g_assert_cmpstr(kid_b, ==, new_kid);

        g_assert_cmpint(ctl_as(NOBODY, (const char *[]) { BIOGATECTL_PATH, "keys", "export", NULL }, &exported, &err),
                        ==, 0);
        g_strstrip(exported);
        after = served_jwks(f);
        g_assert_cmpstr(exported, ==, after);
        g_assert_cmpuint(jwks_size(after), ==, 2);
        first = jwks_kid(after, 0);
        second = jwks_kid(after, 1);
        g_assert_cmpstr(first, ==, new_kid);
        g_assert_cmpstr(second, ==, old_kid);
        g_assert_true(verifies(token_a, exported, &error));
        g_assert_no_error(error);
        g_assert_true(verifies(token_b, exported, &error));
        g_assert_no_error(error);
        g_assert_cmpint(ctl_verify_with(f, exported, token_a), ==, 0);
        g_assert_cmpint(ctl_verify_with(f, exported, token_b), ==, 0);
        /* The set from before the rotation does not know the new key: a
         * backend that caches must refetch on an unknown kid. */
        g_assert_false(verifies(token_b, before, &error));
        g_assert_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_UNKNOWN_KEY);
        g_clear_error(&error);
        /* The reply came after the published copy was durable. */
        g_assert_true(g_file_get_contents(path, &published, NULL, NULL));
        g_assert_cmpstr(published, ==, after);

        g_assert_true(btf_daemon_stop(f->daemon, &status, &error));
        start(f, NULL, NULL);
        restarted = served_jwks(f);
        g_assert_cmpstr(restarted, ==, after);
        g_clear_pointer(&token_b, g_free);
        g_clear_pointer(&kid_b, g_free);
        token_b = get_token(f);
        kid_b = header_kid(token_b);
        g_assert_cmpstr(kid_b, ==, new_kid);
}

/* Rewrites every retirement time in private/signing-retired to @at: what
 * the daemon keeps is when a key was retired, and how long it stays
 * published follows from that (biogated_signing_key_retired_until()). */
static void set_retired_at(Fixture *f, gint64 at) {
        g_autofree char *path = g_build_filename(f->state, "private", "signing-retired", NULL);
        g_autofree char *text = NULL;
        g_autoptr(GString) out = g_string_new(NULL);
        g_auto(GStrv) lines = NULL;

        g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
        lines = g_strsplit(text, "\n", -1);
        for (char **l = lines; *l; l++) {
                if (**l == '\0')
                        continue;
                g_string_append_len(out, *l, (gssize) strcspn(*l, " "));
                g_string_append_printf(out, " %" G_GINT64_FORMAT "\n", at);
        }
        g_assert_cmpint(chmod(path, 0600), ==, 0);
        g_assert_true(g_file_set_contents(path, out->str, -1, NULL));
        g_assert_cmpint(chmod(path, 0400), ==, 0);
}

/* A retired key stays published while a token it signed may still be
 * valid (3600 s, the longest lifetime a policy may set, plus 300 s for
 * verifiers' clocks), and is dropped, audited, once that has passed: the
 * tokens it signed then no longer verify. */
static void test_retire(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autofree char *token_a = NULL, *new_kid = NULL, *still = NULL, *gone = NULL, *kid = NULL, *retired = NULL;
        g_autofree char *path = g_build_filename(f->state, "private", "signing-retired", NULL);
        gint64 now = g_get_real_time() / G_USEC_PER_SEC;
        int status = 0;

        start(f, NULL, NULL);
        token_a = get_token(f);
        new_kid = rotate();

        /* 60 s before its end: still there. */
        g_assert_true(btf_daemon_stop(f->daemon, &status, &error));
        set_retired_at(f, now - 3600 - 300 + 60);
        start(f, NULL, NULL);
        still = served_jwks(f);
        g_assert_cmpuint(jwks_size(still), ==, 2);
        g_assert_true(verifies(token_a, still, &error));
        g_assert_cmpuint(log_count(f, "audit signing-key-retired"), ==, 0);

        /* Past it: gone, from the set served, the file published and the
         * list kept. */
        g_assert_true(btf_daemon_stop(f->daemon, &status, &error));
        set_retired_at(f, now - 3600 - 300 - 1);
        start(f, NULL, NULL);
        gone = served_jwks(f);
        g_assert_cmpuint(jwks_size(gone), ==, 1);
        kid = jwks_kid(gone, 0);
        g_assert_cmpstr(kid, ==, new_kid);
        g_assert_false(verifies(token_a, gone, &error));
        g_assert_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_UNKNOWN_KEY);
        g_clear_error(&error);
        g_assert_cmpuint(log_count(f, "audit signing-key-retired"), ==, 1);
        g_assert_true(g_file_get_contents(path, &retired, NULL, NULL));
        g_assert_cmpstr(retired, ==, "");
}

static char *write_signing_credential(Fixture *f, const char *name, guint8 seed) {
        return fixture_write_credential(f, name, "biogate.signing-key", seed, 32);
}

/* A key from the credential is managed where the credential is made:
 * rotation is refused with a name that says so, and nothing changes. */
static void test_rotate_credential(Fixture *f, gconstpointer data) {
        g_autofree char *env = write_signing_credential(f, "creds", 1);
        g_autofree char *before = NULL, *after = NULL, *out = NULL, *err = NULL;
        g_autofree char *key_file = g_build_filename(f->state, "private", "signing.key", NULL);

        start(f, NULL, (const char *[]) { env, NULL });
        before = served_jwks(f);
        g_assert_cmpint(ctl_as(0, (const char *[]) { BIOGATECTL_PATH, "--json", "keys", "rotate", NULL }, &out, &err),
                        ==, 7);
        g_assert_nonnull(strstr(out, "\"error\":\"org.biogate1.Error.KeyManagedExternally\""));
        g_assert_nonnull(strstr(out, "biogate.signing-key"));
        after = served_jwks(f);
        g_assert_cmpstr(after, ==, before);
        g_assert_false(g_file_test(key_file, G_FILE_TEST_EXISTS));
        g_assert_cmpuint(log_count(f, "audit signing-key-rotated"), ==, 0);
}

/* A fleet with one key: two workstations (two daemons, each with its own
 * state, bus and sensor) given the same biogate.signing-key credential
 * publish the same set, same kid, and each one's tokens verify with the
 * other's set, in the library and in biogatectl. A third one with another
 * credential is another key: its tokens are refused. */
static void test_fleet_credential(Fixture *f, gconstpointer data) {
        Fixture other = { 0 }, stranger = { 0 };
        g_autofree char *env = write_signing_credential(f, "fleet", 9), *env_other = NULL, *env_stranger = NULL;
        g_autofree char *jwks_a = NULL, *jwks_b = NULL, *jwks_c = NULL, *token_a = NULL, *token_b = NULL;
        g_autofree char *token_c = NULL, *kid_a = NULL, *kid_b = NULL;
        g_autoptr(GError) error = NULL;

        fixture_prepare(&other, NULL);
        fixture_prepare(&stranger, NULL);
        env_other = write_signing_credential(&other, "fleet", 9);
        env_stranger = write_signing_credential(&stranger, "other", 10);
        start(f, NULL, (const char *[]) { env, NULL });
        start(&other, NULL, (const char *[]) { env_other, NULL });
        start(&stranger, NULL, (const char *[]) { env_stranger, NULL });

        jwks_a = served_jwks(f);
        jwks_b = served_jwks(&other);
        jwks_c = served_jwks(&stranger);
        g_assert_cmpstr(jwks_a, ==, jwks_b);
        g_assert_cmpstr(jwks_a, !=, jwks_c);
        token_a = get_token(f);
        token_b = get_token(&other);
        token_c = get_token(&stranger);
        kid_a = header_kid(token_a);
        kid_b = header_kid(token_b);
        g_assert_cmpstr(kid_a, ==, kid_b);

        g_assert_true(verifies(token_a, jwks_b, &error));
        g_assert_true(verifies(token_b, jwks_a, &error));
        g_assert_no_error(error);
        g_assert_cmpint(ctl_verify_with(f, jwks_b, token_a), ==, 0);
        g_assert_cmpint(ctl_verify_with(f, jwks_a, token_b), ==, 0);
        g_assert_false(verifies(token_c, jwks_a, &error));
        g_assert_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_UNKNOWN_KEY);
        g_assert_cmpint(ctl_verify_with(f, jwks_a, token_c), ==, 1);

        fixture_teardown(&other, NULL);
        fixture_teardown(&stranger, NULL);
}

/* Starts biogated under tests/crash-shim.c, counting the file steps in the
 * state directory once @arm exists, killing it before step @at (0: never),
 * logging them to @log. FALSE (skipped) outside meson test. */
static gboolean start_under_shim(Fixture *f, const char *arm, long at, const char *log) {
        const char *preload = g_getenv("BIOGATE_TEST_CRASH_PRELOAD");
        g_autofree char *e1 = g_strdup_printf("LD_PRELOAD=%s", preload ? preload : "");
        g_autofree char *e2 = g_strdup_printf("BIOGATE_TEST_CRASH_DIR=%s", f->state);
        g_autofree char *e3 = g_strdup_printf("BIOGATE_TEST_CRASH_ARM=%s", arm);
        g_autofree char *e4 = g_strdup_printf("BIOGATE_TEST_CRASH_AT=%ld", at);
        g_autofree char *e5 = g_strdup_printf("BIOGATE_TEST_CRASH_LOG=%s", log);

        if (!preload) {
                g_test_skip("BIOGATE_TEST_CRASH_PRELOAD is not set (run through meson test)");
                return FALSE;
        }
        start(f, NULL, (const char *[]) { e1, e2, e3, e4, e5, "ASAN_OPTIONS=verify_asan_link_order=0", NULL });
        return TRUE;
}

static GVariant *call_rotate(Fixture *f, GError **error) {
        return call_on(f->conn, BIOGATE_OBJECT_PATH, BIOGATE_STEPUP_INTERFACE, "RotateSigningKey", NULL, "(s)", error);
}

/* kill -9 before each file step of a rotation (writing the retired list,
 * then the new key: temp file, fsync, rename, directory fsync; then the
 * published set): biogated starts again every time with one usable key,
 * the token signed before the rotation still verifies with the set it
 * serves, and so does a token signed after. */
static void test_rotate_crash(Fixture *f, gconstpointer data) {
        g_autofree char *arm = g_build_filename(f->tmp, "arm", NULL), *log = g_build_filename(f->tmp, "steps", NULL);
        g_autofree char *steps = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = NULL;
        long n_steps = 0;
        int status = 0;

        /* The shim looks for the state directory when biogated starts. */
        start(f, NULL, NULL);
        g_assert_true(btf_daemon_stop(f->daemon, &status, &error));
        /* Count the steps of one rotation. */
        if (!start_under_shim(f, arm, 0, log))
                return;
        g_assert_true(g_file_set_contents(arm, "", 0, NULL));
        reply = call_rotate(f, &error);
        g_assert_no_error(error);
        g_assert_cmpint(unlink(arm), ==, 0);
        g_assert_true(g_file_get_contents(log, &steps, NULL, NULL));
        for (const char *p = steps; *p; p++)
                n_steps += *p == '\n';
        g_test_message("a rotation takes %ld file steps:\n%s", n_steps, steps);
        g_assert_cmpint(n_steps, >=, 8);
        g_assert_true(btf_daemon_stop(f->daemon, &status, &error));

        for (long at = 1; at <= n_steps; at++) {
                g_autoptr(GVariant) killed = NULL;
                g_autoptr(GError) call_error = NULL;
                g_autofree char *token_before = NULL, *token_after = NULL, *jwks = NULL, *kid = NULL;
                g_autofree char *kid_member = NULL;

                g_assert_cmpint(unlink(log), ==, 0);
                g_assert_true(start_under_shim(f, arm, at, log));
                token_before = get_token(f);
                g_assert_true(g_file_set_contents(arm, "", 0, NULL));
                killed = call_rotate(f, &call_error);
                g_assert_null(killed);
                g_assert_true(btf_daemon_wait_exit(f->daemon, 2 * T, &status, &error));
                g_assert_no_error(error);
                g_assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
                g_assert_cmpint(unlink(arm), ==, 0);

                start(f, NULL, NULL);
                jwks = served_jwks(f);
                g_assert_true(verifies(token_before, jwks, &error));
                g_assert_no_error(error);
                token_after = get_token(f);
                g_assert_true(verifies(token_after, jwks, &error));
                g_assert_no_error(error);
                kid = header_kid(token_after);
                kid_member = g_strdup_printf("\"kid\":\"%s\"", kid);
                g_assert_true(g_str_has_prefix(jwks, "{\"keys\":[{\"alg\":\"EdDSA\",\"crv\":\"Ed25519\",\"kid\":\"") &&
                              strstr(jwks, kid_member) == jwks + strlen("{\"keys\":[{\"alg\":\"EdDSA\",\"crv\":\"Ed25519\","));
                g_assert_true(btf_daemon_stop(f->daemon, &status, &error));
        }
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

#define ADD(path, fn) g_test_add("/keys/" path, Fixture, NULL, setup, fn, fixture_teardown)
        ADD("export-any-user", test_export_any_user);
        ADD("audience", test_audience);
        ADD("rotate", test_rotate);
        ADD("retire", test_retire);
        ADD("rotate-credential", test_rotate_credential);
        ADD("fleet-credential", test_fleet_credential);
        ADD("rotate-crash", test_rotate_crash);
#undef ADD
        return g_test_run();
}
