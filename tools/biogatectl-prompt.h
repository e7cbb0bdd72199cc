/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "biogatectl-bus.h"

/* Questions to the person at the terminal, for consent and confirmation. */

/* True when standard input is a terminal, so there is someone to ask. */
bool ctl_can_ask(void);

/* Writes question and " [y/N] " to standard error and reads one line from
 * standard input. Returns 1 for "y" or "yes" (any case), 0 for anything
 * else, end of input included. */
int ctl_ask_yes_no(const char *question);

/* The consent notice biogated checks consent against, as it serves it
 * (Manager.GetConsentNotice): the site's or the vendor's, in the language
 * of LC_MESSAGES where it has a translation. The version sent back with
 * the consent is always the one of the text shown. */
typedef struct CtlNotice {
        char *version;
        char *language;
        char *text;             /* made printable: no control characters but newlines */
} CtlNotice;

void ctl_notice_clear(CtlNotice *notice);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CtlNotice, ctl_notice_clear)

/* The locale name the notice is asked for: the first of LANGUAGE, LC_ALL,
 * LC_MESSAGES, LANG, as gettext would look. */
const char *ctl_notice_locale(void);

/* Connects and asks for the notice. Returns -1 on success, else the exit
 * status, the error reported. */
int ctl_fetch_notice(Ctl *ctl, CtlNotice *ret);

/* What ctl_obtain_consent() says, for one command. */
typedef struct CtlConsentTexts {
        const char *question;      /* asked after the notice */
        const char *given_option;  /* "--yes-i-consent": consent given on the command line */
        const char *no_terminal;   /* ConsentRequired: nobody to ask, no given_option */
        const char *declined;      /* Cancelled: the answer was not yes */
} CtlConsentTexts;

/* Fetches the notice (into ret_notice: its version goes with the consent),
 * shows it on standard error and asks the person at the terminal; with
 * given (given_option passed) the person has read it elsewhere: the notice
 * is shown all the same (not with json), nothing is asked. Returns -1 to go
 * on, else the exit status, the error reported: ConsentRequired when there
 * is nobody to ask (before the daemon is asked for anything), Cancelled
 * for any answer but yes, the daemon's error when it has no notice. */
int ctl_obtain_consent(Ctl *ctl, bool given, const CtlConsentTexts *texts, CtlNotice *ret_notice);
