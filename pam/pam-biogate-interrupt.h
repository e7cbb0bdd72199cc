/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <signal.h>
#include <stdbool.h>

/* Ctrl-C while sudo waits for a finger must end the wait at once. For the
 * duration of one authentication the module catches SIGINT into a pipe that
 * the wait loop polls, and puts the host's handler back afterwards. A host
 * that ignores SIGINT (gdm, sshd) keeps ignoring it. */
typedef struct PamBiogateInterrupt {
        int fds[2];
        bool installed;
        struct sigaction saved;
} PamBiogateInterrupt;

/* Never fails the authentication: without it, Ctrl-C keeps its old effect. */
void pam_biogate_interrupt_begin(PamBiogateInterrupt *i);
void pam_biogate_interrupt_end(PamBiogateInterrupt *i);
/* -1 when not installed. */
int pam_biogate_interrupt_fd(const PamBiogateInterrupt *i);
