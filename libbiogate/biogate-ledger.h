/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(BIOGATE_INSIDE) && !defined(BIOGATE_COMPILATION)
#error "Only <biogate.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/**
 * BIOGATE_LEDGER_ERROR:
 *
 * The error domain of biogate_ledger_use()'s refusals; the codes are
 * #BiogateLedgerError. A ledger that cannot be used (not the caller's
 * regular file, writable by others, unreadable) fails in %G_IO_ERROR.
 */
#define BIOGATE_LEDGER_ERROR (biogate_ledger_error_quark())

/**
 * BiogateLedgerError:
 * @BIOGATE_LEDGER_ERROR_REPLAYED: the ledger has accepted this jti before:
 *   the token is a replay
 * @BIOGATE_LEDGER_ERROR_EXPIRED: the token's exp is not after the latest
 *   time the ledger was used at, so its entry may have been dropped already
 * @BIOGATE_LEDGER_ERROR_INVALID: the jti is not 1 to 128 base64url
 *   characters, or the file is not a ledger
 *
 * Why biogate_ledger_use() refused a token. The numbers are ABI.
 */
typedef enum {
        BIOGATE_LEDGER_ERROR_REPLAYED,
        BIOGATE_LEDGER_ERROR_EXPIRED,
        BIOGATE_LEDGER_ERROR_INVALID,
} BiogateLedgerError;

GQuark biogate_ledger_error_quark(void);

gboolean biogate_ledger_use(const char *path, const char *jti, gint64 exp, GError **error);

G_END_DECLS
