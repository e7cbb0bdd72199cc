/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <fprint.h>
#include <gio/gio.h>

#include "biogated-audit.h"
#include "biogated-store.h"

/* FpPrint objects from and to the store. A stored print that cannot be
 * opened or parsed is skipped with a "store-file-rejected" audit event naming
 * user and finger (never its bytes), so one damaged file does not lock the
 * user out of the others. */

/* Prints of uid for the fingers in mask, as a new array of FpPrint*. Sets
 * StoreCorrupted when prints were asked for but none could be loaded. */
/* caller_uid: whose call needs them, for the audit event of a file
 * rejected on the way (0: biogated itself). */
GPtrArray *biogated_prints_load(BiogatedStore *store, BiogatedAudit *audit, uid_t uid, guint mask, uid_t caller_uid,
                                GError **error);

/* Every stored print of every user except except_uid (for the duplicate
 * check). Unreadable ones are skipped. */
GPtrArray *biogated_prints_load_others(BiogatedStore *store, BiogatedAudit *audit, uid_t except_uid,
                                       uid_t caller_uid);

/* The subset of prints usable on device (same driver and sensor). */
GPtrArray *biogated_prints_filter_compatible(GPtrArray *prints, FpDevice *device);

GBytes *biogated_print_serialize(FpPrint *print, GError **error);

/* The finger a print was enrolled as, from its metadata. */
BiogateFinger biogated_print_get_finger(FpPrint *print);

/* The uid recorded in a print's username slot ("uid:N"). */
gboolean biogated_print_get_uid(FpPrint *print, uid_t *ret_uid);
void biogated_print_set_owner(FpPrint *print, uid_t uid, BiogateFinger finger);

/* Seals the template files written before sealing existed (plain
 * fp_print_serialize() output), recording now as their enrolment time.
 * report is called for each one sealed (error NULL) or that could not be
 * (it stays as it is and is unusable). */
typedef void (*BiogatedPrintsReport)(uid_t uid, BiogateFinger finger, const GError *error, gpointer user_data);
void biogated_prints_seal_plain(BiogatedStore *store, gint64 now, BiogatedPrintsReport report, gpointer user_data);
