/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "security-fixture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char security_policy[] =
        "[rule denied-payee]\n"
        "payee=Sanctioned*\n"
        "require=deny\n"
        "\n"
        "[rule withdrawals]\n"
        "kind=withdrawal;transfer\n"
        "currency=USD\n"
        "amount_min=10000.00\n"
        "require=fingerprint\n"
        "\n"
        "[rule small-usd]\n"
        "currency=USD\n"
        "amount_max=10000.00\n"
        "require=none\n"
        "\n"
        "[default]\n"
        "require=fingerprint\n";

GDBusNodeInfo *security_api_new(void) {
        g_autoptr(GError) error = NULL;
        g_autofree char *xml = NULL;
        GDBusNodeInfo *node;

        if (!g_file_get_contents(BIOGATE_API_XML, &xml, NULL, &error))
                g_error("reading the API: %s", error->message);
        node = g_dbus_node_info_new_for_xml(xml, &error);
        if (!node)
                g_error("parsing %s: %s", BIOGATE_API_XML, error->message);
        return node;
}

gboolean security_method_names_user(const GDBusMethodInfo *method) {
        for (guint i = 0; method->in_args && method->in_args[i]; i++)
                if (g_str_equal(method->in_args[i]->name, "user"))
                        return TRUE;
        return FALSE;
}

void security_start_daemon(Fixture *f, const char *const *extra_env) {
        g_autofree char *dir = g_build_filename(f->tmp, "policy.d", NULL);
        g_autofree char *path = g_build_filename(dir, "50-test.conf", NULL);
        g_autofree char *dir_arg = g_strdup_printf("--policy-dir=%s", dir);
        g_autofree char *vendor_arg = g_strdup_printf("--vendor-policy=%s/none.conf", f->tmp);
        const char *args[] = { dir_arg, vendor_arg, NULL };

        /* A restart keeps the policy a test may have changed. */
        if (!g_file_test(path, G_FILE_TEST_EXISTS))
                g_free(fixture_write_policy(f, "50-test.conf", security_policy));
        fixture_start_daemon_full(f, extra_env, args);
}

void security_setup(Fixture *f, gconstpointer data) {
        fixture_prepare(f, data);
        security_start_daemon(f, NULL);
}

GDBusConnection *security_connect_as(Fixture *f, uid_t uid, gid_t gid) {
        g_autoptr(GError) error = NULL;
        GDBusConnection *conn;

        /* Real and effective ids both: GDBus names getuid() in AUTH
         * EXTERNAL, and the bus checks that against the socket's
         * credentials. The saved uid stays 0, so the way back is open. */
        g_assert_cmpint(setresgid(gid, gid, 0), ==, 0);
        g_assert_cmpint(setresuid(uid, uid, 0), ==, 0);
        conn = g_dbus_connection_new_for_address_sync(btf_bus_get_address(f->bus),
                                                      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                      G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                      NULL, NULL, &error);
        g_assert_cmpint(setresuid(0, 0, 0), ==, 0);
        g_assert_cmpint(setresgid(0, 0, 0), ==, 0);
        g_assert_no_error(error);
        return conn;
}

/* ---- /proc/PID ---- */

static guint count_entries(const char *path) {
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
        guint n = 0;

        g_assert_nonnull(dir);
        while (g_dir_read_name(dir))
                n++;
        return n;
}

void proc_stats(pid_t pid, ProcStats *ret) {
        g_autofree char *fd_dir = g_strdup_printf("/proc/%d/fd", (int) pid);
        g_autofree char *task_dir = g_strdup_printf("/proc/%d/task", (int) pid);
        g_autofree char *status_path = g_strdup_printf("/proc/%d/status", (int) pid);
        g_autofree char *status = NULL;
        const char *rss;

        /* Our own listing of /proc/self/fd holds one descriptor itself. */
        ret->n_fds = count_entries(fd_dir) - (pid == getpid() ? 1 : 0);
        ret->n_threads = count_entries(task_dir);
        g_assert_true(g_file_get_contents(status_path, &status, NULL, NULL));
        rss = strstr(status, "\nVmRSS:");
        g_assert_nonnull(rss);
        ret->rss_kib = g_ascii_strtoull(rss + strlen("\nVmRSS:"), NULL, 10);
}

guint64 proc_status_kib(pid_t pid, const char *field) {
        g_autofree char *status_path = g_strdup_printf("/proc/%d/status", (int) pid);
        g_autofree char *needle = g_strdup_printf("\n%s:", field);
        g_autofree char *status = NULL;
        const char *line;

        g_assert_true(g_file_get_contents(status_path, &status, NULL, NULL));
        line = strstr(status, needle);
        if (!line)
                g_error("%s has no %s line", status_path, field);
        return g_ascii_strtoull(line + strlen(needle), NULL, 10);
}

static char *fd_target(pid_t pid, const char *fd) {
        g_autofree char *link = g_strdup_printf("/proc/%d/fd/%s", (int) pid, fd);
        char *target = g_file_read_link(link, NULL);

        return target ? target : g_strdup("?");
}

char **proc_fds_without_cloexec(pid_t pid) {
        g_autofree char *fd_dir = g_strdup_printf("/proc/%d/fd", (int) pid);
        g_autoptr(GDir) dir = g_dir_open(fd_dir, 0, NULL);
        g_autoptr(GPtrArray) found = g_ptr_array_new();
        const char *name;

        g_assert_nonnull(dir);
        while ((name = g_dir_read_name(dir))) {
                g_autofree char *info_path = g_strdup_printf("/proc/%d/fdinfo/%s", (int) pid, name);
                g_autofree char *info = NULL;
                const char *flags;
                guint64 value;

                if (atoi(name) <= 2)
                        continue; /* stdio: inherited from the service manager */
                /* Closed since the listing: nothing to check. */
                if (!g_file_get_contents(info_path, &info, NULL, NULL))
                        continue;
                flags = strstr(info, "flags:");
                g_assert_nonnull(flags);
                value = g_ascii_strtoull(flags + strlen("flags:"), NULL, 8);
                if (!(value & O_CLOEXEC)) {
                        g_autofree char *target = fd_target(pid, name);
                        g_ptr_array_add(found, g_strdup_printf("%s -> %s (flags 0%" G_GINT64_MODIFIER "o)", name,
                                                               target, value));
                }
        }
        g_ptr_array_add(found, NULL);
        return (char **) g_ptr_array_free(g_steal_pointer(&found), FALSE);
}

static int compare_strings(gconstpointer a, gconstpointer b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

char *proc_describe_fds(pid_t pid) {
        g_autofree char *fd_dir = g_strdup_printf("/proc/%d/fd", (int) pid);
        g_autoptr(GDir) dir = g_dir_open(fd_dir, 0, NULL);
        g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
        const char *name;

        g_assert_nonnull(dir);
        while ((name = g_dir_read_name(dir))) {
                g_autofree char *target = fd_target(pid, name);
                g_ptr_array_add(lines, g_strdup_printf("%s -> %s", name, target));
        }
        g_ptr_array_sort(lines, compare_strings);
        g_ptr_array_add(lines, NULL);
        return g_strjoinv("; ", (char **) lines->pdata);
}

static gboolean set_flag(gpointer user_data) {
        *(gboolean *) user_data = TRUE;
        return G_SOURCE_REMOVE;
}

void iterate_for(guint ms) {
        gboolean done = FALSE;

        g_timeout_add(ms, set_flag, &done);
        while (!done)
                g_main_context_iteration(NULL, TRUE);
}
