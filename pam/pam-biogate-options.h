/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "biogate-finger.h"

/* The module's arguments from the PAM stack, parsed afresh on every call
 * (long-lived hosts such as gdm call the module many times). */

#define PAM_BIOGATE_TIMEOUT_DEFAULT 30u
#define PAM_BIOGATE_TIMEOUT_MIN 1u
#define PAM_BIOGATE_TIMEOUT_MAX 600u
#define PAM_BIOGATE_MAX_TRIES_DEFAULT 3u
#define PAM_BIOGATE_MAX_TRIES_MIN 1u
#define PAM_BIOGATE_MAX_TRIES_MAX 10u

typedef struct PamBiogateOptions {
        bool debug;
        bool quiet;
        bool allow_remote;
        unsigned timeout_s;     /* the whole call, all tries together */
        unsigned max_tries;
        BiogateFinger finger;   /* BIOGATE_FINGER_INVALID: any enrolled finger */
} PamBiogateOptions;

/* Called for each argument that is unknown or malformed; it is then ignored
 * and the default stays. */
typedef void (*PamBiogateOptionWarn)(void *userdata, const char *argument, const char *reason);

void pam_biogate_options_parse(PamBiogateOptions *options, int argc, const char **argv,
                               PamBiogateOptionWarn warn, void *userdata);
