/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The PAM module's argument parser: the input split on spaces and NULs
 * into argv, as a PAM stack line would give it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pam-biogate-options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void count_warning(void *userdata, const char *argument, const char *reason) {
        /* Touch both strings so a dangling one shows up under ASan. */
        *(size_t *) userdata += strlen(argument) + strlen(reason);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        PamBiogateOptions options;
        const char **argv;
        char *buf;
        size_t warned = 0;
        int argc = 0;

        buf = malloc(size + 1);
        argv = calloc(size / 2 + 2, sizeof *argv);
        if (!buf || !argv) {
                free(buf);
                free(argv);
                return 0;
        }
        memcpy(buf, data, size);
        buf[size] = '\0';
        for (size_t i = 0; i < size; i++) {
                if (buf[i] == ' ' || buf[i] == '\0') {
                        buf[i] = '\0';
                        continue;
                }
                if (i == 0 || buf[i - 1] == '\0')
                        argv[argc++] = buf + i;
        }

        memset(&options, 0xa5, sizeof options);
        pam_biogate_options_parse(&options, argc, argv, count_warning, &warned);
        /* Whatever the input, the result stays inside the documented ranges. */
        if (options.timeout_s < PAM_BIOGATE_TIMEOUT_MIN || options.timeout_s > PAM_BIOGATE_TIMEOUT_MAX ||
            options.max_tries < PAM_BIOGATE_MAX_TRIES_MIN || options.max_tries > PAM_BIOGATE_MAX_TRIES_MAX)
                abort();

        free(argv);
        free(buf);
        return 0;
}
