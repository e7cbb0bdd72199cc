/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audit chain's sequence numbers reserved in blocks
 * (daemon/biogated-audit.c) in this process, with the real writer thread
 * on a temp state directory: an event whose number is reserved is sent
 * before biogated_audit() returns, with no write on its way, even while
 * the writer is stuck; a burst beyond the reservation waits, in order,
 * for the next block; the state file saves the last event sent and the
 * reservation behind them; after an unclean end the next start skips every
 * reserved number, after a clean one it continues right after the last.
 * What reaches the journal, and that `biogatectl audit verify` accepts it,
 * is the integration tests' (test-audit.c, test-audit-tamper.c). */
#include <sys/stat.h>

#include "biogate-audit.h"
#include "biogated-audit.h"

#include "biogate-test-fixture.h"

typedef struct {
        char *tmp;
        char *state;
        BiogatedWriter *writer;
        BiogatedAudit *audit;
} Fixture;

/* The state file: seq= and reserved= (seq for a file without it). */
static void read_state(Fixture *f, guint64 *ret_seq, guint64 *ret_reserved) {
        g_autofree char *path = g_build_filename(f->state, "audit", "chain", NULL);
        g_autofree char *text = NULL;
        g_auto(GStrv) lines = NULL;

        g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
        lines = g_strsplit(text, "\n", -1);
        g_assert_cmpuint(g_strv_length(lines), ==, 4);
        g_assert_true(g_str_has_prefix(lines[0], "seq="));
        g_assert_true(g_str_has_prefix(lines[1], "chain="));
        g_assert_true(g_str_has_prefix(lines[2], "reserved="));
        g_assert_true(g_ascii_string_to_unsigned(lines[0] + 4, 10, 1, G_MAXUINT64, ret_seq, NULL));
        g_assert_true(g_ascii_string_to_unsigned(lines[2] + 9, 10, 1, G_MAXUINT64, ret_reserved, NULL));
}

static void audit_open(Fixture *f) {
        g_autoptr(GError) error = NULL;

        f->audit = biogated_audit_open(f->state, f->writer, &error);
        g_assert_no_error(error);
        biogated_writer_drain(f->writer);
}

static void fixture_setup(Fixture *f, gconstpointer data) {
        f->tmp = btf_tmpdir_new();
        f->state = g_build_filename(f->tmp, "state", NULL);
        g_assert_cmpint(mkdir(f->state, 0700), ==, 0);
        f->writer = biogated_writer_new(NULL);
        audit_open(f);
}

static void fixture_teardown(Fixture *f, gconstpointer data) {
        biogated_writer_drain(f->writer);
        g_clear_pointer(&f->audit, biogated_audit_free);
        biogated_writer_free(f->writer);
        btf_tmpdir_remove(f->tmp);
        g_free(f->tmp);
        g_free(f->state);
}

static void count(gpointer user_data) {
        (*(guint *) user_data)++;
}

static void login(Fixture *f) {
        biogated_audit(f->audit, BIOGATED_AUDIT_VERIFY_MATCH,
                       &(BiogatedAuditInfo) { .user = "test", .uid = 1000, .caller_uid = 0, .service = "login" },
                       "Verify for test: match");
}

/* A reserved number: sent before biogated_audit() returns, while the
 * writer cannot write anything; the state follows once it can. */
static void test_sent_without_write(Fixture *f, gconstpointer data) {
        g_autoptr(BtfGate) gate = btf_gate_new();
        BiogatedWriterStats before, after;
        guint64 seq, reserved, seq_after, reserved_after;
        guint sent = 0, saved = 0;

        read_state(f, &seq, &reserved);
        /* The start's events and a block beyond them. */
        g_assert_cmpuint(seq, ==, 2);   /* audit-chain-started, key-created */
        g_assert_cmpuint(reserved, >=, seq + 128);

        biogated_writer_run(f->writer, btf_gate_pass, gate, NULL, NULL, NULL);
        biogated_writer_get_stats(f->writer, &before);
        login(f);
        biogated_audit_sent_then(f->audit, count, &sent);
        g_assert_cmpuint(sent, ==, 1);
        /* biogated_audit_then() waits for the state, which cannot be saved yet. */
        biogated_audit_then(f->audit, BIOGATED_AUDIT_VERIFY_MATCH,
                            &(BiogatedAuditInfo) { .user = "test", .uid = 1000 }, count, &saved,
                            "Verify for test: match");
        g_assert_cmpuint(saved, ==, 0);
        biogated_writer_get_stats(f->writer, &after);
        g_assert_cmpuint(after.files_written, ==, before.files_written);
        read_state(f, &seq_after, &reserved_after);
        g_assert_cmpuint(seq_after, ==, seq);

        btf_gate_open(gate);
        biogated_writer_drain(f->writer);
        g_assert_cmpuint(saved, ==, 1);
        read_state(f, &seq_after, &reserved_after);
        g_assert_cmpuint(seq_after, ==, seq + 2);
        g_assert_cmpuint(reserved_after, ==, reserved);
}

/* More events at once than the block holds: the reserved ones go out, the
 * rest wait for the next block, in order, and only then is the last sent. */
static void test_burst_waits(Fixture *f, gconstpointer data) {
        g_autoptr(BtfGate) gate = btf_gate_new();
        guint64 seq, reserved, seq_after, reserved_after;
        guint sent_early = 0, sent_last = 0, i;

        read_state(f, &seq, &reserved);
        biogated_writer_run(f->writer, btf_gate_pass, gate, NULL, NULL, NULL);
        for (i = seq + 1; i <= reserved; i++)
                login(f);
        biogated_audit_sent_then(f->audit, count, &sent_early);
        g_assert_cmpuint(sent_early, ==, 1);
        login(f);
        biogated_audit_sent_then(f->audit, count, &sent_last);
        g_assert_cmpuint(sent_last, ==, 0);
        btf_gate_open(gate);
        biogated_writer_drain(f->writer);
        g_assert_cmpuint(sent_last, ==, 1);
        read_state(f, &seq_after, &reserved_after);
        g_assert_cmpuint(seq_after, ==, reserved + 1);
        g_assert_cmpuint(reserved_after, >=, seq_after + 128);
}

/* Ends the trail, cleanly (biogated_audit_shutdown()) or as a crash does
 * (without), and returns the state it left. */
static void end(Fixture *f, gboolean clean, guint64 *ret_seq, guint64 *ret_reserved) {
        if (clean)
                biogated_audit_shutdown(f->audit);
        else
                biogated_writer_drain(f->writer);
        g_clear_pointer(&f->audit, biogated_audit_free);
        read_state(f, ret_seq, ret_reserved);
}

/* Starts again and returns the state once the start's event is saved. */
static void restart(Fixture *f, guint64 *ret_seq, guint64 *ret_reserved) {
        audit_open(f);
        read_state(f, ret_seq, ret_reserved);
}

/* Replaces the state file's reserved= line with @line (NULL: none). */
static void replace_reserved_line(Fixture *f, const char *line) {
        g_autofree char *path = g_build_filename(f->state, "audit", "chain", NULL);
        g_autofree char *text = NULL, *changed = NULL;
        char *reserved_line;

        g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
        reserved_line = strstr(text, "reserved=");
        g_assert_nonnull(reserved_line);
        *reserved_line = '\0';
        changed = g_strconcat(text, line, NULL);
        g_assert_true(g_file_set_contents_full(path, changed, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL));
}

/* Gone without biogated_audit_shutdown() (as in a crash): the next start
 * uses no reserved number, its first event takes the one after them. */
static void test_unclean_end_skips_reserved(Fixture *f, gconstpointer data) {
        guint64 seq, reserved, seq_after, reserved_after;

        login(f);
        end(f, FALSE, &seq, &reserved);
        g_assert_cmpuint(reserved, >, seq);
        restart(f, &seq_after, &reserved_after);
        g_assert_cmpuint(seq_after, ==, reserved + 1);
        g_assert_cmpuint(reserved_after, >=, seq_after + 128);
}

/* The same when the crash came right after a whole block was reserved:
 * the next start reserves beyond the numbers it skips. */
static void test_unclean_end_full_block(Fixture *f, gconstpointer data) {
        guint64 seq, reserved, seq_after, reserved_after;
        g_autofree char *line = NULL;

        login(f);
        end(f, FALSE, &seq, &reserved);
        reserved = seq + BIOGATE_AUDIT_RESERVE_BLOCK;
        line = g_strdup_printf("reserved=%" G_GUINT64_FORMAT "\n", reserved);
        replace_reserved_line(f, line);
        restart(f, &seq_after, &reserved_after);
        g_assert_cmpuint(seq_after, ==, reserved + 1);
        g_assert_cmpuint(reserved_after, >=, seq_after + 128);
}

/* A clean end reserves nothing beyond its last event: the next start
 * continues right after it. */
static void test_clean_end_continues(Fixture *f, gconstpointer data) {
        guint64 seq, reserved, seq_after, reserved_after;

        login(f);
        end(f, TRUE, &seq, &reserved);
        g_assert_cmpuint(reserved, ==, seq);
        restart(f, &seq_after, &reserved_after);
        g_assert_cmpuint(seq_after, ==, seq + 1);
        g_assert_cmpuint(reserved_after, >, seq_after);
}

/* A state file of a version without reserved= reads as nothing reserved,
 * whatever the last run reserved. */
static void test_old_state_file(Fixture *f, gconstpointer data) {
        guint64 seq, reserved, seq_after, reserved_after;

        end(f, FALSE, &seq, &reserved);
        g_assert_cmpuint(reserved, >, seq);
        replace_reserved_line(f, NULL);
        restart(f, &seq_after, &reserved_after);
        g_assert_cmpuint(seq_after, ==, seq + 1);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
        ADD("/audit-reserve/sent-without-write", test_sent_without_write);
        ADD("/audit-reserve/burst-waits", test_burst_waits);
        ADD("/audit-reserve/unclean-end-skips-reserved", test_unclean_end_skips_reserved);
        ADD("/audit-reserve/unclean-end-full-block", test_unclean_end_full_block);
        ADD("/audit-reserve/clean-end-continues", test_clean_end_continues);
        ADD("/audit-reserve/old-state-file", test_old_state_file);
#undef ADD
        return g_test_run();
}
