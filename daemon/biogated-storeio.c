/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-storeio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "biogated-error.h"

void biogated_storeio_close(int *fd) {
        if (*fd >= 0)
                (void) close(*fd);
}

static gboolean is_private(const struct stat *st) {
        return st->st_uid == geteuid() && (st->st_mode & 0077) == 0;
}

int biogated_storeio_open_dir(int parent_fd, const char *name, gboolean create) {
        struct stat st;
        int fd;

        if (create && mkdirat(parent_fd, name, 0700) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOTDIR) {
                /* O_DIRECTORY wins over O_NOFOLLOW: a symbolic link fails
                 * with ENOTDIR. Say what it is, as for files (ELOOP). */
                if (fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                        return -ELOOP;
                return -EPERM;
        }
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0) {
                int r = -errno;
                (void) close(fd);
                return r;
        }
        if (!is_private(&st)) {
                (void) close(fd);
                return -EPERM;
        }
        return fd;
}

static void secret_free(gpointer data) {
        GBytes *box = data; /* the size travels in a GBytes of its own */
        gsize size;
        gpointer buf = (gpointer) g_bytes_get_data(box, &size);

        sodium_memzero(buf, size);
        g_free(buf);
        g_bytes_unref(box);
}

GBytes *biogated_bytes_new_secret(guint8 *buf, gsize size) {
        /* g_bytes_new_static() only records pointer and size: it owns nothing. */
        GBytes *box = g_bytes_new_static(buf, size);

        return g_bytes_new_with_free_func(buf, size, secret_free, box);
}

int biogated_storeio_read(int dir_fd, const char *name, gsize max_size, GBytes **ret_data) {
        _cleanup_fd_ int fd = -1;
        guint8 *buf;
        struct stat st;
        gsize done = 0;

        /* O_NONBLOCK: a FIFO planted here must not hang the daemon. */
        fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || !is_private(&st))
                return -EPERM;
        if (st.st_size <= 0 || (guint64) st.st_size > max_size)
                return -EMSGSIZE;

        buf = g_malloc((gsize) st.st_size);
        while (done < (gsize) st.st_size) {
                ssize_t n = read(fd, buf + done, (gsize) st.st_size - done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int r = -errno;
                        sodium_memzero(buf, (gsize) st.st_size);
                        g_free(buf);
                        return r;
                }
                if (n == 0)
                        break;
                done += (gsize) n;
        }
        if (done != (gsize) st.st_size) {
                sodium_memzero(buf, (gsize) st.st_size);
                g_free(buf);
                return -EBADMSG;
        }
        *ret_data = biogated_bytes_new_secret(buf, done);
        return 0;
}

static int write_all(int fd, const guint8 *data, gsize size) {
        while (size > 0) {
                ssize_t n = write(fd, data, size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                data += n;
                size -= (gsize) n;
        }
        return 0;
}

int biogated_storeio_replace(int dir_fd, const char *name, const void *data, gsize size, mode_t mode) {
        g_autofree char *tmp = g_strdup_printf(BIOGATED_STOREIO_TEMP_PREFIX "%s.%08x%08x", name, g_random_int(),
                                               g_random_int());
        int fd, r;

        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, mode);
        if (fd < 0)
                return -errno;
        r = write_all(fd, data, size);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
                r = -errno;
        if (r < 0)
                (void) unlinkat(dir_fd, tmp, 0);
        return r;
}

int biogated_storeio_sync_dir(int dir_fd) {
        /* Without this a rename or unlink may not survive a power cut. */
        if (fsync(dir_fd) < 0)
                return -errno;
        return 0;
}

int biogated_storeio_write(int dir_fd, const char *name, const void *data, gsize size, mode_t mode) {
        int r = biogated_storeio_replace(dir_fd, name, data, size, mode);

        if (r < 0)
                return r;
        return biogated_storeio_sync_dir(dir_fd);
}

int biogated_storeio_remove(int dir_fd, const char *name) {
        if (unlinkat(dir_fd, name, 0) < 0)
                return -errno;
        return biogated_storeio_sync_dir(dir_fd);
}

int biogated_storeio_shred(int dir_fd, const char *name) {
        _cleanup_fd_ int fd = -1;
        static const guint8 zeros[4096];
        struct stat st;
        off_t left;

        fd = openat(dir_fd, name, O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISREG(st.st_mode)) {
                for (left = st.st_size; left > 0; left -= (off_t) MIN((gsize) left, sizeof zeros)) {
                        int r = write_all(fd, zeros, MIN((gsize) left, sizeof zeros));
                        if (r < 0)
                                return r;
                }
                if (fsync(fd) < 0)
                        return -errno;
        }
        return biogated_storeio_remove(dir_fd, name);
}

int biogated_storeio_remove_temp_files(int dir_fd, const char *prefix) {
        g_autofree char *start = g_strconcat(BIOGATED_STOREIO_TEMP_PREFIX, prefix, NULL);
        int copy, removed = 0;
        DIR *dir;
        struct dirent *de;

        copy = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
        if (copy < 0)
                return -errno;
        dir = fdopendir(copy);
        if (!dir) {
                int r = -errno;
                (void) close(copy);
                return r;
        }
        rewinddir(dir);
        while ((de = readdir(dir)))
                if (g_str_has_prefix(de->d_name, start) && unlinkat(dir_fd, de->d_name, 0) == 0)
                        removed++;
        closedir(dir);
        if (removed > 0 && fsync(dir_fd) < 0)
                return -errno;
        return removed;
}

GError *biogated_storeio_error(int r, const char *what, const char *name) {
        switch (-r) {
        case ENOENT:
                return biogated_error_new(BIOGATE_ERROR_NO_ENROLLED_PRINTS, "Template store: %s %s: not found", what,
                                          name);
        case EPERM:
        case ELOOP:
        case EMSGSIZE:
        case EBADMSG:
        case ENOTDIR:
                return biogated_error_new(BIOGATE_ERROR_STORE_CORRUPTED,
                                          "Template store: %s %s: %s", what, name,
                                          -r == ELOOP ? "a symbolic link; not followed"
                                          : -r == EMSGSIZE ? "empty or too big"
                                          : -r == EBADMSG ? "changed while it was read"
                                          : "not a private file or directory of the daemon");
        case ENOSPC:
        case EDQUOT:
                /* The administrator can act on this one: say so by name. */
                return biogated_error_new(BIOGATE_ERROR_STORE_FULL, "Template store: %s %s: %s", what, name,
                                          g_strerror(-r));
        default:
                return biogated_error_new(BIOGATE_ERROR_INTERNAL, "Template store: %s %s: %s", what, name,
                                          g_strerror(-r));
        }
}

/* ---- the same, with errors in G_FILE_ERROR ----
 *
 * For the daemon's other private files (audit, limits, signing key), whose
 * callers tell "missing" from "untrustworthy" by G_FILE_ERROR code. */

void biogated_storeio_set_file_error(GError **error, int r, const char *what, const char *name) {
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
                biogated_storeio_set_file_error(error, fd, "open the directory", name);
                return -1;
        }
        return fd;
}

GBytes *biogated_read_private_file(int dir_fd, const char *name, gsize max_size, GError **error) {
        GBytes *data = NULL;
        int r = biogated_storeio_read(dir_fd, name, max_size, &data);

        if (r < 0) {
                biogated_storeio_set_file_error(error, r, "read", name);
                return NULL;
        }
        return data;
}

gboolean biogated_write_file_atomic(int dir_fd, const char *name, const void *data, gsize size, mode_t mode,
                                    GError **error) {
        int r = biogated_storeio_write(dir_fd, name, data, size, mode);

        if (r < 0) {
                biogated_storeio_set_file_error(error, r, "write", name);
                return FALSE;
        }
        return TRUE;
}
