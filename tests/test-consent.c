/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Standing consent against the real daemon, the real journald and the
 * virtual sensor: Manager.RecordConsent and WithdrawConsent (consent given
 * ahead of enrolment, for the desktop API that cannot carry it), what
 * GetMyData shows, the audit events, EraseUser, and `biogatectl consent`
 * end to end. The check the desktop API asks is unit-tested in
 * test-standing-consent.c. */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

#include "audit-fixture.h"
#include "biogated-record.h"
#include "biogated-store.h"

#define ERR "org.biogate1.Error."
#define OLD_VERSION "1999-0"

static GVariant *user_data(GDBusConnection *conn, const char *user) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = user ? manager_call(conn, "GetUserData", g_variant_new("(s)", user), "(a{sv})", &error)
                                         : manager_call(conn, "GetMyData", NULL, "(a{sv})", &error);

        g_assert_no_error(error);
        return g_variant_get_child_value(reply, 0);
}

/* The "standing-consent" entry of user's data (NULL: the caller), or NULL. */
static GVariant *standing_of(GDBusConnection *conn, const char *user) {
        g_autoptr(GVariant) data = user_data(conn, user);

        return g_variant_lookup_value(data, "standing-consent", G_VARIANT_TYPE_VARDICT);
}

static void record_consent(GDBusConnection *conn, const char *version, const char *expected_error) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = manager_call(conn, "RecordConsent", g_variant_new("(s)", version), "()", &error);

        if (expected_error)
                assert_dbus_error(error, expected_error);
        else
                g_assert_no_error(error);
}

static void withdraw_consent(GDBusConnection *conn) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = manager_call(conn, "WithdrawConsent", NULL, "()", &error);

        g_assert_no_error(error);
}

static void assert_standing(GVariant *standing, const char *version, gboolean current, gint64 from, gint64 to) {
        const char *v = NULL;
        gboolean c = !current;
        gint64 when = 0;

        g_assert_nonnull(standing);
        g_assert_true(g_variant_lookup(standing, "notice-version", "&s", &v));
        g_assert_cmpstr(v, ==, version);
        g_assert_true(g_variant_lookup(standing, "current", "b", &c));
        g_assert_cmpint(c, ==, current);
        g_assert_true(g_variant_lookup(standing, "time", "x", &when));
        g_assert_cmpint(when, >=, from);
        g_assert_cmpint(when, <=, to);
}

static gint64 now_s(void) {
        return g_get_real_time() / G_USEC_PER_SEC;
}

static void assert_event(GHashTable *e, const char *outcome, const char *uid, const char *reason) {
        g_assert_cmpstr(audit_field(e, "BIOGATE_OUTCOME"), ==, outcome);
        g_assert_cmpstr(audit_field(e, "BIOGATE_UID"), ==, uid);
        /* Only ever the person's own. */
        g_assert_cmpstr(audit_field(e, "BIOGATE_CALLER_UID"), ==, uid);
        g_assert_cmpstr(audit_field(e, "BIOGATE_REASON"), ==, reason);
}

/* biogatectl ARGS as uid (0: root, through audit_ctl), asserting the exit
 * status; stdout and stderr together. */
static char *ctl_as(uid_t uid, int expected_exit, const char *const *args) {
        return audit_ctl_as(uid, (const char *[]) { "TZ=UTC", NULL }, expected_exit, args);
}

/* biogatectl ARGS as root in a pseudo-terminal (script(1)), answering its
 * question; the terminal's output. */
static char *ctl_on_terminal(const char *answer, const char *args, int expected_exit) {
        g_autofree char *cmd = g_strdup_printf("printf '%s\\n' | script -q -e -c '%s %s' /dev/null", answer,
                                               BIOGATECTL_PATH, args);
        g_autoptr(BtfProc) proc = NULL;
        g_autoptr(GError) error = NULL;
        int status = 0;

        proc = btf_spawn_async((const char *[]) { "sh", "-c", cmd, NULL }, NULL, &error);
        g_assert_no_error(error);
        g_assert_true(btf_proc_wait(proc, T, &status, &error));
        g_assert_no_error(error);
        btf_assert_exit_code(status, expected_exit);
        return g_strdup(btf_proc_get_stdout(proc));
}

/* ---- the API ---- */

/* Recorded for the current notice: GetMyData shows it, the audit trail has
 * it; recording again replaces it (one entry, the newer time). */
static void test_record(AuditFixture *a, gconstpointer data) {
        g_autoptr(GVariant) standing = NULL, again = NULL;
        g_autoptr(GPtrArray) events = NULL;
        gint64 t0 = now_s(), t1, when = 0;

        g_assert_null(standing_of(a->f.conn, NULL));
        record_consent(a->f.conn, BIOGATE_TEST_NOTICE_VERSION, NULL);
        t1 = now_s();
        standing = standing_of(a->f.conn, NULL);
        assert_standing(standing, BIOGATE_TEST_NOTICE_VERSION, TRUE, t0, t1);

        events = audit_events_named(a, "standing-consent-recorded");
        g_assert_cmpuint(events->len, ==, 1);
        assert_event(events->pdata[0], "success", "0", BIOGATE_TEST_NOTICE_VERSION);
        g_assert_cmpstr(audit_field(events->pdata[0], "MESSAGE_ID"), ==,
                        biogated_audit_event_message_id(audit_event_by_name("standing-consent-recorded")));

        record_consent(a->f.conn, BIOGATE_TEST_NOTICE_VERSION, NULL);
        again = standing_of(a->f.conn, NULL);
        assert_standing(again, BIOGATE_TEST_NOTICE_VERSION, TRUE, t0, now_s());
        g_assert_true(g_variant_lookup(again, "time", "x", &when));
        /* The enrolment consent history is another thing, untouched. */
        {
                g_autoptr(GVariant) mine = user_data(a->f.conn, NULL);
                g_autoptr(GVariant) consents = g_variant_lookup_value(mine, "consent", G_VARIANT_TYPE("aa{sv}"));

                g_assert_cmpuint(g_variant_n_children(consents), ==, 0);
        }

        /* For docs/performance.md: a consent is one sealed record write and
         * one audit event, durable before the reply. */
        {
                gint64 start = g_get_monotonic_time();

                for (int i = 0; i < 50; i++)
                        record_consent(a->f.conn, BIOGATE_TEST_NOTICE_VERSION, NULL);
                g_test_message("RecordConsent: %.2f ms per call, reply after the write is durable",
                               (g_get_monotonic_time() - start) / 50.0 / 1000.0);
        }
}

/* Another version (an older notice, or anything else): ConsentRequired,
 * nothing stored, not even a key; the refusal is audited. */
static void test_wrong_version(AuditFixture *a, gconstpointer data) {
        g_autofree char *key = g_build_filename(a->f.state, "keys", "0", NULL);
        g_autofree char *prints = g_build_filename(a->f.state, "prints", "0", NULL);
        g_autoptr(GPtrArray) events = NULL;
        const char *versions[] = { OLD_VERSION, "", BIOGATE_TEST_NOTICE_VERSION "\n" };

        for (gsize i = 0; i < G_N_ELEMENTS(versions); i++)
                record_consent(a->f.conn, versions[i], ERR "ConsentRequired");
        g_assert_null(standing_of(a->f.conn, NULL));
        g_assert_false(g_file_test(key, G_FILE_TEST_EXISTS));
        g_assert_false(g_file_test(prints, G_FILE_TEST_EXISTS));

        events = audit_events_named(a, "standing-consent-recorded");
        g_assert_cmpuint(events->len, ==, G_N_ELEMENTS(versions)); /* root's refusals are never limited */
        for (guint i = 0; i < events->len; i++)
                assert_event(events->pdata[i], "denied", "0", ERR "ConsentRequired");
}

/* There is no user argument: whoever calls records their own consent.
 * uid 65534's goes to its record, root's to root's. */
static void test_own_uid_only(AuditFixture *a, gconstpointer data) {
        g_autoptr(GDBusNodeInfo) api = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *xml = NULL, *out = NULL;
        g_autoptr(GVariant) nobody = NULL, root = NULL, nobody_after = NULL;
        g_autoptr(GPtrArray) events = NULL;
        GDBusInterfaceInfo *iface;
        GDBusMethodInfo *m;
        gint64 t0 = now_s();

        /* The contract: one argument, the notice version; none names a user. */
        g_assert_true(g_file_get_contents(BIOGATE_API_XML, &xml, NULL, &error));
        api = g_dbus_node_info_new_for_xml(xml, &error);
        g_assert_no_error(error);
        iface = g_dbus_node_info_lookup_interface(api, BIOGATE_MANAGER_INTERFACE);
        m = g_dbus_interface_info_lookup_method(iface, "RecordConsent");
        g_assert_nonnull(m);
        g_assert_nonnull(m->in_args[0]);
        g_assert_cmpstr(m->in_args[0]->name, ==, "notice_version");
        g_assert_null(m->in_args[1]);
        m = g_dbus_interface_info_lookup_method(iface, "WithdrawConsent");
        g_assert_true(!m->in_args || !m->in_args[0]);

        out = ctl_as(NOBODY, 0, (const char *[]) { "consent", "--yes", NULL });
        nobody = standing_of(a->f.conn, "nobody");
        assert_standing(nobody, BIOGATE_TEST_NOTICE_VERSION, TRUE, t0, now_s());
        g_assert_null(standing_of(a->f.conn, NULL));

        /* Root's call is root's own, however privileged. */
        record_consent(a->f.conn, BIOGATE_TEST_NOTICE_VERSION, NULL);
        root = standing_of(a->f.conn, NULL);
        assert_standing(root, BIOGATE_TEST_NOTICE_VERSION, TRUE, t0, now_s());
        nobody_after = standing_of(a->f.conn, "nobody");
        g_assert_true(g_variant_equal(nobody, nobody_after));

        events = audit_events_named(a, "standing-consent-recorded");
        g_assert_cmpuint(events->len, ==, 2);
        assert_event(events->pdata[0], "success", "65534", BIOGATE_TEST_NOTICE_VERSION);
        assert_event(events->pdata[1], "success", "0", BIOGATE_TEST_NOTICE_VERSION);

        /* Withdrawing is one's own too: nobody's goes, root's stays. */
        g_free(ctl_as(NOBODY, 0, (const char *[]) { "consent", "--withdraw", NULL }));
        g_clear_pointer(&nobody_after, g_variant_unref);
        nobody_after = standing_of(a->f.conn, "nobody");
        g_assert_null(nobody_after);
        g_clear_pointer(&root, g_variant_unref);
        root = standing_of(a->f.conn, NULL);
        g_assert_nonnull(root);
}

/* Withdrawn: gone, the prints stay; a second withdrawal has nothing to do
 * and says so in the audit trail. */
static void test_withdraw(AuditFixture *a, gconstpointer data) {
        g_auto(GStrv) fingers = NULL;
        g_autoptr(GPtrArray) events = NULL;

        enroll(&a->f, "", "right-index-finger", PRINT_ID);
        record_consent(a->f.conn, BIOGATE_TEST_NOTICE_VERSION, NULL);
        g_assert_nonnull(standing_of(a->f.conn, NULL));
        withdraw_consent(a->f.conn);
        g_assert_null(standing_of(a->f.conn, NULL));
        fingers = list_fingers(a->f.conn, "");
        g_assert_cmpuint(g_strv_length(fingers), ==, 1);
        g_assert_cmpstr(fingers[0], ==, "right-index-finger");

        withdraw_consent(a->f.conn);
        g_assert_null(standing_of(a->f.conn, NULL));

        events = audit_events_named(a, "standing-consent-withdrawn");
        g_assert_cmpuint(events->len, ==, 2);
        assert_event(events->pdata[0], "success", "0", NULL);
        assert_event(events->pdata[1], "success", "0", "nothing to withdraw");
        /* And the finger still matches. */
        audit_verify_expect(a, PRINT_ID, "match");
}

/* EraseUser takes the standing consent with the record; it can be given
 * again afterwards. */
static void test_erase(AuditFixture *a, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = NULL, erased = NULL, standing = NULL;
        gboolean record = FALSE;

        record_consent(a->f.conn, BIOGATE_TEST_NOTICE_VERSION, NULL);
        reply = manager_call(a->f.conn, "EraseUser", g_variant_new("(s)", ""), "(a{sv})", &error);
        g_assert_no_error(error);
        erased = g_variant_get_child_value(reply, 0);
        g_assert_true(g_variant_lookup(erased, "record", "b", &record));
        g_assert_true(record);
        g_assert_null(standing_of(a->f.conn, NULL));

        record_consent(a->f.conn, BIOGATE_TEST_NOTICE_VERSION, NULL);
        standing = standing_of(a->f.conn, NULL);
        g_assert_nonnull(standing);
}

static gboolean set_old_consent(GVariantDict *record, gpointer user_data) {
        biogated_record_set_standing_consent(record, OLD_VERSION, 1700000000);
        return TRUE;
}

/* A consent to an older notice (written behind the stopped daemon's back,
 * as an older biogate would have) is shown as such, and does not count. */
static void test_outdated(AuditFixture *a, gconstpointer data) {
        g_autoptr(BiogatedStore) store = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) standing = NULL;
        g_autofree char *out = NULL;

        audit_stop_daemon(a);
        store = biogated_store_open(a->f.state, NULL, &error);
        g_assert_no_error(error);
        g_assert_true(biogated_store_edit_record(store, 0, TRUE, set_old_consent, NULL, &error));
        g_assert_no_error(error);
        g_clear_pointer(&store, biogated_store_free);
        audit_start_daemon(a);

        standing = standing_of(a->f.conn, NULL);
        assert_standing(standing, OLD_VERSION, FALSE, 1700000000, 1700000000);
        out = ctl_as(0, 0, (const char *[]) { "consent", "--show", NULL });
        g_assert_nonnull(strstr(out, "notice version " OLD_VERSION ", not the current notice (version "
                                     BIOGATE_TEST_NOTICE_VERSION ")"));
}

/* ---- biogatectl consent ---- */

static void test_biogatectl(AuditFixture *a, gconstpointer data) {
        g_autoptr(JsonObject) shown = NULL, recorded = NULL;
        g_autofree char *out = NULL;
        g_autoptr(GVariant) standing = NULL;
        gint64 t0 = now_s();

        out = ctl_as(0, 0, (const char *[]) { "consent", "--show", NULL });
        g_assert_nonnull(strstr(out, "Consent to enrolment from the desktop: not given"));
        g_clear_pointer(&out, g_free);

        /* Nobody to ask and no --yes: refused before any call. */
        out = ctl_as(0, 3, (const char *[]) { "--json", "consent", NULL });
        g_assert_nonnull(strstr(out, ERR "ConsentRequired"));
        g_clear_pointer(&out, g_free);
        /* --yes with --withdraw or --show: a usage error. */
        g_free(ctl_as(0, 2, (const char *[]) { "consent", "--yes", "--withdraw", NULL }));
        g_free(ctl_as(0, 2, (const char *[]) { "consent", "--show", "--withdraw", NULL }));
        g_assert_null(standing_of(a->f.conn, NULL));

        /* On a terminal: the notice (the one enroll shows), then "n": nothing. */
        out = ctl_on_terminal("n", "consent", 6);
        g_assert_nonnull(strstr(out, "Notice-Version: " BIOGATE_TEST_NOTICE_VERSION));
        g_assert_nonnull(strstr(out, "Do you consent to enrolling your fingerprints under this notice? [y/N]"));
        g_assert_nonnull(strstr(out, "No consent was given; nothing was recorded"));
        g_clear_pointer(&out, g_free);
        g_assert_null(standing_of(a->f.conn, NULL));
        {
                g_autoptr(GPtrArray) events = audit_events_named(a, "standing-consent-recorded");

                g_assert_cmpuint(events->len, ==, 0);
        }

        /* "y": recorded. */
        out = ctl_on_terminal("y", "consent", 0);
        g_assert_nonnull(strstr(out, "Consent to notice version " BIOGATE_TEST_NOTICE_VERSION " recorded"));
        g_clear_pointer(&out, g_free);
        standing = standing_of(a->f.conn, NULL);
        assert_standing(standing, BIOGATE_TEST_NOTICE_VERSION, TRUE, t0, now_s());

        /* --withdraw, then --yes (the notice still shown), then --show. */
        out = ctl_as(0, 0, (const char *[]) { "consent", "--withdraw", NULL });
        g_assert_nonnull(strstr(out, "Consent withdrawn. Your enrolled fingerprints stay"));
        g_clear_pointer(&out, g_free);
        g_assert_null(standing_of(a->f.conn, NULL));

        out = ctl_as(0, 0, (const char *[]) { "consent", "--yes", NULL });
        g_assert_nonnull(strstr(out, "Notice-Version: " BIOGATE_TEST_NOTICE_VERSION));
        g_assert_nonnull(strstr(out, "Consent to notice version " BIOGATE_TEST_NOTICE_VERSION " given with --yes."));
        g_clear_pointer(&out, g_free);

        out = ctl_as(0, 0, (const char *[]) { "consent", "--show", NULL });
        g_assert_nonnull(strstr(out, "to notice version " BIOGATE_TEST_NOTICE_VERSION " (the current one)"));
        g_clear_pointer(&out, g_free);
        shown = audit_ctl_json(0, (const char *[]) { "--json", "consent", "--show", NULL });
        g_assert_true(json_object_get_boolean_member(shown, "recorded"));
        g_assert_true(json_object_get_boolean_member(shown, "current"));
        g_assert_cmpstr(json_object_get_string_member(shown, "notice-version"), ==, BIOGATE_TEST_NOTICE_VERSION);
        g_assert_cmpint(json_object_get_int_member(shown, "time"), >=, t0);

        /* my-data says it too. */
        out = ctl_as(0, 0, (const char *[]) { "my-data", NULL });
        g_assert_nonnull(strstr(out, "Consent to enrolment from the desktop: given "));
        g_assert_nonnull(strstr(out, "to notice version " BIOGATE_TEST_NOTICE_VERSION " (the current one)"));
        g_clear_pointer(&out, g_free);

        g_free(ctl_as(0, 0, (const char *[]) { "--json", "consent", "--withdraw", NULL }));
        recorded = audit_ctl_json(0, (const char *[]) { "--json", "consent", "--show", NULL });
        g_assert_false(json_object_get_boolean_member(recorded, "recorded"));
        g_assert_null(standing_of(a->f.conn, NULL));
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

#define ADD(path, fn) g_test_add("/consent/" path, AuditFixture, NULL, audit_setup, fn, audit_teardown)
        ADD("record", test_record);
        ADD("wrong-version", test_wrong_version);
        ADD("own-uid-only", test_own_uid_only);
        ADD("withdraw", test_withdraw);
        ADD("erase", test_erase);
        ADD("outdated", test_outdated);
        ADD("biogatectl", test_biogatectl);
        return g_test_run();
}
