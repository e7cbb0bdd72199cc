/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The integration fixture, part: the real biogated on the private bus. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "btf-private.h"

#include "biogate-bus.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

/* ---- biogated ----------------------------------------------------------- */

struct BtfDaemon {
        BtfBus *bus;            /* not owned: the bus outlives the daemon */
        BtfChild child;
        BtfNameWatch *names;       /* owner of org.biogate1 */
        char *unique_name;      /* set once it owned org.biogate1 */
        char *rejected_owner;   /* an owner that turned out not to be our process */
        char *log_path;
        char *vdev_path;
        char *command;
};

static BtfDaemon *daemon_spawn(BtfBus *bus, const BtfDaemonOptions *o, GError **error) {
        g_autoptr(BtfDaemon) d = g_new0(BtfDaemon, 1);
        g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
        g_auto(GStrv) envp = g_get_environ();
        g_autofree char *default_vdev = g_build_filename(bus->tmpdir, "vdev.sock", NULL);
        g_autofree char *log_name = g_strdup_printf("biogated-%u.log", ++bus->n_daemons);
        int log_fd;
        GPid pid;
        gboolean ok;

        g_return_val_if_fail(o && o->daemon_path, NULL);

        d->bus = bus;
        d->log_path = g_build_filename(bus->tmpdir, log_name, NULL);

        for (const char *const *a = o->command_prefix; a && *a; a++)
                g_ptr_array_add(argv, g_strdup(*a));
        g_ptr_array_add(argv, g_strdup(o->daemon_path));
        if (!o->idle_exit)
                g_ptr_array_add(argv, g_strdup("--no-idle-exit"));
        if (o->state_dir)
                g_ptr_array_add(argv, g_strconcat("--state-dir=", o->state_dir, NULL));
        if (!o->quiet)
                g_ptr_array_add(argv, g_strdup("--verbose"));
        /* The vendor notice of the build tree, and no site notice unless a
         * test names one (a later option wins): never the host's. */
        g_ptr_array_add(argv, g_strdup("--vendor-consent-notice=" BIOGATE_TEST_VENDOR_NOTICE));
        g_ptr_array_add(argv, g_strconcat("--consent-notice=", bus->tmpdir, "/no-site-consent-notice", NULL));
        for (const char *const *a = o->extra_args; a && *a; a++)
                g_ptr_array_add(argv, g_strdup(*a));
        g_ptr_array_add(argv, NULL);
        d->command = g_strjoinv(" ", (char **) argv->pdata);

        envp = g_environ_setenv(envp, "DBUS_SYSTEM_BUS_ADDRESS", bus->address, TRUE);
        envp = g_environ_setenv(envp, "FP_DRIVERS_WHITELIST", "virtual_device", TRUE);
        envp = g_environ_setenv(envp, "FP_DRIVERS_ALLOWLIST", "virtual_device", TRUE);
        envp = g_environ_setenv(envp, "FP_VIRTUAL_DEVICE", default_vdev, TRUE);
        envp = g_environ_setenv(envp, "G_DEBUG", "fatal-criticals", TRUE);
        envp = btf_environ_apply(envp, o->extra_env);
        d->vdev_path = g_strdup(g_environ_getenv(envp, "FP_VIRTUAL_DEVICE"));

        log_fd = open(d->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (log_fd < 0) {
                int e = errno;
                g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "open %s: %s", d->log_path, g_strerror(e));
                return NULL;
        }
        /* Watch the name before the process exists: no change can be missed. */
        d->names = btf_name_watch_new(bus->connection, BIOGATE_BUS_NAME);
        ok = btf_spawn_child((const char *const *) argv->pdata, (const char *const *) envp,
                             log_fd, log_fd, -1, -1, &pid, NULL, NULL, error);
        close(log_fd);
        if (!ok)
                return NULL;
        btf_child_watch(&d->child, btf_current_context(), pid);
        g_test_message("started `%s` as pid %d, log %s", d->command, (int) pid, d->log_path);
        return g_steal_pointer(&d);
}

static gboolean daemon_ready_cond(gpointer user_data) {
        BtfDaemon *d = user_data;

        return d->child.exited || d->names->query_error ||
               (d->names->queried && d->names->owner && g_strcmp0(d->names->owner, d->rejected_owner) != 0);
}

typedef enum {
        DAEMON_OWNS_NAME,
        DAEMON_EXITED,
        DAEMON_TIMED_OUT,
        DAEMON_BUS_ERROR,
} DaemonOutcome;

/* Waits until the daemon exits or org.biogate1 is owned by exactly its
 * process (a stale owner from a previous instance does not count). */
static DaemonOutcome daemon_wait_outcome(BtfDaemon *d, gint64 deadline, GError **error) {
        for (;;) {
                g_autoptr(GVariant) reply = NULL;
                g_autoptr(GError) local_error = NULL;
                guint32 owner_pid;

                if (!btf_iterate_until(d->child.ctx, deadline, daemon_ready_cond, d)) {
                        g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                    "timed out waiting for `%s` (pid %d) to own %s",
                                    d->command, (int) d->child.pid, BIOGATE_BUS_NAME);
                        return DAEMON_TIMED_OUT;
                }
                if (d->child.exited)
                        return DAEMON_EXITED;
                if (d->names->query_error) {
                        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "GetNameOwner(%s): %s",
                                    BIOGATE_BUS_NAME, d->names->query_error->message);
                        return DAEMON_BUS_ERROR;
                }
                reply = g_dbus_connection_call_sync(
                                d->bus->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                g_variant_new("(s)", d->names->owner), G_VARIANT_TYPE("(u)"),
                                G_DBUS_CALL_FLAGS_NONE, MAX(btf_deadline_remaining_ms(deadline), 1), NULL,
                                &local_error);
                if (reply) {
                        g_variant_get(reply, "(u)", &owner_pid);
                        if ((GPid) owner_pid == d->child.pid) {
                                d->unique_name = g_strdup(d->names->owner);
                                return DAEMON_OWNS_NAME;
                        }
                }
                /* Gone already, or someone else's: wait for the next owner. */
                g_free(d->rejected_owner);
                d->rejected_owner = g_strdup(d->names->owner);
        }
}

/* The start-up deadline: 0 in the options is the default. */
static gint64 daemon_start_deadline(const BtfDaemonOptions *o) {
        return btf_deadline_in(o->timeout_ms ? o->timeout_ms : BTF_TIMEOUT_DEFAULT);
}

static void daemon_kill_and_reap(BtfDaemon *d) {
        btf_child_kill(&d->child, SIGKILL);
        btf_child_wait(&d->child, btf_deadline_in(BTF_TIMEOUT_DEFAULT));
}

BtfDaemon *btf_daemon_start_full(BtfBus *bus, const BtfDaemonOptions *options, GError **error) {
        g_autoptr(BtfDaemon) d = daemon_spawn(bus, options, error);
        g_autoptr(GError) local_error = NULL;

        if (!d)
                return NULL;
        switch (daemon_wait_outcome(d, daemon_start_deadline(options), &local_error)) {
        case DAEMON_OWNS_NAME:
                g_test_message("biogated pid %d owns %s as %s", (int) d->child.pid, BIOGATE_BUS_NAME,
                               d->unique_name);
                return g_steal_pointer(&d);
        case DAEMON_EXITED: {
                g_autofree char *st = btf_wait_status_describe(d->child.wait_status);
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "`%s` %s before owning %s (log: %s)",
                            d->command, st, BIOGATE_BUS_NAME, d->log_path);
                break;
        }
        case DAEMON_TIMED_OUT:
        case DAEMON_BUS_ERROR:
                daemon_kill_and_reap(d);
                g_propagate_error(error, g_steal_pointer(&local_error));
                break;
        }
        btf_daemon_dump_log(d, BTF_LOG_TAIL_LINES);
        return NULL;
}

BtfDaemon *btf_daemon_start(BtfBus *bus, const char *daemon_path, const char *state_dir,
                            const char *const *extra_env, const char *const *extra_args,
                            GError **error) {
        const BtfDaemonOptions o = {
                .daemon_path = daemon_path,
                .state_dir = state_dir,
                .extra_env = extra_env,
                .extra_args = extra_args,
        };

        return btf_daemon_start_full(bus, &o, error);
}

gboolean btf_daemon_run_expect_exit(BtfBus *bus, const BtfDaemonOptions *options,
                                    int *ret_wait_status, char **ret_log, GError **error) {
        g_autoptr(BtfDaemon) d = daemon_spawn(bus, options, error);
        g_autoptr(GError) local_error = NULL;

        if (!d)
                return FALSE;
        switch (daemon_wait_outcome(d, daemon_start_deadline(options), &local_error)) {
        case DAEMON_EXITED:
                if (ret_wait_status)
                        *ret_wait_status = d->child.wait_status;
                if (ret_log)
                        *ret_log = btf_daemon_read_log(d);
                return TRUE;
        case DAEMON_OWNS_NAME:
                daemon_kill_and_reap(d);
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                            "`%s` took %s although it was expected to refuse to start",
                            d->command, BIOGATE_BUS_NAME);
                break;
        case DAEMON_TIMED_OUT:
        case DAEMON_BUS_ERROR:
                daemon_kill_and_reap(d);
                g_propagate_error(error, g_steal_pointer(&local_error));
                break;
        }
        btf_daemon_dump_log(d, BTF_LOG_TAIL_LINES);
        return FALSE;
}

static gboolean daemon_gone_cond(gpointer user_data) {
        BtfDaemon *d = user_data;

        /* Exited, and the bus has dropped its name (so a restarted daemon
         * can take it and the next start does not see a stale owner). */
        return d->child.exited &&
               (!d->unique_name || g_strcmp0(d->names->owner, d->unique_name) != 0);
}

static gboolean daemon_stop_with(BtfDaemon *d, int sig, int *ret_wait_status, GError **error) {
        gint64 deadline = btf_deadline_in(BTF_TIMEOUT_DEFAULT);
        g_autofree char *st = NULL;

        btf_child_kill(&d->child, sig);
        if (!btf_iterate_until(d->child.ctx, deadline, daemon_gone_cond, d)) {
                gboolean exited = d->child.exited;

                if (!exited)
                        daemon_kill_and_reap(d);
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "biogated (pid %d) %s after signal %d",
                            (int) d->child.pid,
                            exited ? "exited but the bus kept its name" : "did not exit", sig);
                btf_daemon_dump_log(d, BTF_LOG_TAIL_LINES);
                return FALSE;
        }
        st = btf_wait_status_describe(d->child.wait_status);
        g_test_message("biogated (pid %d) %s", (int) d->child.pid, st);
        if (sig != SIGKILL && !(WIFEXITED(d->child.wait_status) && WEXITSTATUS(d->child.wait_status) == 0))
                btf_daemon_dump_log(d, BTF_LOG_TAIL_LINES);
        if (ret_wait_status)
                *ret_wait_status = d->child.wait_status;
        return TRUE;
}

gboolean btf_daemon_stop(BtfDaemon *daemon, int *ret_wait_status, GError **error) {
        return daemon_stop_with(daemon, SIGTERM, ret_wait_status, error);
}

gboolean btf_daemon_kill(BtfDaemon *daemon, int *ret_wait_status, GError **error) {
        return daemon_stop_with(daemon, SIGKILL, ret_wait_status, error);
}

gboolean btf_daemon_wait_exit(BtfDaemon *daemon, int timeout_ms, int *ret_wait_status, GError **error) {
        if (!btf_iterate_until(daemon->child.ctx, btf_deadline_in(timeout_ms), daemon_gone_cond, daemon)) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                            "timed out waiting for biogated (pid %d) to exit", (int) daemon->child.pid);
                return FALSE;
        }
        if (ret_wait_status)
                *ret_wait_status = daemon->child.wait_status;
        return TRUE;
}

gboolean btf_daemon_has_exited(BtfDaemon *daemon) {
        return daemon->child.exited;
}

GPid btf_daemon_get_pid(BtfDaemon *daemon) {
        return daemon->child.pid;
}

const char *btf_daemon_get_unique_name(BtfDaemon *daemon) {
        return daemon->unique_name;
}

const char *btf_daemon_get_log_path(BtfDaemon *daemon) {
        return daemon->log_path;
}

const char *btf_daemon_get_vdev_path(BtfDaemon *daemon) {
        return daemon->vdev_path;
}

char *btf_daemon_read_log(BtfDaemon *daemon) {
        char *contents = NULL;

        if (!g_file_get_contents(daemon->log_path, &contents, NULL, NULL))
                return g_strdup("");
        return contents;
}

void btf_daemon_dump_log(BtfDaemon *daemon, guint n_lines) {
        btf_test_message_file_tail(daemon->log_path, "biogated", n_lines);
}

void btf_daemon_free(BtfDaemon *daemon) {
        if (!daemon)
                return;
        if (daemon->child.ctx && g_test_failed())
                btf_daemon_dump_log(daemon, BTF_LOG_TAIL_LINES);
        btf_child_clear(&daemon->child);
        btf_name_watch_free(daemon->names);
        g_free(daemon->unique_name);
        g_free(daemon->rejected_owner);
        g_free(daemon->log_path);
        g_free(daemon->vdev_path);
        g_free(daemon->command);
        g_free(daemon);
}
