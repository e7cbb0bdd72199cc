/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "privacy-fixture.h"

#include <ftw.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

GVariant *privacy_user_data(GDBusConnection *conn, const char *user) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = NULL;
        GVariant *data;

        if (user)
                reply = manager_call(conn, "GetUserData", g_variant_new("(s)", user), "(a{sv})", &error);
        else
                reply = manager_call(conn, "GetMyData", NULL, "(a{sv})", &error);
        g_assert_no_error(error);
        g_variant_get(reply, "(@a{sv})", &data);
        return data;
}

static GVariant *verify_params_of(const char *user, const char *finger) {
        GVariantBuilder opts;

        g_variant_builder_init(&opts, G_VARIANT_TYPE_VARDICT);
        if (finger)
                g_variant_builder_add(&opts, "{sv}", "fingers", g_variant_new_strv(&finger, 1));
        return g_variant_new("(s@a{sv})", user, g_variant_builder_end(&opts));
}

static GVariant *verify_params(const char *finger) {
        return verify_params_of("", finger);
}

char *privacy_verify_finger(Fixture *f, const char *finger, const char *id) {
        return privacy_verify_user_finger(f, "", finger, id);
}

char *privacy_verify_user_finger(Fixture *f, const char *user, const char *finger, const char *id) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfOp) op = start_op(f->conn, "Verify", verify_params_of(user, finger), &error);
        char *result;

        g_assert_no_error(error);
        wait_finger_needed(op);
        touch(f, id);
        result = wait_finished(op, NULL);
        release(f->conn, op);
        return result;
}

char *privacy_verify_error(Fixture *f, const char *finger) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfOp) op = start_op(f->conn, "Verify", verify_params(finger), &error);

        g_assert_nonnull(error);
        return g_dbus_error_get_remote_error(error);
}

BiogatedStore *privacy_open_store(Fixture *f) {
        g_autoptr(GError) error = NULL;
        BiogatedStore *store;

        g_assert_true(btf_daemon_has_exited(f->daemon));
        g_assert_null(g_getenv("CREDENTIALS_DIRECTORY"));
        store = biogated_store_open(f->state, NULL, &error);
        g_assert_no_error(error);
        return store;
}

static void run_or_fail(const char *const *argv) {
        g_autoptr(GError) error = NULL;
        g_autofree char *err = NULL;
        int status = 0;

        g_assert_true(btf_run(argv, NULL, NULL, &err, &status, &error));
        g_assert_no_error(error);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                g_error("%s failed: %s", argv[0], err);
}

void privacy_copy_tree(const char *from, const char *to) {
        run_or_fail((const char *[]) { "cp", "-a", "--", from, to, NULL });
}

void privacy_remove_tree(const char *path) {
        run_or_fail((const char *[]) { "rm", "-rf", "--", path, NULL });
}

static gboolean found_temp;

static int check_temp(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        if (g_str_has_prefix(path + ftw->base, ".#")) {
                g_test_message("left behind: %s", path);
                found_temp = TRUE;
        }
        return 0;
}

gboolean privacy_has_temp_files(Fixture *f) {
        static const char *const store_dirs[] = { "prints", "keys", "private" };

        found_temp = FALSE;
        for (gsize i = 0; i < G_N_ELEMENTS(store_dirs); i++) {
                g_autofree char *dir = g_build_filename(f->state, store_dirs[i], NULL);
                g_assert_cmpint(nftw(dir, check_temp, 16, FTW_PHYS), ==, 0);
        }
        return found_temp;
}

GBytes *privacy_read_file(const char *path) {
        g_autoptr(GError) error = NULL;
        char *contents = NULL;
        gsize len = 0;

        if (!g_file_get_contents(path, &contents, &len, &error))
                g_error("%s", error->message);
        return g_bytes_new_take(contents, len);
}

void privacy_write_file(const char *path, const void *data, gsize size) {
        g_autoptr(GError) error = NULL;

        (void) g_unlink(path);
        if (!g_file_set_contents(path, data, (gssize) size, &error))
                g_error("%s", error->message);
        g_assert_cmpint(chmod(path, 0600), ==, 0);
}

guint privacy_log_count(Fixture *f, const char *needle) {
        return fixture_log_count(f, needle);
}

void privacy_setup_no_daemon(Fixture *f, gconstpointer data) {
        fixture_prepare(f, data);
}
