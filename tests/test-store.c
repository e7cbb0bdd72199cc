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
#include "biogated-store.h"

typedef struct {
        char *dir;
        BiogatedStore *store;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;

        f->dir = g_dir_make_tmp("biogate-store-XXXXXX", &error);
        g_assert_no_error(error);
        f->store = biogated_store_open(f->dir, &error);
        g_assert_no_error(error);
}

static void fixture_teardown(Fixture *f, gconstpointer data) {
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
        biogated_store_free(f->store);
        g_assert_cmpint(system(cmd), ==, 0);
        g_free(f->dir);
}

static GBytes *bytes_of(char c, gsize n) {
        guint8 *buf = g_malloc(n);
        memset(buf, c, n);
        return g_bytes_new_take(buf, n);
}

static char *print_path(Fixture *f, uid_t uid, const char *finger) {
        return g_strdup_printf("%s/prints/%u/%s", f->dir, (unsigned) uid, finger);
}

static guint count_entries(const char *dir) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        guint n = 0;
        while (d && g_dir_read_name(d))
                n++;
        return n;
}

static void test_write_read_modes(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) in = bytes_of('a', 1000), out = NULL;
        g_autofree char *path = print_path(f, 1000, "right-index-finger");
        g_autofree char *udir = g_strdup_printf("%s/prints/1000", f->dir);
        struct stat st;
        guint mask = 0;

        g_assert_true(biogated_store_write_print(f->store, 1000, BIOGATE_FINGER_RIGHT_INDEX, in, &error));
        g_assert_no_error(error);
        out = biogated_store_read_print(f->store, 1000, BIOGATE_FINGER_RIGHT_INDEX, &error);
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
static void test_write_is_atomic(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) old = bytes_of('o', 100), big = bytes_of('n', 64 * 1024), out = NULL;
        g_autofree char *udir = g_strdup_printf("%s/prints/42", f->dir);
        struct rlimit saved, small;
        void (*saved_handler)(int);

        g_assert_true(biogated_store_write_print(f->store, 42, BIOGATE_FINGER_LEFT_THUMB, old, &error));
        g_assert_no_error(error);

        g_assert_cmpint(getrlimit(RLIMIT_FSIZE, &saved), ==, 0);
        /* Only the soft limit: raising a hard limit again needs a capability. */
        small = (struct rlimit) { .rlim_cur = 4096, .rlim_max = saved.rlim_max };
        saved_handler = signal(SIGXFSZ, SIG_IGN);
        g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &small), ==, 0);
        g_assert_false(biogated_store_write_print(f->store, 42, BIOGATE_FINGER_LEFT_THUMB, big, &error));
        g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &saved), ==, 0);
        signal(SIGXFSZ, saved_handler);
        g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INTERNAL);
        g_clear_error(&error);

        out = biogated_store_read_print(f->store, 42, BIOGATE_FINGER_LEFT_THUMB, &error);
        g_assert_no_error(error);
        g_assert_true(g_bytes_equal(old, out));
        g_assert_cmpuint(count_entries(udir), ==, 1);

        /* And a successful overwrite replaces it whole. */
        g_assert_true(biogated_store_write_print(f->store, 42, BIOGATE_FINGER_LEFT_THUMB, big, &error));
        g_clear_pointer(&out, g_bytes_unref);
        out = biogated_store_read_print(f->store, 42, BIOGATE_FINGER_LEFT_THUMB, &error);
        g_assert_true(g_bytes_equal(big, out));
        g_assert_cmpuint(count_entries(udir), ==, 1);
}

static void test_symlink_not_followed(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) in = bytes_of('s', 10), out = NULL;
        g_autofree char *path = print_path(f, 7, "left-thumb");
        g_autofree char *target = g_build_filename(f->dir, "elsewhere", NULL);
        guint mask = 0;

        g_assert_true(biogated_store_write_print(f->store, 7, BIOGATE_FINGER_RIGHT_THUMB, in, &error));
        g_assert_true(g_file_set_contents(target, "not a print", -1, NULL));
        g_assert_cmpint(chmod(target, 0600), ==, 0);
        g_assert_cmpint(symlink(target, path), ==, 0);

        out = biogated_store_read_print(f->store, 7, BIOGATE_FINGER_LEFT_THUMB, &error);
        g_assert_null(out);
        g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED);
        /* A symlink is not listed as an enrolled finger either. */
        g_assert_true(biogated_store_list_fingers(f->store, 7, &mask, NULL));
        g_assert_cmpuint(mask, ==, 1u << BIOGATE_FINGER_RIGHT_THUMB);
}

static void test_bad_mode_refused(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) in = bytes_of('m', 10), out = NULL;
        g_autofree char *path = print_path(f, 8, "left-thumb");

        g_assert_true(biogated_store_write_print(f->store, 8, BIOGATE_FINGER_LEFT_THUMB, in, &error));
        g_assert_cmpint(chmod(path, 0644), ==, 0);
        out = biogated_store_read_print(f->store, 8, BIOGATE_FINGER_LEFT_THUMB, &error);
        g_assert_null(out);
        g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED);
}

static void test_delete_and_temp_leftovers(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) in = bytes_of('d', 10);
        g_autoptr(GArray) uids = NULL;
        g_autofree char *leftover = print_path(f, 9, ".#left-thumb.deadbeef");
        guint mask = 0;

        g_assert_true(biogated_store_write_print(f->store, 9, BIOGATE_FINGER_LEFT_THUMB, in, &error));
        g_assert_true(biogated_store_write_print(f->store, 9, BIOGATE_FINGER_LEFT_RING, in, &error));
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
        store = biogated_store_open(dir, &error);
        g_assert_null(store);
        g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED);
        g_assert_cmpint(system(cmd), ==, 0);
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

        const char *bad[] = {
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

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        (void) biogated_error_quark();
        g_test_add("/store/write-read-modes", Fixture, NULL, fixture_setup, test_write_read_modes, fixture_teardown);
        g_test_add("/store/write-is-atomic", Fixture, NULL, fixture_setup, test_write_is_atomic, fixture_teardown);
        g_test_add("/store/symlink-not-followed", Fixture, NULL, fixture_setup, test_symlink_not_followed, fixture_teardown);
        g_test_add("/store/bad-mode-refused", Fixture, NULL, fixture_setup, test_bad_mode_refused, fixture_teardown);
        g_test_add("/store/delete-and-temp-leftovers", Fixture, NULL, fixture_setup, test_delete_and_temp_leftovers, fixture_teardown);
        g_test_add_func("/store/open-refuses-shared-dir", test_open_refuses_shared_dir);
        g_test_add_func("/config/parse", test_config);
        return g_test_run();
}
