/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "biogate-errors.h"

/* Everything that can end an authentication attempt, and the one table
 * that turns it into a PAM code. Errors the daemon names come from the
 * common error table (common/biogate-errors.c); the rest are the module's
 * own outcomes below. */

typedef enum PamBiogateOutcome {
        PAM_BIOGATE_MATCH,               /* the daemon reported a match for this user and operation */
        PAM_BIOGATE_NO_MATCH,            /* no match after max-tries */
        PAM_BIOGATE_DAEMON_UNAVAILABLE,  /* no bus, no daemon, daemon cannot be started */
        PAM_BIOGATE_DAEMON_VANISHED,     /* the daemon left the bus mid-operation */
        PAM_BIOGATE_REMOTE_SESSION,      /* remote login and no allow-remote */
        PAM_BIOGATE_TIMED_OUT,           /* the module's own deadline passed */
        PAM_BIOGATE_INTERRUPTED,         /* SIGINT (Ctrl-C in sudo) */
        PAM_BIOGATE_USER_UNKNOWN,
        PAM_BIOGATE_ACCESS_DENIED,       /* the bus policy refused the call */
        PAM_BIOGATE_CONV_ERROR,
        PAM_BIOGATE_NO_MEMORY,
        PAM_BIOGATE_UNEXPECTED,          /* malformed reply or anything unforeseen */
        PAM_BIOGATE_DAEMON_ERROR,        /* a named org.biogate1.Error.*, see Result.error */
        _PAM_BIOGATE_OUTCOME_MAX,
} PamBiogateOutcome;

typedef struct PamBiogateResult {
        PamBiogateOutcome outcome;
        BiogateError error;  /* with PAM_BIOGATE_DAEMON_ERROR */
        uint64_t retry_after_ms; /* with BIOGATE_ERROR_LOCKED_OUT: the wait; 0 until an administrator unlocks */
} PamBiogateResult;

/* The PAM code for a result. Only PAM_BIOGATE_MATCH gives PAM_SUCCESS. */
int pam_biogate_result_to_pam(PamBiogateResult result);

/* A short text for the log. */
const char *pam_biogate_result_to_string(PamBiogateResult result);

/* Classifies a D-Bus error name from the daemon or the bus. */
PamBiogateResult pam_biogate_result_from_error_name(const char *name);
