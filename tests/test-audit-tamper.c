/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tampering with the audit trail, the way someone with root would: export
 * biogated's events (journalctl -o export), delete, edit or move one, and
 * write a new journal file from that (systemd-journal-remote). Then
 * `biogatectl audit verify` must say what happened and where: the kind of
 * problem and the sequence number. An unchanged rebuild must verify, so
 * that the failures are the tampering's, not the rebuild's. */
#include <string.h>

#include "audit-fixture.h"

typedef void (*TamperFunc)(GPtrArray *entries, guint64 seq);

static void tamper_none(GPtrArray *entries, guint64 seq) {
        (void) entries, (void) seq;
}

static void tamper_drop(GPtrArray *entries, guint64 seq) {
        g_ptr_array_remove_index(entries, audit_export_find_seq(entries, seq));
}

/* A failed login made to look like a success. */
static void tamper_outcome(GPtrArray *entries, guint64 seq) {
        AuditExportEntry *e = entries->pdata[audit_export_find_seq(entries, seq)];
        g_autofree char *outcome = audit_export_get(e, "BIOGATE_OUTCOME");

        g_assert_cmpstr(outcome, ==, "failure");
        audit_export_set(e, "BIOGATE_OUTCOME", "success");
}

static void tamper_swap(GPtrArray *entries, guint64 seq) {
        guint i = audit_export_find_seq(entries, seq), j = audit_export_find_seq(entries, seq + 1);
        gpointer tmp = entries->pdata[i];

        entries->pdata[i] = entries->pdata[j];
        entries->pdata[j] = tmp;
}

/* A clean restart's audit-chain-resumed given the fields of one after a
 * crash, claiming that it links to the event before the one it follows. */
static void tamper_forge_resumed(GPtrArray *entries, guint64 seq) {
        AuditExportEntry *e = entries->pdata[audit_export_find_seq(entries, seq)];
        g_autofree char *event = audit_export_get(e, "BIOGATE_EVENT");
        g_autofree char *from = g_strdup_printf("%" G_GUINT64_FORMAT, seq - 2);
        g_autofree char *to = g_strdup_printf("%" G_GUINT64_FORMAT, seq - 1);

        g_assert_cmpstr(event, ==, "audit-chain-resumed");
        g_ptr_array_add(e->names, g_strdup("BIOGATE_RESUMED_FROM"));
        g_ptr_array_add(e->values, g_bytes_new(from, strlen(from)));
        g_ptr_array_add(e->names, g_strdup("BIOGATE_RESERVED_TO"));
        g_ptr_array_add(e->values, g_bytes_new(to, strlen(to)));
}

/* The event after a crash made to link to an earlier state than it does. */
static void tamper_resumed_from(GPtrArray *entries, guint64 seq) {
        AuditExportEntry *e = entries->pdata[audit_export_find_seq(entries, seq)];
        g_autofree char *from = audit_export_get(e, "BIOGATE_RESUMED_FROM");
        g_autofree char *earlier = g_strdup_printf("%" G_GUINT64_FORMAT, g_ascii_strtoull(from, NULL, 10) - 1);

        audit_export_set(e, "BIOGATE_RESUMED_FROM", earlier);
}

/* The crashed run's last events deleted, from the one the resumed event
 * links to on, hoping the gap it explains covers them. (Those after that
 * one alone can go unnoticed: docs/audit.md.) */
static void tamper_cut_before_resumed(GPtrArray *entries, guint64 seq) {
        AuditExportEntry *e = entries->pdata[audit_export_find_seq(entries, seq)];
        g_autofree char *from = audit_export_get(e, "BIOGATE_RESUMED_FROM");
        guint64 first_deleted = g_ascii_strtoull(from, NULL, 10);

        for (guint64 n = first_deleted; n < seq; n++)
                for (guint i = 0; i < entries->len; i++) {
                        g_autofree char *text = audit_export_get(entries->pdata[i], "BIOGATE_SEQ");

                        if (text && g_ascii_strtoull(text, NULL, 10) == n) {
                                g_ptr_array_remove_index(entries, i);
                                break;
                        }
                }
}

/* The journal exported, changed by @tamper and written to a new journal
 * file; its path. */
static char *rebuild(AuditFixture *a, const char *name, TamperFunc tamper, guint64 seq) {
        g_autofree char *file = g_strconcat(name, ".journal", NULL);
        char *path = g_build_filename(a->f.tmp, file, NULL);
        const char *export[] = { JOURNALCTL_PATH, "-D", btf_journald_get_directory(a->journald), "-o", "export",
                                 "SYSLOG_IDENTIFIER=biogated", NULL };
        g_autofree char *output_arg = g_strconcat("--output=", path, NULL);
        const char *import[] = { JOURNAL_REMOTE_PATH, output_arg, "-", NULL };
        g_autoptr(GBytes) stream = NULL, changed = NULL;
        g_autoptr(GPtrArray) entries = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *err = NULL, *err2 = NULL;
        int status;

        g_assert_true(audit_run_io(export, NULL, &stream, &err, &status, &error));
        g_assert_no_error(error);
        btf_assert_exit_code(status, 0);
        entries = audit_export_parse(stream, &error);
        g_assert_no_error(error);
        tamper(entries, seq);
        changed = audit_export_serialize(entries);
        g_assert_true(audit_run_io(import, changed, NULL, &err2, &status, &error));
        g_assert_no_error(error);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                g_error("systemd-journal-remote failed: %s", err2);
        return path;
}

static JsonObject *verify_file(AuditFixture *a, const char *path, int expected_status, gboolean with_state) {
        const char *args[] = { "audit", "verify", "--json", "--file", path,
                               with_state ? "--state-dir" : "--key", with_state ? a->f.state : a->key, NULL };

        return audit_ctl_json(expected_status, args);
}

/* History over two runs of the daemon; everything in the journal. Skips
 * without systemd-journal-remote. Returns the events. */
static GPtrArray *prepare(AuditFixture *a) {
        if (!JOURNAL_REMOTE_PATH[0]) {
                g_test_skip("systemd-journal-remote is not installed");
                return NULL;
        }
        audit_make_history(a);
        audit_stop_daemon(a);
        audit_sync_journal(a);
        audit_start_daemon(a);
        audit_verify_expect(a, PRINT_ID, BIOGATE_RESULT_MATCH);
        audit_stop_daemon(a);
        audit_sync_journal(a);
        return audit_fixture_events(a);
}

static guint64 seq_of(GPtrArray *events, const char *name) {
        return g_ascii_strtoull(audit_field(audit_the_event(events, name), "BIOGATE_SEQ"), NULL, 10);
}

static void assert_problem(JsonObject *result, const char *kind, guint64 seq) {
        g_assert_false(json_object_get_boolean_member(result, "valid"));
        g_assert_cmpstr(json_object_get_string_member(result, "problem"), ==, kind);
        g_assert_cmpint(json_object_get_int_member(result, "seq"), ==, (gint64) seq);
}

static void test_gap(AuditFixture *a, gconstpointer data) {
        g_autoptr(GPtrArray) events = prepare(a);
        g_autoptr(JsonObject) intact = NULL, gap = NULL;
        g_autofree char *same = NULL, *dropped = NULL, *out = NULL, *expected = NULL;
        const char *args[] = { "audit", "verify", "--file", NULL, "--key", a->key, NULL };
        guint64 seq;
        int status;

        if (!events)
                return;
        same = rebuild(a, "same", tamper_none, 0);
        intact = verify_file(a, same, 0, TRUE);
        g_assert_true(json_object_get_boolean_member(intact, "valid"));
        g_assert_cmpint(json_object_get_int_member(intact, "events-checked"), ==, (gint64) events->len);

        /* The successful login is gone. */
        seq = g_ascii_strtoull(audit_event_lookup(events, "BIOGATE_EVENT", "verify-match", "BIOGATE_SEQ"), NULL, 10);
        dropped = rebuild(a, "dropped", tamper_drop, seq);
        gap = verify_file(a, dropped, 1, FALSE);
        assert_problem(gap, "gap", seq);
        g_assert_cmpint(json_object_get_int_member(gap, "last-missing-seq"), ==, (gint64) seq);
        g_assert_cmpint(json_object_get_int_member(gap, "found-seq"), ==, (gint64) seq + 1);

        args[3] = dropped;
        out = audit_ctl(&status, args);
        btf_assert_exit_code(status, 1);
        expected = g_strdup_printf("TAMPERED: gap at sequence %" G_GUINT64_FORMAT, seq);
        g_assert_nonnull(strstr(out, expected));
}

static void test_edit(AuditFixture *a, gconstpointer data) {
        g_autoptr(GPtrArray) events = prepare(a);
        g_autoptr(JsonObject) edit = NULL;
        g_autofree char *edited = NULL, *when = NULL;
        guint64 seq;

        if (!events)
                return;
        seq = seq_of(events, "verify-no-match");
        edited = rebuild(a, "edited", tamper_outcome, seq);
        edit = verify_file(a, edited, 1, FALSE);
        assert_problem(edit, "edit", seq);
        /* Located in time too: the event's own BIOGATE_TIME. */
        when = audit_iso_time(g_ascii_strtoull(audit_field(audit_the_event(events, "verify-no-match"), "BIOGATE_TIME"),
                                               NULL, 10));
        g_assert_cmpstr(json_object_get_string_member(edit, "time"), ==, when);
}

static void test_reorder(AuditFixture *a, gconstpointer data) {
        g_autoptr(GPtrArray) events = prepare(a);
        g_autoptr(JsonObject) reorder = NULL;
        g_autofree char *swapped = NULL;
        guint64 seq;

        if (!events)
                return;
        /* The failed login moved after the approval that followed it. */
        seq = seq_of(events, "verify-no-match");
        swapped = rebuild(a, "swapped", tamper_swap, seq);
        reorder = verify_file(a, swapped, 1, FALSE);
        assert_problem(reorder, "reorder", seq);
        g_assert_cmpint(json_object_get_int_member(reorder, "found-seq"), ==, (gint64) seq + 1);
}

/* The newest event deleted: no gap in the journal, but the daemon's chain
 * state knows better. Without the state it cannot show (and says so). */
static void test_tail(AuditFixture *a, gconstpointer data) {
        g_autoptr(GPtrArray) events = prepare(a);
        g_autoptr(JsonObject) with_state = NULL, key_only = NULL;
        g_autofree char *truncated = NULL;
        guint64 last;

        if (!events)
                return;
        last = audit_chain_state_seq(a);
        g_assert_cmpuint(last, ==, events->len);
        truncated = rebuild(a, "truncated", tamper_drop, last);
        with_state = verify_file(a, truncated, 1, TRUE);
        assert_problem(with_state, "gap", last);
        g_assert_cmpint(json_object_get_int_member(with_state, "last-missing-seq"), ==, (gint64) last);

        key_only = verify_file(a, truncated, 0, FALSE);
        g_assert_true(json_object_get_boolean_member(key_only, "valid"));
        g_assert_false(json_object_get_boolean_member(key_only, "end-checked"));
}

/* History with a clean restart and a kill -9: every event of the crashed
 * run verifies, with the gap of the numbers it had reserved explained by
 * the resumed event's fields. A resumed event that claims a link it does
 * not have, a changed BIOGATE_RESUMED_FROM, or the crashed run's last
 * events deleted under cover of the explained gap, all fail. */
static void test_resumed(AuditFixture *a, gconstpointer data) {
        g_autoptr(GPtrArray) events = NULL;
        g_autoptr(JsonObject) intact = NULL, forged = NULL, moved = NULL, cut = NULL;
        g_autofree char *same = NULL, *forged_file = NULL, *moved_file = NULL, *cut_file = NULL;
        g_autoptr(GError) error = NULL;
        guint64 clean = 0, crashed = 0;

        if (!JOURNAL_REMOTE_PATH[0]) {
                g_test_skip("systemd-journal-remote is not installed");
                return;
        }
        audit_make_history(a);
        audit_stop_daemon(a);
        audit_start_daemon(a);
        audit_verify_expect(a, PRINT_ID, BIOGATE_RESULT_MATCH);
        audit_verify_expect(a, PRINT_ID, BIOGATE_RESULT_MATCH);
        g_assert_true(btf_daemon_kill(a->f.daemon, NULL, &error));
        g_assert_no_error(error);
        audit_start_daemon(a);
        audit_verify_expect(a, PRINT_ID, BIOGATE_RESULT_MATCH);
        audit_stop_daemon(a);
        audit_sync_journal(a);
        events = audit_fixture_events(a);
        for (guint i = 0; i < events->len; i++) {
                guint64 seq = g_ascii_strtoull(audit_field(events->pdata[i], "BIOGATE_SEQ"), NULL, 10);

                if (g_strcmp0(audit_field(events->pdata[i], "BIOGATE_EVENT"), "audit-chain-resumed") != 0)
                        continue;
                if (audit_field(events->pdata[i], "BIOGATE_RESUMED_FROM"))
                        crashed = seq;
                else
                        clean = seq;
        }
        g_assert_cmpuint(clean, >, 0);
        g_assert_cmpuint(crashed, >, clean);

        same = rebuild(a, "same", tamper_none, 0);
        intact = verify_file(a, same, 0, TRUE);
        g_assert_true(json_object_get_boolean_member(intact, "valid"));
        g_assert_cmpint(json_object_get_int_member(intact, "events-checked"), ==, (gint64) events->len);

        forged_file = rebuild(a, "forged", tamper_forge_resumed, clean);
        forged = verify_file(a, forged_file, 1, FALSE);
        assert_problem(forged, "edit", clean);

        moved_file = rebuild(a, "moved", tamper_resumed_from, crashed);
        moved = verify_file(a, moved_file, 1, FALSE);
        assert_problem(moved, "edit", crashed);

        cut_file = rebuild(a, "cut", tamper_cut_before_resumed, crashed);
        cut = verify_file(a, cut_file, 1, FALSE);
        g_assert_cmpstr(json_object_get_string_member(cut, "problem"), ==, "gap");
        g_assert_cmpint(json_object_get_int_member(cut, "found-seq"), ==, (gint64) crashed);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add("/audit/" path, AuditFixture, NULL, audit_setup, fn, audit_teardown)
        ADD("tamper-gap", test_gap);
        ADD("tamper-edit", test_edit);
        ADD("tamper-reorder", test_reorder);
        ADD("tamper-tail", test_tail);
        ADD("tamper-resumed", test_resumed);
#undef ADD
        return g_test_run();
}
