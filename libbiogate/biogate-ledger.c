/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One-time use of step-up tokens for backends in C, Python (through the
 * typelib) and other languages: the ledger of biogatectl's `token verify
 * --once-db`, the same file format and locking, so a backend may mix both. */
#include "biogate-private.h"

#include "biogate-token-ledger.h"
#include "biogate-token.h"

G_DEFINE_QUARK(biogate-ledger-error-quark, biogate_ledger_error)

/**
 * biogate_ledger_use:
 * @path: the ledger file; its directory must belong to the caller or root
 *   and not be writable by others
 * @jti: the token's "jti" claim
 * @exp: the token's "exp" claim (seconds since the epoch)
 * @error: return location for a #GError, or %NULL
 *
 * Records that a backend accepted the token @jti, until @exp, in the ledger
 * at @path (created with mode 0600 if missing), and drops the entries that
 * expired. Call it after the token's signature and claims checked out
 * (see docs/tokens.md and examples/), so a forged token neither fills the
 * ledger nor uses up a genuine jti. Processes of one backend may share a
 * ledger: a lock covers the check and the write, and the new ledger is on
 * disk (fsync, rename) before this returns %TRUE.
 *
 * Returns: %TRUE the first time a jti is used; %FALSE with
 *   %BIOGATE_LEDGER_ERROR_REPLAYED for a token accepted before, another
 *   #BiogateLedgerError, or a %G_IO_ERROR when the ledger cannot be trusted
 *   or written: refuse the token in every case
 */
gboolean biogate_ledger_use(const char *path, const char *jti, gint64 exp, GError **error) {
        g_autoptr(GError) local_error = NULL;
        BiogateLedgerError code;

        g_return_val_if_fail(path && jti, FALSE);
        g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

        if (biogate_token_ledger_use(path, jti, exp, g_get_real_time() / G_USEC_PER_SEC, &local_error))
                return TRUE;
        if (local_error->domain != BIOGATE_TOKEN_ERROR) {
                g_propagate_error(error, g_steal_pointer(&local_error));
                return FALSE;
        }
        /* The token domain is internal; its ledger codes get a public one. */
        switch (local_error->code) {
        case BIOGATE_TOKEN_ERROR_REPLAYED:
                code = BIOGATE_LEDGER_ERROR_REPLAYED;
                break;
        case BIOGATE_TOKEN_ERROR_EXPIRED:
                code = BIOGATE_LEDGER_ERROR_EXPIRED;
                break;
        default:
                code = BIOGATE_LEDGER_ERROR_INVALID;
                break;
        }
        g_set_error_literal(error, BIOGATE_LEDGER_ERROR, (gint) code, local_error->message);
        return FALSE;
}
