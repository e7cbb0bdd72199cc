/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who asked, in every audit event, and an audit trail that one user cannot
 * flood: the real biogated logs to a real systemd-journald (tests/audit-
 * fixture.h), clients of uid 65534 call it as any local user can, and the
 * events are read back from the journal files. */
#include <string.h>

#include "audit-fixture.h"
#include "security-fixture.h"

#define NOBODY_NAME "nobody"
/* The figures docs/audit.md promises (biogate.conf(5) defaults): Evaluate
 * events per caller uid per window, one by one, then one summary. Written
 * out here, not taken from the daemon's header, so that the test states
 * them on its own. */
#define EVALUATE_BURST 20u
#define EVALUATE_WINDOW_S 60u

/* Every event in (after, upto] of the chain names @caller_uid (and its
 * name) as the caller; returns how many there were. */
static guint assert_callers(GPtrArray *events, guint64 after, guint64 upto, const char *caller_uid,
                            const char *caller_user, GHashTable *ret_names) {
        guint n = 0;

        for (guint i = 0; i < events->len; i++) {
                GHashTable *e = events->pdata[i];
                guint64 seq = g_ascii_strtoull(audit_field(e, "BIOGATE_SEQ"), NULL, 10);
                const char *name = audit_field(e, "BIOGATE_EVENT");

                if (seq <= after || seq > upto)
                        continue;
                if (g_strcmp0(audit_field(e, "BIOGATE_CALLER_UID"), caller_uid) != 0 ||
                    g_strcmp0(audit_field(e, "BIOGATE_CALLER_USER"), caller_user) != 0)
                        g_error("event %s (seq %" G_GUINT64_FORMAT ", \"%s\") names caller uid %s (%s), not %s (%s)",
                                name, seq, audit_field(e, "MESSAGE"),
                                audit_field(e, "BIOGATE_CALLER_UID") ? audit_field(e, "BIOGATE_CALLER_UID") : "none",
                                audit_field(e, "BIOGATE_CALLER_USER") ? audit_field(e, "BIOGATE_CALLER_USER") : "none",
                                caller_uid, caller_user);
                g_hash_table_add(ret_names, g_strdup(name));
                n++;
        }
        return n;
}

static void assert_has_all(GHashTable *names, const char *const *expected) {
        for (const char *const *e = expected; *e; e++)
                if (!g_hash_table_contains(names, *e))
                        g_error("no %s event in this part of the run", *e);
}

static GVariant *evaluate(GDBusConnection *conn, GVariant *tx, GError **error) {
        return call_on(conn, BIOGATE_OBJECT_PATH, BIOGATE_STEPUP_INTERFACE, "Evaluate", g_variant_new("(@a{sv})", tx),
                       "(ssa{sv})", error);
}

/* The flows of a user, an administrator acting on that user, and
 * biogated's own start: every event names who asked. */
static void test_events_name_caller(AuditFixture *a, gconstpointer data) {
        g_autoptr(GDBusConnection) root = g_object_ref(a->f.conn);
        g_autoptr(GDBusConnection) nobody = security_connect_as(&a->f, NOBODY, NOBODY);
        g_autoptr(GHashTable) start_names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_autoptr(GHashTable) user_names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_autoptr(GHashTable) admin_names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_autoptr(GPtrArray) events = NULL;
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfOp) refused = NULL;
        g_autoptr(JsonObject) verified = NULL;
        guint64 started, user_done, admin_done, last;
        GHashTable *e;

        started = audit_sync_journal(a);
        /* uid 65534 on itself (the built-in rule: no polkitd here): enrol,
         * log in, approve, get refused by the policy, evaluate, fail five
         * times (a lockout). */
        a->f.conn = nobody;
        audit_make_history(a);
        reply = evaluate(nobody, tx_new("withdrawal", "250000.00", "USD", "ACME Ltd"), &error);
        g_assert_no_error(error);
        /* The approval matched and reset the count: five more. */
        for (int i = 0; i < 5; i++)
                audit_verify_expect(a, OTHER_ID, BIOGATE_RESULT_NO_MATCH);
        user_done = audit_sync_journal(a);

        /* root on uid 65534: unlock, delete its fingers, reload the policy. */
        a->f.conn = root;
        g_clear_pointer(&reply, g_variant_unref);
        reply = manager_call(root, "Unlock", g_variant_new("(s)", NOBODY_NAME), NULL, &error);
        g_assert_no_error(error);
        g_clear_pointer(&reply, g_variant_unref);
        reply = manager_call(root, "DeleteFingers", g_variant_new("(s@as)", NOBODY_NAME, g_variant_new_strv(NULL, 0)),
                             NULL, &error);
        g_assert_no_error(error);
        g_clear_pointer(&reply, g_variant_unref);
        reply = manager_call(root, "Reload", NULL, NULL, &error);
        g_assert_no_error(error);
        admin_done = audit_sync_journal(a);

        /* uid 65534 again: a refused verification, then its own erasure. */
        a->f.conn = nobody;
        refused = start_op(nobody, "Verify", g_variant_new("(sa{sv})", "", NULL), &error);
        assert_dbus_error(error, "org.biogate1.Error.NoEnrolledPrints");
        g_clear_error(&error);
        g_clear_pointer(&reply, g_variant_unref);
        reply = manager_call(nobody, "EraseUser", g_variant_new("(s)", ""), "(a{sv})", &error);
        g_assert_no_error(error);
        a->f.conn = root;
        audit_stop_daemon(a);
        last = audit_sync_journal(a);
        events = audit_fixture_events(a);
        g_assert_cmpuint(events->len, ==, last);

        /* biogated's own events (start: chain, keys, policy) name root,
         * the uid it runs as; then each part of the run its caller. */
        g_assert_cmpuint(assert_callers(events, 0, started, "0", "root", start_names), ==, started);
        assert_has_all(start_names, (const char *const[]) { "audit-chain-started", "key-created", "policy-loaded", NULL });
        g_assert_cmpuint(assert_callers(events, started, user_done, "65534", NOBODY_NAME, user_names), ==,
                         user_done - started);
        g_assert_cmpuint(assert_callers(events, admin_done, last, "65534", NOBODY_NAME, user_names), ==,
                         last - admin_done);
        assert_has_all(user_names, (const char *const[]) { "consent-recorded", "enroll", "verify-match",
                                                           "verify-no-match", "stepup-approve", "stepup-deny",
                                                           "stepup-evaluate", "lockout", "verify-error", "erase",
                                                           NULL });
        g_assert_cmpuint(assert_callers(events, user_done, admin_done, "0", "root", admin_names), ==,
                         admin_done - user_done);
        assert_has_all(admin_names, (const char *const[]) { "unlock", "delete", "policy-loaded", NULL });

        /* The decisions are about uid 65534, whoever asked. */
        e = audit_the_event(events, "stepup-evaluate");
        g_assert_cmpstr(audit_field(e, "BIOGATE_UID"), ==, "65534");
        g_assert_cmpstr(audit_field(e, "BIOGATE_USER"), ==, NOBODY_NAME);
        g_assert_cmpstr(audit_field(e, "BIOGATE_RULE"), ==, "withdrawals");
        e = audit_the_event(events, "unlock");
        g_assert_cmpstr(audit_field(e, "BIOGATE_UID"), ==, "65534");
        g_assert_cmpstr(audit_field(e, "BIOGATE_CALLER_UID"), ==, "0");
        e = audit_the_event(events, "lockout");
        g_assert_cmpstr(audit_field(e, "BIOGATE_UID"), ==, "65534");
        g_assert_cmpstr(audit_field(e, "BIOGATE_OUTCOME"), ==, "delayed");
        verified = audit_verify_directory(a, 0, NULL);
        g_assert_true(json_object_get_boolean_member(verified, "valid"));
}

/* ---- the flood ---- */

#define FLOOD_CLIENTS 3
/* Calls each flooding client makes at least: thousands in all. */
#define FLOOD_MIN_CALLS 1500
/* Genuine events start once the flood is this far: in its middle. */
#define FLOOD_BEFORE_GENUINE (FLOOD_CLIENTS * FLOOD_MIN_CALLS / 2)

typedef struct Flood {
        GMutex lock;
        GCond cond;
        guint calls;            /* answered, all clients */
        gboolean stop;          /* the genuine events are done */
        GHashTable *by_rule;    /* rule → GUINT_TO_POINTER(answers) */
} Flood;

typedef struct FloodClient {
        Flood *flood;
        GDBusConnection *conn;
        guint index;
        guint made;
        GThread *thread;
} FloodClient;

/* One call in flight at a time: a thread per client, so that the flood goes
 * on while the test's main thread waits for a touch. */
static gpointer flood_run(gpointer data) {
        FloodClient *c = data;
        Flood *flood = c->flood;

        for (;;) {
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) reply = NULL;
                /* Two rules, so that the summary has something to count by. */
                gboolean big = (c->made + c->index) % 2 == 0;
                GVariant *tx = tx_new(big ? "withdrawal" : "order", big ? "250000.00" : "100.00", "USD", "ACME Ltd");
                const char *rule = NULL;
                gboolean stop;

                reply = g_dbus_connection_call_sync(c->conn, BIOGATE_BUS_NAME, BIOGATE_OBJECT_PATH,
                                                    BIOGATE_STEPUP_INTERFACE, "Evaluate",
                                                    g_variant_new("(@a{sv})", tx), G_VARIANT_TYPE("(ssa{sv})"),
                                                    G_DBUS_CALL_FLAGS_NO_AUTO_START, 20000, NULL, &error);
                g_assert_no_error(error);
                g_variant_get(reply, "(&s&sa{sv})", &rule, NULL, NULL);
                c->made++;
                g_mutex_lock(&flood->lock);
                flood->calls++;
                g_hash_table_insert(flood->by_rule, g_strdup(rule),
                                    GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(flood->by_rule, rule)) + 1));
                g_cond_broadcast(&flood->cond);
                stop = flood->stop && c->made >= FLOOD_MIN_CALLS;
                g_mutex_unlock(&flood->lock);
                if (stop)
                        return NULL;
        }
}

static guint64 field_u64(GHashTable *e, const char *name) {
        guint64 v = 0;

        g_assert_nonnull(audit_field(e, name));
        g_assert_true(g_ascii_string_to_unsigned(audit_field(e, name), 10, 0, G_MAXUINT64, &v, NULL));
        return v;
}

/* Three clients of uid 65534 call Evaluate thousands of times while root
 * logs in and approves a withdrawal: the login and the approval are in the
 * journal, uid 65534 got EVALUATE_BURST events and
 * one summary per window that counts every other call, and the chain
 * verifies. */
static void test_flood(AuditFixture *a, gconstpointer data) {
        Flood flood = { .by_rule = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL) };
        FloodClient clients[FLOOD_CLIENTS] = { 0 };
        g_autoptr(GPtrArray) events = NULL;
        g_autoptr(JsonObject) verified = NULL;
        g_autofree char *by_rule = NULL;
        guint64 logged = 0, summed = 0, genuine_start, genuine_end;
        guint individual = 0, summaries = 0, windows;
        gint64 t0, elapsed;
        GHashTable *e;

        g_mutex_init(&flood.lock);
        g_cond_init(&flood.cond);
        enroll(&a->f, "", "right-index-finger", PRINT_ID);
        for (guint i = 0; i < FLOOD_CLIENTS; i++) {
                clients[i] = (FloodClient) { .flood = &flood, .index = i,
                                             .conn = security_connect_as(&a->f, NOBODY, NOBODY) };
        }
        t0 = g_get_monotonic_time();
        for (guint i = 0; i < FLOOD_CLIENTS; i++)
                clients[i].thread = g_thread_new("flood", flood_run, &clients[i]);

        /* The genuine events, in the middle of the flood. */
        g_mutex_lock(&flood.lock);
        while (flood.calls < FLOOD_BEFORE_GENUINE)
                g_cond_wait(&flood.cond, &flood.lock);
        genuine_start = flood.calls;
        g_mutex_unlock(&flood.lock);
        audit_verify_expect(a, PRINT_ID, BIOGATE_RESULT_MATCH);
        audit_approve_withdrawal(a);
        g_mutex_lock(&flood.lock);
        genuine_end = flood.calls;
        flood.stop = TRUE;
        g_mutex_unlock(&flood.lock);
        for (guint i = 0; i < FLOOD_CLIENTS; i++) {
                g_thread_join(clients[i].thread);
                g_object_unref(clients[i].conn);
        }
        elapsed = g_get_monotonic_time() - t0;
        g_test_message("%u Evaluate calls by uid 65534 in %.1f s (%.0f/s), %" G_GUINT64_FORMAT
                       " of them while root logged in and approved",
                       flood.calls, elapsed / 1e6, flood.calls / (elapsed / 1e6), genuine_end - genuine_start);
        /* The genuine events happened during the flood, not after it. */
        g_assert_cmpuint(genuine_end, >, genuine_start);
        g_assert_cmpuint(flood.calls, >=, FLOOD_CLIENTS * FLOOD_MIN_CALLS);

        /* The summary of the open window goes out when biogated exits. */
        audit_stop_daemon(a);
        audit_sync_journal(a);
        events = audit_fixture_events(a);

        /* Every genuine decision is there. */
        g_assert_cmpstr(audit_field(audit_the_event(events, "verify-match"), "BIOGATE_USER"), ==, "root");
        e = audit_the_event(events, "stepup-approve");
        g_assert_cmpstr(audit_field(e, "BIOGATE_USER"), ==, "root");
        g_assert_cmpstr(audit_field(e, "BIOGATE_RULE"), ==, "withdrawals");
        audit_the_event(events, "enroll");
        audit_the_event(events, "consent-recorded");

        /* uid 65534: at most the burst one by one and one summary, per
         * window of 60 s that the flood touched. */
        windows = (guint) (elapsed / (EVALUATE_WINDOW_S * G_USEC_PER_SEC)) + 1;
        individual = audit_count_events(events, "BIOGATE_EVENT", "stepup-evaluate");
        summaries = audit_count_events(events, "BIOGATE_EVENT", "stepup-evaluate-suppressed");
        g_test_message("%u events in the journal: %u stepup-evaluate, %u stepup-evaluate-suppressed "
                       "(%u window(s) of %u s)", events->len, individual, summaries, windows, EVALUATE_WINDOW_S);
        g_assert_cmpuint(individual, <=, windows * EVALUATE_BURST);
        g_assert_cmpuint(individual, >=, EVALUATE_BURST);
        g_assert_cmpuint(summaries, >=, 1);
        g_assert_cmpuint(summaries, <=, windows);
        for (guint i = 0; i < events->len; i++) {
                GHashTable *ev = events->pdata[i];
                const char *name = audit_field(ev, "BIOGATE_EVENT");

                if (g_str_equal(name, "stepup-evaluate")) {
                        g_assert_cmpstr(audit_field(ev, "BIOGATE_CALLER_UID"), ==, "65534");
                        g_assert_cmpstr(audit_field(ev, "BIOGATE_UID"), ==, "65534");
                } else if (g_str_equal(name, "stepup-evaluate-suppressed")) {
                        guint64 first = field_u64(ev, "BIOGATE_FIRST_TIME"), last = field_u64(ev, "BIOGATE_LAST_TIME");

                        g_assert_cmpstr(audit_field(ev, "BIOGATE_CALLER_UID"), ==, "65534");
                        g_assert_cmpstr(audit_field(ev, "BIOGATE_UID"), ==, "65534");
                        g_assert_cmpstr(audit_field(ev, "BIOGATE_USER"), ==, NOBODY_NAME);
                        g_assert_cmpuint(first, <=, last);
                        g_assert_cmpuint(last, <=, field_u64(ev, "BIOGATE_TIME"));
                        summed += field_u64(ev, "BIOGATE_COUNT");
                        if (!by_rule)
                                by_rule = g_strdup(audit_field(ev, "BIOGATE_REASON"));
                }
        }
        g_test_message("the summaries count %" G_GUINT64_FORMAT " calls", summed);
        /* Nothing lost: every call is one event or counted in a summary. */
        logged = individual + summed;
        g_assert_cmpuint(logged, ==, flood.calls);
        /* Counted by rule, too (the first summary's calls per rule). */
        g_assert_nonnull(by_rule);
        g_assert_nonnull(strstr(by_rule, "withdrawals="));
        g_assert_nonnull(strstr(by_rule, "default="));
        if (summaries == 1) {
                g_autofree char *expected = g_strdup_printf(
                        "default=%u, withdrawals=%u",
                        GPOINTER_TO_UINT(g_hash_table_lookup(flood.by_rule, "default")) -
                                (guint) audit_count_events(events, "BIOGATE_RULE", "default"),
                        GPOINTER_TO_UINT(g_hash_table_lookup(flood.by_rule, "withdrawals")) -
                                (guint) (audit_count_events(events, "BIOGATE_RULE", "withdrawals") - 1));
                g_assert_cmpstr(by_rule, ==, expected);
        }
        /* The whole trail stays small, and intact. */
        g_assert_cmpuint(events->len, <=, 20 + windows * (EVALUATE_BURST + 1));
        verified = audit_verify_directory(a, 0, NULL);
        g_assert_true(json_object_get_boolean_member(verified, "valid"));
        g_assert_cmpint(json_object_get_int_member(verified, "events-checked"), ==, (gint64) events->len);

        /* The report counts every evaluation: the events and the calls
         * their summaries count. */
        {
                const char *dir = btf_journald_get_directory(a->journald);
                const char *args[] = { "audit", "report", "--json", "--directory", dir, NULL };
                g_autoptr(JsonObject) report = audit_ctl_json(0, args);
                JsonArray *rows = json_object_get_array_member(report, "rows");
                gint64 evaluations = 0;

                for (guint i = 0; i < json_array_get_length(rows); i++) {
                        JsonObject *row = json_array_get_object_element(rows, i);

                        if (g_str_equal(json_object_get_string_member(row, "user"), NOBODY_NAME))
                                evaluations += json_object_get_int_member(row, "evaluations");
                }
                g_assert_cmpint(evaluations, ==, (gint64) flood.calls);
        }

        g_hash_table_unref(flood.by_rule);
        g_cond_clear(&flood.cond);
        g_mutex_clear(&flood.lock);
}

/* ---- refusals: calls that decide nothing ---- */

/* The figures docs/audit.md promises for them (biogate.conf(5) defaults:
 * refusal_audit_burst, refusal_audit_window_seconds), per event and
 * caller uid. */
#define REFUSAL_BURST 20u
#define REFUSAL_WINDOW_S 60u
#define REFUSAL_CLIENTS_PER_CALL 2
/* Calls each flooding client makes at least: hundreds per kind, ten times
 * the burst and more. */
#define REFUSAL_MIN_CALLS 400

typedef enum RefusalCall {
        REFUSAL_VERIFY,         /* Verify(""), no prints: NoEnrolledPrints, no sensor touched */
        REFUSAL_ERASE,          /* EraseUser(""): nothing to erase */
        _REFUSAL_CALL_MAX,
} RefusalCall;

static const struct {
        const char *event;      /* the event each call causes */
        const char *outcome;
        const char *reason;
} refusal_calls[_REFUSAL_CALL_MAX] = {
        [REFUSAL_VERIFY] = { "verify-error", "error", "org.biogate1.Error.NoEnrolledPrints" },
        [REFUSAL_ERASE]  = { "erase", "success", "nothing to erase" },
};

typedef struct RefusalFlood {
        GMutex lock;
        GCond cond;
        guint calls[_REFUSAL_CALL_MAX]; /* answered, per kind */
        guint total;
        gboolean stop;                  /* the genuine events are done */
} RefusalFlood;

typedef struct RefusalClient {
        RefusalFlood *flood;
        GDBusConnection *conn;
        RefusalCall call;
        guint made;
        GThread *thread;
} RefusalClient;

static gpointer refusal_run(gpointer data) {
        RefusalClient *c = data;
        RefusalFlood *flood = c->flood;

        for (;;) {
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) reply = NULL;
                gboolean stop;

                if (c->call == REFUSAL_VERIFY) {
                        reply = g_dbus_connection_call_sync(c->conn, BIOGATE_BUS_NAME, BIOGATE_OBJECT_PATH,
                                                            BIOGATE_MANAGER_INTERFACE, "Verify",
                                                            g_variant_new("(sa{sv})", "", NULL), G_VARIANT_TYPE("(o)"),
                                                            G_DBUS_CALL_FLAGS_NO_AUTO_START, 20000, NULL, &error);
                        assert_dbus_error(error, "org.biogate1.Error.NoEnrolledPrints");
                } else {
                        reply = g_dbus_connection_call_sync(c->conn, BIOGATE_BUS_NAME, BIOGATE_OBJECT_PATH,
                                                            BIOGATE_MANAGER_INTERFACE, "EraseUser",
                                                            g_variant_new("(s)", ""), G_VARIANT_TYPE("(a{sv})"),
                                                            G_DBUS_CALL_FLAGS_NO_AUTO_START, 20000, NULL, &error);
                        g_assert_no_error(error);
                }
                c->made++;
                g_mutex_lock(&flood->lock);
                flood->calls[c->call]++;
                flood->total++;
                g_cond_broadcast(&flood->cond);
                stop = flood->stop && c->made >= REFUSAL_MIN_CALLS;
                g_mutex_unlock(&flood->lock);
                if (stop)
                        return NULL;
        }
}

static gint64 json_count(JsonObject *row, const char *member, const char *key) {
        JsonObject *map = json_object_get_object_member(row, member);

        return map && json_object_has_member(map, key) ? json_object_get_int_member(map, key) : 0;
}

/* Clients of uid 65534 repeat Verify("") without prints and EraseUser("")
 * with nothing to erase while root logs in (a match and a failed match,
 * as the PAM module asks: service login) and approves a withdrawal. Every
 * genuine event is in the journal; uid 65534 got REFUSAL_BURST events of
 * each kind and one audit-suppressed summary per kind and window that
 * counts every other call exactly; the chain verifies; and `audit report`
 * counts the summaries. */
static void test_flood_refusals(AuditFixture *a, gconstpointer data) {
        const char *dir = btf_journald_get_directory(a->journald);
        const char *report_args[] = { "audit", "report", "--json", "--directory", dir, NULL };
        const char *table_args[] = { "audit", "report", "--directory", dir, NULL };
        RefusalFlood flood = { 0 };
        RefusalClient clients[_REFUSAL_CALL_MAX * REFUSAL_CLIENTS_PER_CALL] = { 0 };
        g_autoptr(GPtrArray) events = NULL;
        g_autoptr(JsonObject) verified = NULL, report = NULL;
        g_autoptr(GVariant) details = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfOp) login = NULL;
        g_autofree char *result = NULL, *table = NULL;
        GVariantDict options;
        guint64 summed[_REFUSAL_CALL_MAX] = { 0 };
        guint individual[_REFUSAL_CALL_MAX] = { 0 }, summaries[_REFUSAL_CALL_MAX] = { 0 };
        guint windows, genuine_start, genuine_end;
        gint64 t0, elapsed, reported[_REFUSAL_CALL_MAX] = { 0 }, nobody_erasures = 0;
        gint64 root_logins = 0, root_failed = 0, root_approved = 0;
        JsonArray *rows;
        GHashTable *e;
        int status;

        g_mutex_init(&flood.lock);
        g_cond_init(&flood.cond);
        enroll(&a->f, "", "right-index-finger", PRINT_ID);
        for (guint i = 0; i < G_N_ELEMENTS(clients); i++)
                clients[i] = (RefusalClient) { .flood = &flood, .call = (RefusalCall) (i % _REFUSAL_CALL_MAX),
                                               .conn = security_connect_as(&a->f, NOBODY, NOBODY) };
        t0 = g_get_monotonic_time();
        for (guint i = 0; i < G_N_ELEMENTS(clients); i++)
                clients[i].thread = g_thread_new("refusals", refusal_run, &clients[i]);

        /* The genuine events, in the middle of the flood. */
        g_mutex_lock(&flood.lock);
        while (flood.total < G_N_ELEMENTS(clients) * REFUSAL_MIN_CALLS / 2)
                g_cond_wait(&flood.cond, &flood.lock);
        genuine_start = flood.total;
        g_mutex_unlock(&flood.lock);
        g_variant_dict_init(&options, NULL);
        g_variant_dict_insert(&options, "service", "s", "login");
        login = start_op(a->f.conn, "Verify", g_variant_new("(s@a{sv})", "", g_variant_dict_end(&options)), &error);
        g_assert_no_error(error);
        wait_finger_needed(login);
        touch(&a->f, PRINT_ID);
        result = wait_finished(login, &details);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
        release(a->f.conn, login);
        audit_verify_expect(a, OTHER_ID, BIOGATE_RESULT_NO_MATCH);
        audit_approve_withdrawal(a);
        g_mutex_lock(&flood.lock);
        genuine_end = flood.total;
        flood.stop = TRUE;
        g_mutex_unlock(&flood.lock);
        for (guint i = 0; i < G_N_ELEMENTS(clients); i++) {
                g_thread_join(clients[i].thread);
                g_object_unref(clients[i].conn);
        }
        elapsed = g_get_monotonic_time() - t0;
        g_test_message("uid 65534: %u Verify and %u EraseUser calls in %.1f s (%.0f/s), %u of them while root "
                       "logged in and approved",
                       flood.calls[REFUSAL_VERIFY], flood.calls[REFUSAL_ERASE], elapsed / 1e6,
                       flood.total / (elapsed / 1e6), genuine_end - genuine_start);
        g_assert_cmpuint(genuine_end, >, genuine_start);
        for (guint k = 0; k < _REFUSAL_CALL_MAX; k++)
                g_assert_cmpuint(flood.calls[k], >=, REFUSAL_CLIENTS_PER_CALL * REFUSAL_MIN_CALLS);

        /* The summaries of the open windows go out when biogated exits. */
        audit_stop_daemon(a);
        audit_sync_journal(a);
        events = audit_fixture_events(a);

        /* Every genuine decision is there, naming root. */
        e = audit_the_event(events, "verify-match");
        g_assert_cmpstr(audit_field(e, "BIOGATE_USER"), ==, "root");
        g_assert_cmpstr(audit_field(e, "BIOGATE_SERVICE"), ==, "login");
        g_assert_cmpstr(audit_field(e, "BIOGATE_CALLER_UID"), ==, "0");
        g_assert_cmpstr(audit_field(audit_the_event(events, "verify-no-match"), "BIOGATE_USER"), ==, "root");
        e = audit_the_event(events, "stepup-approve");
        g_assert_cmpstr(audit_field(e, "BIOGATE_USER"), ==, "root");
        g_assert_cmpstr(audit_field(e, "BIOGATE_RULE"), ==, "withdrawals");
        audit_the_event(events, "enroll");
        audit_the_event(events, "consent-recorded");

        /* uid 65534: per kind, at most the burst one by one and one
         * summary per window of 60 s that the flood touched. */
        windows = (guint) (elapsed / (REFUSAL_WINDOW_S * G_USEC_PER_SEC)) + 1;
        for (guint k = 0; k < _REFUSAL_CALL_MAX; k++) {
                guint n = audit_count_events(events, "BIOGATE_EVENT", refusal_calls[k].event);

                g_test_message("%s: %u events one by one for %u calls", refusal_calls[k].event, n, flood.calls[k]);
                g_assert_cmpuint(n, <=, windows * REFUSAL_BURST);
        }
        for (guint i = 0; i < events->len; i++) {
                GHashTable *ev = events->pdata[i];
                const char *name = audit_field(ev, "BIOGATE_EVENT");

                for (guint k = 0; k < _REFUSAL_CALL_MAX; k++) {
                        if (g_str_equal(name, refusal_calls[k].event)) {
                                g_assert_cmpstr(audit_field(ev, "BIOGATE_CALLER_UID"), ==, "65534");
                                g_assert_cmpstr(audit_field(ev, "BIOGATE_REASON"), ==, refusal_calls[k].reason);
                                individual[k]++;
                        } else if (g_str_equal(name, "audit-suppressed") &&
                                   g_strcmp0(audit_field(ev, "BIOGATE_SUPPRESSED_EVENT"), refusal_calls[k].event) == 0) {
                                guint64 first = field_u64(ev, "BIOGATE_FIRST_TIME");
                                guint64 last = field_u64(ev, "BIOGATE_LAST_TIME");
                                guint64 count = field_u64(ev, "BIOGATE_COUNT");
                                g_autofree char *reason = g_strdup_printf("%s=%" G_GUINT64_FORMAT,
                                                                          refusal_calls[k].reason, count);

                                g_assert_cmpstr(audit_field(ev, "BIOGATE_CALLER_UID"), ==, "65534");
                                g_assert_cmpstr(audit_field(ev, "BIOGATE_UID"), ==, "65534");
                                g_assert_cmpstr(audit_field(ev, "BIOGATE_USER"), ==, NOBODY_NAME);
                                g_assert_cmpstr(audit_field(ev, "BIOGATE_OUTCOME"), ==, refusal_calls[k].outcome);
                                g_assert_cmpstr(audit_field(ev, "BIOGATE_REASON"), ==, reason);
                                g_assert_cmpuint(first, <=, last);
                                g_assert_cmpuint(last, <=, field_u64(ev, "BIOGATE_TIME"));
                                summed[k] += count;
                                summaries[k]++;
                        }
                }
        }
        for (guint k = 0; k < _REFUSAL_CALL_MAX; k++) {
                g_test_message("%s: %u events one by one, %u audit-suppressed counting %" G_GUINT64_FORMAT
                               " calls (%u window(s) of %u s)",
                               refusal_calls[k].event, individual[k], summaries[k], summed[k], windows,
                               REFUSAL_WINDOW_S);
                g_assert_cmpuint(individual[k], >=, REFUSAL_BURST);
                g_assert_cmpuint(individual[k], <=, windows * REFUSAL_BURST);
                g_assert_cmpuint(summaries[k], >=, 1);
                g_assert_cmpuint(summaries[k], <=, windows);
                /* Nothing lost: every call is one event or counted once. */
                g_assert_cmpuint(individual[k] + summed[k], ==, flood.calls[k]);
        }
        /* The whole trail stays small, and intact. */
        g_test_message("%u events in the journal", events->len);
        g_assert_cmpuint(events->len, <=, 20 + windows * _REFUSAL_CALL_MAX * (REFUSAL_BURST + 1));
        verified = audit_verify_directory(a, 0, NULL);
        g_assert_true(json_object_get_boolean_member(verified, "valid"));
        g_assert_cmpint(json_object_get_int_member(verified, "events-checked"), ==, (gint64) events->len);

        /* The report counts the summaries under the event they stand for,
         * and an erasure of nothing as no erasure. */
        report = audit_ctl_json(0, report_args);
        rows = json_object_get_array_member(report, "rows");
        for (guint i = 0; i < json_array_get_length(rows); i++) {
                JsonObject *row = json_array_get_object_element(rows, i);
                const char *user = json_object_get_string_member(row, "user");

                if (g_str_equal(user, NOBODY_NAME)) {
                        for (guint k = 0; k < _REFUSAL_CALL_MAX; k++)
                                reported[k] += json_count(row, "suppressed", refusal_calls[k].event);
                        nobody_erasures += json_object_get_int_member(row, "erasures");
                } else {
                        g_assert_cmpstr(user, ==, "root");
                        root_logins += json_object_get_int_member(row, "logins");
                        root_failed += json_object_get_int_member(row, "failed-matches");
                        root_approved += json_count(row, "stepups-approved", "withdrawals");
                }
        }
        for (guint k = 0; k < _REFUSAL_CALL_MAX; k++)
                g_assert_cmpint(reported[k], ==, (gint64) summed[k]);
        g_assert_cmpint(nobody_erasures, ==, 0);
        g_assert_cmpint(root_logins, ==, 1);
        g_assert_cmpint(root_failed, ==, 1);
        g_assert_cmpint(root_approved, ==, 1);
        table = audit_ctl(&status, table_args);
        btf_assert_exit_code(status, 0);
        g_assert_nonnull(strstr(table, "counted only: "));

        g_cond_clear(&flood.cond);
        g_mutex_clear(&flood.lock);
}

/* biogated refuses to start with @text as its biogate.conf, naming @key. */
static void assert_config_refused(AuditFixture *a, const char *text, const char *key) {
        g_autofree char *config_arg = g_strdup_printf("--config=%s", a->config);
        g_autofree char *state = g_build_filename(a->f.tmp, "state2", NULL);
        const char *args[] = { config_arg, NULL };
        BtfDaemonOptions options = { .daemon_path = BIOGATED_PATH, .state_dir = state, .extra_args = args };
        g_autoptr(GError) error = NULL;
        g_autofree char *log = NULL;
        int status = 0;

        g_assert_true(g_file_set_contents(a->config, text, -1, NULL));
        g_assert_true(btf_daemon_run_expect_exit(a->f.bus, &options, &status, &log, &error));
        g_assert_no_error(error);
        btf_assert_exit_code(status, 1);
        g_assert_nonnull(strstr(log, key));
}

/* The window as biogate.conf sets it: a window that ends while biogated
 * runs sends its summary then, the next call opens a new one, each uid has
 * its own, and out-of-range figures keep biogated from starting. */
static void test_evaluate_window(AuditFixture *a, gconstpointer data) {
        g_autoptr(GDBusConnection) nobody = NULL;
        g_autoptr(GPtrArray) events = NULL;
        g_autoptr(JsonObject) verified = NULL;
        g_autoptr(GError) error = NULL;
        const char *summary[] = { "SYSLOG_IDENTIFIER=biogated", "BIOGATE_EVENT=stepup-evaluate-suppressed", NULL };
        guint summaries = 0;

        audit_stop_daemon(a);
        a->config = g_build_filename(a->f.tmp, "biogate.conf", NULL);
        g_assert_true(g_file_set_contents(a->config, "[daemon]\nevaluate_audit_burst=2\nevaluate_audit_window_seconds=5\n",
                                          -1, NULL));
        audit_start_daemon(a);
        nobody = security_connect_as(&a->f, NOBODY, NOBODY);

        /* 2 logged, 3 counted; the window ends while biogated runs. */
        for (int i = 0; i < 5; i++) {
                g_autoptr(GVariant) reply = evaluate(nobody, tx_new("order", "100.00", "USD", "ACME Ltd"), &error);
                g_assert_no_error(error);
        }
        g_assert_true(btf_journald_wait_entries(a->journald, summary, 1, T, &error));
        g_assert_no_error(error);
        /* A new window: 2 logged, 1 counted (sent at exit, or when it
         * ends first); root's calls have a window of their own. */
        for (int i = 0; i < 3; i++) {
                g_autoptr(GVariant) reply = evaluate(nobody, tx_new("withdrawal", "250000.00", "USD", "ACME Ltd"), &error);
                g_assert_no_error(error);
        }
        {
                g_autoptr(GVariant) reply = evaluate(a->f.conn, tx_new("order", "100.00", "USD", "ACME Ltd"), &error);
                g_assert_no_error(error);
        }
        audit_stop_daemon(a);
        audit_sync_journal(a);
        events = audit_fixture_events(a);
        g_assert_cmpuint(audit_count_events(events, "BIOGATE_EVENT", "stepup-evaluate"), ==, 5);
        for (guint i = 0; i < events->len; i++) {
                GHashTable *e = events->pdata[i];

                if (g_strcmp0(audit_field(e, "BIOGATE_EVENT"), "stepup-evaluate-suppressed") != 0)
                        continue;
                g_assert_cmpstr(audit_field(e, "BIOGATE_CALLER_UID"), ==, "65534");
                /* In order: the first window's, then the second's. */
                g_assert_cmpstr(audit_field(e, "BIOGATE_COUNT"), ==, summaries == 0 ? "3" : "1");
                g_assert_cmpstr(audit_field(e, "BIOGATE_REASON"), ==, summaries == 0 ? "default=3" : "withdrawals=1");
                summaries++;
        }
        g_assert_cmpuint(summaries, ==, 2);
        g_assert_cmpuint(audit_count_events(events, "BIOGATE_CALLER_UID", "0") +
                                 audit_count_events(events, "BIOGATE_CALLER_UID", "65534"),
                         ==, events->len);
        verified = audit_verify_directory(a, 0, NULL);
        g_assert_true(json_object_get_boolean_member(verified, "valid"));

        /* Out of range: biogated refuses to start, naming the key. */
        assert_config_refused(a, "[daemon]\nevaluate_audit_window_seconds=0\n", "evaluate_audit_window_seconds");
        assert_config_refused(a, "[daemon]\nevaluate_audit_burst=10001\n", "evaluate_audit_burst");
}

/* The refusals' limit as biogate.conf sets it: per event and uid, with a
 * summary that names the event, counts by reason and carries the events'
 * outcome; a window that ends while biogated runs sends it then; root is
 * never counted; out-of-range figures keep biogated from starting. */
static void test_refusal_window(AuditFixture *a, gconstpointer data) {
        g_autoptr(GDBusConnection) root = g_object_ref(a->f.conn);
        g_autoptr(GDBusConnection) nobody = NULL;
        g_autoptr(GPtrArray) events = NULL;
        g_autoptr(JsonObject) verified = NULL;
        g_autoptr(GError) error = NULL;
        const char *summary[] = { "SYSLOG_IDENTIFIER=biogated", "BIOGATE_EVENT=audit-suppressed", NULL };
        static const struct {
                const char *event, *outcome, *count, *reason;
        } expected[] = {
                { "erase", "success", "3", "nothing to erase=3" },
                { "verify-error", "error", "1", "org.biogate1.Error.TimedOut=1" },
                { "stepup-deny", "denied", "1", "org.biogate1.Error.PolicyDenied=1" },
        };
        guint summaries = 0;

        audit_stop_daemon(a);
        a->config = g_build_filename(a->f.tmp, "biogate.conf", NULL);
        g_assert_true(g_file_set_contents(a->config, "[daemon]\nrefusal_audit_burst=2\nrefusal_audit_window_seconds=5\n",
                                          -1, NULL));
        audit_start_daemon(a);
        nobody = security_connect_as(&a->f, NOBODY, NOBODY);

        /* Erasures of nothing: 2 logged, 3 counted; the window ends while
         * biogated runs. */
        for (int i = 0; i < 5; i++) {
                g_autoptr(GVariant) reply = manager_call(nobody, "EraseUser", g_variant_new("(s)", ""), "(a{sv})", &error);
                g_assert_no_error(error);
        }
        g_assert_true(btf_journald_wait_entries(a->journald, summary, 1, T, &error));
        g_assert_no_error(error);
        /* Step-ups refused by the policy when asked: a window of their
         * own, 2 logged, 1 counted (sent at exit, or when it ends first). */
        a->f.conn = nobody;
        for (int i = 0; i < 3; i++)
                audit_denied_by_policy(a);
        /* Verifications that end without a touch (no finger within
         * timeout-ms=1): 2 logged, 1 counted, after an enrolment (logged). */
        enroll(&a->f, "", "right-index-finger", PRINT_ID);
        for (int i = 0; i < 3; i++) {
                GVariantDict options;
                g_autoptr(BtfOp) op = NULL;
                g_autofree char *result = NULL;

                g_variant_dict_init(&options, NULL);
                g_variant_dict_insert(&options, "timeout-ms", "u", 1u);
                op = start_op(nobody, "Verify", g_variant_new("(s@a{sv})", "", g_variant_dict_end(&options)), &error);
                g_assert_no_error(error);
                result = wait_finished(op, NULL);
                g_assert_cmpstr(result, ==, BIOGATE_RESULT_FAILED);
                release(nobody, op);
        }
        /* root's refusals are all logged. */
        a->f.conn = root;
        for (int i = 0; i < 3; i++) {
                g_autoptr(GVariant) reply = manager_call(root, "EraseUser", g_variant_new("(s)", ""), "(a{sv})", &error);
                g_assert_no_error(error);
        }
        audit_denied_by_policy(a);
        audit_stop_daemon(a);
        audit_sync_journal(a);
        events = audit_fixture_events(a);
        g_assert_cmpuint(audit_count_events(events, "BIOGATE_EVENT", "erase"), ==, 2 + 3);
        g_assert_cmpuint(audit_count_events(events, "BIOGATE_EVENT", "stepup-deny"), ==, 2 + 1);
        g_assert_cmpuint(audit_count_events(events, "BIOGATE_EVENT", "verify-error"), ==, 2);
        g_assert_cmpuint(audit_count_events(events, "BIOGATE_EVENT", "enroll"), ==, 1);
        for (guint i = 0; i < events->len; i++) {
                GHashTable *e = events->pdata[i];

                if (g_strcmp0(audit_field(e, "BIOGATE_EVENT"), "audit-suppressed") != 0)
                        continue;
                g_assert_cmpstr(audit_field(e, "BIOGATE_CALLER_UID"), ==, "65534");
                g_assert_cmpstr(audit_field(e, "BIOGATE_UID"), ==, "65534");
                /* In order: the erasures' window (ended), then at exit
                 * in event order: verify-error before stepup-deny. */
                g_assert_cmpstr(audit_field(e, "BIOGATE_SUPPRESSED_EVENT"), ==, expected[summaries].event);
                g_assert_cmpstr(audit_field(e, "BIOGATE_OUTCOME"), ==, expected[summaries].outcome);
                g_assert_cmpstr(audit_field(e, "BIOGATE_COUNT"), ==, expected[summaries].count);
                g_assert_cmpstr(audit_field(e, "BIOGATE_REASON"), ==, expected[summaries].reason);
                g_assert_cmpstr(audit_field(e, "MESSAGE_ID"), ==,
                                biogated_audit_event_message_id(audit_event_by_name("audit-suppressed")));
                summaries++;
        }
        g_assert_cmpuint(summaries, ==, G_N_ELEMENTS(expected));
        verified = audit_verify_directory(a, 0, NULL);
        g_assert_true(json_object_get_boolean_member(verified, "valid"));

        /* Out of range: biogated refuses to start, naming the key. */
        assert_config_refused(a, "[daemon]\nrefusal_audit_window_seconds=0\n", "refusal_audit_window_seconds");
        assert_config_refused(a, "[daemon]\nrefusal_audit_burst=10001\n", "refusal_audit_burst");
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add("/audit/" path, AuditFixture, NULL, audit_setup, fn, audit_teardown)
        ADD("events-name-caller", test_events_name_caller);
        ADD("flood", test_flood);
        ADD("flood-refusals", test_flood_refusals);
        ADD("evaluate-window", test_evaluate_window);
        ADD("refusal-window", test_refusal_window);
#undef ADD
        return g_test_run();
}
