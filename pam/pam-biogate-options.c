/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pam-biogate-options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Decimal only, no sign, no spaces, within [min, max]. */
static bool parse_unsigned(const char *s, unsigned min, unsigned max, unsigned *ret) {
        unsigned long v;
        char *end;

        if (!s || *s < '0' || *s > '9')
                return false;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || *end != '\0' || v < min || v > max)
                return false;
        *ret = (unsigned) v;
        return true;
}

void pam_biogate_options_parse(PamBiogateOptions *options, int argc, const char **argv,
                               PamBiogateOptionWarn warn, void *userdata) {
        *options = (PamBiogateOptions) {
                .timeout_s = PAM_BIOGATE_TIMEOUT_DEFAULT,
                .max_tries = PAM_BIOGATE_MAX_TRIES_DEFAULT,
                .finger = BIOGATE_FINGER_INVALID,
        };

        for (int i = 0; i < argc; i++) {
                const char *arg = argv[i];

                if (!arg)
                        continue;
                if (strcmp(arg, "debug") == 0)
                        options->debug = true;
                else if (strcmp(arg, "quiet") == 0)
                        options->quiet = true;
                else if (strcmp(arg, "allow-remote") == 0)
                        options->allow_remote = true;
                else if (strncmp(arg, "timeout=", 8) == 0) {
                        if (!parse_unsigned(arg + 8, PAM_BIOGATE_TIMEOUT_MIN, PAM_BIOGATE_TIMEOUT_MAX,
                                            &options->timeout_s))
                                warn(userdata, arg, "not a number of seconds from 1 to 600");
                } else if (strncmp(arg, "max-tries=", 10) == 0) {
                        if (!parse_unsigned(arg + 10, PAM_BIOGATE_MAX_TRIES_MIN, PAM_BIOGATE_MAX_TRIES_MAX,
                                            &options->max_tries))
                                warn(userdata, arg, "not a number from 1 to 10");
                } else if (strncmp(arg, "finger=", 7) == 0) {
                        BiogateFinger f = biogate_finger_from_name(arg + 7);
                        if (f == BIOGATE_FINGER_INVALID)
                                warn(userdata, arg, "not a finger name such as right-index-finger");
                        else
                                options->finger = f;
                } else
                        warn(userdata, arg, "unknown option");
        }
}
