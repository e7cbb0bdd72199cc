/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "biogatectl-prompt.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "biogate-bus.h"
#include "biogate-consent-notice.h"
#include "biogate-i18n.h"
#include "biogatectl-error.h"

bool ctl_can_ask(void) {
        return isatty(STDIN_FILENO) == 1;
}

int ctl_ask_yes_no(const char *question) {
        char line[64];
        g_autofree char *answer = NULL;

        /* TRANSLATORS: the short yes and no answers to a question; keep the default (no) in capitals. */
        fprintf(stderr, "%s %s ", question, _("[y/N]"));
        fflush(stderr);
        if (!fgets(line, sizeof line, stdin))
                return 0;
        g_strstrip(line);
        if (g_ascii_strcasecmp(line, "y") == 0 || g_ascii_strcasecmp(line, "yes") == 0)
                return 1;
        /* Also yes in the user's language (Cyrillic has case too). */
        if (!g_utf8_validate(line, -1, NULL))
                return 0;
        answer = g_utf8_casefold(line, -1);
        /* TRANSLATORS: the short and the long yes the question accepts, in lower case. */
        return strcmp(answer, _("y")) == 0 || strcmp(answer, _("yes")) == 0;
}

const char *ctl_consent_notice_text(void) {
        return biogate_consent_notice_text;
}

const char *ctl_consent_notice_version(void) {
        return BIOGATE_CONSENT_NOTICE_VERSION;
}

int ctl_obtain_consent(bool json, bool given, const CtlConsentTexts *texts) {
        if (given) {
                if (!json)
                        fprintf(stderr, _("%s\nConsent to notice version %s given with %s.\n\n"),
                                ctl_consent_notice_text(), ctl_consent_notice_version(), texts->given_option);
                return -1;
        }
        if (!ctl_can_ask())
                return ctl_report_error_name(json, BIOGATE_ERROR_PREFIX "ConsentRequired", texts->no_terminal);
        fprintf(stderr, "%s\n", ctl_consent_notice_text());
        if (ctl_ask_yes_no(texts->question) != 1)
                return ctl_report_error_name(json, BIOGATE_ERROR_PREFIX "Cancelled", texts->declined);
        return -1;
}
