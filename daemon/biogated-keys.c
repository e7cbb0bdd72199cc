/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-keys.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "biogated-error.h"
#include "biogated-storeio.h"

#define PRIVATE_DIR "private"
#define KEYS_DIR "keys"
#define CHECK_FILE "store.check"
#define CHECK_TEXT "biogate template store, sealed format 1"
#define WRAPPED_KEY_MAX 1024u

struct BiogatedKeys {
        BiogatedKey *master;
        BiogatedKeyOrigin origin;
        int private_fd;
        int keys_fd;
};

void biogated_keys_free(BiogatedKeys *keys) {
        if (!keys)
                return;
        biogated_key_free(keys->master);
        biogated_storeio_close(&keys->private_fd);
        biogated_storeio_close(&keys->keys_fd);
        g_free(keys);
}

/* 1 with *ret_key, 0 when the file does not exist, -1 with error. */
static int read_master_key(int dir_fd, const char *name, const char *label, BiogatedKey **ret_key, GError **error) {
        g_autoptr(GBytes) data = NULL;
        const guint8 *bytes;
        gsize size = 0;
        int r;

        r = biogated_storeio_read(dir_fd, name, BIOGATED_KEY_SIZE, &data);
        if (r == -ENOENT)
                return 0;
        if (r == -EMSGSIZE) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED,
                            "The master key %s is not exactly %u bytes", label, BIOGATED_KEY_SIZE);
                return -1;
        }
        if (r < 0) {
                g_propagate_error(error, biogated_storeio_error(r, "cannot read the master key", label));
                return -1;
        }
        bytes = g_bytes_get_data(data, &size);
        if (size != BIOGATED_KEY_SIZE) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED,
                            "The master key %s is not exactly %u bytes", label, BIOGATED_KEY_SIZE);
                return -1;
        }
        *ret_key = biogated_key_new_from_bytes(bytes, size);
        if (!*ret_key) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INTERNAL, "No locked memory for the master key");
                return -1;
        }
        return 1;
}

static gboolean load_master_key(BiogatedKeys *keys, const char *credentials_dir, GError **error) {
        g_autoptr(BiogatedKey) key = NULL;
        int r;

        if (credentials_dir && *credentials_dir) {
                _cleanup_fd_ int dir_fd = open(credentials_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                g_autofree char *label = g_build_filename(credentials_dir, BIOGATED_MASTER_KEY_CREDENTIAL, NULL);

                /* Falling back to (or creating) a key file here would seal
                 * under a key nobody meant. */
                if (dir_fd < 0) {
                        g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INTERNAL,
                                    "Cannot open the credentials directory %s: %s", credentials_dir, g_strerror(errno));
                        return FALSE;
                }
                /* Other credentials may be configured without this one. */
                r = read_master_key(dir_fd, BIOGATED_MASTER_KEY_CREDENTIAL, label, &keys->master, error);
                if (r < 0)
                        return FALSE;
                if (r > 0) {
                        keys->origin = BIOGATED_KEY_FROM_CREDENTIAL;
                        return TRUE;
                }
        }

        r = read_master_key(keys->private_fd, BIOGATED_MASTER_KEY_FILE, PRIVATE_DIR "/" BIOGATED_MASTER_KEY_FILE,
                            &keys->master, error);
        if (r < 0)
                return FALSE;
        if (r > 0) {
                keys->origin = BIOGATED_KEY_FROM_FILE;
                return TRUE;
        }

        key = biogated_key_new_random();
        if (!key) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INTERNAL, "No locked memory for the master key");
                return FALSE;
        }
        /* 0400: nothing ever rewrites it; replacing it would orphan every key. */
        r = biogated_storeio_write(keys->private_fd, BIOGATED_MASTER_KEY_FILE, biogated_key_get_bytes(key),
                                   BIOGATED_KEY_SIZE, 0400);
        if (r < 0) {
                g_propagate_error(error, biogated_storeio_error(r, "cannot write the master key",
                                                                PRIVATE_DIR "/" BIOGATED_MASTER_KEY_FILE));
                return FALSE;
        }
        keys->master = g_steal_pointer(&key);
        keys->origin = BIOGATED_KEY_CREATED;
        return TRUE;
}

BiogatedKeys *biogated_keys_open(int state_fd, const char *credentials_dir, GError **error) {
        g_autoptr(BiogatedKeys) keys = g_new0(BiogatedKeys, 1);

        keys->private_fd = keys->keys_fd = -1;
        keys->private_fd = biogated_storeio_open_dir(state_fd, PRIVATE_DIR, TRUE);
        if (keys->private_fd < 0) {
                g_propagate_error(error, biogated_storeio_error(keys->private_fd, "cannot open", PRIVATE_DIR));
                return NULL;
        }
        keys->keys_fd = biogated_storeio_open_dir(state_fd, KEYS_DIR, TRUE);
        if (keys->keys_fd < 0) {
                g_propagate_error(error, biogated_storeio_error(keys->keys_fd, "cannot open", KEYS_DIR));
                return NULL;
        }
        /* Our own leftovers only: other parts of the daemon keep files in
         * private/ too. */
        (void) biogated_storeio_remove_temp_files(keys->private_fd, BIOGATED_MASTER_KEY_FILE);
        (void) biogated_storeio_remove_temp_files(keys->private_fd, CHECK_FILE);
        (void) biogated_storeio_remove_temp_files(keys->keys_fd, "");
        if (!load_master_key(keys, credentials_dir, error))
                return NULL;
        return g_steal_pointer(&keys);
}

BiogatedKeyOrigin biogated_keys_get_origin(BiogatedKeys *keys) {
        return keys->origin;
}

BiogatedKey *biogated_keys_get_user_key(BiogatedKeys *keys, uid_t uid, gboolean create, GError **error) {
        g_autoptr(GBytes) wrapped = NULL;
        g_autoptr(BiogatedKey) key = NULL;
        g_autoptr(GError) local_error = NULL;
        char name[16];
        int r;

        g_snprintf(name, sizeof name, "%u", (unsigned) uid);
        r = biogated_storeio_read(keys->keys_fd, name, WRAPPED_KEY_MAX, &wrapped);
        if (r == -ENOENT && !create) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED,
                            "There is no data key for uid %u: the user was erased, or the key was lost",
                            (unsigned) uid);
                return NULL;
        }
        if (r == -ENOENT) {
                key = biogated_key_new_random();
                if (!key) {
                        g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INTERNAL, "No locked memory for a key");
                        return NULL;
                }
                wrapped = biogated_key_wrap(keys->master, uid, key, error);
                if (!wrapped)
                        return NULL;
                r = biogated_storeio_write(keys->keys_fd, name, g_bytes_get_data(wrapped, NULL),
                                           g_bytes_get_size(wrapped), 0600);
                if (r < 0) {
                        g_propagate_error(error, biogated_storeio_error(r, "cannot write the key of uid", name));
                        return NULL;
                }
                return g_steal_pointer(&key);
        }
        if (r < 0) {
                g_propagate_error(error, biogated_storeio_error(r, "cannot read the key of uid", name));
                return NULL;
        }
        key = biogated_key_unwrap(keys->master, uid, wrapped, &local_error);
        if (!key) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED, "The data key of uid %u: %s",
                            (unsigned) uid, local_error->message);
                return NULL;
        }
        return g_steal_pointer(&key);
}

gboolean biogated_keys_has_user_key(BiogatedKeys *keys, uid_t uid) {
        g_autoptr(GBytes) wrapped = NULL;
        char name[16];

        g_snprintf(name, sizeof name, "%u", (unsigned) uid);
        if (biogated_storeio_read(keys->keys_fd, name, WRAPPED_KEY_MAX, &wrapped) < 0)
                return FALSE;
        /* A shred that was cut short leaves zeros: no key either. */
        return biogated_seal_has_magic(g_bytes_get_data(wrapped, NULL), g_bytes_get_size(wrapped));
}

gboolean biogated_keys_destroy_user_key(BiogatedKeys *keys, uid_t uid, gboolean *ret_existed, GError **error) {
        char name[16];
        int r;

        g_snprintf(name, sizeof name, "%u", (unsigned) uid);
        r = biogated_storeio_shred(keys->keys_fd, name);
        if (r < 0 && r != -ENOENT) {
                g_propagate_error(error, biogated_storeio_error(r, "cannot destroy the key of uid", name));
                return FALSE;
        }
        if (ret_existed)
                *ret_existed = r == 0;
        return TRUE;
}

int biogated_keys_check_master(BiogatedKeys *keys, GError **error) {
        const BiogatedSealSlot slot = { .kind = BIOGATED_SEAL_CHECK };
        g_autoptr(GBytes) sealed = NULL, text = NULL;
        g_autoptr(GError) local_error = NULL;
        int r;

        r = biogated_storeio_read(keys->private_fd, CHECK_FILE, 4096, &sealed);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                g_propagate_error(error, biogated_storeio_error(r, "cannot read", PRIVATE_DIR "/" CHECK_FILE));
                return -1;
        }
        text = biogated_unseal(keys->master, &slot, sealed, NULL, NULL, &local_error);
        if (!text || g_bytes_get_size(text) != strlen(CHECK_TEXT) ||
            memcmp(g_bytes_get_data(text, NULL), CHECK_TEXT, strlen(CHECK_TEXT)) != 0) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED,
                            "The master key does not open " PRIVATE_DIR "/" CHECK_FILE
                            " (%s): the store was sealed under another master key",
                            local_error ? local_error->message : "unexpected content");
                return -1;
        }
        return 1;
}

gboolean biogated_keys_write_check(BiogatedKeys *keys, GError **error) {
        const BiogatedSealSlot slot = { .kind = BIOGATED_SEAL_CHECK };
        g_autoptr(GBytes) sealed = biogated_seal(keys->master, &slot, (const guint8 *) CHECK_TEXT, strlen(CHECK_TEXT),
                                                 error);
        int r;

        if (!sealed)
                return FALSE;
        r = biogated_storeio_write(keys->private_fd, CHECK_FILE, g_bytes_get_data(sealed, NULL),
                                   g_bytes_get_size(sealed), 0600);
        if (r < 0) {
                g_propagate_error(error, biogated_storeio_error(r, "cannot write", PRIVATE_DIR "/" CHECK_FILE));
                return FALSE;
        }
        return TRUE;
}
