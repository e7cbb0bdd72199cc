/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Step-up tokens: plain JWS (RFC 7515) with EdDSA (RFC 8037), so a backend
 * verifies them with any JOSE library or with openssl. Header and claims
 * are serialised with JCS: the same claims always give the same bytes,
 * which makes tokens reproducible in tests and audits.
 *
 * Verification trusts nothing before the signature: the header is only
 * read for alg and kid, and the claims only after the signature checks.
 * Digests and nonces are compared in constant time. */
#include "biogate-token.h"

#include <gio/gio.h>
#include <sodium.h>
#include <string.h>

#include "biogate-jcs.h"

#define TOKEN_ALG "EdDSA"
#define TOKEN_TYPE "biogate-stepup+jwt"
/* Ours are about 1 KiB; the limits keep a hostile token from making the
 * JSON parser (recursive) work on megabytes before the signature check. */
#define TOKEN_MAX_LENGTH (64 * 1024)
#define HEADER_MAX_LENGTH 1024
/* Clocks of the daemon's host and the verifier's may disagree a little. */
#define IAT_LEEWAY_S 60

G_STATIC_ASSERT(BIOGATE_ED25519_PUBLIC_SIZE == crypto_sign_PUBLICKEYBYTES);
G_STATIC_ASSERT(BIOGATE_ED25519_SECRET_SIZE == crypto_sign_SECRETKEYBYTES);

static char *sha256_base64url(const char *text) {
        g_autoptr(GChecksum) sha256 = g_checksum_new(G_CHECKSUM_SHA256);
        guint8 digest[32];
        gsize len = sizeof digest;

        g_checksum_update(sha256, (const guchar *) text, (gssize) strlen(text));
        g_checksum_get_digest(sha256, digest, &len);
        return biogate_base64url_encode(digest, len);
}

/* JCS of an object we built from valid UTF-8 strings cannot fail. */
static char *object_to_jcs(JsonObject *object) {
        g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), object);
        char *text = biogate_jcs_serialize(node, NULL);

        g_assert(text);
        return text;
}

static JsonObject *public_jwk_new(const guint8 public_key[BIOGATE_ED25519_PUBLIC_SIZE]) {
        JsonObject *jwk = json_object_new();
        g_autofree char *x = biogate_base64url_encode(public_key, BIOGATE_ED25519_PUBLIC_SIZE);

        json_object_set_string_member(jwk, "crv", "Ed25519");
        json_object_set_string_member(jwk, "kty", "OKP");
        json_object_set_string_member(jwk, "x", x);
        return jwk;
}

char *biogate_jwk_thumbprint(const guint8 public_key[BIOGATE_ED25519_PUBLIC_SIZE]) {
        /* RFC 7638 §3.2: only the required members, sorted, no whitespace,
         * which is exactly JCS of {crv, kty, x} (RFC 8037 §2). */
        g_autoptr(JsonObject) jwk = public_jwk_new(public_key);
        g_autofree char *text = object_to_jcs(jwk);

        return sha256_base64url(text);
}

char *biogate_jwks_new_set(const guint8 (*public_keys)[BIOGATE_ED25519_PUBLIC_SIZE], gsize n_keys) {
        g_autoptr(JsonObject) set = json_object_new();
        JsonArray *keys = json_array_new();

        g_return_val_if_fail(public_keys && n_keys > 0, NULL);

        for (gsize i = 0; i < n_keys; i++) {
                g_autoptr(JsonObject) jwk = public_jwk_new(public_keys[i]);
                g_autofree char *kid = biogate_jwk_thumbprint(public_keys[i]);

                json_object_set_string_member(jwk, "kid", kid);
                json_object_set_string_member(jwk, "use", "sig");
                json_object_set_string_member(jwk, "alg", TOKEN_ALG);
                json_array_add_object_element(keys, g_steal_pointer(&jwk));
        }
        json_object_set_array_member(set, "keys", keys);
        return object_to_jcs(set);
}

char *biogate_jwks_new(const guint8 public_key[BIOGATE_ED25519_PUBLIC_SIZE]) {
        return biogate_jwks_new_set((const guint8 (*)[BIOGATE_ED25519_PUBLIC_SIZE]) public_key, 1);
}

char *biogate_token_sign(const guint8 secret_key[BIOGATE_ED25519_SECRET_SIZE],
                         const guint8 public_key[BIOGATE_ED25519_PUBLIC_SIZE],
                         JsonObject *claims, GError **error) {
        g_autoptr(JsonObject) header = json_object_new();
        g_autoptr(JsonNode) claims_node = NULL;
        g_autofree char *kid = NULL, *header_text = NULL, *payload_text = NULL;
        g_autofree char *header_b64 = NULL, *payload_b64 = NULL, *input = NULL, *signature_b64 = NULL;
        guint8 derived[BIOGATE_ED25519_PUBLIC_SIZE], signature[crypto_sign_BYTES];

        g_return_val_if_fail(secret_key && public_key && claims, NULL);

        if (sodium_init() < 0) {
                g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED, "libsodium could not be initialised");
                return NULL;
        }

        /* A kid that names another key than the one signing would make
         * every token fail verification, long after the misconfiguration. */
        crypto_sign_ed25519_sk_to_pk(derived, secret_key);
        if (sodium_memcmp(derived, public_key, sizeof derived) != 0) {
                g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                    "The public key does not belong to the signing key");
                return NULL;
        }

        kid = biogate_jwk_thumbprint(public_key);
        json_object_set_string_member(header, "alg", TOKEN_ALG);
        json_object_set_string_member(header, "kid", kid);
        json_object_set_string_member(header, "typ", TOKEN_TYPE);
        header_text = object_to_jcs(header);

        claims_node = json_node_init_object(json_node_alloc(), claims);
        payload_text = biogate_jcs_serialize(claims_node, error);
        if (!payload_text) {
                g_prefix_error(error, "Claims: ");
                return NULL;
        }

        header_b64 = biogate_base64url_encode((const guint8 *) header_text, strlen(header_text));
        payload_b64 = biogate_base64url_encode((const guint8 *) payload_text, strlen(payload_text));
        input = g_strconcat(header_b64, ".", payload_b64, NULL);

        crypto_sign_detached(signature, NULL, (const guint8 *) input, strlen(input), secret_key);
        signature_b64 = biogate_base64url_encode(signature, sizeof signature);

        return g_strconcat(input, ".", signature_b64, NULL);
}

static const char *object_get_string(JsonObject *object, const char *name) {
        JsonNode *node = json_object_get_member(object, name);

        if (!node || !JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
                return NULL;
        return json_node_get_string(node);
}

static gboolean object_get_int(JsonObject *object, const char *name, gint64 *ret) {
        JsonNode *node = json_object_get_member(object, name);

        if (!node || !JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64)
                return FALSE;
        *ret = json_node_get_int(node);
        return TRUE;
}

static gboolean bytes_equal_ct(GBytes *a, GBytes *b) {
        gsize n = g_bytes_get_size(a);

        /* Lengths are public; contents are compared in constant time. */
        if (n != g_bytes_get_size(b))
                return FALSE;
        return n == 0 || sodium_memcmp(g_bytes_get_data(a, NULL), g_bytes_get_data(b, NULL), n) == 0;
}

/* One base64url part of the token, as a JSON object. */
static JsonObject *decode_part(const char *part, size_t len, const char *what, GError **error) {
        g_autofree char *text = g_strndup(part, len);
        g_autoptr(GBytes) bytes = NULL;
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(GError) local_error = NULL;
        const char *data;
        gsize size;
        JsonNode *root;

        bytes = biogate_base64url_decode(text, NULL);
        if (!bytes) {
                g_set_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_MALFORMED,
                            "The token's %s is not base64url", what);
                return NULL;
        }

        data = g_bytes_get_data(bytes, &size);
        /* g_utf8_validate_len() also refuses NUL bytes. */
        if (size == 0 || !g_utf8_validate_len(data, size, NULL)) {
                g_set_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_MALFORMED,
                            "The token's %s is empty or not UTF-8 text", what);
                return NULL;
        }
        if (!json_parser_load_from_data(parser, data, (gssize) size, &local_error)) {
                g_set_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_MALFORMED,
                            "The token's %s is not JSON: %s", what, local_error->message);
                return NULL;
        }
        root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
                g_set_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_MALFORMED,
                            "The token's %s is not a JSON object", what);
                return NULL;
        }
        return json_object_ref(json_node_get_object(root));
}

/* Our header has exactly alg, kid and typ. Refusing anything else also
 * refuses "crit" (RFC 7515 §4.1.11) and key-carrying parameters (jwk, jku,
 * x5u) that a careless verifier might trust. */
static gboolean check_header(JsonObject *header, const char **ret_kid, GError **error) {
        static const char *const allowed[] = { "alg", "kid", "typ" };
        g_autoptr(GList) members = json_object_get_members(header);
        const char *alg, *typ, *kid;

        alg = object_get_string(header, "alg");
        if (!alg || strcmp(alg, TOKEN_ALG) != 0) {
                g_set_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_MALFORMED,
                            "Unsupported algorithm \"%s\" (only %s)", alg ? alg : "", TOKEN_ALG);
                return FALSE;
        }
        typ = object_get_string(header, "typ");
        if (!typ || strcmp(typ, TOKEN_TYPE) != 0) {
                g_set_error_literal(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_MALFORMED,
                                    "The token is not of type " TOKEN_TYPE);
                return FALSE;
        }
        kid = object_get_string(header, "kid");
        if (!kid || kid[0] == '\0') {
                g_set_error_literal(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_MALFORMED,
                                    "The token's header has no key id (kid)");
                return FALSE;
        }

        for (GList *l = members; l; l = l->next) {
                gboolean known = FALSE;

                for (size_t i = 0; i < G_N_ELEMENTS(allowed); i++)
                        known = known || strcmp(allowed[i], l->data) == 0;
                if (!known) {
                        g_set_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_MALFORMED,
                                    "Unexpected header parameter \"%s\"", (const char *) l->data);
                        return FALSE;
                }
        }

        *ret_kid = kid;
        return TRUE;
}

/* The Ed25519 key named kid in the JWK set. A key with that kid that is
 * not an Ed25519 signing key is an error, not skipped. */
static gboolean find_key(const char *jwks_json, const char *kid, guint8 ret_key[BIOGATE_ED25519_PUBLIC_SIZE],
                         GError **error) {
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(GError) local_error = NULL;
        JsonNode *root, *keys_node;
        JsonArray *keys;

        if (!json_parser_load_from_data(parser, jwks_json, -1, &local_error)) {
                g_set_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_UNKNOWN_KEY,
                            "The JWK set is not JSON: %s", local_error->message);
                return FALSE;
        }
        root = json_parser_get_root(parser);
        keys_node = root && JSON_NODE_HOLDS_OBJECT(root) ? json_object_get_member(json_node_get_object(root), "keys")
                                                         : NULL;
        if (!keys_node || !JSON_NODE_HOLDS_ARRAY(keys_node)) {
                g_set_error_literal(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_UNKNOWN_KEY,
                                    "The JWK set has no \"keys\" array");
                return FALSE;
        }
        keys = json_node_get_array(keys_node);

        for (guint i = 0; i < json_array_get_length(keys); i++) {
                JsonNode *node = json_array_get_element(keys, i);
                g_autoptr(GBytes) x = NULL;
                JsonObject *jwk;
                const char *key_kid, *kty, *crv, *alg, *use, *x_text;

                if (!JSON_NODE_HOLDS_OBJECT(node))
                        continue;
                jwk = json_node_get_object(node);
                key_kid = object_get_string(jwk, "kid");
                if (!key_kid || strcmp(key_kid, kid) != 0)
                        continue;

                kty = object_get_string(jwk, "kty");
                crv = object_get_string(jwk, "crv");
                alg = object_get_string(jwk, "alg");
                use = object_get_string(jwk, "use");
                x_text = object_get_string(jwk, "x");
                if (x_text)
                        x = biogate_base64url_decode(x_text, NULL);
                if (g_strcmp0(kty, "OKP") != 0 || g_strcmp0(crv, "Ed25519") != 0 ||
                    (json_object_has_member(jwk, "alg") && g_strcmp0(alg, TOKEN_ALG) != 0) ||
                    (json_object_has_member(jwk, "use") && g_strcmp0(use, "sig") != 0) ||
                    !x || g_bytes_get_size(x) != BIOGATE_ED25519_PUBLIC_SIZE) {
                        g_set_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_UNKNOWN_KEY,
                                    "Key \"%s\" of the JWK set is not an Ed25519 signing key", kid);
                        return FALSE;
                }
                memcpy(ret_key, g_bytes_get_data(x, NULL), BIOGATE_ED25519_PUBLIC_SIZE);
                return TRUE;
        }

        g_set_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_UNKNOWN_KEY,
                    "No key \"%s\" in the JWK set", kid);
        return FALSE;
}

static gboolean check_nonce(JsonObject *claims, const BiogateTx *tx, GBytes *expected, GError **error) {
        const char *nonce_text = object_get_string(claims, "nonce");
        g_autoptr(GBytes) nonce = nonce_text ? biogate_base64url_decode(nonce_text, NULL) : NULL;

        if (!nonce || !bytes_equal_ct(nonce, expected)) {
                g_set_error_literal(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_NONCE,
                                    "The nonce does not match the expected challenge");
                return FALSE;
        }
        /* The daemon copies the challenge into both; a token where they
         * differ was not made by it. */
        if (tx->challenge && !bytes_equal_ct(tx->challenge, expected)) {
                g_set_error_literal(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_NONCE,
                                    "The transaction's challenge does not match the expected challenge");
                return FALSE;
        }
        return TRUE;
}

static gboolean check_digest(JsonObject *claims, const BiogateTx *tx, GError **error) {
        const char *claimed_text = object_get_string(claims, "tx_digest");
        g_autoptr(GBytes) claimed = NULL;
        guint8 digest[BIOGATE_DIGEST_SIZE];

        if (!claimed_text) {
                g_set_error_literal(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_MALFORMED,
                                    "The token has no tx_digest claim");
                return FALSE;
        }
        claimed = biogate_base64url_decode(claimed_text, NULL);
        biogate_tx_digest(tx, digest);
        if (!claimed || g_bytes_get_size(claimed) != sizeof digest ||
            sodium_memcmp(g_bytes_get_data(claimed, NULL), digest, sizeof digest) != 0) {
                g_set_error_literal(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_DIGEST,
                                    "The tx_digest claim does not match the transaction in the token");
                return FALSE;
        }
        return TRUE;
}

static gboolean string_node_is(JsonNode *node, const char *text) {
        return JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING &&
               g_str_equal(json_node_get_string(node), text);
}

/* RFC 7519 §4.1.3: aud is one string or an array of strings. */
static gboolean aud_names(JsonNode *aud, const char *audience) {
        JsonArray *array;

        if (!JSON_NODE_HOLDS_ARRAY(aud))
                return string_node_is(aud, audience);
        array = json_node_get_array(aud);
        for (guint i = 0; i < json_array_get_length(array); i++)
                if (string_node_is(json_array_get_element(array, i), audience))
                        return TRUE;
        return FALSE;
}

static gboolean check_audience(JsonObject *claims, const char *audience, GError **error) {
        JsonNode *aud = json_object_get_member(claims, "aud");

        if (!audience) {
                if (!aud)
                        return TRUE;
                g_set_error_literal(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_AUDIENCE,
                                    "The token is issued for an audience (aud); the verifier must name itself "
                                    "to accept it");
                return FALSE;
        }
        if (!aud) {
                g_set_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_AUDIENCE,
                            "The token has no aud claim; expected \"%s\"", audience);
                return FALSE;
        }
        if (!aud_names(aud, audience)) {
                g_set_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_AUDIENCE,
                            "The token is not issued for audience \"%s\"", audience);
                return FALSE;
        }
        return TRUE;
}

gboolean biogate_token_verify(const char *token, const char *jwks_json, GBytes *expected_challenge,
                              gint64 now, JsonObject **ret_claims, GError **error) {
        return biogate_token_verify_for(token, jwks_json, expected_challenge, NULL, now, ret_claims, error);
}

gboolean biogate_token_verify_for(const char *token, const char *jwks_json, GBytes *expected_challenge,
                                  const char *audience, gint64 now, JsonObject **ret_claims, GError **error) {
        g_autoptr(JsonObject) header = NULL, claims = NULL;
        g_autoptr(GBytes) signature = NULL;
        g_autoptr(BiogateTx) tx = NULL;
        g_autoptr(GError) tx_error = NULL;
        g_autofree char *signature_text = NULL;
        guint8 key[BIOGATE_ED25519_PUBLIC_SIZE];
        const char *dot1, *dot2, *kid;
        JsonNode *tx_node;
        gint64 exp, iat;

        g_return_val_if_fail(token && jwks_json, FALSE);
        g_return_val_if_fail(now >= 0, FALSE);

        if (sodium_init() < 0) {
                g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED, "libsodium could not be initialised");
                return FALSE;
        }

        if (strlen(token) > TOKEN_MAX_LENGTH) {
                g_set_error_literal(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_MALFORMED, "The token is too long");
                return FALSE;
        }
        dot1 = strchr(token, '.');
        dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
        if (!dot2 || strchr(dot2 + 1, '.')) {
                g_set_error_literal(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_MALFORMED,
                                    "The token does not have three parts (JWS compact serialisation)");
                return FALSE;
        }
        if ((size_t) (dot1 - token) > HEADER_MAX_LENGTH) {
                g_set_error_literal(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_MALFORMED,
                                    "The token's header is too long");
                return FALSE;
        }

        header = decode_part(token, (size_t) (dot1 - token), "header", error);
        if (!header)
                return FALSE;
        if (!check_header(header, &kid, error))
                return FALSE;
        if (!find_key(jwks_json, kid, key, error))
                return FALSE;

        signature_text = g_strdup(dot2 + 1);
        signature = biogate_base64url_decode(signature_text, NULL);
        if (!signature || g_bytes_get_size(signature) != crypto_sign_BYTES) {
                g_set_error_literal(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_MALFORMED,
                                    "The token's signature is not a base64url Ed25519 signature");
                return FALSE;
        }
        /* The signing input is header.payload exactly as received. */
        if (crypto_sign_verify_detached(g_bytes_get_data(signature, NULL), (const guint8 *) token,
                                        (unsigned long long) (dot2 - token), key) != 0) {
                g_set_error_literal(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_BAD_SIGNATURE,
                                    "The signature does not verify with the key named by the token");
                return FALSE;
        }

        claims = decode_part(dot1 + 1, (size_t) (dot2 - dot1 - 1), "payload", error);
        if (!claims)
                return FALSE;
        if (!object_get_int(claims, "exp", &exp) || !object_get_int(claims, "iat", &iat)) {
                g_set_error_literal(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_MALFORMED,
                                    "The token lacks integer exp and iat claims");
                return FALSE;
        }
        tx_node = json_object_get_member(claims, "tx");
        if (!tx_node) {
                g_set_error_literal(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_MALFORMED,
                                    "The token has no tx claim");
                return FALSE;
        }
        tx = biogate_tx_from_json(tx_node, &tx_error);
        if (!tx) {
                g_set_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_MALFORMED,
                            "The token's tx claim is not a valid transaction: %s", tx_error->message);
                return FALSE;
        }

        /* RFC 7519 §4.1.4: not accepted on or after exp. */
        if (now >= exp) {
                g_set_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_EXPIRED,
                            "The token expired at %" G_GINT64_FORMAT " (now %" G_GINT64_FORMAT ")", exp, now);
                return FALSE;
        }
        /* now >= 0, so iat - now cannot overflow. */
        if (iat > now && iat - now > IAT_LEEWAY_S) {
                g_set_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_NOT_YET_VALID,
                            "The token was issued %" G_GINT64_FORMAT " s in the future", iat - now);
                return FALSE;
        }
        if (!check_audience(claims, audience, error))
                return FALSE;
        if (expected_challenge && !check_nonce(claims, tx, expected_challenge, error))
                return FALSE;
        if (!check_digest(claims, tx, error))
                return FALSE;

        if (ret_claims)
                *ret_claims = g_steal_pointer(&claims);
        return TRUE;
}
