/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* LD_PRELOAD shim: a fingerprint sensor that is slow to open. libfprint's
 * virtual sensors open by binding their unix socket; this makes the bind()
 * of the one socket named by BIOGATE_TEST_SLOW_OPEN_PATH take
 * BIOGATE_TEST_SLOW_OPEN_MS longer, as a real sensor (USB reset, firmware)
 * or a loaded machine may. Test code only; biogated knows nothing of it. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

typedef int (*BindFn)(int, const struct sockaddr *, socklen_t);

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
        BindFn real = (BindFn) dlsym(RTLD_NEXT, "bind");
        const char *path = getenv("BIOGATE_TEST_SLOW_OPEN_PATH"), *ms = getenv("BIOGATE_TEST_SLOW_OPEN_MS");

        if (!real) {
                errno = ENOSYS;
                return -1;
        }
        if (addr && addr->sa_family == AF_UNIX && path && ms &&
            strncmp(((const struct sockaddr_un *) addr)->sun_path, path, sizeof ((struct sockaddr_un *) 0)->sun_path) == 0) {
                long delay = strtol(ms, NULL, 10);
                struct timespec t = { .tv_sec = delay / 1000, .tv_nsec = (delay % 1000) * 1000000L };

                while (delay > 0 && nanosleep(&t, &t) < 0 && errno == EINTR)
                        ;
        }
        return real(fd, addr, len);
}
