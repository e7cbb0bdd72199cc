/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Translations of the words users read (biogatectl, the PAM prompts, the
 * agent). dgettext() with our own domain rather than gettext(): the PAM
 * module runs inside someone else's program (sshd, sudo, gdm), whose
 * textdomain() is not ours to change. The program (not a library) calls
 * setlocale() and biogate_i18n_init(). */

#include "config.h"

#include <libintl.h>

#define _(String) dgettext(GETTEXT_PACKAGE, String)
#define N_(String) (String)
/* A message with a count: the catalogue picks the plural form for @n. */
#define P_(Singular, Plural, n) dngettext(GETTEXT_PACKAGE, Singular, Plural, n)

/* Binds GETTEXT_PACKAGE to the installed catalogues, once. Safe to call from
 * a PAM module on every call. */
static inline void biogate_i18n_init(void) {
        static int bound;

        if (!bound) {
                bindtextdomain(GETTEXT_PACKAGE, BIOGATE_LOCALEDIR);
                bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
                bound = 1;
        }
}
