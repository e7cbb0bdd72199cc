/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

#include "biogated-audit.h"
#include "biogated-store.h"

/* Retention (biogate.conf retention_days=): templates not used for a
 * successful match within that many days (counted from enrolment when never
 * used) are erased. A user left without templates is erased completely:
 * key, record and all. */

typedef struct BiogatedExpiry {
        uid_t uid;
        guint fingers;          /* mask of the templates erased */
        gboolean user_erased;   /* nothing was left, so key and record went too */
        GError *error;          /* this user could not be swept; the others were */
} BiogatedExpiry;

/* One sweep at now (seconds since the epoch). Returns a BiogatedExpiry per
 * user with something expired or an error; empty for retention_days 0. */
GArray *biogated_retention_sweep(BiogatedStore *store, guint retention_days, gint64 now);

/* Logs each expiry with the user and the fingers. */
void biogated_retention_log(BiogatedAudit *audit, GArray *expiries, guint retention_days);

/* Sweeps once now, then once a day. Returns the timer's source id (0 for
 * retention_days 0). store must outlive the timer. */
guint biogated_retention_start(BiogatedStore *store, BiogatedAudit *audit, guint retention_days);
