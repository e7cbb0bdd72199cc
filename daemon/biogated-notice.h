/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

/* The consent notice people agree to before enrolment
 * (biogate-consent-notice(5)): the site's file, or when it does not exist
 * the vendor's, with the translations beside it. Consent is to a version,
 * so every text of one notice carries the same Notice-Version. */

/* Bounds: one file, and a version (it is stored with every consent). */
#define BIOGATED_NOTICE_MAX_SIZE (32 * 1024)
#define BIOGATED_NOTICE_MAX_VERSION 64
/* What the placeholder in a notice becomes: [consent] controller=. */
#define BIOGATED_NOTICE_CONTROLLER_PLACEHOLDER "@CONTROLLER@"

typedef struct BiogatedNotice BiogatedNotice;

/* Loads site_path, or vendor_path when site_path does not exist (and only
 * then: a site notice that exists but is refused is an error, never a
 * reason to show another text). controller replaces @CONTROLLER@; NULL
 * means unset: allowed in the vendor notice (the text then says the
 * administrator has not named the controller, and a warning is logged),
 * an error in a site notice that uses the placeholder. A translation whose
 * version differs is left out with a warning; any other fault in a
 * translation is an error like one in the notice itself. What deserves a
 * warning is added to warnings (strings; may be NULL) for the caller to log. */
BiogatedNotice *biogated_notice_load(const char *site_path, const char *vendor_path, const char *controller,
                                     GPtrArray *warnings, GError **error);
void biogated_notice_free(BiogatedNotice *notice);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BiogatedNotice, biogated_notice_free)

const char *biogated_notice_get_version(const BiogatedNotice *notice);
/* The file the notice came from. */
const char *biogated_notice_get_path(const BiogatedNotice *notice);
/* The languages it has, the notice's own first, for the log. */
char *biogated_notice_describe_languages(const BiogatedNotice *notice);

/* The text as people read it ("Notice-Version: V", an empty line, the
 * text with the controller filled in) for a locale name as programs see it ("ru_KZ.UTF-8", "kk",
 * "C", ""): the translation for language_TERRITORY, else for language,
 * else the notice's own text. *ret_language says which was chosen. */
const char *biogated_notice_lookup(const BiogatedNotice *notice, const char *locale, const char **ret_language);
