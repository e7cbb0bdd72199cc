/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <systemd/sd-bus.h>

#include "pam-biogate-outcome.h"

/* The module's conversation with biogated over sd-bus. */

/* The system bus at its fixed path. The environment is never consulted: in
 * a setuid host (sudo) DBUS_SYSTEM_BUS_ADDRESS belongs to the caller, who
 * could point us at a bus where a fake daemon always says "match". */
#define PAM_BIOGATE_SYSTEM_BUS_ADDRESS "unix:path=/run/dbus/system_bus_socket"

int pam_biogate_bus_open(sd_bus **ret_bus);

/* What we read from a signal's a{sv} details; strings point into the
 * message and live as long as the callback. */
typedef struct PamBiogateDetails {
        const char *user;
        const char *error;
        const char *reason;     /* "retry-scan" */
        unsigned fingers;       /* "finger-needed": 1u << BiogateFinger of each finger that can match; 0 unknown */
        uint64_t retry_after_ms; /* with LockedOut: the wait; 0 until an administrator unlocks */
} PamBiogateDetails;

/* Called for Progress signals of our operation; a negative return (the
 * conversation failed) ends the verification with PAM_BIOGATE_CONV_ERROR. */
typedef int (*PamBiogateProgress)(void *userdata, const char *status, const PamBiogateDetails *details);

typedef struct PamBiogateVerify {
        const char *user;
        const char *service;    /* PAM service, for the daemon's log; may be NULL */
        const char *finger;     /* restrict to this finger name; may be NULL */
        uint64_t deadline;      /* CLOCK_MONOTONIC µs */
        int interrupt_fd;       /* readable when the user pressed Ctrl-C; -1 for none */
        PamBiogateProgress progress;
        void *userdata;
} PamBiogateVerify;

/* One Verify operation: PAM_BIOGATE_MATCH only for a "match" the daemon
 * reported for this very operation and user; PAM_BIOGATE_NO_MATCH for one
 * non-matching touch; anything else ends the attempt. Nothing enrolled (for
 * args->finger, if set) is the daemon's NoEnrolledPrints error on the call,
 * before any prompt. */
PamBiogateResult pam_biogate_verify(sd_bus *bus, const PamBiogateVerify *args);

uint64_t pam_biogate_now_usec(void);
