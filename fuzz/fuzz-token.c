/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Step-up token verification: the input as the token, against a fixed JWK
 * set (an Ed25519 key from a fixed seed) at a fixed time, once without and
 * once with an expected challenge. */
#include <stdint.h>
#include <stdlib.h>

#include <sodium.h>

#include "biogate-token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Seeds in fuzz/corpus/fuzz-token were signed with this key, at this time. */
#define FUZZ_TOKEN_SEED "biogate-fuzz-token-seed-32bytes!"
#define FUZZ_TOKEN_NOW G_GINT64_CONSTANT(1767225600) /* 2026-01-01T00:00:00Z */

static char *jwks;

static void free_jwks(void) {
        g_free(jwks);
}

static void verify(const char *token, GBytes *challenge) {
        g_autoptr(JsonObject) claims = NULL;
        g_autoptr(GError) error = NULL;

        if (biogate_token_verify(token, jwks, challenge, FUZZ_TOKEN_NOW, &claims, &error)) {
                if (!claims || error)
                        abort();
        } else if (!error || claims) {
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const guint8 challenge_bytes[16] = "fuzz-challenge!";
        g_autoptr(GBytes) challenge = g_bytes_new_static(challenge_bytes, sizeof challenge_bytes);
        g_autofree char *token = NULL;

        if (!jwks) {
                guint8 pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];

                G_STATIC_ASSERT(sizeof FUZZ_TOKEN_SEED - 1 == crypto_sign_SEEDBYTES);
                if (sodium_init() < 0)
                        abort();
                crypto_sign_seed_keypair(pk, sk, (const guint8 *) FUZZ_TOKEN_SEED);
                jwks = biogate_jwks_new(pk);
                if (!jwks)
                        abort();
                atexit(free_jwks);
        }

        token = g_strndup((const char *) data, size);
        verify(token, NULL);
        verify(token, challenge);
        return 0;
}
