/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sealed format and the key hierarchy: biogated-seal.c, biogated-keys.c. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "biogated-error.h"
#include "biogated-keys.h"
#include "biogated-seal.h"
#include "biogated-store.h"

static const char secret[] = "template bytes: ridge ending at (12,34), bifurcation at (56,78)";

static guint8 *dup_data(const guint8 *data, gsize size) {
        guint8 *copy = g_malloc(size);

        memcpy(copy, data, size);
        return copy;
}

static GBytes *seal_template(const BiogatedKey *key, uid_t uid, const char *finger) {
        const BiogatedSealSlot slot = { .kind = BIOGATED_SEAL_TEMPLATE, .uid = uid, .finger = finger,
                                        .driver = "virtual_device", .device_id = "0" };
        g_autoptr(GError) error = NULL;
        GBytes *sealed = biogated_seal(key, &slot, (const guint8 *) secret, sizeof secret, &error);

        g_assert_no_error(error);
        return sealed;
}

static GBytes *unseal_template(const BiogatedKey *key, uid_t uid, const char *finger, GBytes *sealed,
                               GError **error) {
        const BiogatedSealSlot slot = { .kind = BIOGATED_SEAL_TEMPLATE, .uid = uid, .finger = finger };

        return biogated_unseal(key, &slot, sealed, NULL, NULL, error);
}

static void test_round_trip(void) {
        g_autoptr(BiogatedKey) key = biogated_key_new_random();
        g_autoptr(GBytes) sealed = seal_template(key, 1000, "right-index-finger"), plain = NULL;
        const BiogatedSealSlot slot = { .kind = BIOGATED_SEAL_TEMPLATE, .uid = 1000, .finger = "right-index-finger" };
        g_autofree char *driver = NULL, *device_id = NULL;
        g_autoptr(GError) error = NULL;
        gsize size;
        const guint8 *data = g_bytes_get_data(sealed, &size);

        g_assert_true(biogated_seal_has_magic(data, size));
        g_assert_true(memmem(data, size, "virtual_device", 14) != NULL); /* the sensor is in the clear */
        g_assert_null(memmem(data, size, "ridge", 5));                  /* the template is not */
        plain = biogated_unseal(key, &slot, sealed, &driver, &device_id, &error);
        g_assert_no_error(error);
        g_assert_cmpmem(g_bytes_get_data(plain, NULL), g_bytes_get_size(plain), secret, sizeof secret);
        g_assert_cmpstr(driver, ==, "virtual_device");
        g_assert_cmpstr(device_id, ==, "0");
}

/* The same bytes sealed twice differ (random nonce). */
static void test_nonce_fresh(void) {
        g_autoptr(BiogatedKey) key = biogated_key_new_random();
        g_autoptr(GBytes) a = seal_template(key, 1, "left-thumb"), b = seal_template(key, 1, "left-thumb");

        g_assert_false(g_bytes_equal(a, b));
}

/* A blob opens only in its own slot, under its own key, as its own kind. */
static void test_slot_binding(void) {
        g_autoptr(BiogatedKey) key = biogated_key_new_random(), other = biogated_key_new_random();
        g_autoptr(GBytes) sealed = seal_template(key, 1000, "right-index-finger");
        const BiogatedSealSlot as_record = { .kind = BIOGATED_SEAL_RECORD, .uid = 1000 };
        struct {
                const BiogatedKey *key;
                uid_t uid;
                const char *finger;
        } wrong[] = {
                { key, 1001, "right-index-finger" },
                { key, 1000, "left-index-finger" },
                { key, 1000, NULL },
                { other, 1000, "right-index-finger" },
        };

        for (gsize i = 0; i < G_N_ELEMENTS(wrong); i++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(GBytes) plain = unseal_template(wrong[i].key, wrong[i].uid, wrong[i].finger, sealed, &error);
                g_assert_null(plain);
                g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED);
        }
        {
                g_autoptr(GError) error = NULL;
                g_autoptr(GBytes) plain = biogated_unseal(key, &as_record, sealed, NULL, NULL, &error);
                g_assert_null(plain);
                g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED);
        }
}

/* Every single-bit edit and every truncation is caught, header included. */
static void test_tamper(void) {
        g_autoptr(BiogatedKey) key = biogated_key_new_random();
        g_autoptr(GBytes) sealed = seal_template(key, 7, "left-thumb");
        gsize size;
        const guint8 *data = g_bytes_get_data(sealed, &size);

        for (gsize i = 0; i < size; i++) {
                g_autoptr(GError) error = NULL;
                g_autofree guint8 *copy = dup_data(data, size);
                g_autoptr(GBytes) edited = NULL, plain = NULL;

                copy[i] ^= 0x01;
                edited = g_bytes_new(copy, size);
                plain = unseal_template(key, 7, "left-thumb", edited, &error);
                if (plain)
                        g_error("flipping a bit of byte %" G_GSIZE_FORMAT " went unnoticed", i);
                g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED);
        }
        for (gsize n = 0; n < size; n++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(GBytes) cut = g_bytes_new(data, n), plain = NULL;

                plain = unseal_template(key, 7, "left-thumb", cut, &error);
                if (plain)
                        g_error("truncation to %" G_GSIZE_FORMAT " bytes went unnoticed", n);
                g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED);
        }
}

/* A format version this daemon does not know is refused by name. */
static void test_unknown_version(void) {
        g_autoptr(BiogatedKey) key = biogated_key_new_random();
        g_autoptr(GBytes) sealed = seal_template(key, 7, "left-thumb"), edited = NULL, plain = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree guint8 *copy = dup_data(g_bytes_get_data(sealed, NULL), g_bytes_get_size(sealed));

        copy[8] = 2;
        edited = g_bytes_new(copy, g_bytes_get_size(sealed));
        plain = unseal_template(key, 7, "left-thumb", edited, &error);
        g_assert_null(plain);
        g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED);
        g_assert_nonnull(strstr(error->message, "format version 2"));
}

static void test_key_wrap(void) {
        g_autoptr(BiogatedKey) master = biogated_key_new_random(), other = biogated_key_new_random();
        g_autoptr(BiogatedKey) key = biogated_key_new_random(), back = NULL, wrong = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) wrapped = biogated_key_wrap(master, 42, key, &error);

        g_assert_no_error(error);
        g_assert_null(memmem(g_bytes_get_data(wrapped, NULL), g_bytes_get_size(wrapped), biogated_key_get_bytes(key),
                             BIOGATED_KEY_SIZE));
        back = biogated_key_unwrap(master, 42, wrapped, &error);
        g_assert_no_error(error);
        g_assert_cmpmem(biogated_key_get_bytes(back), BIOGATED_KEY_SIZE, biogated_key_get_bytes(key), BIOGATED_KEY_SIZE);

        wrong = biogated_key_unwrap(master, 43, wrapped, &error);
        g_assert_null(wrong);
        g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED);
        g_clear_error(&error);
        wrong = biogated_key_unwrap(other, 42, wrapped, &error);
        g_assert_null(wrong);
        g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED);
}

/* ---- the master key on disk ---- */

typedef struct {
        char *dir;
        char *creds;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;

        f->dir = g_dir_make_tmp("biogate-seal-XXXXXX", &error);
        g_assert_no_error(error);
        f->creds = g_build_filename(f->dir, "credentials", NULL);
        g_assert_cmpint(g_mkdir(f->creds, 0700), ==, 0);
        g_unsetenv("CREDENTIALS_DIRECTORY");
}

static void fixture_teardown(Fixture *f, gconstpointer data) {
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);

        g_unsetenv("CREDENTIALS_DIRECTORY");
        g_assert_cmpint(system(cmd), ==, 0);
        g_free(f->dir);
        g_free(f->creds);
}

static char *state_path(Fixture *f, const char *rel) {
        return g_build_filename(f->dir, "state", rel, NULL);
}

static void assert_mode(const char *path, mode_t mode) {
        struct stat st;

        g_assert_cmpint(lstat(path, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 07777, ==, mode);
}

static BiogatedStore *open_store(Fixture *f, GError **error) {
        g_autofree char *state = g_build_filename(f->dir, "state", NULL);

        return biogated_store_open(state, NULL, error);
}

/* Generated once (0400 in a 0700 directory), then read back: data sealed
 * before a restart opens after it. */
static void test_master_key_file(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BiogatedStore) store = open_store(f, &error);
        g_autofree char *key_path = state_path(f, "private/master.key"), *priv = state_path(f, "private");
        g_autofree char *keys = state_path(f, "keys");
        g_autoptr(GBytes) in = g_bytes_new_static(secret, sizeof secret), out = NULL;
        g_autofree char *contents = NULL;
        gsize len = 0;

        g_assert_no_error(error);
        g_assert_cmpint(biogated_store_get_key_origin(store), ==, BIOGATED_KEY_CREATED);
        assert_mode(key_path, 0400);
        assert_mode(priv, 0700);
        assert_mode(keys, 0700);
        g_assert_true(g_file_get_contents(key_path, &contents, &len, NULL));
        g_assert_cmpuint(len, ==, BIOGATED_KEY_SIZE);
        g_assert_true(biogated_store_write_print(store, 5, BIOGATE_FINGER_LEFT_THUMB, "virtual_device", "0", in, &error));
        g_assert_cmpint(biogated_store_check_master_key(store, &error), ==, 0);
        g_assert_true(biogated_store_mark_sealed(store, &error));
        g_clear_pointer(&store, biogated_store_free);

        store = open_store(f, &error);
        g_assert_no_error(error);
        g_assert_cmpint(biogated_store_get_key_origin(store), ==, BIOGATED_KEY_FROM_FILE);
        g_assert_cmpint(biogated_store_check_master_key(store, &error), ==, 1);
        out = biogated_store_read_print(store, 5, BIOGATE_FINGER_LEFT_THUMB, NULL, NULL, &error);
        g_assert_no_error(error);
        g_assert_true(g_bytes_equal(in, out));
}

static void write_credential(Fixture *f, gsize size, mode_t mode) {
        g_autofree char *path = g_build_filename(f->creds, BIOGATED_MASTER_KEY_CREDENTIAL, NULL);
        g_autofree guint8 *bytes = g_malloc(size);

        for (gsize i = 0; i < size; i++)
                bytes[i] = (guint8) (i * 7 + 1);
        (void) g_unlink(path);
        g_assert_true(g_file_set_contents(path, (const char *) bytes, (gssize) size, NULL));
        g_assert_cmpint(chmod(path, mode), ==, 0);
}

/* The systemd credential wins over the file; it must be exactly 32 private
 * bytes, or the daemon refuses to start rather than seal under a bad key. */
static void test_master_key_credential(Fixture *f, gconstpointer data) {
        g_autofree char *key_path = state_path(f, "private/master.key");
        g_autofree char *link = g_build_filename(f->creds, BIOGATED_MASTER_KEY_CREDENTIAL, NULL);
        g_autofree char *elsewhere = g_build_filename(f->dir, "elsewhere", NULL);
        struct {
                gsize size;
                mode_t mode;
        } bad[] = { { 31, 0400 }, { 33, 0400 }, { 32, 0644 }, { 32, 0440 } };

        g_setenv("CREDENTIALS_DIRECTORY", f->creds, TRUE);
        write_credential(f, 32, 0400);
        {
                g_autoptr(GError) error = NULL;
                g_autoptr(BiogatedStore) store = open_store(f, &error);
                g_assert_no_error(error);
                g_assert_cmpint(biogated_store_get_key_origin(store), ==, BIOGATED_KEY_FROM_CREDENTIAL);
                g_assert_false(g_file_test(key_path, G_FILE_TEST_EXISTS));
        }
        for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(BiogatedStore) store = NULL;

                write_credential(f, bad[i].size, bad[i].mode);
                store = open_store(f, &error);
                g_assert_null(store);
                g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED);
        }
        /* Not through a symlink either. */
        {
                g_autoptr(GError) error = NULL;
                g_autoptr(BiogatedStore) store = NULL;

                write_credential(f, 32, 0400);
                g_assert_cmpint(rename(link, elsewhere), ==, 0);
                g_assert_cmpint(symlink(elsewhere, link), ==, 0);
                store = open_store(f, &error);
                g_assert_null(store);
                g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED);
        }
        /* A credentials directory that cannot be read: no fallback to a key
         * nobody meant. */
        {
                g_autoptr(GError) error = NULL;
                g_autoptr(BiogatedStore) store = NULL;
                g_autofree char *missing = g_build_filename(f->dir, "no-such-credentials", NULL);

                g_setenv("CREDENTIALS_DIRECTORY", missing, TRUE);
                store = open_store(f, &error);
                g_assert_null(store);
                g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INTERNAL);
                g_setenv("CREDENTIALS_DIRECTORY", f->creds, TRUE);
        }
        /* A credentials directory without ours: the file is used. */
        {
                g_autoptr(GError) error = NULL;
                g_autoptr(BiogatedStore) store = NULL;

                g_assert_cmpint(unlink(link), ==, 0);
                store = open_store(f, &error);
                g_assert_no_error(error);
                g_assert_cmpint(biogated_store_get_key_origin(store), ==, BIOGATED_KEY_CREATED);
        }
}

/* Another master key is told apart from damage: the check does not open. */
static void test_master_key_check(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BiogatedStore) store = open_store(f, &error);

        g_assert_no_error(error);
        g_assert_true(biogated_store_mark_sealed(store, &error));
        g_clear_pointer(&store, biogated_store_free);

        g_setenv("CREDENTIALS_DIRECTORY", f->creds, TRUE);
        write_credential(f, 32, 0400);
        store = open_store(f, &error);
        g_assert_no_error(error);
        g_assert_cmpint(biogated_store_check_master_key(store, &error), ==, -1);
        g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        (void) biogated_error_quark();
        g_test_add_func("/seal/round-trip", test_round_trip);
        g_test_add_func("/seal/nonce-fresh", test_nonce_fresh);
        g_test_add_func("/seal/slot-binding", test_slot_binding);
        g_test_add_func("/seal/tamper", test_tamper);
        g_test_add_func("/seal/unknown-version", test_unknown_version);
        g_test_add_func("/seal/key-wrap", test_key_wrap);
        g_test_add("/keys/master-key-file", Fixture, NULL, fixture_setup, test_master_key_file, fixture_teardown);
        g_test_add("/keys/master-key-credential", Fixture, NULL, fixture_setup, test_master_key_credential,
                   fixture_teardown);
        g_test_add("/keys/master-key-check", Fixture, NULL, fixture_setup, test_master_key_check, fixture_teardown);
        return g_test_run();
}
