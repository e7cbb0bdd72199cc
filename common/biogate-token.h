/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Step-up tokens: JWS compact serialisation, alg EdDSA (Ed25519, libsodium),
 * typ "biogate-stepup+jwt", kid = RFC 7638 thumbprint of the public JWK.
 * Signing happens in the daemon only; verification is for biogatectl and
 * tests (any JOSE library verifies these tokens). */

#include <glib.h>
#include <json-glib/json-glib.h>

#include "biogate-tx.h"

#define BIOGATE_TOKEN_ERROR (biogate_token_error_quark())
GQuark biogate_token_error_quark(void);

typedef enum BiogateTokenError {
        BIOGATE_TOKEN_ERROR_MALFORMED,
        BIOGATE_TOKEN_ERROR_UNKNOWN_KEY,   /* kid not in the JWK set */
        BIOGATE_TOKEN_ERROR_BAD_SIGNATURE,
        BIOGATE_TOKEN_ERROR_EXPIRED,
        BIOGATE_TOKEN_ERROR_NOT_YET_VALID, /* iat in the future beyond leeway */
        BIOGATE_TOKEN_ERROR_NONCE,         /* nonce != expected challenge */
        BIOGATE_TOKEN_ERROR_DIGEST,        /* tx_digest does not match tx */
        BIOGATE_TOKEN_ERROR_REPLAYED,      /* the ledger has accepted this jti before */
        BIOGATE_TOKEN_ERROR_AUDIENCE,      /* aud is not the verifier's, or missing when one is expected */
} BiogateTokenError;

#define BIOGATE_ED25519_PUBLIC_SIZE 32
#define BIOGATE_ED25519_SECRET_SIZE 64

/* RFC 7638 thumbprint of {"crv":"Ed25519","kty":"OKP","x":...}, base64url. */
char *biogate_jwk_thumbprint(const guint8 public_key[BIOGATE_ED25519_PUBLIC_SIZE]);

/* {"keys":[{"kty":"OKP","crv":"Ed25519","x":...,"kid":...,"use":"sig","alg":"EdDSA"}]} */
char *biogate_jwks_new(const guint8 public_key[BIOGATE_ED25519_PUBLIC_SIZE]);
/* The same with n_keys keys, in this order (n_keys >= 1). */
char *biogate_jwks_new_set(const guint8 (*public_keys)[BIOGATE_ED25519_PUBLIC_SIZE], gsize n_keys);

/* header.payload.signature; claims is serialised with JCS so the payload is
 * deterministic. */
char *biogate_token_sign(const guint8 secret_key[BIOGATE_ED25519_SECRET_SIZE],
                         const guint8 public_key[BIOGATE_ED25519_PUBLIC_SIZE],
                         JsonObject *claims, GError **error);

/* Checks: three parts, header alg EdDSA + typ + kid present in jwks_json,
 * Ed25519 signature, exp > now (and iat <= now + 60 s), nonce equals the
 * expected challenge (base64url) when expected_challenge is not NULL, and
 * tx_digest equals the digest recomputed from the tx claim. On success the
 * claims (ref) go to ret_claims when not NULL. now: Unix seconds. */
gboolean biogate_token_verify(const char *token, const char *jwks_json, GBytes *expected_challenge,
                              gint64 now, JsonObject **ret_claims, GError **error);

/* The same, plus the audience rule (RFC 7519 §4.1.3): with @audience, the
 * token's aud (a string, or an array of strings) must name it, and a token
 * without aud is refused; without @audience, a token that carries aud is
 * refused, because a verifier that does not say who it is cannot be the
 * party the token was issued for. biogate_token_verify() is this with
 * @audience NULL. */
gboolean biogate_token_verify_for(const char *token, const char *jwks_json, GBytes *expected_challenge,
                                  const char *audience, gint64 now, JsonObject **ret_claims, GError **error);
