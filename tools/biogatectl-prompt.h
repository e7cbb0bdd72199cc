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

/* What ctl_obtain_consent() says, for one command. */
typedef struct CtlConsentTexts {
        const char *question;      /* asked after the notice */
        const char *given_option;  /* "--yes-i-consent": consent given on the command line */
        const char *no_terminal;   /* ConsentRequired: nobody to ask, no given_option */
        const char *declined;      /* Cancelled: the answer was not yes */
} CtlConsentTexts;

/* Shows the consent notice on standard error and asks the person at the
 * terminal; with given (given_option passed) the person has read it
 * elsewhere: the notice is shown all the same (not with json), nothing is
 * asked. Returns -1 to go on, else the exit status, the error reported:
 * ConsentRequired when there is nobody to ask, Cancelled for any answer
 * but yes. */
int ctl_obtain_consent(bool json, bool given, const CtlConsentTexts *texts);
