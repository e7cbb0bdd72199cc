/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

/* The sealed file format of the template store (format version 1):
 *
 *   magic    8 bytes  "BIOGATE\x1a"
 *   version  1 byte   1
 *   kind     1 byte   BiogatedSealKind
 *   dlen     1 byte   length of driver (0..255)
 *   ilen     1 byte   length of device id (0..255)
 *   driver   dlen bytes, device id ilen bytes (templates; in the clear)
 *   nonce    24 bytes (random per seal)
 *   box      XChaCha20-Poly1305 (IETF) ciphertext of the plaintext + 16-byte tag
 *
 * The associated data is everything before the nonce followed by the slot
 * the blob belongs to: uid (4 bytes, little-endian) and finger name (1 length
 * byte + bytes). The uid and finger are not stored: they come from where
 * the file is found, so a file copied to another user's or finger's slot,
 * edited, truncated or sealed under another key fails to open. The sensor
 * (driver, device id) is stored and authenticated.
 *
 * Keys are 256 bits, kept in memory from sodium_malloc() (locked, guarded,
 * wiped on free) and never logged. */

#define BIOGATED_KEY_SIZE 32u

typedef enum BiogatedSealKind {
        BIOGATED_SEAL_USER_KEY = 1, /* a per-user data key, sealed by the master key */
        BIOGATED_SEAL_TEMPLATE = 2, /* fp_print_serialize() output, sealed by the user key */
        BIOGATED_SEAL_RECORD = 3,   /* the per-user record (consent, dates), sealed by the user key */
        BIOGATED_SEAL_CHECK = 4,    /* a known text sealed by the master key, to detect a wrong key */
} BiogatedSealKind;

typedef struct BiogatedSealSlot {
        BiogatedSealKind kind;
        uid_t uid;
        const char *finger;     /* templates: the finger name; NULL otherwise */
        const char *driver;     /* templates, when sealing: the sensor's driver; NULL otherwise */
        const char *device_id;  /* templates, when sealing: the sensor's device id */
} BiogatedSealSlot;

typedef struct BiogatedKey BiogatedKey;

/* A new random key, or NULL when no locked memory is left. */
BiogatedKey *biogated_key_new_random(void);
/* A copy of exactly BIOGATED_KEY_SIZE bytes; NULL for any other size. */
BiogatedKey *biogated_key_new_from_bytes(const guint8 *bytes, gsize size);
void biogated_key_free(BiogatedKey *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BiogatedKey, biogated_key_free)
/* The raw bytes, BIOGATED_KEY_SIZE of them, for writing a key file. */
const guint8 *biogated_key_get_bytes(const BiogatedKey *key);

/* TRUE when data starts like a sealed blob (any version). */
gboolean biogated_seal_has_magic(const guint8 *data, gsize size);

/* Seals plaintext for slot. NULL only for a slot the format cannot hold (a
 * driver or device id over 255 bytes). */
GBytes *biogated_seal(const BiogatedKey *key, const BiogatedSealSlot *slot, const guint8 *plaintext, gsize size,
                      GError **error);

/* Opens a blob found in slot (slot->driver and device_id are ignored). The
 * plaintext is wiped when freed. ret_driver and ret_device_id (may be NULL)
 * get the authenticated sensor identity. StoreCorrupted when anything does
 * not match. */
GBytes *biogated_unseal(const BiogatedKey *key, const BiogatedSealSlot *slot, GBytes *sealed,
                        char **ret_driver, char **ret_device_id, GError **error);

/* A per-user data key sealed by the master key, and back. */
GBytes *biogated_key_wrap(const BiogatedKey *master, uid_t uid, const BiogatedKey *key, GError **error);
BiogatedKey *biogated_key_unwrap(const BiogatedKey *master, uid_t uid, GBytes *wrapped, GError **error);
