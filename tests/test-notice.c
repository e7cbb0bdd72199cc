/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The consent notice's files (daemon/biogated-notice.c) on real files: the
 * site's over the vendor's, translations and their versions, the language
 * chosen for a locale, the controller's name, and what is refused. What
 * the daemon does with it (GetConsentNotice, enrolment, reload, audit) is
 * in test-consent-notice.c. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "biogated-notice.h"

typedef struct {
        char *dir;
        char *site;
        char *vendor;
} NoticeFixture;

static void write_file(const char *path, const char *text) {
        g_autoptr(GError) error = NULL;

        g_assert_true(g_file_set_contents(path, text, -1, &error));
        g_assert_no_error(error);
        g_assert_cmpint(g_chmod(path, 0644), ==, 0);
}

static void fixture_setup(NoticeFixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autofree char *site_dir = NULL, *vendor_dir = NULL;

        f->dir = g_dir_make_tmp("biogate-notice-XXXXXX", &error);
        g_assert_no_error(error);
        site_dir = g_build_filename(f->dir, "etc", NULL);
        vendor_dir = g_build_filename(f->dir, "usr", NULL);
        g_assert_cmpint(g_mkdir(site_dir, 0755), ==, 0);
        g_assert_cmpint(g_mkdir(vendor_dir, 0755), ==, 0);
        f->site = g_build_filename(site_dir, "consent-notice", NULL);
        f->vendor = g_build_filename(vendor_dir, "consent-notice", NULL);
        write_file(f->vendor, "# vendor\nNotice-Version: v1\n\nVendor text, controller @CONTROLLER@.\n");
}

static void remove_tree(const char *path) {
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
        const char *name;

        if (dir)
                while ((name = g_dir_read_name(dir))) {
                        g_autofree char *child = g_build_filename(path, name, NULL);

                        if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
                                remove_tree(child);
                        else
                                g_assert_cmpint(g_unlink(child), ==, 0);
                }
        g_assert_cmpint(g_rmdir(path), ==, 0);
}

static void fixture_teardown(NoticeFixture *f, gconstpointer data) {
        remove_tree(f->dir);
        g_free(f->dir);
        g_free(f->site);
        g_free(f->vendor);
}

static BiogatedNotice *load(NoticeFixture *f, const char *controller, GPtrArray *warnings) {
        g_autoptr(GError) error = NULL;
        BiogatedNotice *notice = biogated_notice_load(f->site, f->vendor, controller, warnings, &error);

        g_assert_no_error(error);
        g_assert_nonnull(notice);
        return notice;
}

static void expect_refused(NoticeFixture *f, const char *controller, const char *message) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BiogatedNotice) notice = biogated_notice_load(f->site, f->vendor, controller, NULL, &error);

        g_assert_null(notice);
        g_assert_nonnull(error);
        if (!strstr(error->message, message))
                g_error("expected \"%s\" in \"%s\"", message, error->message);
}

static void assert_text(const BiogatedNotice *notice, const char *locale, const char *language, const char *text) {
        const char *served = NULL;
        const char *got = biogated_notice_lookup(notice, locale, &served);

        g_assert_cmpstr(served, ==, language);
        g_assert_cmpstr(got, ==, text);
}

/* No site notice: the vendor's, its controller placeholder filled in, or
 * saying it is not named; the version shown first. */
static void test_vendor(NoticeFixture *f, gconstpointer data) {
        g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(BiogatedNotice) named = load(f, "Example Exchange LLP", NULL);
        g_autoptr(BiogatedNotice) unnamed = load(f, NULL, warnings);

        g_assert_cmpstr(biogated_notice_get_version(named), ==, "v1");
        g_assert_cmpstr(biogated_notice_get_path(named), ==, f->vendor);
        assert_text(named, "", "en", "Notice-Version: v1\n\nVendor text, controller Example Exchange LLP.");
        assert_text(unnamed, "C", "en",
                    "Notice-Version: v1\n\nVendor text, controller [not named yet: the administrator sets [consent] "
                    "controller= in " BIOGATE_DEFAULT_CONFIG "].");
        g_assert_cmpuint(warnings->len, ==, 1);
        g_assert_nonnull(strstr(warnings->pdata[0], "the data controller is not named"));
}

/* A site notice replaces the vendor's whole, translations included; its
 * translations share its version or are left out with a warning. */
static void test_site_and_translations(NoticeFixture *f, gconstpointer data) {
        g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(BiogatedNotice) notice = NULL;
        g_autofree char *ru = g_strconcat(f->site, ".ru", NULL), *kk = g_strconcat(f->site, ".kk", NULL);
        g_autofree char *kk_kz = g_strconcat(f->site, ".kk_KZ", NULL), *de = g_strconcat(f->site, ".de", NULL);
        g_autofree char *backup = g_strconcat(f->site, ".dpkg-old", NULL);
        g_autofree char *vendor_ru = g_strconcat(f->vendor, ".ru", NULL), *languages = NULL;

        write_file(vendor_ru, "Notice-Version: v1\n\nVendor Russian\n");
        write_file(f->site, "Notice-Version: 2026-site.3\n\nSite text of @CONTROLLER@\n\n");
        write_file(ru, "Notice-Version: 2026-site.3\nLanguage: ru\n\nРусский текст, @CONTROLLER@\n");
        write_file(kk, "Notice-Version: 2026-site.3\n\nҚазақ мәтіні\n");
        write_file(kk_kz, "Notice-Version: 2026-site.3\n\nҚазақстан\n");
        /* Of the last version: not this notice. */
        write_file(de, "Notice-Version: 2026-site.2\n\nDeutscher Text\n");
        /* Not a translation at all: never read. */
        write_file(backup, "garbage");
        notice = load(f, "ТОО Пример", warnings);

        g_assert_cmpstr(biogated_notice_get_version(notice), ==, "2026-site.3");
        g_assert_cmpstr(biogated_notice_get_path(notice), ==, f->site);
        assert_text(notice, "", "en", "Notice-Version: 2026-site.3\n\nSite text of ТОО Пример");
        assert_text(notice, "ru_RU.UTF-8", "ru", "Notice-Version: 2026-site.3\n\nРусский текст, ТОО Пример");
        assert_text(notice, "ru", "ru", "Notice-Version: 2026-site.3\n\nРусский текст, ТОО Пример");
        assert_text(notice, "kk_KZ.UTF-8", "kk_KZ", "Notice-Version: 2026-site.3\n\nҚазақстан");
        assert_text(notice, "kk_CN", "kk", "Notice-Version: 2026-site.3\n\nҚазақ мәтіні");
        assert_text(notice, "kk@cyrillic", "kk", "Notice-Version: 2026-site.3\n\nҚазақ мәтіні");
        /* Unknown, skipped and nonsense languages: the notice's own. */
        assert_text(notice, "de_DE.UTF-8", "en", "Notice-Version: 2026-site.3\n\nSite text of ТОО Пример");
        assert_text(notice, "fr", "en", "Notice-Version: 2026-site.3\n\nSite text of ТОО Пример");
        assert_text(notice, "../../etc/shadow", "en", "Notice-Version: 2026-site.3\n\nSite text of ТОО Пример");
        assert_text(notice, "POSIX", "en", "Notice-Version: 2026-site.3\n\nSite text of ТОО Пример");
        languages = biogated_notice_describe_languages(notice);
        g_assert_cmpstr(languages, ==, "en, kk, kk_KZ, ru");
        g_assert_cmpuint(warnings->len, ==, 1);
        g_assert_nonnull(strstr(warnings->pdata[0], "consent-notice.de: ignored: Notice-Version 2026-site.2"));
}

/* What a site notice may not be: each refused with the file and the
 * reason, never replaced by the vendor's. */
static void test_refused(NoticeFixture *f, gconstpointer data) {
        static const struct {
                const char *text;
                const char *message;
        } cases[] = {
                { "Just text, no header\n", "line 1: not a header line" },
                { "Notice-Version: 3\nText right after\n", "line 2: not a header line" },
                { "Notice-Version: 3\n", "no empty line ends the header" },
                { "Language: ru\n\nText\n", "no Notice-Version: header" },
                { "Notice-Version: 3\nNotice-Version: 4\n\nText\n", "line 2: a second Notice-Version: header" },
                { "Notice-Version: 3 beta\n\nText\n", "line 1: Notice-Version must be" },
                { "Notice-Version: \n\nText\n", "line 1: Notice-Version must be" },
                { "Notice-Version: 3\nLanguage: Russian\n\nText\n", "line 2: Language must look like" },
                { "Notice-Version: 3\nController: X\n\nText\n", "line 2: unknown header 'Controller'" },
                { "Notice-Version: 3\n\n\n  \n", "has no text after its header" },
                { "Notice-Version: 3\n\nText\n\033[2J hidden\n", "line 4: control character U+001B" },
                { "Notice-Version: 3\n\nText\r\n", "line 3: control character U+000D" },
                { "Notice-Version: 3\n\nabc \xe2\x80\xae txet\n", "line 3: control character U+202E" },
                { "Notice-Version: 3\n\n\xff\xfe\n", "not UTF-8 text" },
                { "Notice-Version: 3\n\nUses @CONTROLLER@\n", "uses @CONTROLLER@ but" },
        };

        for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_test_message("case %" G_GSIZE_FORMAT ": %s", i, cases[i].message);
                write_file(f->site, cases[i].text);
                expect_refused(f, NULL, cases[i].message);
                expect_refused(f, NULL, f->site);
        }
}

/* Files only root may have written, of bounded size; a broken translation
 * breaks the notice (a reader of that language would see another text). */
static void test_files(NoticeFixture *f, gconstpointer data) {
        g_autofree char *big = g_strnfill(BIOGATED_NOTICE_MAX_SIZE, 'x');
        g_autofree char *text = g_strconcat("Notice-Version: 3\n\n", big, NULL);
        g_autofree char *target = g_build_filename(f->dir, "elsewhere", NULL);
        g_autofree char *ru = g_strconcat(f->site, ".ru", NULL);

        write_file(f->site, text);
        expect_refused(f, "C", "not a regular file of at most 32768 bytes");

        write_file(target, "Notice-Version: 3\n\nText\n");
        g_assert_cmpint(g_unlink(f->site), ==, 0);
        g_assert_cmpint(symlink(target, f->site), ==, 0);
        expect_refused(f, "C", "is a symbolic link");
        g_assert_cmpint(g_unlink(f->site), ==, 0);

        write_file(f->site, "Notice-Version: 3\n\nText\n");
        g_assert_cmpint(g_chmod(f->site, 0664), ==, 0);
        expect_refused(f, "C", "writable by group or others");
        g_assert_cmpint(g_chmod(f->site, 0644), ==, 0);
        if (geteuid() == 0) {
                g_assert_cmpint(chown(f->site, 65534, 65534), ==, 0);
                expect_refused(f, "C", "not owned by root");
                g_assert_cmpint(chown(f->site, 0, 0), ==, 0);
        }

        write_file(ru, "Notice-Version: 3\n\nТекст\n");
        g_assert_cmpint(g_chmod(ru, 0666), ==, 0);
        expect_refused(f, "C", "consent-notice.ru: writable by group or others");
        g_assert_cmpint(g_chmod(ru, 0644), ==, 0);
        write_file(ru, "Notice-Version: 3\nLanguage: kk\n\nТекст\n");
        expect_refused(f, "C", "says Language: kk, but its name says ru");
        g_assert_cmpint(g_unlink(ru), ==, 0);

        /* Neither file: no notice at all. */
        g_assert_cmpint(g_unlink(f->site), ==, 0);
        g_assert_cmpint(g_unlink(f->vendor), ==, 0);
        expect_refused(f, "C", "no consent notice: neither");
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add("/notice/" path, NoticeFixture, NULL, fixture_setup, fn, fixture_teardown)
        ADD("vendor", test_vendor);
        ADD("site-and-translations", test_site_and_translations);
        ADD("refused", test_refused);
        ADD("files", test_files);
        return g_test_run();
}
