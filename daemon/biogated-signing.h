/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "biogated-audit.h"
#include "biogated-writer.h"

/* The Ed25519 key that signs step-up tokens. From the systemd credential
 * biogate.signing-key (a 32-byte seed, so LoadCredentialEncrypted= can seal
 * it to the TPM), else generated once into <state>/private/signing.key
 * (0400). The public half is written to <state>/public/jwks.json for
 * distribution to backends. The secret lives in locked memory and is
 * wiped on free.
 *
 * Rotation (a key from the file only) makes a new key; the old public key
 * stays in the JWK set until every token it signed has expired (retired
 * at T, it goes at T + the longest token lifetime a policy may set + a
 * margin for verifiers' clocks), then it is dropped: at start-up, on a
 * timer, and whenever the set is asked for. The retired keys are kept in
 * <state>/private/signing-retired with the time of their retirement. */
typedef struct BiogatedSigningKey BiogatedSigningKey;

/* Retired keys published at once at most: a rotation beyond is refused. */
#define BIOGATED_SIGNING_MAX_RETIRED 16u

BiogatedSigningKey *biogated_signing_key_load(const char *state_dir, BiogatedWriter *writer, BiogatedAudit *audit,
                                              GError **error);
void biogated_signing_key_free(BiogatedSigningKey *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BiogatedSigningKey, biogated_signing_key_free)

/* The current key first, then the retired ones still published. Call
 * biogated_signing_key_retire_expired() before, to drop what expired. */
const char *biogated_signing_key_get_jwks(BiogatedSigningKey *key);
void biogated_signing_key_retire_expired(BiogatedSigningKey *key, gint64 now);
/* Until when a key retired at retired_at stays published (Unix seconds). */
gint64 biogated_signing_key_retired_until(gint64 retired_at);

/* error NULL: kid is the new key's; it signs from now on, and both writes
 * (the retired list, then the new key) are durable. */
typedef void (*BiogatedSigningKeyRotated)(const GError *error, const char *kid, gpointer user_data);
/* Refused with KeyManagedExternally for a key from the credential, with
 * DeviceBusy while another rotation runs, and with PolicyDenied when
 * BIOGATED_SIGNING_MAX_RETIRED retired keys are still published. Audited
 * (signing-key-rotated) once the new key is durable. */
void biogated_signing_key_rotate(BiogatedSigningKey *key, uid_t caller_uid, BiogatedSigningKeyRotated done,
                                 gpointer user_data);
char *biogated_signing_key_sign(BiogatedSigningKey *key, JsonObject *claims, GError **error);
