/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

#include "biogate-finger.h"

/* The template store: one file per user and finger under
 * <state>/prints/<uid>/<finger-name>. It deals in opaque bytes (the
 * serialized FpPrint) so that sealing can be added underneath without
 * touching callers. Every file is opened relative to a directory fd with
 * O_NOFOLLOW, must be a regular file owned by us with no group/other bits,
 * and every write is atomic (temp file, fsync, rename, fsync directory).
 *
 * Errors are BIOGATE_DBUS_ERROR: StoreCorrupted for a file that is there but
 * unusable, NoEnrolledPrints for one that is missing, Internal otherwise. */

#define BIOGATED_STORE_MAX_PRINT_SIZE (4u * 1024u * 1024u)

typedef struct BiogatedStore BiogatedStore;

BiogatedStore *biogated_store_open(const char *state_dir, GError **error);
void biogated_store_free(BiogatedStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BiogatedStore, biogated_store_free)

gboolean biogated_store_write_print(BiogatedStore *store, uid_t uid, BiogateFinger finger,
                                    GBytes *data, GError **error);
GBytes *biogated_store_read_print(BiogatedStore *store, uid_t uid, BiogateFinger finger, GError **error);

/* Bit (1u << finger) set for each enrolled finger. A user with no directory
 * has none. */
gboolean biogated_store_list_fingers(BiogatedStore *store, uid_t uid, guint *ret_mask, GError **error);

/* Missing files are NoEnrolledPrints. */
gboolean biogated_store_delete_print(BiogatedStore *store, uid_t uid, BiogateFinger finger, GError **error);

/* uids (guint32) that have a print directory. */
GArray *biogated_store_list_uids(BiogatedStore *store, GError **error);
