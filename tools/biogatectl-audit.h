/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What `audit verify` and `audit report` share: opening the journal where
 * biogated's audit events are (local, --file or --directory), walking them
 * in journal order, and reading one event's BIOGATE_* fields. */

#include <glib.h>
#include <stdbool.h>
#include <systemd/sd-journal.h>

#include "biogate-audit.h"

/* Where to read. At most one of files and directory. */
typedef struct CtlAuditSource {
        const char *command;    /* "audit verify", for usage errors */
        const char *since;      /* --since TIME or NULL */
        GPtrArray *files;       /* --file F (repeatable) or NULL */
        const char *directory;  /* --directory D or NULL */
        const char *machine;    /* --machine ID or NULL */
        char machine_id[SD_ID128_STRING_MAX]; /* set by ctl_audit_open(): --machine as in _MACHINE_ID */
} CtlAuditSource;

/* Opens the journal, restricted to biogated's entries (and to one machine
 * with --machine), positioned before the first entry at or after --since.
 * Returns -1 on success; otherwise the exit status, the problem reported
 * (2 for a bad option value, 7 for a journal that cannot be opened). */
int ctl_audit_open(CtlAuditSource *source, bool json, sd_journal **ret_journal, guint64 *ret_since_usec);

/* Accepts "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]" (local time), ISO 8601 with
 * a zone, "@UNIX-SECONDS", "now", "today", "yesterday" and "-N" with a unit
 * s, m, h or d ("-2h"). */
bool ctl_audit_parse_time(const char *text, guint64 *ret_usec);

/* One audit event: the entry under the journal's read pointer. */
typedef struct CtlAuditEntry {
        GArray *fields;         /* BiogateAuditField, BIOGATE_* only; the strings are owned */
        char *machine;          /* _MACHINE_ID, "" if the entry has none */
        guint64 realtime;       /* __REALTIME_TIMESTAMP */
        guint64 seq;            /* BIOGATE_SEQ; 0 if it is not a number >= 1 */
        bool malformed;         /* a BIOGATE_* field that cannot have come from biogated */
} CtlAuditEntry;

/* Reads the current entry. FALSE if it carries no BIOGATE_SEQ: not an
 * audit event (biogated's ordinary log lines have none). */
bool ctl_audit_entry_read(sd_journal *journal, CtlAuditEntry *entry);
void ctl_audit_entry_clear(CtlAuditEntry *entry);
/* The value of field @name, or NULL. */
const char *ctl_audit_entry_get(const CtlAuditEntry *entry, const char *name);
/* BIOGATE_TIME when it is a number, else when the journal received it. */
guint64 ctl_audit_entry_time(const CtlAuditEntry *entry);

/* Local "YYYY-MM-DD HH:MM:SS TZ" for people, UTC ISO 8601 for --json. */
char *ctl_audit_format_time(guint64 usec, bool json);
/* The local calendar day, "YYYY-MM-DD". */
char *ctl_audit_format_day(guint64 usec);

/* The keys or the values of @table, sorted with @compare (which gets
 * pointers to the elements, as g_ptr_array_sort() passes them). */
GPtrArray *ctl_audit_hash_table_sorted(GHashTable *table, bool keys, GCompareFunc compare);

/* biogatectl-audit-report.c */
int ctl_audit_report(bool json, int argc, char **argv);
