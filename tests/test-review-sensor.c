/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A hostile pass over the sensor sharing of finding 4 (issue 13), each
 * attack reproduced against the real daemon, libfprint's virtual sensor
 * and, where the caller's session matters, a stand-in for logind that the
 * daemon asks over the bus as it asks the real one:
 * - su-cannot-preempt: a user's setuid su (root, with a PAM service) to
 *   another user from their own session is no login: it cannot take the
 *   sensor from another user's waiting approval;
 * - login-preempt-bounded: genuine logins take the sensor from another
 *   user at most once per window per target user, and their sensor time
 *   per target user is bounded (past it a login is an ordinary request);
 * - enrolment-hold-bounded: an enrolment past its first stage, touched
 *   again and again, keeps a waiting login from the sensor at most
 *   BIOGATED_HOLD_GRACE_SECONDS. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "security-fixture.h"
#include "system-fixture.h"

#define DEVICE_BUSY "org.biogate1.Error.DeviceBusy"

/* Kept in step with daemon/biogated-device.h. */
#define HOLD_GRACE_SECONDS 10
#define LOGIN_BUDGET_SECONDS 3
#define LOGIN_BUDGET_WINDOW_SECONDS 60

static gboolean sanitized(void) {
        return g_getenv("BIOGATE_TEST_SANITIZED") != NULL;
}

/* How long a preemption may take to show (3-99 ms measured in
 * review/sensor-flood-login), with room for a loaded machine and the
 * sanitizers: waiting this long for one that must not come is enough. */
static int preempt_bound_ms(void) {
        return sanitized() ? 6000 : 2000;
}

static void sensor_setup(Fixture *f, const char *conf_text) {
        g_autofree char *conf = NULL, *conf_arg = NULL;

        /* The system bus's configuration: only root may own
         * org.freedesktop.login1, as on a real system. */
        system_prepare(f);
        conf = g_build_filename(f->tmp, "biogate.conf", NULL);
        conf_arg = g_strdup_printf("--config=%s", conf);
        g_assert_true(g_file_set_contents(conf, conf_text, -1, NULL));
        g_assert_cmpint(chmod(conf, 0644), ==, 0);
        fixture_start_daemon_with_policy(f, security_policy, (const char *const[]) { conf_arg, NULL });
        /* Before logind's stand-in is there: root's own enrolments. */
        enroll(f, "root", "right-index-finger", "sensor-root");
        enroll(f, "nobody", "right-index-finger", "sensor-nobody");
        enroll(f, "daemon", "right-index-finger", "sensor-daemon");
        enroll(f, "bin", "right-index-finger", "sensor-bin");
}

static void defaults_setup(Fixture *f, gconstpointer data) {
        sensor_setup(f, "[daemon]\n");
}

static void login_budget_setup(Fixture *f, gconstpointer data) {
        sensor_setup(f, "[daemon]\n"
                        "login_budget_seconds=" G_STRINGIFY(LOGIN_BUDGET_SECONDS) "\n"
                        "login_budget_window_seconds=" G_STRINGIFY(LOGIN_BUDGET_WINDOW_SECONDS) "\n");
}

/* Manager.method, answered while this thread's main context runs: the
 * daemon asks logind's stand-in, which answers from this context, before
 * it replies to a root caller. btf_op_start() iterates it while it waits. */
static BtfOp *start_op_iterating(GDBusConnection *conn, const char *method, GVariant *params) {
        g_autoptr(GError) error = NULL;
        BtfOp *op = start_op(conn, method, params, &error);

        g_assert_no_error(error);
        return op;
}

static void assert_in_log(Fixture *f, const char *line) {
        g_autofree char *log = btf_daemon_read_log(f->daemon);

        if (!strstr(log, line))
                g_error("no \"%s\" in the daemon's log:\n%s", line, log);
}

/* The operation does not get the sensor within the bound a preemption
 * would take. */
static void assert_not_served(BtfOp *op, const char *what) {
        g_autoptr(GError) error = NULL;

        if (btf_op_wait_progress(op, "finger-needed", preempt_bound_ms(), NULL, &error))
                g_error("%s got the sensor: %s", what, btf_op_describe(op));
}

/* ---- su-cannot-preempt ---- */

/* uid 1 waits for its finger on an approval. uid 65534, in its own login
 * session, runs setuid su to root: su calls Verify as root with
 * service=su. logind (its stand-in, asked over the bus by pid like the
 * real one) says the caller's session belongs to uid 65534, not to the
 * target: the request is an ordinary one of uid 65534. It does not take the
 * sensor from uid 1, whose approval goes on and is approved with one touch;
 * su's verification gets the sensor after it. On the old code it was a
 * login and uid 1's approval ended at once with DeviceBusy. */
static void test_su_cannot_preempt(Fixture *f, gconstpointer data) {
        g_autoptr(GDBusConnection) daemon_user = security_connect_as(f, 1, 1);
        g_autoptr(GDBusConnection) su = security_connect_as(f, 0, 0);
        g_autoptr(FakeLogind) logind = NULL;
        g_autoptr(BtfOp) approval = NULL, su_op = NULL;
        g_autoptr(GVariant) details = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *result = NULL, *line = NULL;

        approval = start_authorize(daemon_user, tx_new("withdrawal", "25000.00", "USD", "ACME Ltd"), &error);
        g_assert_no_error(error);
        wait_finger_needed(approval);

        /* Every connection of this test is this process: its session is
         * uid 65534's, as su's is when that user runs it. */
        logind = fake_logind_start(f);
        fake_logind_add_session(logind, "c7", getpid(), NOBODY, FALSE);

        su_op = start_op_iterating(su, "Verify", g_variant_new_parsed("('root', {'service': <'su'>})"));
        assert_not_served(su_op, "su to root from uid 65534's session");
        if (btf_op_is_finished(approval))
                g_error("uid 1's approval was ended by su: %s", btf_op_describe(approval));
        /* Because the daemon asked logind, as it would the real one. */
        g_assert_cmpuint(fake_logind_count_session_lookups(logind), >=, 1);
        line = g_strdup_printf("The su request of root for uid 0 runs in a session of uid %u: counted as an ordinary "
                               "request of uid %u, not a login", (unsigned) NOBODY, (unsigned) NOBODY);
        assert_in_log(f, line);

        touch(f, "sensor-daemon");
        result = wait_finished(approval, &details);
        g_test_message("uid 1's approval: %s %s", result, detail_string(details, "message"));
        g_assert_cmpstr(result, ==, "approved");
        release(daemon_user, approval);

        /* su's verification only queued, as uid 65534's own would. */
        wait_finger_needed(su_op);
        release(su, su_op);
}

/* ---- login-preempt-bounded ---- */

static BtfOp *start_holder(GDBusConnection *conn) {
        g_autoptr(GError) error = NULL;
        /* As long as an unprivileged caller may: only a preemption ends it early. */
        BtfOp *op = start_op(conn, "Verify", g_variant_new_parsed("('', {'timeout-ms': <uint32 60000>})"), &error);

        g_assert_no_error(error);
        wait_finger_needed(op);
        return op;
}

static BtfOp *start_login(GDBusConnection *gdm, const char *user) {
        g_autoptr(GError) error = NULL;
        BtfOp *op = start_op(gdm, "Verify", g_variant_new("(s@a{sv})", user,
                                                          g_variant_new_parsed("{'service': <'login'>}")),
                             &error);

        g_assert_no_error(error);
        return op;
}

/* Genuine logins (root with service=login, in no session: a console
 * login) for uid 1, against uid 65534's verifications that hold the
 * sensor: the first login takes the sensor; a second one within
 * BIOGATED_LOGIN_PREEMPT_INTERVAL_SECONDS does not, and waits until the
 * holder is done. Logins of uid 1 then hold the sensor at most
 * login_budget_seconds (3 of 60 here) and end with DeviceBusy; the next
 * login of uid 1 is an ordinary request: it no longer goes before uid 2's
 * request that came first. On the old code the second login preempted
 * too, and the logins' time had no bound. */
static void test_login_preempt_bounded(Fixture *f, gconstpointer data) {
        g_autoptr(GDBusConnection) gdm = security_connect_as(f, 0, 0);
        g_autoptr(GDBusConnection) nobody = security_connect_as(f, NOBODY, NOBODY);
        g_autoptr(GDBusConnection) bin = security_connect_as(f, 2, 2);
        g_autoptr(BtfOp) holder = NULL, login = NULL, holder2 = NULL, login2 = NULL, holder3 = NULL, other = NULL,
                         login3 = NULL;
        g_autoptr(GVariant) details = NULL;
        g_autofree char *result = NULL, *line = NULL;
        g_autoptr(GError) error = NULL;
        gint64 got, ended, slack = (sanitized() ? 6 : 3) * G_USEC_PER_SEC;

        /* 1. The first login preempts. */
        holder = start_holder(nobody);
        login = start_login(gdm, "daemon");
        if (!btf_op_wait_progress(login, "finger-needed", preempt_bound_ms(), NULL, &error))
                g_error("the first login did not get the sensor: %s", error->message);
        result = wait_finished(holder, &details);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_FAILED);
        g_assert_cmpstr(detail_string(details, "error"), ==, DEVICE_BUSY);
        release(nobody, holder);
        release(gdm, login);

        /* 2. The second, right after, does not: it waits for the holder. */
        holder2 = start_holder(nobody);
        login2 = start_login(gdm, "daemon");
        assert_not_served(login2, "a second login within the interval");
        g_assert_false(btf_op_is_finished(holder2));
        line = g_strdup_printf("A login for uid 1 waits for the operation of uid %u", (unsigned) NOBODY);
        assert_in_log(f, line);
        /* First in line all the same: it gets the sensor once the holder is done. */
        release(nobody, holder2);
        wait_finger_needed(login2);

        /* 3. Left alone, it holds the sensor until the logins' budget of uid 1 is spent. */
        got = g_get_monotonic_time();
        g_clear_pointer(&result, g_free);
        g_clear_pointer(&details, g_variant_unref);
        result = wait_finished(login2, &details);
        ended = g_get_monotonic_time();
        g_test_message("the second login held the sensor %.2f s more (login budget %d s in %d s): %s %s",
                       (ended - got) / 1e6, LOGIN_BUDGET_SECONDS, LOGIN_BUDGET_WINDOW_SECONDS, result,
                       detail_string(details, "message"));
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_FAILED);
        g_assert_cmpstr(detail_string(details, "error"), ==, DEVICE_BUSY);
        g_assert_nonnull(strstr(detail_string(details, "message"), "for logins"));
        g_assert_cmpint(ended - got, <=, LOGIN_BUDGET_SECONDS * G_USEC_PER_SEC + slack);
        release(gdm, login2);

        /* 4. Past it, a login of uid 1 is uid 1's ordinary request: uid 2
         * asked first and goes first. */
        holder3 = start_holder(nobody);
        {
                g_autoptr(GError) e = NULL;
                other = start_op(bin, "Verify", g_variant_new_parsed("('', @a{sv} {})"), &e);
                g_assert_no_error(e);
        }
        login3 = start_login(gdm, "daemon");
        assert_in_log(f, "uid 1 has used its " G_STRINGIFY(LOGIN_BUDGET_SECONDS) " s of fingerprint sensor time for "
                         "logins within " G_STRINGIFY(LOGIN_BUDGET_WINDOW_SECONDS) " s: this login is an ordinary "
                         "request");
        release(nobody, holder3);
        wait_finger_needed(other);
        g_assert_cmpuint(btf_op_count_progress(login3, "finger-needed"), ==, 0);
        release(bin, other);
        wait_finger_needed(login3);
        release(gdm, login3);
}

/* ---- enrolment-hold-bounded ---- */

/* uid 65534 enrols a finger, touches once (stage 1 of 5) and then keeps
 * touching badly (a retry every second: the sensor asks again, and the
 * time-out starts anew). A login for uid 1 comes: the enrolment is not
 * preempted at once (a person is half-way through it), but it is ended
 * BIOGATED_HOLD_GRACE_SECONDS later, with DeviceBusy, and the login gets
 * the sensor. On the old code the enrolment kept the sensor for as long
 * as the touches came. */
static void test_enrolment_hold_bounded(Fixture *f, gconstpointer data) {
        g_autoptr(GDBusConnection) gdm = security_connect_as(f, 0, 0);
        g_autoptr(GDBusConnection) nobody = security_connect_as(f, NOBODY, NOBODY);
        g_autoptr(BtfOp) enrolment = NULL, login = NULL;
        g_autoptr(GVariant) details = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *result = NULL;
        gint64 asked, served, bound = (HOLD_GRACE_SECONDS + (sanitized() ? 6 : 3)) * G_USEC_PER_SEC;
        guint retries = 0;

        enrolment = start_op(nobody, "Enroll", g_variant_new("(ss@a{sv})", "", "left-thumb", consent_options()),
                             &error);
        g_assert_no_error(error);
        wait_finger_needed(enrolment);
        touch(f, "sensor-nobody-thumb");
        g_assert_true(btf_op_wait_progress(enrolment, "stage-passed", 10000, NULL, &error));
        wait_finger_needed(enrolment);

        asked = g_get_monotonic_time();
        login = start_login(gdm, "daemon");
        for (;;) {
                g_autoptr(GError) not_yet = NULL;

                /* The person at the sensor: a touch that does not take, each second. */
                if (!btf_op_is_finished(enrolment)) {
                        sensor(f, "RETRY 0");
                        retries++;
                }
                if (btf_op_wait_progress(login, "finger-needed", 1000, NULL, &not_yet) ||
                    g_get_monotonic_time() - asked >= bound)
                        break;
        }
        served = g_get_monotonic_time();
        if (btf_op_count_progress(login, "finger-needed") == 0)
                g_error("the login did not get the sensor within %" G_GINT64_FORMAT " ms (%u retries): the "
                        "enrolment %s", bound / 1000, retries, btf_op_describe(enrolment));
        g_test_message("the login got the sensor after %.2f s (grace %d s, bound %" G_GINT64_FORMAT " s) while the "
                       "enrolment was retried %u times", (served - asked) / 1e6, HOLD_GRACE_SECONDS,
                       bound / G_USEC_PER_SEC, retries);
        /* Not at once: the person had their grace (a precise timer, started
         * after asked). */
        g_assert_cmpint(served - asked, >=, HOLD_GRACE_SECONDS * G_USEC_PER_SEC);

        result = wait_finished(enrolment, &details);
        g_test_message("the enrolment: %s %s", result, detail_string(details, "message"));
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_FAILED);
        g_assert_cmpstr(detail_string(details, "error"), ==, DEVICE_BUSY);
        release(nobody, enrolment);

        g_clear_pointer(&result, g_free);
        g_clear_pointer(&details, g_variant_unref);
        touch(f, "sensor-daemon");
        result = wait_finished(login, &details);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
        release(gdm, login);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

        g_test_add("/review/su-cannot-preempt", Fixture, NULL, defaults_setup, test_su_cannot_preempt,
                   fixture_teardown);
        g_test_add("/review/login-preempt-bounded", Fixture, NULL, login_budget_setup, test_login_preempt_bounded,
                   fixture_teardown);
        g_test_add("/review/enrolment-hold-bounded", Fixture, NULL, defaults_setup, test_enrolment_hold_bounded,
                   fixture_teardown);
        return g_test_run();
}
