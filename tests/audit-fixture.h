/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the audit tests share: a fixture with a real systemd-journald, the
 * bus and biogated logging to it; biogated's events read back from the
 * journal; biogatectl runs; and the journal export format (journalctl -o
 * export, systemd-journal-remote -) to tamper with a journal the way an
 * attacker with root would: rebuild it without, with changed or with
 * reordered entries. */
#include <glib.h>
#include <json-glib/json-glib.h>

#include "biogated-audit.h"
#include "daemon-fixture.h"

/* The virtual sensor's "prints" are these strings: finding one in the
 * journal would be a template leak. */
#define PRINT_ID "audit-print-7f3a9c"
#define OTHER_ID "other-print-91c2e4"

typedef struct {
        Fixture f;              /* first: the daemon-fixture helpers take it */
        BtfJournald *journald;
        char *policy_dir;
        char *key;              /* <state>/private/audit.key */
        char *config;           /* biogate.conf for the next audit_start_daemon(); NULL: none */
        char *consent_notice;   /* the site's notice for it; NULL: none (the vendor's) */
} AuditFixture;

/* Temp dir, bus, journald, a step-up policy, and biogated logging to that
 * journald (through nsenter: its PID is the one the fixture checks). */
void audit_setup(AuditFixture *a, gconstpointer data);
void audit_teardown(AuditFixture *a, gconstpointer data);
/* (Re)starts biogated on the same state directory (with @extra_env,
 * "NAME=value", NULL-terminated). */
void audit_start_daemon(AuditFixture *a);
void audit_start_daemon_with_env(AuditFixture *a, const char *const *extra_env);
/* SIGTERM; asserts a clean exit. */
void audit_stop_daemon(AuditFixture *a);
/* BIOGATE_SEQ of the last event biogated sent, from <state>/audit/chain
 * (saved behind the events: current once a reply that waits for the writer
 * was received, or biogated stopped). */
guint64 audit_chain_state_seq(AuditFixture *a);
/* Waits until the journal holds every event sent so far; returns the last
 * sequence number. */
guint64 audit_sync_journal(AuditFixture *a);
/* audit_read_events() on the fixture's journal. */
GPtrArray *audit_fixture_events(AuditFixture *a);
/* The events named @name, in order, once the journal has every event sent. */
GPtrArray *audit_events_named(AuditFixture *a, const char *name);

/* biogatectl ARGS... with TZ=UTC; its stdout; the exit status in
 * *ret_status. */
char *audit_ctl(int *ret_status, const char *const *args);
/* biogatectl ARGS as uid (0: the test's own, with extra_env; others
 * through setpriv, with the test's environment), asserting the exit
 * status; stdout and stderr together. */
char *audit_ctl_as(uid_t uid, const char *const *extra_env, int expected_exit, const char *const *args);
/* The same, asserting the exit status, with its JSON output parsed. */
JsonObject *audit_ctl_json(int expected_status, const char *const *args);
/* audit verify --json on the fixture's journal and state (and --since). */
JsonObject *audit_verify_directory(AuditFixture *a, int expected_status, const char *since);

/* Sends a journal entry with SYSLOG_IDENTIFIER=biogated and @fields
 * ("NAME=value") as uid 65534, as any local user can; waits until it is
 * stored. */
void audit_inject_as_nobody(AuditFixture *a, const char *const *fields);

/* ISO 8601 UTC with microseconds, as --since takes it. */
char *audit_iso_time(guint64 usec);
/* __REALTIME_TIMESTAMP of the first event named @name. */
guint64 audit_event_realtime(GPtrArray *events, const char *name);

/* Decisions, each asserted: a step-up approved with a fingerprint (rule
 * withdrawals), one denied by the policy (rule denied-payee), a login
 * verification with @id touching the sensor. */
void audit_approve_withdrawal(AuditFixture *a);
void audit_denied_by_policy(AuditFixture *a);
void audit_verify_expect(AuditFixture *a, const char *id, const char *expected);
/* Enrol PRINT_ID, verify it (match), verify OTHER_ID (no match), approve a
 * withdrawal, get a payee denied. */
void audit_make_history(AuditFixture *a);

/* The event type named @name; fails the test for an unknown name. */
BiogatedAuditEvent audit_event_by_name(const char *name);
const char *audit_field(GHashTable *event, const char *name);
/* The only event named @name: asserts there is exactly one. */
GHashTable *audit_the_event(GPtrArray *events, const char *name);

/* The entries of SYSLOG_IDENTIFIER=biogated from root (_UID=0) that carry
 * BIOGATE_SEQ, in journal order, each a table of every field (name → value, text). */
GPtrArray *audit_read_events(const char *journal_dir, GError **error);
/* The value of @field in the first event whose @key is @value, or NULL. */
const char *audit_event_lookup(GPtrArray *events, const char *key, const char *value, const char *field);
/* How many events have @key = @value. */
guint audit_count_events(GPtrArray *events, const char *key, const char *value);

/* One entry of an export stream: fields in order, values binary-safe. */
typedef struct AuditExportEntry {
        GPtrArray *names;       /* char * */
        GPtrArray *values;      /* GBytes */
} AuditExportEntry;

/* Parses the export format (both the text and the binary field form). */
GPtrArray *audit_export_parse(GBytes *export, GError **error);
GBytes *audit_export_serialize(GPtrArray *entries);
/* The text value of @name, or NULL (also for binary values). */
char *audit_export_get(const AuditExportEntry *entry, const char *name);
/* Replaces the value of @name (which must exist). */
void audit_export_set(AuditExportEntry *entry, const char *name, const char *value);
/* The index of the entry with BIOGATE_SEQ=@seq; fails the test if none. */
guint audit_export_find_seq(GPtrArray *entries, guint64 seq);

/* Runs argv with @input (may be NULL) on stdin and waits, with the default
 * test deadline (killed after it). Output parameters may be NULL. */
gboolean audit_run_io(const char *const *argv, GBytes *input, GBytes **ret_stdout, char **ret_stderr,
                      int *ret_wait_status, GError **error);
