/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int biogated_open_private_dir(int parent_fd, const char *name, gboolean create, GError **error) {
        struct stat st;
        int fd;

        if (create && mkdirat(parent_fd, name, 0700) < 0 && errno != EEXIST) {
                g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "Cannot create %s: %s", name,
                            g_strerror(errno));
                return -1;
        }
        fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "Cannot open %s: %s", name,
                            g_strerror(errno));
                return -1;
        }
        if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 0077) != 0) {
                (void) close(fd);
                g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM, "Directory %s is not private to the daemon", name);
                return -1;
        }
        return fd;
}

GBytes *biogated_read_private_file(int dir_fd, const char *name, gsize max_size, GError **error) {
        g_autofree guint8 *buf = NULL;
        struct stat st;
        gsize done = 0;
        int fd;

        fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
                g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "Cannot open %s: %s", name,
                            g_strerror(errno));
                return NULL;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0022) != 0 ||
            (guint64) st.st_size > max_size) {
                (void) close(fd);
                g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM,
                            "%s is not a private regular file of at most %" G_GSIZE_FORMAT " bytes", name, max_size);
                return NULL;
        }
        buf = g_malloc((gsize) st.st_size + 1);
        while (done < (gsize) st.st_size) {
                ssize_t n = read(fd, buf + done, (gsize) st.st_size - done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                done += (gsize) n;
        }
        (void) close(fd);
        if (done != (gsize) st.st_size) {
                g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "Short read of %s", name);
                return NULL;
        }
        return g_bytes_new_take(g_steal_pointer(&buf), done);
}

gboolean biogated_write_file_atomic(int dir_fd, const char *name, const void *data, gsize size, mode_t mode,
                                    GError **error) {
        g_autofree char *tmp = g_strdup_printf(".#%s.%08x%08x", name, g_random_int(), g_random_int());
        const guint8 *p = data;
        gsize left = size;
        int fd, err = 0;

        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0) {
                g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "Cannot create %s: %s", tmp,
                            g_strerror(errno));
                return FALSE;
        }
        while (left > 0) {
                ssize_t n = write(fd, p, left);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        err = errno;
                        break;
                }
                p += n;
                left -= (gsize) n;
        }
        if (err == 0 && fsync(fd) < 0)
                err = errno;
        if (close(fd) < 0 && err == 0)
                err = errno;
        if (err == 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
                err = errno;
        if (err != 0) {
                (void) unlinkat(dir_fd, tmp, 0);
                g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "Cannot write %s: %s", name,
                            g_strerror(err));
                return FALSE;
        }
        /* Without this the rename may not survive a power cut. */
        if (fsync(dir_fd) < 0) {
                g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "Cannot sync the directory of %s: %s",
                            name, g_strerror(errno));
                return FALSE;
        }
        return TRUE;
}
