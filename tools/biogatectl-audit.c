/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* biogatectl audit verify: checks biogated's audit chain in the journal
 * (common/biogate-audit.h) and reports it intact or its first problem: a
 * gap (deleted events), an edit (changed, added or removed fields) or a
 * reorder (moved, swapped or repeated events), with the sequence number and
 * time, so that an analyst knows where to look. It needs the audit key, so
 * root; it needs neither biogated nor the bus, so it also runs centrally on
 * journals collected with systemd-journal-remote. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "biogate-i18n.h"
#include "biogatectl-args.h"
#include "biogatectl-audit.h"
#include "biogatectl-commands.h"
#include "biogatectl-error.h"
#include "biogatectl-output.h"

#define KEY_FILE "private/audit.key"
#define CHAIN_FILE "audit/chain"
#define IO_ERROR_NAME "org.freedesktop.DBus.Error.IOError"
/* How long to wait for events the daemon's chain state says it has sent
 * but the journal has not stored yet (it sends before it saves, but
 * journald stores a moment later). */
#define TAIL_WAIT_USEC (2 * G_USEC_PER_SEC)

typedef enum ProblemKind {
        PROBLEM_NONE,
        PROBLEM_GAP,
        PROBLEM_EDIT,
        PROBLEM_REORDER,
} ProblemKind;

static const char *const problem_names[] = {
        [PROBLEM_NONE] = "none",
        [PROBLEM_GAP] = "gap",
        [PROBLEM_EDIT] = "edit",
        [PROBLEM_REORDER] = "reorder",
};

/* How many of the newest chain values a chain keeps (20 KiB a machine): an
 * event resumed after a crash links to the state biogated saved last, at
 * most a block of reserved numbers before the journal's last event, and
 * the state file's event may lag the journal's end by as much while
 * biogated runs (BIOGATE_AUDIT_RESERVE_BLOCK); twice that, for the events
 * a live journal gains while it is read. */
#define RECENT_VALUES (2u * BIOGATE_AUDIT_RESERVE_BLOCK)

typedef struct RecentValue {
        guint64 seq;            /* 0: none */
        guint8 value[BIOGATE_AUDIT_CHAIN_SIZE];
} RecentValue;

/* The chain of one machine: a journal collected from a fleet holds many,
 * interleaved. */
typedef struct Chain {
        char *machine;
        guint64 seq;            /* of the last event checked; 0 before the first */
        guint8 value[BIOGATE_AUDIT_CHAIN_SIZE];
        guint64 first_seq, first_time, last_time, events;
        guint starts;           /* events that started a new chain */
        bool anchored;          /* the first event's chain value was taken as given */
        RecentValue *recent;    /* [seq % RECENT_VALUES], of this chain since its start */
} Chain;

typedef struct Problem {
        ProblemKind kind;
        guint64 seq;            /* the sequence number it is about */
        guint64 last_seq;       /* gap: the last missing one */
        guint64 found_seq;      /* what came where seq was due */
        guint64 time, previous_time;
        char *machine, *message, *cursor, *sender;
} Problem;

typedef struct Verifier {
        guint8 *key;            /* sodium_malloc'd */
        bool anchor_first;      /* --since: start from whatever comes first */
        GHashTable *chains;     /* machine ID → Chain */
        guint64 events;
        Problem problem;
} Verifier;

static void chain_free(gpointer data) {
        Chain *c = data;

        g_free(c->machine);
        g_free(c->recent);
        g_free(c);
}

static void verifier_clear(Verifier *v) {
        if (v->key)
                sodium_free(v->key);
        g_clear_pointer(&v->chains, g_hash_table_unref);
        g_free(v->problem.machine);
        g_free(v->problem.message);
        free(v->problem.cursor);        /* from sd-journal */
        g_free(v->problem.sender);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Verifier, verifier_clear)

/* Reads @path (standard input for "-"): exactly @size bytes with @exact,
 * else at most @size. A file must be a regular file that only root or the
 * caller can change. FALSE with a message in *ret_error_message. */
static bool read_private(const char *path, guint8 *buf, size_t size, size_t *ret_len, bool exact,
                         char **ret_error_message) {
        int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        struct stat st;
        size_t len = 0;
        guint8 extra;

        if (fd < 0) {
                *ret_error_message = g_strdup_printf("Cannot read %s: %s", path, g_strerror(errno));
                return false;
        }
        if (fd != STDIN_FILENO) {
                /* Whoever can rewrite the key can make any journal look intact. */
                if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 022) ||
                    (st.st_uid != 0 && st.st_uid != geteuid())) {
                        *ret_error_message = g_strdup_printf("Refusing %s: not a regular file that only its owner "
                                                             "(root or you) can change", path);
                        close(fd);
                        return false;
                }
        }
        while (len < size) {
                ssize_t n = read(fd, buf + len, size - len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t) n;
        }
        /* One byte more means the file is not what we expect. */
        if (len == size && read(fd, &extra, 1) > 0)
                len = size + 1;
        if (fd != STDIN_FILENO)
                close(fd);
        if (exact ? len != size : len > size) {
                *ret_error_message = g_strdup_printf("%s is not a biogate audit file (%zu bytes expected)", path, size);
                return false;
        }
        *ret_len = len;
        return true;
}

/* <state>/audit/chain: "seq=N\nchain=HEX\nreserved=R\n" (older versions: no
 * reserved=), saved by biogated in the background after it sends an
 * event: its last event sent, which the journal's end may be ahead of. */
static bool read_chain_state(const char *state_dir, guint64 *ret_seq, guint8 ret_value[BIOGATE_AUDIT_CHAIN_SIZE],
                             char **ret_error_message) {
        g_autofree char *path = g_build_filename(state_dir, CHAIN_FILE, NULL);
        g_auto(GStrv) lines = NULL;
        guint8 buf[256];
        char text[257];
        size_t len;

        if (!read_private(path, buf, sizeof buf, &len, false, ret_error_message))
                return false;
        memcpy(text, buf, len);
        text[len] = '\0';
        lines = g_strsplit(text, "\n", -1);
        /* reserved= says nothing about the journal's end: not checked. */
        if (g_strv_length(lines) == 4 && g_str_has_prefix(lines[2], "reserved=")) {
                g_free(lines[2]);
                lines[2] = lines[3];
                lines[3] = NULL;
        }
        if (g_strv_length(lines) != 3 || lines[2][0] != '\0' || !g_str_has_prefix(lines[0], "seq=") ||
            !g_str_has_prefix(lines[1], "chain=") ||
            !g_ascii_string_to_unsigned(lines[0] + 4, 10, 1, G_MAXUINT64, ret_seq, NULL) ||
            !biogate_audit_chain_from_hex(lines[1] + 6, ret_value)) {
                *ret_error_message = g_strdup_printf("%s is not a biogate chain state", path);
                return false;
        }
        return true;
}

static bool is_chain_start(const CtlAuditEntry *e) {
        const char *event = ctl_audit_entry_get(e, "BIOGATE_EVENT");

        /* A new key is announced in the first event of its chain. */
        return e->seq == 1 && event &&
               (strcmp(event, "audit-chain-started") == 0 || strcmp(event, "key-created") == 0);
}

/* Does the entry's BIOGATE_CHAIN follow from @previous? With @seq_instead,
 * as if its BIOGATE_SEQ were that (to tell an edited number from a gap). */
static bool chain_follows(const Verifier *v, const guint8 previous[BIOGATE_AUDIT_CHAIN_SIZE], const CtlAuditEntry *e,
                          const char *seq_instead) {
        g_autoptr(GArray) fields = g_array_copy(e->fields);
        const char *hex = ctl_audit_entry_get(e, "BIOGATE_CHAIN");
        guint8 claimed[BIOGATE_AUDIT_CHAIN_SIZE], computed[BIOGATE_AUDIT_CHAIN_SIZE];

        /* The copy shares the strings: it must not free them. */
        g_array_set_clear_func(fields, NULL);
        if (!hex || !biogate_audit_chain_from_hex(hex, claimed))
                return false;
        for (guint i = 0; seq_instead && i < fields->len; i++)
                if (strcmp(g_array_index(fields, BiogateAuditField, i).name, "BIOGATE_SEQ") == 0)
                        g_array_index(fields, BiogateAuditField, i).value = seq_instead;
        biogate_audit_chain_next(v->key, previous, (const BiogateAuditField *) (void *) fields->data, fields->len,
                                 computed);
        return sodium_memcmp(claimed, computed, sizeof claimed) == 0;
}

static char *entry_field(sd_journal *j, const char *name) {
        const void *data;
        size_t len, n = strlen(name);

        if (sd_journal_get_data(j, name, &data, &len) < 0 || len <= n)
                return g_strdup("?");
        return g_strndup((const char *) data + n + 1, len - n - 1);
}

static void problem_set(Verifier *v, sd_journal *j, const Chain *c, const CtlAuditEntry *e, ProblemKind kind,
                        guint64 seq, const char *format, ...) G_GNUC_PRINTF(7, 8);
static void problem_set(Verifier *v, sd_journal *j, const Chain *c, const CtlAuditEntry *e, ProblemKind kind,
                        guint64 seq, const char *format, ...) {
        g_autofree char *pid = entry_field(j, "_PID"), *uid = entry_field(j, "_UID"), *comm = entry_field(j, "_COMM");
        Problem *p = &v->problem;
        va_list ap;

        p->kind = kind;
        p->seq = seq;
        p->found_seq = e->seq;
        p->time = ctl_audit_entry_time(e);
        p->previous_time = c->last_time;
        p->machine = g_strdup(c->machine);
        va_start(ap, format);
        p->message = g_strdup_vprintf(format, ap);
        va_end(ap);
        if (sd_journal_get_cursor(j, &p->cursor) < 0)
                p->cursor = NULL;
        /* Who sent it, as journald recorded: an event injected by another
         * process shows here. */
        p->sender = g_strdup_printf("_PID=%s _UID=%s _COMM=%s", pid, uid, comm);
}

/* After a jump from @from - 1 to a later number: do the missing events come
 * later (a reorder) or never (a gap)? Moves the read pointer: only used
 * once, when reporting. */
static bool missing_comes_later(sd_journal *j, const char *machine, guint64 from, guint64 to) {
        CtlAuditEntry later = { 0 };
        bool found = false;

        while (!found && sd_journal_next(j) > 0) {
                if (!ctl_audit_entry_read(j, &later) || strcmp(later.machine, machine) != 0)
                        continue;
                if (is_chain_start(&later))
                        break;  /* a new chain reuses the numbers */
                found = later.seq >= from && later.seq <= to;
        }
        ctl_audit_entry_clear(&later);
        return found;
}

static Chain *chain_for(Verifier *v, const char *machine) {
        Chain *c = g_hash_table_lookup(v->chains, machine);

        if (!c) {
                c = g_new0(Chain, 1);
                c->machine = g_strdup(machine);
                g_hash_table_insert(v->chains, c->machine, c);
        }
        return c;
}

static const guint8 zero_chain[BIOGATE_AUDIT_CHAIN_SIZE];

/* The chain value of event @seq of @c, if it is among the newest checked. */
static const guint8 *recent_value(const Chain *c, guint64 seq) {
        const RecentValue *r = c->recent ? &c->recent[seq % RECENT_VALUES] : NULL;

        return r && seq > 0 && r->seq == seq ? r->value : NULL;
}

static bool field_number(const CtlAuditEntry *e, const char *name, guint64 *ret) {
        const char *text = ctl_audit_entry_get(e, name);

        return text && g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT64, ret, NULL);
}

/* audit-chain-resumed after biogated's unclean exit: it skips the numbers
 * reserved then (BIOGATE_RESERVED_TO, the one before its own) and links
 * to the state saved last (BIOGATE_RESUMED_FROM), an event before it,
 * whose followers up to the crash the journal holds, each checked by its
 * own link. false if @e is no such event; else true, with *ret_sound
 * saying whether it holds (v->problem set when not). */
static bool check_resumed(Verifier *v, sd_journal *j, Chain *c, const CtlAuditEntry *e, bool *ret_sound) {
        const char *event = ctl_audit_entry_get(e, "BIOGATE_EVENT");
        const guint8 *from_value;
        guint64 from, to;

        if (!event || strcmp(event, "audit-chain-resumed") != 0 ||
            (!ctl_audit_entry_get(e, "BIOGATE_RESUMED_FROM") && !ctl_audit_entry_get(e, "BIOGATE_RESERVED_TO")))
                return false;
        *ret_sound = false;
        if (!field_number(e, "BIOGATE_RESUMED_FROM", &from) || !field_number(e, "BIOGATE_RESERVED_TO", &to) ||
            to == G_MAXUINT64 || e->seq != to + 1 || from > c->seq || c->seq > to) {
                problem_set(v, j, c, e, PROBLEM_GAP, c->seq + 1,
                            "a resumed chain's sequence %" G_GUINT64_FORMAT " is not explained by its "
                            "BIOGATE_RESUMED_FROM and BIOGATE_RESERVED_TO after sequence %" G_GUINT64_FORMAT,
                            e->seq, c->seq);
                v->problem.last_seq = e->seq - 1;
                return true;
        }
        from_value = from == c->seq ? c->value : recent_value(c, from);
        if (!from_value || !chain_follows(v, from_value, e, NULL)) {
                problem_set(v, j, c, e, PROBLEM_EDIT, e->seq,
                            "a resumed chain does not link to event %" G_GUINT64_FORMAT " that it names in "
                            "BIOGATE_RESUMED_FROM: it was changed or forged", from);
                return true;
        }
        *ret_sound = true;
        return true;
}

/* Checks one event against its chain; FALSE with v->problem set. */
static bool check_entry(Verifier *v, sd_journal *j, const CtlAuditEntry *e) {
        Chain *c = chain_for(v, e->machine);
        const char *hex = ctl_audit_entry_get(e, "BIOGATE_CHAIN");
        guint64 due = c->seq + 1, time = ctl_audit_entry_time(e);
        guint8 claimed[BIOGATE_AUDIT_CHAIN_SIZE];
        bool resumed_sound = false;

        if (e->seq == 0 || e->malformed || !hex || !biogate_audit_chain_from_hex(hex, claimed)) {
                problem_set(v, j, c, e, PROBLEM_EDIT, e->seq ? e->seq : due,
                            "an event has an invalid BIOGATE_SEQ or BIOGATE_CHAIN, or a binary BIOGATE_* field");
                return false;
        }
        if (is_chain_start(e)) {
                if (!chain_follows(v, zero_chain, e, NULL)) {
                        problem_set(v, j, c, e, PROBLEM_EDIT, 1,
                                    "the event that starts a chain does not match it: it was edited, or written "
                                    "with another audit key (after a new key, check from there with --since)");
                        return false;
                }
                /* Only biogated's first start, a new state directory or a
                 * new key restart the numbers; a replayed old chain would
                 * go back in time. */
                if (c->seq > 0 && time <= c->last_time) {
                        problem_set(v, j, c, e, PROBLEM_REORDER, 1,
                                    "a new chain starts earlier than the event before it: events were replayed "
                                    "or moved (or the clock went back)");
                        return false;
                }
                c->starts++;
        } else if (c->seq == 0 && v->anchor_first) {
                /* Its chain value is taken as given. */
                c->anchored = true;
        } else if (c->seq == 0 && e->seq == 1) {
                problem_set(v, j, c, e, PROBLEM_EDIT, 1, "the first event is not the start of a chain");
                return false;
        } else if (c->seq == 0) {
                problem_set(v, j, c, e, PROBLEM_GAP, 1,
                            "the journal starts at sequence %" G_GUINT64_FORMAT ", not with the start of a chain: "
                            "the events before were deleted or rotated out (check from there with --since)", e->seq);
                v->problem.last_seq = e->seq - 1;
                return false;
        } else if (e->seq >= due && check_resumed(v, j, c, e, &resumed_sound)) {
                if (!resumed_sound)
                        return false;
        } else if (e->seq == due) {
                if (!chain_follows(v, c->value, e, NULL)) {
                        problem_set(v, j, c, e, PROBLEM_EDIT, e->seq,
                                    "its BIOGATE_* fields do not match its chain value: a field was changed, added "
                                    "or removed");
                        return false;
                }
        } else if (e->seq > due) {
                g_autofree char *due_text = g_strdup_printf("%" G_GUINT64_FORMAT, due);

                if (chain_follows(v, c->value, e, due_text)) {
                        problem_set(v, j, c, e, PROBLEM_EDIT, due, "its BIOGATE_SEQ was changed to %" G_GUINT64_FORMAT,
                                    e->seq);
                        return false;
                }
                problem_set(v, j, c, e, PROBLEM_GAP, due, "expected sequence %" G_GUINT64_FORMAT ", found %"
                            G_GUINT64_FORMAT, due, e->seq);
                v->problem.last_seq = e->seq - 1;
                if (missing_comes_later(j, e->machine, due, e->seq - 1)) {
                        v->problem.kind = PROBLEM_REORDER;
                        g_free(v->problem.message);
                        v->problem.message = g_strdup_printf("event %" G_GUINT64_FORMAT " comes after event %"
                                                             G_GUINT64_FORMAT " in the journal", due, e->seq);
                } else {
                        g_free(v->problem.message);
                        v->problem.message = due == e->seq - 1
                                ? g_strdup_printf("event %" G_GUINT64_FORMAT " is missing", due)
                                : g_strdup_printf("events %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT " are missing",
                                                  due, e->seq - 1);
                }
                return false;
        } else {
                problem_set(v, j, c, e, PROBLEM_REORDER, e->seq,
                            e->seq == c->seq ? "event %" G_GUINT64_FORMAT " appears twice"
                                             : "event %" G_GUINT64_FORMAT " comes after a later one",
                            e->seq);
                return false;
        }

        if (c->events == 0) {
                c->first_seq = e->seq;
                c->first_time = time;
        }
        if (is_chain_start(e) && c->recent)
                memset(c->recent, 0, RECENT_VALUES * sizeof *c->recent);
        if (!c->recent)
                c->recent = g_new0(RecentValue, RECENT_VALUES);
        c->recent[e->seq % RECENT_VALUES].seq = e->seq;
        memcpy(c->recent[e->seq % RECENT_VALUES].value, claimed, sizeof claimed);
        c->seq = e->seq;
        memcpy(c->value, claimed, sizeof claimed);
        c->last_time = time;
        c->events++;
        v->events++;
        return true;
}

/* Checks every event up to the end of the journal. 1: all good, 0: a
 * problem (in v->problem), negative errno: unreadable. */
static int check_to_end(Verifier *v, sd_journal *j, guint64 since) {
        CtlAuditEntry e = { 0 };
        int r;

        while ((r = sd_journal_next(j)) > 0) {
                /* A seek by time lands near, not exactly at, --since. */
                if (!ctl_audit_entry_read(j, &e) || (since && e.realtime < since))
                        continue;
                if (!check_entry(v, j, &e)) {
                        ctl_audit_entry_clear(&e);
                        return 0;
                }
        }
        ctl_audit_entry_clear(&e);
        return r < 0 ? r : 1;
}

/* The chain whose end the daemon's chain state describes. */
static Chain *tail_chain(Verifier *v, const char *machine) {
        sd_id128_t id;
        char text[SD_ID128_STRING_MAX];

        if (machine)
                return chain_for(v, machine);
        if (g_hash_table_size(v->chains) == 1) {
                GHashTableIter iter;
                gpointer value;

                g_hash_table_iter_init(&iter, v->chains);
                g_hash_table_iter_next(&iter, NULL, &value);
                return value;
        }
        if (sd_id128_get_machine(&id) < 0)
                return NULL;
        return chain_for(v, sd_id128_to_string(id, text));
}

/* Deleting the newest events leaves no gap in the journal; the daemon's
 * chain state still names the last event it saved, at most a moment
 * behind the last one sent. Events after that one and before a crash are
 * the exception: they can be cut from the end undetected (docs/audit.md).
 * 1: the end matches, 0: a problem, negative errno: unreadable. */
static int check_tail(Verifier *v, sd_journal *j, guint64 since, const char *machine, bool live, guint64 state_seq,
                      const guint8 state_value[BIOGATE_AUDIT_CHAIN_SIZE]) {
        /* Files given by name do not grow: nothing to wait for. */
        gint64 deadline = g_get_monotonic_time() + (live ? TAIL_WAIT_USEC : 0);
        Chain *c = tail_chain(v, machine);
        const guint8 *state_chain;
        int r;

        if (!c)
                return 1;
        while (c->seq < state_seq && g_get_monotonic_time() < deadline) {
                r = sd_journal_wait(j, (guint64) (deadline - g_get_monotonic_time()));
                if (r < 0)
                        return r;
                r = check_to_end(v, j, since);
                if (r <= 0)
                        return r;
                c = tail_chain(v, machine);
        }
        if (c->seq < state_seq) {
                Problem *p = &v->problem;

                p->kind = PROBLEM_GAP;
                p->seq = c->seq + 1;
                p->last_seq = state_seq;
                p->time = p->previous_time = c->last_time;
                p->machine = g_strdup(c->machine);
                p->message = g_strdup_printf("the journal ends at sequence %" G_GUINT64_FORMAT ", but biogated's chain "
                                             "state says it sent %" G_GUINT64_FORMAT ": the newest events were deleted",
                                             c->seq, state_seq);
                return 0;
        }
        /* The state is saved behind the events: the journal may be ahead of
         * it (by the events of a moment, or up to a crash). Its event must
         * be the journal's, wherever it is among the newest. */
        state_chain = c->seq == state_seq ? c->value : recent_value(c, state_seq);
        if (state_chain && sodium_memcmp(state_chain, state_value, BIOGATE_AUDIT_CHAIN_SIZE) != 0) {
                Problem *p = &v->problem;

                p->kind = PROBLEM_EDIT;
                p->seq = p->found_seq = state_seq;
                p->time = p->previous_time = c->last_time;
                p->machine = g_strdup(c->machine);
                p->message = g_strdup(c->seq == state_seq ? "the last event is not the one biogated's chain state records"
                                                          : "the event biogated's chain state records is not the "
                                                            "journal's event of that number");
                return 0;
        }
        return 1;
}

static int report_problem(const Verifier *v, bool json) {
        const Problem *p = &v->problem;
        g_autofree char *time = ctl_audit_format_time(p->time, json);
        g_autofree char *previous = ctl_audit_format_time(p->previous_time, json);

        if (json) {
                GVariantBuilder b;

                g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                g_variant_builder_add(&b, "{sv}", "valid", g_variant_new_boolean(FALSE));
                g_variant_builder_add(&b, "{sv}", "problem", g_variant_new_string(problem_names[p->kind]));
                g_variant_builder_add(&b, "{sv}", "seq", g_variant_new_uint64(p->seq));
                if (p->kind == PROBLEM_GAP)
                        g_variant_builder_add(&b, "{sv}", "last-missing-seq", g_variant_new_uint64(p->last_seq));
                if (p->found_seq)
                        g_variant_builder_add(&b, "{sv}", "found-seq", g_variant_new_uint64(p->found_seq));
                g_variant_builder_add(&b, "{sv}", "time", g_variant_new_string(time));
                if (p->previous_time)
                        g_variant_builder_add(&b, "{sv}", "previous-time", g_variant_new_string(previous));
                g_variant_builder_add(&b, "{sv}", "machine-id", g_variant_new_string(p->machine));
                g_variant_builder_add(&b, "{sv}", "message", g_variant_new_string(p->message));
                if (p->cursor)
                        g_variant_builder_add(&b, "{sv}", "cursor", g_variant_new_string(p->cursor));
                if (p->sender)
                        g_variant_builder_add(&b, "{sv}", "sender", g_variant_new_string(p->sender));
                g_variant_builder_add(&b, "{sv}", "events-checked", g_variant_new_uint64(v->events));
                ctl_json_print(stdout, g_variant_builder_end(&b));
        } else {
                g_autofree char *safe_message = ctl_printable(p->message);
                g_autofree char *safe_sender = ctl_printable(p->sender);

                /* A deleted event has no time of its own: say between which. */
                if (p->kind == PROBLEM_GAP && p->previous_time && p->previous_time != p->time)
                        printf("TAMPERED: gap at sequence %" G_GUINT64_FORMAT ", between %s and %s: %s.\n", p->seq,
                               previous, time, safe_message);
                else
                        printf("TAMPERED: %s at sequence %" G_GUINT64_FORMAT ", %s: %s.\n", problem_names[p->kind],
                               p->seq, time, safe_message);
                if (p->cursor)
                        printf(_("Journal entry: %s (journalctl --cursor='%s'), sent by %s.\n"), p->cursor, p->cursor,
                               safe_sender);
                printf("Events checked before it: %" G_GUINT64_FORMAT ". Machine ID: %s.\n", v->events, p->machine);
        }
        return 1;
}

static int compare_chains(gconstpointer a, gconstpointer b) {
        return strcmp((*(Chain *const *) a)->machine, (*(Chain *const *) b)->machine);
}

static int report_ok(const Verifier *v, bool json, bool tail_checked) {
        g_autoptr(GPtrArray) chains = ctl_audit_hash_table_sorted(v->chains, false, compare_chains);
        GVariantBuilder machines;

        g_variant_builder_init(&machines, G_VARIANT_TYPE("aa{sv}"));
        if (!json)
                printf("The audit trail is intact: %" G_GUINT64_FORMAT " event%s checked.\n", v->events,
                       v->events == 1 ? "" : "s");
        for (guint i = 0; i < chains->len; i++) {
                const Chain *c = chains->pdata[i];
                g_autofree char *first = ctl_audit_format_time(c->first_time, json);
                g_autofree char *last = ctl_audit_format_time(c->last_time, json);

                if (c->events == 0)
                        continue;
                if (json) {
                        GVariantBuilder b;

                        g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                        g_variant_builder_add(&b, "{sv}", "machine-id", g_variant_new_string(c->machine));
                        g_variant_builder_add(&b, "{sv}", "events", g_variant_new_uint64(c->events));
                        g_variant_builder_add(&b, "{sv}", "first-seq", g_variant_new_uint64(c->first_seq));
                        g_variant_builder_add(&b, "{sv}", "last-seq", g_variant_new_uint64(c->seq));
                        g_variant_builder_add(&b, "{sv}", "first-time", g_variant_new_string(first));
                        g_variant_builder_add(&b, "{sv}", "last-time", g_variant_new_string(last));
                        g_variant_builder_add(&b, "{sv}", "chain-starts", g_variant_new_uint32(c->starts));
                        g_variant_builder_add(&b, "{sv}", "checked-from-start", g_variant_new_boolean(!c->anchored));
                        g_variant_builder_add(&machines, "@a{sv}", g_variant_builder_end(&b));
                        continue;
                }
                printf("Machine %s: sequence %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT ", %s to %s.\n", c->machine,
                       c->first_seq, c->seq, first, last);
                if (c->anchored)
                        printf("  Checked from sequence %" G_GUINT64_FORMAT ": the chain can only be checked from "
                               "where reading starts, so that event's own chain value is taken as given.\n",
                               c->first_seq);
                if (c->starts > 1)
                        printf("  The chain was started %u times (a new state directory or audit key): events "
                               "deleted just before a new start would not show.\n", c->starts);
        }
        if (json) {
                GVariantBuilder b;

                g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                g_variant_builder_add(&b, "{sv}", "valid", g_variant_new_boolean(TRUE));
                g_variant_builder_add(&b, "{sv}", "events-checked", g_variant_new_uint64(v->events));
                g_variant_builder_add(&b, "{sv}", "end-checked", g_variant_new_boolean(tail_checked));
                g_variant_builder_add(&b, "{sv}", "machines", g_variant_builder_end(&machines));
                ctl_json_print(stdout, g_variant_builder_end(&b));
                return CTL_EXIT_SUCCESS;
        }
        g_variant_builder_clear(&machines);
        if (v->events == 0)
                printf(_("No audit events of biogated were found%s.\n"),
                       geteuid() != 0 ? " (reading the system journal needs root or the group systemd-journal)" : "");
        else if (tail_checked)
                printf(_("The last event matches biogated's chain state.\n"));
        else
                printf(_("The end was not compared with biogated's chain state (--state-dir): deleting the newest "
                       "events would not show.\n"));
        return CTL_EXIT_SUCCESS;
}

static int audit_verify(bool json, int argc, char **argv) {
        const char *since = NULL, *directory = NULL, *machine = NULL, *state_dir = NULL, *key_path = NULL;
        g_autoptr(GPtrArray) files = NULL;
        const CtlOption options[] = {
                { "since", 0, CTL_OPTION_STRING, &since, "TIME",
                  N_("Check from this time on (the first event is taken as given)") },
                { "file", 0, CTL_OPTION_STRINGS, &files, "FILE", N_("Read this journal file (repeatable)") },
                { "directory", 0, CTL_OPTION_STRING, &directory, "DIR", N_("Read the journal files in DIR") },
                { "machine", 0, CTL_OPTION_STRING, &machine, "ID", N_("Only the events of this machine ID") },
                { "state-dir", 0, CTL_OPTION_STRING, &state_dir, "DIR",
                  "biogated's state directory: key and chain state (default " BIOGATE_DEFAULT_STATE_DIR ")" },
                { "key", 0, CTL_OPTION_STRING, &key_path, "FILE", N_("The audit key (32 bytes; - for standard input)") },
                CTL_OPTION_JSON(&json),
                CTL_OPTION_HELP_ENTRY,
                CTL_OPTION_END,
        };
        const CtlCommandLine cl = {
                .command = "audit verify",
                .usage = "audit verify [--since TIME] [--file FILE... | --directory DIR] [--machine ID]\n"
                         "       [--state-dir DIR] [--key FILE] [--json]",
                .summary = N_("Check biogated's audit chain in the journal: every event present, in order and\n"
                           "unchanged. Reports the first gap, edit or reorder with its sequence number."),
                .epilogue = N_("Without --file or --directory the local system journal is read, and its end is\n"
                            "compared with the chain state in the state directory. Needs root (the key).\n"
                            "Exit status: 0 intact, 1 tampered, 2 usage, 7 key or journal unreadable.\n"),
                .options = options,
        };
        CtlAuditSource src = { .command = "audit verify" };
        g_auto(Verifier) v = { 0 };
        g_autofree char *key_file = NULL, *message = NULL;
        guint8 state_value[BIOGATE_AUDIT_CHAIN_SIZE];
        guint64 since_usec = 0, state_seq = 0;
        bool tail = false;
        sd_journal *j = NULL;
        size_t len;
        int r;

        r = ctl_parse_command_line(&cl, argc, argv, NULL);
        if (r >= 0)
                return r;
        src.since = since;
        src.files = files;
        src.directory = directory;
        src.machine = machine;
        /* First, so that a usage error is reported as one. */
        r = ctl_audit_open(&src, json, &j, &since_usec);
        if (r >= 0)
                return r;

        if (sodium_init() < 0 || !(v.key = sodium_malloc(BIOGATE_AUDIT_KEY_SIZE))) {
                sd_journal_close(j);
                return ctl_report_error_name(json, IO_ERROR_NAME, "Cannot allocate locked memory for the key");
        }
        key_file = key_path ? g_strdup(key_path)
                            : g_build_filename(state_dir ? state_dir : BIOGATE_DEFAULT_STATE_DIR, KEY_FILE, NULL);
        if (!read_private(key_file, v.key, BIOGATE_AUDIT_KEY_SIZE, &len, true, &message)) {
                sd_journal_close(j);
                (void) ctl_report_error_name(json, IO_ERROR_NAME, message);
                return CTL_EXIT_DAEMON;
        }
        /* The state describes this machine's journal: compare the end only
         * where it belongs (local journal, or a state directory named). */
        if (state_dir || (!key_path && !files && !directory)) {
                g_clear_pointer(&message, g_free);
                tail = read_chain_state(state_dir ? state_dir : BIOGATE_DEFAULT_STATE_DIR, &state_seq, state_value,
                                        &message);
                if (!tail && state_dir) {
                        sd_journal_close(j);
                        (void) ctl_report_error_name(json, IO_ERROR_NAME, message);
                        return CTL_EXIT_DAEMON;
                }
        }

        v.anchor_first = since != NULL;
        v.chains = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, chain_free);
        r = check_to_end(&v, j, since_usec);
        if (r > 0 && tail)
                r = check_tail(&v, j, since_usec, machine ? src.machine_id : NULL, !files, state_seq, state_value);
        sd_journal_close(j);
        if (r < 0) {
                g_autofree char *m = g_strdup_printf("Cannot read the journal: %s", g_strerror(-r));
                (void) ctl_report_error_name(json, IO_ERROR_NAME, m);
                return CTL_EXIT_DAEMON;
        }
        return r == 0 ? report_problem(&v, json) : report_ok(&v, json, tail);
}

int ctl_command_audit(Ctl *ctl, int argc, char **argv) {
        static const char help[] =
                "Usage: biogatectl audit verify [--since TIME] [--file FILE | --directory DIR] [--key FILE] ...\n"
                "       biogatectl audit report [--since TIME] [--file FILE | --directory DIR] [--json]\n"
                "\n"
                "Check biogated's tamper-evident audit trail in the journal, or summarise it per\n"
                "user and day. Both read the journal directly, without biogated.\n"
                "\n"
                "Run 'biogatectl audit verify --help' or 'biogatectl audit report --help' for\n"
                "their options.\n";

        if (argc < 2)
                return ctl_usage_error("audit", _("No audit command given: verify or report"));
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                fputs(help, stdout);
                return CTL_EXIT_SUCCESS;
        }
        if (strcmp(argv[1], "verify") == 0)
                return audit_verify(ctl->json, argc - 1, argv + 1);
        if (strcmp(argv[1], "report") == 0)
                return ctl_audit_report(ctl->json, argc - 1, argv + 1);
        return ctl_usage_error("audit", _("Unknown audit command '%s': use verify or report"), argv[1]);
}
