/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The token error domain on its own, so that libbiogate builds the ledger
 * (biogate-token-ledger.c) without biogate-token.c, which would bring
 * libsodium into every client of the library. */
#include "biogate-token.h"

G_DEFINE_QUARK(biogate-token-error-quark, biogate_token_error)
