/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The real systemd-journald for tests, without systemd as PID 1: in a
 * private mount namespace whose /run is a directory of the test, so that
 * only the processes the test puts into that namespace log to it and the
 * host's journal never sees them. Declared in biogate-test-fixture.h. */
#include "biogate-test-fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#define JOURNALD_PATH "/lib/systemd/systemd-journald"

struct BtfJournald {
        BtfProc *proc;
        char *run_dir;
        char *journal_dir;
        char *notify_path;
        char *ns_arg;
        const char *prefix[4];
};

/* Binds an AF_UNIX datagram socket for journald's sd_notify(). */
static int notify_socket_new(const char *path, GError **error) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        if (strlen(path) >= sizeof sa.sun_path) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG, "%s is too long for AF_UNIX", path);
                return -1;
        }
        memcpy(sa.sun_path, path, strlen(path));
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                int e = errno;

                if (fd >= 0)
                        close(fd);
                g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "notify socket %s: %s", path, g_strerror(e));
                return -1;
        }
        return fd;
}

typedef struct {
        int fd;
        gboolean ready, timed_out;
} NotifyWait;

static gboolean notify_readable_cb(int fd, GIOCondition condition, gpointer user_data) {
        NotifyWait *w = user_data;
        char buf[4096];
        ssize_t n;

        (void) condition;
        while ((n = recv(fd, buf, sizeof buf - 1, 0)) > 0) {
                buf[n] = '\0';
                /* One datagram, newline-separated assignments. */
                for (char *line = buf; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
                        if (strncmp(line, "READY=1", 7) == 0 && (line[7] == '\n' || line[7] == '\0'))
                                w->ready = TRUE;
        }
        return G_SOURCE_CONTINUE;
}

static gboolean timeout_cb(gpointer user_data) {
        ((NotifyWait *) user_data)->timed_out = TRUE;
        return G_SOURCE_REMOVE;
}

BtfJournald *btf_journald_start(const char *tmpdir, GError **error) {
        g_autoptr(BtfJournald) j = g_new0(BtfJournald, 1);
        g_autofree char *journal_runtime = NULL, *notify_env = NULL;
        /* The private /run replaces the host's only inside the namespace;
         * sh execs journald, so its PID is the one spawned here. */
        static const char script[] =
                "mount --bind \"$0\" /run && exec " JOURNALD_PATH;
        NotifyWait w = { .fd = -1 };
        GMainContext *ctx = g_main_context_get_thread_default();
        GSource *source, *timeout;

        if (!ctx)
                ctx = g_main_context_default();
        if (!g_file_test(JOURNALD_PATH, G_FILE_TEST_IS_EXECUTABLE)) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s is not installed", JOURNALD_PATH);
                return NULL;
        }
        j->run_dir = g_build_filename(tmpdir, "run", NULL);
        j->journal_dir = g_build_filename(j->run_dir, "log", "journal", NULL);
        journal_runtime = g_build_filename(j->run_dir, "systemd", "journal", NULL);
        j->notify_path = g_build_filename(tmpdir, "journald-notify.sock", NULL);
        /* What journald expects in /run, made before it starts so that
         * readers can watch the journal directory from the first moment. */
        if (g_mkdir_with_parents(j->journal_dir, 0755) < 0 || g_mkdir_with_parents(journal_runtime, 0755) < 0) {
                int e = errno;
                g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "mkdir in %s: %s", j->run_dir, g_strerror(e));
                return NULL;
        }
        w.fd = notify_socket_new(j->notify_path, error);
        if (w.fd < 0)
                return NULL;
        notify_env = g_strconcat("NOTIFY_SOCKET=", j->notify_path, NULL);
        {
                const char *argv[] = { "unshare", "-m", "--propagation", "private", "sh", "-c", script, j->run_dir,
                                       NULL };
                const char *env[] = { notify_env, NULL };

                j->proc = btf_spawn_async(argv, env, error);
        }
        if (!j->proc) {
                close(w.fd);
                return NULL;
        }

        source = g_unix_fd_source_new(w.fd, G_IO_IN);
        g_source_set_callback(source, (GSourceFunc) (void (*)(void)) notify_readable_cb, &w, NULL);
        g_source_attach(source, ctx);
        timeout = g_timeout_source_new((guint) btf_timeout_default_ms());
        g_source_set_callback(timeout, timeout_cb, &w, NULL);
        g_source_attach(timeout, ctx);
        while (!w.ready && !w.timed_out && !btf_proc_has_exited(j->proc))
                g_main_context_iteration(ctx, TRUE);
        g_source_destroy(source);
        g_source_unref(source);
        g_source_destroy(timeout);
        g_source_unref(timeout);
        close(w.fd);
        (void) unlink(j->notify_path);

        if (!w.ready) {
                g_set_error(error, G_IO_ERROR, w.timed_out ? G_IO_ERROR_TIMED_OUT : G_IO_ERROR_FAILED,
                            "systemd-journald (pid %d) %s before READY=1; stderr:\n%s", (int) btf_proc_get_pid(j->proc),
                            w.timed_out ? "timed out" : "exited", btf_proc_get_stderr(j->proc));
                return NULL;
        }
        j->ns_arg = g_strdup_printf("--mount=/proc/%d/ns/mnt", (int) btf_proc_get_pid(j->proc));
        j->prefix[0] = "nsenter";
        j->prefix[1] = j->ns_arg;
        j->prefix[2] = "--";
        j->prefix[3] = NULL;
        g_test_message("systemd-journald: pid %d, journal %s", (int) btf_proc_get_pid(j->proc), j->journal_dir);
        return g_steal_pointer(&j);
}

const char *const *btf_journald_get_command_prefix(BtfJournald *journald) {
        return journald->prefix;
}

const char *btf_journald_get_directory(BtfJournald *journald) {
        return journald->journal_dir;
}

GPid btf_journald_get_pid(BtfJournald *journald) {
        return btf_proc_get_pid(journald->proc);
}

static guint count_matching(sd_journal *journal, int *ret_error) {
        guint n = 0;
        int r;

        *ret_error = sd_journal_seek_head(journal);
        if (*ret_error < 0)
                return 0;
        while ((r = sd_journal_next(journal)) > 0)
                n++;
        *ret_error = MIN(r, 0);
        return n;
}

gboolean btf_journald_wait_entries(BtfJournald *journald, const char *const *matches, guint count,
                                   int timeout_ms, GError **error) {
        gint64 deadline = g_get_monotonic_time() +
                          (gint64) (timeout_ms < 0 ? btf_timeout_default_ms() : timeout_ms) * 1000;
        g_autofree char *wanted = g_strjoinv(" ", (char **) matches);
        sd_journal *journal = NULL;
        guint n = 0;
        int r;

        r = sd_journal_open_directory(&journal, journald->journal_dir, 0);
        for (const char *const *m = matches; r >= 0 && m && *m; m++)
                r = sd_journal_add_match(journal, *m, 0);
        while (r >= 0) {
                gint64 left = deadline - g_get_monotonic_time();

                n = count_matching(journal, &r);
                if (r < 0 || n >= count)
                        break;
                if (left <= 0) {
                        g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                    "timed out waiting for %u journal entries with %s in %s (found %u)", count, wanted,
                                    journald->journal_dir, n);
                        sd_journal_close(journal);
                        return FALSE;
                }
                /* Woken by inotify on the journal files; re-count then. */
                r = sd_journal_wait(journal, (uint64_t) left);
        }
        if (journal)
                sd_journal_close(journal);
        if (r < 0) {
                g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r), "reading the journal in %s: %s",
                            journald->journal_dir, g_strerror(-r));
                return FALSE;
        }
        return TRUE;
}

gboolean btf_journald_stop(BtfJournald *journald, int *ret_wait_status, GError **error) {
        int status;

        if (!journald || !journald->proc || btf_proc_has_exited(journald->proc))
                return TRUE;
        btf_proc_kill(journald->proc, SIGTERM);
        if (!btf_proc_wait(journald->proc, BTF_TIMEOUT_DEFAULT, &status, error))
                return FALSE;   /* btf_proc_free() kills it */
        if (ret_wait_status)
                *ret_wait_status = status;
        return TRUE;
}

void btf_journald_free(BtfJournald *journald) {
        g_autoptr(GError) error = NULL;

        if (!journald)
                return;
        if (!btf_journald_stop(journald, NULL, &error))
                g_test_message("stopping systemd-journald: %s", error->message);
        btf_proc_free(journald->proc);
        g_free(journald->run_dir);
        g_free(journald->journal_dir);
        g_free(journald->notify_path);
        g_free(journald->ns_arg);
        g_free(journald);
}
