/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON from the input: RFC 8785 serialisation of whatever parses, and
 * transaction validation; a valid transaction is canonicalised, digested and
 * rendered (with no '?' but the final one), and its canonical form must
 * parse back to the same digest. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "biogate-jcs.h"
#include "biogate-tx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_tx(JsonNode *node) {
        g_autoptr(BiogateTx) tx = NULL;
        g_autoptr(BiogateTx) again = NULL;
        g_autoptr(JsonNode) reparsed = NULL;
        g_autofree char *canonical = NULL;
        g_autofree char *digest_string = NULL;
        g_autofree char *text = NULL;
        guint8 digest[BIOGATE_DIGEST_SIZE], digest_again[BIOGATE_DIGEST_SIZE];

        tx = biogate_tx_from_json(node, NULL);
        if (!tx)
                return;

        canonical = biogate_tx_canonical(tx);
        if (!canonical)
                abort();
        biogate_tx_digest(tx, digest);
        digest_string = biogate_tx_digest_string(tx);
        text = biogate_tx_render_text(tx);
        if (!digest_string || !text)
                abort();
        /* The only '?' is the daemon's own, at the end: no field can close
         * the sentence and start another (docs/design.md). */
        if (strchr(text, '?') != text + strlen(text) - 1)
                abort();

        /* The canonical form is a fixed point: it validates again and
         * gives the same digest. */
        reparsed = json_from_string(canonical, NULL);
        if (!reparsed)
                abort();
        again = biogate_tx_from_json(reparsed, NULL);
        if (!again)
                abort();
        biogate_tx_digest(again, digest_again);
        if (memcmp(digest, digest_again, sizeof digest) != 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        g_autoptr(JsonNode) node = NULL;
        g_autofree char *jcs = NULL;
        g_autofree char *text = NULL;
        g_autoptr(GError) error = NULL;

        /* json-glib reads a NUL-terminated string. */
        text = g_strndup((const char *) data, size);
        node = json_from_string(text, NULL);
        if (!node)
                return 0;

        jcs = biogate_jcs_serialize(node, &error);
        if (jcs) {
                /* JCS output is JSON again. */
                g_autoptr(JsonNode) back = json_from_string(jcs, NULL);
                if (!back)
                        abort();
        }

        check_tx(node);
        return 0;
}
