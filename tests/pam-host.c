/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A minimal PAM application for the tests, like sudo or a screen locker
 * would be: runs pam_authenticate() once and exits with its return code, so
 * a test can assert the exact PAM code.
 *   pam-host [--rhost HOST] [--fail-conv] SERVICE USER
 * Conversation messages go to stdout as "info: ..." / "error: ..." (flushed
 * at once, so a test can wait for a prompt). Like login, sudo and gdm it
 * takes its locale from the environment, so the module's prompts are in the
 * user's language (tests/test-i18n.c). Before exiting it prints
 * "fds: BEFORE AFTER": the open descriptors before pam_start() and after
 * pam_end(), to catch leaks into the host. */
#include <dirent.h>
#include <locale.h>
#include <security/pam_appl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool fail_conv;

static int conversation(int n, const struct pam_message **msgs, struct pam_response **ret, void *data) {
        struct pam_response *replies;

        if (fail_conv)
                return PAM_CONV_ERR;
        replies = calloc((size_t) n, sizeof *replies);
        if (!replies)
                return PAM_BUF_ERR;
        for (int i = 0; i < n; i++) {
                switch (msgs[i]->msg_style) {
                case PAM_TEXT_INFO:
                        printf("info: %s\n", msgs[i]->msg);
                        break;
                case PAM_ERROR_MSG:
                        printf("error: %s\n", msgs[i]->msg);
                        break;
                default:
                        /* The fingerprint module never asks for input. */
                        printf("prompt: %s\n", msgs[i]->msg);
                        break;
                }
        }
        fflush(stdout);
        *ret = replies;
        return PAM_SUCCESS;
}

static int count_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        int n = 0;

        if (!d)
                return -1;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n - 1; /* the directory's own descriptor */
}

int main(int argc, char *argv[]) {
        struct pam_conv conv = { conversation, NULL };
        const char *rhost = NULL;
        pam_handle_t *pamh = NULL;
        int i = 1, r, before, after;

        for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
                if (strcmp(argv[i], "--rhost") == 0 && i + 1 < argc)
                        rhost = argv[++i];
                else if (strcmp(argv[i], "--fail-conv") == 0)
                        fail_conv = true;
                else
                        break;
        }
        if (argc - i != 2) {
                fprintf(stderr, "usage: pam-host [--rhost HOST] [--fail-conv] SERVICE USER\n");
                return 100;
        }
        setlocale(LC_ALL, "");
        before = count_fds();
        r = pam_start(argv[i], argv[i + 1], &conv, &pamh);
        if (r != PAM_SUCCESS) {
                fprintf(stderr, "pam_start: %d\n", r);
                return 101;
        }
        if (rhost)
                (void) pam_set_item(pamh, PAM_RHOST, rhost);
        r = pam_authenticate(pamh, 0);
        printf("result: %d %s\n", r, pam_strerror(pamh, r));
        pam_end(pamh, r);
        after = count_fds();
        printf("fds: %d %d\n", before, after);
        fflush(stdout);
        return r;
}
