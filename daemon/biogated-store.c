/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "biogated-error.h"

#define PRINTS_DIR "prints"
#define TEMP_PREFIX ".#"

struct BiogatedStore {
        char *path;
        int state_fd;
};

static void close_fdp(int *fd) {
        if (*fd >= 0)
                (void) close(*fd);
}
#define _cleanup_fd_ __attribute__((cleanup(close_fdp)))

static GError *store_errno(int err, const char *what, const char *name) {
        return biogated_error_new(BIOGATE_ERROR_INTERNAL, "Template store: %s %s: %s", what, name, g_strerror(err));
}

/* A directory we own, not a symlink, nobody else may enter. */
static int open_private_dir(int parent_fd, const char *name, gboolean create, GError **error) {
        struct stat st;
        int fd;

        if (create && mkdirat(parent_fd, name, 0700) < 0 && errno != EEXIST) {
                g_propagate_error(error, store_errno(errno, "cannot create", name));
                return -1;
        }
        fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_NO_ENROLLED_PRINTS, "No prints stored");
                else
                        g_propagate_error(error, store_errno(errno, "cannot open directory", name));
                return -1;
        }
        if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 0077) != 0) {
                (void) close(fd);
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED,
                            "Template store: directory %s is not private to the daemon", name);
                return -1;
        }
        return fd;
}

static int open_user_dir(BiogatedStore *store, uid_t uid, gboolean create, GError **error) {
        _cleanup_fd_ int prints_fd = -1;
        char name[16];

        prints_fd = open_private_dir(store->state_fd, PRINTS_DIR, create, error);
        if (prints_fd < 0)
                return -1;
        g_snprintf(name, sizeof name, "%u", (unsigned) uid);
        return open_private_dir(prints_fd, name, create, error);
}

BiogatedStore *biogated_store_open(const char *state_dir, GError **error) {
        g_autoptr(BiogatedStore) store = g_new0(BiogatedStore, 1);
        _cleanup_fd_ int prints_fd = -1;

        store->state_fd = -1;
        store->path = g_strdup(state_dir);
        if (g_mkdir_with_parents(state_dir, 0700) < 0) {
                g_propagate_error(error, store_errno(errno, "cannot create", state_dir));
                return NULL;
        }
        store->state_fd = open_private_dir(AT_FDCWD, state_dir, FALSE, error);
        if (store->state_fd < 0)
                return NULL;
        prints_fd = open_private_dir(store->state_fd, PRINTS_DIR, TRUE, error);
        if (prints_fd < 0)
                return NULL;
        return g_steal_pointer(&store);
}

void biogated_store_free(BiogatedStore *store) {
        if (!store)
                return;
        if (store->state_fd >= 0)
                (void) close(store->state_fd);
        g_free(store->path);
        g_free(store);
}

static gboolean write_all(int fd, const guint8 *data, gsize size) {
        while (size > 0) {
                ssize_t n = write(fd, data, size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return FALSE;
                }
                data += n;
                size -= (gsize) n;
        }
        return TRUE;
}

gboolean biogated_store_write_print(BiogatedStore *store, uid_t uid, BiogateFinger finger,
                                    GBytes *data, GError **error) {
        const char *name = biogate_finger_to_name(finger);
        _cleanup_fd_ int dir_fd = -1, tmp_fd = -1;
        char tmp_name[64];
        gsize size;
        const guint8 *bytes = g_bytes_get_data(data, &size);
        int err;

        g_return_val_if_fail(name, FALSE);
        if (size == 0 || size > BIOGATED_STORE_MAX_PRINT_SIZE) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INTERNAL,
                            "Template store: refusing a print of %" G_GSIZE_FORMAT " bytes", size);
                return FALSE;
        }
        dir_fd = open_user_dir(store, uid, TRUE, error);
        if (dir_fd < 0)
                return FALSE;

        g_snprintf(tmp_name, sizeof tmp_name, TEMP_PREFIX "%s.%08x%08x", name, g_random_int(), g_random_int());
        tmp_fd = openat(dir_fd, tmp_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (tmp_fd < 0) {
                g_propagate_error(error, store_errno(errno, "cannot create", tmp_name));
                return FALSE;
        }
        if (!write_all(tmp_fd, bytes, size) || fsync(tmp_fd) < 0) {
                err = errno;
                goto fail;
        }
        if (close(tmp_fd) < 0) {
                tmp_fd = -1;
                err = errno;
                goto fail;
        }
        tmp_fd = -1;
        if (renameat(dir_fd, tmp_name, dir_fd, name) < 0) {
                err = errno;
                goto fail;
        }
        /* Without this the rename may not survive a power cut. */
        if (fsync(dir_fd) < 0) {
                g_propagate_error(error, store_errno(errno, "cannot sync directory for", name));
                return FALSE;
        }
        return TRUE;

fail:
        (void) unlinkat(dir_fd, tmp_name, 0);
        g_propagate_error(error, store_errno(err, "cannot write", name));
        return FALSE;
}

GBytes *biogated_store_read_print(BiogatedStore *store, uid_t uid, BiogateFinger finger, GError **error) {
        const char *name = biogate_finger_to_name(finger);
        _cleanup_fd_ int dir_fd = -1, fd = -1;
        g_autofree guint8 *buf = NULL;
        struct stat st;
        gsize done = 0;

        g_return_val_if_fail(name, NULL);
        dir_fd = open_user_dir(store, uid, FALSE, error);
        if (dir_fd < 0)
                return NULL;
        fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
                if (errno == ENOENT)
                        g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_NO_ENROLLED_PRINTS,
                                    "No print stored for %s", name);
                else if (errno == ELOOP)
                        g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED,
                                    "Stored print %s of uid %u is a symbolic link; not followed", name, (unsigned) uid);
                else
                        g_propagate_error(error, store_errno(errno, "cannot open", name));
                return NULL;
        }
        if (fstat(fd, &st) < 0) {
                g_propagate_error(error, store_errno(errno, "cannot stat", name));
                return NULL;
        }
        if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0077) != 0 ||
            st.st_size <= 0 || (guint64) st.st_size > BIOGATED_STORE_MAX_PRINT_SIZE) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED,
                            "Stored print %s of uid %u has a wrong type, owner, mode or size", name, (unsigned) uid);
                return NULL;
        }
        buf = g_malloc((gsize) st.st_size);
        while (done < (gsize) st.st_size) {
                ssize_t n = read(fd, buf + done, (gsize) st.st_size - done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        g_propagate_error(error, store_errno(errno, "cannot read", name));
                        return NULL;
                }
                if (n == 0)
                        break;
                done += (gsize) n;
        }
        if (done != (gsize) st.st_size) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED,
                            "Stored print %s of uid %u changed size while read", name, (unsigned) uid);
                return NULL;
        }
        return g_bytes_new_take(g_steal_pointer(&buf), done);
}

gboolean biogated_store_list_fingers(BiogatedStore *store, uid_t uid, guint *ret_mask, GError **error) {
        g_autoptr(GError) local_error = NULL;
        int dir_fd = open_user_dir(store, uid, FALSE, &local_error);
        DIR *dir;
        struct dirent *de;
        guint mask = 0;

        if (dir_fd < 0) {
                if (g_error_matches(local_error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_NO_ENROLLED_PRINTS)) {
                        *ret_mask = 0;
                        return TRUE;
                }
                g_propagate_error(error, g_steal_pointer(&local_error));
                return FALSE;
        }
        dir = fdopendir(dir_fd);
        if (!dir) {
                (void) close(dir_fd);
                g_propagate_error(error, store_errno(errno, "cannot list", "prints"));
                return FALSE;
        }
        /* Leftover temp files and anything else that is not a finger name
         * (or not a regular file) are not prints. */
        while ((de = readdir(dir))) {
                BiogateFinger f = biogate_finger_from_name(de->d_name);
                if (f != BIOGATE_FINGER_INVALID && de->d_type == DT_REG)
                        mask |= 1u << f;
        }
        closedir(dir);
        *ret_mask = mask;
        return TRUE;
}

gboolean biogated_store_delete_print(BiogatedStore *store, uid_t uid, BiogateFinger finger, GError **error) {
        const char *name = biogate_finger_to_name(finger);
        _cleanup_fd_ int dir_fd = -1;

        g_return_val_if_fail(name, FALSE);
        dir_fd = open_user_dir(store, uid, FALSE, error);
        if (dir_fd < 0)
                return FALSE;
        if (unlinkat(dir_fd, name, 0) < 0) {
                if (errno == ENOENT)
                        g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_NO_ENROLLED_PRINTS,
                                    "No print stored for %s", name);
                else
                        g_propagate_error(error, store_errno(errno, "cannot delete", name));
                return FALSE;
        }
        if (fsync(dir_fd) < 0) {
                g_propagate_error(error, store_errno(errno, "cannot sync directory for", name));
                return FALSE;
        }
        return TRUE;
}

GArray *biogated_store_list_uids(BiogatedStore *store, GError **error) {
        g_autoptr(GArray) uids = g_array_new(FALSE, FALSE, sizeof(guint32));
        int prints_fd = open_private_dir(store->state_fd, PRINTS_DIR, TRUE, error);
        DIR *dir;
        struct dirent *de;

        if (prints_fd < 0)
                return NULL;
        dir = fdopendir(prints_fd);
        if (!dir) {
                (void) close(prints_fd);
                g_propagate_error(error, store_errno(errno, "cannot list", PRINTS_DIR));
                return NULL;
        }
        while ((de = readdir(dir))) {
                guint64 v;
                guint32 uid;
                if (de->d_type != DT_DIR || !g_ascii_string_to_unsigned(de->d_name, 10, 0, G_MAXUINT32 - 1, &v, NULL))
                        continue;
                uid = (guint32) v;
                g_array_append_val(uids, uid);
        }
        closedir(dir);
        return g_steal_pointer(&uids);
}
