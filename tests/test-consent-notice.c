/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The site-editable consent notice against the real daemon, the real
 * journald and the virtual sensor: a site's /etc/biogate/consent-notice
 * over the vendor's, the controller's name from biogate.conf, the Russian
 * and Kazakh texts, a new version on reload ending standing consents, and a
 * broken site notice refusing enrolment (named error, audited) while the
 * daemon keeps serving. The files' rules are unit-tested in test-notice.c. */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit-fixture.h"

#define ERR "org.biogate1.Error."
#define CONTROLLER "Example Exchange LLP"
#define SITE_TEXT "Site notice of @CONTROLLER@: fingerprints for the trading floor only.\n"
#define SITE_SHOWN "Site notice of " CONTROLLER ": fingerprints for the trading floor only."
#define SITE_RU "Уведомление @CONTROLLER@: отпечатки только для торгового зала.\n"
#define SITE_RU_SHOWN "Уведомление " CONTROLLER ": отпечатки только для торгового зала."
/* The vendor's texts' first lines, as shipped in data/. */
#define VENDOR_EN "Fingerprint enrolment on this workstation"
#define VENDOR_RU "Регистрация отпечатка пальца на этой рабочей станции"
#define VENDOR_KK "Осы жұмыс станциясында саусақ ізін тіркеу"

/* The site's directory: what /etc/biogate is on a real system. */
static char *site_path(AuditFixture *a) {
        return g_build_filename(a->f.tmp, "etc-biogate", "consent-notice", NULL);
}

static void write_root_file(const char *path, const char *text) {
        g_autoptr(GError) error = NULL;
        g_autofree char *dir = g_path_get_dirname(path);

        g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
        g_assert_true(g_file_set_contents(path, text, -1, &error));
        g_assert_no_error(error);
        g_assert_cmpint(g_chmod(path, 0644), ==, 0);
}

static void write_site_notice(AuditFixture *a, const char *version, const char *suffix, const char *text) {
        g_autofree char *base = site_path(a);
        g_autofree char *path = g_strconcat(base, suffix, NULL);
        g_autofree char *contents = g_strdup_printf("# written by the site\nNotice-Version: %s\n\n%s", version, text);

        write_root_file(path, contents);
}

/* The daemon restarted on the site's notice, with the controller named. */
static void start_with_site_notice(AuditFixture *a) {
        g_autofree char *config = g_build_filename(a->f.tmp, "biogate.conf", NULL);

        write_root_file(config, "[consent]\ncontroller=" CONTROLLER "\n");
        audit_stop_daemon(a);
        g_free(a->config);
        a->config = g_steal_pointer(&config);
        g_free(a->consent_notice);
        a->consent_notice = site_path(a);
        audit_start_daemon(a);
}

/* GetConsentNotice(language): the version, the language served, the text;
 * or the error expected (then NULL). */
static char *get_notice(AuditFixture *a, const char *language, const char *version, const char *served,
                        const char *expected_error) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = manager_call(a->f.conn, "GetConsentNotice", g_variant_new("(s)", language),
                                                 "(sss)", &error);
        const char *v = NULL, *l = NULL, *text = NULL;

        if (expected_error) {
                assert_dbus_error(error, expected_error);
                return NULL;
        }
        g_assert_no_error(error);
        g_variant_get(reply, "(&s&s&s)", &v, &l, &text);
        g_assert_cmpstr(v, ==, version);
        g_assert_cmpstr(l, ==, served);
        /* The version the reader consents to comes first. */
        g_assert_true(g_str_has_prefix(text, "Notice-Version: "));
        g_assert_true(g_str_has_prefix(text + strlen("Notice-Version: "), version));
        return g_strdup(text);
}

static void assert_contains(const char *haystack, const char *needle) {
        if (!haystack || !strstr(haystack, needle))
                g_error("expected \"%s\" in:\n%s", needle, haystack ? haystack : "(null)");
}

static void call_expect(AuditFixture *a, const char *method, GVariant *params, const char *reply_type,
                        const char *expected_error) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = manager_call(a->f.conn, method, params, reply_type, &error);

        if (expected_error)
                assert_dbus_error(error, expected_error);
        else
                g_assert_no_error(error);
}

static GVariant *consent_to(const char *version) {
        return g_variant_new_parsed("{'consent': <true>, 'notice-version': <%s>}", version);
}

static void enroll_expect(AuditFixture *a, const char *version, const char *expected_error) {
        call_expect(a, "Enroll", g_variant_new("(ss@a{sv})", "", "left-little-finger", consent_to(version)), "(o)",
                    expected_error);
}

/* biogatectl ARGS with extra_env, asserting its exit status; stdout and
 * stderr together. */
static char *ctl_env(const char *const *extra_env, int expected_exit, const char *const *args) {
        return audit_ctl_as(0, extra_env, expected_exit, args);
}

/* The locale as a person sets it: only LANG, nothing above it. */
#define LOCALE_ENV(lang) ((const char *[]) { "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG=" lang, NULL })

static GHashTable *last_event(AuditFixture *a, const char *name) {
        g_autoptr(GPtrArray) events = audit_events_named(a, name);

        g_assert_cmpuint(events->len, >, 0);
        return g_hash_table_ref(events->pdata[events->len - 1]);
}

/* The caller's standing consent: its version and whether it is current. */
static void standing_consent(AuditFixture *a, char **ret_version, gboolean *ret_current) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = manager_call(a->f.conn, "GetMyData", NULL, "(a{sv})", &error);
        g_autoptr(GVariant) data = NULL, standing = NULL;

        g_assert_no_error(error);
        data = g_variant_get_child_value(reply, 0);
        standing = g_variant_lookup_value(data, "standing-consent", G_VARIANT_TYPE_VARDICT);
        g_assert_nonnull(standing);
        g_assert_true(g_variant_lookup(standing, "notice-version", "s", ret_version));
        g_assert_true(g_variant_lookup(standing, "current", "b", ret_current));
}

/* The notice versions of the consents recorded with the caller's prints. */
static char *enrolment_consent_version(AuditFixture *a) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = manager_call(a->f.conn, "GetMyData", NULL, "(a{sv})", &error);
        g_autoptr(GVariant) data = NULL, consents = NULL, first = NULL;
        char *version = NULL;

        g_assert_no_error(error);
        data = g_variant_get_child_value(reply, 0);
        consents = g_variant_lookup_value(data, "consent", NULL);
        g_assert_nonnull(consents);
        g_assert_cmpuint(g_variant_n_children(consents), ==, 1);
        first = g_variant_get_child_value(consents, 0);
        g_assert_true(g_variant_lookup(first, "notice-version", "s", &version));
        return version;
}

/* ---- the vendor's notice ---- */

/* English, Russian, Kazakh; any other language gets the English; the
 * controller not named says so; biogatectl asks in the reader's language. */
static void test_vendor_languages(AuditFixture *a, gconstpointer data) {
        static const char *const english[] = { "", "C", "POSIX", "C.UTF-8", "en_US.UTF-8", "de_DE.UTF-8", "tt_RU",
                                               "../../../etc/shadow", "ru/../kk" };
        g_autofree char *en = NULL, *ru = NULL, *kk = NULL, *out = NULL, *too_long = g_strnfill(65, 'a');

        en = get_notice(a, "", BIOGATE_TEST_NOTICE_VERSION, "en", NULL);
        assert_contains(en, VENDOR_EN);
        assert_contains(en, "[not named yet: the administrator sets [consent] controller=");
        ru = get_notice(a, "ru_RU.UTF-8", BIOGATE_TEST_NOTICE_VERSION, "ru", NULL);
        assert_contains(ru, VENDOR_RU);
        assert_contains(ru, "Кто отвечает: [not named yet");
        kk = get_notice(a, "kk_KZ.UTF-8", BIOGATE_TEST_NOTICE_VERSION, "kk", NULL);
        assert_contains(kk, VENDOR_KK);
        g_free(get_notice(a, "ru_KZ.UTF-8", BIOGATE_TEST_NOTICE_VERSION, "ru", NULL));
        g_free(get_notice(a, "kk", BIOGATE_TEST_NOTICE_VERSION, "kk", NULL));
        for (gsize i = 0; i < G_N_ELEMENTS(english); i++) {
                g_autofree char *text = get_notice(a, english[i], BIOGATE_TEST_NOTICE_VERSION, "en", NULL);

                g_assert_cmpstr(text, ==, en);
        }
        g_assert_null(get_notice(a, too_long, NULL, NULL, ERR "InvalidArgument"));

        /* biogatectl shows the daemon's text in the language of LANG. */
        out = ctl_env(LOCALE_ENV("kk_KZ.UTF-8"), 0, (const char *[]) { "consent", "--show", NULL });
        assert_contains(out, VENDOR_KK);
        g_clear_pointer(&out, g_free);
        out = ctl_env(LOCALE_ENV("ru_RU.UTF-8"), 0, (const char *[]) { "consent", "--show", NULL });
        assert_contains(out, VENDOR_RU);
        g_clear_pointer(&out, g_free);
        out = ctl_env(LOCALE_ENV("fr_FR.UTF-8"), 0, (const char *[]) { "consent", "--show", NULL });
        assert_contains(out, VENDOR_EN);
        g_clear_pointer(&out, g_free);
        /* LC_MESSAGES over LANG, LC_ALL over both, as gettext does. */
        out = ctl_env((const char *[]) { "LANGUAGE", "LC_ALL", "LC_MESSAGES=kk_KZ.UTF-8", "LANG=ru_RU.UTF-8", NULL }, 0,
                      (const char *[]) { "consent", "--show", NULL });
        assert_contains(out, VENDOR_KK);
        g_clear_pointer(&out, g_free);
        out = ctl_env((const char *[]) { "LANGUAGE", "LC_ALL=ru_KZ.UTF-8", "LC_MESSAGES=kk_KZ.UTF-8", NULL }, 0,
                      (const char *[]) { "consent", "--show", NULL });
        assert_contains(out, VENDOR_RU);
        g_clear_pointer(&out, g_free);
        /* enroll with --yes-i-consent shows the notice it sends the version of. */
        out = ctl_env(LOCALE_ENV("kk_KZ.UTF-8"), 0, (const char *[]) { "consent", "--yes", NULL });
        assert_contains(out, "Notice-Version: " BIOGATE_TEST_NOTICE_VERSION "\n\n" VENDOR_KK);
}

/* ---- the site's notice ---- */

/* /etc/biogate/consent-notice replaces the vendor's, translations and
 * all; the controller's name is filled in; enrolment through biogatectl
 * records consent to the site's version. */
static void test_site_overrides_vendor(AuditFixture *a, gconstpointer data) {
        g_autofree char *en = NULL, *ru = NULL, *kk = NULL, *out = NULL, *site = site_path(a), *version = NULL;
        g_autoptr(GHashTable) loaded = NULL;
        g_autoptr(BtfProc) proc = NULL;
        g_autoptr(GError) error = NULL;
        int status = 0;

        write_site_notice(a, "site-1", "", SITE_TEXT);
        write_site_notice(a, "site-1", ".ru", SITE_RU);
        start_with_site_notice(a);

        en = get_notice(a, "", "site-1", "en", NULL);
        g_assert_cmpstr(en, ==, "Notice-Version: site-1\n\n" SITE_SHOWN);
        ru = get_notice(a, "ru_KZ.UTF-8", "site-1", "ru", NULL);
        g_assert_cmpstr(ru, ==, "Notice-Version: site-1\n\n" SITE_RU_SHOWN);
        /* The site wrote no Kazakh: its own text, never the vendor's. */
        kk = get_notice(a, "kk_KZ.UTF-8", "site-1", "en", NULL);
        g_assert_cmpstr(kk, ==, en);
        /* The vendor's version no longer counts. */
        call_expect(a, "RecordConsent", g_variant_new("(s)", BIOGATE_TEST_NOTICE_VERSION), "()",
                    ERR "ConsentRequired");
        enroll_expect(a, BIOGATE_TEST_NOTICE_VERSION, ERR "ConsentRequired");

        loaded = last_event(a, "consent-notice-loaded");
        g_assert_cmpstr(audit_field(loaded, "BIOGATE_REASON"), ==, "site-1");
        assert_contains(audit_field(loaded, "MESSAGE"), site);
        assert_contains(audit_field(loaded, "MESSAGE"), "languages: en, ru");

        out = ctl_env(LOCALE_ENV("C.UTF-8"), 0, (const char *[]) { "consent", "--show", NULL });
        assert_contains(out, SITE_SHOWN);
        assert_contains(out, "not given (the current notice is version site-1;");
        g_clear_pointer(&out, g_free);

        /* biogatectl enroll: the site's text shown, its version recorded. */
        unlink(a->f.vdev);
        proc = btf_spawn_async((const char *[]) { BIOGATECTL_PATH, "enroll", "--yes-i-consent", "--finger",
                                                  "left-thumb", NULL },
                               LOCALE_ENV("ru_RU.UTF-8"), &error);
        g_assert_no_error(error);
        g_assert_true(btf_vdev_wait_socket(a->f.vdev, T, &error));
        g_assert_no_error(error);
        for (int i = 0; i < 5; i++)
                touch(&a->f, PRINT_ID);
        g_assert_true(btf_proc_wait(proc, T, &status, &error));
        btf_assert_exit_code(status, 0);
        assert_contains(btf_proc_get_stderr(proc), SITE_RU_SHOWN);
        assert_contains(btf_proc_get_stdout(proc), "consent to notice version site-1 recorded");
        version = enrolment_consent_version(a);
        g_assert_cmpstr(version, ==, "site-1");
}

/* A new Notice-Version, then Reload: standing consents to the old one no
 * longer count, and the old version is refused. */
static void test_version_bump_reload(AuditFixture *a, gconstpointer data) {
        g_autoptr(GHashTable) loaded = NULL;
        g_autofree char *out = NULL, *text = NULL, *version = NULL;
        gboolean current = FALSE;

        write_site_notice(a, "site-1", "", SITE_TEXT);
        start_with_site_notice(a);
        call_expect(a, "RecordConsent", g_variant_new("(s)", "site-1"), "()", NULL);
        standing_consent(a, &version, &current);
        g_assert_cmpstr(version, ==, "site-1");
        g_assert_true(current);
        g_clear_pointer(&version, g_free);

        /* The site edits the text and says so with a new version. */
        write_site_notice(a, "site-2", "", "Site notice, second edition, of @CONTROLLER@.\n");
        call_expect(a, "Reload", NULL, "()", NULL);

        text = get_notice(a, "", "site-2", "en", NULL);
        g_assert_cmpstr(text, ==, "Notice-Version: site-2\n\nSite notice, second edition, of " CONTROLLER ".");
        standing_consent(a, &version, &current);
        g_assert_cmpstr(version, ==, "site-1");
        g_assert_false(current);
        call_expect(a, "RecordConsent", g_variant_new("(s)", "site-1"), "()", ERR "ConsentRequired");
        enroll_expect(a, "site-1", ERR "ConsentRequired");
        out = ctl_env(LOCALE_ENV("C"), 0, (const char *[]) { "consent", "--show", NULL });
        assert_contains(out, "to notice version site-1, not the current notice (version site-2)");

        loaded = last_event(a, "consent-notice-loaded");
        g_assert_cmpstr(audit_field(loaded, "BIOGATE_REASON"), ==, "site-2");
        g_assert_cmpstr(audit_field(loaded, "BIOGATE_CALLER_UID"), ==, "0");

        /* A translation left at the old version is not served. */
        write_site_notice(a, "site-1", ".kk", "Ескі мәтін\n");
        call_expect(a, "Reload", NULL, "()", NULL);
        g_free(get_notice(a, "kk_KZ.UTF-8", "site-2", "en", NULL));
        /* Consent to the new version counts again. */
        call_expect(a, "RecordConsent", g_variant_new("(s)", "site-2"), "()", NULL);
}

/* ---- a broken site notice ---- */

typedef void (*Break)(const char *path, AuditFixture *a);

static void break_malformed(const char *path, AuditFixture *a) {
        write_root_file(path, "This notice has no header\n");
}

static void break_oversized(const char *path, AuditFixture *a) {
        g_autofree char *big = g_strnfill(40000, 'x');
        g_autofree char *text = g_strconcat("Notice-Version: site-9\n\n", big, "\n", NULL);

        write_root_file(path, text);
}

static void break_owner(const char *path, AuditFixture *a) {
        write_root_file(path, "Notice-Version: site-9\n\nText\n");
        g_assert_cmpint(chown(path, 65534, 65534), ==, 0);
}

static void break_mode(const char *path, AuditFixture *a) {
        write_root_file(path, "Notice-Version: site-9\n\nText\n");
        g_assert_cmpint(g_chmod(path, 0666), ==, 0);
}

static void break_symlink(const char *path, AuditFixture *a) {
        g_autofree char *target = g_build_filename(a->f.tmp, "elsewhere-notice", NULL);

        write_root_file(target, "Notice-Version: site-9\n\nText\n");
        g_assert_cmpint(g_unlink(path), ==, 0);
        g_assert_cmpint(symlink(target, path), ==, 0);
}

static void break_escape(const char *path, AuditFixture *a) {
        write_root_file(path, "Notice-Version: site-9\n\nText \033[8mhidden\033[0m\n");
}

static void break_translation(const char *path, AuditFixture *a) {
        g_autofree char *ru = g_strconcat(path, ".ru", NULL);

        write_root_file(path, "Notice-Version: site-9\n\nText\n");
        write_root_file(ru, "Notice-Version: site-9\nLanguage: ru\nNot a header\n\nТекст\n");
}

static void break_controller(const char *path, AuditFixture *a) {
        /* The site notice names no controller and biogate.conf sets none. */
        write_root_file(a->config, "[daemon]\n");
        write_root_file(path, "Notice-Version: site-9\n\nResponsible: @CONTROLLER@\n");
}

static const struct {
        const char *name;
        Break apply;
        const char *reason;
} faults[] = {
        { "malformed", break_malformed, "line 1: not a header line" },
        { "oversized", break_oversized, "not a regular file of at most 32768 bytes" },
        { "wrong owner", break_owner, "not owned by root" },
        { "writable by others", break_mode, "writable by group or others" },
        { "symbolic link", break_symlink, "is a symbolic link" },
        { "escape sequence", break_escape, "control character U+001B" },
        { "broken translation", break_translation, "consent-notice.ru: line 3: not a header line" },
        { "controller not named", break_controller, "uses @CONTROLLER@ but" },
};

static void restore(AuditFixture *a) {
        g_autofree char *site = site_path(a), *ru = g_strconcat(site, ".ru", NULL);

        (void) g_unlink(site);
        (void) g_unlink(ru);
        write_root_file(a->config, "[consent]\ncontroller=" CONTROLLER "\n");
        write_site_notice(a, "site-1", "", SITE_TEXT);
}

/* While it is broken: no text served, every enrolment and consent refused
 * with ConsentNotice naming the file and the fault, never the vendor's
 * text instead; logins, the rest of the API and the daemon go on. */
static void assert_refused(AuditFixture *a, const char *site, const char *reason) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) devices = NULL, reply = NULL;
        g_autofree char *out = NULL;

        reply = manager_call(a->f.conn, "GetConsentNotice", g_variant_new("(s)", "ru_RU.UTF-8"), "(sss)", &error);
        assert_dbus_error(error, ERR "ConsentNotice");
        assert_contains(error->message, site);
        assert_contains(error->message, reason);
        g_clear_error(&error);
        enroll_expect(a, "site-9", ERR "ConsentNotice");
        enroll_expect(a, "site-1", ERR "ConsentNotice");
        call_expect(a, "RecordConsent", g_variant_new("(s)", "site-9"), "()", ERR "ConsentNotice");
        out = ctl_env(LOCALE_ENV("C"), 7, (const char *[]) { "--json", "enroll", "--yes-i-consent", NULL });
        assert_contains(out, ERR "ConsentNotice");
        assert_contains(out, reason);
        devices = manager_call(a->f.conn, "ListDevices", NULL, "(a(ssa{sv}))", &error);
        g_assert_no_error(error);
        g_assert_false(btf_daemon_has_exited(a->f.daemon));
}

static void test_broken_site_notice(AuditFixture *a, gconstpointer data) {
        g_autofree char *site = site_path(a);
        g_autoptr(GPtrArray) refused = NULL, consent_refused = NULL;

        write_site_notice(a, "site-1", "", SITE_TEXT);
        start_with_site_notice(a);
        for (gsize i = 0; i < G_N_ELEMENTS(faults); i++) {
                g_autoptr(GHashTable) rejected = NULL;
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) reply = NULL;

                g_test_message("fault: %s", faults[i].name);
                faults[i].apply(site, a);
                reply = manager_call(a->f.conn, "Reload", NULL, "()", &error);
                assert_dbus_error(error, ERR "ConsentNotice");
                assert_contains(error->message, faults[i].reason);
                assert_refused(a, site, faults[i].reason);
                rejected = last_event(a, "consent-notice-rejected");
                g_assert_cmpstr(audit_field(rejected, "BIOGATE_OUTCOME"), ==, "error");
                g_assert_cmpstr(audit_field(rejected, "BIOGATE_CALLER_UID"), ==, "0");
                assert_contains(audit_field(rejected, "BIOGATE_REASON"), site);
                assert_contains(audit_field(rejected, "BIOGATE_REASON"), faults[i].reason);

                /* Fixed and reloaded: served again. */
                restore(a);
                call_expect(a, "Reload", NULL, "()", NULL);
                g_free(get_notice(a, "", "site-1", "en", NULL));
        }
        /* The refusals are audited, with who asked and why. */
        refused = audit_events_named(a, "enroll-failed");
        g_assert_cmpuint(refused->len, >, 0);
        g_assert_cmpstr(audit_field(refused->pdata[0], "BIOGATE_REASON"), ==, ERR "ConsentNotice");
        g_assert_cmpstr(audit_field(refused->pdata[0], "BIOGATE_OUTCOME"), ==, "error");
        g_assert_cmpstr(audit_field(refused->pdata[0], "BIOGATE_CALLER_UID"), ==, "0");
        consent_refused = audit_events_named(a, "standing-consent-recorded");
        g_assert_cmpuint(consent_refused->len, >, 0);
        g_assert_cmpstr(audit_field(consent_refused->pdata[0], "BIOGATE_REASON"), ==, ERR "ConsentNotice");

        /* Broken at start: the daemon starts (logins need it) and refuses
         * enrolment the same way. */
        audit_stop_daemon(a);
        break_malformed(site, a);
        audit_start_daemon(a);
        assert_refused(a, site, "line 1: not a header line");
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

#define ADD(path, fn) g_test_add("/consent-notice/" path, AuditFixture, NULL, audit_setup, fn, audit_teardown)
        ADD("vendor-languages", test_vendor_languages);
        ADD("site-overrides-vendor", test_site_overrides_vendor);
        ADD("version-bump-reload", test_version_bump_reload);
        ADD("broken-site-notice", test_broken_site_notice);
        return g_test_run();
}
