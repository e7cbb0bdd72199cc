/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

/* Private files of the daemon's state directory: opened relative to a
 * directory fd without following symlinks, owner and mode checked before use,
 * written atomically (temp file, fsync, rename, fsync of the directory).
 * Errors are G_FILE_ERROR. */

/* A directory owned by us with no group/other bits; created 0700 when
 * create is TRUE. Returns the fd or -1. */
int biogated_open_private_dir(int parent_fd, const char *name, gboolean create, GError **error);

/* A regular file owned by us, not writable by group/others, of at most
 * max_size bytes. */
GBytes *biogated_read_private_file(int dir_fd, const char *name, gsize max_size, GError **error);

/* Replaces name in dir_fd with data, created with mode. */
gboolean biogated_write_file_atomic(int dir_fd, const char *name, const void *data, gsize size, mode_t mode,
                                    GError **error);
