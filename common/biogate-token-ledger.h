/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A backend's ledger of the step-up tokens it has accepted. A token is valid
 * until it expires, so a backend that only checks the signature would take
 * the same token twice; the ledger remembers each accepted token's jti until
 * its exp and refuses it the second time. One ledger is one file, shared by
 * every process of a backend on one machine (they take a lock around the
 * check and the write). */

#include <glib.h>

/* Records @jti (a token's "jti" claim, base64url, at most 128 characters)
 * as used until @exp (its "exp" claim, Unix seconds) in the ledger at @path,
 * creating it (mode 0600) when it does not exist, and drops the entries
 * that expired before @now. Fails with BIOGATE_TOKEN_ERROR_REPLAYED when the
 * ledger already holds @jti; with BIOGATE_TOKEN_ERROR_EXPIRED when @exp is
 * not after the latest @now the ledger was used with (its clock never goes
 * back, so an entry it dropped cannot be replayed by a caller whose clock
 * is behind); and with a G_IO_ERROR when the ledger cannot be read or
 * written, when it (or its lock) is not a regular file owned by the running
 * user, when it or its directory is writable by others (the directory must
 * belong to that user or root), or when it is not a ledger: a ledger that
 * cannot be trusted accepts nothing. The new ledger is durable before this
 * returns TRUE. */
gboolean biogate_token_ledger_use(const char *path, const char *jti, gint64 exp, gint64 now, GError **error);
