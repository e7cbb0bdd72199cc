/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audit trail end to end: the real biogated logs to a real
 * systemd-journald (private mount namespace, one per test), the events are
 * read back from the journal files, and `biogatectl audit verify|report`
 * runs on them: intact, across restarts and new keys, and rebuilt with an
 * event deleted, edited or moved (journalctl -o export, changed, then
 * systemd-journal-remote). */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "audit-fixture.h"

static void assert_user_event(GPtrArray *events, const char *name, const char *outcome) {
        GHashTable *e = audit_the_event(events, name);

        g_assert_cmpstr(audit_field(e, "BIOGATE_OUTCOME"), ==, outcome);
        g_assert_cmpstr(audit_field(e, "BIOGATE_USER"), ==, "root");
        g_assert_cmpstr(audit_field(e, "BIOGATE_UID"), ==, "0");
}

static void test_journald_fixture(AuditFixture *a, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        const char *matches[] = { "SYSLOG_IDENTIFIER=biogate-fixture", "MESSAGE=hello from the namespace", NULL };
        const char *started[] = { "BIOGATE_EVENT=audit-chain-started", NULL };
        int status;

        /* Whatever runs through the prefix logs to this journald... */
        for (const char *const *p = btf_journald_get_command_prefix(a->journald); *p; p++)
                g_ptr_array_add(argv, (char *) *p);
        g_ptr_array_add(argv, "systemd-cat");
        g_ptr_array_add(argv, "-t");
        g_ptr_array_add(argv, "biogate-fixture");
        g_ptr_array_add(argv, "echo");
        g_ptr_array_add(argv, "hello from the namespace");
        g_ptr_array_add(argv, NULL);
        g_assert_true(btf_run((const char *const *) argv->pdata, NULL, NULL, NULL, &status, &error));
        g_assert_no_error(error);
        btf_assert_exit_code(status, 0);
        g_assert_true(btf_journald_wait_entries(a->journald, matches, 1, T, &error));
        g_assert_no_error(error);
        /* ...and so did the daemon, started through it, as the same PID. */
        g_assert_true(btf_journald_wait_entries(a->journald, started, 1, T, &error));
        g_assert_no_error(error);
        g_assert_cmpint(btf_daemon_get_pid(a->f.daemon), >, 0);
}

static void test_events(AuditFixture *a, gconstpointer data) {
        g_autoptr(GPtrArray) events = NULL;
        GHashTable *e;
        guint64 last;

        audit_make_history(a);
        audit_stop_daemon(a);
        last = audit_sync_journal(a);
        events = audit_fixture_events(a);
        g_assert_cmpuint(events->len, ==, last);

        assert_user_event(events, "consent-recorded", "success");
        assert_user_event(events, "enroll", "success");
        assert_user_event(events, "verify-match", "success");
        assert_user_event(events, "verify-no-match", "failure");
        assert_user_event(events, "stepup-approve", "success");
        assert_user_event(events, "stepup-deny", "denied");
        g_assert_cmpstr(audit_field(audit_the_event(events, "enroll"), "BIOGATE_REASON"), ==, "right-index-finger");

        e = audit_the_event(events, "stepup-approve");
        g_assert_cmpstr(audit_field(e, "BIOGATE_RULE"), ==, "withdrawals");
        g_assert_cmpstr(audit_field(e, "BIOGATE_TX_KIND"), ==, "withdrawal");
        g_assert_cmpstr(audit_field(e, "BIOGATE_AMOUNT"), ==, "250000.00");
        g_assert_cmpstr(audit_field(e, "BIOGATE_CURRENCY"), ==, "USD");
        g_assert_nonnull(audit_field(e, "BIOGATE_TX_DIGEST"));
        g_assert_cmpuint(strlen(audit_field(e, "BIOGATE_TX_DIGEST")), >=, 43);
        e = audit_the_event(events, "stepup-deny");
        g_assert_cmpstr(audit_field(e, "BIOGATE_RULE"), ==, "denied-payee");
        g_assert_cmpstr(audit_field(e, "BIOGATE_REASON"), ==, "org.biogate1.Error.PolicyDenied");

        for (guint i = 0; i < events->len; i++) {
                GHashTable *ev = events->pdata[i];
                BiogatedAuditEvent type = audit_event_by_name(audit_field(ev, "BIOGATE_EVENT"));
                g_autofree char *seq = g_strdup_printf("%u", i + 1);
                g_autofree char *priority = g_strdup_printf("%d", biogated_audit_event_priority(type));
                GHashTableIter iter;
                gpointer name, value;

                /* The fixed ID and priority of its type; one chain, no holes. */
                g_assert_cmpstr(audit_field(ev, "MESSAGE_ID"), ==, biogated_audit_event_message_id(type));
                g_assert_cmpstr(audit_field(ev, "PRIORITY"), ==, priority);
                g_assert_cmpstr(audit_field(ev, "BIOGATE_SEQ"), ==, seq);
                g_assert_cmpuint(strlen(audit_field(ev, "BIOGATE_CHAIN")), ==, 64);
                g_assert_nonnull(audit_field(ev, "MESSAGE"));
                /* Never a template byte, in any field. */
                g_hash_table_iter_init(&iter, ev);
                while (g_hash_table_iter_next(&iter, &name, &value)) {
                        g_assert_null(strstr(value, PRINT_ID));
                        g_assert_null(strstr(value, OTHER_ID));
                }
        }
}

static void test_verify_intact(AuditFixture *a, gconstpointer data) {
        g_autoptr(JsonObject) all = NULL, later = NULL;
        g_autoptr(GPtrArray) events = NULL;
        g_autofree char *out = NULL, *since = NULL;
        JsonObject *machine;
        const char *dir = btf_journald_get_directory(a->journald);
        const char *args[] = { "audit", "verify", "--directory", dir, "--state-dir", a->f.state, NULL };
        guint64 last;
        int status;

        audit_make_history(a);
        /* While the daemon runs: the end is compared with its chain state. */
        last = audit_sync_journal(a);
        /* Another user's forgery of the next event is not biogated's. */
        audit_inject_as_nobody(a, (const char *const[]) { "BIOGATE_EVENT=verify-match", "BIOGATE_SEQ=999",
                                                          "BIOGATE_CHAIN=00", "MESSAGE=forged", NULL });
        all = audit_verify_directory(a, 0, NULL);
        g_assert_true(json_object_get_boolean_member(all, "valid"));
        g_assert_true(json_object_get_boolean_member(all, "end-checked"));
        g_assert_cmpint(json_object_get_int_member(all, "events-checked"), ==, (gint64) last);
        machine = json_array_get_object_element(json_object_get_array_member(all, "machines"), 0);
        g_assert_cmpint(json_object_get_int_member(machine, "first-seq"), ==, 1);
        g_assert_cmpint(json_object_get_int_member(machine, "last-seq"), ==, (gint64) last);
        g_assert_true(json_object_get_boolean_member(machine, "checked-from-start"));

        out = audit_ctl(&status, args);
        btf_assert_exit_code(status, 0);
        g_assert_nonnull(strstr(out, "intact"));

        /* --since: from the verify-match event on, taken as given. */
        events = audit_fixture_events(a);
        since = audit_iso_time(audit_event_realtime(events, "verify-match"));
        later = audit_verify_directory(a, 0, since);
        machine = json_array_get_object_element(json_object_get_array_member(later, "machines"), 0);
        g_assert_false(json_object_get_boolean_member(machine, "checked-from-start"));
        g_assert_cmpint(json_object_get_int_member(machine, "first-seq"), ==,
                        g_ascii_strtoll(audit_event_lookup(events, "BIOGATE_EVENT", "verify-match", "BIOGATE_SEQ"),
                                        NULL, 10));
}

/* A restart continues the chain: audit-chain-resumed, the next number. */
static void test_restart_resumes(AuditFixture *a, gconstpointer data) {
        g_autoptr(GPtrArray) events = NULL;
        g_autoptr(JsonObject) result = NULL;
        g_autofree char *resumed_seq = NULL;
        GHashTable *resumed;
        guint64 before, last;

        audit_make_history(a);
        audit_stop_daemon(a);
        before = audit_sync_journal(a);
        audit_start_daemon(a);
        audit_verify_expect(a, PRINT_ID, BIOGATE_RESULT_MATCH);
        audit_stop_daemon(a);
        last = audit_sync_journal(a);

        events = audit_fixture_events(a);
        g_assert_cmpuint(events->len, ==, last);
        g_assert_cmpuint(audit_count_events(events, "BIOGATE_EVENT", "audit-chain-started"), ==, 1);
        resumed = audit_the_event(events, "audit-chain-resumed");
        resumed_seq = g_strdup_printf("%" G_GUINT64_FORMAT, before + 1);
        g_assert_cmpstr(audit_field(resumed, "BIOGATE_SEQ"), ==, resumed_seq);
        /* Written by the second process, continuing the first one's chain. */
        g_assert_cmpstr(audit_field(resumed, "_PID"), !=,
                        audit_event_lookup(events, "BIOGATE_EVENT", "audit-chain-started", "_PID"));

        result = audit_verify_directory(a, 0, NULL);
        g_assert_true(json_object_get_boolean_member(result, "valid"));
        g_assert_cmpint(json_object_get_int_member(result, "events-checked"), ==, (gint64) last);
        g_assert_cmpint(json_object_get_int_member(json_array_get_object_element(
                                json_object_get_array_member(result, "machines"), 0), "chain-starts"), ==, 1);
}

static void kill_daemon(AuditFixture *a) {
        g_autoptr(GError) error = NULL;

        g_assert_true(btf_daemon_kill(a->f.daemon, NULL, &error));
        g_assert_no_error(error);
}

/* An audit-chain-resumed after a crash: it takes the number after the
 * reservation it names and links to the state saved before it. */
static void assert_resumed_after_crash(GHashTable *e) {
        guint64 seq = g_ascii_strtoull(audit_field(e, "BIOGATE_SEQ"), NULL, 10);
        const char *from = audit_field(e, "BIOGATE_RESUMED_FROM"), *to = audit_field(e, "BIOGATE_RESERVED_TO");

        g_assert_nonnull(from);
        g_assert_nonnull(to);
        g_assert_cmpuint(g_ascii_strtoull(to, NULL, 10) + 1, ==, seq);
        g_assert_cmpuint(g_ascii_strtoull(from, NULL, 10), >=, 1);
        g_assert_cmpuint(g_ascii_strtoull(from, NULL, 10), <, seq);
}

#define CRASH_BURST 12

/* kill -9 right after a burst of logins, then in the middle of one (the
 * finger on the sensor, its result maybe not told yet). A login is told
 * its result without waiting for any write, so the crashed runs' chain
 * states lag their last events: each start after a crash uses none of the
 * numbers reserved before it, links to the state saved and says so. Every
 * login that was told its result is in the journal, no number appears
 * twice, and the whole trail verifies, the end included. */
static void test_crash_resumes(AuditFixture *a, gconstpointer data) {
        g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
        g_autoptr(GPtrArray) events = NULL;
        g_autoptr(JsonObject) result = NULL;
        JsonObject *machine;
        guint resumed = 0;
        guint64 last;

        enroll(&a->f, "", "right-index-finger", PRINT_ID);
        for (int i = 0; i < CRASH_BURST; i++)
                audit_verify_expect(a, PRINT_ID, BIOGATE_RESULT_MATCH);
        kill_daemon(a);
        audit_start_daemon(a);
        audit_verify_expect(a, PRINT_ID, BIOGATE_RESULT_MATCH);
        {
                g_autoptr(BtfOp) op = start_verify(a->f.conn, "");

                wait_finger_needed(op);
                touch(&a->f, PRINT_ID);
                kill_daemon(a);
        }
        audit_start_daemon(a);
        for (int i = 0; i < 3; i++)
                audit_verify_expect(a, PRINT_ID, BIOGATE_RESULT_MATCH);
        audit_stop_daemon(a);
        last = audit_sync_journal(a);

        events = audit_fixture_events(a);
        for (guint i = 0; i < events->len; i++) {
                const char *seq = audit_field(events->pdata[i], "BIOGATE_SEQ");

                g_assert_false(g_hash_table_contains(seen, seq));
                g_hash_table_add(seen, (gpointer) seq);
                if (g_strcmp0(audit_field(events->pdata[i], "BIOGATE_EVENT"), "audit-chain-resumed") == 0) {
                        assert_resumed_after_crash(events->pdata[i]);
                        resumed++;
                }
        }
        g_assert_cmpuint(resumed, ==, 2);
        /* The middle one's may be there or not: it was never told. */
        g_assert_cmpuint(audit_count_events(events, "BIOGATE_EVENT", "verify-match"), >=, CRASH_BURST + 1 + 3);
        g_assert_cmpuint(audit_count_events(events, "BIOGATE_EVENT", "enroll"), ==, 1);

        result = audit_verify_directory(a, 0, NULL);
        g_assert_true(json_object_get_boolean_member(result, "valid"));
        g_assert_true(json_object_get_boolean_member(result, "end-checked"));
        g_assert_cmpint(json_object_get_int_member(result, "events-checked"), ==, (gint64) events->len);
        machine = json_array_get_object_element(json_object_get_array_member(result, "machines"), 0);
        g_assert_cmpint(json_object_get_int_member(machine, "chain-starts"), ==, 1);
        g_assert_cmpint(json_object_get_int_member(machine, "last-seq"), ==, (gint64) last);
}

/* The crash lands after a login's event went to the journal and before its
 * chain state was saved (tests/crash-shim.c kills biogated at the first
 * file step after the touch: the state's write). The next start links to
 * the state saved before that event, which the journal's event follows:
 * the event is kept, checked by its own link, and the trail verifies. */
static void test_crash_before_state_saved(AuditFixture *a, gconstpointer data) {
        const char *preload = g_getenv("BIOGATE_TEST_CRASH_PRELOAD");
        g_autofree char *arm = g_build_filename(a->f.tmp, "crash-arm", NULL);
        g_autofree char *e1 = g_strdup_printf("LD_PRELOAD=%s", preload ? preload : "");
        g_autofree char *e2 = g_strdup_printf("BIOGATE_TEST_CRASH_DIR=%s", a->f.state);
        g_autofree char *e3 = g_strdup_printf("BIOGATE_TEST_CRASH_ARM=%s", arm);
        /* The shim is not first in line: fine for a test, not for ASan. */
        const char *env[] = { e1, e2, e3, "BIOGATE_TEST_CRASH_AT=1", "ASAN_OPTIONS=verify_asan_link_order=0", NULL };
        g_autoptr(GPtrArray) events = NULL;
        g_autoptr(JsonObject) result = NULL;
        g_autoptr(GError) error = NULL;
        GHashTable *resumed = NULL;
        guint64 crashed_login = 0;
        int status;

        if (!preload) {
                g_test_skip("BIOGATE_TEST_CRASH_PRELOAD is not set (run through meson test)");
                return;
        }
        audit_stop_daemon(a);
        audit_start_daemon_with_env(a, env);
        enroll(&a->f, "", "right-index-finger", PRINT_ID);
        /* Today's use recorded: the next match writes nothing of its own. */
        audit_verify_expect(a, PRINT_ID, BIOGATE_RESULT_MATCH);
        {
                /* A result that waits for every write before it. */
                g_autoptr(BtfOp) op = start_verify(a->f.conn, "");
                g_autoptr(GVariant) r = NULL;
                g_autofree char *cancelled = NULL;

                wait_finger_needed(op);
                r = call_on(a->f.conn, btf_op_get_path(op), BIOGATE_OPERATION_INTERFACE, "Cancel", NULL, NULL, &error);
                g_assert_no_error(error);
                cancelled = wait_finished(op, NULL);
                g_assert_cmpstr(cancelled, ==, BIOGATE_RESULT_CANCELLED);
        }
        g_assert_true(g_file_set_contents(arm, "", 0, NULL));
        {
                g_autoptr(BtfOp) op = start_verify(a->f.conn, "");

                wait_finger_needed(op);
                touch(&a->f, PRINT_ID);
                g_assert_true(btf_daemon_wait_exit(a->f.daemon, T, &status, &error));
                g_assert_no_error(error);
                btf_assert_signaled(status, SIGKILL);
        }
        audit_start_daemon(a);
        audit_verify_expect(a, PRINT_ID, BIOGATE_RESULT_MATCH);
        audit_stop_daemon(a);
        audit_sync_journal(a);

        /* Two restarts: the clean one into the shim, the one after the crash. */
        events = audit_fixture_events(a);
        g_assert_cmpuint(audit_count_events(events, "BIOGATE_EVENT", "audit-chain-resumed"), ==, 2);
        /* The crashed login's event: the last before the resumed one. */
        for (guint i = 1; i < events->len; i++)
                if (audit_field(events->pdata[i], "BIOGATE_RESUMED_FROM")) {
                        g_assert_null(resumed);
                        resumed = events->pdata[i];
                        crashed_login = g_ascii_strtoull(audit_field(events->pdata[i - 1], "BIOGATE_SEQ"), NULL, 10);
                }
        g_assert_nonnull(resumed);
        assert_resumed_after_crash(resumed);
        g_assert_cmpstr(audit_field(resumed, "BIOGATE_EVENT"), ==, "audit-chain-resumed");
        g_assert_cmpuint(audit_count_events(events, "BIOGATE_EVENT", "verify-match"), ==, 3);
        g_assert_cmpuint(g_ascii_strtoull(audit_field(resumed, "BIOGATE_RESUMED_FROM"), NULL, 10), ==,
                         crashed_login - 1);

        result = audit_verify_directory(a, 0, NULL);
        g_assert_true(json_object_get_boolean_member(result, "valid"));
        g_assert_cmpint(json_object_get_int_member(result, "events-checked"), ==, (gint64) events->len);
}

/* A lost chain state starts a new chain under the same key (verify follows
 * it); a new audit key starts one that only that key checks: the old part
 * reads as edited, and --since skips it. */
static void test_new_key(AuditFixture *a, gconstpointer data) {
        g_autofree char *chain = g_build_filename(a->f.state, "audit", "chain", NULL);
        g_autoptr(GPtrArray) events = NULL;
        g_autoptr(JsonObject) restarted = NULL, rekeyed = NULL, since_new = NULL;
        g_autofree char *since = NULL;
        guint64 new_chain = 0;
        JsonObject *machine;

        enroll(&a->f, "", "right-index-finger", PRINT_ID);
        audit_verify_expect(a, OTHER_ID, BIOGATE_RESULT_NO_MATCH);
        audit_stop_daemon(a);
        audit_sync_journal(a);
        g_assert_cmpint(g_unlink(chain), ==, 0);
        audit_start_daemon(a);
        audit_stop_daemon(a);
        audit_sync_journal(a);
        restarted = audit_verify_directory(a, 0, NULL);
        machine = json_array_get_object_element(json_object_get_array_member(restarted, "machines"), 0);
        g_assert_cmpint(json_object_get_int_member(machine, "chain-starts"), ==, 2);

        g_assert_cmpint(g_unlink(a->key), ==, 0);
        audit_start_daemon(a);
        audit_stop_daemon(a);
        audit_sync_journal(a);
        rekeyed = audit_verify_directory(a, 1, NULL);
        g_assert_cmpstr(json_object_get_string_member(rekeyed, "problem"), ==, "edit");
        g_assert_cmpint(json_object_get_int_member(rekeyed, "seq"), ==, 1);
        g_assert_nonnull(strstr(json_object_get_string_member(rekeyed, "message"), "another audit key"));

        /* The new chain opens with audit-chain-started; the new key's
         * key-created event follows it. */
        events = audit_fixture_events(a);
        g_assert_cmpuint(audit_count_events(events, "BIOGATE_REASON", "audit key"), ==, 2);
        for (guint i = 0; i < events->len; i++)
                if (g_strcmp0(audit_field(events->pdata[i], "BIOGATE_EVENT"), "audit-chain-started") == 0)
                        new_chain = g_ascii_strtoull(audit_field(events->pdata[i], "__REALTIME_TIMESTAMP"), NULL, 10);
        since = audit_iso_time(new_chain);
        since_new = audit_verify_directory(a, 0, since);
        machine = json_array_get_object_element(json_object_get_array_member(since_new, "machines"), 0);
        g_assert_true(json_object_get_boolean_member(machine, "checked-from-start"));
        g_assert_cmpint(json_object_get_int_member(machine, "first-seq"), ==, 1);
}

static gint64 rules_count(JsonObject *row, const char *member, const char *rule) {
        JsonObject *rules = json_object_get_object_member(row, member);

        return json_object_has_member(rules, rule) ? json_object_get_int_member(rules, rule) : 0;
}

/* A match as pam_biogate asks for it: root, naming its PAM service. */
static void verify_as_login(AuditFixture *a, const char *service) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfOp) op = start_op(a->f.conn, "Verify",
                                       g_variant_new_parsed("('', {'service': <%s>})", service), &error);
        g_autofree char *result = NULL;

        g_assert_no_error(error);
        wait_finger_needed(op);
        touch(&a->f, PRINT_ID);
        result = wait_finished(op, NULL);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
        release(a->f.conn, op);
}

/* The report counts, per user and day, what was done. Only a match for a
 * PAM service is a login: a `biogatectl verify` used to count as one too,
 * so one PAM login after one test verification read as two logins. */
static void test_report(AuditFixture *a, gconstpointer data) {
        const char *dir = btf_journald_get_directory(a->journald);
        const char *json_args[] = { "audit", "report", "--json", "--directory", dir, NULL };
        const char *table_args[] = { "audit", "report", "--directory", dir, NULL };
        g_autoptr(GVariant) erased = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonObject) report = NULL;
        g_autoptr(GPtrArray) events = NULL;
        g_autoptr(GHashTable) days = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_autofree char *table = NULL;
        gint64 logins = 0, matches = 0, failed = 0, approved = 0, denied = 0, lockouts = 0, erasures = 0;
        JsonArray *rows;
        int status;

        audit_make_history(a);                          /* 1 match, 1 no-match, 1 approved, 1 denied */
        audit_verify_expect(a, PRINT_ID, BIOGATE_RESULT_MATCH);
        verify_as_login(a, "login");
        for (int i = 0; i < 5; i++)                     /* the fifth starts a delay: a lockout event */
                audit_verify_expect(a, OTHER_ID, BIOGATE_RESULT_NO_MATCH);
        erased = manager_call(a->f.conn, "EraseUser", g_variant_new("(s)", ""), "(a{sv})", &error);
        g_assert_no_error(error);
        audit_stop_daemon(a);
        audit_sync_journal(a);
        /* Not counted: not sent by biogated (root). */
        audit_inject_as_nobody(a, (const char *const[]) { "BIOGATE_EVENT=stepup-approve", "BIOGATE_USER=root",
                                                          "BIOGATE_UID=0", "BIOGATE_RULE=withdrawals",
                                                          "BIOGATE_SEQ=1000", "MESSAGE=forged", NULL });

        events = audit_fixture_events(a);
        for (guint i = 0; i < events->len; i++) {
                guint64 usec = g_ascii_strtoull(audit_field(events->pdata[i], "BIOGATE_TIME"), NULL, 10);
                g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc((gint64) (usec / G_USEC_PER_SEC));

                g_hash_table_add(days, g_date_time_format(t, "%Y-%m-%d"));
        }
        report = audit_ctl_json(0, json_args);
        g_assert_cmpint(json_object_get_int_member(report, "events"), ==, (gint64) events->len);
        rows = json_object_get_array_member(report, "rows");
        g_assert_cmpuint(json_array_get_length(rows), >=, 1);
        for (guint i = 0; i < json_array_get_length(rows); i++) {
                JsonObject *row = json_array_get_object_element(rows, i);

                /* Only root acted; rows are per (day, user), days in UTC. */
                g_assert_cmpstr(json_object_get_string_member(row, "user"), ==, "root");
                g_assert_cmpint(json_object_get_int_member(row, "uid"), ==, 0);
                g_assert_true(g_hash_table_contains(days, json_object_get_string_member(row, "date")));
                logins += json_object_get_int_member(row, "logins");
                matches += json_object_get_int_member_with_default(row, "other-matches", 0);
                failed += json_object_get_int_member(row, "failed-matches");
                approved += rules_count(row, "stepups-approved", "withdrawals");
                denied += rules_count(row, "stepups-denied", "denied-payee");
                lockouts += json_object_get_int_member(row, "lockouts");
                erasures += json_object_get_int_member(row, "erasures");
        }
        g_assert_cmpint(logins, ==, 1);
        g_assert_cmpint(matches, ==, 2);
        g_assert_cmpint(failed, ==, 6);
        g_assert_cmpint(approved, ==, 1);
        g_assert_cmpint(denied, ==, 1);
        g_assert_cmpint(lockouts, ==, 1);
        g_assert_cmpint(erasures, ==, 1);

        table = audit_ctl(&status, table_args);
        btf_assert_exit_code(status, 0);
        g_assert_nonnull(strstr(table, "DATE"));
        g_assert_nonnull(strstr(table, "OTHER-MATCH"));
        g_assert_null(strstr(table, "not checked"));
        g_assert_nonnull(strstr(table, "biogatectl audit verify"));
        g_assert_nonnull(strstr(table, "withdrawals 1"));
        g_assert_nonnull(strstr(table, "denied-payee 1"));
}

/* journalctl -x explains the events with the installed catalog. The
 * catalog database is bind-mounted in a private mount namespace, so the
 * host's is never touched. */
static void test_catalog_explains(AuditFixture *a, gconstpointer data) {
        g_autofree char *root = g_build_filename(a->f.tmp, "catalog-root", NULL);
        g_autofree char *src = g_build_filename(root, "usr", "lib", "systemd", "catalog", NULL);
        g_autofree char *db = g_build_filename(root, "var", "lib", "systemd", "catalog", NULL);
        g_autofree char *copy = g_build_filename(src, "biogate.catalog", NULL);
        g_autofree char *root_arg = g_strconcat("--root=", root, NULL), *text = NULL, *out = NULL;
        const char *update[] = { JOURNALCTL_PATH, root_arg, "--update-catalog", NULL };
        const char *explain[] = { "unshare", "-m", "--propagation", "private", "sh", "-c",
                                  "mount --bind \"$0\" /var/lib/systemd/catalog && exec \"$1\" -x --no-pager -D \"$2\" "
                                  "SYSLOG_IDENTIFIER=biogated",
                                  db, JOURNALCTL_PATH, btf_journald_get_directory(a->journald), NULL };
        g_autoptr(GError) error = NULL;
        int status;

        if (!g_file_test("/var/lib/systemd/catalog", G_FILE_TEST_IS_DIR)) {
                g_test_skip("no /var/lib/systemd/catalog to mount the test catalog on");
                return;
        }
        audit_make_history(a);
        audit_stop_daemon(a);
        audit_sync_journal(a);

        g_assert_cmpint(g_mkdir_with_parents(src, 0755), ==, 0);
        g_assert_true(g_file_get_contents(BIOGATE_CATALOG, &text, NULL, &error));
        g_assert_true(g_file_set_contents(copy, text, -1, &error));
        g_assert_no_error(error);
        g_assert_true(btf_run(update, NULL, NULL, NULL, &status, &error));
        g_assert_no_error(error);
        btf_assert_exit_code(status, 0);
        g_assert_true(btf_run(explain, NULL, &out, NULL, &status, &error));
        g_assert_no_error(error);
        btf_assert_exit_code(status, 0);
        /* The subjects, with the event's own fields filled in. */
        g_assert_nonnull(strstr(out, "Subject: Fingerprint of root matched (login verification)"));
        g_assert_nonnull(strstr(out, "Subject: Step-up transaction approved for root"));
        g_assert_nonnull(strstr(out, "Subject: Audit chain started"));
        g_assert_nonnull(strstr(out, "Defined-By: biogate"));
}

static void expect_status(int expected, const char *const *args) {
        g_autofree char *out = NULL;
        int status;

        out = audit_ctl(&status, args);
        btf_assert_exit_code(status, expected);
}

/* Usage errors exit 2; a key or journal that cannot be read exits 7. */
static void test_usage(AuditFixture *a, gconstpointer data) {
        g_autofree char *short_key = g_build_filename(a->f.tmp, "short.key", NULL);
        g_autofree char *open_key = g_build_filename(a->f.tmp, "open.key", NULL);
        g_autofree char *missing = g_build_filename(a->f.tmp, "missing", NULL);
        const char *dir = btf_journald_get_directory(a->journald);
        const char *cases_2[][9] = {
                { "audit", NULL },
                { "audit", "frobnicate", NULL },
                { "audit", "verify", "--file", "x.journal", "--directory", dir, NULL },
                { "audit", "verify", "--since", "next tuesday", "--directory", dir, "--key", a->key, NULL },
                { "audit", "report", "--machine", "not-an-id", "--directory", dir, NULL },
                { "audit", "report", "--bogus", NULL },
        };
        const char *cases_7[][7] = {
                { "audit", "verify", "--directory", dir, "--key", missing, NULL },
                { "audit", "verify", "--directory", dir, "--key", short_key, NULL },
                { "audit", "verify", "--directory", dir, "--key", open_key, NULL },
                { "audit", "verify", "--directory", missing, "--key", a->key, NULL },
                { "audit", "report", "--file", missing, NULL },
        };
        g_autofree char *key = NULL;
        gsize len;

        g_assert_true(g_file_get_contents(a->key, &key, &len, NULL));
        g_assert_cmpuint(len, ==, 32);
        g_assert_true(g_file_set_contents(short_key, key, 31, NULL));
        g_assert_true(g_file_set_contents(open_key, key, 32, NULL));
        /* Whoever may rewrite the key may make any journal look intact. */
        g_assert_cmpint(chmod(open_key, 0666), ==, 0);
        for (gsize i = 0; i < G_N_ELEMENTS(cases_2); i++)
                expect_status(2, cases_2[i]);
        for (gsize i = 0; i < G_N_ELEMENTS(cases_7); i++)
                expect_status(7, cases_7[i]);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add("/audit/" path, AuditFixture, NULL, audit_setup, fn, audit_teardown)
        ADD("journald-fixture", test_journald_fixture);
        ADD("events", test_events);
        ADD("verify-intact", test_verify_intact);
        ADD("restart-resumes", test_restart_resumes);
        ADD("crash-resumes", test_crash_resumes);
        ADD("crash-before-state-saved", test_crash_before_state_saved);
        ADD("new-key", test_new_key);
        ADD("report", test_report);
        ADD("catalog-explains", test_catalog_explains);
        ADD("usage", test_usage);
#undef ADD
        return g_test_run();
}
