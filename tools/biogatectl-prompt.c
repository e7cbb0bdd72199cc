/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "biogatectl-prompt.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "biogate-bus.h"
#include "biogate-i18n.h"
#include "biogatectl-error.h"
#include "biogatectl-output.h"

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

void ctl_notice_clear(CtlNotice *notice) {
        g_clear_pointer(&notice->version, g_free);
        g_clear_pointer(&notice->language, g_free);
        g_clear_pointer(&notice->text, g_free);
}

const char *ctl_notice_locale(void) {
        /* From the environment, not setlocale(): the notice is the
         * daemon's, so the locale need not be installed here. */
        const char *const *names = g_get_language_names_with_category("LC_MESSAGES");

        return names[0] ? names[0] : "";
}

/* The daemon refuses control characters in a notice; this is the terminal's
 * own guard, line by line so that the newlines stay. */
static char *printable_text(const char *text) {
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

        for (char **l = lines; *l; l++) {
                g_strdelimit(*l, "\t", ' ');
                g_autofree char *old = g_steal_pointer(l);
                *l = ctl_printable(old);
        }
        return g_strjoinv("\n", lines);
}

int ctl_fetch_notice(Ctl *ctl, CtlNotice *ret) {
        g_autoptr(GError) error = NULL;
        g_autofree char *version = NULL, *language = NULL, *text = NULL;

        if (!ctl_connect(ctl, &error))
                return ctl_report_error(ctl->json, error);
        if (!biogate_client_get_consent_notice_sync(ctl->client, ctl_notice_locale(), &version, &language, &text, NULL,
                                                    &error))
                return ctl_report_error(ctl->json, error);
        *ret = (CtlNotice) { .version = g_steal_pointer(&version), .language = g_steal_pointer(&language),
                             .text = printable_text(text) };
        return -1;
}

int ctl_obtain_consent(Ctl *ctl, bool given, const CtlConsentTexts *texts, CtlNotice *ret_notice) {
        int r;

        if (!given && !ctl_can_ask())
                return ctl_report_error_name(ctl->json, BIOGATE_ERROR_PREFIX "ConsentRequired", texts->no_terminal);
        r = ctl_fetch_notice(ctl, ret_notice);
        if (r >= 0)
                return r;
        if (given) {
                if (!ctl->json)
                        fprintf(stderr, _("%s\nConsent to notice version %s given with %s.\n\n"), ret_notice->text,
                                ret_notice->version, texts->given_option);
                return -1;
        }
        fprintf(stderr, "%s\n", ret_notice->text);
        if (ctl_ask_yes_no(texts->question) != 1)
                return ctl_report_error_name(ctl->json, BIOGATE_ERROR_PREFIX "Cancelled", texts->declined);
        return -1;
}
