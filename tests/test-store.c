/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "biogated-config.h"
#include "biogated-error.h"
#include "biogated-record.h"
#include "biogated-store.h"
#include "store-fixture.h"

static GBytes *bytes_of(char c, gsize n) {
        guint8 *buf = g_malloc(n);
        memset(buf, c, n);
        return g_bytes_new_take(buf, n);
}

static char *print_path(StoreFixture *f, uid_t uid, const char *finger) {
        return g_strdup_printf("%s/prints/%u/%s", f->dir, (unsigned) uid, finger);
}

static guint count_entries(const char *dir) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        guint n = 0;
        while (d && g_dir_read_name(d))
                n++;
        return n;
}

static void test_write_read_modes(StoreFixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) in = bytes_of('a', 1000), out = NULL;
        g_autofree char *path = print_path(f, 1000, "right-index-finger");
        g_autofree char *udir = g_strdup_printf("%s/prints/1000", f->dir);
        struct stat st;
        guint mask = 0;

        g_assert_true(biogated_store_write_print(f->store, 1000, BIOGATE_FINGER_RIGHT_INDEX, "virtual_device", "0", in, &error));
        g_assert_no_error(error);
        out = biogated_store_read_print(f->store, 1000, BIOGATE_FINGER_RIGHT_INDEX, NULL, NULL, &error);
        g_assert_no_error(error);
        g_assert_true(g_bytes_equal(in, out));

        g_assert_cmpint(lstat(path, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 07777, ==, 0600);
        g_assert_cmpint(lstat(udir, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 07777, ==, 0700);
        g_assert_cmpuint(count_entries(udir), ==, 1);

        g_assert_true(biogated_store_list_fingers(f->store, 1000, &mask, &error));
        g_assert_cmpuint(mask, ==, 1u << BIOGATE_FINGER_RIGHT_INDEX);
        g_assert_true(biogated_store_list_fingers(f->store, 1001, &mask, &error));
        g_assert_cmpuint(mask, ==, 0);
}

/* A write that fails half-way (here: the file size limit) must leave the
 * previous print untouched and no temp file behind. */
static void test_write_is_atomic(StoreFixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) old = bytes_of('o', 100), big = bytes_of('n', 64 * 1024), out = NULL;
        g_autofree char *udir = g_strdup_printf("%s/prints/42", f->dir);
        struct rlimit saved, small;
        void (*saved_handler)(int);

        g_assert_true(biogated_store_write_print(f->store, 42, BIOGATE_FINGER_LEFT_THUMB, "virtual_device", "0", old, &error));
        g_assert_no_error(error);

        g_assert_cmpint(getrlimit(RLIMIT_FSIZE, &saved), ==, 0);
        /* Only the soft limit: raising a hard limit again needs a capability. */
        small = (struct rlimit) { .rlim_cur = 4096, .rlim_max = saved.rlim_max };
        saved_handler = signal(SIGXFSZ, SIG_IGN);
        g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &small), ==, 0);
        g_assert_false(biogated_store_write_print(f->store, 42, BIOGATE_FINGER_LEFT_THUMB, "virtual_device", "0", big, &error));
        g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &saved), ==, 0);
        signal(SIGXFSZ, saved_handler);
        g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INTERNAL);
        g_clear_error(&error);

        out = biogated_store_read_print(f->store, 42, BIOGATE_FINGER_LEFT_THUMB, NULL, NULL, &error);
        g_assert_no_error(error);
        g_assert_true(g_bytes_equal(old, out));
        g_assert_cmpuint(count_entries(udir), ==, 1);

        /* And a successful overwrite replaces it whole. */
        g_assert_true(biogated_store_write_print(f->store, 42, BIOGATE_FINGER_LEFT_THUMB, "virtual_device", "0", big, &error));
        g_clear_pointer(&out, g_bytes_unref);
        out = biogated_store_read_print(f->store, 42, BIOGATE_FINGER_LEFT_THUMB, NULL, NULL, &error);
        g_assert_true(g_bytes_equal(big, out));
        g_assert_cmpuint(count_entries(udir), ==, 1);
}

static void test_symlink_not_followed(StoreFixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) in = bytes_of('s', 10), out = NULL;
        g_autofree char *path = print_path(f, 7, "left-thumb");
        g_autofree char *target = g_build_filename(f->dir, "elsewhere", NULL);
        guint mask = 0;

        g_assert_true(biogated_store_write_print(f->store, 7, BIOGATE_FINGER_RIGHT_THUMB, "virtual_device", "0", in, &error));
        g_assert_true(g_file_set_contents(target, "not a print", -1, NULL));
        g_assert_cmpint(chmod(target, 0600), ==, 0);
        g_assert_cmpint(symlink(target, path), ==, 0);

        out = biogated_store_read_print(f->store, 7, BIOGATE_FINGER_LEFT_THUMB, NULL, NULL, &error);
        g_assert_null(out);
        g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED);
        /* A symlink is not listed as an enrolled finger either. */
        g_assert_true(biogated_store_list_fingers(f->store, 7, &mask, NULL));
        g_assert_cmpuint(mask, ==, 1u << BIOGATE_FINGER_RIGHT_THUMB);
}

static void test_bad_mode_refused(StoreFixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) in = bytes_of('m', 10), out = NULL;
        g_autofree char *path = print_path(f, 8, "left-thumb");

        g_assert_true(biogated_store_write_print(f->store, 8, BIOGATE_FINGER_LEFT_THUMB, "virtual_device", "0", in, &error));
        g_assert_cmpint(chmod(path, 0644), ==, 0);
        out = biogated_store_read_print(f->store, 8, BIOGATE_FINGER_LEFT_THUMB, NULL, NULL, &error);
        g_assert_null(out);
        g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED);
}

static void test_delete_and_temp_leftovers(StoreFixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) in = bytes_of('d', 10);
        g_autoptr(GArray) uids = NULL;
        g_autofree char *leftover = print_path(f, 9, ".#left-thumb.deadbeef");
        guint mask = 0;

        g_assert_true(biogated_store_write_print(f->store, 9, BIOGATE_FINGER_LEFT_THUMB, "virtual_device", "0", in, &error));
        g_assert_true(biogated_store_write_print(f->store, 9, BIOGATE_FINGER_LEFT_RING, "virtual_device", "0", in, &error));
        /* What a crash between create and rename leaves behind. */
        g_assert_true(g_file_set_contents(leftover, "half", -1, NULL));
        g_assert_true(biogated_store_list_fingers(f->store, 9, &mask, &error));
        g_assert_cmpuint(mask, ==, (1u << BIOGATE_FINGER_LEFT_THUMB) | (1u << BIOGATE_FINGER_LEFT_RING));

        g_assert_true(biogated_store_delete_print(f->store, 9, BIOGATE_FINGER_LEFT_THUMB, &error));
        g_assert_false(biogated_store_delete_print(f->store, 9, BIOGATE_FINGER_LEFT_THUMB, &error));
        g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_NO_ENROLLED_PRINTS);
        g_assert_true(biogated_store_list_fingers(f->store, 9, &mask, NULL));
        g_assert_cmpuint(mask, ==, 1u << BIOGATE_FINGER_LEFT_RING);

        uids = biogated_store_list_uids(f->store, NULL);
        g_assert_cmpuint(uids->len, ==, 1);
        g_assert_cmpuint(g_array_index(uids, guint32, 0), ==, 9);
}

static void test_open_refuses_shared_dir(void) {
        g_autoptr(GError) error = NULL;
        g_autofree char *dir = g_dir_make_tmp("biogate-open-XXXXXX", NULL);
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
        BiogatedStore *store;

        g_assert_cmpint(chmod(dir, 0755), ==, 0);
        store = biogated_store_open(dir, NULL, &error);
        g_assert_null(store);
        g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED);
        g_assert_cmpint(system(cmd), ==, 0);
}

/* ---- sealing, erasure ---- */

static const char template_text[] = "a template: minutiae 1 2 3 4 5 6 7 8 9";

static GBytes *template_bytes(void) {
        return g_bytes_new_static(template_text, sizeof template_text);
}

static void write_template(StoreFixture *f, uid_t uid, BiogateFinger finger) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) in = template_bytes();

        g_assert_true(biogated_store_write_print(f->store, uid, finger, "virtual_device", "dev-1", in, &error));
        g_assert_no_error(error);
}

static void assert_template_opens(StoreFixture *f, uid_t uid, BiogateFinger finger) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) in = template_bytes();
        g_autofree char *driver = NULL, *device_id = NULL;
        g_autoptr(GBytes) out = biogated_store_read_print(f->store, uid, finger, &driver, &device_id, &error);

        g_assert_no_error(error);
        g_assert_true(g_bytes_equal(in, out));
        g_assert_cmpstr(driver, ==, "virtual_device");
        g_assert_cmpstr(device_id, ==, "dev-1");
}

static void assert_template_corrupted(StoreFixture *f, uid_t uid, BiogateFinger finger) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) out = biogated_store_read_print(f->store, uid, finger, NULL, NULL, &error);

        g_assert_null(out);
        g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED);
}

static void copy_file(const char *from, const char *to) {
        g_autofree char *contents = NULL;
        gsize len = 0;

        g_assert_true(g_file_get_contents(from, &contents, &len, NULL));
        (void) g_unlink(to);
        g_assert_true(g_file_set_contents(to, contents, (gssize) len, NULL));
        g_assert_cmpint(chmod(to, 0600), ==, 0);
}

/* On disk: magic, no plaintext, 0600; the user key lives elsewhere. */
static void test_sealed_on_disk(StoreFixture *f, gconstpointer data) {
        g_autofree char *path = print_path(f, 1000, "left-index-finger");
        g_autofree char *key = g_strdup_printf("%s/keys/1000", f->dir);
        g_autofree char *contents = NULL;
        gsize len = 0;
        struct stat st;

        write_template(f, 1000, BIOGATE_FINGER_LEFT_INDEX);
        g_assert_true(g_file_get_contents(path, &contents, &len, NULL));
        g_assert_cmpmem(contents, 8, "BIOGATE\x1a", 8);
        g_assert_null(memmem(contents, len, "minutiae", 8));
        g_assert_cmpint(lstat(path, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 07777, ==, 0600);
        g_assert_cmpint(lstat(key, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 07777, ==, 0600);
        assert_template_opens(f, 1000, BIOGATE_FINGER_LEFT_INDEX);
}

/* A file moved to another finger's or user's slot, edited or truncated
 * fails with StoreCorrupted; the other prints keep working. */
static void test_moved_edited_truncated(StoreFixture *f, gconstpointer data) {
        g_autofree char *thumb = print_path(f, 10, "left-thumb"), *index = print_path(f, 10, "left-index-finger");
        g_autofree char *other = print_path(f, 11, "left-thumb"), *saved = g_strdup_printf("%s/saved", f->dir);
        g_autofree char *contents = NULL;
        gsize len = 0;

        write_template(f, 10, BIOGATE_FINGER_LEFT_THUMB);
        write_template(f, 10, BIOGATE_FINGER_LEFT_INDEX);
        write_template(f, 11, BIOGATE_FINGER_LEFT_THUMB);
        copy_file(index, saved);

        copy_file(thumb, index);                        /* another finger's slot */
        assert_template_corrupted(f, 10, BIOGATE_FINGER_LEFT_INDEX);
        assert_template_opens(f, 10, BIOGATE_FINGER_LEFT_THUMB);

        copy_file(thumb, other);                        /* another user's slot */
        assert_template_corrupted(f, 11, BIOGATE_FINGER_LEFT_THUMB);
        assert_template_opens(f, 10, BIOGATE_FINGER_LEFT_THUMB);

        g_assert_true(g_file_get_contents(saved, &contents, &len, NULL));
        contents[len / 2] ^= 0x20;                      /* edited */
        g_assert_true(g_file_set_contents(index, contents, (gssize) len, NULL));
        g_assert_cmpint(chmod(index, 0600), ==, 0);
        assert_template_corrupted(f, 10, BIOGATE_FINGER_LEFT_INDEX);

        contents[len / 2] ^= 0x20;                      /* truncated */
        g_assert_true(g_file_set_contents(index, contents, (gssize) len - 1, NULL));
        g_assert_cmpint(chmod(index, 0600), ==, 0);
        assert_template_corrupted(f, 10, BIOGATE_FINGER_LEFT_INDEX);

        copy_file(saved, index);                        /* and back: it opens again */
        assert_template_opens(f, 10, BIOGATE_FINGER_LEFT_INDEX);
        assert_template_opens(f, 10, BIOGATE_FINGER_LEFT_THUMB);
}

/* A file written before sealing (plain bytes) is never used as a template. */
static void test_plain_file_refused(StoreFixture *f, gconstpointer data) {
        g_autofree char *path = print_path(f, 12, "right-thumb");
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) raw = NULL;

        write_template(f, 12, BIOGATE_FINGER_RIGHT_THUMB);
        g_assert_null(biogated_store_read_unsealed_print(f->store, 12, BIOGATE_FINGER_RIGHT_THUMB, &error));
        g_assert_no_error(error);
        g_assert_true(g_file_set_contents(path, template_text, sizeof template_text, NULL));
        g_assert_cmpint(chmod(path, 0600), ==, 0);
        assert_template_corrupted(f, 12, BIOGATE_FINGER_RIGHT_THUMB);
        raw = biogated_store_read_unsealed_print(f->store, 12, BIOGATE_FINGER_RIGHT_THUMB, &error);
        g_assert_no_error(error);
        g_assert_cmpmem(g_bytes_get_data(raw, NULL), g_bytes_get_size(raw), template_text, sizeof template_text);
}

static gboolean add_consent(GVariantDict *record, gpointer user_data) {
        biogated_record_add_consent(record, 1000, "v1", GPOINTER_TO_INT(user_data), 0);
        biogated_record_set_enrolled(record, GPOINTER_TO_INT(user_data), 1000);
        return TRUE;
}

static gboolean mark_used(GVariantDict *record, gpointer user_data) {
        return biogated_record_set_last_used(record, GPOINTER_TO_INT(user_data), 2000);
}

/* The record is sealed too, and a late update never creates one. */
static void test_record(StoreFixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) record = NULL, consents = NULL;
        g_autofree char *path = g_strdup_printf("%s/prints/20/record", f->dir), *contents = NULL;
        gint64 enrolled = 0, used = 0;
        gsize len = 0;

        g_assert_true(biogated_store_edit_record(f->store, 20, FALSE, mark_used,
                                                 GINT_TO_POINTER(BIOGATE_FINGER_LEFT_RING), &error));
        g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));

        g_assert_true(biogated_store_edit_record(f->store, 20, TRUE, add_consent,
                                                 GINT_TO_POINTER(BIOGATE_FINGER_LEFT_RING), &error));
        g_assert_true(biogated_store_edit_record(f->store, 20, FALSE, mark_used,
                                                 GINT_TO_POINTER(BIOGATE_FINGER_LEFT_RING), &error));
        g_assert_no_error(error);
        g_assert_true(g_file_get_contents(path, &contents, &len, NULL));
        g_assert_null(memmem(contents, len, "v1", 2));
        g_assert_null(memmem(contents, len, "left-ring-finger", 16));

        record = biogated_store_read_record(f->store, 20, &error);
        g_assert_no_error(error);
        g_assert_true(biogated_record_get_times(record, BIOGATE_FINGER_LEFT_RING, &enrolled, &used));
        g_assert_cmpint(enrolled, ==, 1000);
        g_assert_cmpint(used, ==, 2000);
        consents = biogated_record_get_consents(record);
        g_assert_cmpuint(g_variant_n_children(consents), ==, 1);
        g_assert_false(biogated_record_get_times(record, BIOGATE_FINGER_LEFT_THUMB, NULL, NULL));
}

static int run(const char *command) {
        return system(command);
}

/* Erasure destroys the key first: a copy of the user's directory taken
 * before, put back afterwards, opens no more, not even once the user has
 * a new key. */
static void test_erase_is_crypto_erasure(StoreFixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autofree char *udir = g_strdup_printf("%s/prints/30", f->dir), *backup = g_strdup_printf("%s/backup", f->dir);
        g_autofree char *key = g_strdup_printf("%s/keys/30", f->dir);
        g_autofree char *save = g_strdup_printf("cp -a '%s' '%s'", udir, backup);
        g_autofree char *restore = g_strdup_printf("cp -a '%s' '%s'", backup, udir);
        g_autoptr(GVariant) record = NULL;
        BiogatedErasure e;

        write_template(f, 30, BIOGATE_FINGER_LEFT_THUMB);
        write_template(f, 30, BIOGATE_FINGER_RIGHT_THUMB);
        g_assert_true(biogated_store_edit_record(f->store, 30, TRUE, add_consent,
                                                 GINT_TO_POINTER(BIOGATE_FINGER_LEFT_THUMB), &error));
        g_assert_cmpint(run(save), ==, 0);

        g_assert_true(biogated_store_erase_user(f->store, 30, &e, &error));
        g_assert_no_error(error);
        g_assert_cmpuint(e.fingers, ==, (1u << BIOGATE_FINGER_LEFT_THUMB) | (1u << BIOGATE_FINGER_RIGHT_THUMB));
        g_assert_true(e.key);
        g_assert_true(e.record);
        g_assert_cmpuint(e.files, ==, 3);
        g_assert_false(g_file_test(udir, G_FILE_TEST_EXISTS));
        g_assert_false(g_file_test(key, G_FILE_TEST_EXISTS));

        g_assert_cmpint(run(restore), ==, 0);
        assert_template_corrupted(f, 30, BIOGATE_FINGER_LEFT_THUMB);
        record = biogated_store_read_record(f->store, 30, &error);
        g_assert_null(record);
        g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED);
        g_clear_error(&error);

        write_template(f, 30, BIOGATE_FINGER_LEFT_INDEX); /* a new key */
        assert_template_opens(f, 30, BIOGATE_FINGER_LEFT_INDEX);
        assert_template_corrupted(f, 30, BIOGATE_FINGER_LEFT_THUMB);
        assert_template_corrupted(f, 30, BIOGATE_FINGER_RIGHT_THUMB);

        /* Nothing stored: an empty report, not an error. */
        g_assert_true(biogated_store_erase_user(f->store, 31, &e, &error));
        g_assert_no_error(error);
        g_assert_cmpuint(e.files, ==, 0);
        g_assert_false(e.key);
}

/* A crash after the key was destroyed leaves files nobody can open; the
 * next start removes them. Users with a key are left alone. */
static void test_finish_interrupted_erasure(StoreFixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GArray) erased = NULL;
        g_autofree char *key = g_strdup_printf("%s/keys/40", f->dir), *udir = g_strdup_printf("%s/prints/40", f->dir);
        g_autofree char *zeros = g_malloc0(84);
        guint mask = 0;

        write_template(f, 40, BIOGATE_FINGER_LEFT_THUMB);
        write_template(f, 41, BIOGATE_FINGER_LEFT_THUMB);
        /* What an interrupted shred leaves: zeros where the key was. */
        g_assert_true(g_file_set_contents(key, zeros, 84, NULL));
        g_assert_cmpint(chmod(key, 0600), ==, 0);

        erased = biogated_store_finish_erasures(f->store, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(erased->len, ==, 1);
        g_assert_cmpuint(g_array_index(erased, guint32, 0), ==, 40);
        g_assert_false(g_file_test(udir, G_FILE_TEST_EXISTS));
        g_assert_false(g_file_test(key, G_FILE_TEST_EXISTS));
        g_assert_true(biogated_store_list_fingers(f->store, 40, &mask, &error));
        g_assert_cmpuint(mask, ==, 0);
        assert_template_opens(f, 41, BIOGATE_FINGER_LEFT_THUMB);
}

/* ---- biogate.conf ---- */

static gboolean load_config_text(const char *text, BiogatedConfig *config, GError **error) {
        g_autofree char *path = NULL;
        int fd = g_file_open_tmp("biogate-conf-XXXXXX", &path, NULL);
        gboolean ok;

        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(write(fd, text, strlen(text)), ==, (ssize_t) strlen(text));
        close(fd);
        biogated_config_init(config);
        ok = biogated_config_load(config, path, error);
        g_unlink(path);
        return ok;
}

static void test_config(void) {
        BiogatedConfig config;
        g_autoptr(GError) error = NULL;

        g_assert_true(load_config_text("# comment\n[daemon]\ndevice=virtual_device\nidle_exit_seconds=0\n", &config, &error));
        g_assert_no_error(error);
        g_assert_cmpstr(config.device, ==, "virtual_device");
        g_assert_cmpuint(config.idle_exit_seconds, ==, 0);
        biogated_config_clear(&config);

        g_assert_true(load_config_text("", &config, &error));
        g_assert_null(config.device);
        g_assert_cmpuint(config.idle_exit_seconds, ==, BIOGATED_DEFAULT_IDLE_EXIT_SECONDS);
        biogated_config_clear(&config);

        g_assert_true(load_config_text("[daemon]\nretention_days=36500\n", &config, &error));
        g_assert_cmpuint(config.retention_days, ==, 36500);
        biogated_config_clear(&config);

        const char *bad[] = {
                "[daemon]\nretention_days=36501\n",
                "[daemon]\nretention_days=-1\n",
                "[daemon]\nretention_days=30d\n",
                "[daemon]\nidle_exit_seconds=-1\n",
                "[daemon]\nidle_exit_seconds=86401\n",
                "[daemon]\nidle_exit_seconds=12abc\n",
                "[daemon]\ndevcie=x\n",
                "[deamon]\ndevice=x\n",
                "not an ini file\n",
                "[daemon]\ndevice=\x01\x02\xff\n",
        };
        for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_clear_error(&error);
                g_assert_false(load_config_text(bad[i], &config, &error));
                g_assert_nonnull(error);
                biogated_config_clear(&config);
        }

        biogated_config_init(&config);
        g_assert_true(biogated_config_load(&config, "/nonexistent/biogate.conf", &error));
        biogated_config_clear(&config);
}

/* Each of the texts is refused with an error. */
static void assert_configs_refused(const char *const *bad, gsize n) {
        for (gsize i = 0; i < n; i++) {
                g_autoptr(GError) error = NULL;
                BiogatedConfig config;

                g_test_message("%s", bad[i]);
                g_assert_false(load_config_text(bad[i], &config, &error));
                g_assert_nonnull(error);
                biogated_config_clear(&config);
        }
}

/* [stepup] audience= (biogate.conf(5)): strict like [daemon]; an empty
 * value means no aud claim. */
static void test_config_stepup(void) {
        BiogatedConfig config;
        g_autoptr(GError) error = NULL;
        g_autofree char *longest = g_strnfill(BIOGATED_MAX_AUDIENCE_LENGTH, 'a');
        g_autofree char *too_long = g_strdup_printf("[stepup]\naudience=%sa\n", longest);
        g_autofree char *ok_long = g_strdup_printf("[stepup]\naudience=%s\n", longest);

        g_assert_true(load_config_text("[stepup]\naudience = https://payments.example/api \n[daemon]\nidle_exit_seconds=5\n",
                                       &config, &error));
        g_assert_no_error(error);
        g_assert_cmpstr(config.audience, ==, "https://payments.example/api");
        g_assert_cmpuint(config.idle_exit_seconds, ==, 5);
        biogated_config_clear(&config);

        g_assert_true(load_config_text("[stepup]\n", &config, &error));
        g_assert_null(config.audience);
        biogated_config_clear(&config);
        g_assert_true(load_config_text("[stepup]\naudience=\n", &config, &error));
        g_assert_null(config.audience);
        biogated_config_clear(&config);
        g_assert_true(load_config_text(ok_long, &config, &error));
        g_assert_cmpuint(strlen(config.audience), ==, BIOGATED_MAX_AUDIENCE_LENGTH);
        biogated_config_clear(&config);

        const char *bad[] = {
                "[stepup]\naudeince=x\n",
                "[stepup]\naudience=two words\n",
                "[stepup]\naudience=caf\xc3\xa9\n",
                "[stepup]\naudience=tab\there\n",
                "[step-up]\naudience=x\n",
                "[stepup]\nidle_exit_seconds=5\n",
                too_long,
        };
        assert_configs_refused(bad, G_N_ELEMENTS(bad));
}

/* [consent] controller= (biogate.conf(5)): the data controller's name in
 * the consent notice; text on one line, bounded; empty means unset. */
static void test_config_consent(void) {
        BiogatedConfig config;
        g_autoptr(GError) error = NULL;
        g_autofree char *longest = g_strnfill(BIOGATED_MAX_CONTROLLER_LENGTH, 'a');
        g_autofree char *too_long = g_strdup_printf("[consent]\ncontroller=%sa\n", longest);

        g_assert_true(load_config_text("[consent]\ncontroller = ТОО «Пример Биржа» (БИН 123456789012) \n", &config,
                                       &error));
        g_assert_no_error(error);
        g_assert_cmpstr(config.controller, ==, "ТОО «Пример Биржа» (БИН 123456789012)");
        biogated_config_clear(&config);
        g_assert_true(load_config_text("[consent]\ncontroller=\n", &config, &error));
        g_assert_null(config.controller);
        biogated_config_clear(&config);

        const char *bad[] = {
                "[consent]\ncontrolller=x\n",
                "[consent]\ncontroller=tab\there\n",
                "[consent]\ncontroller=esc\x1b[2Jhere\n",
                "[consent]\ncontroller=rtl\xe2\x80\xaeoverride\n",
                "[consent]\ncontroller=zero\xe2\x80\x8bwidth\n",
                too_long,
        };
        assert_configs_refused(bad, G_N_ELEMENTS(bad));
}

static gboolean touch_record(GVariantDict *record, gpointer user_data) {
        g_variant_dict_insert(record, "test-touched", "b", TRUE);
        return TRUE;
}

/* The last-use day a login can skip writing: known once noted, per uid and
 * finger and day, and forgotten by every change to that uid's files, so
 * that a record rewritten, a finger deleted or a user erased (and enrolled
 * again the same day) gets its day written again. */
static void test_use_day_forgotten_on_change(StoreFixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) print = bytes_of('u', 100);
        const gint64 day = 20000 * 86400;

        g_assert_false(biogated_store_has_use_day(f->store, 1000, BIOGATE_FINGER_RIGHT_INDEX, day));
        biogated_store_note_use_day(f->store, 1000, BIOGATE_FINGER_RIGHT_INDEX, day);
        biogated_store_note_use_day(f->store, 1001, BIOGATE_FINGER_RIGHT_INDEX, day);
        g_assert_true(biogated_store_has_use_day(f->store, 1000, BIOGATE_FINGER_RIGHT_INDEX, day));
        g_assert_false(biogated_store_has_use_day(f->store, 1000, BIOGATE_FINGER_RIGHT_INDEX, day + 86400));
        g_assert_false(biogated_store_has_use_day(f->store, 1000, BIOGATE_FINGER_LEFT_INDEX, day));

        g_assert_true(biogated_store_write_print(f->store, 1000, BIOGATE_FINGER_RIGHT_INDEX, "d", "i", print, &error));
        g_assert_no_error(error);
        g_assert_false(biogated_store_has_use_day(f->store, 1000, BIOGATE_FINGER_RIGHT_INDEX, day));
        /* Another uid's stays. */
        g_assert_true(biogated_store_has_use_day(f->store, 1001, BIOGATE_FINGER_RIGHT_INDEX, day));

        biogated_store_note_use_day(f->store, 1000, BIOGATE_FINGER_RIGHT_INDEX, day);
        g_assert_true(biogated_store_edit_record(f->store, 1000, TRUE, touch_record, NULL, &error));
        g_assert_no_error(error);
        g_assert_false(biogated_store_has_use_day(f->store, 1000, BIOGATE_FINGER_RIGHT_INDEX, day));

        biogated_store_note_use_day(f->store, 1000, BIOGATE_FINGER_RIGHT_INDEX, day);
        g_assert_true(biogated_store_delete_print(f->store, 1000, BIOGATE_FINGER_RIGHT_INDEX, &error));
        g_assert_no_error(error);
        g_assert_false(biogated_store_has_use_day(f->store, 1000, BIOGATE_FINGER_RIGHT_INDEX, day));

        biogated_store_note_use_day(f->store, 1000, BIOGATE_FINGER_RIGHT_INDEX, day);
        g_assert_true(biogated_store_erase_user(f->store, 1000, NULL, &error));
        g_assert_no_error(error);
        g_assert_false(biogated_store_has_use_day(f->store, 1000, BIOGATE_FINGER_RIGHT_INDEX, day));
        g_assert_true(biogated_store_has_use_day(f->store, 1001, BIOGATE_FINGER_RIGHT_INDEX, day));
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        (void) biogated_error_quark();
        g_test_add("/store/write-read-modes", StoreFixture, NULL, store_fixture_setup, test_write_read_modes, store_fixture_teardown);
        g_test_add("/store/write-is-atomic", StoreFixture, NULL, store_fixture_setup, test_write_is_atomic, store_fixture_teardown);
        g_test_add("/store/symlink-not-followed", StoreFixture, NULL, store_fixture_setup, test_symlink_not_followed, store_fixture_teardown);
        g_test_add("/store/bad-mode-refused", StoreFixture, NULL, store_fixture_setup, test_bad_mode_refused, store_fixture_teardown);
        g_test_add("/store/delete-and-temp-leftovers", StoreFixture, NULL, store_fixture_setup, test_delete_and_temp_leftovers, store_fixture_teardown);
        g_test_add_func("/store/open-refuses-shared-dir", test_open_refuses_shared_dir);
        g_test_add("/store/sealed-on-disk", StoreFixture, NULL, store_fixture_setup, test_sealed_on_disk, store_fixture_teardown);
        g_test_add("/store/moved-edited-truncated", StoreFixture, NULL, store_fixture_setup, test_moved_edited_truncated,
                   store_fixture_teardown);
        g_test_add("/store/plain-file-refused", StoreFixture, NULL, store_fixture_setup, test_plain_file_refused, store_fixture_teardown);
        g_test_add("/store/record", StoreFixture, NULL, store_fixture_setup, test_record, store_fixture_teardown);
        g_test_add("/store/erase-is-crypto-erasure", StoreFixture, NULL, store_fixture_setup, test_erase_is_crypto_erasure,
                   store_fixture_teardown);
        g_test_add("/store/finish-interrupted-erasure", StoreFixture, NULL, store_fixture_setup, test_finish_interrupted_erasure,
                   store_fixture_teardown);
        g_test_add("/store/use-day-forgotten-on-change", StoreFixture, NULL, store_fixture_setup,
                   test_use_day_forgotten_on_change, store_fixture_teardown);
        g_test_add_func("/config/parse", test_config);
        g_test_add_func("/config/stepup", test_config_stepup);
        g_test_add_func("/config/consent", test_config_consent);
        return g_test_run();
}
