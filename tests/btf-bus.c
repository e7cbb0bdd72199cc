/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The integration fixture, part: bus name tracking and the private system bus (a real dbus-daemon). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "btf-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* ---- bus name tracking -------------------------------------------------- */

static void name_watch_clear_contents(gpointer data) {
        BtfNameWatch *w = data;

        g_clear_object(&w->connection);
        g_clear_object(&w->cancellable);
        g_clear_pointer(&w->name, g_free);
        g_clear_pointer(&w->owner, g_free);
        g_clear_error(&w->query_error);
}

static void name_watch_unref(gpointer data) {
        g_rc_box_release_full(data, name_watch_clear_contents);
}

static void name_owner_changed_cb(GDBusConnection *connection, const char *sender, const char *path,
                                  const char *interface, const char *signal, GVariant *parameters,
                                  gpointer user_data) {
        BtfNameWatch *w = user_data;
        const char *name, *old_owner, *new_owner;

        (void) connection, (void) sender, (void) path, (void) interface, (void) signal;
        if (!g_variant_is_of_type(parameters, G_VARIANT_TYPE("(sss)")))
                return;
        g_variant_get(parameters, "(&s&s&s)", &name, &old_owner, &new_owner);
        if (!w->name || !g_str_equal(name, w->name))
                return;
        g_free(w->owner);
        w->owner = new_owner[0] ? g_strdup(new_owner) : NULL;
}

static void get_name_owner_cb(GObject *source, GAsyncResult *result, gpointer user_data) {
        BtfNameWatch *w = user_data;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);

        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
                name_watch_unref(w);
                return;
        }
        g_clear_pointer(&w->owner, g_free);
        if (reply)
                g_variant_get(reply, "(s)", &w->owner);
        else if (!g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER))
                w->query_error = g_steal_pointer(&error);
        w->queried = TRUE;
        name_watch_unref(w);
}

BtfNameWatch *btf_name_watch_new(GDBusConnection *connection, const char *name) {
        BtfNameWatch *w = g_rc_box_new0(BtfNameWatch);

        w->connection = g_object_ref(connection);
        w->name = g_strdup(name);
        w->cancellable = g_cancellable_new();
        w->subscription = g_dbus_connection_signal_subscribe(
                        connection, "org.freedesktop.DBus", "org.freedesktop.DBus", "NameOwnerChanged",
                        "/org/freedesktop/DBus", name, G_DBUS_SIGNAL_FLAGS_NONE,
                        name_owner_changed_cb, g_rc_box_acquire(w), name_watch_unref);
        g_dbus_connection_call(connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                               "org.freedesktop.DBus", "GetNameOwner", g_variant_new("(s)", name),
                               G_VARIANT_TYPE("(s)"), G_DBUS_CALL_FLAGS_NONE, -1, w->cancellable,
                               get_name_owner_cb, g_rc_box_acquire(w));
        return w;
}

void btf_name_watch_free(BtfNameWatch *w) {
        if (!w)
                return;
        g_cancellable_cancel(w->cancellable);
        g_dbus_connection_signal_unsubscribe(w->connection, w->subscription);
        name_watch_unref(w);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtfNameWatch, btf_name_watch_free)

typedef struct {
        BtfNameWatch *w;
        gboolean want_owner;
} NameWait;

static gboolean name_wait_cond(gpointer user_data) {
        NameWait *nw = user_data;

        if (nw->w->query_error)
                return TRUE;
        return nw->w->queried && (nw->w->owner != NULL) == nw->want_owner;
}

static gboolean name_wait(GDBusConnection *connection, const char *name, gboolean want_owner,
                          int timeout_ms, char **ret_owner, GError **error) {
        g_autoptr(BtfNameWatch) w = btf_name_watch_new(connection, name);
        NameWait nw = { w, want_owner };
        GMainContext *ctx = btf_current_context();

        if (!btf_iterate_until(ctx, btf_deadline_in(timeout_ms), name_wait_cond, &nw)) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "timed out waiting for %s to %s",
                            name, want_owner ? "get an owner" : "lose its owner");
                return FALSE;
        }
        if (w->query_error) {
                g_propagate_prefixed_error(error, g_steal_pointer(&w->query_error), "GetNameOwner(%s): ", name);
                return FALSE;
        }
        if (ret_owner)
                *ret_owner = g_strdup(w->owner);
        return TRUE;
}

/* ---- private system bus ------------------------------------------------- */

static char *bus_config(const char *socket_path, const char *service_dir,
                        const char *const *include_files, const char *const *include_dirs) {
        /* (the public btf_bus_config_new() below wraps this) */
        g_autofree char *escaped_socket = g_dbus_address_escape_value(socket_path);
        g_autofree char *listen = g_strconcat("unix:path=", escaped_socket, NULL);
        GString *s = g_string_new(NULL);
        char *e;

        g_string_append(s,
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                "<!-- Written by biogate-test-fixture: a private system bus. -->\n"
                "<busconfig>\n"
                "  <type>system</type>\n");
        e = g_markup_printf_escaped("  <listen>%s</listen>\n"
                                    "  <auth>EXTERNAL</auth>\n"
                                    "  <servicedir>%s</servicedir>\n", listen, service_dir);
        g_string_append(s, e);
        g_free(e);
        /* The default policy of /usr/share/dbus-1/system.conf: deny owning
         * and calling, allow signals and requested replies, allow talking to
         * the bus driver itself. */
        g_string_append(s,
                "  <policy context=\"default\">\n"
                "    <allow user=\"*\"/>\n"
                "    <deny own=\"*\"/>\n"
                "    <deny send_type=\"method_call\"/>\n"
                "    <allow send_type=\"signal\"/>\n"
                "    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
                "    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
                "    <allow receive_type=\"method_call\"/>\n"
                "    <allow receive_type=\"method_return\"/>\n"
                "    <allow receive_type=\"error\"/>\n"
                "    <allow receive_type=\"signal\"/>\n"
                "    <allow send_destination=\"org.freedesktop.DBus\"\n"
                "           send_interface=\"org.freedesktop.DBus\"/>\n"
                "    <allow send_destination=\"org.freedesktop.DBus\"\n"
                "           send_interface=\"org.freedesktop.DBus.Introspectable\"/>\n"
                "    <allow send_destination=\"org.freedesktop.DBus\"\n"
                "           send_interface=\"org.freedesktop.DBus.Properties\"/>\n"
                "    <allow send_destination=\"org.freedesktop.DBus\"\n"
                "           send_interface=\"org.freedesktop.DBus.Containers1\"/>\n"
                "    <deny send_destination=\"org.freedesktop.DBus\"\n"
                "          send_interface=\"org.freedesktop.DBus\"\n"
                "          send_member=\"UpdateActivationEnvironment\"/>\n"
                "    <deny send_destination=\"org.freedesktop.DBus\"\n"
                "          send_interface=\"org.freedesktop.DBus.Debug.Stats\"/>\n"
                "    <deny send_destination=\"org.freedesktop.DBus\"\n"
                "          send_interface=\"org.freedesktop.systemd1.Activator\"/>\n"
                "  </policy>\n"
                "  <!-- root may monitor the bus (busctl monitor, for debugging). -->\n"
                "  <policy user=\"root\">\n"
                "    <allow send_destination=\"org.freedesktop.DBus\"\n"
                "           send_interface=\"org.freedesktop.DBus.Monitoring\"/>\n"
                "  </policy>\n");
        for (const char *const *f = include_files; f && *f; f++) {
                e = g_markup_printf_escaped("  <include>%s</include>\n", *f);
                g_string_append(s, e);
                g_free(e);
        }
        for (const char *const *d = include_dirs; d && *d; d++) {
                e = g_markup_printf_escaped("  <includedir>%s</includedir>\n", *d);
                g_string_append(s, e);
                g_free(e);
        }
        g_string_append(s, "</busconfig>\n");
        return g_string_free(s, FALSE);
}

char *btf_bus_config_new(const char *tmpdir, const char *const *include_files, const char *const *include_dirs) {
        g_autofree char *socket_path = g_build_filename(tmpdir, "system_bus_socket", NULL);
        g_autofree char *service_dir = g_build_filename(tmpdir, "services", NULL);

        return bus_config(socket_path, service_dir, include_files, include_dirs);
}

/* Reads from @fd until a newline or EOF. NULL (and *ret_eof) on EOF before
 * a newline. */
static char *read_line(int fd, gint64 deadline, gboolean *ret_eof, GError **error) {
        GString *line = g_string_new(NULL);

        *ret_eof = FALSE;
        for (;;) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                char buf[256];
                ssize_t n;
                int r = poll(&pfd, 1, btf_deadline_remaining_ms(deadline));

                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        int e = errno;
                        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "poll: %s", g_strerror(e));
                        break;
                }
                if (r == 0) {
                        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "timed out");
                        break;
                }
                n = read(fd, buf, sizeof buf);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int e = errno;
                        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "read: %s", g_strerror(e));
                        break;
                }
                if (n == 0) {
                        *ret_eof = TRUE;
                        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED, "end of file");
                        break;
                }
                g_string_append_len(line, buf, n);
                if (strchr(line->str, '\n')) {
                        *strchr(line->str, '\n') = '\0';
                        return g_string_free(line, FALSE);
                }
        }
        g_string_free(line, TRUE);
        return NULL;
}

typedef struct {
        GDBusConnection *connection;
        GError *error;
        gboolean done;
} ConnectWait;

static void connect_cb(GObject *source, GAsyncResult *result, gpointer user_data) {
        ConnectWait *cw = user_data;

        (void) source;
        cw->connection = g_dbus_connection_new_for_address_finish(result, &cw->error);
        cw->done = TRUE;
}

static gboolean connect_wait_cond(gpointer user_data) {
        return ((ConnectWait *) user_data)->done;
}

static GDBusConnection *bus_connect(const char *address, GError **error) {
        ConnectWait cw = { 0 };
        g_autoptr(GCancellable) cancellable = g_cancellable_new();
        GMainContext *ctx = btf_current_context();

        g_dbus_connection_new_for_address(address,
                                          G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                          G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                          NULL, cancellable, connect_cb, &cw);
        if (!btf_iterate_until(ctx, btf_deadline_in(BTF_TIMEOUT_DEFAULT), connect_wait_cond, &cw)) {
                /* The callback still runs (with CANCELLED); wait for it,
                 * since cw lives on this stack. */
                g_cancellable_cancel(cancellable);
                while (!cw.done)
                        g_main_context_iteration(ctx, TRUE);
                g_clear_object(&cw.connection);
                g_clear_error(&cw.error);
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "timed out connecting to %s", address);
                return NULL;
        }
        if (cw.error) {
                g_propagate_prefixed_error(error, cw.error, "connecting to %s: ", address);
                return NULL;
        }
        return cw.connection;
}

static void bus_fail_message(BtfBus *bus) {
        btf_test_message_file_tail(bus->log_path, "dbus-daemon", BTF_LOG_TAIL_LINES);
}

BtfBus *btf_bus_start_full(const char *tmpdir,
                           const char *const *include_files,
                           const char *const *include_dirs,
                           GError **error) {
        g_autoptr(BtfBus) bus = g_new0(BtfBus, 1);
        g_autofree char *service_dir = g_build_filename(tmpdir, "services", NULL);
        g_autofree char *config = NULL;
        g_autofree char *config_arg = NULL;
        g_autofree char *line = NULL;
        g_autoptr(GError) local_error = NULL;
        struct sockaddr_un sa;
        gint64 deadline = btf_deadline_in(BTF_TIMEOUT_DEFAULT);
        gboolean eof;
        int pipe_fds[2], log_fd;
        GPid pid;

        g_return_val_if_fail(tmpdir, NULL);

        bus->tmpdir = g_strdup(tmpdir);
        bus->config_path = g_build_filename(tmpdir, "bus.conf", NULL);
        bus->socket_path = g_build_filename(tmpdir, "system_bus_socket", NULL);
        bus->log_path = g_build_filename(tmpdir, "dbus-daemon.log", NULL);

        if (strlen(bus->socket_path) >= sizeof sa.sun_path) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG,
                            "socket path %s is too long for AF_UNIX", bus->socket_path);
                return NULL;
        }
        if (g_mkdir_with_parents(service_dir, 0755) < 0) {
                int e = errno;
                g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "mkdir %s: %s", service_dir, g_strerror(e));
                return NULL;
        }
        config = bus_config(bus->socket_path, service_dir, include_files, include_dirs);
        if (!g_file_set_contents(bus->config_path, config, -1, error))
                return NULL;

        log_fd = open(bus->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (log_fd < 0) {
                int e = errno;
                g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "open %s: %s", bus->log_path, g_strerror(e));
                return NULL;
        }
        if (!g_unix_open_pipe(pipe_fds, FD_CLOEXEC, error)) {
                close(log_fd);
                return NULL;
        }
        pipe_fds[1] = btf_fd_move_high(pipe_fds[1]);

        config_arg = g_strconcat("--config-file=", bus->config_path, NULL);
        {
                const char *argv[] = { "dbus-daemon", config_arg, "--nofork", "--nopidfile",
                                       "--print-address=3", NULL };
                g_auto(GStrv) envp = g_get_environ();
                gboolean ok = btf_spawn_child(argv, (const char *const *) envp, log_fd, log_fd,
                                              pipe_fds[1], 3, &pid, NULL, NULL, error);

                close(log_fd);
                close(pipe_fds[1]);
                if (!ok) {
                        close(pipe_fds[0]);
                        return NULL;
                }
        }
        btf_child_watch(&bus->child, btf_current_context(), pid);

        /* dbus-daemon prints its address once it listens. EOF first means it
         * died (its copy of the pipe is our only writer). */
        line = read_line(pipe_fds[0], deadline, &eof, &local_error);
        close(pipe_fds[0]);
        if (!line) {
                if (eof && btf_child_wait(&bus->child, deadline)) {
                        g_autofree char *st = btf_wait_status_describe(bus->child.wait_status);
                        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                                    "dbus-daemon %s before printing its address (see %s)", st, bus->log_path);
                } else
                        g_set_error(error, G_IO_ERROR,
                                    g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)
                                            ? G_IO_ERROR_TIMED_OUT : G_IO_ERROR_FAILED,
                                    "reading dbus-daemon's address: %s", local_error->message);
                bus_fail_message(bus);
                return NULL;
        }
        bus->address = g_strstrip(g_steal_pointer(&line));
        if (!g_str_has_prefix(bus->address, "unix:")) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "dbus-daemon printed an odd address \"%s\"",
                            bus->address);
                return NULL;
        }

        /* Clients running as other users connect too; the policy, not the
         * socket mode, decides what they may do. */
        if (chmod(bus->socket_path, 0666) < 0) {
                int e = errno;
                g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "chmod %s: %s", bus->socket_path, g_strerror(e));
                return NULL;
        }

        bus->saved_address = g_strdup(g_getenv("DBUS_SYSTEM_BUS_ADDRESS"));
        g_setenv("DBUS_SYSTEM_BUS_ADDRESS", bus->address, TRUE);
        bus->env_set = TRUE;

        bus->connection = bus_connect(bus->address, error);
        if (!bus->connection) {
                bus_fail_message(bus);
                return NULL;
        }
        g_test_message("private system bus: pid %d, %s", (int) pid, bus->address);
        return g_steal_pointer(&bus);
}

BtfBus *btf_bus_start(const char *tmpdir, const char *policy_file, GError **error) {
        const char *files[] = { policy_file, NULL };

        return btf_bus_start_full(tmpdir, files, NULL, error);
}

static void bus_restore_env(BtfBus *bus) {
        if (!bus->env_set)
                return;
        if (bus->saved_address)
                g_setenv("DBUS_SYSTEM_BUS_ADDRESS", bus->saved_address, TRUE);
        else
                g_unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
        bus->env_set = FALSE;
}

gboolean btf_bus_stop(BtfBus *bus, int *ret_wait_status, GError **error) {
        gboolean ok = TRUE;

        if (!bus)
                return TRUE;

        if (bus->connection) {
                /* Asynchronous: nothing to wait for, the bus is going away. */
                g_dbus_connection_close(bus->connection, NULL, NULL, NULL);
                g_clear_object(&bus->connection);
        }
        if (bus->child.ctx) {
                btf_child_kill(&bus->child, SIGTERM);
                if (!btf_child_wait(&bus->child, btf_deadline_in(BTF_TIMEOUT_DEFAULT))) {
                        g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                    "dbus-daemon (pid %d) did not exit on SIGTERM", (int) bus->child.pid);
                        bus_fail_message(bus);
                        ok = FALSE;
                } else if (ret_wait_status)
                        *ret_wait_status = bus->child.wait_status;
                btf_child_clear(&bus->child);
        }
        bus_restore_env(bus);

        g_free(bus->tmpdir);
        g_free(bus->config_path);
        g_free(bus->socket_path);
        g_free(bus->log_path);
        g_free(bus->address);
        g_free(bus->saved_address);
        g_free(bus);
        return ok;
}

void btf_bus_free(BtfBus *bus) {
        g_autoptr(GError) error = NULL;

        if (!btf_bus_stop(bus, NULL, &error))
                g_test_message("stopping the bus: %s", error->message);
}

GDBusConnection *btf_bus_get_connection(BtfBus *bus) {
        return bus->connection;
}

GDBusConnection *btf_bus_connect(BtfBus *bus, GError **error) {
        return bus_connect(bus->address, error);
}

const char *btf_bus_get_address(BtfBus *bus) {
        return bus->address;
}

const char *btf_bus_get_socket_path(BtfBus *bus) {
        return bus->socket_path;
}

const char *btf_bus_get_tmpdir(BtfBus *bus) {
        return bus->tmpdir;
}

GPid btf_bus_get_pid(BtfBus *bus) {
        return bus->child.pid;
}

gboolean btf_bus_wait_name(BtfBus *bus, const char *name, int timeout_ms,
                           char **ret_owner, GError **error) {
        return name_wait(bus->connection, name, TRUE, timeout_ms, ret_owner, error);
}

gboolean btf_bus_wait_name_gone(BtfBus *bus, const char *name, int timeout_ms, GError **error) {
        return name_wait(bus->connection, name, FALSE, timeout_ms, NULL, error);
}
