/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "biogate-test-fixture.h"

#include "biogate-bus.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define BTF_DEFAULT_TIMEOUT_MS 20000
#define BTF_LOG_TAIL_LINES 60

/* ---- deadlines ---------------------------------------------------------- */

int btf_timeout_default_ms(void) {
        const char *factor_env = g_getenv("BIOGATE_TEST_TIMEOUT_FACTOR");
        guint64 factor = 1;

        if (factor_env && !g_ascii_string_to_unsigned(factor_env, 10, 1, 100, &factor, NULL))
                g_error("BIOGATE_TEST_TIMEOUT_FACTOR=%s is not an integer in 1..100", factor_env);
        return (int) (BTF_DEFAULT_TIMEOUT_MS * factor);
}

static int timeout_resolve(int timeout_ms) {
        return timeout_ms < 0 ? btf_timeout_default_ms() : timeout_ms;
}

/* Monotonic deadline in microseconds. */
static gint64 deadline_in(int timeout_ms) {
        return g_get_monotonic_time() + (gint64) timeout_resolve(timeout_ms) * 1000;
}

/* Milliseconds left, rounded up, never negative. */
static int deadline_remaining_ms(gint64 deadline) {
        gint64 left = deadline - g_get_monotonic_time();

        if (left <= 0)
                return 0;
        return (int) MIN((left + 999) / 1000, G_MAXINT);
}

/* The context waits iterate and sources are attached to. */
static GMainContext *current_context(void) {
        GMainContext *ctx = g_main_context_get_thread_default();

        return ctx ? ctx : g_main_context_default();
}

static gboolean set_flag_cb(gpointer user_data) {
        *(gboolean *) user_data = TRUE;
        return G_SOURCE_REMOVE;
}

typedef gboolean (*BtfCondFunc)(gpointer user_data);

/* Iterates @ctx until @cond holds or @deadline passes. Returns @cond. */
static gboolean iterate_until(GMainContext *ctx, gint64 deadline, BtfCondFunc cond, gpointer user_data) {
        gboolean timed_out = FALSE;
        GSource *timeout;

        if (cond(user_data))
                return TRUE;

        timeout = g_timeout_source_new(deadline_remaining_ms(deadline));
        g_source_set_callback(timeout, set_flag_cb, &timed_out, NULL);
        g_source_attach(timeout, ctx);

        while (!cond(user_data) && !timed_out)
                g_main_context_iteration(ctx, TRUE);

        g_source_destroy(timeout);
        g_source_unref(timeout);
        return cond(user_data);
}

char *btf_wait_status_describe(int wait_status) {
        if (WIFEXITED(wait_status))
                return g_strdup_printf("exited with status %d", WEXITSTATUS(wait_status));
        if (WIFSIGNALED(wait_status))
                return g_strdup_printf("was killed by signal %d (%s)%s",
                                       WTERMSIG(wait_status), g_strsignal(WTERMSIG(wait_status)),
                                       WCOREDUMP(wait_status) ? ", core dumped" : "");
        return g_strdup_printf("has wait status 0x%x", (unsigned) wait_status);
}

/* Prints the last @n_lines of @path with g_test_message(). */
static void test_message_file_tail(const char *path, const char *prefix, guint n_lines) {
        g_autofree char *contents = NULL;
        g_autoptr(GError) error = NULL;
        g_auto(GStrv) lines = NULL;
        guint n, first;

        if (!g_file_get_contents(path, &contents, NULL, &error)) {
                g_test_message("%s: cannot read %s: %s", prefix, path, error->message);
                return;
        }
        lines = g_strsplit(contents, "\n", -1);
        n = g_strv_length(lines);
        if (n > 0 && lines[n - 1][0] == '\0')
                n--;
        first = n > n_lines ? n - n_lines : 0;
        g_test_message("---- %s: last %u of %u lines of %s ----", prefix, n - first, n, path);
        for (guint i = first; i < n; i++)
                g_test_message("%s| %s", prefix, lines[i]);
        g_test_message("---- %s: end ----", prefix);
}

/* ---- temporary directory ------------------------------------------------ */

char *btf_tmpdir_new(void) {
        g_autoptr(GError) error = NULL;
        char *path = g_dir_make_tmp("biogate-test-XXXXXX", &error);

        if (!path)
                g_error("cannot create a temporary directory: %s", error->message);
        /* Clients run as other users must reach the bus socket inside. */
        if (chmod(path, 0755) < 0)
                g_error("chmod %s: %s", path, g_strerror(errno));
        return path;
}

static int remove_entry_cb(const char *fpath, const struct stat *sb, int typeflag, struct FTW *ftwbuf) {
        (void) sb;
        (void) ftwbuf;
        if ((typeflag == FTW_DP ? rmdir(fpath) : unlink(fpath)) < 0 && errno != ENOENT)
                g_test_message("cannot remove %s: %s", fpath, g_strerror(errno));
        return 0;
}

void btf_tmpdir_remove(const char *path) {
        if (!path)
                return;
        if (g_test_failed() || g_getenv("BIOGATE_TEST_KEEP_TMPDIR")) {
                g_test_message("keeping temporary directory %s", path);
                return;
        }
        /* Depth first, never following symlinks or leaving the file system. */
        if (nftw(path, remove_entry_cb, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
                g_test_message("cannot remove %s: %s", path, g_strerror(errno));
}

/* ---- spawning ----------------------------------------------------------- */

static void child_setup(gpointer user_data) {
        pid_t parent = (pid_t) GPOINTER_TO_INT(user_data);

        /* Die with the test: an aborted test must not leave a bus or a
         * daemon behind. Re-check the parent to close the race with its exit
         * before prctl(). Only async-signal-safe calls here. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                _exit(127);
}

/* Moves @fd to a number >= 10 (close-on-exec), so that mapping it onto a low
 * target fd in the child is a real dup2() that clears FD_CLOEXEC. */
static int fd_move_high(int fd) {
        int high = fcntl(fd, F_DUPFD_CLOEXEC, 10);

        if (high < 0)
                g_error("fcntl(F_DUPFD_CLOEXEC): %s", g_strerror(errno));
        close(fd);
        return high;
}

/* g_get_environ() with @extra applied: "KEY=VALUE" sets, "KEY" unsets. */
static char **environ_apply(char **envp, const char *const *extra) {
        for (const char *const *e = extra; e && *e; e++) {
                const char *eq = strchr(*e, '=');

                if (eq) {
                        g_autofree char *key = g_strndup(*e, eq - *e);
                        envp = g_environ_setenv(envp, key, eq + 1, TRUE);
                } else
                        envp = g_environ_unsetenv(envp, *e);
        }
        return envp;
}

/* Spawns without reaping (the caller adds a child watch). stdout_fd /
 * stderr_fd of -1 mean a pipe returned in *ret_stdout_pipe / *ret_stderr_pipe.
 * map_fd, when >= 0, appears as fd @map_target in the child. */
static gboolean spawn_child(const char *const *argv, const char *const *envp,
                            int stdout_fd, int stderr_fd, int map_fd, int map_target,
                            GPid *ret_pid, int *ret_stdout_pipe, int *ret_stderr_pipe,
                            GError **error) {
        const int source_fds[1] = { map_fd };
        const int target_fds[1] = { map_target };

        return g_spawn_async_with_pipes_and_fds(
                        NULL, argv, envp,
                        G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH |
                        G_SPAWN_CLOEXEC_PIPES | G_SPAWN_STDIN_FROM_DEV_NULL,
                        child_setup, GINT_TO_POINTER((int) getpid()),
                        -1, stdout_fd, stderr_fd,
                        map_fd >= 0 ? source_fds : NULL,
                        map_fd >= 0 ? target_fds : NULL,
                        map_fd >= 0 ? 1 : 0,
                        ret_pid, NULL,
                        stdout_fd < 0 ? ret_stdout_pipe : NULL,
                        stderr_fd < 0 ? ret_stderr_pipe : NULL,
                        error);
}

/* A child process we reap through a child watch on @ctx. */
typedef struct BtfChild {
        GMainContext *ctx;
        GPid pid;
        GSource *watch;
        gboolean exited;
        int wait_status;
} BtfChild;

static void child_exited_cb(GPid pid, int wait_status, gpointer user_data) {
        BtfChild *child = user_data;

        (void) pid;
        child->exited = TRUE;
        child->wait_status = wait_status;
}

static void child_watch(BtfChild *child, GMainContext *ctx, GPid pid) {
        child->ctx = g_main_context_ref(ctx);
        child->pid = pid;
        child->watch = g_child_watch_source_new(pid);
        g_source_set_callback(child->watch, (GSourceFunc) (void (*)(void)) child_exited_cb, child, NULL);
        g_source_attach(child->watch, ctx);
}

static gboolean child_exited_cond(gpointer user_data) {
        return ((BtfChild *) user_data)->exited;
}

static gboolean child_wait(BtfChild *child, gint64 deadline) {
        return iterate_until(child->ctx, deadline, child_exited_cond, child);
}

/* Sends @sig to exactly the child's PID, unless it has been reaped (the PID
 * may then belong to someone else). */
static void child_kill(BtfChild *child, int sig) {
        if (child->pid > 0 && !child->exited && kill(child->pid, sig) < 0 && errno != ESRCH)
                g_test_message("kill(%d, %d): %s", (int) child->pid, sig, g_strerror(errno));
}

/* SIGKILL unless reaped, then reap; for cleanup paths. */
static void child_clear(BtfChild *child) {
        if (!child->ctx)
                return;
        if (!child->exited) {
                child_kill(child, SIGKILL);
                if (!child_wait(child, deadline_in(BTF_TIMEOUT_DEFAULT)))
                        g_test_message("process %d did not die after SIGKILL", (int) child->pid);
        }
        g_source_destroy(child->watch);
        g_clear_pointer(&child->watch, g_source_unref);
        g_clear_pointer(&child->ctx, g_main_context_unref);
}

/* ---- captured pipes ----------------------------------------------------- */

typedef struct BtfPipe {
        int fd;
        GSource *source;
        GString *data;
        gboolean eof;
} BtfPipe;

static gboolean pipe_readable_cb(int fd, GIOCondition condition, gpointer user_data) {
        BtfPipe *p = user_data;

        (void) condition;
        for (;;) {
                char buf[4096];
                ssize_t n = read(fd, buf, sizeof buf);

                if (n > 0) {
                        g_string_append_len(p->data, buf, n);
                        continue;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return G_SOURCE_CONTINUE;
                p->eof = TRUE;  /* EOF, or an error that ends the stream */
                return G_SOURCE_REMOVE;
        }
}

static void pipe_init(BtfPipe *p, GMainContext *ctx, int fd) {
        p->fd = fd;
        p->data = g_string_new(NULL);
        if (!g_unix_set_fd_nonblocking(fd, TRUE, NULL))
                g_error("cannot make a pipe non-blocking: %s", g_strerror(errno));
        p->source = g_unix_fd_source_new(fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
        g_source_set_callback(p->source, (GSourceFunc) (void (*)(void)) pipe_readable_cb, p, NULL);
        g_source_attach(p->source, ctx);
}

static void pipe_clear(BtfPipe *p) {
        if (p->source) {
                g_source_destroy(p->source);
                g_clear_pointer(&p->source, g_source_unref);
        }
        if (p->fd >= 0)
                close(p->fd);
        p->fd = -1;
        if (p->data)
                g_string_free(p->data, TRUE);
        p->data = NULL;
}

/* ---- BtfProc ------------------------------------------------------------ */

struct BtfProc {
        BtfChild child;
        BtfPipe out;
        BtfPipe err;
        char *name;
};

static BtfProc *proc_spawn(const char *const *argv, const char *const *extra_env, GError **error) {
        g_autoptr(BtfProc) proc = g_new0(BtfProc, 1);
        g_auto(GStrv) envp = environ_apply(g_get_environ(), extra_env);
        int out_fd = -1, err_fd = -1;
        GPid pid;

        g_return_val_if_fail(argv && argv[0], NULL);

        proc->out.fd = proc->err.fd = -1;
        proc->name = g_strjoinv(" ", (char **) argv);
        if (!spawn_child(argv, (const char *const *) envp, -1, -1, -1, -1, &pid, &out_fd, &err_fd, error))
                return NULL;

        child_watch(&proc->child, current_context(), pid);
        pipe_init(&proc->out, proc->child.ctx, out_fd);
        pipe_init(&proc->err, proc->child.ctx, err_fd);
        return g_steal_pointer(&proc);
}

BtfProc *btf_spawn_async(const char *const *argv, const char *const *extra_env, GError **error) {
        return proc_spawn(argv, extra_env, error);
}

static GPtrArray *setpriv_argv(uid_t uid, gid_t gid, const char *const *argv) {
        GPtrArray *a = g_ptr_array_new_with_free_func(g_free);

        g_ptr_array_add(a, g_strdup("setpriv"));
        g_ptr_array_add(a, g_strdup_printf("--reuid=%u", (unsigned) uid));
        g_ptr_array_add(a, g_strdup_printf("--regid=%u", (unsigned) gid));
        g_ptr_array_add(a, g_strdup("--clear-groups"));
        g_ptr_array_add(a, g_strdup("--"));
        for (const char *const *p = argv; p && *p; p++)
                g_ptr_array_add(a, g_strdup(*p));
        g_ptr_array_add(a, NULL);
        return a;
}

BtfProc *btf_spawn_async_as(uid_t uid, gid_t gid, const char *const *argv,
                            const char *const *extra_env, GError **error) {
        g_autoptr(GPtrArray) a = setpriv_argv(uid, gid, argv);

        return proc_spawn((const char *const *) a->pdata, extra_env, error);
}

GPid btf_proc_get_pid(BtfProc *proc) {
        return proc->child.pid;
}

const char *btf_proc_get_stdout(BtfProc *proc) {
        return proc->out.data->str;
}

const char *btf_proc_get_stderr(BtfProc *proc) {
        return proc->err.data->str;
}

gboolean btf_proc_has_exited(BtfProc *proc) {
        return proc->child.exited;
}

void btf_proc_kill(BtfProc *proc, int sig) {
        child_kill(&proc->child, sig);
}

typedef struct {
        BtfPipe *pipe;
        const char *needle;
} OutputWait;

static gboolean output_cond(gpointer user_data) {
        OutputWait *w = user_data;

        return w->pipe->eof || strstr(w->pipe->data->str, w->needle);
}

gboolean btf_proc_wait_output(BtfProc *proc, BtfStream stream, const char *needle,
                              int timeout_ms, GError **error) {
        OutputWait w = { stream == BTF_STDERR ? &proc->err : &proc->out, needle };

        iterate_until(proc->child.ctx, deadline_in(timeout_ms), output_cond, &w);
        if (strstr(w.pipe->data->str, needle))
                return TRUE;
        g_set_error(error, G_IO_ERROR, w.pipe->eof ? G_IO_ERROR_FAILED : G_IO_ERROR_TIMED_OUT,
                    "%s: %s of `%s` has no \"%s\"; it has:\n%s",
                    w.pipe->eof ? "end of output" : "timed out",
                    stream == BTF_STDERR ? "stderr" : "stdout", proc->name, needle, w.pipe->data->str);
        return FALSE;
}

static gboolean proc_done_cond(gpointer user_data) {
        BtfProc *proc = user_data;

        return proc->child.exited && proc->out.eof && proc->err.eof;
}

gboolean btf_proc_wait(BtfProc *proc, int timeout_ms, int *ret_wait_status, GError **error) {
        if (!iterate_until(proc->child.ctx, deadline_in(timeout_ms), proc_done_cond, proc)) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                            "timed out waiting for `%s` (pid %d) to %s; stdout:\n%s\nstderr:\n%s",
                            proc->name, (int) proc->child.pid,
                            proc->child.exited ? "close its output" : "exit",
                            proc->out.data->str, proc->err.data->str);
                return FALSE;
        }
        if (ret_wait_status)
                *ret_wait_status = proc->child.wait_status;
        return TRUE;
}

void btf_proc_free(BtfProc *proc) {
        if (!proc)
                return;
        child_clear(&proc->child);
        pipe_clear(&proc->out);
        pipe_clear(&proc->err);
        g_free(proc->name);
        g_free(proc);
}

static gboolean run_proc(BtfProc *proc, char **ret_stdout, char **ret_stderr, int *ret_wait_status,
                         GError **error) {
        int status;

        if (!btf_proc_wait(proc, BTF_TIMEOUT_DEFAULT, &status, error))
                return FALSE;   /* btf_proc_free() kills it */
        if (ret_stdout)
                *ret_stdout = g_strdup(proc->out.data->str);
        if (ret_stderr)
                *ret_stderr = g_strdup(proc->err.data->str);
        if (ret_wait_status)
                *ret_wait_status = status;
        return TRUE;
}

gboolean btf_run_as(uid_t uid, gid_t gid, const char *const *argv,
                    char **ret_stdout, char **ret_stderr, int *ret_wait_status,
                    GError **error) {
        g_autoptr(BtfProc) proc = btf_spawn_async_as(uid, gid, argv, NULL, error);

        return proc && run_proc(proc, ret_stdout, ret_stderr, ret_wait_status, error);
}

gboolean btf_run(const char *const *argv, const char *const *extra_env,
                 char **ret_stdout, char **ret_stderr, int *ret_wait_status,
                 GError **error) {
        g_autoptr(BtfProc) proc = btf_spawn_async(argv, extra_env, error);

        return proc && run_proc(proc, ret_stdout, ret_stderr, ret_wait_status, error);
}

/* ---- bus name tracking -------------------------------------------------- */

/* Tracks the owner of one name: subscribe to NameOwnerChanged first, then an
 * asynchronous GetNameOwner. Signals and the reply are dispatched on the
 * context in the order their messages arrived, so once the reply is in,
 * `owner` is exact. Reference-counted: the pending reply and the
 * subscription hold references. */
typedef struct NameWatch {
        GDBusConnection *connection;
        char *name;
        char *owner;            /* NULL: no owner */
        guint subscription;
        gboolean queried;       /* GetNameOwner answered */
        GError *query_error;    /* GetNameOwner failed for another reason */
        GCancellable *cancellable;
} NameWatch;

static void name_watch_clear_contents(gpointer data) {
        NameWatch *w = data;

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
        NameWatch *w = user_data;
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
        NameWatch *w = user_data;
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

static NameWatch *name_watch_new(GDBusConnection *connection, const char *name) {
        NameWatch *w = g_rc_box_new0(NameWatch);

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

static void name_watch_free(NameWatch *w) {
        if (!w)
                return;
        g_cancellable_cancel(w->cancellable);
        g_dbus_connection_signal_unsubscribe(w->connection, w->subscription);
        name_watch_unref(w);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NameWatch, name_watch_free)

typedef struct {
        NameWatch *w;
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
        g_autoptr(NameWatch) w = name_watch_new(connection, name);
        NameWait nw = { w, want_owner };
        GMainContext *ctx = current_context();

        if (!iterate_until(ctx, deadline_in(timeout_ms), name_wait_cond, &nw)) {
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

struct BtfBus {
        char *tmpdir;
        char *config_path;
        char *socket_path;
        char *log_path;
        char *address;
        BtfChild child;
        GDBusConnection *connection;
        char *saved_address;    /* DBUS_SYSTEM_BUS_ADDRESS before us */
        gboolean env_set;
        guint n_daemons;
};

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
                int r = poll(&pfd, 1, deadline_remaining_ms(deadline));

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
        GMainContext *ctx = current_context();

        g_dbus_connection_new_for_address(address,
                                          G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                          G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                          NULL, cancellable, connect_cb, &cw);
        if (!iterate_until(ctx, deadline_in(BTF_TIMEOUT_DEFAULT), connect_wait_cond, &cw)) {
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
        test_message_file_tail(bus->log_path, "dbus-daemon", BTF_LOG_TAIL_LINES);
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
        gint64 deadline = deadline_in(BTF_TIMEOUT_DEFAULT);
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
        pipe_fds[1] = fd_move_high(pipe_fds[1]);

        config_arg = g_strconcat("--config-file=", bus->config_path, NULL);
        {
                const char *argv[] = { "dbus-daemon", config_arg, "--nofork", "--nopidfile",
                                       "--print-address=3", NULL };
                g_auto(GStrv) envp = g_get_environ();
                gboolean ok = spawn_child(argv, (const char *const *) envp, log_fd, log_fd,
                                          pipe_fds[1], 3, &pid, NULL, NULL, error);

                close(log_fd);
                close(pipe_fds[1]);
                if (!ok) {
                        close(pipe_fds[0]);
                        return NULL;
                }
        }
        child_watch(&bus->child, current_context(), pid);

        /* dbus-daemon prints its address once it listens. EOF first means it
         * died (its copy of the pipe is our only writer). */
        line = read_line(pipe_fds[0], deadline, &eof, &local_error);
        close(pipe_fds[0]);
        if (!line) {
                if (eof && child_wait(&bus->child, deadline)) {
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
                child_kill(&bus->child, SIGTERM);
                if (!child_wait(&bus->child, deadline_in(BTF_TIMEOUT_DEFAULT))) {
                        g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                    "dbus-daemon (pid %d) did not exit on SIGTERM", (int) bus->child.pid);
                        bus_fail_message(bus);
                        ok = FALSE;
                } else if (ret_wait_status)
                        *ret_wait_status = bus->child.wait_status;
                child_clear(&bus->child);
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

/* ---- biogated ----------------------------------------------------------- */

struct BtfDaemon {
        BtfBus *bus;            /* not owned: the bus outlives the daemon */
        BtfChild child;
        NameWatch *names;       /* owner of org.biogate1 */
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
        for (const char *const *a = o->extra_args; a && *a; a++)
                g_ptr_array_add(argv, g_strdup(*a));
        g_ptr_array_add(argv, NULL);
        d->command = g_strjoinv(" ", (char **) argv->pdata);

        envp = g_environ_setenv(envp, "DBUS_SYSTEM_BUS_ADDRESS", bus->address, TRUE);
        envp = g_environ_setenv(envp, "FP_DRIVERS_WHITELIST", "virtual_device", TRUE);
        envp = g_environ_setenv(envp, "FP_DRIVERS_ALLOWLIST", "virtual_device", TRUE);
        envp = g_environ_setenv(envp, "FP_VIRTUAL_DEVICE", default_vdev, TRUE);
        envp = g_environ_setenv(envp, "G_DEBUG", "fatal-criticals", TRUE);
        envp = environ_apply(envp, o->extra_env);
        d->vdev_path = g_strdup(g_environ_getenv(envp, "FP_VIRTUAL_DEVICE"));

        log_fd = open(d->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (log_fd < 0) {
                int e = errno;
                g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "open %s: %s", d->log_path, g_strerror(e));
                return NULL;
        }
        /* Watch the name before the process exists: no change can be missed. */
        d->names = name_watch_new(bus->connection, BIOGATE_BUS_NAME);
        ok = spawn_child((const char *const *) argv->pdata, (const char *const *) envp,
                         log_fd, log_fd, -1, -1, &pid, NULL, NULL, error);
        close(log_fd);
        if (!ok)
                return NULL;
        child_watch(&d->child, current_context(), pid);
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

                if (!iterate_until(d->child.ctx, deadline, daemon_ready_cond, d)) {
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
                                G_DBUS_CALL_FLAGS_NONE, MAX(deadline_remaining_ms(deadline), 1), NULL,
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

static void daemon_kill_and_reap(BtfDaemon *d) {
        child_kill(&d->child, SIGKILL);
        child_wait(&d->child, deadline_in(BTF_TIMEOUT_DEFAULT));
}

BtfDaemon *btf_daemon_start_full(BtfBus *bus, const BtfDaemonOptions *options, GError **error) {
        g_autoptr(BtfDaemon) d = daemon_spawn(bus, options, error);
        g_autoptr(GError) local_error = NULL;

        if (!d)
                return NULL;
        switch (daemon_wait_outcome(d, deadline_in(options->timeout_ms ? options->timeout_ms : BTF_TIMEOUT_DEFAULT), &local_error)) {
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
        switch (daemon_wait_outcome(d, deadline_in(options->timeout_ms ? options->timeout_ms : BTF_TIMEOUT_DEFAULT), &local_error)) {
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
        gint64 deadline = deadline_in(BTF_TIMEOUT_DEFAULT);
        g_autofree char *st = NULL;

        child_kill(&d->child, sig);
        if (!iterate_until(d->child.ctx, deadline, daemon_gone_cond, d)) {
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
        if (!iterate_until(daemon->child.ctx, deadline_in(timeout_ms), daemon_gone_cond, daemon)) {
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
        test_message_file_tail(daemon->log_path, "biogated", n_lines);
}

void btf_daemon_free(BtfDaemon *daemon) {
        if (!daemon)
                return;
        if (daemon->child.ctx && g_test_failed())
                btf_daemon_dump_log(daemon, BTF_LOG_TAIL_LINES);
        child_clear(&daemon->child);
        name_watch_free(daemon->names);
        g_free(daemon->unique_name);
        g_free(daemon->rejected_owner);
        g_free(daemon->log_path);
        g_free(daemon->vdev_path);
        g_free(daemon->command);
        g_free(daemon);
}

/* ---- libfprint virtual_device sensor ------------------------------------ */

static void set_errno_error(GError **error, int e, const char *what, const char *path) {
        g_set_error(error, G_IO_ERROR, e == EAGAIN ? G_IO_ERROR_TIMED_OUT : g_io_error_from_errno(e),
                    "%s %s: %s", what, path, e == EAGAIN ? "timed out" : g_strerror(e));
}

static int vdev_connect(const char *path, gint64 deadline, GError **error) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        gint64 refused_until = 0;

        if (strlen(path) >= sizeof sa.sun_path) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG, "%s is too long for AF_UNIX", path);
                return -1;
        }
        memcpy(sa.sun_path, path, strlen(path));

        for (;;) {
                int remaining = MAX(deadline_remaining_ms(deadline), 1);
                struct timeval tv = { .tv_sec = remaining / 1000, .tv_usec = (remaining % 1000) * 1000 };
                int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                int e;

                if (fd < 0) {
                        set_errno_error(error, errno, "socket for", path);
                        return -1;
                }
                /* Bounds connect() (backlog full) and send(). */
                (void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
                if (connect(fd, (struct sockaddr *) &sa, sizeof sa) == 0)
                        return fd;
                e = errno;
                close(fd);
                if (e == EINTR)
                        continue;
                if (e == ECONNREFUSED) {
                        /* GLib's listener bind()s (creating the path, which
                         * btf_vdev_wait_socket() sees) and then listen()s: a
                         * connect in between is refused. That window is a
                         * few instructions wide, so retry for a bounded
                         * second; a stale socket still fails quickly. */
                        gint64 now = g_get_monotonic_time();

                        if (!refused_until)
                                refused_until = now + G_USEC_PER_SEC;
                        if (now < refused_until && now < deadline) {
                                sched_yield();
                                continue;
                        }
                }
                set_errno_error(error, e, "connect to", path);
                return -1;
        }
}

gboolean btf_vdev_send_full(const char *path, const char *command, int timeout_ms,
                            char **ret_reply, GError **error) {
        gint64 deadline = deadline_in(timeout_ms);
        g_autoptr(GString) reply = g_string_new(NULL);
        size_t len = strlen(command), off = 0;
        int fd = vdev_connect(path, deadline, error);

        if (fd < 0)
                return FALSE;

        while (off < len) {
                ssize_t n = send(fd, command + off, len - off, MSG_NOSIGNAL);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        set_errno_error(error, errno, "write to", path);
                        close(fd);
                        return FALSE;
                }
                off += n;
        }
        /* The driver reads once; EOF on our side tells a careful reader the
         * command is complete. The peer may already be gone: ignore that. */
        if (shutdown(fd, SHUT_WR) < 0 && errno != ENOTCONN) {
                set_errno_error(error, errno, "shutdown of", path);
                close(fd);
                return FALSE;
        }
        /* Wait for the driver to close: only then is the command taken and
         * the next connection will not replace this one. */
        for (;;) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                char buf[1024];
                ssize_t n;
                int r = poll(&pfd, 1, deadline_remaining_ms(deadline));

                if (r < 0 && errno == EINTR)
                        continue;
                if (r == 0) {
                        g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                    "timed out waiting for %s to close after \"%s\"", path, command);
                        close(fd);
                        return FALSE;
                }
                if (r < 0) {
                        set_errno_error(error, errno, "poll on", path);
                        close(fd);
                        return FALSE;
                }
                n = read(fd, buf, sizeof buf);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        set_errno_error(error, errno, "read from", path);
                        close(fd);
                        return FALSE;
                }
                if (n == 0)
                        break;
                g_string_append_len(reply, buf, n);
        }
        close(fd);
        if (ret_reply)
                *ret_reply = g_strdup(reply->str);
        return TRUE;
}

gboolean btf_vdev_send(const char *path, const char *command, GError **error) {
        return btf_vdev_send_full(path, command, BTF_TIMEOUT_DEFAULT, NULL, error);
}

gboolean btf_vdev_sendf(const char *path, GError **error, const char *format, ...) {
        g_autofree char *command = NULL;
        va_list ap;

        va_start(ap, format);
        command = g_strdup_vprintf(format, ap);
        va_end(ap);
        return btf_vdev_send(path, command, error);
}

/* Waits with inotify on the parent directory until @path exists (or not).
 * The watch is added before the first check, so a change between the two
 * is seen as an event. Events only trigger a re-check of the path. */
static gboolean wait_path(const char *path, gboolean want_exists, int timeout_ms, GError **error) {
        gint64 deadline = deadline_in(timeout_ms);
        g_autofree char *dir = g_path_get_dirname(path);
        uint32_t mask = IN_ONLYDIR | IN_DELETE_SELF | IN_MOVE_SELF |
                        (want_exists ? IN_CREATE | IN_MOVED_TO : IN_DELETE | IN_MOVED_FROM);
        gboolean ok = FALSE;
        int fd;

        fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (fd < 0) {
                set_errno_error(error, errno, "inotify for", path);
                return FALSE;
        }
        if (inotify_add_watch(fd, dir, mask) < 0) {
                set_errno_error(error, errno, "inotify watch on", dir);
                close(fd);
                return FALSE;
        }
        for (;;) {
                struct stat st;
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
                gboolean exists;
                int r;

                if (lstat(path, &st) == 0)
                        exists = TRUE;
                else if (errno == ENOENT || errno == ENOTDIR)
                        exists = FALSE;
                else {
                        set_errno_error(error, errno, "lstat", path);
                        break;
                }
                if (exists == want_exists) {
                        ok = TRUE;
                        break;
                }
                r = poll(&pfd, 1, deadline_remaining_ms(deadline));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        set_errno_error(error, errno, "poll on inotify for", path);
                        break;
                }
                if (r == 0) {
                        g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "timed out waiting for %s to %s",
                                    path, want_exists ? "appear" : "disappear");
                        break;
                }
                /* Drain; the loop re-checks the path whatever the events. */
                for (;;) {
                        ssize_t n = read(fd, buf, sizeof buf);
                        gboolean dir_gone = FALSE;

                        if (n <= 0)
                                break;
                        for (char *p = buf; p < buf + n;) {
                                const struct inotify_event *ev = (const struct inotify_event *) p;

                                if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
                                        dir_gone = TRUE;
                                p += sizeof *ev + ev->len;
                        }
                        if (dir_gone && want_exists) {
                                g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                            "directory %s went away while waiting for %s", dir, path);
                                close(fd);
                                return FALSE;
                        }
                }
        }
        close(fd);
        return ok;
}

gboolean btf_vdev_wait_socket(const char *path, int timeout_ms, GError **error) {
        return wait_path(path, TRUE, timeout_ms, error);
}

gboolean btf_vdev_wait_gone(const char *path, int timeout_ms, GError **error) {
        return wait_path(path, FALSE, timeout_ms, error);
}

/* ---- org.biogate1.Operation signal recorder ----------------------------- */

typedef struct OpEvent {
        char *path;
        char *signal;           /* "Progress", "Finished" or another member */
        char *name;             /* status or result */
        GVariant *details;      /* a{sv} */
        gboolean consumed;
} OpEvent;

struct BtfOp {
        GDBusConnection *connection;
        GMainContext *ctx;
        guint subscription;
        char *path;             /* NULL until bound */
        GPtrArray *events;      /* OpEvent, in arrival order */
};

static void op_event_free(gpointer data) {
        OpEvent *ev = data;

        g_free(ev->path);
        g_free(ev->signal);
        g_free(ev->name);
        g_clear_pointer(&ev->details, g_variant_unref);
        g_free(ev);
}

static void op_signal_cb(GDBusConnection *connection, const char *sender, const char *path,
                         const char *interface, const char *signal, GVariant *parameters,
                         gpointer user_data) {
        BtfOp *op = user_data;
        OpEvent *ev = g_new0(OpEvent, 1);

        (void) connection, (void) sender, (void) interface;
        ev->path = g_strdup(path);
        ev->signal = g_strdup(signal);
        if (g_variant_is_of_type(parameters, G_VARIANT_TYPE("(sa{sv})"))) {
                g_variant_get(parameters, "(s@a{sv})", &ev->name, &ev->details);
        } else {
                /* Not one of ours: keep it for describe(), never match it. */
                ev->name = g_variant_print(parameters, TRUE);
                ev->details = g_variant_ref_sink(g_variant_new("a{sv}", NULL));
                g_free(ev->signal);
                ev->signal = g_strconcat("?", signal, NULL);
        }
        g_ptr_array_add(op->events, ev);
}

BtfOp *btf_op_watch_begin(GDBusConnection *connection) {
        BtfOp *op = g_new0(BtfOp, 1);

        op->connection = g_object_ref(connection);
        op->ctx = g_main_context_ref_thread_default();
        op->events = g_ptr_array_new_with_free_func(op_event_free);
        op->subscription = g_dbus_connection_signal_subscribe(
                        connection, BIOGATE_BUS_NAME, BIOGATE_OPERATION_INTERFACE, NULL, NULL, NULL,
                        G_DBUS_SIGNAL_FLAGS_NONE, op_signal_cb, op, NULL);
        return op;
}

void btf_op_bind(BtfOp *op, const char *object_path) {
        g_free(op->path);
        op->path = g_strdup(object_path);
}

const char *btf_op_get_path(BtfOp *op) {
        return op->path;
}

static gboolean op_event_relevant(BtfOp *op, const OpEvent *ev) {
        return !op->path || g_str_equal(op->path, ev->path);
}

static OpEvent *op_find(BtfOp *op, const char *signal, const char *name, gboolean unconsumed) {
        for (guint i = 0; i < op->events->len; i++) {
                OpEvent *ev = op->events->pdata[i];

                if (op_event_relevant(op, ev) && g_str_equal(ev->signal, signal) &&
                    (!name || g_str_equal(ev->name, name)) && (!unconsumed || !ev->consumed))
                        return ev;
        }
        return NULL;
}

guint btf_op_count_progress(BtfOp *op, const char *status) {
        guint n = 0;

        for (guint i = 0; i < op->events->len; i++) {
                OpEvent *ev = op->events->pdata[i];

                if (op_event_relevant(op, ev) && g_str_equal(ev->signal, "Progress") &&
                    (!status || g_str_equal(ev->name, status)))
                        n++;
        }
        return n;
}

guint btf_op_consume_progress(BtfOp *op, const char *status) {
        guint n = 0;

        for (guint i = 0; i < op->events->len; i++) {
                OpEvent *ev = op->events->pdata[i];

                if (op_event_relevant(op, ev) && g_str_equal(ev->signal, "Progress") &&
                    (!status || g_str_equal(ev->name, status)) && !ev->consumed) {
                        ev->consumed = TRUE;
                        n++;
                }
        }
        return n;
}

gboolean btf_op_is_finished(BtfOp *op) {
        return op_find(op, "Finished", NULL, FALSE) != NULL;
}

char *btf_op_describe(BtfOp *op) {
        GString *s = g_string_new(NULL);

        for (guint i = 0; i < op->events->len; i++) {
                OpEvent *ev = op->events->pdata[i];

                if (!op_event_relevant(op, ev))
                        continue;
                if (s->len)
                        g_string_append_c(s, ' ');
                g_string_append_printf(s, "%s(%s)", ev->signal, ev->name);
        }
        if (!s->len)
                g_string_append(s, "(no signals)");
        return g_string_free(s, FALSE);
}

typedef struct {
        BtfOp *op;
        const char *status;
        guint count;
} OpWait;

static gboolean op_progress_cond(gpointer user_data) {
        OpWait *w = user_data;

        return op_find(w->op, "Progress", w->status, TRUE) || btf_op_is_finished(w->op);
}

static void op_set_error(BtfOp *op, GError **error, gboolean timed_out, const char *what) {
        g_autofree char *seen = btf_op_describe(op);

        g_set_error(error, G_IO_ERROR, timed_out ? G_IO_ERROR_TIMED_OUT : G_IO_ERROR_FAILED,
                    "%s %s on %s; received: %s", timed_out ? "timed out waiting for" : "finished without",
                    what, op->path ? op->path : "any operation", seen);
}

gboolean btf_op_wait_progress(BtfOp *op, const char *status, int timeout_ms,
                              GVariant **ret_details, GError **error) {
        OpWait w = { op, status, 0 };
        gboolean found = iterate_until(op->ctx, deadline_in(timeout_ms), op_progress_cond, &w);
        OpEvent *ev = op_find(op, "Progress", status, TRUE);

        if (!ev) {
                g_autofree char *what = g_strdup_printf("a further Progress(%s)", status);
                op_set_error(op, error, !found, what);
                return FALSE;
        }
        ev->consumed = TRUE;
        if (ret_details)
                *ret_details = g_variant_ref(ev->details);
        return TRUE;
}

static gboolean op_count_cond(gpointer user_data) {
        OpWait *w = user_data;

        return btf_op_count_progress(w->op, w->status) >= w->count || btf_op_is_finished(w->op);
}

gboolean btf_op_wait_progress_count(BtfOp *op, const char *status, guint count,
                                    int timeout_ms, GError **error) {
        OpWait w = { op, status, count };
        gboolean done = iterate_until(op->ctx, deadline_in(timeout_ms), op_count_cond, &w);

        if (btf_op_count_progress(op, status) < count) {
                g_autofree char *what = g_strdup_printf("%u x Progress(%s)", count, status);
                op_set_error(op, error, !done, what);
                return FALSE;
        }
        return TRUE;
}

static gboolean op_finished_cond(gpointer user_data) {
        return btf_op_is_finished(user_data);
}

gboolean btf_op_wait_finished(BtfOp *op, int timeout_ms, char **ret_result,
                              GVariant **ret_details, GError **error) {
        OpEvent *ev;

        if (!iterate_until(op->ctx, deadline_in(timeout_ms), op_finished_cond, op)) {
                op_set_error(op, error, TRUE, "Finished");
                return FALSE;
        }
        ev = op_find(op, "Finished", NULL, FALSE);
        ev->consumed = TRUE;
        if (ret_result)
                *ret_result = g_strdup(ev->name);
        if (ret_details)
                *ret_details = g_variant_ref(ev->details);
        return TRUE;
}

void btf_op_free(BtfOp *op) {
        if (!op)
                return;
        g_dbus_connection_signal_unsubscribe(op->connection, op->subscription);
        g_object_unref(op->connection);
        g_main_context_unref(op->ctx);
        g_ptr_array_unref(op->events);
        g_free(op->path);
        g_free(op);
}
