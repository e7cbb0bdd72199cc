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

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add("/audit/" path, AuditFixture, NULL, audit_setup, fn, audit_teardown)
        ADD("tamper-gap", test_gap);
        ADD("tamper-edit", test_edit);
        ADD("tamper-reorder", test_reorder);
        ADD("tamper-tail", test_tail);
#undef ADD
        return g_test_run();
}
