/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The integration fixture, part: libfprint's virtual_device sensor socket. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "btf-private.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

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
                int remaining = MAX(btf_deadline_remaining_ms(deadline), 1);
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
        gint64 deadline = btf_deadline_in(timeout_ms);
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
                int r = poll(&pfd, 1, btf_deadline_remaining_ms(deadline));

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
        gint64 deadline = btf_deadline_in(timeout_ms);
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
                r = poll(&pfd, 1, btf_deadline_remaining_ms(deadline));
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

char *btf_vdev_in_process_setup(void) {
        g_autoptr(GError) error = NULL;
        g_autofree char *dir = g_dir_make_tmp("biogate-vdev-XXXXXX", &error);
        g_autofree char *socket_path = NULL;

        g_assert_no_error(error);
        socket_path = g_build_filename(dir, "vdev.sock", NULL);
        g_setenv("FP_DRIVERS_WHITELIST", "virtual_device", TRUE);
        g_setenv("FP_DRIVERS_ALLOWLIST", "virtual_device", TRUE);
        g_setenv("FP_VIRTUAL_DEVICE", socket_path, TRUE);
        return g_steal_pointer(&dir);
}

void btf_vdev_in_process_clear(char *dir) {
        g_autofree char *socket_path = g_build_filename(dir, "vdev.sock", NULL);

        (void) unlink(socket_path);
        (void) rmdir(dir);
        g_free(dir);
}
