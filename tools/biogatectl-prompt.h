/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Questions to the person at the terminal, for consent and confirmation. */

/* True when standard input is a terminal, so there is someone to ask. */
bool ctl_can_ask(void);

/* Writes question and " [y/N] " to standard error and reads one line from
 * standard input. Returns 1 for "y" or "yes" (any case), 0 for anything
 * else, end of input included. */
int ctl_ask_yes_no(const char *question);

/* The consent notice biogated checks consent against, compiled in from
 * data/consent-notice.txt: its text and its version. */
const char *ctl_consent_notice_text(void);
const char *ctl_consent_notice_version(void);
