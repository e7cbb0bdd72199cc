/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

#include "biogate-finger.h"
#include "biogated-keys.h"
#include "biogated-writer.h"

/* The template store. Under the state directory (0700):
 *
 *   prints/<uid>/<finger-name>   a sealed template (biogated-seal.h): the
 *                                serialized FpPrint, sealed by the user key
 *   prints/<uid>/record          the sealed user record (biogated-record.h)
 *   keys/<uid>                   the user key, wrapped by the master key
 *   private/                     master key file (unless a credential) and
 *                                store.check (biogated-keys.h)
 *
 * Callers deal in plaintext bytes; sealing happens underneath. Every file is
 * opened relative to a directory fd with O_NOFOLLOW, must be a regular file
 * owned by us with no group/other bits, and every write is atomic (temp
 * file, fsync, rename, fsync of the directory). Writes are serialized, so
 * the store may be used from worker threads.
 *
 * Errors are BIOGATE_DBUS_ERROR: StoreCorrupted for a file that is there but
 * unusable (edited, truncated, moved to another slot, not sealed, key gone),
 * NoEnrolledPrints for one that is missing, Internal otherwise. */

#define BIOGATED_STORE_MAX_PRINT_SIZE (4u * 1024u * 1024u)

typedef struct BiogatedStore BiogatedStore;

/* Opens the store, creating what is missing. The master key comes from the
 * systemd credential in $CREDENTIALS_DIRECTORY when there is one, else from
 * (or into) private/master.key. Temp files of interrupted writes are
 * removed: open the store before anything writes to it. Work that writes
 * goes to writer (biogated_store_run_in_thread()), which must outlive the
 * store; NULL only for a store that is read and written on the calling
 * thread alone (unit tests). */
BiogatedStore *biogated_store_open(const char *state_dir, BiogatedWriter *writer, GError **error);
void biogated_store_free(BiogatedStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BiogatedStore, biogated_store_free)

/* Runs func as g_task_run_in_thread() would, but on the daemon's writer
 * thread, in order with every other durable write (biogated-writer.h);
 * counted so that the daemon waits for all of it before the store goes
 * away at shutdown, and does not exit idle under it. Call it and let the
 * task complete on the daemon's (one) thread. */
void biogated_store_run_in_thread(BiogatedStore *store, GTask *task, GTaskThreadFunc func);
/* The writer the store was opened with. */
BiogatedWriter *biogated_store_get_writer(BiogatedStore *store);
/* Tasks of biogated_store_run_in_thread() not yet completed. */
guint biogated_store_pending_tasks(BiogatedStore *store);

BiogatedKeyOrigin biogated_store_get_key_origin(BiogatedStore *store);

/* ---- templates ---- */

/* driver and device_id name the sensor the print was made on; they are
 * bound to the sealed file and returned by biogated_store_read_print(). */
gboolean biogated_store_write_print(BiogatedStore *store, uid_t uid, BiogateFinger finger, const char *driver,
                                    const char *device_id, GBytes *data, GError **error);
/* The plaintext (wiped when freed); ret_driver, ret_device_id may be NULL. */
GBytes *biogated_store_read_print(BiogatedStore *store, uid_t uid, BiogateFinger finger, char **ret_driver,
                                  char **ret_device_id, GError **error);

/* Bit (1u << finger) set for each finger with a template file, usable or
 * not. A user with no directory has none. */
gboolean biogated_store_list_fingers(BiogatedStore *store, uid_t uid, guint *ret_mask, GError **error);

/* Missing files are NoEnrolledPrints. */
gboolean biogated_store_delete_print(BiogatedStore *store, uid_t uid, BiogateFinger finger, GError **error);

/* uids (guint32) that have a print directory. */
GArray *biogated_store_list_uids(BiogatedStore *store, GError **error);

/* ---- the user record ---- */

/* The record of uid; an empty one when there is none. */
GVariant *biogated_store_read_record(BiogatedStore *store, uid_t uid, GError **error);

/* Changes the record; return FALSE when nothing changed. */
typedef gboolean (*BiogatedRecordEdit)(GVariantDict *record, gpointer user_data);

/* Read, edit, seal and write back, under the store's write lock. Without
 * create, a user with no record is left alone (TRUE, edit not called); with
 * it, the record (and the user key) are created. */
gboolean biogated_store_edit_record(BiogatedStore *store, uid_t uid, gboolean create, BiogatedRecordEdit edit,
                                    gpointer user_data, GError **error);

/* The day (Unix s at 00:00 UTC) that the record holds as the last use of
 * uid's finger, as far as this store knows: noted after a record update
 * that set or found it, forgotten whenever a file of uid changes. Lets a
 * login skip the record update on every match after the first of a day.
 * Any thread. */
void biogated_store_note_use_day(BiogatedStore *store, uid_t uid, BiogateFinger finger, gint64 day);
gboolean biogated_store_has_use_day(BiogatedStore *store, uid_t uid, BiogateFinger finger, gint64 day);

/* ---- erasure ---- */

typedef struct BiogatedErasure {
        guint fingers;      /* mask of the template files removed */
        gboolean key;       /* a user key was destroyed */
        gboolean record;    /* the record was removed */
        guint files;        /* files removed in all, leftovers included */
} BiogatedErasure;

/* Crypto-erasure of uid: shreds the wrapped user key first (from that
 * moment nothing of uid opens, wherever copies are), then removes every
 * file of uid and the directory, syncing each step. Erasing a user with
 * nothing stored succeeds with an empty report. */
gboolean biogated_store_erase_user(BiogatedStore *store, uid_t uid, BiogatedErasure *ret_erasure, GError **error);

/* ---- start-up ---- */

/* See biogated_keys_check_master(): 1 sealed store whose check opens, 0 a
 * store never sealed (migrate it, then biogated_store_mark_sealed()), -1
 * with StoreCorrupted for another master key. */
int biogated_store_check_master_key(BiogatedStore *store, GError **error);
gboolean biogated_store_mark_sealed(BiogatedStore *store, GError **error);

/* The raw content of a template file that is not sealed (written before
 * sealing existed), for migration; NULL without an error when it is sealed. */
GBytes *biogated_store_read_unsealed_print(BiogatedStore *store, uid_t uid, BiogateFinger finger, GError **error);

/* Calls func for every entry of prints/ that stands where a user's
 * directory, a template or a record belongs but is not what belongs there
 * (a symbolic link, a FIFO, a directory...). The store never opens such an
 * entry (O_NOFOLLOW, type checks) and does not list it as enrolled; this is
 * for reporting it. name is NULL for prints/<uid> itself; what says what
 * the entry is. */
typedef void (*BiogatedStoreStrayFunc)(uid_t uid, const char *name, const char *what, gpointer user_data);
void biogated_store_find_strays(BiogatedStore *store, BiogatedStoreStrayFunc func, gpointer user_data);

/* Finishes erasures a crash interrupted: removes the files of every user
 * whose key is gone (they can never be opened again). Returns those uids. */
GArray *biogated_store_finish_erasures(BiogatedStore *store, GError **error);
