/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* biogate-bench: the measuring half of bench/run. Each command prints
 * "key=value" numbers on one line; bench/run collects them into the table.
 * It is a program, not a test: nothing here asserts a time.
 *
 *   biogate-bench evaluate CLIENTS SECONDS
 *       StepUp.Evaluate decisions/s, CLIENTS threads each on its own bus
 *       connection (sd-bus), each with one call in flight (what a desk's
 *       backend connections do).
 *   biogate-bench stepup SOCKET SCAN-ID ITERATIONS
 *       Manager.Verify and StepUp.Authorize through libbiogate, interleaved, each with the
 *       virtual sensor touched the moment the daemon opens it (SOCKET "-":
 *       by a running toucher, on finger-needed): call → result in ms.
 *       Authorize minus Verify is what step-up adds to a match.
 *   biogate-bench tokens SECONDS
 *       In-process token sign and verify per second (libbiogate-stepup).
 *   biogate-bench activate NAME PATH INTERFACE METHOD
 *       With NAME not running: ms from StartServiceByName to its reply (the
 *       name is owned), then to the reply of a first METHOD call (no args).
 *   biogate-bench calls COUNT NAME PATH INTERFACE METHOD [STRING-ARG]
 *       COUNT calls of METHOD, one after the other: a load for RSS figures.
 *   biogate-bench touch SOCKET DELAY-MS COMMAND...
 *       Sends each COMMAND to the virtual sensor, the first DELAY-MS after
 *       it opens (remove SOCKET before starting the operation) (for fprintd's clients, which lose a result that comes
 *       before their VerifyStart reply: see docs/performance.md).
 *   biogate-bench toucher SOCKET SCAN-ID
 *       The resident toucher: a bus monitor that touches the virtual sensor
 *       (SCAN SCAN-ID) the moment a daemon asks for a finger, biogated's
 *       Progress("finger-needed") or fprintd's VerifyFingerSelected, the
 *       same way for both. Prints "touch DAEMON MONOTONIC-US" per touch
 *       and runs until killed.
 *   biogate-bench login ROUNDS USER SERVICE...
 *       ROUNDS rounds of pam_start + pam_authenticate + pam_end for each
 *       SERVICE in turn, in this one process (hot: libraries loaded, as in
 *       a display manager or sudo run twice). Prints "login SERVICE
 *       START-US END-US" (CLOCK_MONOTONIC, comparable with the toucher's),
 *       round 0 left out as a warm-up; "failed SERVICE" for a login that
 *       did not succeed. Under pam_wrapper.
 *   biogate-bench verifies COUNT
 *       COUNT Manager.Verify operations one after another through
 *       libbiogate, touched by a running toucher: a load for RSS figures.
 *
 * The bus is the system bus (DBUS_SYSTEM_BUS_ADDRESS: bench/run's private
 * one). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gio/gio.h>
#include <security/pam_appl.h>
#include <sodium.h>
#include <systemd/sd-bus.h>

#include "biogate.h"
#include "biogate-token.h"
#include "biogate-tx.h"

#define BIOGATE_NAME "org.biogate1"
#define BIOGATE_PATH "/org/biogate1"
#define STEPUP_INTERFACE "org.biogate1.StepUp"
#define CALL_TIMEOUT_MS 30000

static G_NORETURN void die(const char *what, const GError *error) {
        fprintf(stderr, "biogate-bench: %s%s%s\n", what, error ? ": " : "", error ? error->message : "");
        exit(EXIT_FAILURE);
}

static double ms_since(gint64 start) {
        return (double) (g_get_monotonic_time() - start) / 1000.0;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
static double percentile(const double *sorted, size_t n, double p) {
        size_t rank = (size_t) (p / 100.0 * (double) n + 0.999999);

        if (rank < 1)
                rank = 1;
        return sorted[MIN(rank, n) - 1];
}

/* A private connection per caller: shared connections would serialise the
 * clients in one GDBus worker and measure that instead of the daemon. */
static GDBusConnection *bus_connect(void) {
        g_autoptr(GError) error = NULL;
        g_autofree char *address = g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
        GDBusConnection *bus;

        if (!address)
                die("no system bus address", error);
        bus = g_dbus_connection_new_for_address_sync(address,
                                                     G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                     G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                     NULL, NULL, &error);
        if (!bus)
                die("cannot connect to the system bus", error);
        return bus;
}

/* The demo's transaction: the vendor policy asks a fingerprint for it. */
static GVariant *transaction_new(gboolean with_challenge) {
        GVariantBuilder b;

        g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add(&b, "{sv}", "kind", g_variant_new_string("withdrawal"));
        g_variant_builder_add(&b, "{sv}", "amount", g_variant_new_string("250000.00"));
        g_variant_builder_add(&b, "{sv}", "currency", g_variant_new_string("USD"));
        g_variant_builder_add(&b, "{sv}", "payee", g_variant_new_string("ACME Ltd"));
        g_variant_builder_add(&b, "{sv}", "reference", g_variant_new_string("T-1001"));
        if (with_challenge) {
                guint8 challenge[32];

                /* A fresh one each time, as a backend would send. */
                randombytes_buf(challenge, sizeof challenge);
                g_variant_builder_add(&b, "{sv}", "challenge",
                                      g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, challenge, sizeof challenge, 1));
        }
        return g_variant_builder_end(&b);
}

/* ---- evaluate ---- */

typedef struct EvalClient {
        GThread *thread;
        gint64 deadline;
        guint64 calls;
        gint *start_gate;
} EvalClient;

/* The load generator is on sd-bus, as a lean backend would be: each
 * thread blocks on its own connection. GDBus would run all eight
 * connections through one worker thread of this process and spend about
 * as much CPU per call as the daemon does, which on a two-core machine is
 * CPU taken from the daemon and dbus-daemon. */
static int eval_call(sd_bus *bus) {
        __attribute__((cleanup(sd_bus_message_unrefp))) sd_bus_message *m = NULL, *reply = NULL;
        __attribute__((cleanup(sd_bus_error_free))) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, BIOGATE_NAME, BIOGATE_PATH, STEPUP_INTERFACE, "Evaluate");
        if (r >= 0)
                r = sd_bus_message_set_auto_start(m, 0);
        if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 5, "kind", "s", "withdrawal", "amount", "s", "250000.00",
                                          "currency", "s", "USD", "payee", "s", "ACME Ltd", "reference", "s",
                                          "T-1001");
        if (r >= 0)
                r = sd_bus_call(bus, m, (uint64_t) CALL_TIMEOUT_MS * 1000, &error, &reply);
        if (r >= 0)
                r = sd_bus_message_skip(reply, "ssa{sv}");
        if (r < 0)
                fprintf(stderr, "biogate-bench: Evaluate failed: %s\n",
                        sd_bus_error_is_set(&error) ? error.message : g_strerror(-r));
        return r;
}

static gpointer eval_client_run(gpointer data) {
        EvalClient *c = data;
        __attribute__((cleanup(sd_bus_flush_close_unrefp))) sd_bus *bus = NULL;

        if (sd_bus_open_system(&bus) < 0)
                die("cannot connect to the system bus", NULL);
        /* Connected: wait for the others, so all of them run the whole time. */
        g_atomic_int_dec_and_test(c->start_gate);
        while (g_atomic_int_get(c->start_gate) > 0)
                g_usleep(100);
        while (g_get_monotonic_time() < c->deadline) {
                if (eval_call(bus) < 0)
                        exit(EXIT_FAILURE);
                c->calls++;
        }
        return NULL;
}

static double evaluate_rate(guint clients, double seconds) {
        g_autofree EvalClient *c = g_new0(EvalClient, clients);
        gint gate = (gint) clients;
        gint64 start, deadline;
        guint64 calls = 0;

        /* The deadline is set once all are connected: see eval_client_run(). */
        for (guint i = 0; i < clients; i++)
                c[i].start_gate = &gate;
        deadline = g_get_monotonic_time() + (gint64) (seconds * G_USEC_PER_SEC) + G_USEC_PER_SEC;
        for (guint i = 0; i < clients; i++) {
                c[i].deadline = deadline;
                c[i].thread = g_thread_new("evaluate", eval_client_run, &c[i]);
        }
        while (g_atomic_int_get(&gate) > 0)
                g_usleep(100);
        start = g_get_monotonic_time();
        for (guint i = 0; i < clients; i++) {
                g_thread_join(c[i].thread);
                calls += c[i].calls;
        }
        return (double) calls / ((double) (g_get_monotonic_time() - start) / G_USEC_PER_SEC);
}

static int cmd_evaluate(int argc, char **argv) {
        guint clients;
        double seconds, rate;

        if (argc != 2)
                die("usage: evaluate CLIENTS SECONDS", NULL);
        clients = (guint) strtoul(argv[0], NULL, 10);
        seconds = g_ascii_strtod(argv[1], NULL);
        if (clients < 1 || clients > 64 || seconds <= 0)
                die("evaluate: CLIENTS is 1..64, SECONDS > 0", NULL);
        (void) evaluate_rate(clients, 0.2);     /* warm up: page in, caches */
        rate = evaluate_rate(clients, seconds);
        printf("evaluate clients=%u per_second=%.0f\n", clients, rate);
        return EXIT_SUCCESS;
}

/* ---- the virtual sensor ---- */

typedef struct Toucher {
        GThread *thread;
        char *socket_path;
        char **commands;
        int inotify_fd;
        guint delay_ms;
} Toucher;

static int vdev_try_connect(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return -errno;
        g_strlcpy(sa.sun_path, path, sizeof sa.sun_path);
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                int e = errno;

                close(fd);
                return -e;
        }
        return fd;
}

/* The finger lands the moment the driver listens: wait for its socket with
 * inotify (no polling delay in the figures), then connect; between bind()
 * and listen() a connect is refused for a few instructions, so retry that. */
static gpointer toucher_run(gpointer data) {
        Toucher *t = data;
        gint64 deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;

        for (char **command = t->commands; *command; command++) {
                size_t len = strlen(*command), off = 0;
                char buf[256];
                int fd;

                for (;;) {
                        fd = vdev_try_connect(t->socket_path);
                        if (fd >= 0)
                                break;
                        if (g_get_monotonic_time() > deadline)
                                die("the virtual sensor never opened", NULL);
                        if (fd == -ECONNREFUSED) {
                                g_thread_yield();
                                continue;
                        }
                        if (fd != -ENOENT)
                                die("cannot connect to the virtual sensor", NULL);
                        /* Bounded, so the deadline above is seen even when
                         * nothing happens in the directory. */
                        if (poll(&(struct pollfd) { .fd = t->inotify_fd, .events = POLLIN }, 1, 100) > 0)
                                (void) read(t->inotify_fd, buf, sizeof buf);
                }
                if (command == t->commands && t->delay_ms)
                        g_usleep((gulong) t->delay_ms * 1000);
                while (off < len) {
                        ssize_t n = send(fd, *command + off, len - off, MSG_NOSIGNAL);

                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0)
                                die("cannot write to the virtual sensor", NULL);
                        off += (size_t) n;
                }
                /* The driver reads until EOF; it closes once it took the
                 * command, and only then may the next one connect. */
                (void) shutdown(fd, SHUT_WR);
                while (read(fd, buf, sizeof buf) > 0)
                        ;
                close(fd);
        }
        return NULL;
}

/* The caller removes the socket of the last operation before the daemon
 * may open the sensor again: a stale one would take the touch, and
 * removing it here could race with the daemon creating the new one. */
static Toucher *toucher_start(const char *socket_path, const char *const *commands, guint delay_ms) {
        Toucher *t = g_new0(Toucher, 1);
        g_autofree char *dir = g_path_get_dirname(socket_path);

        t->socket_path = g_strdup(socket_path);
        t->commands = g_strdupv((char **) commands);
        t->delay_ms = delay_ms;
        /* Blocking reads: each event (or the timeout of none) re-checks. */
        t->inotify_fd = inotify_init1(IN_CLOEXEC);
        if (t->inotify_fd < 0 || inotify_add_watch(t->inotify_fd, dir, IN_CREATE | IN_MOVED_TO) < 0)
                die("inotify failed", NULL);
        t->thread = g_thread_new("touch", toucher_run, t);
        return t;
}

static void toucher_join(Toucher *t) {
        g_thread_join(t->thread);
        close(t->inotify_fd);
        g_free(t->socket_path);
        g_strfreev(t->commands);
        g_free(t);
}

/* ---- operations: Verify, Authorize ---- */

/* One operation, its touch sent at once: ms from the call to its result.
 * It runs on libbiogate, as a real client does: the figure includes the
 * library's name-owner look-up and its Operation proxy. */
static double run_operation(BiogateClient *client, const char *kind, GVariant *transaction,
                            const char *socket_path, const char *scan, const char *want_result, char **ret_token) {
        g_autoptr(BiogateOperation) op = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *result = NULL;
        Toucher *toucher = NULL;
        gint64 start;
        double ms;

        /* "-": a resident toucher (biogate-bench toucher) touches on the
         * daemon's finger-needed. */
        if (!g_str_equal(socket_path, "-")) {
                if (unlink(socket_path) < 0 && errno != ENOENT)
                        die("cannot remove the old sensor socket", NULL);
                toucher = toucher_start(socket_path, (const char *const[]) { scan, NULL }, 0);
        }
        start = g_get_monotonic_time();
        if (transaction)
                op = biogate_client_authorize(client, transaction, NULL, NULL);
        else
                op = biogate_client_verify(client, NULL, NULL, NULL);
        /* The library subscribes before its call and releases the
         * daemon's object once it has the result. */
        result = biogate_operation_wait_sync(op, NULL, &error);
        ms = ms_since(start);
        if (toucher)
                toucher_join(toucher);
        if (!result)
                die(kind, error);

        if (!g_str_equal(result, want_result)) {
                g_autofree char *d = g_variant_print(biogate_operation_get_result_details(op), FALSE);

                fprintf(stderr, "biogate-bench: %s finished with %s %s\n", kind, result, d);
                exit(EXIT_FAILURE);
        }
        if (ret_token) {
                if (!biogate_operation_get_token(op))
                        die("Authorize approved without a token", NULL);
                *ret_token = g_strdup(biogate_operation_get_token(op));
        }
        return ms;
}

static void print_stats(const char *what, double *v, size_t n) {
        qsort(v, n, sizeof *v, cmp_double);
        printf("%s n=%zu median_ms=%.2f p95_ms=%.2f min_ms=%.2f\n", what, n, percentile(v, n, 50),
               percentile(v, n, 95), v[0]);
}

static int cmd_stepup(int argc, char **argv) {
        g_autoptr(GDBusConnection) bus = NULL;
        g_autoptr(BiogateClient) client = NULL;
        g_autofree double *verify = NULL, *authorize = NULL;
        g_autofree char *scan = NULL;
        guint n;

        if (argc != 3)
                die("usage: stepup SOCKET SCAN-ID ITERATIONS", NULL);
        n = (guint) strtoul(argv[2], NULL, 10);
        if (n < 1)
                die("stepup: ITERATIONS >= 1", NULL);
        scan = g_strdup_printf("SCAN %s", argv[1]);
        bus = bus_connect();
        client = biogate_client_new_for_connection(bus);
        verify = g_new(double, n);
        authorize = g_new(double, n);
        for (guint i = 0; i <= n; i++) {
                g_autofree char *token = NULL;
                double v, a;

                /* Interleaved, so drift in the machine's load hits both. */
                v = run_operation(client, "Verify", NULL, argv[0], scan, "match", NULL);
                a = run_operation(client, "Authorize", transaction_new(TRUE), argv[0], scan, "approved", &token);
                /* Round 0 warms up (first open of the sensor, key loading). */
                if (i > 0) {
                        verify[i - 1] = v;
                        authorize[i - 1] = a;
                }
        }
        print_stats("verify", verify, n);
        print_stats("authorize", authorize, n);
        /* Medians of the sorted arrays (print_stats sorted them). */
        printf("authorize_overhead median_ms=%.2f\n", percentile(authorize, n, 50) - percentile(verify, n, 50));
        return EXIT_SUCCESS;
}

/* ---- tokens ---- */

static JsonObject *claims_new(const BiogateTx *tx, GBytes *challenge, gint64 now) {
        JsonObject *claims = json_object_new();
        g_autofree char *nonce = biogate_base64url_encode(g_bytes_get_data(challenge, NULL),
                                                          g_bytes_get_size(challenge));
        g_autofree char *digest = biogate_tx_digest_string(tx);
        JsonArray *amr = json_array_new();

        /* The claims biogated's Authorize signs (daemon/biogated-authorize.c). */
        json_array_add_string_element(amr, "fpt");
        json_object_set_string_member(claims, "iss", "5f1e8a3c2b7d4e609a8b7c6d5e4f3a21");
        json_object_set_string_member(claims, "sub", "alice");
        json_object_set_int_member(claims, "uid", 1000);
        json_object_set_int_member(claims, "iat", now);
        json_object_set_int_member(claims, "exp", now + 120);
        json_object_set_string_member(claims, "jti", "q1w2e3r4t5y6u7i8o9p0");
        json_object_set_string_member(claims, "nonce", nonce);
        json_object_set_member(claims, "tx", biogate_tx_to_json(tx));
        json_object_set_string_member(claims, "tx_digest", digest);
        json_object_set_string_member(claims, "display_digest", "6Q0Xb0i0mkY6M7Y2kY6M7Y2kY6M7Y2kY6M7Y2kY6M4");
        json_object_set_array_member(claims, "amr", amr);
        json_object_set_string_member(claims, "rule", "large-cash-movements");
        json_object_set_array_member(claims, "approvers", json_array_new());
        return claims;
}

static int cmd_tokens(int argc, char **argv) {
        guint8 pk[BIOGATE_ED25519_PUBLIC_SIZE], sk[BIOGATE_ED25519_SECRET_SIZE];
        g_autoptr(GVariant) dict = g_variant_ref_sink(transaction_new(TRUE));
        g_autoptr(GVariant) challenge_value = NULL;
        g_autoptr(GBytes) challenge = NULL;
        g_autofree char *jwks = NULL, *token = NULL;
        g_autoptr(GError) error = NULL;
        gint64 now = g_get_real_time() / G_USEC_PER_SEC, start;
        BiogateTx *tx;
        double seconds, sign_rate, verify_rate;
        guint64 count;

        if (argc != 1)
                die("usage: tokens SECONDS", NULL);
        seconds = g_ascii_strtod(argv[0], NULL);
        if (seconds <= 0)
                die("tokens: SECONDS > 0", NULL);
        crypto_sign_keypair(pk, sk);
        jwks = biogate_jwks_new(pk);
        challenge_value = g_variant_lookup_value(dict, "challenge", G_VARIANT_TYPE_BYTESTRING);
        challenge = g_variant_get_data_as_bytes(challenge_value);
        tx = biogate_tx_from_variant(dict, &error);
        if (!tx)
                die("transaction", error);

        /* Sign: claims built and serialised each time, as the daemon does. */
        start = g_get_monotonic_time();
        for (count = 0; g_get_monotonic_time() - start < (gint64) (seconds * G_USEC_PER_SEC); count++) {
                g_autoptr(JsonObject) claims = claims_new(tx, challenge, now);

                g_free(token);
                token = biogate_token_sign(sk, pk, claims, &error);
                if (!token)
                        die("sign", error);
        }
        sign_rate = (double) count / ((double) (g_get_monotonic_time() - start) / G_USEC_PER_SEC);

        start = g_get_monotonic_time();
        for (count = 0; g_get_monotonic_time() - start < (gint64) (seconds * G_USEC_PER_SEC); count++)
                if (!biogate_token_verify(token, jwks, challenge, now, NULL, &error))
                        die("verify", error);
        verify_rate = (double) count / ((double) (g_get_monotonic_time() - start) / G_USEC_PER_SEC);

        printf("tokens sign_per_second=%.0f verify_per_second=%.0f token_bytes=%zu\n", sign_rate, verify_rate,
               strlen(token));
        sodium_memzero(sk, sizeof sk);
        biogate_tx_free(tx);
        return EXIT_SUCCESS;
}

/* ---- activation, load ---- */

static int cmd_activate(int argc, char **argv) {
        g_autoptr(GDBusConnection) bus = NULL;
        g_autoptr(GVariant) reply = NULL, first = NULL;
        g_autoptr(GError) error = NULL;
        double owned_ms, first_ms;
        gint64 start;
        guint32 result;

        if (argc != 4)
                die("usage: activate NAME PATH INTERFACE METHOD", NULL);
        bus = bus_connect();
        start = g_get_monotonic_time();
        /* The bus replies once the started service owns NAME. */
        reply = g_dbus_connection_call_sync(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                            "org.freedesktop.DBus", "StartServiceByName",
                                            g_variant_new("(su)", argv[0], 0u), G_VARIANT_TYPE("(u)"),
                                            G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, &error);
        if (!reply)
                die("StartServiceByName", error);
        owned_ms = ms_since(start);
        g_variant_get(reply, "(u)", &result);
        if (result != 1)        /* DBUS_START_REPLY_SUCCESS: it was not running */
                die("the service was already running", NULL);
        first = g_dbus_connection_call_sync(bus, argv[0], argv[1], argv[2], argv[3], NULL, NULL,
                                            G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, NULL, &error);
        if (!first)
                die(argv[3], error);
        first_ms = ms_since(start);
        printf("activate name=%s owned_ms=%.2f first_reply_ms=%.2f\n", argv[0], owned_ms, first_ms);
        return EXIT_SUCCESS;
}

static int cmd_calls(int argc, char **argv) {
        g_autoptr(GDBusConnection) bus = NULL;
        gint64 start;
        guint n;

        if (argc != 5 && argc != 6)
                die("usage: calls COUNT NAME PATH INTERFACE METHOD [STRING-ARG]", NULL);
        n = (guint) strtoul(argv[0], NULL, 10);
        bus = bus_connect();
        start = g_get_monotonic_time();
        for (guint i = 0; i < n; i++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) reply = NULL;

                reply = g_dbus_connection_call_sync(bus, argv[1], argv[2], argv[3], argv[4],
                                                    argc == 6 ? g_variant_new("(s)", argv[5]) : NULL, NULL,
                                                    G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, NULL,
                                                    &error);
                if (!reply)
                        die(argv[4], error);
        }
        printf("calls name=%s method=%s n=%u mean_ms=%.3f\n", argv[1], argv[4], n, ms_since(start) / n);
        return EXIT_SUCCESS;
}

static int cmd_touch(int argc, char **argv) {
        if (argc < 3)
                die("usage: touch SOCKET DELAY-MS COMMAND...", NULL);
        /* argv[argc] is NULL: the list ends there. */
        toucher_join(toucher_start(argv[0], (const char *const *) &argv[2], (guint) strtoul(argv[1], NULL, 10)));
        return EXIT_SUCCESS;
}

/* ---- the resident toucher ---- */

typedef struct Monitor {
        char *socket_path;
        char *scan;
} Monitor;

static void touch_now(const Monitor *m, const char *daemon) {
        size_t len = strlen(m->scan), off = 0;
        gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
        gint64 at;
        int fd;

        /* The driver listens before the daemon asks for a finger; a
         * refused connect is the few instructions between bind() and
         * listen(). */
        while ((fd = vdev_try_connect(m->socket_path)) == -ECONNREFUSED && g_get_monotonic_time() < deadline)
                g_thread_yield();
        if (fd < 0) {
                fprintf(stderr, "biogate-bench: toucher: cannot connect to the virtual sensor: %s\n",
                        g_strerror(-fd));
                return;
        }
        at = g_get_monotonic_time();
        while (off < len) {
                ssize_t n = send(fd, m->scan + off, len - off, MSG_NOSIGNAL);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        break;
                off += (size_t) n;
        }
        (void) shutdown(fd, SHUT_WR);
        close(fd);
        printf("touch %s %" G_GINT64_FORMAT "\n", daemon, at);
}

/* Runs in GDBus's worker thread, as each message arrives: the touch goes
 * out without a trip through a main loop. */
static GDBusMessage *on_monitored(GDBusConnection *bus, GDBusMessage *message, gboolean incoming,
                                  gpointer user_data) {
        const Monitor *m = user_data;
        const char *interface, *member;
        GVariant *body;

        if (!incoming || g_dbus_message_get_message_type(message) != G_DBUS_MESSAGE_TYPE_SIGNAL)
                return message;
        interface = g_dbus_message_get_interface(message);
        member = g_dbus_message_get_member(message);
        body = g_dbus_message_get_body(message);
        if (g_strcmp0(interface, "org.biogate1.Operation") == 0 && g_strcmp0(member, "Progress") == 0 && body &&
            g_variant_is_of_type(body, G_VARIANT_TYPE("(sa{sv})"))) {
                const char *status;

                g_variant_get(body, "(&s@a{sv})", &status, NULL);
                if (g_str_equal(status, "finger-needed"))
                        touch_now(m, "biogate");
        } else if (g_strcmp0(interface, "net.reactivated.Fprint.Device") == 0 &&
                   g_strcmp0(member, "VerifyFingerSelected") == 0)
                touch_now(m, "fprintd");
        g_object_unref(message);
        return NULL;
}

static int cmd_toucher(int argc, char **argv) {
        const char *rules[] = {
                "type='signal',interface='org.biogate1.Operation',member='Progress'",
                "type='signal',interface='net.reactivated.Fprint.Device',member='VerifyFingerSelected'",
                NULL,
        };
        g_autoptr(GDBusConnection) bus = NULL;
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
        Monitor m;

        if (argc != 2)
                die("usage: toucher SOCKET SCAN-ID", NULL);
        m = (Monitor) { .socket_path = argv[0], .scan = g_strdup_printf("SCAN %s", argv[1]) };
        setvbuf(stdout, NULL, _IOLBF, 0);
        bus = bus_connect();
        g_dbus_connection_add_filter(bus, on_monitored, &m, NULL);
        reply = g_dbus_connection_call_sync(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                            "org.freedesktop.DBus.Monitoring", "BecomeMonitor",
                                            g_variant_new("(^asu)", rules, 0u), NULL, G_DBUS_CALL_FLAGS_NONE,
                                            CALL_TIMEOUT_MS, NULL, &error);
        if (!reply)
                die("BecomeMonitor", error);
        printf("ready\n");
        g_main_loop_run(loop);
        return EXIT_SUCCESS;
}

/* ---- whole logins through PAM ---- */

static int conversation(int n, const struct pam_message **msg, struct pam_response **resp, void *data) {
        /* Prompts are shown to nobody; a password prompt gets "". */
        *resp = calloc((size_t) n, sizeof **resp);
        return *resp ? PAM_SUCCESS : PAM_BUF_ERR;
}

static int cmd_login(int argc, char **argv) {
        const struct pam_conv conv = { conversation, NULL };
        guint rounds;

        if (argc < 3)
                die("usage: login ROUNDS USER SERVICE...", NULL);
        rounds = (guint) strtoul(argv[0], NULL, 10);
        setvbuf(stdout, NULL, _IOLBF, 0);
        for (guint i = 0; i <= rounds; i++)
                for (int s = 2; s < argc; s++) {
                        pam_handle_t *pamh = NULL;
                        gint64 start, end;
                        int r;

                        start = g_get_monotonic_time();
                        r = pam_start(argv[s], argv[1], &conv, &pamh);
                        if (r == PAM_SUCCESS)
                                r = pam_authenticate(pamh, 0);
                        end = g_get_monotonic_time();
                        if (pamh)
                                pam_end(pamh, r);
                        /* Counted, not fatal: a module that loses a race
                         * (see docs/performance.md) shows as failures. */
                        if (r != PAM_SUCCESS) {
                                fprintf(stderr, "biogate-bench: login %s: %s\n", argv[s], pam_strerror(NULL, r));
                                printf("failed %s\n", argv[s]);
                                continue;
                        }
                        if (i > 0)
                                printf("login %s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n", argv[s], start, end);
                }
        return EXIT_SUCCESS;
}

/* ---- verifications as a load ---- */

static int cmd_verifies(int argc, char **argv) {
        g_autoptr(GDBusConnection) bus = NULL;
        g_autoptr(BiogateClient) client = NULL;
        guint n;

        if (argc != 1)
                die("usage: verifies COUNT", NULL);
        n = (guint) strtoul(argv[0], NULL, 10);
        bus = bus_connect();
        client = biogate_client_new_for_connection(bus);
        for (guint i = 0; i < n; i++) {
                g_autoptr(BiogateOperation) op = biogate_client_verify(client, NULL, NULL, NULL);
                g_autoptr(GError) error = NULL;
                g_autofree char *result = biogate_operation_wait_sync(op, NULL, &error);

                if (!result)
                        die("Verify", error);
                if (!g_str_equal(result, "match"))
                        die("Verify did not match", NULL);
        }
        printf("verifies n=%u\n", n);
        return EXIT_SUCCESS;
}

int main(int argc, char **argv) {
        static const struct {
                const char *name;
                int (*run)(int argc, char **argv);
        } commands[] = {
                { "evaluate", cmd_evaluate },
                { "stepup",   cmd_stepup },
                { "tokens",   cmd_tokens },
                { "activate", cmd_activate },
                { "calls",    cmd_calls },
                { "touch",    cmd_touch },
                { "toucher",  cmd_toucher },
                { "login",    cmd_login },
                { "verifies", cmd_verifies },
        };

        if (sodium_init() < 0)
                die("libsodium failed to initialise", NULL);
        if (argc >= 2)
                for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
                        if (g_str_equal(argv[1], commands[i].name))
                                return commands[i].run(argc - 2, argv + 2);
        fprintf(stderr, "usage: biogate-bench evaluate|stepup|tokens|activate|calls|touch|toucher|login|verifies ARGS... "
                        "(see bench/run)\n");
        return 2;
}
