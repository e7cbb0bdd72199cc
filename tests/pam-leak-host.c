/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A PAM application built on libpamtest, for the leak test: runs
 *   pam-leak-host SERVICE USER EXPECTED_CODE
 * pam_authenticate() in this process (keeping the handle), then pam_end(),
 * and prints what the process holds before pam_start(), after
 * pam_authenticate() and after pam_end():
 *   fds: B M A        entries of /proc/self/fd
 *   threads: B M A    entries of /proc/self/task
 *   sockets: B M A    descriptors that are sockets
 *   new-sockets: N    sockets at the end that were not there at the start
 * Conversation messages go to stdout as "info: ..." / "error: ..." at once,
 * so the test knows when to touch the sensor. Exits 0 when pam_authenticate
 * returned EXPECTED_CODE, 1 otherwise; the test compares the numbers. */
#include <dirent.h>
#include <libpamtest.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
        unsigned fds, threads, sockets;
        unsigned long inodes[256];
        unsigned n_inodes;
} Snapshot;

static void snapshot(Snapshot *s) {
        struct dirent *de;
        DIR *d;

        *s = (Snapshot) { 0 };
        d = opendir("/proc/self/fd");
        if (!d) {
                perror("/proc/self/fd");
                exit(2);
        }
        while ((de = readdir(d))) {
                char path[300], target[256];
                unsigned long inode;
                ssize_t n;

                if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
                        continue;
                s->fds++;
                snprintf(path, sizeof path, "/proc/self/fd/%s", de->d_name);
                n = readlink(path, target, sizeof target - 1);
                if (n < 0)
                        continue;
                target[n] = '\0';
                if (sscanf(target, "socket:[%lu]", &inode) == 1) {
                        s->sockets++;
                        if (s->n_inodes < sizeof s->inodes / sizeof s->inodes[0])
                                s->inodes[s->n_inodes++] = inode;
                }
        }
        closedir(d);
        d = opendir("/proc/self/task");
        if (!d) {
                perror("/proc/self/task");
                exit(2);
        }
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        s->threads++;
        closedir(d);
}

static unsigned new_sockets(const Snapshot *before, const Snapshot *after) {
        unsigned n = 0;

        for (unsigned i = 0; i < after->n_inodes; i++) {
                bool known = false;
                for (unsigned j = 0; j < before->n_inodes; j++)
                        known = known || before->inodes[j] == after->inodes[i];
                n += !known;
        }
        return n;
}

static int conversation(int n, const struct pam_message **msgs, struct pam_response **ret, void *data) {
        struct pam_response *replies = calloc((size_t) n, sizeof *replies);

        (void) data;
        if (!replies)
                return PAM_BUF_ERR;
        for (int i = 0; i < n; i++)
                printf("%s: %s\n", msgs[i]->msg_style == PAM_ERROR_MSG ? "error" : "info", msgs[i]->msg);
        fflush(stdout);
        *ret = replies;
        return PAM_SUCCESS;
}

int main(int argc, char *argv[]) {
        Snapshot before, mid, after;
        struct pam_testcase tests[2];
        enum pamtest_err perr;
        pam_handle_t *pamh;
        int expected;

        if (argc != 4) {
                fprintf(stderr, "usage: pam-leak-host SERVICE USER EXPECTED_CODE\n");
                return 2;
        }
        expected = atoi(argv[3]);
        tests[0] = (struct pam_testcase) pam_test(PAMTEST_AUTHENTICATE, expected);
        tests[1] = (struct pam_testcase) pam_test(PAMTEST_KEEPHANDLE, PAM_SUCCESS);

        snapshot(&before);
        /* run_pamtest_conv() in libpamtest 1.1.4's header has unbalanced
         * parentheses: call what it expands to. */
        perr = _pamtest_conv(argv[1], argv[2], conversation, NULL, tests, 2, NULL);
        pamh = tests[1].case_out.ph;
        snapshot(&mid);
        printf("result: %d (%s)\n", tests[0].op_rv, pamtest_strerror(perr));
        if (pamh)
                pam_end(pamh, tests[0].op_rv);
        snapshot(&after);

        printf("fds: %u %u %u\n", before.fds, mid.fds, after.fds);
        printf("threads: %u %u %u\n", before.threads, mid.threads, after.threads);
        printf("sockets: %u %u %u\n", before.sockets, mid.sockets, after.sockets);
        printf("new-sockets: %u\n", new_sockets(&before, &mid) + new_sockets(&before, &after));
        fflush(stdout);
        return perr == PAMTEST_ERR_OK && pamh ? 0 : 1;
}
