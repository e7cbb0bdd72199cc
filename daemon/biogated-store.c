/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "biogated-error.h"
#include "biogated-record.h"
#include "biogated-seal.h"
#include "biogated-storeio.h"

#define PRINTS_DIR "prints"
#define RECORD_FILE "record"
/* Room for the seal's header, nonce and tag on top of the plaintext. */
#define SEAL_OVERHEAD 1024u

struct BiogatedStore {
        int state_fd;
        int prints_fd;
        BiogatedKeys *keys;
        BiogatedWriter *writer;
        GMutex lock; /* serializes every write */
        guint pending_tasks; /* main thread only */
        /* Last-use days known to be in the records (uid << 8 | finger →
         * day); its own lock, never held across I/O, so that the main
         * thread never waits for a write. */
        GMutex use_lock;
        GHashTable *use_days;
};

static void on_task_completed(GObject *task, GParamSpec *pspec, gpointer user_data) {
        BiogatedStore *store = user_data;

        store->pending_tasks--;
}

typedef struct TaskJob {
        GTask *task;
        GTaskThreadFunc func;
} TaskJob;

static void task_job_free(gpointer data) {
        TaskJob *job = data;

        g_object_unref(job->task);
        g_free(job);
}

static gboolean run_task(gpointer data, GError **error) {
        TaskJob *job = data;

        /* The task completes in its own context, with what func returned. */
        job->func(job->task, g_task_get_source_object(job->task), g_task_get_task_data(job->task),
                  g_task_get_cancellable(job->task));
        return TRUE;
}

void biogated_store_run_in_thread(BiogatedStore *store, GTask *task, GTaskThreadFunc func) {
        TaskJob *job = g_new0(TaskJob, 1);

        store->pending_tasks++;
        g_signal_connect(task, "notify::completed", G_CALLBACK(on_task_completed), store);
        *job = (TaskJob) { .task = g_object_ref(task), .func = func };
        biogated_writer_run(store->writer, run_task, job, task_job_free, NULL, NULL);
}

BiogatedWriter *biogated_store_get_writer(BiogatedStore *store) {
        return store->writer;
}

guint biogated_store_pending_tasks(BiogatedStore *store) {
        return store->pending_tasks;
}

static gint64 use_key(uid_t uid, BiogateFinger finger) {
        return ((gint64) uid << 8) | (gint64) finger;
}

void biogated_store_note_use_day(BiogatedStore *store, uid_t uid, BiogateFinger finger, gint64 day) {
        g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&store->use_lock);

        g_hash_table_insert(store->use_days, g_memdup2(&(gint64) { use_key(uid, finger) }, sizeof(gint64)),
                            g_memdup2(&day, sizeof day));
}

gboolean biogated_store_has_use_day(BiogatedStore *store, uid_t uid, BiogateFinger finger, gint64 day) {
        g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&store->use_lock);
        gint64 key = use_key(uid, finger);
        const gint64 *known = g_hash_table_lookup(store->use_days, &key);

        return known && *known == day;
}

static gboolean key_of_uid(gpointer key, gpointer value, gpointer user_data) {
        return (*(const gint64 *) key >> 8) == *(const gint64 *) user_data;
}

/* Called by every write of uid's files, before it changes them. */
static void forget_use_days(BiogatedStore *store, uid_t uid) {
        g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&store->use_lock);
        gint64 u = (gint64) uid;

        g_hash_table_foreach_remove(store->use_days, key_of_uid, &u);
}

static void uid_name(uid_t uid, char name[static 16]) {
        g_snprintf(name, 16, "%u", (unsigned) uid);
}

/* fd of prints/<uid>, or -errno. */
static int open_user_dir(BiogatedStore *store, uid_t uid, gboolean create) {
        char name[16];

        uid_name(uid, name);
        return biogated_storeio_open_dir(store->prints_fd, name, create);
}

static GError *no_prints_error(void) {
        return biogated_error_new(BIOGATE_ERROR_NO_ENROLLED_PRINTS, "No prints stored");
}

/* A DIR* over a copy of dir_fd, so that closedir() leaves dir_fd open. */
static DIR *opendir_copy(int dir_fd) {
        int copy = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
        DIR *dir;

        if (copy < 0)
                return NULL;
        dir = fdopendir(copy);
        if (!dir) {
                (void) close(copy);
                return NULL;
        }
        rewinddir(dir);
        return dir;
}

static void remove_user_temp_files(BiogatedStore *store) {
        g_autoptr(GArray) uids = biogated_store_list_uids(store, NULL);

        for (guint i = 0; uids && i < uids->len; i++) {
                _cleanup_fd_ int dir_fd = open_user_dir(store, g_array_index(uids, guint32, i), FALSE);

                if (dir_fd >= 0)
                        (void) biogated_storeio_remove_temp_files(dir_fd, "");
        }
}

BiogatedStore *biogated_store_open(const char *state_dir, BiogatedWriter *writer, GError **error) {
        g_autoptr(BiogatedStore) store = g_new0(BiogatedStore, 1);

        store->state_fd = store->prints_fd = -1;
        store->writer = writer;
        g_mutex_init(&store->lock);
        g_mutex_init(&store->use_lock);
        store->use_days = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
        if (sodium_init() < 0) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INTERNAL, "libsodium cannot be initialized");
                return NULL;
        }
        if (g_mkdir_with_parents(state_dir, 0700) < 0) {
                g_propagate_error(error, biogated_storeio_error(-errno, "cannot create", state_dir));
                return NULL;
        }
        store->state_fd = biogated_storeio_open_dir(AT_FDCWD, state_dir, FALSE);
        if (store->state_fd < 0) {
                g_propagate_error(error, biogated_storeio_error(store->state_fd, "cannot open", state_dir));
                return NULL;
        }
        store->prints_fd = biogated_storeio_open_dir(store->state_fd, PRINTS_DIR, TRUE);
        if (store->prints_fd < 0) {
                g_propagate_error(error, biogated_storeio_error(store->prints_fd, "cannot open", PRINTS_DIR));
                return NULL;
        }
        /* The systemd credential interface: set by LoadCredential=. */
        store->keys = biogated_keys_open(store->state_fd, g_getenv("CREDENTIALS_DIRECTORY"), error);
        if (!store->keys)
                return NULL;
        remove_user_temp_files(store);
        return g_steal_pointer(&store);
}

void biogated_store_free(BiogatedStore *store) {
        if (!store)
                return;
        biogated_keys_free(store->keys);
        biogated_storeio_close(&store->prints_fd);
        biogated_storeio_close(&store->state_fd);
        g_mutex_clear(&store->lock);
        g_mutex_clear(&store->use_lock);
        g_hash_table_unref(store->use_days);
        g_free(store);
}

BiogatedKeyOrigin biogated_store_get_key_origin(BiogatedStore *store) {
        return biogated_keys_get_origin(store->keys);
}

/* ---- templates ---- */

gboolean biogated_store_write_print(BiogatedStore *store, uid_t uid, BiogateFinger finger, const char *driver,
                                    const char *device_id, GBytes *data, GError **error) {
        const char *name = biogate_finger_to_name(finger);
        const BiogatedSealSlot slot = { .kind = BIOGATED_SEAL_TEMPLATE, .uid = uid, .finger = name,
                                        .driver = driver, .device_id = device_id };
        g_autoptr(GMutexLocker) locker = NULL;
        g_autoptr(BiogatedKey) key = NULL;
        g_autoptr(GBytes) sealed = NULL;
        _cleanup_fd_ int dir_fd = -1;
        gsize size = g_bytes_get_size(data);
        int r;

        g_return_val_if_fail(name, FALSE);
        if (size == 0 || size > BIOGATED_STORE_MAX_PRINT_SIZE) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INTERNAL,
                            "Template store: refusing a print of %" G_GSIZE_FORMAT " bytes", size);
                return FALSE;
        }
        locker = g_mutex_locker_new(&store->lock);
        forget_use_days(store, uid);
        key = biogated_keys_get_user_key(store->keys, uid, TRUE, error);
        if (!key)
                return FALSE;
        sealed = biogated_seal(key, &slot, g_bytes_get_data(data, NULL), size, error);
        if (!sealed)
                return FALSE;
        dir_fd = open_user_dir(store, uid, TRUE);
        if (dir_fd < 0) {
                g_propagate_error(error, biogated_storeio_error(dir_fd, "cannot open the directory of", name));
                return FALSE;
        }
        r = biogated_storeio_write(dir_fd, name, g_bytes_get_data(sealed, NULL), g_bytes_get_size(sealed), 0600);
        if (r < 0) {
                g_propagate_error(error, biogated_storeio_error(r, "cannot write", name));
                return FALSE;
        }
        return TRUE;
}

/* The sealed bytes of a template file, or NULL. */
static GBytes *read_print_file(BiogatedStore *store, uid_t uid, const char *name, GError **error) {
        g_autofree char *label = g_strdup_printf("%s of uid %u", name, (unsigned) uid);
        _cleanup_fd_ int dir_fd = open_user_dir(store, uid, FALSE);
        GBytes *data = NULL;
        int r;

        if (dir_fd == -ENOENT) {
                g_propagate_error(error, no_prints_error());
                return NULL;
        }
        if (dir_fd < 0) {
                g_propagate_error(error, biogated_storeio_error(dir_fd, "cannot open the directory of", label));
                return NULL;
        }
        r = biogated_storeio_read(dir_fd, name, BIOGATED_STORE_MAX_PRINT_SIZE + SEAL_OVERHEAD, &data);
        if (r == -ENOENT) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_NO_ENROLLED_PRINTS, "No print stored for %s",
                            name);
                return NULL;
        }
        if (r < 0) {
                g_propagate_error(error, biogated_storeio_error(r, "stored print", label));
                return NULL;
        }
        return data;
}

GBytes *biogated_store_read_print(BiogatedStore *store, uid_t uid, BiogateFinger finger, char **ret_driver,
                                  char **ret_device_id, GError **error) {
        const char *name = biogate_finger_to_name(finger);
        const BiogatedSealSlot slot = { .kind = BIOGATED_SEAL_TEMPLATE, .uid = uid, .finger = name };
        g_autoptr(GBytes) sealed = NULL, plain = NULL;
        g_autoptr(BiogatedKey) key = NULL;
        g_autoptr(GError) local_error = NULL;

        g_return_val_if_fail(name, NULL);
        sealed = read_print_file(store, uid, name, error);
        if (!sealed)
                return NULL;
        /* Plain files are sealed once, at the first start after an upgrade;
         * one that turns up later was put there by hand. */
        if (!biogated_seal_has_magic(g_bytes_get_data(sealed, NULL), g_bytes_get_size(sealed))) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED,
                            "Stored print %s of uid %u is not sealed", name, (unsigned) uid);
                return NULL;
        }
        key = biogated_keys_get_user_key(store->keys, uid, FALSE, &local_error);
        if (key)
                plain = biogated_unseal(key, &slot, sealed, ret_driver, ret_device_id, &local_error);
        if (!plain) {
                g_set_error(error, BIOGATE_DBUS_ERROR, local_error->code, "Stored print %s of uid %u: %s", name,
                            (unsigned) uid, local_error->message);
                return NULL;
        }
        return g_steal_pointer(&plain);
}

/* The entry's type without following links; file systems that do not
 * report it in readdir (DT_UNKNOWN) are asked with fstatat. */
static gboolean entry_is(DIR *dir, const struct dirent *de, mode_t type) {
        struct stat st;

        if (de->d_type != DT_UNKNOWN)
                return (type == S_IFREG && de->d_type == DT_REG) || (type == S_IFDIR && de->d_type == DT_DIR);
        if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return FALSE;
        return (st.st_mode & S_IFMT) == type;
}

gboolean biogated_store_list_fingers(BiogatedStore *store, uid_t uid, guint *ret_mask, GError **error) {
        _cleanup_fd_ int dir_fd = open_user_dir(store, uid, FALSE);
        DIR *dir;
        struct dirent *de;
        guint mask = 0;

        if (dir_fd == -ENOENT) {
                *ret_mask = 0;
                return TRUE;
        }
        if (dir_fd < 0) {
                g_propagate_error(error, biogated_storeio_error(dir_fd, "cannot open", "the prints of a user"));
                return FALSE;
        }
        dir = opendir_copy(dir_fd);
        if (!dir) {
                g_propagate_error(error, biogated_storeio_error(-errno, "cannot list", "prints"));
                return FALSE;
        }
        /* Leftover temp files, the record and anything else that is not a
         * finger name (or not a regular file) are not prints. */
        while ((de = readdir(dir))) {
                BiogateFinger f = biogate_finger_from_name(de->d_name);
                if (f != BIOGATE_FINGER_INVALID && entry_is(dir, de, S_IFREG))
                        mask |= 1u << f;
        }
        closedir(dir);
        *ret_mask = mask;
        return TRUE;
}

gboolean biogated_store_delete_print(BiogatedStore *store, uid_t uid, BiogateFinger finger, GError **error) {
        const char *name = biogate_finger_to_name(finger);
        g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&store->lock);
        _cleanup_fd_ int dir_fd = -1;
        int r;

        g_return_val_if_fail(name, FALSE);
        forget_use_days(store, uid);
        dir_fd = open_user_dir(store, uid, FALSE);
        if (dir_fd == -ENOENT) {
                g_propagate_error(error, no_prints_error());
                return FALSE;
        }
        if (dir_fd < 0) {
                g_propagate_error(error, biogated_storeio_error(dir_fd, "cannot open the directory of", name));
                return FALSE;
        }
        r = biogated_storeio_remove(dir_fd, name);
        if (r == -ENOENT) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_NO_ENROLLED_PRINTS, "No print stored for %s",
                            name);
                return FALSE;
        }
        if (r < 0) {
                g_propagate_error(error, biogated_storeio_error(r, "cannot delete", name));
                return FALSE;
        }
        return TRUE;
}

GArray *biogated_store_list_uids(BiogatedStore *store, GError **error) {
        g_autoptr(GArray) uids = g_array_new(FALSE, FALSE, sizeof(guint32));
        DIR *dir = opendir_copy(store->prints_fd);
        struct dirent *de;

        if (!dir) {
                g_propagate_error(error, biogated_storeio_error(-errno, "cannot list", PRINTS_DIR));
                return NULL;
        }
        while ((de = readdir(dir))) {
                guint64 v;
                guint32 uid;
                if (!entry_is(dir, de, S_IFDIR) ||
                    !g_ascii_string_to_unsigned(de->d_name, 10, 0, G_MAXUINT32 - 1, &v, NULL))
                        continue;
                uid = (guint32) v;
                g_array_append_val(uids, uid);
        }
        closedir(dir);
        return g_steal_pointer(&uids);
}

/* ---- the user record ---- */

/* The record of uid with key (NULL: unwrapped here when needed). *ret_exists
 * says whether there was a file; without one the record is empty. */
static GVariant *load_record(BiogatedStore *store, uid_t uid, const BiogatedKey *key, gboolean *ret_exists,
                             GError **error) {
        const BiogatedSealSlot slot = { .kind = BIOGATED_SEAL_RECORD, .uid = uid };
        g_autoptr(GBytes) sealed = NULL, plain = NULL;
        g_autoptr(BiogatedKey) own_key = NULL;
        g_autoptr(GError) local_error = NULL;
        _cleanup_fd_ int dir_fd = open_user_dir(store, uid, FALSE);
        GVariant *record;
        int r = dir_fd;

        if (dir_fd >= 0)
                r = biogated_storeio_read(dir_fd, RECORD_FILE, BIOGATED_RECORD_MAX_SIZE + SEAL_OVERHEAD, &sealed);
        *ret_exists = r != -ENOENT;
        if (r == -ENOENT)
                return biogated_record_new_empty();
        if (r < 0) {
                char name[16];

                uid_name(uid, name);
                g_propagate_error(error, biogated_storeio_error(r, "cannot read the record of uid", name));
                return NULL;
        }
        if (!key)
                key = own_key = biogated_keys_get_user_key(store->keys, uid, FALSE, &local_error);
        if (key)
                plain = biogated_unseal(key, &slot, sealed, NULL, NULL, &local_error);
        record = plain ? biogated_record_parse(plain, &local_error) : NULL;
        if (!record) {
                g_set_error(error, BIOGATE_DBUS_ERROR, local_error->code, "The record of uid %u: %s", (unsigned) uid,
                            local_error->message);
                return NULL;
        }
        return record;
}

GVariant *biogated_store_read_record(BiogatedStore *store, uid_t uid, GError **error) {
        gboolean exists;

        return load_record(store, uid, NULL, &exists, error);
}

gboolean biogated_store_edit_record(BiogatedStore *store, uid_t uid, gboolean create, BiogatedRecordEdit edit,
                                    gpointer user_data, GError **error) {
        const BiogatedSealSlot slot = { .kind = BIOGATED_SEAL_RECORD, .uid = uid };
        g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&store->lock);
        g_autoptr(BiogatedKey) key = NULL;
        g_autoptr(GVariant) record = NULL, edited = NULL;
        g_autoptr(GVariantDict) dict = NULL;
        g_autoptr(GBytes) sealed = NULL;
        _cleanup_fd_ int dir_fd = -1;
        gboolean exists = FALSE;
        int r;

        forget_use_days(store, uid);
        /* A record that is not there is only created on purpose (consent at
         * enrolment), never by a late update for a user erased meanwhile. */
        if (!create) {
                g_autoptr(GVariant) probe = load_record(store, uid, NULL, &exists, error);
                if (!probe)
                        return FALSE;
                if (!exists)
                        return TRUE;
        }
        key = biogated_keys_get_user_key(store->keys, uid, create, error);
        if (!key)
                return FALSE;
        record = load_record(store, uid, key, &exists, error);
        if (!record)
                return FALSE;
        dict = g_variant_dict_new(record);
        if (!edit(dict, user_data))
                return TRUE;
        edited = g_variant_ref_sink(g_variant_dict_end(dict));
        if (g_variant_get_size(edited) > BIOGATED_RECORD_MAX_SIZE) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INTERNAL, "The record of uid %u grew too big",
                            (unsigned) uid);
                return FALSE;
        }
        sealed = biogated_seal(key, &slot, g_variant_get_data(edited), g_variant_get_size(edited), error);
        if (!sealed)
                return FALSE;
        dir_fd = open_user_dir(store, uid, TRUE);
        if (dir_fd < 0) {
                char name[16];

                uid_name(uid, name);
                g_propagate_error(error, biogated_storeio_error(dir_fd, "cannot open the prints of uid", name));
                return FALSE;
        }
        r = biogated_storeio_write(dir_fd, RECORD_FILE, g_bytes_get_data(sealed, NULL), g_bytes_get_size(sealed), 0600);
        if (r < 0) {
                g_propagate_error(error, biogated_storeio_error(r, "cannot write", RECORD_FILE));
                return FALSE;
        }
        return TRUE;
}

/* ---- erasure ---- */

static gboolean erase_locked(BiogatedStore *store, uid_t uid, BiogatedErasure *e, GError **error) {
        _cleanup_fd_ int dir_fd = -1;
        char name[16];
        DIR *dir;
        struct dirent *de;
        int failed = 0;

        *e = (BiogatedErasure) { 0 };
        forget_use_days(store, uid);
        /* The key first: once it is gone, whatever follows may fail or be
         * cut short, and still nothing of this user can be opened again. */
        if (!biogated_keys_destroy_user_key(store->keys, uid, &e->key, error))
                return FALSE;

        uid_name(uid, name);
        dir_fd = biogated_storeio_open_dir(store->prints_fd, name, FALSE);
        if (dir_fd == -ENOENT)
                return TRUE;
        if (dir_fd < 0) {
                g_propagate_error(error, biogated_storeio_error(dir_fd, "cannot open the prints of uid", name));
                return FALSE;
        }
        dir = opendir_copy(dir_fd);
        if (!dir) {
                g_propagate_error(error, biogated_storeio_error(-errno, "cannot list the prints of uid", name));
                return FALSE;
        }
        while ((de = readdir(dir))) {
                BiogateFinger f = biogate_finger_from_name(de->d_name);

                if (g_str_equal(de->d_name, ".") || g_str_equal(de->d_name, ".."))
                        continue;
                if (unlinkat(dir_fd, de->d_name, 0) < 0) {
                        failed = errno;
                        continue;
                }
                e->files++;
                if (f != BIOGATE_FINGER_INVALID)
                        e->fingers |= 1u << f;
                else if (g_str_equal(de->d_name, RECORD_FILE))
                        e->record = TRUE;
        }
        closedir(dir);
        if (failed == 0 && fsync(dir_fd) < 0)
                failed = errno;
        if (failed == 0 && unlinkat(store->prints_fd, name, AT_REMOVEDIR) < 0)
                failed = errno;
        if (failed == 0 && fsync(store->prints_fd) < 0)
                failed = errno;
        if (failed != 0) {
                g_propagate_error(error, biogated_storeio_error(-failed, "cannot remove the prints of uid", name));
                return FALSE;
        }
        return TRUE;
}

gboolean biogated_store_erase_user(BiogatedStore *store, uid_t uid, BiogatedErasure *ret_erasure, GError **error) {
        g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&store->lock);
        BiogatedErasure e;

        if (!erase_locked(store, uid, &e, error))
                return FALSE;
        if (ret_erasure)
                *ret_erasure = e;
        return TRUE;
}

/* ---- start-up ---- */

static const char *type_name(mode_t mode) {
        switch (mode & S_IFMT) {
        case S_IFLNK:
                return "a symbolic link";
        case S_IFDIR:
                return "a directory";
        case S_IFIFO:
                return "a FIFO";
        case S_IFSOCK:
                return "a socket";
        case S_IFCHR:
        case S_IFBLK:
                return "a device node";
        default:
                return "not a regular file";
        }
}

static void find_user_strays(int dir_fd, uid_t uid, BiogatedStoreStrayFunc func, gpointer user_data) {
        DIR *dir = opendir_copy(dir_fd);
        struct dirent *de;

        if (!dir)
                return;
        while ((de = readdir(dir))) {
                struct stat st;

                if (biogate_finger_from_name(de->d_name) == BIOGATE_FINGER_INVALID &&
                    !g_str_equal(de->d_name, RECORD_FILE))
                        continue;
                if (fstatat(dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode))
                        func(uid, de->d_name, type_name(st.st_mode), user_data);
        }
        closedir(dir);
}

void biogated_store_find_strays(BiogatedStore *store, BiogatedStoreStrayFunc func, gpointer user_data) {
        DIR *dir = opendir_copy(store->prints_fd);
        struct dirent *de;

        if (!dir)
                return;
        while ((de = readdir(dir))) {
                _cleanup_fd_ int user_fd = -1;
                struct stat st;
                guint64 v;

                if (!g_ascii_string_to_unsigned(de->d_name, 10, 0, G_MAXUINT32 - 1, &v, NULL) ||
                    fstatat(store->prints_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (!S_ISDIR(st.st_mode)) {
                        func((uid_t) v, NULL, type_name(st.st_mode), user_data);
                        continue;
                }
                user_fd = open_user_dir(store, (uid_t) v, FALSE);
                if (user_fd >= 0)
                        find_user_strays(user_fd, (uid_t) v, func, user_data);
        }
        closedir(dir);
}

int biogated_store_check_master_key(BiogatedStore *store, GError **error) {
        return biogated_keys_check_master(store->keys, error);
}

gboolean biogated_store_mark_sealed(BiogatedStore *store, GError **error) {
        return biogated_keys_write_check(store->keys, error);
}

GBytes *biogated_store_read_unsealed_print(BiogatedStore *store, uid_t uid, BiogateFinger finger, GError **error) {
        g_autoptr(GBytes) data = read_print_file(store, uid, biogate_finger_to_name(finger), error);

        if (!data || biogated_seal_has_magic(g_bytes_get_data(data, NULL), g_bytes_get_size(data)))
                return NULL;
        return g_steal_pointer(&data);
}

GArray *biogated_store_finish_erasures(BiogatedStore *store, GError **error) {
        g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&store->lock);
        g_autoptr(GArray) uids = biogated_store_list_uids(store, error);
        g_autoptr(GArray) erased = g_array_new(FALSE, FALSE, sizeof(guint32));

        if (!uids)
                return NULL;
        for (guint i = 0; i < uids->len; i++) {
                guint32 uid = g_array_index(uids, guint32, i);
                BiogatedErasure e;

                if (biogated_keys_has_user_key(store->keys, uid))
                        continue;
                if (!erase_locked(store, uid, &e, error))
                        return NULL;
                g_array_append_val(erased, uid);
        }
        return g_steal_pointer(&erased);
}
