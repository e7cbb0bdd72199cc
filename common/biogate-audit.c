/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogate-audit.h"

#include <sodium.h>
#include <string.h>

static int compare_fields(gconstpointer a, gconstpointer b) {
        return strcmp(((const BiogateAuditField *) a)->name, ((const BiogateAuditField *) b)->name);
}

static void update_u32_be(crypto_auth_hmacsha256_state *state, gsize n) {
        guint8 be[4] = { (guint8) (n >> 24), (guint8) (n >> 16), (guint8) (n >> 8), (guint8) n };
        crypto_auth_hmacsha256_update(state, be, sizeof be);
}

void biogate_audit_chain_next(const guint8 key[BIOGATE_AUDIT_KEY_SIZE],
                              const guint8 previous[BIOGATE_AUDIT_CHAIN_SIZE],
                              const BiogateAuditField *fields, gsize n_fields,
                              guint8 ret_chain[BIOGATE_AUDIT_CHAIN_SIZE]) {
        g_autofree BiogateAuditField *sorted = g_memdup2(fields, n_fields * sizeof *fields);
        crypto_auth_hmacsha256_state state;

        /* Sorted, so that the journal's field order (which export formats
         * do not keep) does not matter. */
        if (n_fields > 0) /* sorted is NULL then, and qsort's base must not be */
                qsort(sorted, n_fields, sizeof *sorted, compare_fields);
        crypto_auth_hmacsha256_init(&state, key, BIOGATE_AUDIT_KEY_SIZE);
        crypto_auth_hmacsha256_update(&state, previous, BIOGATE_AUDIT_CHAIN_SIZE);
        for (gsize i = 0; i < n_fields; i++) {
                const char *name = sorted[i].name, *value = sorted[i].value ? sorted[i].value : "";

                if (!g_str_has_prefix(name, "BIOGATE_") || strcmp(name, "BIOGATE_CHAIN") == 0)
                        continue;
                update_u32_be(&state, strlen(name));
                crypto_auth_hmacsha256_update(&state, (const guint8 *) name, strlen(name));
                update_u32_be(&state, strlen(value));
                crypto_auth_hmacsha256_update(&state, (const guint8 *) value, strlen(value));
        }
        crypto_auth_hmacsha256_final(&state, ret_chain);
        sodium_memzero(&state, sizeof state);
}

char *biogate_audit_chain_to_hex(const guint8 chain[BIOGATE_AUDIT_CHAIN_SIZE]) {
        char *hex = g_malloc(BIOGATE_AUDIT_CHAIN_SIZE * 2 + 1);

        sodium_bin2hex(hex, BIOGATE_AUDIT_CHAIN_SIZE * 2 + 1, chain, BIOGATE_AUDIT_CHAIN_SIZE);
        return hex;
}

gboolean biogate_audit_chain_from_hex(const char *hex, guint8 ret_chain[BIOGATE_AUDIT_CHAIN_SIZE]) {
        size_t len = 0;
        const char *end = NULL;

        if (!hex || strlen(hex) != BIOGATE_AUDIT_CHAIN_SIZE * 2)
                return FALSE;
        for (const char *c = hex; *c; c++)
                if (!g_ascii_isxdigit(*c) || g_ascii_isupper(*c))
                        return FALSE;
        return sodium_hex2bin(ret_chain, BIOGATE_AUDIT_CHAIN_SIZE, hex, strlen(hex), NULL, &len, &end) == 0 &&
               len == BIOGATE_AUDIT_CHAIN_SIZE;
}
