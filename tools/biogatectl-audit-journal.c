/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading biogated's audit events from the journal, for `audit verify` and
 * `audit report`. Through sd-journal only: it reads every journal format,
 * compressed fields and files written by systemd-journal-remote alike, and
 * walks them in journal order. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "biogatectl-audit.h"
#include "biogate-i18n.h"
#include "biogatectl-error.h"
#include "biogatectl-output.h"

#define SYSLOG_MATCH "SYSLOG_IDENTIFIER=biogated"
#define BIOGATED_UID_MATCH "_UID=0"
#define IO_ERROR_NAME "org.freedesktop.DBus.Error.IOError"

static bool parse_relative(const char *text, guint64 now, guint64 *ret_usec) {
        static const struct {
                char unit;
                guint64 usec;
        } units[] = {
                { 's', G_GUINT64_CONSTANT(1000000) },
                { 'm', G_GUINT64_CONSTANT(60000000) },
                { 'h', G_GUINT64_CONSTANT(3600000000) },
                { 'd', G_GUINT64_CONSTANT(86400000000) },
        };
        size_t len = strlen(text);
        g_autofree char *digits = NULL;
        guint64 n;

        if (len < 3 || text[0] != '-')
                return false;
        digits = g_strndup(text + 1, len - 2);
        /* Ten years at most: anything larger is a typo, not a time. */
        if (!g_ascii_string_to_unsigned(digits, 10, 0, 3650 * 86400, &n, NULL))
                return false;
        for (size_t i = 0; i < G_N_ELEMENTS(units); i++)
                if (text[len - 1] == units[i].unit && n * units[i].usec <= now) {
                        *ret_usec = now - n * units[i].usec;
                        return true;
                }
        return false;
}

bool ctl_audit_parse_time(const char *text, guint64 *ret_usec) {
        g_autoptr(GTimeZone) local = g_time_zone_new_local();
        g_autoptr(GDateTime) now = g_date_time_new_now(local);
        g_autoptr(GDateTime) when = NULL;
        guint64 seconds;

        if (text[0] == '@') {
                if (!g_ascii_string_to_unsigned(text + 1, 10, 0, G_MAXINT64 / G_USEC_PER_SEC, &seconds, NULL))
                        return false;
                *ret_usec = seconds * G_USEC_PER_SEC;
                return true;
        }
        if (text[0] == '-')
                return parse_relative(text, (guint64) g_date_time_to_unix(now) * G_USEC_PER_SEC, ret_usec);
        if (strcmp(text, "now") == 0)
                when = g_date_time_ref(now);
        else if (strcmp(text, "today") == 0 || strcmp(text, "yesterday") == 0) {
                g_autoptr(GDateTime) midnight = g_date_time_new(local, g_date_time_get_year(now),
                                                                g_date_time_get_month(now),
                                                                g_date_time_get_day_of_month(now), 0, 0, 0);
                when = strcmp(text, "today") == 0 ? g_date_time_ref(midnight) : g_date_time_add_days(midnight, -1);
        } else {
                /* GLib wants seconds and a time; people type neither. */
                g_autofree char *with_seconds = g_strconcat(text, ":00", NULL);
                g_autofree char *with_time = g_strconcat(text, "T00:00:00", NULL);

                when = g_date_time_new_from_iso8601(text, local);
                if (!when && strlen(text) == 16)
                        when = g_date_time_new_from_iso8601(with_seconds, local);
                if (!when && strlen(text) == 10)
                        when = g_date_time_new_from_iso8601(with_time, local);
        }
        if (!when || g_date_time_to_unix(when) < 0)
                return false;
        *ret_usec = (guint64) g_date_time_to_unix(when) * G_USEC_PER_SEC +
                    (guint64) g_date_time_get_microsecond(when);
        return true;
}

char *ctl_audit_format_time(guint64 usec, bool json) {
        g_autoptr(GDateTime) t = json ? g_date_time_new_from_unix_utc((gint64) (usec / G_USEC_PER_SEC))
                                      : g_date_time_new_from_unix_local((gint64) (usec / G_USEC_PER_SEC));
        g_autoptr(GDateTime) precise = NULL;

        if (!t)
                return g_strdup("?");
        if (!json)
                return g_date_time_format(t, "%Y-%m-%d %H:%M:%S %Z");
        precise = g_date_time_add(t, (GTimeSpan) (usec % G_USEC_PER_SEC));
        return g_date_time_format_iso8601(precise);
}

GPtrArray *ctl_audit_hash_table_sorted(GHashTable *table, bool keys, GCompareFunc compare) {
        GPtrArray *items = g_ptr_array_sized_new(g_hash_table_size(table));
        GHashTableIter iter;
        gpointer key, value;

        /* g_hash_table_get_*_as_ptr_array() needs GLib 2.76. */
        g_hash_table_iter_init(&iter, table);
        while (g_hash_table_iter_next(&iter, &key, &value))
                g_ptr_array_add(items, keys ? key : value);
        g_ptr_array_sort(items, compare);
        return items;
}

char *ctl_audit_format_day(guint64 usec) {
        g_autoptr(GDateTime) t = g_date_time_new_from_unix_local((gint64) (usec / G_USEC_PER_SEC));

        return t ? g_date_time_format(t, "%Y-%m-%d") : g_strdup("?");
}

static int report_unreadable(bool json, const char *format, ...) G_GNUC_PRINTF(2, 3);
static int report_unreadable(bool json, const char *format, ...) {
        g_autofree char *message = NULL;
        va_list ap;

        va_start(ap, format);
        message = g_strdup_vprintf(format, ap);
        va_end(ap);
        (void) ctl_report_error_name(json, IO_ERROR_NAME, message);
        return CTL_EXIT_DAEMON;
}

int ctl_audit_open(CtlAuditSource *source, bool json, sd_journal **ret_journal, guint64 *ret_since_usec) {
        sd_journal *j = NULL;
        sd_id128_t machine;
        guint64 since = 0;
        const char *what;
        int r;

        if (source->files && source->directory)
                return ctl_usage_error(source->command, _("--file and --directory exclude each other"));
        if (source->since && !ctl_audit_parse_time(source->since, &since))
                return ctl_usage_error(source->command, _("--since takes a time such as '2025-01-31 08:00', "
                                                        "'yesterday' or '-2h', not '%s'"), source->since);
        /* The journal's _MACHINE_ID is 32 lower-case hex digits; accept a
         * UUID or capitals too, as people copy them. */
        if (source->machine && sd_id128_from_string(source->machine, &machine) < 0)
                return ctl_usage_error(source->command, _("--machine takes a machine ID (32 hex digits), not '%s'"),
                                       source->machine);
        if (source->machine)
                (void) sd_id128_to_string(machine, source->machine_id);

        if (source->files) {
                g_autoptr(GPtrArray) paths = g_ptr_array_new();

                /* sd_journal_open_files() says little about a missing file. */
                for (guint i = 0; i < source->files->len; i++) {
                        struct stat st;
                        const char *path = g_ptr_array_index(source->files, i);

                        if (stat(path, &st) < 0)
                                return report_unreadable(json, "Cannot read %s: %s", path, g_strerror(errno));
                        g_ptr_array_add(paths, (char *) path);
                }
                g_ptr_array_add(paths, NULL);
                what = "the journal files";
                r = sd_journal_open_files(&j, (const char **) paths->pdata, 0);
        } else if (source->directory) {
                struct stat st;

                if (stat(source->directory, &st) < 0)
                        return report_unreadable(json, "Cannot read the journal directory %s: %s", source->directory,
                                                 g_strerror(errno));
                if (!S_ISDIR(st.st_mode))
                        return report_unreadable(json, "%s is not a directory", source->directory);
                what = source->directory;
                r = sd_journal_open_directory(&j, source->directory, 0);
        } else {
                /* biogated logs to the system journal; files received from
                 * other machines are for --directory. */
                what = "the system journal";
                r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
        }
        if (r < 0)
                return report_unreadable(json, "Cannot open %s: %s", what, g_strerror(-r));

        /* Whole values: the chain covers every byte of them. */
        r = sd_journal_set_data_threshold(j, 0);
        if (r >= 0)
                r = sd_journal_add_match(j, SYSLOG_MATCH, 0);
        /* Any local user may send an entry that says SYSLOG_IDENTIFIER=
         * biogated; only journald sets _UID, and biogated runs as root.
         * Without this, anyone could make the chain look broken or add to
         * the report. */
        if (r >= 0)
                r = sd_journal_add_match(j, BIOGATED_UID_MATCH, 0);
        if (r >= 0 && source->machine) {
                g_autofree char *match = g_strconcat("_MACHINE_ID=", source->machine_id, NULL);
                r = sd_journal_add_match(j, match, 0);
        }
        if (r >= 0)
                r = since ? sd_journal_seek_realtime_usec(j, since) : sd_journal_seek_head(j);
        if (r < 0) {
                sd_journal_close(j);
                return report_unreadable(json, "Cannot read %s: %s", what, g_strerror(-r));
        }
        *ret_journal = j;
        *ret_since_usec = since;
        return -1;
}

static void field_clear(gpointer data) {
        BiogateAuditField *f = data;

        g_free((char *) f->name);
        g_free((char *) f->value);
}

void ctl_audit_entry_clear(CtlAuditEntry *entry) {
        g_clear_pointer(&entry->fields, g_array_unref);
        g_clear_pointer(&entry->machine, g_free);
        entry->realtime = entry->seq = 0;
        entry->malformed = false;
}

const char *ctl_audit_entry_get(const CtlAuditEntry *entry, const char *name) {
        for (guint i = 0; entry->fields && i < entry->fields->len; i++) {
                const BiogateAuditField *f = &g_array_index(entry->fields, BiogateAuditField, i);

                if (strcmp(f->name, name) == 0)
                        return f->value;
        }
        return NULL;
}

guint64 ctl_audit_entry_time(const CtlAuditEntry *entry) {
        const char *text = ctl_audit_entry_get(entry, "BIOGATE_TIME");
        guint64 usec;

        if (text && g_ascii_string_to_unsigned(text, 10, 1, G_MAXINT64, &usec, NULL))
                return usec;
        return entry->realtime;
}

bool ctl_audit_entry_read(sd_journal *journal, CtlAuditEntry *entry) {
        const void *data;
        size_t len;
        const char *seq;

        ctl_audit_entry_clear(entry);
        entry->fields = g_array_new(FALSE, FALSE, sizeof(BiogateAuditField));
        g_array_set_clear_func(entry->fields, field_clear);
        entry->machine = g_strdup("");
        (void) sd_journal_get_realtime_usec(journal, &entry->realtime);

        SD_JOURNAL_FOREACH_DATA(journal, data, len) {
                const char *d = data, *eq = memchr(d, '=', len);

                if (len > 12 && memcmp(d, "_MACHINE_ID=", 12) == 0) {
                        g_free(entry->machine);
                        entry->machine = g_strndup(d + 12, len - 12);
                }
                if (len < 8 || memcmp(d, "BIOGATE_", 8) != 0)
                        continue;
                /* biogated's values are text: a NUL byte (the journal allows
                 * binary fields) is someone else's doing. */
                if (!eq || memchr(eq + 1, '\0', len - (size_t) (eq + 1 - d))) {
                        entry->malformed = true;
                        continue;
                }
                {
                        size_t name_len = (size_t) (eq - d);
                        BiogateAuditField f = { g_strndup(d, name_len), g_strndup(eq + 1, len - name_len - 1) };

                        g_array_append_val(entry->fields, f);
                }
        }
        seq = ctl_audit_entry_get(entry, "BIOGATE_SEQ");
        if (!seq)
                return false;
        if (!g_ascii_string_to_unsigned(seq, 10, 1, G_MAXUINT64, &entry->seq, NULL))
                entry->seq = 0;
        return true;
}
