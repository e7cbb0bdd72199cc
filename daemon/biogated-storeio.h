/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

/* File access for the template store and its keys. Everything is opened
 * relative to a directory fd with O_NOFOLLOW | O_CLOEXEC, a file or
 * directory is trusted only when it is ours (owner = our euid, no group or
 * other bits) and of the right type and size, and every write is atomic
 * (temp file in the same directory, fsync, rename, fsync of the directory).
 *
 * Functions return a file descriptor or 0 on success and -errno on failure,
 * so that callers decide what a missing file means: -ENOENT missing, -EPERM
 * there but not private to us (owner, mode or type), -ELOOP a symbolic link,
 * -EMSGSIZE empty or too big, -EBADMSG changed while it was read. */

/* Temp files of interrupted writes start with this; never a valid name. */
#define BIOGATED_STOREIO_TEMP_PREFIX ".#"

void biogated_storeio_close(int *fd);
#define _cleanup_fd_ __attribute__((cleanup(biogated_storeio_close)))

/* A private directory, created with mode 0700 when create is TRUE. */
int biogated_storeio_open_dir(int parent_fd, const char *name, gboolean create);

/* A private regular file of 1..max_size bytes. The buffer is wiped when
 * the GBytes is freed: it may hold a key or a template. */
int biogated_storeio_read(int dir_fd, const char *name, gsize max_size, GBytes **ret_data);

/* Atomically replaces (or creates) name with data; the file gets mode. */
int biogated_storeio_write(int dir_fd, const char *name, const void *data, gsize size, mode_t mode);

/* The two halves of biogated_storeio_write(), for the writer
 * (biogated-writer.c), which syncs a directory once for several files:
 * the new content is on disk and renamed into place, but the rename is
 * durable only after biogated_storeio_sync_dir(). */
int biogated_storeio_replace(int dir_fd, const char *name, const void *data, gsize size, mode_t mode);
int biogated_storeio_sync_dir(int dir_fd);

/* Unlinks name and syncs the directory. */
int biogated_storeio_remove(int dir_fd, const char *name);

/* Overwrites a regular file with zeros in place and syncs it, then unlinks
 * it and syncs the directory. The overwrite is best effort against reading
 * the old blocks back from the disk; the unlink is what counts. */
int biogated_storeio_shred(int dir_fd, const char *name);

/* Removes leftover temp files of interrupted writes whose name starts with
 * BIOGATED_STOREIO_TEMP_PREFIX + prefix (prefix may be ""). Returns how
 * many, or -errno. Only while no write can be running (at start-up). */
int biogated_storeio_remove_temp_files(int dir_fd, const char *prefix);

/* A GError in BIOGATE_DBUS_ERROR for r (a -errno from above): StoreCorrupted
 * for a file that is there but untrustworthy, NoEnrolledPrints for -ENOENT,
 * Internal otherwise. The message says what was attempted on which file. */
GError *biogated_storeio_error(int r, const char *what, const char *name);

/* GBytes over a g_malloc()ed buffer that is wiped before it is freed. */
GBytes *biogated_bytes_new_secret(guint8 *buf, gsize size);

/* ---- the same, with errors in G_FILE_ERROR ----
 *
 * For the daemon's other private files (audit, limits, signing key). */

/* A directory owned by us with no group/other bits; created 0700 when
 * create is TRUE. Returns the fd or -1. */
int biogated_open_private_dir(int parent_fd, const char *name, gboolean create, GError **error);

/* A regular file owned by us, not writable by group/others, of at most
 * max_size bytes. */
GBytes *biogated_read_private_file(int dir_fd, const char *name, gsize max_size, GError **error);

/* Replaces name in dir_fd with data, created with mode. */
gboolean biogated_write_file_atomic(int dir_fd, const char *name, const void *data, gsize size, mode_t mode,
                                    GError **error);

/* A G_FILE_ERROR for r (a -errno from above): PERM for a file that is
 * there but untrustworthy. */
void biogated_storeio_set_file_error(GError **error, int r, const char *what, const char *name);
