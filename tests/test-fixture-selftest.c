/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Checks biogate-test-fixture against real dbus-daemon, setpriv and busctl,
 * a fake sensor socket served by a thread, and a fake biogated (this very
 * binary, re-executed with BTF_SELFTEST_FAKE_DAEMON=1) that owns
 * org.biogate1 and emits Operation signals. Needs root (setpriv). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "biogate-test-fixture.h"

#include "biogate-bus.h"

#include <errno.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define NOBODY 65534
#define SHORT_MS 250

/* ---- the fake daemon ---------------------------------------------------- */

static const char fake_introspection[] =
        "<node>"
        "  <interface name='org.biogate1.Manager'>"
        "    <method name='Enroll'>"
        "      <arg name='user' type='s' direction='in'/>"
        "      <arg name='finger' type='s' direction='in'/>"
        "      <arg name='options' type='a{sv}' direction='in'/>"
        "      <arg name='operation' type='o' direction='out'/>"
        "    </method>"
        "  </interface>"
        "</node>";

#define FAKE_OP_PATH BIOGATE_OPERATION_PATH_BASE "/1"

static void fake_emit(GDBusConnection *c, const char *dest, const char *signal, const char *name,
                      GVariant *details) {
        g_autoptr(GError) error = NULL;

        if (!details)
                details = g_variant_new("a{sv}", NULL);
        /* Unicast to the owner, as the real daemon does. */
        if (!g_dbus_connection_emit_signal(c, dest, FAKE_OP_PATH, BIOGATE_OPERATION_INTERFACE, signal,
                                           g_variant_new("(s@a{sv})", name, details), &error))
                g_printerr("fake: emit: %s\n", error->message);
}

static GVariant *stage_details(guint stage) {
        GVariantDict d;

        g_variant_dict_init(&d, NULL);
        g_variant_dict_insert(&d, "stage", "u", stage);
        g_variant_dict_insert(&d, "stages", "u", 3u);
        return g_variant_dict_end(&d);
}

static void fake_method_call(GDBusConnection *c, const char *sender, const char *path, const char *iface,
                             const char *method, GVariant *params, GDBusMethodInvocation *inv,
                             gpointer user_data) {
        (void) path, (void) iface, (void) method, (void) params, (void) user_data;

        /* One signal before the reply: a client must not lose it. */
        fake_emit(c, sender, "Progress", "finger-needed", NULL);
        g_dbus_method_invocation_return_value(inv, g_variant_new("(o)", FAKE_OP_PATH));
        for (guint stage = 1; stage <= 3; stage++) {
                fake_emit(c, sender, "Progress", "stage-passed", stage_details(stage));
                if (stage < 3)
                        fake_emit(c, sender, "Progress", "finger-needed", NULL);
        }
        fake_emit(c, sender, "Finished", "completed", NULL);
        /* A signal for another path on the same interface: bound watchers
         * must ignore it. */
        (void) g_dbus_connection_emit_signal(c, sender, BIOGATE_OPERATION_PATH_BASE "/2",
                                             BIOGATE_OPERATION_INTERFACE, "Finished",
                                             g_variant_new("(s@a{sv})", "cancelled",
                                                           g_variant_new("a{sv}", NULL)), NULL);
}

static gboolean fake_quit_cb(gpointer user_data) {
        g_main_loop_quit(user_data);
        return G_SOURCE_REMOVE;
}

static int fake_daemon_main(int argc, char **argv) {
        static const GDBusInterfaceVTable vtable = { .method_call = fake_method_call };
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusConnection) c = NULL;
        g_autoptr(GDBusNodeInfo) info = NULL;
        g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
        g_autoptr(GVariant) reply = NULL;

        for (int i = 1; i < argc; i++)
                if (!g_str_equal(argv[i], "--no-idle-exit") && !g_str_equal(argv[i], "--verbose") &&
                    !g_str_has_prefix(argv[i], "--state-dir=") && !g_str_has_prefix(argv[i], "--consent-notice=") &&
                    !g_str_has_prefix(argv[i], "--vendor-consent-notice=")) {
                        g_printerr("fake biogated: unknown option %s\n", argv[i]);
                        return 2;
                }
        for (int i = 1; i < argc; i++)
                g_printerr("arg %s\n", argv[i]);
        g_printerr("env FP_VIRTUAL_DEVICE=%s\n", g_getenv("FP_VIRTUAL_DEVICE"));
        g_printerr("env FP_DRIVERS_WHITELIST=%s\n", g_getenv("FP_DRIVERS_WHITELIST"));
        g_printerr("env FP_DRIVERS_ALLOWLIST=%s\n", g_getenv("FP_DRIVERS_ALLOWLIST"));
        g_printerr("env G_DEBUG=%s\n", g_getenv("G_DEBUG"));

        if (g_getenv("FAKE_EXIT_AT_ONCE"))
                return 1;

        c = g_dbus_connection_new_for_address_sync(g_getenv("DBUS_SYSTEM_BUS_ADDRESS"),
                                                   G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                   G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                   NULL, NULL, &error);
        if (!c) {
                g_printerr("fake biogated: %s\n", error->message);
                return 1;
        }
        info = g_dbus_node_info_new_for_xml(fake_introspection, &error);
        g_assert_no_error(error);
        g_dbus_connection_register_object(c, BIOGATE_OBJECT_PATH, info->interfaces[0], &vtable,
                                          NULL, NULL, &error);
        g_assert_no_error(error);
        g_unix_signal_add(SIGTERM, fake_quit_cb, loop);

        if (!g_getenv("FAKE_NO_NAME")) {
                reply = g_dbus_connection_call_sync(c, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                    "org.freedesktop.DBus", "RequestName",
                                                    g_variant_new("(su)", BIOGATE_BUS_NAME, 4u /* DO_NOT_QUEUE */),
                                                    G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                                    &error);
                if (!reply) {
                        g_printerr("fake biogated: RequestName: %s\n", error->message);
                        return 1;
                }
        }
        g_printerr("fake biogated: running\n");
        g_main_loop_run(loop);
        g_printerr("fake biogated: SIGTERM, bye\n");
        return 0;
}

/* ---- shared setup ------------------------------------------------------- */

static char *self_exe;

typedef struct {
        char *tmpdir;
        char *policy;
        BtfBus *bus;
} Fixture;

static const char test_policy[] =
        "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
        " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
        "<busconfig>\n"
        "  <policy user=\"root\">\n"
        "    <allow own=\"org.biogate1\"/>\n"
        "    <allow own=\"org.biogate1.Test\"/>\n"
        "    <allow send_destination=\"org.biogate1\"/>\n"
        "    <allow send_destination=\"org.biogate1.Test\"/>\n"
        "  </policy>\n"
        "</busconfig>\n";

static void fixture_setup(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;

        (void) data;
        f->tmpdir = btf_tmpdir_new();
        f->policy = g_build_filename(f->tmpdir, "test-policy.conf", NULL);
        g_assert_true(g_file_set_contents(f->policy, test_policy, -1, &error));
        g_assert_no_error(error);
        f->bus = btf_bus_start(f->tmpdir, f->policy, &error);
        g_assert_no_error(error);
        g_assert_nonnull(f->bus);
}

static void fixture_teardown(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        int status = -1;

        (void) data;
        g_assert_true(btf_bus_stop(f->bus, &status, &error));
        g_assert_no_error(error);
        btf_assert_exit_code(status, 0);
        btf_tmpdir_remove(f->tmpdir);
        g_free(f->policy);
        g_free(f->tmpdir);
}

static gint64 elapsed_ms(gint64 since) {
        return (g_get_monotonic_time() - since) / 1000;
}

#define assert_deadline(start, ms) G_STMT_START {       \
        gint64 _el = elapsed_ms(start);                 \
        g_assert_cmpint(_el, >=, (ms) - 1);             \
        g_assert_cmpint(_el, <, (ms) + 3000);           \
} G_STMT_END

/* ---- tmpdir ------------------------------------------------------------- */

static void test_tmpdir(void) {
        g_autofree char *dir = btf_tmpdir_new();
        g_autofree char *sub = g_build_filename(dir, "a", "b", NULL);
        g_autofree char *file = g_build_filename(sub, "f", NULL);
        g_autofree char *link = g_build_filename(dir, "link", NULL);
        struct stat st;

        g_assert_cmpint(stat(dir, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 07777, ==, 0755);
        g_assert_cmpint(g_mkdir_with_parents(sub, 0700), ==, 0);
        g_assert_true(g_file_set_contents(file, "x", -1, NULL));
        g_assert_cmpint(chmod(file, 0400), ==, 0);
        /* A symlink out of the tree must be removed, not followed. */
        g_assert_cmpint(symlink("/etc", link), ==, 0);
        btf_tmpdir_remove(dir);
        g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
        g_assert_true(g_file_test("/etc/passwd", G_FILE_TEST_EXISTS));
        btf_tmpdir_remove(NULL);
}

/* ---- bus ---------------------------------------------------------------- */

static char *bus_id(GDBusConnection *c) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(c, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                            "org.freedesktop.DBus", "GetId", NULL,
                                                            G_VARIANT_TYPE("(s)"), G_DBUS_CALL_FLAGS_NONE,
                                                            5000, NULL, &error);
        char *id;

        g_assert_no_error(error);
        g_variant_get(r, "(s)", &id);
        return id;
}

static void test_bus_start_stop(Fixture *f, gconstpointer data) {
        g_autofree char *id = NULL;
        g_autofree char *config = NULL;
        struct stat st;

        (void) data;
        g_assert_cmpstr(g_getenv("DBUS_SYSTEM_BUS_ADDRESS"), ==, btf_bus_get_address(f->bus));
        g_assert_true(g_str_has_prefix(btf_bus_get_address(f->bus), "unix:path="));
        g_assert_cmpint(stat(btf_bus_get_socket_path(f->bus), &st), ==, 0);
        g_assert_true(S_ISSOCK(st.st_mode));
        g_assert_cmpint(st.st_mode & 0777, ==, 0666);
        g_assert_cmpint(btf_bus_get_pid(f->bus), >, 0);
        g_assert_cmpstr(btf_bus_get_tmpdir(f->bus), ==, f->tmpdir);

        id = bus_id(btf_bus_get_connection(f->bus));
        g_assert_cmpuint(strlen(id), ==, 32);

        config = g_build_filename(f->tmpdir, "bus.conf", NULL);
        g_assert_true(g_file_test(config, G_FILE_TEST_IS_REGULAR));
}

static void test_bus_env_restored(void) {
        g_autofree char *tmpdir = btf_tmpdir_new();
        g_autoptr(GError) error = NULL;
        BtfBus *bus;
        int status = -1;

        g_setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent", TRUE);
        bus = btf_bus_start(tmpdir, NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(g_getenv("DBUS_SYSTEM_BUS_ADDRESS"), !=, "unix:path=/nonexistent");
        g_assert_true(btf_bus_stop(bus, &status, &error));
        g_assert_no_error(error);
        btf_assert_exit_code(status, 0);
        g_assert_cmpstr(g_getenv("DBUS_SYSTEM_BUS_ADDRESS"), ==, "unix:path=/nonexistent");
        g_unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
        btf_tmpdir_remove(tmpdir);
}

static void test_bus_bad_policy(void) {
        g_autofree char *tmpdir = btf_tmpdir_new();
        g_autofree char *missing = g_build_filename(tmpdir, "missing.conf", NULL);
        g_autoptr(GError) error = NULL;
        g_autofree char *saved = g_strdup(g_getenv("DBUS_SYSTEM_BUS_ADDRESS"));
        BtfBus *bus;

        /* dbus-daemon refuses a missing <include>: reported, no hang. */
        bus = btf_bus_start(tmpdir, missing, &error);
        g_assert_null(bus);
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_FAILED);
        g_test_message("expected error: %s", error->message);
        g_assert_cmpstr(g_getenv("DBUS_SYSTEM_BUS_ADDRESS"), ==, saved);
        btf_tmpdir_remove(tmpdir);
}

static void test_run_as(Fixture *f, gconstpointer data) {
        const char *const getid[] = { "busctl", "--system", "call", "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                      "org.freedesktop.DBus", "GetId", NULL };
        const char *const whoami[] = { "sh", "-c", "id -u; id -g; id -G", NULL };
        const char *const denied[] = { "busctl", "--system", "call", "org.biogate1.Test", "/",
                                       "org.biogate1.Test", "Ping", NULL };
        g_autoptr(GError) error = NULL;
        g_autofree char *out = NULL, *err = NULL, *id = NULL, *expected = NULL;
        g_autoptr(GVariant) reply = NULL;
        int status = -1;

        (void) data;
        g_assert_true(btf_run_as(NOBODY, NOBODY, getid, &out, &err, &status, &error));
        g_assert_no_error(error);
        btf_assert_exit_code(status, 0);
        id = bus_id(btf_bus_get_connection(f->bus));
        expected = g_strdup_printf("s \"%s\"\n", id);
        g_assert_cmpstr(out, ==, expected);
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);

        g_assert_true(btf_run_as(NOBODY, NOBODY, whoami, &out, NULL, &status, &error));
        g_assert_no_error(error);
        btf_assert_exit_code(status, 0);
        g_assert_cmpstr(out, ==, "65534\n65534\n65534\n");
        g_clear_pointer(&out, g_free);

        /* The included policy is in force: root may own org.biogate1.Test
         * (the default policy denies every name)... */
        reply = g_dbus_connection_call_sync(btf_bus_get_connection(f->bus), "org.freedesktop.DBus",
                                            "/org/freedesktop/DBus", "org.freedesktop.DBus", "RequestName",
                                            g_variant_new("(su)", "org.biogate1.Test", 4u), G_VARIANT_TYPE("(u)"),
                                            G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
        g_assert_no_error(error);
        /* ... and nobody may not call it: the bus answers AccessDenied. */
        g_assert_true(btf_run_as(NOBODY, NOBODY, denied, &out, &err, &status, &error));
        g_assert_no_error(error);
        g_assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        g_test_message("busctl as nobody: %s", err);
        g_assert_nonnull(strstr(err, "ccess denied"));
}

static void request_name_cb(GObject *source, GAsyncResult *res, gpointer user_data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);

        g_assert_no_error(error);
        *(gboolean *) user_data = TRUE;
}

static void test_bus_wait_name(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusConnection) other = btf_bus_connect(f->bus, &error);
        g_autofree char *owner = NULL;
        gboolean replied = FALSE;
        gint64 start;

        (void) data;
        g_assert_no_error(error);
        g_dbus_connection_call(other, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "RequestName", g_variant_new("(su)", "org.biogate1.Test", 4u),
                               G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, 5000, NULL, request_name_cb, &replied);
        g_assert_true(btf_bus_wait_name(f->bus, "org.biogate1.Test", BTF_TIMEOUT_DEFAULT, &owner, &error));
        g_assert_no_error(error);
        g_assert_cmpstr(owner, ==, g_dbus_connection_get_unique_name(other));
        /* The owner change may be seen before the reply: let it land (the
         * call has its own 5 s timeout) before closing. */
        while (!replied)
                g_main_context_iteration(NULL, TRUE);

        g_assert_true(g_dbus_connection_close_sync(other, NULL, &error));
        g_assert_no_error(error);
        g_assert_true(btf_bus_wait_name_gone(f->bus, "org.biogate1.Test", BTF_TIMEOUT_DEFAULT, &error));
        g_assert_no_error(error);

        start = g_get_monotonic_time();
        g_assert_false(btf_bus_wait_name(f->bus, "org.biogate1.Never", SHORT_MS, NULL, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
        assert_deadline(start, SHORT_MS);
}

/* ---- processes ---------------------------------------------------------- */

static void test_proc(void) {
        const char *const argv[] = { "sh", "-c", "echo ready; echo \"$BTF_X\" >&2; exec tail -f /dev/null", NULL };
        const char *const env[] = { "BTF_X=from-env", NULL };
        const char *const exit3[] = { "sh", "-c", "echo out; exit 3", NULL };
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfProc) proc = NULL;
        g_autofree char *out = NULL;
        gint64 start;
        int status = -1;

        proc = btf_spawn_async(argv, env, &error);
        g_assert_no_error(error);
        g_assert_true(btf_proc_wait_output(proc, BTF_STDOUT, "ready\n", BTF_TIMEOUT_DEFAULT, &error));
        g_assert_no_error(error);
        g_assert_true(btf_proc_wait_output(proc, BTF_STDERR, "from-env", BTF_TIMEOUT_DEFAULT, &error));
        g_assert_no_error(error);

        start = g_get_monotonic_time();
        g_assert_false(btf_proc_wait(proc, SHORT_MS, &status, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
        assert_deadline(start, SHORT_MS);
        g_clear_error(&error);
        g_assert_false(btf_proc_has_exited(proc));

        btf_proc_kill(proc, SIGTERM);
        g_assert_true(btf_proc_wait(proc, BTF_TIMEOUT_DEFAULT, &status, &error));
        g_assert_no_error(error);
        btf_assert_signaled(status, SIGTERM);
        g_assert_cmpstr(btf_proc_get_stdout(proc), ==, "ready\n");
        g_assert_cmpstr(btf_proc_get_stderr(proc), ==, "from-env\n");

        /* Output that never comes, on a stream that ends: fails early. */
        g_assert_false(btf_proc_wait_output(proc, BTF_STDOUT, "never", BTF_TIMEOUT_DEFAULT, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_FAILED);
        g_clear_error(&error);

        g_assert_true(btf_run(exit3, NULL, &out, NULL, &status, &error));
        g_assert_no_error(error);
        btf_assert_exit_code(status, 3);
        g_assert_cmpstr(out, ==, "out\n");
}

static void test_proc_as_killed_on_free(void) {
        const char *const argv[] = { "sh", "-c", "id -u; exec tail -f /dev/null", NULL };
        g_autoptr(GError) error = NULL;
        BtfProc *proc = btf_spawn_async_as(NOBODY, NOBODY, argv, NULL, &error);
        GPid pid;

        g_assert_no_error(error);
        g_assert_true(btf_proc_wait_output(proc, BTF_STDOUT, "65534\n", BTF_TIMEOUT_DEFAULT, &error));
        g_assert_no_error(error);
        pid = btf_proc_get_pid(proc);
        btf_proc_free(proc);
        /* Reaped: the PID is gone (or reused, but not by a child of ours). */
        g_assert_cmpint(waitpid(pid, NULL, WNOHANG), ==, -1);
        g_assert_cmpint(errno, ==, ECHILD);
}

/* ---- vdev: a fake sensor socket ----------------------------------------- */

typedef enum {
        SERVER_NORMAL,          /* read the command to EOF, reply, close */
        SERVER_HOLD,            /* read, then keep the connection until told */
} ServerMode;

typedef struct {
        char *path;
        int listen_fd;
        ServerMode mode;
        GMutex lock;
        GCond cond;
        GPtrArray *commands;    /* what the server read */
        gboolean saw_eof;       /* the client shut down its writing side */
        gboolean release;       /* HOLD: close now */
        guint n_accept;
        GThread *thread;
} FakeSensor;

static gpointer fake_sensor_thread(gpointer user_data) {
        FakeSensor *s = user_data;

        for (guint i = 0; i < s->n_accept; i++) {
                GString *cmd = g_string_new(NULL);
                int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
                char buf[256];
                ssize_t n;

                g_assert_cmpint(fd, >=, 0);
                /* The real driver reads once; reading to EOF here checks that
                 * the client sends the command alone and shuts down. */
                while ((n = read(fd, buf, sizeof buf)) > 0)
                        g_string_append_len(cmd, buf, n);
                g_mutex_lock(&s->lock);
                s->saw_eof = (n == 0);
                g_ptr_array_add(s->commands, g_string_free(cmd, FALSE));
                g_cond_broadcast(&s->cond);
                if (s->mode == SERVER_HOLD)
                        while (!s->release)
                                g_cond_wait(&s->cond, &s->lock);
                g_mutex_unlock(&s->lock);
                if (s->mode == SERVER_NORMAL) {
                        /* Two writes: the client must read to EOF. */
                        g_assert_cmpint(write(fd, "re", 2), ==, 2);
                        g_assert_cmpint(write(fd, "ply", 3), ==, 3);
                }
                close(fd);
        }
        return NULL;
}

static int bind_unix(const char *path, gboolean do_listen) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpuint(strlen(path), <, sizeof sa.sun_path);
        strcpy(sa.sun_path, path);
        g_assert_cmpint(bind(fd, (struct sockaddr *) &sa, sizeof sa), ==, 0);
        if (do_listen)
                g_assert_cmpint(listen(fd, 1), ==, 0);
        return fd;
}

static FakeSensor *fake_sensor_start(const char *dir, ServerMode mode, guint n_accept) {
        FakeSensor *s = g_new0(FakeSensor, 1);

        s->path = g_build_filename(dir, "vdev.sock", NULL);
        s->listen_fd = bind_unix(s->path, TRUE);
        s->mode = mode;
        s->n_accept = n_accept;
        s->commands = g_ptr_array_new_with_free_func(g_free);
        g_mutex_init(&s->lock);
        g_cond_init(&s->cond);
        s->thread = g_thread_new("fake-sensor", fake_sensor_thread, s);
        return s;
}

static void fake_sensor_free(FakeSensor *s) {
        g_mutex_lock(&s->lock);
        s->release = TRUE;
        g_cond_broadcast(&s->cond);
        g_mutex_unlock(&s->lock);
        if (s->thread)
                g_thread_join(s->thread);
        close(s->listen_fd);
        unlink(s->path);
        g_ptr_array_unref(s->commands);
        g_mutex_clear(&s->lock);
        g_cond_clear(&s->cond);
        g_free(s->path);
        g_free(s);
}

static void test_vdev_send(void) {
        g_autofree char *dir = btf_tmpdir_new();
        g_autoptr(GError) error = NULL;
        g_autofree char *reply = NULL;
        FakeSensor *s = fake_sensor_start(dir, SERVER_NORMAL, 3);

        g_assert_true(btf_vdev_send_full(s->path, "SCAN alice-1", BTF_TIMEOUT_DEFAULT, &reply, &error));
        g_assert_no_error(error);
        g_assert_cmpstr(reply, ==, "reply");
        g_assert_true(btf_vdev_send(s->path, "SET_ENROLL_STAGES 3", &error));
        g_assert_no_error(error);
        g_assert_true(btf_vdev_sendf(s->path, &error, "SCAN %s-%d", "bob", 2));
        g_assert_no_error(error);
        g_thread_join(g_steal_pointer(&s->thread));
        g_assert_cmpuint(s->commands->len, ==, 3);
        g_assert_cmpstr(s->commands->pdata[0], ==, "SCAN alice-1");
        g_assert_cmpstr(s->commands->pdata[1], ==, "SET_ENROLL_STAGES 3");
        g_assert_cmpstr(s->commands->pdata[2], ==, "SCAN bob-2");
        g_assert_true(s->saw_eof);
        fake_sensor_free(s);

        /* No socket: an immediate error, not a wait. */
        {
                g_autofree char *missing = g_build_filename(dir, "none.sock", NULL);
                g_assert_false(btf_vdev_send(missing, "SCAN x", &error));
                g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
                g_clear_error(&error);
        }
        btf_tmpdir_remove(dir);
}

static void test_vdev_send_deadline(void) {
        g_autofree char *dir = btf_tmpdir_new();
        g_autofree char *stale = g_build_filename(dir, "stale.sock", NULL);
        g_autoptr(GError) error = NULL;
        FakeSensor *s = fake_sensor_start(dir, SERVER_HOLD, 1);
        gint64 start = g_get_monotonic_time();
        int stale_fd;

        /* The driver never closes: the send must not return before EOF, and
         * gives up at the deadline. */
        g_assert_false(btf_vdev_send_full(s->path, "SCAN held", SHORT_MS, NULL, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
        assert_deadline(start, SHORT_MS);
        g_clear_error(&error);
        g_mutex_lock(&s->lock);
        g_assert_cmpuint(s->commands->len, ==, 1);
        g_assert_cmpstr(s->commands->pdata[0], ==, "SCAN held");
        g_mutex_unlock(&s->lock);
        fake_sensor_free(s);

        /* A socket nobody listens on: refused (after the bounded retry). */
        stale_fd = bind_unix(stale, FALSE);
        g_assert_false(btf_vdev_send(stale, "SCAN x", &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
        close(stale_fd);
        btf_tmpdir_remove(dir);
}

typedef struct {
        char *path;
        gboolean create;        /* else unlink */
        GMutex lock;
        GCond cond;
        gboolean go;
        int fd;
} PathChanger;

static gpointer path_changer_thread(gpointer user_data) {
        PathChanger *pc = user_data;

        g_mutex_lock(&pc->lock);
        while (!pc->go)
                g_cond_wait(&pc->cond, &pc->lock);
        g_mutex_unlock(&pc->lock);
        if (pc->create)
                pc->fd = bind_unix(pc->path, TRUE);
        else
                g_assert_cmpint(unlink(pc->path), ==, 0);
        return NULL;
}

/* Starts a thread that changes the path as soon as we say go, then waits:
 * whichever comes first, the check after adding the watch or the inotify
 * event must see it. */
static void run_path_change(const char *path, gboolean create, int *ret_fd) {
        g_autoptr(GError) error = NULL;
        PathChanger pc = { .path = (char *) path, .create = create, .fd = -1 };
        GThread *t;

        g_mutex_init(&pc.lock);
        g_cond_init(&pc.cond);
        t = g_thread_new("path-changer", path_changer_thread, &pc);
        g_mutex_lock(&pc.lock);
        pc.go = TRUE;
        g_cond_signal(&pc.cond);
        g_mutex_unlock(&pc.lock);
        if (create)
                g_assert_true(btf_vdev_wait_socket(path, BTF_TIMEOUT_DEFAULT, &error));
        else
                g_assert_true(btf_vdev_wait_gone(path, BTF_TIMEOUT_DEFAULT, &error));
        g_assert_no_error(error);
        g_thread_join(t);
        g_mutex_clear(&pc.lock);
        g_cond_clear(&pc.cond);
        if (ret_fd)
                *ret_fd = pc.fd;
}

static void test_vdev_wait(void) {
        g_autofree char *dir = btf_tmpdir_new();
        g_autofree char *path = g_build_filename(dir, "vdev.sock", NULL);
        g_autofree char *nodir = g_build_filename(dir, "nodir", "vdev.sock", NULL);
        g_autoptr(GError) error = NULL;
        gint64 start;
        int fd = -1;

        start = g_get_monotonic_time();
        g_assert_false(btf_vdev_wait_socket(path, SHORT_MS, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
        assert_deadline(start, SHORT_MS);
        g_clear_error(&error);

        for (int round = 0; round < 20; round++) {
                run_path_change(path, TRUE, &fd);
                /* Already there: returns at once. */
                g_assert_true(btf_vdev_wait_socket(path, 0, &error));
                g_assert_no_error(error);
                close(fd);
                run_path_change(path, FALSE, NULL);
                g_assert_true(btf_vdev_wait_gone(path, 0, &error));
                g_assert_no_error(error);
        }

        fd = bind_unix(path, TRUE);
        start = g_get_monotonic_time();
        g_assert_false(btf_vdev_wait_gone(path, SHORT_MS, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
        assert_deadline(start, SHORT_MS);
        g_clear_error(&error);
        close(fd);

        g_assert_false(btf_vdev_wait_socket(nodir, SHORT_MS, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
        g_clear_error(&error);
        btf_tmpdir_remove(dir);
}

/* ---- daemon start/stop and the operation watcher (fake daemon) ---------- */

static const char *const fake_env[] = { "BTF_SELFTEST_FAKE_DAEMON=1", NULL };

static void test_daemon_start_stop(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autofree char *state = g_build_filename(f->tmpdir, "state", NULL);
        g_autofree char *vdev = g_build_filename(f->tmpdir, "vdev.sock", NULL);
        g_autofree char *log = NULL;
        g_autofree char *expected = NULL;
        g_autofree char *first_unique = NULL;
        BtfDaemon *d;
        int status = -1;

        (void) data;
        d = btf_daemon_start(f->bus, self_exe, state, fake_env, NULL, &error);
        g_assert_no_error(error);
        g_assert_nonnull(btf_daemon_get_unique_name(d));
        g_assert_cmpstr(btf_daemon_get_vdev_path(d), ==, vdev);
        first_unique = g_strdup(btf_daemon_get_unique_name(d));

        g_assert_true(btf_daemon_stop(d, &status, &error));
        g_assert_no_error(error);
        btf_assert_exit_code(status, 0);
        log = btf_daemon_read_log(d);
        g_assert_nonnull(strstr(log, "arg --no-idle-exit\n"));
        expected = g_strdup_printf("arg --state-dir=%s\n", state);
        g_assert_nonnull(strstr(log, expected));
        g_assert_nonnull(strstr(log, "arg --verbose\n"));
        /* The build's vendor notice, never the host's site notice. */
        g_assert_nonnull(strstr(log, "arg --vendor-consent-notice=" BIOGATE_TEST_VENDOR_NOTICE "\n"));
        g_assert_nonnull(strstr(log, "/no-site-consent-notice\n"));
        g_clear_pointer(&expected, g_free);
        expected = g_strdup_printf("env FP_VIRTUAL_DEVICE=%s\n", vdev);
        g_assert_nonnull(strstr(log, expected));
        g_assert_nonnull(strstr(log, "env FP_DRIVERS_WHITELIST=virtual_device\n"));
        g_assert_nonnull(strstr(log, "env FP_DRIVERS_ALLOWLIST=virtual_device\n"));
        g_assert_nonnull(strstr(log, "env G_DEBUG=fatal-criticals\n"));
        g_assert_nonnull(strstr(log, "SIGTERM, bye"));
        btf_daemon_free(d);

        /* Restart at once (the name was released before stop returned),
         * with an override, then crash it. */
        {
                const char *const env2[] = { "BTF_SELFTEST_FAKE_DAEMON=1", "FP_VIRTUAL_DEVICE=/x/y.sock", NULL };
                d = btf_daemon_start(f->bus, self_exe, state, env2, NULL, &error);
        }
        g_assert_no_error(error);
        g_assert_cmpstr(btf_daemon_get_vdev_path(d), ==, "/x/y.sock");
        g_assert_cmpstr(btf_daemon_get_unique_name(d), !=, first_unique);
        g_assert_true(btf_daemon_kill(d, &status, &error));
        g_assert_no_error(error);
        btf_assert_signaled(status, SIGKILL);
        g_assert_true(btf_daemon_has_exited(d));
        btf_daemon_free(d);
}

static void test_daemon_refuses(Fixture *f, gconstpointer data) {
        const char *const bogus[] = { "--bogus", NULL };
        const char *const exit_env[] = { "BTF_SELFTEST_FAKE_DAEMON=1", "FAKE_EXIT_AT_ONCE=1", NULL };
        const char *const noname_env[] = { "BTF_SELFTEST_FAKE_DAEMON=1", "FAKE_NO_NAME=1", NULL };
        BtfDaemonOptions o = { .daemon_path = self_exe, .extra_env = fake_env, .extra_args = bogus };
        g_autoptr(GError) error = NULL;
        g_autofree char *log = NULL;
        BtfDaemon *d;
        gint64 start;
        int status = -1;

        (void) data;
        g_assert_true(btf_daemon_run_expect_exit(f->bus, &o, &status, &log, &error));
        g_assert_no_error(error);
        btf_assert_exit_code(status, 2);
        g_assert_nonnull(strstr(log, "unknown option --bogus"));

        /* Expected to refuse, but it starts: an error, and it is killed. */
        o.extra_args = NULL;
        g_assert_false(btf_daemon_run_expect_exit(f->bus, &o, &status, NULL, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_FAILED);
        g_clear_error(&error);
        g_assert_true(btf_bus_wait_name_gone(f->bus, BIOGATE_BUS_NAME, BTF_TIMEOUT_DEFAULT, &error));
        g_assert_no_error(error);

        /* Exits before owning the name: start fails at once. */
        d = btf_daemon_start(f->bus, self_exe, NULL, exit_env, NULL, &error);
        g_assert_null(d);
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_FAILED);
        g_test_message("expected error: %s", error->message);
        g_clear_error(&error);

        /* Never owns the name: start fails at the deadline. */
        o.extra_env = noname_env;
        o.timeout_ms = SHORT_MS;
        start = g_get_monotonic_time();
        d = btf_daemon_start_full(f->bus, &o, &error);
        g_assert_null(d);
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
        assert_deadline(start, SHORT_MS);
}

static void test_op_watch(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfDaemon) d = NULL;
        g_autoptr(GDBusConnection) c = btf_bus_connect(f->bus, &error);
        g_autoptr(BtfOp) op = NULL;
        g_autoptr(BtfOp) other = NULL;
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GVariant) details = NULL;
        g_autofree char *result = NULL;
        g_autofree char *seen = NULL;
        const char *path;
        guint32 stage;
        gint64 start;

        (void) data;
        g_assert_no_error(error);
        d = btf_daemon_start(f->bus, self_exe, NULL, fake_env, NULL, &error);
        g_assert_no_error(error);

        op = btf_op_watch_begin(c);
        other = btf_op_watch_begin(c);
        reply = g_dbus_connection_call_sync(c, BIOGATE_BUS_NAME, BIOGATE_OBJECT_PATH, BIOGATE_MANAGER_INTERFACE,
                                            "Enroll", g_variant_new("(ssa{sv})", "", "right-index-finger", NULL),
                                            G_VARIANT_TYPE("(o)"), G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
        g_assert_no_error(error);
        g_variant_get(reply, "(&o)", &path);
        g_assert_cmpstr(path, ==, FAKE_OP_PATH);
        btf_op_bind(op, path);
        g_assert_cmpstr(btf_op_get_path(op), ==, path);

        /* Stage by stage: each wait takes the next unconsumed signal,
         * including the one sent before the method reply. */
        for (guint i = 1; i <= 3; i++) {
                g_assert_true(btf_op_wait_progress(op, "finger-needed", BTF_TIMEOUT_DEFAULT, NULL, &error));
                g_assert_no_error(error);
                g_assert_true(btf_op_wait_progress(op, "stage-passed", BTF_TIMEOUT_DEFAULT, &details, &error));
                g_assert_no_error(error);
                g_assert_true(g_variant_lookup(details, "stage", "u", &stage));
                g_assert_cmpuint(stage, ==, i);
                g_clear_pointer(&details, g_variant_unref);
        }
        g_assert_true(btf_op_wait_progress_count(op, "stage-passed", 3, BTF_TIMEOUT_DEFAULT, &error));
        g_assert_no_error(error);
        g_assert_cmpuint(btf_op_count_progress(op, "finger-needed"), ==, 3);
        g_assert_cmpuint(btf_op_count_progress(op, NULL), ==, 6);
        g_assert_cmpuint(btf_op_consume_progress(op, NULL), ==, 0);     /* all taken already */

        g_assert_true(btf_op_wait_finished(op, BTF_TIMEOUT_DEFAULT, &result, NULL, &error));
        g_assert_no_error(error);
        g_assert_cmpstr(result, ==, "completed");    /* not operation/2's "cancelled" */
        g_assert_true(btf_op_is_finished(op));

        /* No fourth finger-needed will come: fails at once, not at the
         * deadline. Nor will a 4th stage. */
        start = g_get_monotonic_time();
        g_assert_false(btf_op_wait_progress(op, "finger-needed", BTF_TIMEOUT_DEFAULT, NULL, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_FAILED);
        g_test_message("expected error: %s", error->message);
        g_clear_error(&error);
        g_assert_false(btf_op_wait_progress_count(op, "stage-passed", 4, BTF_TIMEOUT_DEFAULT, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_FAILED);
        g_clear_error(&error);
        g_assert_cmpint(elapsed_ms(start), <, 1000);

        seen = btf_op_describe(op);
        g_assert_cmpstr(seen, ==,
                        "Progress(finger-needed) Progress(stage-passed) Progress(finger-needed) "
                        "Progress(stage-passed) Progress(finger-needed) Progress(stage-passed) "
                        "Finished(completed)");

        /* Unbound, the second watcher saw both operations. Bound to a path
         * that never signals, its waits end at the deadline. */
        g_assert_cmpuint(btf_op_count_progress(other, NULL), ==, 6);
        g_assert_cmpuint(btf_op_consume_progress(other, "finger-needed"), ==, 3);
        g_assert_cmpuint(btf_op_consume_progress(other, NULL), ==, 3);
        btf_op_bind(other, BIOGATE_OPERATION_PATH_BASE "/99");
        start = g_get_monotonic_time();
        g_assert_false(btf_op_wait_finished(other, SHORT_MS, NULL, NULL, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
        assert_deadline(start, SHORT_MS);
        g_clear_error(&error);
        start = g_get_monotonic_time();
        g_assert_false(btf_op_wait_progress(other, "finger-needed", SHORT_MS, NULL, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
        assert_deadline(start, SHORT_MS);
        g_clear_error(&error);

        g_assert_true(btf_daemon_stop(d, NULL, &error));
        g_assert_no_error(error);
}

int main(int argc, char **argv) {
        if (g_getenv("BTF_SELFTEST_FAKE_DAEMON"))
                return fake_daemon_main(argc, argv);

        if (geteuid() != 0) {
                /* The fixture runs clients as other uids (setpriv), which
                 * needs root. A TAP plan of none with a reason: meson reads
                 * it as a skip, where it would not read exit 77. */
                printf("1..0 # SKIP needs root (setpriv; the bus policy is checked per uid)\n");
                return 0;
        }
        g_test_init(&argc, &argv, NULL);
        self_exe = g_file_read_link("/proc/self/exe", NULL);
        g_assert_nonnull(self_exe);

        g_test_add_func("/fixture/tmpdir", test_tmpdir);
        g_test_add("/fixture/bus/start-stop", Fixture, NULL, fixture_setup, test_bus_start_stop, fixture_teardown);
        g_test_add_func("/fixture/bus/env-restored", test_bus_env_restored);
        g_test_add_func("/fixture/bus/bad-policy", test_bus_bad_policy);
        g_test_add("/fixture/bus/run-as", Fixture, NULL, fixture_setup, test_run_as, fixture_teardown);
        g_test_add("/fixture/bus/wait-name", Fixture, NULL, fixture_setup, test_bus_wait_name, fixture_teardown);
        g_test_add_func("/fixture/proc/spawn", test_proc);
        g_test_add_func("/fixture/proc/as-killed-on-free", test_proc_as_killed_on_free);
        g_test_add_func("/fixture/vdev/send", test_vdev_send);
        g_test_add_func("/fixture/vdev/send-deadline", test_vdev_send_deadline);
        g_test_add_func("/fixture/vdev/wait", test_vdev_wait);
        g_test_add("/fixture/daemon/start-stop", Fixture, NULL, fixture_setup, test_daemon_start_stop, fixture_teardown);
        g_test_add("/fixture/daemon/refuses", Fixture, NULL, fixture_setup, test_daemon_refuses, fixture_teardown);
        g_test_add("/fixture/op/watch", Fixture, NULL, fixture_setup, test_op_watch, fixture_teardown);

        return g_test_run();
}
