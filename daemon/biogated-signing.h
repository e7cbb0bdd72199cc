/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "biogated-audit.h"

/* The Ed25519 key that signs step-up tokens. From the systemd credential
 * biogate.signing-key (a 32-byte seed, so LoadCredentialEncrypted= can seal
 * it to the TPM), else generated once into <state>/private/signing.key
 * (0400). The public half is written to <state>/public/jwks.json for
 * distribution to backends. The secret lives in locked memory and is
 * wiped on free. */
typedef struct BiogatedSigningKey BiogatedSigningKey;

BiogatedSigningKey *biogated_signing_key_load(const char *state_dir, BiogatedAudit *audit, GError **error);
void biogated_signing_key_free(BiogatedSigningKey *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BiogatedSigningKey, biogated_signing_key_free)

const char *biogated_signing_key_get_jwks(BiogatedSigningKey *key);
char *biogated_signing_key_sign(BiogatedSigningKey *key, JsonObject *claims, GError **error);
