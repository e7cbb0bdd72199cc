/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Opening a sealed store file: the input as the file's content, opened with
 * a fixed key in the slot of the kind its header claims (uid 1000, finger
 * right-index-finger for templates); a user-key blob is also unwrapped. */
#include <stdint.h>
#include <stdlib.h>

#include "biogated-seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Seeds in fuzz/corpus/fuzz-seal were sealed with this key. */
#define FUZZ_SEAL_KEY "biogate-fuzz-seal-key-32-bytes!!"
#define FUZZ_SEAL_UID 1000
#define FUZZ_SEAL_FINGER "right-index-finger"
#define KIND_OFFSET 9u /* after the magic and the version */

static BiogatedKey *key;

static void free_key(void) {
        biogated_key_free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        g_autoptr(GBytes) sealed = g_bytes_new(data, size);
        g_autoptr(GBytes) plain = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *driver = NULL;
        g_autofree char *device_id = NULL;
        BiogatedSealSlot slot = { .kind = BIOGATED_SEAL_TEMPLATE, .uid = FUZZ_SEAL_UID };

        if (!key) {
                G_STATIC_ASSERT(sizeof FUZZ_SEAL_KEY - 1 == BIOGATED_KEY_SIZE);
                key = biogated_key_new_from_bytes((const guint8 *) FUZZ_SEAL_KEY, BIOGATED_KEY_SIZE);
                if (!key)
                        abort();
                atexit(free_key);
        }

        (void) biogated_seal_has_magic(data, size);
        if (size > KIND_OFFSET)
                slot.kind = (BiogatedSealKind) data[KIND_OFFSET];
        if (slot.kind == BIOGATED_SEAL_TEMPLATE)
                slot.finger = FUZZ_SEAL_FINGER;

        plain = biogated_unseal(key, &slot, sealed, &driver, &device_id, &error);
        if (!plain != !!error)
                abort();

        if (slot.kind == BIOGATED_SEAL_USER_KEY) {
                g_autoptr(BiogatedKey) user_key = NULL;
                g_autoptr(GError) unwrap_error = NULL;

                user_key = biogated_key_unwrap(key, FUZZ_SEAL_UID, sealed, &unwrap_error);
                if (!user_key != !!unwrap_error)
                        abort();
        }
        return 0;
}
