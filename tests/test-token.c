/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Step-up tokens: known answers from RFC 8037, sign → verify, every way a
 * token must fail, an independent verification with openssl, and
 * `biogatectl token verify`. */
#include <gio/gio.h>
#include <sodium.h>
#include <string.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "biogate-jcs.h"
#include "biogate-token-ledger.h"
#include "biogate-token.h"

#define NOW G_GINT64_CONSTANT(1750000000)
#define TOKEN_TYPE "biogate-stepup+jwt"

/* RFC 8037 Appendix A.1 (d is the seed) and A.3 (thumbprint). */
#define RFC8037_D "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
#define RFC8037_X "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
#define RFC8037_THUMBPRINT "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"

typedef struct Fixture {
        guint8 pk[BIOGATE_ED25519_PUBLIC_SIZE], sk[BIOGATE_ED25519_SECRET_SIZE];
        guint8 other_pk[BIOGATE_ED25519_PUBLIC_SIZE], other_sk[BIOGATE_ED25519_SECRET_SIZE];
        char *jwks, *kid;
        GBytes *challenge;
        BiogateTx *tx;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data) {
        g_autoptr(GBytes) seed = biogate_base64url_decode(RFC8037_D, NULL);
        g_autoptr(GVariant) dict = NULL;
        guint8 other_seed[32], challenge[32];
        GVariantBuilder b;

        g_assert_cmpint(sodium_init(), >=, 0);
        crypto_sign_seed_keypair(f->pk, f->sk, g_bytes_get_data(seed, NULL));
        memset(other_seed, 0x42, sizeof other_seed);
        crypto_sign_seed_keypair(f->other_pk, f->other_sk, other_seed);
        f->jwks = biogate_jwks_new(f->pk);
        f->kid = biogate_jwk_thumbprint(f->pk);

        for (size_t i = 0; i < sizeof challenge; i++)
                challenge[i] = (guint8) (0xa0 + i);
        f->challenge = g_bytes_new(challenge, sizeof challenge);

        g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add(&b, "{sv}", "kind", g_variant_new_string("withdrawal"));
        g_variant_builder_add(&b, "{sv}", "amount", g_variant_new_string("250000"));
        g_variant_builder_add(&b, "{sv}", "currency", g_variant_new_string("USD"));
        g_variant_builder_add(&b, "{sv}", "payee", g_variant_new_string("ACME Ltd"));
        g_variant_builder_add(&b, "{sv}", "reference", g_variant_new_string("T-1001"));
        g_variant_builder_add(&b, "{sv}", "challenge",
                              g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, challenge, sizeof challenge, 1));
        dict = g_variant_ref_sink(g_variant_builder_end(&b));
        f->tx = biogate_tx_from_variant(dict, NULL);
        g_assert_nonnull(f->tx);
}

static void fixture_teardown(Fixture *f, gconstpointer data) {
        sodium_memzero(f->sk, sizeof f->sk);
        sodium_memzero(f->other_sk, sizeof f->other_sk);
        g_free(f->jwks);
        g_free(f->kid);
        g_bytes_unref(f->challenge);
        biogate_tx_free(f->tx);
}

static char *b64(const void *data, size_t len) {
        return biogate_base64url_encode(data, len);
}

/* The claims biogated puts in a token (DESIGN.md, "Step-up token"). */
static JsonObject *claims_new(const Fixture *f, const BiogateTx *tx, gint64 iat, gint64 exp) {
        JsonObject *claims = json_object_new();
        g_autofree char *nonce = b64(g_bytes_get_data(f->challenge, NULL), g_bytes_get_size(f->challenge));
        g_autofree char *digest = biogate_tx_digest_string(tx);
        g_autofree char *text = biogate_tx_render_text(tx);
        g_autofree char *display = NULL;
        guint8 hash[32];
        gsize len = sizeof hash;
        g_autoptr(GChecksum) sha = g_checksum_new(G_CHECKSUM_SHA256);
        JsonArray *amr = json_array_new();

        g_checksum_update(sha, (const guchar *) text, -1);
        g_checksum_get_digest(sha, hash, &len);
        display = b64(hash, len);
        json_array_add_string_element(amr, "fpt");

        json_object_set_string_member(claims, "iss", "5f1e8a3c2b7d4e609a8b7c6d5e4f3a21");
        json_object_set_string_member(claims, "sub", "alice");
        json_object_set_int_member(claims, "uid", 1000);
        json_object_set_int_member(claims, "iat", iat);
        json_object_set_int_member(claims, "exp", exp);
        json_object_set_string_member(claims, "jti", "q1w2e3r4t5y6u7i8o9p0");
        json_object_set_string_member(claims, "nonce", nonce);
        json_object_set_member(claims, "tx", biogate_tx_to_json(tx));
        json_object_set_string_member(claims, "tx_digest", digest);
        json_object_set_string_member(claims, "display_digest", display);
        json_object_set_array_member(claims, "amr", amr);
        json_object_set_string_member(claims, "rule", "large-withdrawal");
        json_object_set_array_member(claims, "approvers", json_array_new());
        return claims;
}

static char *sign_default(const Fixture *f, gint64 iat, gint64 exp) {
        g_autoptr(JsonObject) claims = claims_new(f, f->tx, iat, exp);
        g_autoptr(GError) error = NULL;
        char *token = biogate_token_sign(f->sk, f->pk, claims, &error);

        g_assert_no_error(error);
        g_assert_nonnull(token);
        return token;
}

/* A token from raw header and payload text, signed with secret_key: for
 * the cases biogate_token_sign() would never produce. */
static char *assemble(const char *header, const char *payload, const guint8 *secret_key) {
        g_autofree char *h = b64(header, strlen(header)), *p = b64(payload, strlen(payload));
        g_autofree char *input = g_strconcat(h, ".", p, NULL);
        g_autofree char *s = NULL;
        guint8 signature[crypto_sign_BYTES];

        crypto_sign_detached(signature, NULL, (const guint8 *) input, strlen(input), secret_key);
        s = b64(signature, sizeof signature);
        return g_strconcat(input, ".", s, NULL);
}

static char *our_header(const Fixture *f) {
        return g_strdup_printf("{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"typ\":\"" TOKEN_TYPE "\"}", f->kid);
}

static char *claims_text(JsonObject *claims) {
        g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), claims);

        return biogate_jcs_serialize(node, NULL);
}

static void expect_failure(const Fixture *f, const char *token, GBytes *challenge, gint64 now, BiogateTokenError code) {
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonObject) claims = NULL;

        g_assert_false(biogate_token_verify(token, f->jwks, challenge, now, &claims, &error));
        g_assert_error(error, BIOGATE_TOKEN_ERROR, (gint) code);
        g_assert_null(claims);
        g_test_message("refused as expected: %s", error->message);
}

static void expect_valid(const Fixture *f, const char *token, GBytes *challenge, gint64 now) {
        g_autoptr(GError) error = NULL;

        g_assert_true(biogate_token_verify(token, f->jwks, challenge, now, NULL, &error));
        g_assert_no_error(error);
}

static void test_rfc8037_vectors(Fixture *f, gconstpointer data) {
        /* A.2/A.3: the public key of the seed, and its thumbprint. */
        g_autofree char *x = b64(f->pk, sizeof f->pk);
        g_autofree char *thumbprint = biogate_jwk_thumbprint(f->pk);
        /* A.4: Ed25519 is deterministic, so the signature is known. */
        const char *input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
        guint8 signature[crypto_sign_BYTES];
        g_autofree char *signature_b64 = NULL;

        g_assert_cmpstr(x, ==, RFC8037_X);
        g_assert_cmpstr(thumbprint, ==, RFC8037_THUMBPRINT);
        crypto_sign_detached(signature, NULL, (const guint8 *) input, strlen(input), f->sk);
        signature_b64 = b64(signature, sizeof signature);
        g_assert_cmpstr(signature_b64, ==,
                        "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg");
}

static void test_jwks(Fixture *f, gconstpointer data) {
        g_autofree char *expected = g_strdup_printf(
                "{\"keys\":[{\"alg\":\"EdDSA\",\"crv\":\"Ed25519\",\"kid\":\"%s\",\"kty\":\"OKP\","
                "\"use\":\"sig\",\"x\":\"%s\"}]}", RFC8037_THUMBPRINT, RFC8037_X);

        g_assert_cmpstr(f->jwks, ==, expected);
}

static void test_round_trip(Fixture *f, gconstpointer data) {
        g_autofree char *token = sign_default(f, NOW, NOW + 120);
        g_autofree char *again = sign_default(f, NOW, NOW + 120);
        g_autofree char *expected_header = our_header(f);
        g_autofree char *header_b64 = b64(expected_header, strlen(expected_header));
        g_autoptr(JsonObject) claims = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *digest = biogate_tx_digest_string(f->tx);

        /* Header is JCS of {alg, kid, typ}; JCS claims make signing
         * deterministic. */
        g_assert_true(g_str_has_prefix(token, header_b64));
        g_assert_cmpuint(token[strlen(header_b64)], ==, '.');
        g_assert_cmpstr(token, ==, again);

        g_assert_true(biogate_token_verify(token, f->jwks, f->challenge, NOW, &claims, &error));
        g_assert_no_error(error);
        g_assert_cmpstr(json_object_get_string_member(claims, "sub"), ==, "alice");
        g_assert_cmpstr(json_object_get_string_member(claims, "tx_digest"), ==, digest);
        g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(claims, "tx"), "amount"), ==,
                        "250000.00");

        /* Without an expected challenge the nonce is not checked. */
        expect_valid(f, token, NULL, NOW);
}

static void test_expiry(Fixture *f, gconstpointer data) {
        g_autofree char *token = sign_default(f, NOW, NOW + 120);
        g_autofree char *future = sign_default(f, NOW + 61, NOW + 181);
        g_autofree char *skewed = sign_default(f, NOW + 60, NOW + 180);

        expect_valid(f, token, f->challenge, NOW + 119);
        expect_failure(f, token, f->challenge, NOW + 120, BIOGATE_TOKEN_ERROR_EXPIRED);
        expect_failure(f, token, f->challenge, NOW + 100000, BIOGATE_TOKEN_ERROR_EXPIRED);
        /* Issued in the future: 60 s of clock skew are tolerated. */
        expect_valid(f, skewed, f->challenge, NOW);
        expect_failure(f, future, f->challenge, NOW, BIOGATE_TOKEN_ERROR_NOT_YET_VALID);
}

static void test_nonce(Fixture *f, gconstpointer data) {
        g_autofree char *token = sign_default(f, NOW, NOW + 120);
        guint8 wrong[32], shorter[16];
        g_autoptr(GBytes) wrong_bytes = NULL, short_bytes = NULL;
        g_autoptr(JsonObject) claims = claims_new(f, f->tx, NOW, NOW + 120);
        g_autofree char *header = our_header(f), *payload = NULL, *no_nonce = NULL;

        memcpy(wrong, g_bytes_get_data(f->challenge, NULL), sizeof wrong);
        wrong[31] ^= 1;
        wrong_bytes = g_bytes_new(wrong, sizeof wrong);
        memcpy(shorter, g_bytes_get_data(f->challenge, NULL), sizeof shorter);
        short_bytes = g_bytes_new(shorter, sizeof shorter);

        expect_failure(f, token, wrong_bytes, NOW, BIOGATE_TOKEN_ERROR_NONCE);
        expect_failure(f, token, short_bytes, NOW, BIOGATE_TOKEN_ERROR_NONCE);

        /* A token without a nonce fails when one is expected. */
        json_object_remove_member(claims, "nonce");
        payload = claims_text(claims);
        no_nonce = assemble(header, payload, f->sk);
        expect_failure(f, no_nonce, f->challenge, NOW, BIOGATE_TOKEN_ERROR_NONCE);
        expect_valid(f, no_nonce, NULL, NOW);
}

static void test_unknown_key(Fixture *f, gconstpointer data) {
        g_autofree char *token = sign_default(f, NOW, NOW + 120);
        g_autofree char *other_jwks = biogate_jwks_new(f->other_pk);
        g_autofree char *rsa_jwks = g_strdup_printf("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"%s\",\"n\":\"AQAB\"}]}", f->kid);
        const char *bad_sets[] = { other_jwks, rsa_jwks, "not json", "{\"keys\":{}}", "[]", "{\"keys\":[]}" };

        for (size_t i = 0; i < G_N_ELEMENTS(bad_sets); i++) {
                g_autoptr(GError) error = NULL;

                g_assert_false(biogate_token_verify(token, bad_sets[i], f->challenge, NOW, NULL, &error));
                g_assert_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_UNKNOWN_KEY);
        }

        /* A set with several keys finds the right one. */
        {
                g_autofree char *both = g_strdup_printf("{\"keys\":[%.*s,%.*s]}",
                                                        (int) strlen(other_jwks) - 11, other_jwks + 9,
                                                        (int) strlen(f->jwks) - 11, f->jwks + 9);
                g_autoptr(GError) error = NULL;

                g_assert_true(biogate_token_verify(token, both, f->challenge, NOW, NULL, &error));
                g_assert_no_error(error);
        }
}

/* PSD2 dynamic linking: a changed amount or payee must not verify. */
static void test_tampered_tx(Fixture *f, gconstpointer data) {
        const char *changes[][2] = { { "amount", "250000.01" }, { "payee", "Mallory Ltd" } };
        g_autofree char *header = our_header(f);

        for (size_t i = 0; i < G_N_ELEMENTS(changes); i++) {
                g_autoptr(JsonObject) claims = claims_new(f, f->tx, NOW, NOW + 120);
                JsonObject *tx = json_object_get_object_member(claims, "tx");
                g_autofree char *payload = NULL, *resigned = NULL, *wrong_key = NULL, *spliced = NULL;
                g_autofree char *original = sign_default(f, NOW, NOW + 120);
                g_autofree char *payload_b64 = NULL;
                char **parts;

                /* tx changed, tx_digest of the original kept. */
                json_object_set_string_member(tx, changes[i][0], changes[i][1]);
                payload = claims_text(claims);

                /* Signed by the right key: only the digest check catches it. */
                resigned = assemble(header, payload, f->sk);
                expect_failure(f, resigned, f->challenge, NOW, BIOGATE_TOKEN_ERROR_DIGEST);

                /* Signed by another key under our kid. */
                wrong_key = assemble(header, payload, f->other_sk);
                expect_failure(f, wrong_key, f->challenge, NOW, BIOGATE_TOKEN_ERROR_BAD_SIGNATURE);

                /* The new payload with the original signature. */
                parts = g_strsplit(original, ".", 3);
                payload_b64 = b64(payload, strlen(payload));
                spliced = g_strjoin(".", parts[0], payload_b64, parts[2], NULL);
                g_strfreev(parts);
                expect_failure(f, spliced, f->challenge, NOW, BIOGATE_TOKEN_ERROR_BAD_SIGNATURE);
        }

        /* A flipped signature bit. */
        {
                g_autofree char *token = sign_default(f, NOW, NOW + 120);
                size_t n = strlen(token);

                token[n - 2] = token[n - 2] == 'A' ? 'B' : 'A';
                expect_failure(f, token, f->challenge, NOW, BIOGATE_TOKEN_ERROR_BAD_SIGNATURE);
        }
}

static void test_malformed(Fixture *f, gconstpointer data) {
        g_autoptr(JsonObject) claims = claims_new(f, f->tx, NOW, NOW + 120);
        g_autofree char *payload = claims_text(claims);
        g_autofree char *good = sign_default(f, NOW, NOW + 120);
        g_autofree char *header = our_header(f);
        g_autofree char *none_header = g_strdup_printf("{\"alg\":\"none\",\"kid\":\"%s\",\"typ\":\"" TOKEN_TYPE "\"}", f->kid);
        g_autofree char *hs_header = g_strdup_printf("{\"alg\":\"HS256\",\"kid\":\"%s\",\"typ\":\"" TOKEN_TYPE "\"}", f->kid);
        g_autofree char *jwt_header = g_strdup_printf("{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"typ\":\"JWT\"}", f->kid);
        g_autofree char *crit_header = g_strdup_printf(
                "{\"alg\":\"EdDSA\",\"crit\":[\"exp\"],\"kid\":\"%s\",\"typ\":\"" TOKEN_TYPE "\"}", f->kid);
        g_autofree char *none_b64 = b64(none_header, strlen(none_header));
        g_autofree char *payload_b64 = b64(payload, strlen(payload));
        g_autofree char *alg_none = g_strconcat(none_b64, ".", payload_b64, ".", NULL);
        g_autofree char *not_json_b64 = b64("not json", 8);
        g_autofree char *not_json = g_strconcat(not_json_b64, ".", payload_b64, ".AAAA", NULL);
        g_autofree char *two_parts = g_strndup(good, strrchr(good, '.') - good);
        g_autofree char *four_parts = g_strconcat(good, ".AAAA", NULL);
        g_autofree char *bad_base64 = g_strconcat("eyJ*bGciOiJFZERTQSJ9", strchr(good, '.'), NULL);
        g_autofree char *short_signature = g_strndup(good, strlen(good) - 4);
        g_autoptr(GString) mac_input = g_string_new(NULL);
        g_autofree char *hs256 = NULL, *mac_b64 = NULL, *hs_b64 = NULL;
        guint8 mac[32];
        gsize mac_len = sizeof mac;
        const char *bad_payloads[] = {
                "[1,2,3]",
                "{\"iat\":1750000000,\"tx\":{\"kind\":\"order\"}}",                          /* no exp */
                "{\"exp\":\"1750000120\",\"iat\":1750000000,\"tx\":{\"kind\":\"order\"}}",      /* exp not an integer */
                "{\"exp\":1750000120,\"iat\":1750000000}",                                   /* no tx */
                "{\"exp\":1750000120,\"iat\":1750000000,\"tx\":{\"kind\":\"Order\"}}",          /* invalid tx */
                "{\"exp\":1750000120,\"iat\":1750000000,\"tx\":{\"kind\":\"order\"}}",          /* no tx_digest */
        };
        struct {
                const char *what;
                char *token;
        } cases[] = {
                { "two parts", two_parts },
                { "four parts", four_parts },
                { "bad base64 in the header", bad_base64 },
                { "header not JSON", not_json },
                { "alg none", alg_none },
                { "alg HS256 (MAC keyed with the public key)", NULL },
                { "typ JWT", NULL },
                { "crit header", NULL },
                { "truncated signature", short_signature },
                { "empty token", (char *) "" },
                { "dots only", (char *) ".." },
        };

        /* The classic algorithm confusion: an HMAC keyed with the public key. */
        hs_b64 = b64(hs_header, strlen(hs_header));
        g_string_append_printf(mac_input, "%s.%s", hs_b64, payload_b64);
        {
                g_autoptr(GHmac) hmac = g_hmac_new(G_CHECKSUM_SHA256, f->pk, sizeof f->pk);

                g_hmac_update(hmac, (const guchar *) mac_input->str, (gssize) mac_input->len);
                g_hmac_get_digest(hmac, mac, &mac_len);
        }
        mac_b64 = b64(mac, mac_len);
        hs256 = g_strconcat(mac_input->str, ".", mac_b64, NULL);
        cases[5].token = hs256;
        cases[6].token = assemble(jwt_header, payload, f->sk);
        cases[7].token = assemble(crit_header, payload, f->sk);

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_test_message("case: %s", cases[i].what);
                expect_failure(f, cases[i].token, f->challenge, NOW, BIOGATE_TOKEN_ERROR_MALFORMED);
        }
        g_free(cases[6].token);
        g_free(cases[7].token);

        /* Correctly signed, but the claims are unusable. */
        for (size_t i = 0; i < G_N_ELEMENTS(bad_payloads); i++) {
                g_autofree char *token = assemble(header, bad_payloads[i], f->sk);

                g_test_message("payload: %s", bad_payloads[i]);
                expect_failure(f, token, NULL, NOW, BIOGATE_TOKEN_ERROR_MALFORMED);
        }
}

/* Signing with a public key that is not the secret key's would publish a
 * kid nobody can verify: refused. */
static void test_sign_key_mismatch(Fixture *f, gconstpointer data) {
        g_autoptr(JsonObject) claims = claims_new(f, f->tx, NOW, NOW + 120);
        g_autoptr(GError) error = NULL;
        g_autofree char *token = biogate_token_sign(f->sk, f->other_pk, claims, &error);

        g_assert_null(token);
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

/* Writes a file into dir and returns its path. */
static char *write_file(const char *dir, const char *name, const void *data, size_t len) {
        g_autoptr(GError) error = NULL;
        char *path = g_build_filename(dir, name, NULL);

        g_assert_true(g_file_set_contents(path, data, (gssize) len, &error));
        g_assert_no_error(error);
        return path;
}

/* Runs argv with input on standard input; the exit status. */
static int run(const char *const *argv, const char *input, char **ret_out, char **ret_err) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GSubprocess) process = g_subprocess_newv(argv,
                                                           G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                           G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                           G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);

        g_assert_no_error(error);
        g_assert_true(g_subprocess_communicate_utf8(process, input, NULL, ret_out, ret_err, &error));
        g_assert_no_error(error);
        g_assert_true(g_subprocess_get_if_exited(process));
        return g_subprocess_get_exit_status(process);
}

static void remove_tree(const char *dir) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *name;

        while (d && (name = g_dir_read_name(d))) {
                g_autofree char *path = g_build_filename(dir, name, NULL);

                g_assert_cmpint(g_unlink(path), ==, 0);
        }
        g_assert_cmpint(g_rmdir(dir), ==, 0);
}

/* An independent implementation verifies our tokens: OpenSSL, with the
 * public key taken from the published JWK set as SubjectPublicKeyInfo (RFC
 * 8410: a fixed 12-byte DER prefix, then the 32-byte key). */
static void test_openssl(Fixture *f, gconstpointer data) {
        static const guint8 spki_prefix[12] = { 0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00 };
        g_autofree char *openssl = g_find_program_in_path("openssl");
        g_autofree char *token = NULL, *dir = NULL, *der_b64 = NULL, *pem = NULL, *input = NULL, *tampered = NULL;
        g_autofree char *pem_path = NULL, *input_path = NULL, *tampered_path = NULL, *sig_path = NULL;
        g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL, *payload = NULL, *tampered_b64 = NULL;
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(GBytes) x = NULL, signature = NULL, payload_bytes = NULL;
        g_autoptr(GError) error = NULL;
        g_auto(GStrv) parts = NULL;
        guint8 der[44];
        char *amount;
        JsonObject *jwk;

        if (!openssl) {
                g_test_skip("openssl is not installed");
                return;
        }

        token = sign_default(f, NOW, NOW + 120);
        parts = g_strsplit(token, ".", 3);
        input = g_strconcat(parts[0], ".", parts[1], NULL);
        signature = biogate_base64url_decode(parts[2], NULL);
        g_assert_cmpuint(g_bytes_get_size(signature), ==, 64);

        g_assert_true(json_parser_load_from_data(parser, f->jwks, -1, NULL));
        jwk = json_array_get_object_element(
                json_object_get_array_member(json_node_get_object(json_parser_get_root(parser)), "keys"), 0);
        x = biogate_base64url_decode(json_object_get_string_member(jwk, "x"), NULL);
        g_assert_cmpuint(g_bytes_get_size(x), ==, 32);
        memcpy(der, spki_prefix, sizeof spki_prefix);
        memcpy(der + sizeof spki_prefix, g_bytes_get_data(x, NULL), 32);
        der_b64 = g_base64_encode(der, sizeof der);
        pem = g_strdup_printf("-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n", der_b64);

        /* The same signing input with the amount raised by one cent. */
        payload_bytes = biogate_base64url_decode(parts[1], NULL);
        payload = g_strndup(g_bytes_get_data(payload_bytes, NULL), g_bytes_get_size(payload_bytes));
        amount = strstr(payload, "\"250000.00\"");
        g_assert_nonnull(amount);
        amount[9] = '1';
        tampered_b64 = b64(payload, strlen(payload));
        tampered = g_strconcat(parts[0], ".", tampered_b64, NULL);

        dir = g_dir_make_tmp("biogate-token-XXXXXX", &error);
        g_assert_no_error(error);
        pem_path = write_file(dir, "pub.pem", pem, strlen(pem));
        input_path = write_file(dir, "signing_input", input, strlen(input));
        tampered_path = write_file(dir, "tampered_input", tampered, strlen(tampered));
        sig_path = write_file(dir, "sig.bin", g_bytes_get_data(signature, NULL), 64);

        {
                const char *argv[] = { openssl, "pkeyutl", "-verify", "-pubin", "-inkey", pem_path, "-rawin",
                                       "-in", input_path, "-sigfile", sig_path, NULL };
                const char *argv2[] = { openssl, "pkeyutl", "-verify", "-pubin", "-inkey", pem_path, "-rawin",
                                        "-in", tampered_path, "-sigfile", sig_path, NULL };

                g_assert_cmpint(run(argv, NULL, &out, &err), ==, 0);
                g_assert_nonnull(strstr(out, "Signature Verified Successfully"));

                g_assert_cmpint(run(argv2, NULL, &out2, &err2), !=, 0);
                g_assert_nonnull(strstr(out2, "Signature Verification Failure"));
        }

        remove_tree(dir);
}

static void test_biogatectl(Fixture *f, gconstpointer data) {
        g_autofree char *token = sign_default(f, NOW, NOW + 120);
        g_autofree char *other_jwks = biogate_jwks_new(f->other_pk);
        g_autofree char *dir = g_dir_make_tmp("biogate-ctl-XXXXXX", NULL);
        g_autofree char *jwks = write_file(dir, "jwks.json", f->jwks, strlen(f->jwks));
        g_autofree char *other = write_file(dir, "other.json", other_jwks, strlen(other_jwks));
        g_autofree char *missing = g_build_filename(dir, "missing.json", NULL);
        g_autofree char *hex = NULL, *digest = biogate_tx_digest_string(f->tx);
        g_autofree char *now = g_strdup_printf("%" G_GINT64_FORMAT, NOW);
        g_autofree char *later = g_strdup_printf("%" G_GINT64_FORMAT, NOW + 120);
        g_autofree char *piped = g_strconcat(token, "\n", NULL);
        g_autofree char *digest_claim = g_strdup_printf("\"tx_digest\":\"%s\"", digest);
        GString *h = g_string_new(NULL);
        const char *ctl = BIOGATECTL_PATH;

        for (size_t i = 0; i < g_bytes_get_size(f->challenge); i++)
                g_string_append_printf(h, "%02x", ((const guint8 *) g_bytes_get_data(f->challenge, NULL))[i]);
        hex = g_string_free(h, FALSE);

        struct {
                const char *argv[16];
                const char *input;
                int status;
                const char *out, *err; /* substrings expected, or NULL */
        } cases[] = {
                { { ctl, "token", "verify", "--jwks", jwks, "--challenge", hex, "--now", now, token }, NULL, 0,
                  "Approve WITHDRAWAL of 250,000.00 USD to payee \"ACME Ltd\" (reference \"T-1001\")?", NULL },
                { { ctl, "token", "verify", "--jwks", jwks, "--now", now, token }, NULL, 0,
                  "Fingerprint: taken for this transaction (amr fpt)", NULL },
                { { ctl, "--json", "token", "verify", "--jwks", jwks, "--challenge", hex, "--now", now, token }, NULL, 0,
                  "{\"valid\":true,\"nonce-checked\":true,\"once-checked\":false,\"touch\":true,\"claims\":{", NULL },
                { { ctl, "token", "verify", "--jwks", jwks, "--now", now, token, "--json" }, NULL, 0, digest_claim, NULL },
                { { ctl, "token", "verify", "--jwks", jwks, "--now", now, "-" }, piped, 0, "not checked", NULL },
                { { ctl, "token", "verify", "--jwks", jwks, "--challenge", "00112233445566778899aabbccddeeff",
                    "--now", now, token }, NULL, 1, NULL, "wrong nonce" },
                { { ctl, "token", "verify", "--jwks", jwks, "--now", later, token }, NULL, 1, NULL, "expired" },
                { { ctl, "token", "verify", "--json", "--jwks", jwks, "--now", later, token }, NULL, 1,
                  "{\"valid\":false,\"check\":\"expiry\",", NULL },
                { { ctl, "token", "verify", "--jwks", other, "--now", now, token }, NULL, 1, NULL, "unknown key" },
                { { ctl, "token", "verify", "--jwks", jwks, "--now", now, "a.b" }, NULL, 1, NULL, "malformed" },
                { { ctl, "token", "verify", "--now", now, token }, NULL, 2, NULL, "--jwks" },
                { { ctl, "token", "verify", "--jwks", jwks }, NULL, 2, NULL, "No token" },
                { { ctl, "token", "verify", "--jwks", jwks, token, token }, NULL, 2, NULL, "Unexpected argument" },
                { { ctl, "token", "verify", "--jwks", jwks, "--challenge", "zz", token }, NULL, 2, NULL, "--challenge" },
                { { ctl, "token", "verify", "--jwks", jwks, "--challenge", "00112233445566778899aabbccddee", token },
                  NULL, 2, NULL, "--challenge" },
                { { ctl, "token", "verify", "--jwks", jwks, "--now", "-5", token }, NULL, 2, NULL, "--now" },
                { { ctl, "token", "verify", "--jwks", missing, token }, NULL, 2, NULL, "JWK set" },
                { { ctl, "token" }, NULL, 2, NULL, "verify" },
                { { ctl, "token", "frobnicate" }, NULL, 2, NULL, "frobnicate" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *out = NULL, *err = NULL, *line = g_strjoinv(" ", (char **) cases[i].argv);

                g_test_message("%s", line);
                g_assert_cmpint(run(cases[i].argv, cases[i].input, &out, &err), ==, cases[i].status);
                if (cases[i].out)
                        g_assert_nonnull(strstr(out, cases[i].out));
                if (cases[i].err)
                        g_assert_nonnull(strstr(err, cases[i].err));
        }

        remove_tree(dir);
}


/* The attack: a backend that checks only the signature takes one approval
 * twice (the token is valid until exp). With the ledger the second use is
 * refused, by this process or any other, and expired entries go away. */
static void test_ledger_once(Fixture *f, gconstpointer data) {
        g_autofree char *dir = g_dir_make_tmp("biogate-ledger-XXXXXX", NULL);
        g_autofree char *ledger = g_build_filename(dir, "used-tokens", NULL);
        g_autofree char *text = NULL;
        g_autoptr(GError) error = NULL;
        int accepted = 0;

        g_assert_true(biogate_token_ledger_use(ledger, "jti-one", NOW + 120, NOW, &error));
        g_assert_no_error(error);
        g_assert_false(biogate_token_ledger_use(ledger, "jti-one", NOW + 120, NOW + 1, &error));
        g_assert_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_REPLAYED);
        g_clear_error(&error);
        g_assert_true(biogate_token_ledger_use(ledger, "jti-two", NOW + 10, NOW + 1, &error));
        g_assert_no_error(error);

        /* Past jti-two's exp it is dropped; jti-one is still remembered. */
        g_assert_true(biogate_token_ledger_use(ledger, "jti-three", NOW + 200, NOW + 11, &error));
        g_assert_no_error(error);
        g_assert_true(g_file_get_contents(ledger, &text, NULL, NULL));
        g_assert_null(strstr(text, "jti-two"));
        g_assert_nonnull(strstr(text, "jti-one"));
        g_assert_false(biogate_token_ledger_use(ledger, "jti-one", NOW + 120, NOW + 11, &error));
        g_assert_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_REPLAYED);
        g_clear_error(&error);

        /* Eight processes present the same token at once: exactly one wins. */
        for (int i = 0; i < 8; i++) {
                pid_t pid = fork();

                g_assert_cmpint(pid, >=, 0);
                if (pid == 0)
                        _exit(biogate_token_ledger_use(ledger, "jti-race", NOW + 120, NOW, NULL) ? 0 : 1);
        }
        for (int i = 0; i < 8; i++) {
                int status;

                g_assert_cmpint(wait(&status), >, 0);
                g_assert_true(WIFEXITED(status));
                accepted += WEXITSTATUS(status) == 0;
        }
        g_assert_cmpint(accepted, ==, 1);

        /* An entry dropped at a later time cannot be replayed by a caller
         * whose clock is behind: the ledger's clock never goes back. */
        g_assert_true(biogate_token_ledger_use(ledger, "jti-short", NOW + 30, NOW, &error));
        g_assert_no_error(error);
        g_assert_true(biogate_token_ledger_use(ledger, "jti-later", NOW + 300, NOW + 100, &error));
        g_assert_no_error(error);
        g_assert_false(biogate_token_ledger_use(ledger, "jti-short", NOW + 30, NOW + 1, &error));
        g_assert_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_EXPIRED);
        g_clear_error(&error);

        /* A directory that others may write: they could delete the ledger. */
        g_assert_cmpint(chmod(dir, 0777), ==, 0);
        g_assert_false(biogate_token_ledger_use(ledger, "jti-four", NOW + 220, NOW + 100, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
        g_clear_error(&error);
        g_assert_cmpint(chmod(dir, 01777), ==, 0);
        g_assert_false(biogate_token_ledger_use(ledger, "jti-four", NOW + 220, NOW + 100, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
        g_clear_error(&error);
        g_assert_cmpint(chmod(dir, 0700), ==, 0);

        /* A FIFO planted under the name is refused at once, not waited on. */
        {
                g_autofree char *fifo = g_build_filename(dir, "fifo", NULL);

                g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
                g_assert_false(biogate_token_ledger_use(fifo, "jti-four", NOW + 220, NOW + 100, &error));
                g_assert_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
                g_clear_error(&error);
                g_assert_cmpint(unlink(fifo), ==, 0);
        }

        /* A ledger that others may write, or that is not a ledger, accepts nothing. */
        g_assert_cmpint(chmod(ledger, 0666), ==, 0);
        g_assert_false(biogate_token_ledger_use(ledger, "jti-four", NOW + 120, NOW, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
        g_clear_error(&error);
        g_assert_cmpint(chmod(ledger, 0600), ==, 0);
        g_assert_true(g_file_set_contents(ledger, "now 1\n123 ok\nnot a line\n", -1, NULL));
        g_assert_cmpint(chmod(ledger, 0600), ==, 0);
        g_assert_false(biogate_token_ledger_use(ledger, "jti-four", NOW + 120, NOW, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
        g_assert_nonnull(strstr(error->message, ":3:"));
        g_clear_error(&error);
        g_assert_cmpint(unlink(ledger), ==, 0);
        g_assert_cmpint(symlink("/etc/passwd", ledger), ==, 0);
        g_assert_false(biogate_token_ledger_use(ledger, "jti-four", NOW + 120, NOW, &error));
        g_assert_nonnull(error);
        g_clear_error(&error);
        g_assert_false(biogate_token_ledger_use(ledger, "no spaces allowed", NOW + 120, NOW, &error));
        g_assert_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_MALFORMED);

        remove_tree(dir);
}

/* The backend's command: the same token twice through `token verify --once`. */
static void test_biogatectl_once(Fixture *f, gconstpointer data) {
        g_autofree char *token = sign_default(f, NOW, NOW + 120);
        g_autofree char *dir = g_dir_make_tmp("biogate-ctl-XXXXXX", NULL);
        g_autofree char *jwks = write_file(dir, "jwks.json", f->jwks, strlen(f->jwks));
        g_autofree char *ledger = g_build_filename(dir, "ledger", NULL);
        g_autofree char *now = g_strdup_printf("%" G_GINT64_FORMAT, NOW);
        g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL, *out3 = NULL, *err3 = NULL;
        const char *first[] = { BIOGATECTL_PATH, "token", "verify", "--jwks", jwks, "--now", now, "--once", ledger,
                                token, NULL };
        const char *again[] = { BIOGATECTL_PATH, "--json", "token", "verify", "--jwks", jwks, "--now", now,
                                "--once", ledger, token, NULL };
        const char *plain[] = { BIOGATECTL_PATH, "token", "verify", "--jwks", jwks, "--now", now, token, NULL };

        g_assert_cmpint(run(first, NULL, &out, &err), ==, 0);
        g_assert_nonnull(strstr(out, "first use"));
        g_assert_cmpint(run(again, NULL, &out2, &err2), ==, 1);
        g_assert_nonnull(strstr(out2, "{\"valid\":false,\"check\":\"replay\","));
        /* Without --once nothing is remembered: the check is the backend's choice. */
        g_assert_cmpint(run(plain, NULL, &out3, &err3), ==, 0);

        remove_tree(dir);
}

/* The attack: a rule with require=none (the vendor policy's small-usd)
 * gets a validly signed token nobody touched the sensor for; a backend
 * that checks only the exit status of `token verify` takes it as a touch.
 * With --require-touch such a token is refused (exit 1, check "touch"),
 * before the ledger, so it does not burn its jti; a touched one passes. */
static void test_biogatectl_require_touch(Fixture *f, gconstpointer data) {
        g_autoptr(JsonObject) claims = claims_new(f, f->tx, NOW, NOW + 120);
        g_autoptr(GError) error = NULL;
        g_autofree char *untouched = NULL, *touched = sign_default(f, NOW, NOW + 120);
        g_autofree char *dir = g_dir_make_tmp("biogate-ctl-XXXXXX", NULL);
        g_autofree char *jwks = write_file(dir, "jwks.json", f->jwks, strlen(f->jwks));
        g_autofree char *ledger = g_build_filename(dir, "ledger", NULL);
        g_autofree char *now = g_strdup_printf("%" G_GINT64_FORMAT, NOW);
        g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL, *out3 = NULL, *err3 = NULL;
        g_autofree char *out4 = NULL, *err4 = NULL, *out5 = NULL, *err5 = NULL;
        const char *plain_cmd[] = { BIOGATECTL_PATH, "token", "verify", "--jwks", jwks, "--now", now,
                                    "--require-touch", "--once", ledger, NULL, NULL };
        const char *json_cmd[] = { BIOGATECTL_PATH, "--json", "token", "verify", "--jwks", jwks, "--now", now,
                                   "--once", ledger, NULL, "--require-touch", NULL };
        const char *without[] = { BIOGATECTL_PATH, "token", "verify", "--jwks", jwks, "--now", now, "--once",
                                  ledger, NULL, NULL };

        json_object_set_array_member(claims, "amr", json_array_new());
        json_object_set_string_member(claims, "rule", "small-usd");
        json_object_set_string_member(claims, "jti", "no-touch-jti-0001");
        untouched = biogate_token_sign(f->sk, f->pk, claims, &error);
        g_assert_no_error(error);

        plain_cmd[10] = untouched;
        g_assert_cmpint(run(plain_cmd, NULL, &out, &err), ==, 1);
        g_assert_nonnull(strstr(err, "biogatectl: invalid token: no fingerprint: "));
        g_assert_null(strstr(out, "Token valid"));
        json_cmd[10] = untouched;
        g_assert_cmpint(run(json_cmd, NULL, &out2, &err2), ==, 1);
        g_assert_true(g_str_has_prefix(out2, "{\"valid\":false,\"check\":\"touch\",\"message\":"));

        /* Refused before the ledger: without the option the same token is
         * still its first use (valid, with the warning). */
        without[9] = untouched;
        g_assert_cmpint(run(without, NULL, &out3, &err3), ==, 0);
        g_assert_nonnull(strstr(out3, "Fingerprint: NONE"));
        g_assert_nonnull(strstr(out3, "first use"));

        /* A token with a touch passes the same command. */
        plain_cmd[10] = touched;
        g_assert_cmpint(run(plain_cmd, NULL, &out4, &err4), ==, 0);
        g_assert_nonnull(strstr(out4, "Fingerprint: taken"));
        g_assert_nonnull(strstr(out4, "first use"));

        /* A ledger that cannot be trusted refuses the token like a failed
         * check (exit 1, check "ledger"), not as a daemon error (7). */
        {
                g_autofree char *fresh = sign_default(f, NOW + 1, NOW + 120);

                g_assert_cmpint(chmod(ledger, 0666), ==, 0);
                json_cmd[10] = fresh;
                g_assert_cmpint(run(json_cmd, NULL, &out5, &err5), ==, 1);
                g_assert_true(g_str_has_prefix(out5, "{\"valid\":false,\"check\":\"ledger\",\"message\":"));
        }

        remove_tree(dir);
}

static char *sign_with_aud(const Fixture *f, JsonNode *aud) {
        g_autoptr(JsonObject) claims = claims_new(f, f->tx, NOW, NOW + 120);
        g_autoptr(GError) error = NULL;
        char *token;

        if (aud)
                json_object_set_member(claims, "aud", aud);
        token = biogate_token_sign(f->sk, f->pk, claims, &error);
        g_assert_no_error(error);
        return token;
}

static void assert_audience(const Fixture *f, const char *token, const char *audience, gboolean valid) {
        g_autoptr(GError) error = NULL;

        g_test_message("audience %s, expecting %s", audience ? audience : "(none)", valid ? "valid" : "refused");
        if (valid) {
                g_assert_true(biogate_token_verify_for(token, f->jwks, f->challenge, audience, NOW, NULL, &error));
                g_assert_no_error(error);
        } else {
                g_assert_false(biogate_token_verify_for(token, f->jwks, f->challenge, audience, NOW, NULL, &error));
                g_assert_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_AUDIENCE);
        }
}

/* RFC 7519 §4.1.3: a verifier that names itself accepts only a token whose
 * aud names it (a string or one element of an array), and none without
 * aud; one that does not name itself refuses a token that carries aud.
 * biogatectl applies the same rule with --audience. */
static void test_audience(Fixture *f, gconstpointer data) {
        g_autofree char *plain = sign_with_aud(f, NULL);
        g_autofree char *desk = sign_with_aud(f, json_node_init_string(json_node_alloc(), "payments-backend"));
        g_autofree char *other = sign_with_aud(f, json_node_init_string(json_node_alloc(), "payments-backend2"));
        g_autoptr(JsonArray) list = json_array_new();
        g_autofree char *listed = NULL, *dir = g_dir_make_tmp("biogate-aud-XXXXXX", NULL);
        g_autofree char *jwks = write_file(dir, "jwks.json", f->jwks, strlen(f->jwks));
        g_autofree char *now = g_strdup_printf("%" G_GINT64_FORMAT, NOW);
        g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL, *out3 = NULL, *err3 = NULL;
        g_autofree char *out4 = NULL, *err4 = NULL;

        json_array_add_string_element(list, "risk-engine");
        json_array_add_string_element(list, "payments-backend");
        listed = sign_with_aud(f, json_node_init_array(json_node_alloc(), list));

        assert_audience(f, plain, NULL, TRUE);
        assert_audience(f, plain, "payments-backend", FALSE);
        assert_audience(f, desk, "payments-backend", TRUE);
        assert_audience(f, desk, "payments", FALSE);
        assert_audience(f, desk, NULL, FALSE);
        assert_audience(f, other, "payments-backend", FALSE);
        assert_audience(f, listed, "payments-backend", TRUE);
        assert_audience(f, listed, "risk-engine", TRUE);
        assert_audience(f, listed, "backoffice", FALSE);
        assert_audience(f, listed, NULL, FALSE);

        g_assert_cmpint(run((const char *[]) { BIOGATECTL_PATH, "token", "verify", "--jwks", jwks, "--now", now,
                                               "--audience", "payments-backend", desk, NULL },
                            NULL, &out, &err), ==, 0);
        g_assert_cmpint(run((const char *[]) { BIOGATECTL_PATH, "--json", "token", "verify", "--jwks", jwks, "--now",
                                               now, desk, NULL },
                            NULL, &out2, &err2), ==, 1);
        g_assert_true(g_str_has_prefix(out2, "{\"valid\":false,\"check\":\"audience\","));
        g_assert_cmpint(run((const char *[]) { BIOGATECTL_PATH, "token", "verify", "--jwks", jwks, "--now", now,
                                               "--audience", "payments-backend", plain, NULL },
                            NULL, &out3, &err3), ==, 1);
        g_assert_nonnull(strstr(err3, "wrong audience"));
        /* Neither key source, or both: a usage error, never a default. */
        g_assert_cmpint(run((const char *[]) { BIOGATECTL_PATH, "token", "verify", "--jwks", jwks, "--local-keys",
                                               plain, NULL },
                            NULL, &out4, &err4), ==, 2);
        remove_tree(dir);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);

#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
        ADD("/token/rfc8037-vectors", test_rfc8037_vectors);
        ADD("/token/jwks", test_jwks);
        ADD("/token/sign-verify-round-trip", test_round_trip);
        ADD("/token/expiry", test_expiry);
        ADD("/token/nonce", test_nonce);
        ADD("/token/unknown-key", test_unknown_key);
        ADD("/token/tampered-tx", test_tampered_tx);
        ADD("/token/malformed", test_malformed);
        ADD("/token/sign-key-mismatch", test_sign_key_mismatch);
        ADD("/token/openssl-verifies", test_openssl);
        ADD("/token/biogatectl-token-verify", test_biogatectl);
        ADD("/token/once/ledger", test_ledger_once);
        ADD("/token/once/biogatectl", test_biogatectl_once);
        ADD("/token/require-touch", test_biogatectl_require_touch);
        ADD("/token/audience", test_audience);
#undef ADD

        return g_test_run();
}
