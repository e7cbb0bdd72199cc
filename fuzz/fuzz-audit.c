/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audit chain's record encoding: fields parsed from the input as
 * NAME=VALUE lines (journal export style), chained twice from chain(0); the
 * result must not depend on field order, and the hex form must round-trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "biogate-audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const guint8 key[BIOGATE_AUDIT_KEY_SIZE] = {
        0x62, 0x69, 0x6f, 0x67, 0x61, 0x74, 0x65, 0x2d, 0x66, 0x75, 0x7a, 0x7a, 0x2d, 0x61, 0x75, 0x64,
        0x69, 0x74, 0x2d, 0x6b, 0x65, 0x79, 0x2d, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        g_autofree char *text = NULL;
        g_auto(GStrv) lines = NULL;
        g_autoptr(GArray) fields = g_array_new(FALSE, FALSE, sizeof(BiogateAuditField));
        g_autoptr(GArray) reversed = g_array_new(FALSE, FALSE, sizeof(BiogateAuditField));
        g_autofree char *hex = NULL;
        guint8 zero[BIOGATE_AUDIT_CHAIN_SIZE] = { 0 };
        guint8 chain[BIOGATE_AUDIT_CHAIN_SIZE], chain2[BIOGATE_AUDIT_CHAIN_SIZE], back[BIOGATE_AUDIT_CHAIN_SIZE];
        gboolean dup = FALSE;

        /* Values may contain anything but NUL: stop at the first one. */
        text = g_strndup((const char *) data, size);
        lines = g_strsplit(text, "\n", -1);
        for (guint i = 0; lines[i]; i++) {
                char *eq = strchr(lines[i], '=');
                BiogateAuditField f;

                if (!eq)
                        continue;
                *eq = '\0';
                f.name = lines[i];
                f.value = eq + 1;
                g_array_append_val(fields, f);
        }
        for (guint i = fields->len; i > 0; i--)
                g_array_append_val(reversed, g_array_index(fields, BiogateAuditField, i - 1));
        for (guint i = 0; i < fields->len && !dup; i++)
                for (guint j = i + 1; j < fields->len && !dup; j++)
                        dup = strcmp(g_array_index(fields, BiogateAuditField, i).name,
                                     g_array_index(fields, BiogateAuditField, j).name) == 0;

        biogate_audit_chain_next(key, zero, (const BiogateAuditField *) fields->data, fields->len, chain);
        biogate_audit_chain_next(key, zero, (const BiogateAuditField *) reversed->data, reversed->len, chain2);
        /* Any order gives the same chain (duplicate names aside: their
         * relative order is not defined). */
        if (!dup && memcmp(chain, chain2, sizeof chain) != 0)
                abort();
        biogate_audit_chain_next(key, chain, (const BiogateAuditField *) fields->data, fields->len, chain2);

        hex = biogate_audit_chain_to_hex(chain2);
        if (!hex || strlen(hex) != 2 * BIOGATE_AUDIT_CHAIN_SIZE || !biogate_audit_chain_from_hex(hex, back) ||
            memcmp(back, chain2, sizeof back) != 0)
                abort();
        /* The parser for hex read from the journal gets the raw input too. */
        (void) biogate_audit_chain_from_hex(text, back);
        return 0;
}
