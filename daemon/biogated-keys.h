/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

#include "biogated-seal.h"

/* The key hierarchy of the template store:
 *
 *   master key (256 bit)  systemd credential "biogate.master-key"
 *                         ($CREDENTIALS_DIRECTORY, so LoadCredentialEncrypted=
 *                         can bind it to a TPM2), else <state>/private/master.key
 *                         (0400), generated on first start
 *     └ user key (256 bit, one per uid, random)
 *                         wrapped by the master key in <state>/keys/<uid>
 *         └ templates and the record of that user, sealed by the user key
 *
 * Destroying keys/<uid> makes every template and record of that user
 * undecryptable, wherever copies of them are. The master key stays in
 * locked memory while the daemon runs; user keys are unwrapped for one
 * operation at a time. */

#define BIOGATED_MASTER_KEY_CREDENTIAL "biogate.master-key"
#define BIOGATED_MASTER_KEY_FILE "master.key"

typedef enum BiogatedKeyOrigin {
        BIOGATED_KEY_FROM_CREDENTIAL,
        BIOGATED_KEY_FROM_FILE,
        BIOGATED_KEY_CREATED,     /* generated into private/master.key just now */
} BiogatedKeyOrigin;

typedef struct BiogatedKeys BiogatedKeys;

/* Loads the master key: from credentials_dir (may be NULL) when it holds
 * the credential (exactly 32 bytes, a private regular file), else from
 * private/master.key under state_fd, created when missing. Creates
 * private/ and keys/ (0700). Removes temp files of interrupted key writes. */
BiogatedKeys *biogated_keys_open(int state_fd, const char *credentials_dir, GError **error);
void biogated_keys_free(BiogatedKeys *keys);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BiogatedKeys, biogated_keys_free)

BiogatedKeyOrigin biogated_keys_get_origin(BiogatedKeys *keys);

/* The data key of uid, unwrapped. With create, a new one is generated and
 * stored when there is none; without, a missing key is StoreCorrupted (the
 * user was erased, or the key file lost). */
BiogatedKey *biogated_keys_get_user_key(BiogatedKeys *keys, uid_t uid, gboolean create, GError **error);

/* TRUE when uid has a wrapped key file (not a shredded or foreign one). */
gboolean biogated_keys_has_user_key(BiogatedKeys *keys, uid_t uid);

/* Shreds the wrapped key of uid (overwrite, fsync, unlink, fsync of the
 * directory): from then on nothing sealed for uid opens. ret_existed (may
 * be NULL) says whether there was one. */
gboolean biogated_keys_destroy_user_key(BiogatedKeys *keys, uid_t uid, gboolean *ret_existed, GError **error);

/* private/store.check, a known text sealed by the master key, tells a
 * store sealed with another master key (a replaced credential) apart from
 * damaged files. Returns 1 when it exists and opens, 0 when it does not
 * exist (the store was never sealed: migrate, then write it), -1 with
 * StoreCorrupted when it does not open. */
int biogated_keys_check_master(BiogatedKeys *keys, GError **error);
gboolean biogated_keys_write_check(BiogatedKeys *keys, GError **error);
