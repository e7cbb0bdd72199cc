/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading the consent notice and its translations (biogate-consent-notice(5)).
 * Everything here only reads and checks; biogated-privacy.c decides what
 * the daemon does with the result (logs, audit, refusals). */
#include "config.h"

#include "biogated-notice.h"

#include <string.h>

#include "biogated-config.h"

#define NOTICE_DEFAULT_LANGUAGE "en"

struct BiogatedNotice {
        char *version;
        char *path;
        char *language;         /* the notice's own text's */
        GHashTable *texts;      /* language -> text, the notice's own included */
        GPtrArray *languages;   /* in the order loaded, for the log */
};

void biogated_notice_free(BiogatedNotice *notice) {
        if (!notice)
                return;
        g_free(notice->version);
        g_free(notice->path);
        g_free(notice->language);
        g_clear_pointer(&notice->texts, g_hash_table_unref);
        g_clear_pointer(&notice->languages, g_ptr_array_unref);
        g_free(notice);
}

const char *biogated_notice_get_version(const BiogatedNotice *notice) {
        return notice->version;
}

const char *biogated_notice_get_path(const BiogatedNotice *notice) {
        return notice->path;
}

char *biogated_notice_describe_languages(const BiogatedNotice *notice) {
        g_autoptr(GPtrArray) names = g_ptr_array_new();

        for (guint i = 0; i < notice->languages->len; i++)
                g_ptr_array_add(names, notice->languages->pdata[i]);
        g_ptr_array_add(names, NULL);
        return g_strjoinv(", ", (char **) names->pdata);
}

/* ll or lll, optionally _TT: what a translation's name ends with and what
 * a locale name starts with. Nothing else can name a file. */
static gboolean is_language(const char *s, size_t n) {
        size_t i = 0;

        while (i < n && g_ascii_islower(s[i]))
                i++;
        if (i < 2 || i > 3)
                return FALSE;
        if (i == n)
                return TRUE;
        return n == i + 3 && s[i] == '_' && g_ascii_isupper(s[i + 1]) && g_ascii_isupper(s[i + 2]);
}

/* Stored with every consent and compared byte for byte: a short token. */
static gboolean is_version(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > BIOGATED_NOTICE_MAX_VERSION)
                return FALSE;
        for (; *s; s++)
                if (!g_ascii_isalnum(*s) && *s != '.' && *s != '-' && *s != '_')
                        return FALSE;
        return TRUE;
}

/* The text reaches terminals (biogatectl) and the agent's window: no
 * control character but newline and tab (an escape sequence could hide
 * or rewrite what the person agrees to), no bidirectional override. */
static gboolean check_characters(const char *path, const char *text, GError **error) {
        int line = 1;

        for (const char *p = text; *p; p = g_utf8_next_char(p)) {
                gunichar c = g_utf8_get_char(p);

                if (c == '\n') {
                        line++;
                        continue;
                }
                if (c == '\t')
                        continue;
                if (g_unichar_iscntrl(c) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
                    c == 0x2028 || c == 0x2029) {
                        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                                    "%s: line %d: control character U+%04X; only text, newlines and tabs", path,
                                    line, (unsigned) c);
                        return FALSE;
                }
        }
        return TRUE;
}

typedef struct NoticeFile {
        char *version;
        char *language;         /* NULL: no Language: header */
        char *text;
} NoticeFile;

static void notice_file_clear(NoticeFile *f) {
        g_clear_pointer(&f->version, g_free);
        g_clear_pointer(&f->language, g_free);
        g_clear_pointer(&f->text, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NoticeFile, notice_file_clear)

static gboolean header_value(const char *path, int line, const char *key, const char *value, char **slot,
                             GError **error) {
        if (*slot) {
                g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: line %d: a second %s: header", path, line,
                            key);
                return FALSE;
        }
        *slot = g_strdup(value);
        return TRUE;
}

/* Header lines ("Key: value", or "#" comments), one empty line, the text. */
static gboolean parse_notice(const char *path, const char *contents, NoticeFile *ret, GError **error) {
        g_auto(NoticeFile) f = { 0 };
        const char *p = contents;
        int line = 1;

        if (!check_characters(path, contents, error))
                return FALSE;
        for (;; line++) {
                const char *end = strchr(p, '\n');
                g_autofree char *l = NULL;
                char *colon, *value;

                if (!end) {
                        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                                    "%s: no empty line ends the header (Notice-Version: ..., an empty line, then "
                                    "the text)", path);
                        return FALSE;
                }
                l = g_strndup(p, (gsize) (end - p));
                p = end + 1;
                if (*l == '\0')
                        break;
                if (*l == '#')
                        continue;
                colon = strchr(l, ':');
                if (!colon) {
                        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                                    "%s: line %d: not a header line (Key: value) before the empty line", path, line);
                        return FALSE;
                }
                *colon = '\0';
                value = g_strstrip(colon + 1);
                if (g_str_equal(l, "Notice-Version")) {
                        if (!is_version(value)) {
                                g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                                            "%s: line %d: Notice-Version must be 1 to %d letters, digits, '.', "
                                            "'-' or '_'", path, line, BIOGATED_NOTICE_MAX_VERSION);
                                return FALSE;
                        }
                        if (!header_value(path, line, l, value, &f.version, error))
                                return FALSE;
                } else if (g_str_equal(l, "Language")) {
                        if (!is_language(value, strlen(value))) {
                                g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                                            "%s: line %d: Language must look like en, ru or kk_KZ", path, line);
                                return FALSE;
                        }
                        if (!header_value(path, line, l, value, &f.language, error))
                                return FALSE;
                } else {
                        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                                    "%s: line %d: unknown header '%s' (Notice-Version and Language are known)",
                                    path, line, l);
                        return FALSE;
                }
        }
        if (!f.version) {
                g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: no Notice-Version: header", path);
                return FALSE;
        }
        f.text = g_strchomp(g_strdup(p));
        if (f.text[0] == '\0') {
                g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: the notice has no text after its header",
                            path);
                return FALSE;
        }
        *ret = f;
        f = (NoticeFile) { 0 };
        return TRUE;
}

/* Unset in the vendor notice: said where the name belongs, so that
 * whoever reads it sees that the administrator still has to fill it in. */
#define CONTROLLER_UNSET "[not named yet: the administrator sets [consent] controller= in " BIOGATE_DEFAULT_CONFIG "]"

static char *fill_in(const char *path, const char *text, const char *controller, gboolean vendor, GError **error) {
        g_auto(GStrv) parts = NULL;

        if (!strstr(text, BIOGATED_NOTICE_CONTROLLER_PLACEHOLDER))
                return g_strdup(text);
        if (!controller && !vendor) {
                g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                            "%s: uses " BIOGATED_NOTICE_CONTROLLER_PLACEHOLDER " but %s sets no [consent] "
                            "controller=", path, BIOGATE_DEFAULT_CONFIG);
                return NULL;
        }
        parts = g_strsplit(text, BIOGATED_NOTICE_CONTROLLER_PLACEHOLDER, -1);
        return g_strjoinv(controller ? controller : CONTROLLER_UNSET, parts);
}

/* What people read: the version they consent to first, as on paper. */
static char *shown_text(const char *version, char *filled) {
        g_autofree char *body = filled;

        if (!body)
                return NULL;
        return g_strdup_printf("Notice-Version: %s\n\n%s", version, body);
}

static gboolean read_notice(const char *path, gboolean *ret_missing, NoticeFile *ret, GError **error) {
        g_autofree char *contents = NULL;

        if (!biogated_read_root_file(path, BIOGATED_NOTICE_MAX_SIZE, &contents, ret_missing, error))
                return FALSE;
        if (*ret_missing)
                return TRUE;
        return parse_notice(path, contents, ret, error);
}

static gint compare_names(gconstpointer a, gconstpointer b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The files beside path named path.LANGUAGE, sorted. */
static GPtrArray *list_translations(const char *path, GError **error) {
        g_autofree char *dir_name = g_path_get_dirname(path), *base = g_path_get_basename(path);
        g_autofree char *prefix = g_strconcat(base, ".", NULL);
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GDir) dir = g_dir_open(dir_name, 0, error);
        const char *name;

        if (!dir)
                return NULL;
        while ((name = g_dir_read_name(dir))) {
                const char *language;

                if (!g_str_has_prefix(name, prefix))
                        continue;
                language = name + strlen(prefix);
                /* Anything else (consent-notice.dpkg-old, an editor's
                 * backup) is not a translation. */
                if (is_language(language, strlen(language)))
                        g_ptr_array_add(names, g_strdup(language));
        }
        g_ptr_array_sort(names, compare_names);
        return g_steal_pointer(&names);
}

BiogatedNotice *biogated_notice_load(const char *site_path, const char *vendor_path, const char *controller,
                                     GPtrArray *warnings, GError **error) {
        g_autoptr(BiogatedNotice) notice = g_new0(BiogatedNotice, 1);
        g_autoptr(GPtrArray) languages = NULL;
        g_auto(NoticeFile) own = { 0 };
        gboolean missing = FALSE, vendor = FALSE;
        const char *path = site_path;
        char *text;

        if (!read_notice(path, &missing, &own, error))
                return NULL;
        if (missing) {
                path = vendor_path;
                vendor = TRUE;
                if (!read_notice(path, &missing, &own, error))
                        return NULL;
                if (missing) {
                        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                                    "no consent notice: neither %s nor %s exists", site_path, vendor_path);
                        return NULL;
                }
        }
        if (vendor && !controller && strstr(own.text, BIOGATED_NOTICE_CONTROLLER_PLACEHOLDER) && warnings)
                g_ptr_array_add(warnings, g_strdup_printf("%s: the data controller is not named: set [consent] "
                                                          "controller= in %s", path, BIOGATE_DEFAULT_CONFIG));
        notice->version = g_strdup(own.version);
        notice->path = g_strdup(path);
        notice->language = g_strdup(own.language ? own.language : NOTICE_DEFAULT_LANGUAGE);
        notice->texts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        notice->languages = g_ptr_array_new_with_free_func(g_free);
        text = shown_text(own.version, fill_in(path, own.text, controller, vendor, error));
        if (!text)
                return NULL;
        g_hash_table_insert(notice->texts, g_strdup(notice->language), text);
        g_ptr_array_add(notice->languages, g_strdup(notice->language));

        languages = list_translations(path, error);
        if (!languages)
                return NULL;
        for (guint i = 0; i < languages->len; i++) {
                const char *language = languages->pdata[i];
                g_autofree char *tpath = g_strconcat(path, ".", language, NULL);
                g_auto(NoticeFile) t = { 0 };

                if (!read_notice(tpath, &missing, &t, error))
                        return NULL;
                /* Gone since the directory was read: as if never there. */
                if (missing)
                        continue;
                if (t.language && !g_str_equal(t.language, language)) {
                        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                                    "%s: says Language: %s, but its name says %s", tpath, t.language, language);
                        return NULL;
                }
                /* Consent is to a version: a translation of another one is
                 * not this notice, and its reader would agree to words the
                 * daemon does not enrol under. */
                if (!g_str_equal(t.version, own.version)) {
                        if (warnings)
                                g_ptr_array_add(warnings,
                                                g_strdup_printf("%s: ignored: Notice-Version %s is not the notice's "
                                                                "(%s)", tpath, t.version, own.version));
                        continue;
                }
                if (g_hash_table_contains(notice->texts, language)) {
                        if (warnings)
                                g_ptr_array_add(warnings, g_strdup_printf("%s: ignored: %s is the notice's own "
                                                                          "language", tpath, language));
                        continue;
                }
                text = shown_text(own.version, fill_in(tpath, t.text, controller, vendor, error));
                if (!text)
                        return NULL;
                g_hash_table_insert(notice->texts, g_strdup(language), text);
                g_ptr_array_add(notice->languages, g_strdup(language));
        }
        return g_steal_pointer(&notice);
}

const char *biogated_notice_lookup(const BiogatedNotice *notice, const char *locale, const char **ret_language) {
        size_t n = strcspn(locale, ".@");
        g_autofree char *full = g_strndup(locale, n);
        const char *text = NULL;
        gpointer key = NULL, value = NULL;

        if (is_language(full, n)) {
                if (g_hash_table_lookup_extended(notice->texts, full, &key, &value))
                        text = value;
                else if (n > 3 && full[n - 3] == '_') {
                        full[n - 3] = '\0';
                        if (g_hash_table_lookup_extended(notice->texts, full, &key, &value))
                                text = value;
                }
        }
        if (!text) {
                key = notice->language;
                text = g_hash_table_lookup(notice->texts, notice->language);
        }
        if (ret_language)
                *ret_language = key;
        return text;
}
