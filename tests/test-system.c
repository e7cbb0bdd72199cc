/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* System integration against real parts: a real polkitd deciding with the
 * shipped actions (and test rules), the shipped bus policy enforced by a real
 * dbus-daemon for an unprivileged client, and suspend/resume driven by a
 * stand-in for logind. Clients are real programs (gdbus, busctl,
 * biogatectl) run as uid 65534 or root. */
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pty.h>
#include <glib/gstdio.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "system-fixture.h"

#define FALLBACK_LOG "polkitd is not on the system bus"

/* ---- clients ---- */

static const char *consent_text(void) {
        return "{'consent': <true>, 'notice-version': <'" BIOGATE_TEST_NOTICE_VERSION "'>}";
}

/* gdbus call ... Manager.Enroll('', 'right-index-finger', consent): the
 * raw API, so the reply (the operation path) is visible. */
#define GDBUS_CALL "gdbus", "call", "--system", "--dest", "org.biogate1", "--object-path", "/org/biogate1"
#define GDBUS_ENROLL_SELF GDBUS_CALL, "--method", "org.biogate1.Manager.Enroll", "''", "'right-index-finger'", \
        consent_text()

static void nobody(int exit_code, const char *text, const char *const *argv) {
        g_autofree char *out = NULL, *err = NULL;
        int status = run_as_nobody(argv, &out, &err);

        assert_run(status, out, err, exit_code, text);
}

#define NOBODY_RUNS(code, text, ...) nobody(code, text, (const char *const[]) { __VA_ARGS__, NULL })

static guint count_in_log(BtfDaemon *daemon, const char *needle) {
        g_autofree char *log = btf_daemon_read_log(daemon);
        guint n = 0;

        for (const char *p = strstr(log, needle); p; p = strstr(p + 1, needle))
                n++;
        return n;
}

/* ---- polkit ---- */

/* The shipped defaults, as polkitd reads them, for a caller in no session
 * (nothing is ever "active" here): verify yes, enrol and approve no, manage
 * only with an administrator's password (no agent: denied). What needs no
 * action (one's own data) passes; root passes without asking. */
static void test_polkit_defaults(Fixture *f, gconstpointer data) {
        g_autoptr(Polkitd) polkitd = polkitd_start(f, NULL);
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GError) error = NULL;

        fixture_start_daemon(f, NULL);

        NOBODY_RUNS(0, "[]", BIOGATECTL_PATH, "--json", "list");
        /* Through the gate (verify: yes), then the store says why not. */
        NOBODY_RUNS(5, "NoEnrolledPrints", BIOGATECTL_PATH, "verify");
        /* The built-in rule would allow this one: polkitd was asked. */
        NOBODY_RUNS(3, "PermissionDenied", BIOGATECTL_PATH, "enroll", "--yes-i-consent", "--finger", "left-thumb");
        NOBODY_RUNS(3, "PermissionDenied", BIOGATECTL_PATH, "list", "--user", "root");
        NOBODY_RUNS(1, "PermissionDenied", GDBUS_CALL, "--method", "org.biogate1.Manager.Unlock", "'nobody'");
        /* Without polkit this would get as far as the (missing) policy. */
        NOBODY_RUNS(1, "PermissionDenied", GDBUS_CALL, "--method", "org.biogate1.StepUp.Authorize",
                    "{'kind': <'withdrawal'>, 'amount': <'10.00'>, 'currency': <'USD'>, 'payee': <'ACME Ltd'>, "
                    "'challenge': <b'0123456789abcdef'>}",
                    "{}");

        reply = manager_call(f->conn, "ListFingers", g_variant_new("(s)", "nobody"), "(as)", &error);
        g_assert_no_error(error);
        g_assert_cmpuint(count_in_log(f->daemon, FALLBACK_LOG), ==, 0);
}

/* Site rules decide, with the target user as detail "user": nobody may
 * enrol itself and manage "daemon" but not root, and may not verify. A
 * rule cannot deny root: polkitd authorizes uid 0 before any rule, and
 * biogated does not ask for root at all. */
static void test_polkit_rules(Fixture *f, gconstpointer data) {
        static const char rules[] =
                "polkit.addRule(function(action, subject) {\n"
                "    if (action.id.indexOf('org.biogate1.') !== 0)\n"
                "        return polkit.Result.NOT_HANDLED;\n"
                "    polkit.log('biogate test: ' + action.id + ' for ' + subject.user + ' on ' + action.lookup('user'));\n"
                "    if (subject.user === 'root')\n"
                "        return polkit.Result.NO;\n"
                "    if (subject.user !== 'nobody')\n"
                "        return polkit.Result.NOT_HANDLED;\n"
                "    if (action.id === 'org.biogate1.enroll')\n"
                "        return polkit.Result.YES;\n"
                "    if (action.id === 'org.biogate1.verify')\n"
                "        return polkit.Result.NO;\n"
                "    if (action.id === 'org.biogate1.manage' && action.lookup('user') === 'daemon')\n"
                "        return polkit.Result.YES;\n"
                "    return polkit.Result.NOT_HANDLED;\n"
                "});\n";
        g_autoptr(Polkitd) polkitd = polkitd_start(f, rules);
        g_autofree char *out = NULL, *err = NULL, *pid = g_strdup_printf("%d", (int) getpid());
        g_auto(GStrv) fingers = NULL;
        int status;

        fixture_start_daemon(f, NULL);

        NOBODY_RUNS(0, "/org/biogate1/operation/", GDBUS_ENROLL_SELF);
        NOBODY_RUNS(3, "PermissionDenied", BIOGATECTL_PATH, "verify");
        NOBODY_RUNS(0, "[]", BIOGATECTL_PATH, "--json", "list", "--user", "daemon");
        NOBODY_RUNS(3, "PermissionDenied", BIOGATECTL_PATH, "list", "--user", "root");
        /* An unknown name is asked about as manage too, and not revealed. */
        NOBODY_RUNS(3, "PermissionDenied", BIOGATECTL_PATH, "list", "--user", "no-such-user-xyz");
        /* Unlocking oneself is managing. */
        NOBODY_RUNS(1, "PermissionDenied", GDBUS_CALL, "--method", "org.biogate1.Manager.Unlock", "'nobody'");

        /* polkitd itself says yes for root despite the rule... */
        status = run_as_root((const char *const[]) { "pkcheck", "--action-id", "org.biogate1.manage", "--process",
                                                     pid, NULL },
                             &out, &err);
        assert_run(status, out, err, 0, NULL);
        /* ...and biogated lets root through. */
        enroll(f, "nobody", "left-thumb", "nobody-thumb");
        fingers = list_fingers(f->conn, "nobody");
        g_assert_cmpuint(g_strv_length(fingers), ==, 1);
        g_assert_cmpuint(count_in_log(f->daemon, FALLBACK_LOG), ==, 0);
}

/* A caller that leaves while polkitd decides is denied, the daemon keeps
 * running, and polkitd's late "yes" creates nothing. The rule blocks on a
 * FIFO (inside polkitd, as a slow rule or an authentication dialog would)
 * until the test has killed the caller. */
static void test_polkit_caller_leaves(Fixture *f, gconstpointer data) {
        g_autofree char *gate = g_build_filename(f->tmp, "gate", NULL);
        g_autofree char *fifo = g_build_filename(gate, "fifo", NULL);
        g_autofree char *checking = g_build_filename(gate, "checking", NULL);
        g_autofree char *rules = g_strdup_printf(
                "polkit.addRule(function(action, subject) {\n"
                "    if (action.id !== 'org.biogate1.enroll' || subject.user !== 'nobody')\n"
                "        return polkit.Result.NOT_HANDLED;\n"
                "    polkit.spawn(['/bin/sh', '-c', 'if [ -p %s ]; then : > %s; read x < %s; rm -f %s; fi']);\n"
                "    return polkit.Result.YES;\n"
                "});\n",
                fifo, checking, fifo, fifo);
        const char *const enroll_self[] = { GDBUS_ENROLL_SELF, NULL };
        g_autoptr(Polkitd) polkitd = NULL;
        g_autoptr(BtfProc) caller = NULL;
        g_autoptr(GError) error = NULL;
        int status = 0, gate_fd;

        /* polkit.spawn() runs as user polkitd. */
        g_assert_cmpint(g_mkdir(gate, 0700), ==, 0);
        g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
        g_assert_cmpint(chown(gate, getpwnam("polkitd")->pw_uid, 0), ==, 0);
        g_assert_cmpint(chown(fifo, getpwnam("polkitd")->pw_uid, 0), ==, 0);
        /* Held open from the start, so the rule's open() never waits and a
         * line written later is there whenever it reads. */
        gate_fd = open(fifo, O_RDWR | O_CLOEXEC);
        g_assert_cmpint(gate_fd, >=, 0);
        polkitd = polkitd_start(f, rules);
        fixture_start_daemon(f, NULL);

        caller = btf_spawn_async_as(NOBODY, NOBODY, enroll_self, NULL, &error);
        g_assert_no_error(error);
        /* polkitd is inside the rule for this very call. */
        g_assert_true(btf_vdev_wait_socket(checking, T, &error));
        g_assert_no_error(error);
        btf_proc_kill(caller, SIGKILL);
        g_assert_true(btf_proc_wait(caller, T, &status, &error));
        g_assert_no_error(error);
        btf_assert_signaled(status, SIGKILL);

        /* Let the rule finish: polkitd answers "yes" for the dead caller. */
        g_assert_cmpint(write(gate_fd, "go\n", 3), ==, 3);

        /* polkitd decides one check after the other and biogated reads its
         * answers in order, so once this one is through, the late "yes"
         * has been handled too. Operation paths count up from 1: had that
         * "yes" started an operation, this one would not be the first. */
        NOBODY_RUNS(0, "'/org/biogate1/operation/1'", GDBUS_ENROLL_SELF);
        g_assert_cmpuint(count_in_log(f->daemon, "left the bus during the authorization check"), ==, 1);
        g_assert_false(btf_daemon_has_exited(f->daemon));
        close(gate_fd);
}

/* No polkitd on the bus (containers, this test suite elsewhere): the
 * built-in rule "self or root" applies, and the daemon says so once. */
static void test_polkit_absent(Fixture *f, gconstpointer data) {
        fixture_start_daemon(f, NULL);

        NOBODY_RUNS(0, "'/org/biogate1/operation/1'", GDBUS_ENROLL_SELF);
        NOBODY_RUNS(3, "PermissionDenied", BIOGATECTL_PATH, "list", "--user", "root");
        NOBODY_RUNS(1, "PermissionDenied", GDBUS_CALL, "--method", "org.biogate1.Manager.Unlock", "'nobody'");
        NOBODY_RUNS(5, "NoEnrolledPrints", BIOGATECTL_PATH, "verify");
        g_assert_cmpuint(count_in_log(f->daemon, FALLBACK_LOG), ==, 1);
}

/* A refusal costs the caller one call: 40 of them, as fast as busctl goes,
 * must not give 40 log lines, which would share journald's rate limit with
 * the audit events (biogated-caller.c, refusal_log()). Measured: 40 calls in
 * about 0.3 s, one line, and the 41st a second later says 39 were left out;
 * asserted: fewer than half logged, so that a loaded machine (a line a
 * second) still passes. */
static void test_refusals_log_limited(Fixture *f, gconstpointer data) {
        g_autofree char *log = NULL;
        guint lines;

        fixture_start_daemon(f, NULL);
        NOBODY_RUNS(0, "done", "sh", "-c",
                    "for i in $(seq 40); do busctl --system call org.biogate1 /org/biogate1 org.biogate1.Manager "
                    "ListFingers s root >/dev/null 2>&1 && exit 1; done; "
                    /* One more after the second: its line counts those left out. */
                    "sleep 1.2; busctl --system call org.biogate1 /org/biogate1 org.biogate1.Manager "
                    "ListFingers s root >/dev/null 2>&1 && exit 1; echo done");
        lines = count_in_log(f->daemon, "Refused: uid 65534 asked to act on user root");
        g_test_message("41 refusals, %u log lines", lines);
        g_assert_cmpuint(lines, >=, 1);
        g_assert_cmpuint(lines, <, 20);
        g_assert_cmpuint(count_in_log(f->daemon, "more refusals not logged"), >=, 1);
}

/* ---- bus policy ---- */

/* The shipped bus policy, enforced by dbus-daemon for uid 65534: the API and
 * the read-only standard interfaces are reachable; owning the name, setting
 * a property and any other interface are refused by the bus itself. */
static void test_bus_policy(Fixture *f, gconstpointer data) {
        fixture_start_daemon(f, NULL);

        NOBODY_RUNS(0, NULL, GDBUS_CALL, "--method", "org.biogate1.Manager.ListDevices");
        NOBODY_RUNS(0, "keys", GDBUS_CALL, "--method", "org.biogate1.StepUp.GetPublicKeys");
        NOBODY_RUNS(0, "org.biogate1.Manager", "busctl", "--system", "introspect", "org.biogate1", "/org/biogate1");
        NOBODY_RUNS(0, "u ", "busctl", "--system", "get-property", "org.biogate1", "/org/biogate1",
                    "org.biogate1.Manager", "Version");
        NOBODY_RUNS(0, NULL, "busctl", "--system", "call", "org.biogate1", "/org/biogate1", "org.freedesktop.DBus.Peer",
                    "Ping");

        NOBODY_RUNS(1, "AccessDenied", "gdbus", "call", "--system", "--dest", "org.freedesktop.DBus", "--object-path",
                    "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.RequestName", "org.biogate1", "4");
        NOBODY_RUNS(1, "ccess denied", "busctl", "--system", "set-property", "org.biogate1", "/org/biogate1",
                    "org.biogate1.Manager", "Version", "u", "7");
        NOBODY_RUNS(1, "ccess denied", "busctl", "--system", "call", "org.biogate1", "/org/biogate1",
                    "org.freedesktop.DBus.ObjectManager", "GetManagedObjects");
        /* Still the daemon's: nobody could take the name. */
        g_assert_false(btf_daemon_has_exited(f->daemon));
}

/* ---- suspend and resume ---- */

static void assert_inhibit_args(const char *args) {
        g_assert_cmpstr(args, ==, "sleep biogated Closing the fingerprint sensor delay");
}

/* logind appears after the daemon; PrepareForSleep(true) cancels the
 * running verification, closes the sensor and only then releases the
 * inhibitor; a request made while asleep waits; PrepareForSleep(false)
 * takes a new inhibitor and the sensor works again. */
static void test_sleep(Fixture *f, gconstpointer data) {
        g_autoptr(FakeLogind) logind = NULL;
        g_autoptr(BtfOp) running = NULL, queued = NULL;
        g_autoptr(GVariant) details = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *args = NULL, *result = NULL, *after = NULL;

        fixture_start_daemon(f, NULL);
        logind = fake_logind_start(f);
        fake_logind_wait_inhibit(logind, 1, &args);
        assert_inhibit_args(args);

        enroll(f, "", "right-index-finger", "alice");
        running = start_verify(f->conn, "");
        wait_finger_needed(running);

        /* A sensor slow to let go: it ignores the cancellation until the
         * scan it waits for comes. Until then the system must not sleep. */
        sensor(f, "SET_CANCELLATION_ENABLED 0");
        fake_logind_prepare_for_sleep(logind, TRUE);
        fake_logind_round_trip(logind);
        g_assert_false(fake_logind_is_released(logind, 0));
        touch(f, "alice");
        result = wait_finished(running, &details);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_CANCELLED);
        fake_logind_wait_released(logind, 0);
        /* The inhibitor goes last: the sensor is closed by then. */
        g_assert_false(vdev_is_listening(f->vdev));
        release(f->conn, running);

        /* Asked for while the system sleeps: served after the resume. */
        queued = start_verify(f->conn, "");
        fake_logind_prepare_for_sleep(logind, FALSE);
        g_clear_pointer(&args, g_free);
        fake_logind_wait_inhibit(logind, 2, &args);
        assert_inhibit_args(args);
        wait_finger_needed(queued);
        touch(f, "alice");
        after = wait_finished(queued, NULL);
        g_assert_cmpstr(after, ==, BIOGATE_RESULT_MATCH);
        release(f->conn, queued);
        g_assert_false(fake_logind_is_released(logind, 1));
}

/* PrepareForSleep from anyone but logind's connection changes nothing,
 * sent to the daemon alone or to everybody. */
static void test_sleep_spoofed(Fixture *f, gconstpointer data) {
        g_autoptr(FakeLogind) logind = NULL;
        g_autoptr(BtfOp) op = NULL;
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *result = NULL;

        logind = fake_logind_start(f);
        fixture_start_daemon(f, NULL);
        fake_logind_wait_inhibit(logind, 1, NULL);
        enroll(f, "", "right-index-finger", "alice");
        op = start_verify(f->conn, "");
        wait_finger_needed(op);

        g_assert_true(g_dbus_connection_emit_signal(f->conn, btf_daemon_get_unique_name(f->daemon), LOGIN1_PATH,
                                                    LOGIN1_MANAGER, "PrepareForSleep", g_variant_new("(b)", TRUE),
                                                    &error));
        g_assert_no_error(error);
        g_assert_true(g_dbus_connection_emit_signal(f->conn, NULL, LOGIN1_PATH, LOGIN1_MANAGER, "PrepareForSleep",
                                                    g_variant_new("(b)", TRUE), &error));
        g_assert_no_error(error);
        /* A call behind the signals on the same connection: handled after
         * them, so had they counted, the operation would be over. */
        reply = manager_call(f->conn, "ListDevices", NULL, "(a(ssa{sv}))", &error);
        g_assert_no_error(error);

        touch(f, "alice");
        result = wait_finished(op, NULL);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
        release(f->conn, op);
        g_assert_false(fake_logind_is_released(logind, 0));
}

/* ---- polkit asks for a password ---- */

/* Unlock and reload need org.biogate1.manage: an administrator's password
 * (auth_admin). Without a terminal nobody can be asked, and the refusal
 * says what to do instead, for the caller's own user and any other alike. */
static void test_unlock_without_agent(Fixture *f, gconstpointer data) {
        static const char *const cases[][3] = {
                { BIOGATECTL_PATH, "unlock", "nobody" },
                { BIOGATECTL_PATH, "unlock", "root" },
                { BIOGATECTL_PATH, "unlock", "no-such-user-xyz" },
                { BIOGATECTL_PATH, "reload", NULL },
        };
        g_autoptr(Polkitd) polkitd = polkitd_start(f, NULL);

        fixture_start_daemon(f, NULL);
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                const char *argv[] = { cases[i][0], cases[i][1], cases[i][2], NULL };
                g_autofree char *out = NULL, *err = NULL;
                int status = run_as_nobody(argv, &out, &err);

                assert_run(status, out, err, 3, "Authentication is required for this action, and there was no "
                                                 "polkit authentication agent to ask for it");
                assert_run(status, out, err, 3, "Run biogatectl on a terminal, where it asks for the password "
                                                 "(through pkttyagent)");
                g_assert_null(strstr(err, "Not authorized for this action"));
        }
        /* Root needs no password: done, and said so. */
        {
                g_autofree char *out = NULL, *err = NULL;
                int status = run_as_root((const char *const[]) { BIOGATECTL_PATH, "unlock", "nobody", NULL }, &out,
                                         &err);

                assert_run(status, out, err, 0, "Unlocked the fingerprints of nobody");
        }
}

/* Reads the terminal until @needle has appeared in all it printed. */
static gboolean read_pty_until(int master, GString *seen, const char *needle) {
        gint64 deadline = g_get_monotonic_time() + (gint64) btf_timeout_default_ms() * 1000;

        while (!strstr(seen->str, needle)) {
                gint64 left_ms = (deadline - g_get_monotonic_time()) / 1000;
                struct pollfd p = { .fd = master, .events = POLLIN };
                char buf[512];
                ssize_t n;

                if (left_ms <= 0 || poll(&p, 1, (int) left_ms) <= 0)
                        return FALSE;
                n = read(master, buf, sizeof buf);
                if (n <= 0)
                        return FALSE; /* EIO: every process left the terminal */
                g_string_append_len(seen, buf, n);
        }
        return TRUE;
}

/* On a terminal, biogatectl starts pkttyagent (as systemctl does), the
 * real polkitd asks it, and it asks for the administrator's password. The
 * test does not answer: it hangs up, which ends biogatectl and the agent
 * (SIGHUP to the terminal's process group). biogated survives that (the
 * teardown checks its exit status): it once crashed, about one run in ten,
 * when libpolkit's authority was finalized with a cancelled check still
 * in flight and polkitd then announced the agent's departure. */
static void test_unlock_asks_on_terminal(Fixture *f, gconstpointer data) {
        g_autoptr(Polkitd) polkitd = polkitd_start(f, NULL);
        g_autoptr(GString) seen = g_string_new(NULL);
        int master = -1, status = 0;
        pid_t pid;

        fixture_start_daemon(f, NULL);
        pid = forkpty(&master, NULL, NULL, NULL);
        g_assert_cmpint(pid, >=, 0);
        if (pid == 0) {
                if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
                        _exit(126);
                execl(BIOGATECTL_PATH, BIOGATECTL_PATH, "unlock", "nobody", (char *) NULL);
                _exit(127);
        }
        if (!read_pty_until(master, seen, "AUTHENTICATING FOR org.biogate1.manage")) {
                polkitd_stop(g_steal_pointer(&polkitd)); /* its log, for the message below */
                g_error("no password prompt from pkttyagent; the terminal showed:\n%s\ndaemon log:\n%s", seen->str,
                        btf_daemon_read_log(f->daemon));
        }
        /* The action's own words, from the shipped org.biogate1.policy. */
        g_assert_true(read_pty_until(master, seen, "manage the fingerprints of other users"));
        close(master);
        g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
        g_assert_true(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0));
}

/* ---- checks that wait for a password ---- */

/* More than the 128 replies dbus-daemon lets one connection await
 * (max_replies_per_connection, the same on the real system bus). */
#define WAITING_CALLERS 130

typedef struct Waiting {
        BtfProc *polkitd;
        GPtrArray *callers;     /* BtfProc* */
} Waiting;

static guint waiting_checks(Waiting *w) {
        guint n = 0;

        for (const char *p = btf_proc_get_stdout(w->polkitd); (p = strstr(p, "waiting ")); p++)
                n++;
        return n;
}

static guint exited_callers(Waiting *w) {
        guint n = 0;

        for (guint i = 0; i < w->callers->len; i++)
                n += btf_proc_has_exited(g_ptr_array_index(w->callers, i));
        return n;
}

/* Every caller either waits in polkitd or was answered. */
static gboolean callers_settled(gpointer data) {
        Waiting *w = data;

        return waiting_checks(w) + exited_callers(w) >= w->callers->len;
}

/* An authentication agent that never answers (any user may register one
 * for their own processes) keeps polkitd's answer, and so one of biogated's
 * calls, waiting. One user who kept 128 of them waiting once made every
 * polkit check of every other user fail ("The authorization check failed":
 * dbus-daemon refused biogated's further calls), so step-up approvals,
 * enrolments and verifications stopped machine-wide. A user now has a few
 * checks waiting at most; the next are made without interaction and
 * refused at once, saying why, and other users' checks go on. */
static void test_polkit_waiting_bounded(Fixture *f, gconstpointer data) {
        const char *const polkitd_argv[] = { "/usr/bin/python3", BIOGATE_POLKITD_WAITING, NULL };
        const char *const unlock_root[] = { GDBUS_CALL, "--interactive", "--timeout", "300", "--method",
                                            "org.biogate1.Manager.Unlock", "root", NULL };
        const char *const reload[] = { GDBUS_CALL, "--method", "org.biogate1.Manager.Reload", NULL };
        g_autofree char *out = NULL, *err = NULL;
        g_autoptr(GError) error = NULL;
        struct passwd *pw = getpwnam("polkitd");
        Waiting w = { .callers = g_ptr_array_new_with_free_func((GDestroyNotify) btf_proc_free) };
        guint refused = 0;
        int status = 0;

        g_assert_nonnull(pw);
        w.polkitd = btf_spawn_async_as(pw->pw_uid, pw->pw_gid, polkitd_argv, NULL, &error);
        g_assert_no_error(error);
        if (!btf_bus_wait_name(f->bus, "org.freedesktop.PolicyKit1", T, NULL, &error))
                g_error("the waiting polkitd did not start: %s\n%s", error->message,
                        btf_proc_get_stderr(w.polkitd));
        fixture_start_daemon(f, NULL);

        for (guint i = 0; i < WAITING_CALLERS; i++) {
                g_ptr_array_add(w.callers, btf_spawn_async_as(NOBODY, NOBODY, unlock_root, NULL, &error));
                g_assert_no_error(error);
        }
        if (!btf_wait_until(callers_settled, &w, T))
                g_error("%u checks waiting, %u callers answered, of %u", waiting_checks(&w), exited_callers(&w),
                        WAITING_CALLERS);
        g_test_message("%u checks waiting, %u callers answered", waiting_checks(&w), exited_callers(&w));
        /* Another user: polkitd answers at once, and biogated hears it. */
        g_assert_true(btf_run_as(1, 1, reload, &out, &err, &status, &error));
        g_assert_no_error(error);
        g_assert_cmpstr(err, !=, NULL);
        if (!strstr(err, "there was no polkit authentication agent to ask for it"))
                g_error("uid 1's check did not reach polkitd: %s", err);

        g_assert_cmpuint(waiting_checks(&w), >=, 1);
        g_assert_cmpuint(waiting_checks(&w), <=, 8);
        for (guint i = 0; i < w.callers->len; i++) {
                BtfProc *caller = g_ptr_array_index(w.callers, i);

                if (!btf_proc_has_exited(caller))
                        continue;
                refused += strstr(btf_proc_get_stderr(caller), "waiting for a password") != NULL;
        }
        g_assert_cmpuint(refused, ==, exited_callers(&w));

        g_ptr_array_unref(w.callers);
        btf_proc_kill(w.polkitd, SIGTERM);
        btf_proc_free(w.polkitd);
}

static void system_setup(Fixture *f, gconstpointer data) {
        system_prepare(f);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

#define ADD(path, fn) g_test_add("/system/" path, Fixture, NULL, system_setup, fn, fixture_teardown)
        ADD("polkit-defaults", test_polkit_defaults);
        ADD("polkit-rules", test_polkit_rules);
        ADD("polkit-caller-leaves", test_polkit_caller_leaves);
        ADD("polkit-absent", test_polkit_absent);
        ADD("refusals-log-limited", test_refusals_log_limited);
        ADD("bus-policy", test_bus_policy);
        ADD("sleep", test_sleep);
        ADD("sleep-spoofed", test_sleep_spoofed);
        ADD("unlock-without-agent", test_unlock_without_agent);
        ADD("unlock-asks-on-terminal", test_unlock_asks_on_terminal);
        ADD("polkit-waiting-bounded", test_polkit_waiting_bounded);
        return g_test_run();
}
