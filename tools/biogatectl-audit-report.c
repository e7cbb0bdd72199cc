/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* biogatectl audit report: what biogated decided, per user and per day,
 * from the audit events in the journal. It counts; it does not check the
 * chain (that is `audit verify`, which needs the key), so it runs as any
 * user allowed to read the system journal. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "biogatectl-args.h"
#include "biogate-i18n.h"
#include "biogatectl-audit.h"
#include "biogatectl-error.h"
#include "biogatectl-output.h"

typedef struct Row {
        char *day;              /* local "YYYY-MM-DD" */
        char *user;
        char *uid;              /* as logged; NULL if never */
        guint logins;           /* matches for a PAM service (pam_biogate) */
        guint matches;          /* other matches: biogatectl verify and the like */
        guint failed, lockouts, erasures;
        guint64 evaluations;    /* stepup-evaluate events and the calls their summaries count */
        GHashTable *approved;   /* rule → count (GUINT_TO_POINTER) */
        GHashTable *denied;
        /* audit-suppressed: the event it stands for → calls counted there
         * instead of logged one by one (refusals before a touch, erasures
         * of nothing); GUINT_TO_POINTER */
        GHashTable *suppressed;
} Row;

/* Which counter an event adds to; events not listed are not counted. */
typedef enum Counter {
        COUNT_LOGIN,
        COUNT_FAILED,
        COUNT_APPROVED,
        COUNT_DENIED,
        COUNT_LOCKOUT,
        COUNT_ERASURE,
        COUNT_EVALUATION,
        COUNT_EVALUATIONS_SUMMED,
        COUNT_SUPPRESSED,
} Counter;

static const struct {
        const char *event;      /* BIOGATE_EVENT, as in daemon/biogated-audit.c */
        Counter counter;
} counted[] = {
        { "verify-match",    COUNT_LOGIN },
        { "verify-no-match", COUNT_FAILED },
        { "stepup-approve",  COUNT_APPROVED },
        { "stepup-deny",     COUNT_DENIED },
        { "lockout",         COUNT_LOCKOUT },
        { "erase",           COUNT_ERASURE },
        { "stepup-evaluate", COUNT_EVALUATION },
        { "stepup-evaluate-suppressed", COUNT_EVALUATIONS_SUMMED },
        { "audit-suppressed", COUNT_SUPPRESSED },
};

/* BIOGATE_REASON of an erase that found nothing (daemon/biogated-audit.h):
 * no erasure, whoever asked how often. */
#define NOTHING_TO_ERASE "nothing to erase"

/* A match is a login when pam_biogate asked for it: it names its PAM
 * service, and only root runs PAM hosts (the daemon gives only a root
 * caller with a service a login's place in the queue). Anyone may name a
 * service, so a user's own `biogatectl verify`-like call with one is not
 * a login either. */
static bool is_login(const CtlAuditEntry *e) {
        const char *service = ctl_audit_entry_get(e, "BIOGATE_SERVICE");

        return service && *service && g_strcmp0(ctl_audit_entry_get(e, "BIOGATE_CALLER_UID"), "0") == 0;
}

/* BIOGATE_COUNT of a summary; 0 when absent or not a number. */
static guint64 count_of(const CtlAuditEntry *e) {
        const char *count = ctl_audit_entry_get(e, "BIOGATE_COUNT");
        guint64 n = 0;

        if (!count || !g_ascii_string_to_unsigned(count, 10, 0, G_MAXUINT32, &n, NULL))
                return 0;
        return n;
}

static void row_free(gpointer data) {
        Row *row = data;

        g_free(row->day);
        g_free(row->user);
        g_free(row->uid);
        g_hash_table_unref(row->approved);
        g_hash_table_unref(row->denied);
        g_hash_table_unref(row->suppressed);
        g_free(row);
}

static void count_rule_n(GHashTable *rules, const char *rule, guint64 add) {
        /* A refusal before any rule matched (invalid transaction, no
         * policy) has no rule: it still counts. */
        const char *key = rule && *rule ? rule : "-";
        guint64 n = GPOINTER_TO_UINT(g_hash_table_lookup(rules, key)) + add;

        g_hash_table_insert(rules, g_strdup(key), GUINT_TO_POINTER((guint) MIN(n, G_MAXUINT32)));
}

static void count_rule(GHashTable *rules, const char *rule) {
        count_rule_n(rules, rule, 1);
}

/* Some events know only the uid (a lockout is counted per uid): name it
 * as the events that had both did, else "uid N". */
static const char *user_of(GHashTable *names, const char *user, const char *uid, char **ret_fallback) {
        if (user && uid)
                g_hash_table_replace(names, g_strdup(uid), g_strdup(user));
        if (user || !uid)
                return user;
        user = g_hash_table_lookup(names, uid);
        if (!user)
                user = *ret_fallback = g_strconcat("uid ", uid, NULL);
        return user;
}

static void add_event(GHashTable *rows, GHashTable *names, const CtlAuditEntry *e) {
        const char *event = ctl_audit_entry_get(e, "BIOGATE_EVENT");
        const char *uid = ctl_audit_entry_get(e, "BIOGATE_UID");
        g_autofree char *day = NULL, *key = NULL, *fallback = NULL;
        const char *user = user_of(names, ctl_audit_entry_get(e, "BIOGATE_USER"), uid, &fallback);
        Row *row;
        size_t i;

        if (!event || !user)
                return;
        for (i = 0; i < G_N_ELEMENTS(counted); i++)
                if (strcmp(counted[i].event, event) == 0)
                        break;
        if (i == G_N_ELEMENTS(counted))
                return;

        day = ctl_audit_format_day(ctl_audit_entry_time(e));
        key = g_strconcat(day, "\n", user, NULL);
        row = g_hash_table_lookup(rows, key);
        if (!row) {
                row = g_new0(Row, 1);
                row->day = g_strdup(day);
                row->user = g_strdup(user);
                row->approved = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
                row->denied = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
                row->suppressed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
                g_hash_table_insert(rows, g_steal_pointer(&key), row);
        }
        if (uid) {
                g_free(row->uid);
                row->uid = g_strdup(uid);
        }
        switch (counted[i].counter) {
        case COUNT_LOGIN:
                if (is_login(e))
                        row->logins++;
                else
                        row->matches++;
                break;
        case COUNT_FAILED:
                row->failed++;
                break;
        case COUNT_APPROVED:
                count_rule(row->approved, ctl_audit_entry_get(e, "BIOGATE_RULE"));
                break;
        case COUNT_DENIED:
                count_rule(row->denied, ctl_audit_entry_get(e, "BIOGATE_RULE"));
                break;
        case COUNT_LOCKOUT:
                row->lockouts++;
                break;
        case COUNT_ERASURE:
                if (g_strcmp0(ctl_audit_entry_get(e, "BIOGATE_REASON"), NOTHING_TO_ERASE) != 0)
                        row->erasures++;
                break;
        case COUNT_EVALUATION:
                row->evaluations++;
                break;
        case COUNT_EVALUATIONS_SUMMED:
                row->evaluations += count_of(e);
                break;
        case COUNT_SUPPRESSED:
                /* Under the event they stand for, not added to its counter:
                 * none of them decided or changed anything. */
                count_rule_n(row->suppressed, ctl_audit_entry_get(e, "BIOGATE_SUPPRESSED_EVENT"), count_of(e));
                break;
        }
}

static int compare_rows(gconstpointer a, gconstpointer b) {
        const Row *x = *(Row *const *) a, *y = *(Row *const *) b;
        int r = strcmp(x->day, y->day);

        return r ? r : strcmp(x->user, y->user);
}

static int compare_strings(gconstpointer a, gconstpointer b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* The rules of @rules, sorted, so that output is stable. */
static GPtrArray *sorted_rules(GHashTable *rules) {
        return ctl_audit_hash_table_sorted(rules, true, compare_strings);
}

static GVariant *rules_variant(GHashTable *rules) {
        g_autoptr(GPtrArray) keys = sorted_rules(rules);
        GVariantBuilder b;

        g_variant_builder_init(&b, G_VARIANT_TYPE("a{su}"));
        for (guint i = 0; i < keys->len; i++)
                g_variant_builder_add(&b, "{su}", (const char *) keys->pdata[i],
                                      GPOINTER_TO_UINT(g_hash_table_lookup(rules, keys->pdata[i])));
        return g_variant_builder_end(&b);
}

/* "withdrawals 2, big-orders 1" or "-". */
static void append_rules(GString *out, GHashTable *rules) {
        g_autoptr(GPtrArray) keys = sorted_rules(rules);

        for (guint i = 0; i < keys->len; i++) {
                g_autofree char *safe = ctl_printable(keys->pdata[i]);

                g_string_append_printf(out, "%s%s %u", i ? ", " : "", safe,
                                       GPOINTER_TO_UINT(g_hash_table_lookup(rules, keys->pdata[i])));
        }
        if (keys->len == 0)
                g_string_append_c(out, '-');
}

static void print_json(GPtrArray *rows, guint64 events, const char *since) {
        GVariantBuilder list, b;

        g_variant_builder_init(&list, G_VARIANT_TYPE("aa{sv}"));
        for (guint i = 0; i < rows->len; i++) {
                const Row *row = rows->pdata[i];
                guint64 uid;

                g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                g_variant_builder_add(&b, "{sv}", "date", g_variant_new_string(row->day));
                g_variant_builder_add(&b, "{sv}", "user", g_variant_new_string(row->user));
                if (row->uid && g_ascii_string_to_unsigned(row->uid, 10, 0, G_MAXUINT32, &uid, NULL))
                        g_variant_builder_add(&b, "{sv}", "uid", g_variant_new_uint32((guint32) uid));
                g_variant_builder_add(&b, "{sv}", "logins", g_variant_new_uint32(row->logins));
                g_variant_builder_add(&b, "{sv}", "other-matches", g_variant_new_uint32(row->matches));
                g_variant_builder_add(&b, "{sv}", "failed-matches", g_variant_new_uint32(row->failed));
                g_variant_builder_add(&b, "{sv}", "stepups-approved", rules_variant(row->approved));
                g_variant_builder_add(&b, "{sv}", "stepups-denied", rules_variant(row->denied));
                g_variant_builder_add(&b, "{sv}", "lockouts", g_variant_new_uint32(row->lockouts));
                g_variant_builder_add(&b, "{sv}", "erasures", g_variant_new_uint32(row->erasures));
                g_variant_builder_add(&b, "{sv}", "evaluations", g_variant_new_uint64(row->evaluations));
                g_variant_builder_add(&b, "{sv}", "suppressed", rules_variant(row->suppressed));
                g_variant_builder_add(&list, "@a{sv}", g_variant_builder_end(&b));
        }
        g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
        if (since)
                g_variant_builder_add(&b, "{sv}", "since", g_variant_new_string(since));
        g_variant_builder_add(&b, "{sv}", "events", g_variant_new_uint64(events));
        g_variant_builder_add(&b, "{sv}", "rows", g_variant_builder_end(&list));
        ctl_json_print(stdout, g_variant_builder_end(&b));
}

static void print_table(GPtrArray *rows, guint64 events) {
        int width = (int) strlen("USER");

        if (rows->len == 0) {
                printf("No matches, step-ups, evaluations, lockouts or erasures in %" G_GUINT64_FORMAT " audit event%s%s.\n", events,
                       events == 1 ? "" : "s",
                       events == 0 && geteuid() != 0 ? " (reading the system journal needs root or the group "
                                                       "systemd-journal)" : "");
                return;
        }

        for (guint i = 0; i < rows->len; i++) {
                g_autofree char *safe = ctl_printable(((Row *) rows->pdata[i])->user);
                width = MAX(width, (int) g_utf8_strlen(safe, -1));
        }
        printf("%-10s  %-*s  %6s  %11s  %6s  %8s  %8s  %9s  %s\n", "DATE", width, "USER", "LOGINS", "OTHER-MATCH",
               "FAILED", "LOCKOUTS", "ERASURES", "EVALUATED", "STEP-UPS APPROVED / DENIED (BY RULE)");
        for (guint i = 0; i < rows->len; i++) {
                const Row *row = rows->pdata[i];
                g_autofree char *safe = ctl_printable(row->user);
                g_autoptr(GString) stepups = g_string_new(NULL);
                /* printf pads bytes, not characters. */
                int pad = width - (int) g_utf8_strlen(safe, -1);

                append_rules(stepups, row->approved);
                g_string_append(stepups, " / ");
                append_rules(stepups, row->denied);
                /* Calls that decided nothing, counted by a summary. */
                if (g_hash_table_size(row->suppressed) > 0) {
                        g_string_append(stepups, "; counted only: ");
                        append_rules(stepups, row->suppressed);
                }
                printf("%-10s  %s%*s  %6u  %11u  %6u  %8u  %8u  %9" G_GUINT64_FORMAT "  %s\n", row->day, safe, pad,
                       "", row->logins, row->matches, row->failed, row->lockouts, row->erasures, row->evaluations,
                       stepups->str);
        }
        /* A count, not a check: say how to check, without sounding as if
         * something were wrong. */
        printf("\nLOGINS: matches for a PAM service; OTHER-MATCH: other verifications that matched\n"
               "(biogatectl verify); FAILED: every failed match.\n"
               "%" G_GUINT64_FORMAT " audit event%s counted. To check that none was removed or changed, run\n"
               "'biogatectl audit verify' (as root: it needs the audit key).\n",
               events, events == 1 ? "" : "s");
}

int ctl_audit_report(bool json, int argc, char **argv) {
        const char *since = NULL, *directory = NULL, *machine = NULL;
        g_autoptr(GPtrArray) files = NULL;
        const CtlOption options[] = {
                { "since", 0, CTL_OPTION_STRING, &since, "TIME", N_("Only events from this time on") },
                { "file", 0, CTL_OPTION_STRINGS, &files, "FILE", N_("Read this journal file (repeatable)") },
                { "directory", 0, CTL_OPTION_STRING, &directory, "DIR", N_("Read the journal files in DIR") },
                { "machine", 0, CTL_OPTION_STRING, &machine, "ID", N_("Only the events of this machine ID") },
                CTL_OPTION_JSON(&json),
                CTL_OPTION_HELP_ENTRY,
                CTL_OPTION_END,
        };
        const CtlCommandLine cl = {
                .command = "audit report",
                .usage = "audit report [--since TIME] [--file FILE... | --directory DIR] [--machine ID] [--json]",
                .summary = N_("Summarise biogated's audit events per user and day (local time): logins (matches\n"
                           "for a PAM service), other matches, failed matches, step-ups approved and denied\n"
                           "by rule, lockouts, erasures, evaluations, and the calls that audit summaries\n"
                           "counted instead of logging one by one."),
                .epilogue = N_("It counts what the journal holds; 'biogatectl audit verify' checks that nothing\n"
                            "was removed or changed. Exit status: 0 done, 2 usage, 7 journal unreadable.\n"),
                .options = options,
        };
        g_autoptr(GHashTable) table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, row_free);
        g_autoptr(GHashTable) names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        g_autoptr(GPtrArray) rows = NULL;
        CtlAuditSource src = { .command = "audit report" };
        CtlAuditEntry e = { 0 };
        guint64 since_usec = 0, events = 0;
        sd_journal *j = NULL;
        int r;

        r = ctl_parse_command_line(&cl, argc, argv, NULL);
        if (r >= 0)
                return r;
        src.since = since;
        src.files = files;
        src.directory = directory;
        src.machine = machine;
        r = ctl_audit_open(&src, json, &j, &since_usec);
        if (r >= 0)
                return r;

        while ((r = sd_journal_next(j)) > 0) {
                /* Only chained events: the ones `audit verify` vouches for. */
                if (!ctl_audit_entry_read(j, &e) || e.realtime < since_usec)
                        continue;
                events++;
                add_event(table, names, &e);
        }
        ctl_audit_entry_clear(&e);
        sd_journal_close(j);
        if (r < 0) {
                g_autofree char *message = g_strdup_printf("Cannot read the journal: %s", g_strerror(-r));
                (void) ctl_report_error_name(json, "org.freedesktop.DBus.Error.IOError", message);
                return CTL_EXIT_DAEMON;
        }

        rows = ctl_audit_hash_table_sorted(table, false, compare_rows);
        if (json)
                print_json(rows, events, since);
        else
                print_table(rows, events);
        return CTL_EXIT_SUCCESS;
}
