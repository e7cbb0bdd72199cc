/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-seal.h"

#include <sodium.h>
#include <string.h>

#include "biogated-error.h"
#include "biogated-storeio.h"

#define MAGIC "BIOGATE\x1a"
#define MAGIC_SIZE 8u
#define FORMAT_VERSION 1u
#define FIXED_HEADER_SIZE (MAGIC_SIZE + 4u)
#define NONCE_SIZE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_SIZE crypto_aead_xchacha20poly1305_ietf_ABYTES

G_STATIC_ASSERT(BIOGATED_KEY_SIZE == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

struct BiogatedKey {
        guint8 bytes[BIOGATED_KEY_SIZE];
};

static BiogatedKey *key_alloc(void) {
        /* Locked (never swapped), guard pages around it, wiped on free. */
        if (sodium_init() < 0)
                return NULL;
        return sodium_malloc(sizeof(BiogatedKey));
}

BiogatedKey *biogated_key_new_random(void) {
        BiogatedKey *key = key_alloc();

        if (key)
                randombytes_buf(key->bytes, sizeof key->bytes);
        return key;
}

BiogatedKey *biogated_key_new_from_bytes(const guint8 *bytes, gsize size) {
        BiogatedKey *key;

        if (size != BIOGATED_KEY_SIZE)
                return NULL;
        key = key_alloc();
        if (key)
                memcpy(key->bytes, bytes, size);
        return key;
}

void biogated_key_free(BiogatedKey *key) {
        if (key)
                sodium_free(key);
}

const guint8 *biogated_key_get_bytes(const BiogatedKey *key) {
        return key->bytes;
}

gboolean biogated_seal_has_magic(const guint8 *data, gsize size) {
        return size >= MAGIC_SIZE && memcmp(data, MAGIC, MAGIC_SIZE) == 0;
}

static const char *kind_name(BiogatedSealKind kind) {
        switch (kind) {
        case BIOGATED_SEAL_USER_KEY:
                return "user key";
        case BIOGATED_SEAL_TEMPLATE:
                return "template";
        case BIOGATED_SEAL_RECORD:
                return "record";
        case BIOGATED_SEAL_CHECK:
                return "master key check";
        }
        return "blob";
}

/* Header bytes + uid + finger: what the tag authenticates besides the
 * ciphertext. */
static GByteArray *aad_new(const guint8 *header, gsize header_size, const BiogatedSealSlot *slot) {
        GByteArray *aad = g_byte_array_sized_new((guint) header_size + 32);
        const char *finger = slot->finger ? slot->finger : "";
        guint8 uid_le[4] = {
                (guint8) (slot->uid & 0xff), (guint8) ((slot->uid >> 8) & 0xff),
                (guint8) ((slot->uid >> 16) & 0xff), (guint8) ((slot->uid >> 24) & 0xff),
        };
        guint8 finger_len = (guint8) MIN(strlen(finger), 255u);

        g_byte_array_append(aad, header, (guint) header_size);
        g_byte_array_append(aad, uid_le, sizeof uid_le);
        g_byte_array_append(aad, &finger_len, 1);
        g_byte_array_append(aad, (const guint8 *) finger, finger_len);
        return aad;
}

GBytes *biogated_seal(const BiogatedKey *key, const BiogatedSealSlot *slot, const guint8 *plaintext, gsize size,
                      GError **error) {
        const char *driver = slot->driver ? slot->driver : "", *device_id = slot->device_id ? slot->device_id : "";
        gsize dlen = strlen(driver), ilen = strlen(device_id), header_size, total;
        g_autoptr(GByteArray) aad = NULL;
        unsigned long long clen = 0;
        guint8 *out;

        if (dlen > 255 || ilen > 255 || (slot->finger && strlen(slot->finger) > 255)) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INTERNAL,
                            "Cannot seal: a driver, device id or finger name longer than 255 bytes");
                return NULL;
        }
        header_size = FIXED_HEADER_SIZE + dlen + ilen;
        total = header_size + NONCE_SIZE + size + TAG_SIZE;
        out = g_malloc(total);
        memcpy(out, MAGIC, MAGIC_SIZE);
        out[MAGIC_SIZE] = FORMAT_VERSION;
        out[MAGIC_SIZE + 1] = (guint8) slot->kind;
        out[MAGIC_SIZE + 2] = (guint8) dlen;
        out[MAGIC_SIZE + 3] = (guint8) ilen;
        memcpy(out + FIXED_HEADER_SIZE, driver, dlen);
        memcpy(out + FIXED_HEADER_SIZE + dlen, device_id, ilen);
        /* 192-bit random nonces: no counter to keep, no realistic collision. */
        randombytes_buf(out + header_size, NONCE_SIZE);

        aad = aad_new(out, header_size, slot);
        crypto_aead_xchacha20poly1305_ietf_encrypt(out + header_size + NONCE_SIZE, &clen, plaintext, size,
                                                   aad->data, aad->len, NULL, out + header_size, key->bytes);
        g_assert(clen == size + TAG_SIZE);
        return g_bytes_new_take(out, total);
}

/* Checks the header and finds the parts. ret_*: pointers into data. */
static gboolean parse(const BiogatedSealSlot *slot, const guint8 *data, gsize size, gsize *ret_header_size,
                      char **ret_driver, char **ret_device_id, GError **error) {
        gsize dlen, ilen, header_size;

        if (!biogated_seal_has_magic(data, size) || size < FIXED_HEADER_SIZE) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED,
                            "not a sealed %s", kind_name(slot->kind));
                return FALSE;
        }
        if (data[MAGIC_SIZE] != FORMAT_VERSION) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED,
                            "sealed with format version %u, this daemon reads version %u", data[MAGIC_SIZE],
                            FORMAT_VERSION);
                return FALSE;
        }
        if (data[MAGIC_SIZE + 1] != (guint8) slot->kind) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED,
                            "not a sealed %s", kind_name(slot->kind));
                return FALSE;
        }
        dlen = data[MAGIC_SIZE + 2];
        ilen = data[MAGIC_SIZE + 3];
        header_size = FIXED_HEADER_SIZE + dlen + ilen;
        if (size < header_size + NONCE_SIZE + TAG_SIZE) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED, "truncated");
                return FALSE;
        }
        *ret_header_size = header_size;
        *ret_driver = g_strndup((const char *) data + FIXED_HEADER_SIZE, dlen);
        *ret_device_id = g_strndup((const char *) data + FIXED_HEADER_SIZE + dlen, ilen);
        return TRUE;
}

/* Decrypts into out, which has room for exactly the plaintext size. */
static gboolean open_into(const BiogatedKey *key, const BiogatedSealSlot *slot, const guint8 *data, gsize size,
                          gsize header_size, guint8 *out, GError **error) {
        g_autoptr(GByteArray) aad = aad_new(data, header_size, slot);
        const guint8 *nonce = data + header_size, *box = nonce + NONCE_SIZE;
        gsize box_size = size - header_size - NONCE_SIZE;

        if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, box, box_size, aad->data, aad->len, nonce,
                                                       key->bytes) != 0) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED,
                            "the sealed %s does not open: edited, truncated, moved from another user's or "
                            "finger's slot, or sealed under another key", kind_name(slot->kind));
                return FALSE;
        }
        return TRUE;
}

GBytes *biogated_unseal(const BiogatedKey *key, const BiogatedSealSlot *slot, GBytes *sealed,
                        char **ret_driver, char **ret_device_id, GError **error) {
        g_autofree char *driver = NULL, *device_id = NULL;
        gsize size, header_size = 0, plain_size;
        const guint8 *data = g_bytes_get_data(sealed, &size);
        guint8 *out;

        if (!parse(slot, data, size, &header_size, &driver, &device_id, error))
                return NULL;
        plain_size = size - header_size - NONCE_SIZE - TAG_SIZE;
        out = g_malloc(MAX(plain_size, 1u));
        if (!open_into(key, slot, data, size, header_size, out, error)) {
                sodium_memzero(out, MAX(plain_size, 1u));
                g_free(out);
                return NULL;
        }
        if (ret_driver)
                *ret_driver = g_steal_pointer(&driver);
        if (ret_device_id)
                *ret_device_id = g_steal_pointer(&device_id);
        return biogated_bytes_new_secret(out, plain_size);
}

GBytes *biogated_key_wrap(const BiogatedKey *master, uid_t uid, const BiogatedKey *key, GError **error) {
        const BiogatedSealSlot slot = { .kind = BIOGATED_SEAL_USER_KEY, .uid = uid };

        return biogated_seal(master, &slot, key->bytes, sizeof key->bytes, error);
}

BiogatedKey *biogated_key_unwrap(const BiogatedKey *master, uid_t uid, GBytes *wrapped, GError **error) {
        const BiogatedSealSlot slot = { .kind = BIOGATED_SEAL_USER_KEY, .uid = uid };
        g_autofree char *driver = NULL, *device_id = NULL;
        g_autoptr(BiogatedKey) key = NULL;
        gsize size, header_size = 0;
        const guint8 *data = g_bytes_get_data(wrapped, &size);

        if (!parse(&slot, data, size, &header_size, &driver, &device_id, error))
                return NULL;
        if (size - header_size - NONCE_SIZE - TAG_SIZE != BIOGATED_KEY_SIZE) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED, "a user key of the wrong size");
                return NULL;
        }
        key = key_alloc();
        if (!key) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INTERNAL, "No locked memory for a key");
                return NULL;
        }
        /* Straight into locked memory: the user key never sits elsewhere. */
        if (!open_into(master, &slot, data, size, header_size, key->bytes, error))
                return NULL;
        return g_steal_pointer(&key);
}
