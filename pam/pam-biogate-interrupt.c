/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pam-biogate-interrupt.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* A signal handler gets no user data, so the pipe's write end is the one
 * piece of state that must be static. It is set only while installed. */
static volatile int interrupt_write_fd = -1;

static void on_sigint(int sig) {
        int saved_errno = errno;
        int fd = interrupt_write_fd;

        if (fd >= 0)
                (void) !write(fd, "", 1);
        errno = saved_errno;
}

void pam_biogate_interrupt_begin(PamBiogateInterrupt *i) {
        struct sigaction sa = { .sa_handler = on_sigint };

        *i = (PamBiogateInterrupt) { .fds = { -1, -1 } };
        if (sigaction(SIGINT, NULL, &i->saved) < 0 || i->saved.sa_handler == SIG_IGN)
                return;
        /* Another thread of the host already uses ours: leave it alone. */
        if (interrupt_write_fd >= 0)
                return;
        if (pipe2(i->fds, O_CLOEXEC | O_NONBLOCK) < 0) {
                i->fds[0] = i->fds[1] = -1;
                return;
        }
        interrupt_write_fd = i->fds[1];
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGINT, &sa, NULL) < 0) {
                interrupt_write_fd = -1;
                close(i->fds[0]);
                close(i->fds[1]);
                i->fds[0] = i->fds[1] = -1;
                return;
        }
        i->installed = true;
}

void pam_biogate_interrupt_end(PamBiogateInterrupt *i) {
        if (!i->installed)
                return;
        (void) sigaction(SIGINT, &i->saved, NULL);
        interrupt_write_fd = -1;
        close(i->fds[0]);
        close(i->fds[1]);
        i->fds[0] = i->fds[1] = -1;
        i->installed = false;
}

int pam_biogate_interrupt_fd(const PamBiogateInterrupt *i) {
        return i->installed ? i->fds[0] : -1;
}
