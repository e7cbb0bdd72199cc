/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-fileio.h"

#include <errno.h>

#include "biogated-storeio.h"

/* The same checked, atomic file access as the template store
 * (biogated-storeio.c), with errors in G_FILE_ERROR for the daemon's other
 * private files, whose callers tell "missing" from "untrustworthy". */

static void set_file_error(GError **error, int r, const char *what, const char *name) {
        int err = -r;
        GFileError code = g_file_error_from_errno(err);

        if (err == EPERM || err == ELOOP || err == EMSGSIZE || err == EBADMSG || err == ENOTDIR)
                code = G_FILE_ERROR_PERM;
        g_set_error(error, G_FILE_ERROR, code, "Cannot %s %s: %s", what, name,
                    code == G_FILE_ERROR_PERM ? "not a private file of the daemon, or of a wrong size"
                                              : g_strerror(err));
}

int biogated_open_private_dir(int parent_fd, const char *name, gboolean create, GError **error) {
        int fd = biogated_storeio_open_dir(parent_fd, name, create);

        if (fd < 0) {
                set_file_error(error, fd, "open the directory", name);
                return -1;
        }
        return fd;
}

GBytes *biogated_read_private_file(int dir_fd, const char *name, gsize max_size, GError **error) {
        GBytes *data = NULL;
        int r = biogated_storeio_read(dir_fd, name, max_size, &data);

        if (r < 0) {
                set_file_error(error, r, "read", name);
                return NULL;
        }
        return data;
}

gboolean biogated_write_file_atomic(int dir_fd, const char *name, const void *data, gsize size, mode_t mode,
                                    GError **error) {
        int r = biogated_storeio_write(dir_fd, name, data, size, mode);

        if (r < 0) {
                set_file_error(error, r, "write", name);
                return FALSE;
        }
        return TRUE;
}
