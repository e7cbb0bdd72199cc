/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pam-fixture.h"

static const char mount_private_bus[] =
        "mkdir -p /run/dbus && mount -t tmpfs -o mode=0755 tmpfs /run/dbus && "
        "touch /run/dbus/system_bus_socket && mount --bind \"$1\" /run/dbus/system_bus_socket && "
        "shift && exec \"$@\"";

char *pam_fixture_write_service(Fixture *f, const char *name, const char *lines) {
        g_autofree char *dir = g_build_filename(f->tmp, "pam.d", NULL);
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_autofree char *other = g_build_filename(dir, "other", NULL);

        g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
        g_assert_true(g_file_set_contents(path, lines, -1, NULL));
        g_assert_true(g_file_set_contents(other, "auth required pam_deny.so\n", -1, NULL));
        return g_steal_pointer(&dir);
}

BtfProc *pam_fixture_run_host(Fixture *f, const char *pam_dir, uid_t uid, const char *const *host_argv,
                              const char *const *extra_env) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GError) error = NULL;
        const char *preload = g_getenv("BIOGATE_TEST_PAM_PRELOAD");
        BtfProc *proc;

        g_ptr_array_add(argv, g_strdup("unshare"));
        g_ptr_array_add(argv, g_strdup("-m"));
        g_ptr_array_add(argv, g_strdup("--propagation"));
        g_ptr_array_add(argv, g_strdup("private"));
        g_ptr_array_add(argv, g_strdup("sh"));
        g_ptr_array_add(argv, g_strdup("-c"));
        g_ptr_array_add(argv, g_strdup(mount_private_bus));
        g_ptr_array_add(argv, g_strdup("sh"));
        g_ptr_array_add(argv, g_strdup(btf_bus_get_socket_path(f->bus)));
        if (uid != 0) {
                g_ptr_array_add(argv, g_strdup("setpriv"));
                g_ptr_array_add(argv, g_strdup_printf("--reuid=%u", (unsigned) uid));
                g_ptr_array_add(argv, g_strdup_printf("--regid=%u", (unsigned) uid));
                g_ptr_array_add(argv, g_strdup("--clear-groups"));
        }
        g_ptr_array_add(argv, g_strdup("env"));
        g_ptr_array_add(argv, g_strdup_printf("LD_PRELOAD=%s", preload ? preload : "libpam_wrapper.so"));
        g_ptr_array_add(argv, g_strdup("PAM_WRAPPER=1"));
        g_ptr_array_add(argv, g_strdup_printf("PAM_WRAPPER_SERVICE_DIR=%s", pam_dir));
        for (const char *const *e = extra_env; e && *e; e++)
                g_ptr_array_add(argv, g_strdup(*e));
        for (const char *const *a = host_argv; *a; a++)
                g_ptr_array_add(argv, g_strdup(*a));
        g_ptr_array_add(argv, NULL);

        proc = btf_spawn_async((const char *const *) argv->pdata, NULL, &error);
        g_assert_no_error(error);
        return proc;
}
