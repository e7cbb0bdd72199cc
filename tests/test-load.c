/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The real daemon under load from many clients of several uids: every call
 * is answered, a probe from another client stays fast throughout, memory
 * and descriptors stay bounded; and one user flooding the daemon cannot
 * keep another from the sensor. The numbers measured go to the test log
 * (docs/design.md, "Load and fairness", quotes them). */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "security-fixture.h"

#define DEVICE_BUSY "org.biogate1.Error.DeviceBusy"

/* The users the clients run as: root and three unprivileged uids, each
 * with a finger enrolled, so that their verifications queue. */
static const struct {
        uid_t uid;
        const char *name;
        const char *finger_id;
} users[] = {
        { 0, "root", "load-root" },
        { NOBODY, "nobody", "load-nobody" },
        { 1, "daemon", "load-daemon" },
        { 2, "bin", "load-bin" },
};

static gboolean sanitized(void) {
        return g_getenv("BIOGATE_TEST_SANITIZED") != NULL;
}

/* A bound for a latency, with room for the sanitizers (about 3x slower)
 * and a loaded machine. */
static gint64 latency_bound_us(void) {
        return (sanitized() ? 6 : 2) * G_USEC_PER_SEC;
}

/* The daemon's environment: under AddressSanitizer, freed memory waits in a
 * quarantine of up to 256 MiB, which looks like growth; keep it small so
 * that RSS means what it says. Without ASan the variable is unused. */
static void load_setup(Fixture *f, gconstpointer data) {
        const char *asan = g_getenv("ASAN_OPTIONS");
        g_autofree char *env = g_strdup_printf("ASAN_OPTIONS=%s%squarantine_size_mb=1:thread_local_quarantine_size_kb=64",
                                               asan ? asan : "", asan && *asan ? ":" : "");
        const char *extra[] = { env, NULL };

        fixture_prepare(f, data);
        security_start_daemon(f, extra);
        for (gsize i = 0; i < G_N_ELEMENTS(users); i++)
                enroll(f, users[i].name, "right-index-finger", users[i].finger_id);
}

static GVariant *tx(guint n) {
        /* none, fingerprint and deny in turn. */
        static const char *const texts[] = {
                "{'kind': <'order'>, 'amount': <'12.50'>, 'currency': <'USD'>, 'instrument': <'ACME'>}",
                "{'kind': <'withdrawal'>, 'amount': <'25000.00'>, 'currency': <'USD'>, 'payee': <'ACME Ltd'>}",
                "{'kind': <'transfer'>, 'amount': <'5.00'>, 'currency': <'USD'>, 'payee': <'Sanctioned Co'>}",
        };
        g_autoptr(GError) error = NULL;
        GVariant *t = g_variant_parse(G_VARIANT_TYPE_VARDICT, texts[n % G_N_ELEMENTS(texts)], NULL, NULL, &error);

        g_assert_no_error(error);
        return g_variant_new_tuple(&t, 1);
}

/* ---- a probe: one client in its own thread, timing its calls ---- */

typedef struct {
        GDBusConnection *conn;
        const char *method;     /* "ListFingers" or "Evaluate" */
        GThread *thread;
        GMutex lock;
        GCond cond;
        gboolean stop;
        guint calls;
        gint64 max_us;
        gint64 total_us;
        char *failure;
} Probe;

static gpointer probe_thread(gpointer data) {
        Probe *p = data;

        g_mutex_lock(&p->lock);
        while (!p->stop) {
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) reply = NULL;
                gint64 start, took;

                g_mutex_unlock(&p->lock);
                start = g_get_monotonic_time();
                if (g_str_equal(p->method, "Evaluate"))
                        reply = g_dbus_connection_call_sync(p->conn, BIOGATE_BUS_NAME, BIOGATE_OBJECT_PATH,
                                                            BIOGATE_STEPUP_INTERFACE, "Evaluate", tx(1), NULL,
                                                            G_DBUS_CALL_FLAGS_NO_AUTO_START, 60000, NULL, &error);
                else
                        reply = g_dbus_connection_call_sync(p->conn, BIOGATE_BUS_NAME, BIOGATE_OBJECT_PATH,
                                                            BIOGATE_MANAGER_INTERFACE, "ListFingers",
                                                            g_variant_new("(s)", ""), NULL,
                                                            G_DBUS_CALL_FLAGS_NO_AUTO_START, 60000, NULL, &error);
                took = g_get_monotonic_time() - start;
                g_mutex_lock(&p->lock);
                if (!reply && !p->failure)
                        p->failure = g_strdup(error->message);
                p->calls++;
                p->total_us += took;
                p->max_us = MAX(p->max_us, took);
                /* One call every 50 ms: a person's pace, not a flood. */
                g_cond_wait_until(&p->cond, &p->lock, g_get_monotonic_time() + 50 * G_TIME_SPAN_MILLISECOND);
        }
        g_mutex_unlock(&p->lock);
        return NULL;
}

static Probe *probe_start(GDBusConnection *conn, const char *method) {
        Probe *p = g_new0(Probe, 1);

        p->conn = g_object_ref(conn);
        p->method = method;
        g_mutex_init(&p->lock);
        g_cond_init(&p->cond);
        p->thread = g_thread_new("probe", probe_thread, p);
        return p;
}

static void probe_stop(Probe *p) {
        g_mutex_lock(&p->lock);
        p->stop = TRUE;
        g_cond_signal(&p->cond);
        g_mutex_unlock(&p->lock);
        g_thread_join(p->thread);
}

static void probe_free(Probe *p) {
        g_object_unref(p->conn);
        g_mutex_clear(&p->lock);
        g_cond_clear(&p->cond);
        g_free(p->failure);
        g_free(p);
}

static void probe_assert(Probe *p, const char *what) {
        g_test_message("%s: %u calls, max %.1f ms, mean %.1f ms", what, p->calls, p->max_us / 1000.0,
                       p->calls ? p->total_us / 1000.0 / p->calls : 0.0);
        if (p->failure)
                g_error("%s failed: %s", what, p->failure);
        g_assert_cmpuint(p->calls, >, 0);
        if (p->max_us > latency_bound_us())
                g_error("%s took %.1f ms at worst (bound %.0f ms)", what, p->max_us / 1000.0,
                        latency_bound_us() / 1000.0);
}

/* ---- clients and their calls ---- */

typedef struct Load Load;

typedef struct {
        Load *load;
        GDBusConnection *conn;
        uid_t uid;
        GPtrArray *ops;         /* paths of operations this client started */
        guint subscription;
        guint remaining;        /* Evaluate and ListFingers calls still to make, one at a time */
} Client;

struct Load {
        GPtrArray *clients;
        guint pending;
        guint calls;
        guint busy;
        guint operations;
        guint finished;         /* flood: operations that ended on their own */
        GPtrArray *unexpected;  /* descriptions of wrong answers */
        gboolean flooding;
        guint verify_timeout_ms; /* of each verification asked for; 0: 500 */
        gboolean requeue_busy;  /* flood: ask again at once when refused */
        guint holding;          /* flood: its operations that got the sensor */
        guint preempted;        /* flood: its operations ended with DeviceBusy and retry-after-ms */
        char *preempted_message;
};

typedef enum {
        CALL_EVALUATE,
        CALL_LIST,
        CALL_VERIFY,
        CALL_RELEASE,
} CallKind;

typedef struct {
        Client *client;
        CallKind kind;
} Call;

static void issue(Client *c, CallKind kind);

static void call_done(GObject *source, GAsyncResult *res, gpointer user_data) {
        Call *call = user_data;
        Client *c = call->client;
        Load *load = c->load;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
        g_autofree char *remote = error ? g_dbus_error_get_remote_error(error) : NULL;
        CallKind kind = call->kind;

        g_free(call);
        load->pending--;
        load->calls++;
        if (kind == CALL_VERIFY && reply) {
                const char *path;

                g_variant_get(reply, "(&o)", &path);
                g_ptr_array_add(c->ops, g_strdup(path));
                load->operations++;
        } else if (kind == CALL_VERIFY && g_strcmp0(remote, DEVICE_BUSY) == 0) {
                load->busy++;
        } else if (!reply && !(kind == CALL_RELEASE && load->flooding)) {
                /* (A flooder may release an operation that already went.) */
                g_ptr_array_add(load->unexpected, g_strdup_printf("call %d of uid %u: %s", kind, (unsigned) c->uid,
                                                                  error->message));
        }
        /* A flood keeps every client's requests coming; otherwise each
         * client makes its calls one after the other, as a program would. */
        if (load->flooding && kind != CALL_RELEASE && (kind != CALL_VERIFY || !reply))
                issue(c, kind);
        else if (load->requeue_busy && kind == CALL_VERIFY && !reply)
                issue(c, kind);
        else if (!load->flooding && (kind == CALL_EVALUATE || kind == CALL_LIST) && c->remaining > 0) {
                c->remaining--;
                issue(c, c->remaining % 2 ? CALL_EVALUATE : CALL_LIST);
        }
}

static void issue(Client *c, CallKind kind) {
        Call *call = g_new0(Call, 1);
        const char *interface = BIOGATE_MANAGER_INTERFACE, *method;
        GVariant *args;

        call->client = c;
        call->kind = kind;
        switch (kind) {
        case CALL_EVALUATE:
                interface = BIOGATE_STEPUP_INTERFACE;
                method = "Evaluate";
                args = tx(c->load->calls);
                break;
        case CALL_LIST:
                method = "ListFingers";
                args = g_variant_new("(s)", "");
                break;
        case CALL_VERIFY:
                method = "Verify";
                /* A short scan time-out: a flooder's operations end on
                 * their own; those of the other test are released. */
                args = g_variant_new_parsed("('', {'timeout-ms': <%u>})",
                                            c->load->verify_timeout_ms ? c->load->verify_timeout_ms : 500u);
                break;
        default:
                g_assert_not_reached();
        }
        c->load->pending++;
        g_dbus_connection_call(c->conn, BIOGATE_BUS_NAME, BIOGATE_OBJECT_PATH, interface, method, args, NULL,
                               G_DBUS_CALL_FLAGS_NO_AUTO_START, 120000, NULL, call_done, call);
}

static void release_op(Client *c, const char *path) {
        Call *call = g_new0(Call, 1);

        call->client = c;
        call->kind = CALL_RELEASE;
        c->load->pending++;
        g_dbus_connection_call(c->conn, BIOGATE_BUS_NAME, path, BIOGATE_OPERATION_INTERFACE, "Release", NULL, NULL,
                               G_DBUS_CALL_FLAGS_NO_AUTO_START, 120000, NULL, call_done, call);
}

static void release_all(Load *load) {
        for (guint i = 0; i < load->clients->len; i++) {
                Client *c = load->clients->pdata[i];

                for (guint j = 0; j < c->ops->len; j++)
                        release_op(c, c->ops->pdata[j]);
                g_ptr_array_set_size(c->ops, 0);
        }
}

static gboolean on_deadline(gpointer user_data) {
        *(gboolean *) user_data = TRUE;
        return G_SOURCE_REMOVE;
}

/* How long answers may take under the load: the harness's time-out, three
 * times that under the sanitizers. */
static guint answers_deadline_ms(void) {
        return (guint) btf_timeout_default_ms() * (sanitized() ? 3 : 1);
}

/* Every call sent has its answer. */
static void wait_answers(Load *load, const char *what) {
        gboolean late = FALSE;
        guint id = g_timeout_add(answers_deadline_ms(), on_deadline, &late);

        while (load->pending > 0 && !late)
                g_main_context_iteration(NULL, TRUE);
        if (late)
                g_error("%s: %u calls still without an answer", what, load->pending);
        g_source_remove(id);
        if (load->unexpected->len > 0)
                g_error("%s: %u wrong answers, the first: %s", what, load->unexpected->len,
                        (const char *) load->unexpected->pdata[0]);
}

static Client *client_new(Fixture *f, Load *load, uid_t uid) {
        Client *c = g_new0(Client, 1);

        c->load = load;
        c->uid = uid;
        c->conn = security_connect_as(f, uid, uid);
        c->ops = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(load->clients, c);
        return c;
}

static void client_free(gpointer data) {
        Client *c = data;

        if (c->subscription)
                g_dbus_connection_signal_unsubscribe(c->conn, c->subscription);
        (void) g_dbus_connection_close_sync(c->conn, NULL, NULL);
        g_object_unref(c->conn);
        g_ptr_array_unref(c->ops);
        g_free(c);
}

static void load_init(Load *load) {
        load->clients = g_ptr_array_new_with_free_func(client_free);
        load->unexpected = g_ptr_array_new_with_free_func(g_free);
}

static void load_clear(Load *load) {
        g_ptr_array_unref(load->clients);
        g_ptr_array_unref(load->unexpected);
        g_free(load->preempted_message);
}

/* Waits until the daemon holds n descriptors (it closes the sensor a
 * moment after the last operation); returns the last count. */
static guint wait_daemon_fds(Fixture *f, guint n, guint timeout_ms) {
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
        ProcStats st;

        for (;;) {
                proc_stats(btf_daemon_get_pid(f->daemon), &st);
                if (st.n_fds == n || g_get_monotonic_time() > deadline)
                        return st.n_fds;
                iterate_for(20);
        }
}

/* The daemon's thread count once GLib's pools have let their idle workers
 * go: a worker waits half a second for more work, then at most two stay
 * (g_thread_pool's defaults). */
static guint wait_daemon_threads(Fixture *f, guint at_most, guint timeout_ms) {
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
        ProcStats st;

        for (;;) {
                proc_stats(btf_daemon_get_pid(f->daemon), &st);
                if (st.n_threads <= at_most || g_get_monotonic_time() > deadline)
                        return st.n_threads;
                iterate_for(100);
        }
}

/* The daemon's descriptors once nothing happens: the same count twice,
 * half a second apart. */
static guint settled_daemon_fds(Fixture *f) {
        ProcStats a, b;

        proc_stats(btf_daemon_get_pid(f->daemon), &a);
        for (guint i = 0; i < 40; i++) {
                iterate_for(500);
                proc_stats(btf_daemon_get_pid(f->daemon), &b);
                if (a.n_fds == b.n_fds)
                        return b.n_fds;
                a = b;
        }
        g_error("the daemon's descriptors never settled: %u", b.n_fds);
}

/* ---- 200-clients ---- */

#define N_CLIENTS 200
#define ROUNDS 3
#define CALLS_PER_CLIENT 10 /* of each of Evaluate and ListFingers, per round */
#define VERIFIERS_PER_ROUND (N_CLIENTS / 5)
/* The daemon's queue: the operation running and 8 waiting. */
#define QUEUE_PLACES 9

static void test_200_clients(Fixture *f, gconstpointer data) {
        pid_t pid = btf_daemon_get_pid(f->daemon);
        g_autoptr(GDBusConnection) probe_conn = NULL;
        g_autoptr(GError) error = NULL;
        ProcStats start, rounds[ROUNDS], end;
        Load load = { 0 };
        Probe *probe;
        gint64 t0, busy_time = 0;
        guint fds_before, fds_after, calls = 0;

        load_init(&load);
        fds_before = settled_daemon_fds(f);
        proc_stats(pid, &start);
        g_test_message("daemon before: %u fds, %u threads, RSS %" G_GUINT64_FORMAT " KiB", start.n_fds,
                       start.n_threads, start.rss_kib);

        for (guint i = 0; i < N_CLIENTS; i++)
                client_new(f, &load, users[i % G_N_ELEMENTS(users)].uid);
        probe_conn = security_connect_as(f, NOBODY, NOBODY);
        probe = probe_start(probe_conn, "ListFingers");

        for (guint r = 0; r < ROUNDS; r++) {
                guint calls_before = load.calls, operations_before = load.operations, busy_before = load.busy;
                guint operations_in_round, busy_in_round;

                t0 = g_get_monotonic_time();
                for (guint i = 0; i < load.clients->len; i++) {
                        Client *c = load.clients->pdata[i];

                        c->remaining = 2 * CALLS_PER_CLIENT - 1;
                        issue(c, CALL_EVALUATE);
                        /* One in five also wants the sensor: 40 at once for
                         * 8 places in the queue (VERIFIERS_PER_ROUND). */
                        if (i % 5 == 0)
                                issue(c, CALL_VERIFY);
                }
                wait_answers(&load, "the calls");
                release_all(&load);
                wait_answers(&load, "the releases");
                busy_time += g_get_monotonic_time() - t0;
                calls += load.calls - calls_before;
                (void) wait_daemon_fds(f, fds_before, 5000);
                proc_stats(pid, &rounds[r]);
                operations_in_round = load.operations - operations_before;
                busy_in_round = load.busy - busy_before;
                g_test_message("round %u: %u calls in %.2f s, %u verifications queued, %u DeviceBusy; daemon %u fds, "
                               "%u threads, RSS %" G_GUINT64_FORMAT " KiB",
                               r + 1, load.calls - calls_before, (g_get_monotonic_time() - t0) / 1e6,
                               operations_in_round, busy_in_round, rounds[r].n_fds, rounds[r].n_threads,
                               rounds[r].rss_kib);
                /* Per round, not in total (a total hides a later round that
                 * overflows, or refuses nothing): the queue took some, its
                 * limits held (8 waiting and the one running: everything of
                 * the last round was released), and refused the rest. */
                if (operations_in_round == 0 || operations_in_round > QUEUE_PLACES ||
                    operations_in_round + busy_in_round != VERIFIERS_PER_ROUND)
                        g_error("round %u: %u of %u verifications queued, %u DeviceBusy (places: %u)", r + 1,
                                operations_in_round, VERIFIERS_PER_ROUND, busy_in_round, QUEUE_PLACES);
                g_assert_cmpuint(busy_in_round, >, 0);
        }
        probe_stop(probe);
        probe_assert(probe, "ListFingers from another client during the load");
        probe_free(probe);

        g_test_message("throughput: %u calls in %.2f s: %.0f calls/s", calls, busy_time / 1e6,
                       calls / (busy_time / 1e6));
        /* Memory: what the first round needed is reused, not added to. */
        g_test_message("RSS after round 1: %" G_GUINT64_FORMAT " KiB, after round %u: %" G_GUINT64_FORMAT " KiB",
                       rounds[0].rss_kib, ROUNDS, rounds[ROUNDS - 1].rss_kib);
        g_assert_cmpuint(rounds[ROUNDS - 1].rss_kib, <=, rounds[0].rss_kib + 2048 + rounds[0].rss_kib / 10);

        /* Every client leaves: the daemon is back to its descriptors. */
        g_ptr_array_set_size(load.clients, 0);
        g_clear_object(&probe_conn);
        fds_after = wait_daemon_fds(f, fds_before, 10000);
        proc_stats(pid, &end);
        /* No thread left behind, beyond the few idle workers GLib keeps. */
        end.n_threads = wait_daemon_threads(f, start.n_threads + 4, 5000);
        g_test_message("daemon after: %u fds (before: %u), %u threads (before: %u), RSS %" G_GUINT64_FORMAT " KiB",
                       end.n_fds, fds_before, end.n_threads, start.n_threads, end.rss_kib);
        if (fds_after != fds_before) {
                g_autofree char *fds = proc_describe_fds(pid);
                g_error("the daemon holds %u descriptors, %u before the load: %s", fds_after, fds_before, fds);
        }
        if (end.n_threads > start.n_threads + 4) {
                g_autoptr(GString) names = g_string_new(NULL);
                g_autofree char *task_dir = g_strdup_printf("/proc/%d/task", (int) pid);
                g_autoptr(GDir) dir = g_dir_open(task_dir, 0, NULL);
                const char *tid;

                while (dir && (tid = g_dir_read_name(dir))) {
                        g_autofree char *comm_path = g_build_filename(task_dir, tid, "comm", NULL);
                        g_autofree char *comm = NULL;

                        if (g_file_get_contents(comm_path, &comm, NULL, NULL))
                                g_string_append_printf(names, " %s", g_strstrip(comm));
                }
                g_error("the daemon has %u threads, %u before the load:%s", end.n_threads, start.n_threads,
                        names->str);
        }
        load_clear(&load);
}

/* ---- flood-cannot-starve ---- */

#define N_FLOODERS 40
#define EVALUATES_IN_FLIGHT 4

static void on_flooder_signal(GDBusConnection *connection, const char *sender, const char *path,
                              const char *interface, const char *signal, GVariant *parameters, gpointer user_data) {
        Client *c = user_data;

        if (!g_str_equal(signal, "Finished") || !c->load->flooding)
                return;
        /* The flooder's operation timed out: release it, ask again. */
        c->load->finished++;
        release_op(c, path);
        for (guint i = 0; i < c->ops->len; i++)
                if (g_str_equal(c->ops->pdata[i], path)) {
                        g_ptr_array_remove_index_fast(c->ops, i);
                        break;
                }
        issue(c, CALL_VERIFY);
}

/* uid 65534 floods from 40 connections: each keeps a verification asked
 * for (again as soon as one ends or is refused) and 4 Evaluate calls in
 * flight. uid 1 still gets a place in the queue, its verification runs
 * and matches, and its Evaluate calls stay fast. */
static void test_flood_cannot_starve(Fixture *f, gconstpointer data) {
        g_autoptr(GDBusConnection) victim = NULL, victim_probe = NULL;
        g_autoptr(BtfOp) op = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *result = NULL;
        Load load = { 0 };
        Probe *probe;
        gint64 asked, served, flood_start, flood_end;
        guint flood_calls, busy_when_asked, busy_when_served, finished_when_asked, finished_when_served;

        load_init(&load);
        for (guint i = 0; i < N_FLOODERS; i++) {
                Client *c = client_new(f, &load, NOBODY);

                c->subscription = g_dbus_connection_signal_subscribe(c->conn, BIOGATE_BUS_NAME,
                                                                     BIOGATE_OPERATION_INTERFACE, "Finished", NULL, NULL,
                                                                     G_DBUS_SIGNAL_FLAGS_NONE, on_flooder_signal, c,
                                                                     NULL);
        }
        victim = security_connect_as(f, 1, 1);
        victim_probe = security_connect_as(f, 1, 1);

        load.flooding = TRUE;
        flood_start = g_get_monotonic_time();
        for (guint i = 0; i < load.clients->len; i++) {
                Client *c = load.clients->pdata[i];

                issue(c, CALL_VERIFY);
                for (guint k = 0; k < EVALUATES_IN_FLIGHT; k++)
                        issue(c, CALL_EVALUATE);
        }
        /* Until the flooder fills its share of the queue and is refused:
         * at once (two or three of its first 40 requests fit). Never would be a daemon
         * that stopped answering or queues without bound: say so rather
         * than wait for the harness to kill the test. */
        {
                gboolean late = FALSE;
                guint id = g_timeout_add(answers_deadline_ms(), on_deadline, &late);

                while (load.busy < 10 && !late)
                        g_main_context_iteration(NULL, TRUE);
                if (late)
                        g_error("the flood was not refused within %u ms: %u calls answered, %u DeviceBusy, %u "
                                "operations queued, %u wrong answers, the first: %s",
                                answers_deadline_ms(), load.calls, load.busy, load.operations, load.unexpected->len,
                                load.unexpected->len ? (const char *) load.unexpected->pdata[0] : "-");
                g_source_remove(id);
        }
        probe = probe_start(victim_probe, "Evaluate");

        busy_when_asked = load.busy;
        finished_when_asked = load.finished;
        asked = g_get_monotonic_time();
        op = start_op(victim, "Verify", g_variant_new("(sa{sv})", "", NULL), &error);
        g_assert_no_error(error); /* a place in the queue, not DeviceBusy */
        if (!btf_op_wait_progress(op, "finger-needed", 60000, NULL, &error))
                g_error("uid 1 never got the sensor: %s (flood: %u calls, %u DeviceBusy, %u operations, %u ended, %u "
                        "wrong answers, the first: %s)",
                        error->message, load.calls, load.busy, load.operations, load.finished, load.unexpected->len,
                        load.unexpected->len ? (const char *) load.unexpected->pdata[0] : "-");
        served = g_get_monotonic_time();
        busy_when_served = load.busy;
        finished_when_served = load.finished;
        touch(f, "load-daemon");
        result = wait_finished(op, NULL);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
        release(victim, op);

        probe_stop(probe);
        load.flooding = FALSE;
        flood_end = g_get_monotonic_time();
        flood_calls = load.calls;
        wait_answers(&load, "the flood");
        release_all(&load);
        wait_answers(&load, "the releases");

        g_test_message("flood: %u calls from %u connections of uid %u in %.2f s (%.0f calls/s), %u DeviceBusy, "
                       "%u of its verifications timed out in turn",
                       flood_calls, N_FLOODERS, (unsigned) NOBODY, (flood_end - flood_start) / 1e6,
                       flood_calls / ((flood_end - flood_start) / 1e6), load.busy, load.finished);
        g_test_message("uid 1 waited %.2f s for the sensor, while %u of the flood's verifications ended and %u "
                       "were refused", (served - asked) / 1e6, finished_when_served - finished_when_asked,
                       busy_when_served - busy_when_asked);
        probe_assert(probe, "Evaluate of uid 1 during the flood");
        probe_free(probe);
        /* Behind at most the running operation and the flooder's two
         * queued ones, 500 ms of waiting for a finger each, and the
         * sensor's work between them, slowed by the flood (about 5 s in
         * the plain build on two cores). */
        g_assert_cmpint(served - asked, <, (sanitized() ? 50 : 30) * G_USEC_PER_SEC);
        /* And the flood was real while uid 1 waited: the flooder held the
         * sensor and the places before it (operations of its own ended
         * first; uid 1 did not merely find the sensor idle), and it kept
         * being refused all along (it never stopped pressing). */
        g_assert_cmpuint(finished_when_served, >, finished_when_asked);
        g_assert_cmpuint(busy_when_served, >, busy_when_asked);
        load_clear(&load);
}

/* ---- sensor-flood-login ---- */

#define N_LOGIN_FLOODERS 6
/* The flooder's verifications hold the sensor as long as an unprivileged
 * caller may (60 s): behind them, first come first served, a login waits
 * minutes. */
#define FLOOD_TIMEOUT_MS 60000u

static void on_holder_signal(GDBusConnection *connection, const char *sender, const char *path,
                             const char *interface, const char *signal, GVariant *parameters, gpointer user_data) {
        Client *c = user_data;
        Load *load = c->load;
        const char *name;
        g_autoptr(GVariant) details = NULL;

        g_variant_get(parameters, "(&s@a{sv})", &name, &details);
        if (g_str_equal(signal, "Progress") && g_str_equal(name, "finger-needed")) {
                load->holding++;
                return;
        }
        if (!g_str_equal(signal, "Finished") || !load->flooding)
                return;
        {
                const char *error = NULL, *message = NULL;
                guint64 retry_after_ms = 0;

                if (g_variant_lookup(details, "error", "&s", &error) && g_str_equal(error, DEVICE_BUSY) &&
                    g_variant_lookup(details, "retry-after-ms", "t", &retry_after_ms) && retry_after_ms > 0) {
                        load->preempted++;
                        if (!load->preempted_message && g_variant_lookup(details, "message", "&s", &message))
                                load->preempted_message = g_strdup(message);
                }
        }
        release_op(c, path);
        for (guint i = 0; i < c->ops->len; i++)
                if (g_str_equal(c->ops->pdata[i], path)) {
                        g_ptr_array_remove_index_fast(c->ops, i);
                        break;
                }
        load->finished++;
        issue(c, CALL_VERIFY);
}

static void wait_until(Load *load, const guint *counter, guint at_least, const char *what) {
        gboolean late = FALSE;
        guint id = g_timeout_add(answers_deadline_ms(), on_deadline, &late);

        while (*counter < at_least && !late)
                g_main_context_iteration(NULL, TRUE);
        if (late)
                g_error("%s: not within %u ms (%u calls, %u DeviceBusy, %u operations, %u holding, %u wrong answers, "
                        "the first: %s)",
                        what, answers_deadline_ms(), load->calls, load->busy, load->operations, load->holding,
                        load->unexpected->len, load->unexpected->len ? (const char *) load->unexpected->pdata[0] : "-");
        g_source_remove(id);
}

/* uid 65534 floods Verify from several connections, each asking again as
 * soon as it is refused or its operation ends, and its verifications hold
 * the sensor as long as they may. A login (root, with the PAM service, as
 * gdm or login call) for uid 1 gets the sensor within the bound, taking it
 * from the flooder, whose operation ends with DeviceBusy and retry-after-ms;
 * one touch matches. uid 2 asking with service=login just before gets no
 * priority: the login still goes first. */
static void test_sensor_flood_login(Fixture *f, gconstpointer data) {
        g_autoptr(GDBusConnection) gdm = NULL, pretender = NULL;
        g_autoptr(BtfOp) login = NULL, pretend = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *result = NULL;
        g_autoptr(GVariant) details = NULL;
        Load load = { .verify_timeout_ms = FLOOD_TIMEOUT_MS, .requeue_busy = TRUE };
        gint64 asked, served, bound = latency_bound_us();
        guint busy_when_asked, flood_calls;

        load_init(&load);
        for (guint i = 0; i < N_LOGIN_FLOODERS; i++) {
                Client *c = client_new(f, &load, NOBODY);

                c->subscription = g_dbus_connection_signal_subscribe(c->conn, BIOGATE_BUS_NAME,
                                                                     BIOGATE_OPERATION_INTERFACE, NULL, NULL, NULL,
                                                                     G_DBUS_SIGNAL_FLAGS_NONE, on_holder_signal, c,
                                                                     NULL);
        }
        gdm = security_connect_as(f, 0, 0);
        pretender = security_connect_as(f, 2, 2);

        load.flooding = TRUE;
        for (guint i = 0; i < load.clients->len; i++)
                issue(load.clients->pdata[i], CALL_VERIFY);
        /* The flooder holds the sensor, fills its share of the queue and
         * keeps being refused. */
        wait_until(&load, &load.holding, 1, "the flooder never got the sensor");
        wait_until(&load, &load.busy, 200, "the flood was never refused");

        /* uid 2 claims to be a login: it must queue like anyone. */
        pretend = start_op(pretender, "Verify", g_variant_new_parsed("('', {'service': <'login'>})"), &error);
        g_assert_no_error(error);

        busy_when_asked = load.busy;
        asked = g_get_monotonic_time();
        login = start_op(gdm, "Verify", g_variant_new_parsed("('daemon', {'service': <'login'>})"), &error);
        g_assert_no_error(error);
        if (!btf_op_wait_progress(login, "finger-needed", (int) (bound / 1000), NULL, &error))
                g_error("the login did not get the sensor within %" G_GINT64_FORMAT " ms: %s (flood: %u calls, %u "
                        "DeviceBusy, %u of its operations held the sensor, %u ended)",
                        bound / 1000, error->message, load.calls, load.busy, load.holding, load.finished);
        served = g_get_monotonic_time();
        g_test_message("the login got the sensor after %.0f ms (bound %" G_GINT64_FORMAT " ms), while the flood "
                       "was refused %u times", (served - asked) / 1e3, bound / 1000, load.busy - busy_when_asked);
        /* The pretender is still waiting: had it been taken for a login, it
         * would have taken the sensor first, and this login could not have
         * taken it from another login. */
        if (btf_op_count_progress(pretend, "finger-needed") != 0)
                g_error("uid 2 passing service=login got the sensor before the login: %s",
                        btf_op_describe(pretend));

        touch(f, "load-daemon");
        result = wait_finished(login, &details);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
        g_assert_cmpstr(detail_string(details, "user"), ==, "daemon");
        release(gdm, login);

        /* The flooder's operation that held the sensor ended with a clear,
         * retryable reason. */
        wait_until(&load, &load.preempted, 1, "no flooder operation ended with DeviceBusy and retry-after-ms");
        g_test_message("preempted flooder operation: %s", load.preempted_message);
        g_assert_nonnull(strstr(load.preempted_message, "login"));
        {
                /* And the daemon says so in its log, naming both. */
                g_autofree char *log = btf_daemon_read_log(f->daemon);
                g_autofree char *line = g_strdup_printf("A login for uid 1 preempts the operation of uid %u",
                                                        (unsigned) NOBODY);

                if (!strstr(log, line))
                        g_error("no \"%s\" in the daemon's log", line);
        }

        load.flooding = FALSE;
        load.requeue_busy = FALSE;
        flood_calls = load.calls;
        release(pretender, pretend);
        wait_answers(&load, "the flood");
        release_all(&load);
        wait_answers(&load, "the releases");
        g_test_message("flood: %u calls from %u connections of uid %u, %u DeviceBusy, %u operations ended", flood_calls,
                       N_LOGIN_FLOODERS, (unsigned) NOBODY, load.busy, load.finished);
        /* The flood was real while the login waited. */
        g_assert_cmpuint(load.busy, >, busy_when_asked);
        load_clear(&load);
}

/* ---- sensor-time-budget ---- */

#define BUDGET_SECONDS 2
#define BUDGET_WINDOW_SECONDS 8

static void budget_setup(Fixture *f, gconstpointer data) {
        g_autofree char *conf = NULL, *conf_arg = NULL;
        const char *args[2];

        fixture_prepare(f, data);
        conf = g_build_filename(f->tmp, "biogate.conf", NULL);
        conf_arg = g_strdup_printf("--config=%s", conf);
        g_assert_true(g_file_set_contents(conf,
                                          "[daemon]\n"
                                          "sensor_budget_seconds=" G_STRINGIFY(BUDGET_SECONDS) "\n"
                                          "sensor_budget_window_seconds=" G_STRINGIFY(BUDGET_WINDOW_SECONDS) "\n",
                                          -1, NULL));
        g_assert_cmpint(chmod(conf, 0644), ==, 0);
        args[0] = conf_arg;
        args[1] = NULL;
        fixture_start_daemon(f, args);
        enroll(f, "nobody", "right-index-finger", "load-nobody");
        enroll(f, "daemon", "right-index-finger", "load-daemon");
}

/* One uid's sensor time within the window is bounded: uid 65534 holds the
 * sensor without touching it and its verification is ended once its 2 s
 * of 8 s are spent, with DeviceBusy and retry-after-ms; asking again is
 * refused with DeviceBusy and when to retry; uid 1 still gets the sensor
 * and matches; once the time given has passed, uid 65534 gets it again. */
static void test_sensor_time_budget(Fixture *f, gconstpointer data) {
        g_autoptr(GDBusConnection) nobody = security_connect_as(f, NOBODY, NOBODY);
        g_autoptr(GDBusConnection) other = security_connect_as(f, 1, 1);
        g_autoptr(BtfOp) op = NULL, again = NULL, others = NULL;
        g_autoptr(GVariant) details = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *result = NULL, *remote = NULL;
        guint64 retry_after_ms = 0, refused_retry_ms = 0;
        /* Room for cancelling and reporting on a loaded machine; still far
         * below the 15 s the verification would last without the budget. */
        gint64 got, ended, held, slack = (sanitized() ? 6 : 3) * G_USEC_PER_SEC;
        const char *at;

        /* Much longer than the budget: only the budget can end it early. */
        op = start_op(nobody, "Verify", g_variant_new_parsed("('', {'timeout-ms': <uint32 15000>})"), &error);
        g_assert_no_error(error);
        wait_finger_needed(op);
        got = g_get_monotonic_time();
        result = wait_finished(op, &details);
        ended = g_get_monotonic_time();
        held = ended - got;
        g_test_message("uid %u held the sensor %.2f s (budget %d s in %d s), then: %s %s", (unsigned) NOBODY,
                       held / 1e6, BUDGET_SECONDS, BUDGET_WINDOW_SECONDS, result, detail_string(details, "message"));
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_FAILED);
        g_assert_cmpstr(detail_string(details, "error"), ==, DEVICE_BUSY);
        g_assert_true(g_variant_lookup(details, "retry-after-ms", "t", &retry_after_ms));
        g_assert_cmpuint(retry_after_ms, >, 0);
        g_assert_cmpuint(retry_after_ms, <=, BUDGET_WINDOW_SECONDS * 1000);
        /* The budget, give or take the time to cancel and report. */
        g_assert_cmpint(held, <=, BUDGET_SECONDS * G_USEC_PER_SEC + slack);
        /* Not cut at once either (the signal that it began may come late). */
        g_assert_cmpint(held, >=, BUDGET_SECONDS * G_USEC_PER_SEC / 2);
        release(nobody, op);

        /* Over the budget: refused at once, with when to come back. */
        again = start_op(nobody, "Verify", g_variant_new_parsed("('', {'timeout-ms': <uint32 15000>})"), &error);
        g_assert_null(again);
        assert_dbus_error(error, DEVICE_BUSY);
        remote = g_strdup(error->message);
        at = strstr(remote, "retry after ");
        g_assert_nonnull(at);
        refused_retry_ms = g_ascii_strtoull(at + strlen("retry after "), NULL, 10);
        g_test_message("asking again: %s", remote);
        g_assert_cmpuint(refused_retry_ms, >, 0);
        g_assert_cmpuint(refused_retry_ms, <=, BUDGET_WINDOW_SECONDS * 1000);
        g_clear_error(&error);

        /* Another uid is not affected. */
        g_clear_pointer(&result, g_free);
        g_clear_pointer(&details, g_variant_unref);
        result = verify_with(f, other, "", "load-daemon", &details);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);

        /* The refusal lasts as long as it said, not for ever: the budget
         * is a window in time, so this waits for time to pass. */
        iterate_for((guint) refused_retry_ms + 100);
        again = start_op(nobody, "Verify", g_variant_new_parsed("('', {'timeout-ms': <uint32 15000>})"), &error);
        g_assert_no_error(error);
        wait_finger_needed(again);
        release(nobody, again);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

        g_test_add("/load/200-clients", Fixture, NULL, load_setup, test_200_clients, fixture_teardown);
        g_test_add("/load/flood-cannot-starve", Fixture, NULL, load_setup, test_flood_cannot_starve,
                   fixture_teardown);
        g_test_add("/load/sensor-flood-login", Fixture, NULL, load_setup, test_sensor_flood_login, fixture_teardown);
        g_test_add("/load/sensor-time-budget", Fixture, NULL, budget_setup, test_sensor_time_budget,
                   fixture_teardown);
        return g_test_run();
}
