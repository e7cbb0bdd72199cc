/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The integration fixture, part: deadlines, a gate for worker threads, the temporary directory, child processes and their captured output. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "btf-private.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glib-unix.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define BTF_DEFAULT_TIMEOUT_MS 20000

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
gint64 btf_deadline_in(int timeout_ms) {
        return g_get_monotonic_time() + (gint64) timeout_resolve(timeout_ms) * 1000;
}

/* Milliseconds left, rounded up, never negative. */
int btf_deadline_remaining_ms(gint64 deadline) {
        gint64 left = deadline - g_get_monotonic_time();

        if (left <= 0)
                return 0;
        return (int) MIN((left + 999) / 1000, G_MAXINT);
}

/* The context waits iterate and sources are attached to. */
GMainContext *btf_current_context(void) {
        GMainContext *ctx = g_main_context_get_thread_default();

        return ctx ? ctx : g_main_context_default();
}

static gboolean set_flag_cb(gpointer user_data) {
        *(gboolean *) user_data = TRUE;
        return G_SOURCE_REMOVE;
}

/* Iterates @ctx until @cond holds or @deadline passes. Returns @cond. */
gboolean btf_iterate_until(GMainContext *ctx, gint64 deadline, BtfCondFunc cond, gpointer user_data) {
        gboolean timed_out = FALSE;
        GSource *timeout;

        if (cond(user_data))
                return TRUE;

        timeout = g_timeout_source_new(btf_deadline_remaining_ms(deadline));
        g_source_set_callback(timeout, set_flag_cb, &timed_out, NULL);
        g_source_attach(timeout, ctx);

        while (!cond(user_data) && !timed_out)
                g_main_context_iteration(ctx, TRUE);

        g_source_destroy(timeout);
        g_source_unref(timeout);
        return cond(user_data);
}

gboolean btf_wait_until(BtfCondFunc cond, gpointer user_data, int timeout_ms) {
        return btf_iterate_until(btf_current_context(), btf_deadline_in(timeout_ms), cond, user_data);
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
void btf_test_message_file_tail(const char *path, const char *prefix, guint n_lines) {
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

/* ---- a gate for worker threads ------------------------------------------ */

struct BtfGate {
        GMutex lock;
        GCond cond;
        gboolean open;
};

BtfGate *btf_gate_new(void) {
        BtfGate *gate = g_new0(BtfGate, 1);

        g_mutex_init(&gate->lock);
        g_cond_init(&gate->cond);
        return gate;
}

gboolean btf_gate_pass(gpointer gate, GError **error) {
        BtfGate *g = gate;

        g_mutex_lock(&g->lock);
        while (!g->open)
                g_cond_wait(&g->cond, &g->lock);
        g_mutex_unlock(&g->lock);
        return TRUE;
}

void btf_gate_open(BtfGate *gate) {
        g_mutex_lock(&gate->lock);
        gate->open = TRUE;
        g_cond_broadcast(&gate->cond);
        g_mutex_unlock(&gate->lock);
}

void btf_gate_free(BtfGate *gate) {
        if (!gate)
                return;
        g_mutex_clear(&gate->lock);
        g_cond_clear(&gate->cond);
        g_free(gate);
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
int btf_fd_move_high(int fd) {
        int high = fcntl(fd, F_DUPFD_CLOEXEC, 10);

        if (high < 0)
                g_error("fcntl(F_DUPFD_CLOEXEC): %s", g_strerror(errno));
        close(fd);
        return high;
}

/* g_get_environ() with @extra applied: "KEY=VALUE" sets, "KEY" unsets. */
char **btf_environ_apply(char **envp, const char *const *extra) {
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
gboolean btf_spawn_child(const char *const *argv, const char *const *envp,
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

static void child_exited_cb(GPid pid, int wait_status, gpointer user_data) {
        BtfChild *child = user_data;

        (void) pid;
        child->exited = TRUE;
        child->wait_status = wait_status;
}

void btf_child_watch(BtfChild *child, GMainContext *ctx, GPid pid) {
        child->ctx = g_main_context_ref(ctx);
        child->pid = pid;
        child->watch = g_child_watch_source_new(pid);
        g_source_set_callback(child->watch, (GSourceFunc) (void (*)(void)) child_exited_cb, child, NULL);
        g_source_attach(child->watch, ctx);
}

static gboolean child_exited_cond(gpointer user_data) {
        return ((BtfChild *) user_data)->exited;
}

gboolean btf_child_wait(BtfChild *child, gint64 deadline) {
        return btf_iterate_until(child->ctx, deadline, child_exited_cond, child);
}

/* Sends @sig to exactly the child's PID, unless it has been reaped (the PID
 * may then belong to someone else). */
void btf_child_kill(BtfChild *child, int sig) {
        if (child->pid > 0 && !child->exited && kill(child->pid, sig) < 0 && errno != ESRCH)
                g_test_message("kill(%d, %d): %s", (int) child->pid, sig, g_strerror(errno));
}

/* SIGKILL unless reaped, then reap; for cleanup paths. */
void btf_child_clear(BtfChild *child) {
        if (!child->ctx)
                return;
        if (!child->exited) {
                btf_child_kill(child, SIGKILL);
                if (!btf_child_wait(child, btf_deadline_in(BTF_TIMEOUT_DEFAULT)))
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
        g_auto(GStrv) envp = btf_environ_apply(g_get_environ(), extra_env);
        int out_fd = -1, err_fd = -1;
        GPid pid;

        g_return_val_if_fail(argv && argv[0], NULL);

        proc->out.fd = proc->err.fd = -1;
        proc->name = g_strjoinv(" ", (char **) argv);
        if (!btf_spawn_child(argv, (const char *const *) envp, -1, -1, -1, -1, &pid, &out_fd, &err_fd, error))
                return NULL;

        btf_child_watch(&proc->child, btf_current_context(), pid);
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
        btf_child_kill(&proc->child, sig);
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

        btf_iterate_until(proc->child.ctx, btf_deadline_in(timeout_ms), output_cond, &w);
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
        if (!btf_iterate_until(proc->child.ctx, btf_deadline_in(timeout_ms), proc_done_cond, proc)) {
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
        btf_child_clear(&proc->child);
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
