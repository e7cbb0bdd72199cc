/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* LD_PRELOAD shim for crash tests: counts the steps biogated takes on files
 * under one directory (write, fsync, fdatasync, renameat, unlinkat) and
 * kills the process with SIGKILL just before the N-th one, exactly where a
 * crash or a power cut could hit. Test code only; biogated knows nothing of
 * it.
 *
 *   BIOGATE_TEST_CRASH_DIR   count steps on files under this directory
 *   BIOGATE_TEST_CRASH_ARM   ...while this file exists (so start-up is left out)
 *   BIOGATE_TEST_CRASH_AT    kill before step N (0: never, just count)
 *   BIOGATE_TEST_CRASH_LOG   append "N call path" per step to this file
 *   BIOGATE_TEST_CRASH_TERM  if set: at step N send SIGTERM instead, and hold
 *                            that thread for 300 ms, so the daemon begins to
 *                            shut down while the step's work is unfinished
 *   BIOGATE_TEST_CRASH_HOLD_MS  if set (without ..._TERM): at step N hold that
 *                            thread this long before the kill, while the
 *                            other threads go on: what the daemon sends
 *                            before the step is durable then surely goes out */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static char dir[PATH_MAX];
static size_t dir_len;
static const char *arm_path, *log_path;
static long crash_at;
static int term_instead;
static long hold_ms;
static atomic_long steps;

__attribute__((constructor)) static void shim_init(void) {
        const char *d = getenv("BIOGATE_TEST_CRASH_DIR"), *at = getenv("BIOGATE_TEST_CRASH_AT");

        if (!d || !realpath(d, dir))
                return;
        dir_len = strlen(dir);
        arm_path = getenv("BIOGATE_TEST_CRASH_ARM");
        log_path = getenv("BIOGATE_TEST_CRASH_LOG");
        crash_at = at ? strtol(at, NULL, 10) : 0;
        term_instead = getenv("BIOGATE_TEST_CRASH_TERM") != NULL;
        hold_ms = getenv("BIOGATE_TEST_CRASH_HOLD_MS") ? strtol(getenv("BIOGATE_TEST_CRASH_HOLD_MS"), NULL, 10) : 0;
}

/* The path behind fd, if it is under dir. */
static int fd_path_under_dir(int fd, char path[static PATH_MAX]) {
        char link[64];
        ssize_t n;

        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        n = readlink(link, path, PATH_MAX - 1);
        if (n < 0)
                return 0;
        path[n] = '\0';
        return strncmp(path, dir, dir_len) == 0 && (path[dir_len] == '/' || path[dir_len] == '\0');
}

static void step(const char *call, int fd, const char *name) {
        char path[PATH_MAX], line[PATH_MAX + 128];
        long n;
        int log_fd, len;

        if (dir_len == 0 || !arm_path || !fd_path_under_dir(fd, path) || access(arm_path, F_OK) != 0)
                return;
        n = atomic_fetch_add(&steps, 1) + 1;
        if (log_path) {
                len = snprintf(line, sizeof line, "%ld %s %s%s%s\n", n, call, path, name ? "/" : "", name ? name : "");
                /* Raw syscalls: our own write() must not count itself. */
                log_fd = (int) syscall(SYS_openat, AT_FDCWD, log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
                if (log_fd >= 0) {
                        (void) syscall(SYS_write, log_fd, line, (size_t) len);
                        (void) syscall(SYS_close, log_fd);
                }
        }
        if (n == crash_at && term_instead) {
                const struct timespec hold = { .tv_nsec = 300 * 1000 * 1000 };

                kill(getpid(), SIGTERM);
                (void) nanosleep(&hold, NULL);
        } else if (n == crash_at) {
                const struct timespec hold = { .tv_sec = hold_ms / 1000, .tv_nsec = (hold_ms % 1000) * 1000 * 1000 };

                if (hold_ms > 0)
                        (void) nanosleep(&hold, NULL);
                kill(getpid(), SIGKILL);
        }
}

#define REAL(name) ((__typeof__(&name)) dlsym(RTLD_NEXT, #name))

ssize_t write(int fd, const void *buf, size_t count) {
        step("write", fd, NULL);
        return REAL(write)(fd, buf, count);
}

int fsync(int fd) {
        step("fsync", fd, NULL);
        return REAL(fsync)(fd);
}

int fdatasync(int fd) {
        step("fdatasync", fd, NULL);
        return REAL(fdatasync)(fd);
}

int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath) {
        step("renameat", newdirfd, newpath);
        return REAL(renameat)(olddirfd, oldpath, newdirfd, newpath);
}

int unlinkat(int dirfd, const char *pathname, int flags) {
        step(flags & AT_REMOVEDIR ? "rmdir" : "unlinkat", dirfd, pathname);
        return REAL(unlinkat)(dirfd, pathname, flags);
}
