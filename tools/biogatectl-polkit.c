/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A textual polkit agent for the length of one command, as systemctl
 * starts one: on a bare terminal nobody else would ask for the password
 * polkit wants (auth_admin for unlock, auth_self_keep for enrolment), and
 * the daemon could only refuse. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <systemd/sd-login.h>
#include <unistd.h>

#include "biogatectl-bus.h"

void ctl_polkit_agent_open(Ctl *ctl) {
        char fd_text[16];
        int notify[2], agent_fd;
        bool fallback;
        pid_t pid;

        if (ctl->agent_pid > 0 || ctl->no_ask_password)
                return;
        /* biogated never asks polkit about root. */
        if (geteuid() == 0)
                return;
        /* Nobody to type a password. */
        if (isatty(STDIN_FILENO) != 1)
                return;
        if (pipe2(notify, O_CLOEXEC) < 0)
                return;
        /* Only this copy of the write end crosses exec (F_DUPFD leaves out
         * close-on-exec); the agent closes it once it has registered. Made
         * before fork, so that the child only execs. */
        agent_fd = fcntl(notify[1], F_DUPFD, 3);
        close(notify[1]);
        if (agent_fd < 0) {
                close(notify[0]);
                return;
        }
        snprintf(fd_text, sizeof fd_text, "%d", agent_fd);

        /* --fallback leaves the asking to an agent of our logind session
         * (a desktop's) when there is one. Outside any session polkitd
         * never uses a fallback agent, only one for our process. */
        fallback = sd_pid_get_session(0, NULL) >= 0;

        pid = fork();
        if (pid == 0) {
                execl(BIOGATE_PKTTYAGENT_PATH, BIOGATE_PKTTYAGENT_PATH, "--notify-fd", fd_text,
                      fallback ? "--fallback" : (char *) NULL, (char *) NULL);
                _exit(127);
        }
        close(agent_fd);
        if (pid < 0) {
                close(notify[0]);
                return;
        }
        ctl->agent_pid = pid;

        /* EOF when it has registered, and also when it failed to start or
         * to register (it exits, closing the pipe): then the call goes on
         * without it and the daemon's refusal says what to do. */
        for (;;) {
                struct pollfd p = { .fd = notify[0], .events = POLLIN };
                ssize_t n;
                char c;

                if (poll(&p, 1, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                n = read(notify[0], &c, 1);
                if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
                        break;
        }
        close(notify[0]);
}

void ctl_polkit_agent_close(Ctl *ctl) {
        if (ctl->agent_pid <= 0)
                return;
        (void) kill(ctl->agent_pid, SIGTERM);
        while (waitpid(ctl->agent_pid, NULL, 0) < 0 && errno == EINTR)
                ;
        ctl->agent_pid = 0;
}
