/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The approval agent as a person sees it: the real biogated on a private
 * system bus (a stand-in for logind says which processes share a
 * session), the real biogate-agent in a real X server (Xvfb) with a real
 * session bus and AT-SPI, and a trading client calling Authorize. A
 * Python script reads the agent's window through the accessibility tree,
 * takes a screenshot and presses Cancel. Hostile clients of the same
 * session try to register as the agent, to make the agent show their own
 * text, and to cancel operations they were not shown. */
#include <signal.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "system-fixture.h"

#define AGENT_MANAGER "org.biogate1.AgentManager"
#define AGENT_PATH "/org/biogate1/Agent"
#define ERR "org.biogate1.Error."
#define SESSION "c1"
#define HOSTILE_TEXT "Approve WITHDRAWAL of 1.00 USD to payee \"Friend\"?"

/* Withdrawals are shown in the agent only; the rest needs nothing. */
static const char policy[] =
        "[rule big-orders]\n"
        "kind=order\n"
        "currency=USD\n"
        "amount_min=1000000.00\n"
        "require=fingerprint+approver\n"
        "approver_group=daemon\n" /* OTHER_USER's primary group; root is not in it */
        "display=agent\n"
        "\n"
        "[rule withdrawals]\n"
        "kind=withdrawal\n"
        "require=fingerprint\n"
        "display=agent\n"
        "\n"
        "[default]\n"
        "require=none\n";

typedef struct {
        Fixture f;
        FakeLogind *logind;
} AgentFixture;

static void setup(AgentFixture *a, gconstpointer data) {
        const char *const args[] = { "--agent-path=" BIOGATE_AGENT_PATH, NULL };

        system_prepare(&a->f);
        a->logind = fake_logind_start(&a->f);
        /* The test process is the trading client, in the session. */
        fake_logind_add_session(a->logind, SESSION, getpid(), getuid(), FALSE);
        fixture_start_daemon_with_policy(&a->f, policy, args);
}

static void teardown(AgentFixture *a, gconstpointer data) {
        fixture_teardown(&a->f, data);
        fake_logind_free(a->logind);
}

static GVariant *withdrawal(void) {
        return tx_new("withdrawal", "250000.00", "USD", "ACME Ltd");
}

/* display=agent from a session without an agent: refused, named. */
static void test_no_agent(AgentFixture *a, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfOp) op = NULL;
        g_autoptr(GVariant) evaluated = NULL, details = NULL;
        g_autofree char *result = NULL;
        const char *display = NULL;

        /* Evaluate says so beforehand. */
        evaluated = call_on(a->f.conn, BIOGATE_OBJECT_PATH, BIOGATE_STEPUP_INTERFACE, "Evaluate",
                            g_variant_new("(@a{sv})", withdrawal()), "(ssa{sv})", &error);
        g_assert_no_error(error);
        g_variant_get(evaluated, "(&s&s@a{sv})", NULL, NULL, &details);
        g_assert_true(g_variant_lookup(details, "display", "&s", &display));
        g_assert_cmpstr(display, ==, "agent");

        op = start_authorize(a->f.conn, withdrawal(), &error);

        g_assert_null(op);
        assert_dbus_error(error, ERR "NoAgent");
        g_assert_nonnull(strstr(error->message, "display=agent"));
        /* Audited as the refusal it is, with its reason. */
        {
                g_autofree char *log = btf_daemon_read_log(a->f.daemon);

                g_assert_nonnull(strstr(log, "audit stepup-deny"));
                g_assert_nonnull(strstr(log, "shows the transaction only in the approval agent"));
        }
        /* Without display=agent the terminal path keeps working. */
        g_clear_error(&error);
        op = start_authorize(a->f.conn, tx_new("order", "10.00", "USD", "ACME Ltd"), &error);
        g_assert_no_error(error);
        result = wait_finished(op, NULL);
        g_assert_cmpstr(result, ==, "approved");
}

/* A process that is not the agent binary (here the test itself, in the
 * session, same uid) is refused. */
static void test_register_not_agent(AgentFixture *a, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = call_on(a->f.conn, BIOGATE_OBJECT_PATH, AGENT_MANAGER, "RegisterAgent",
                                            g_variant_new("(o)", AGENT_PATH), NULL, &error);

        g_assert_null(reply);
        assert_dbus_error(error, ERR "PermissionDenied");
        g_assert_nonnull(strstr(error->message, "is not the approval agent"));
        /* Still no agent: display=agent refuses. */
        g_clear_error(&error);
        g_assert_null(start_authorize(a->f.conn, withdrawal(), &error));
        assert_dbus_error(error, ERR "NoAgent");
}

/* Any local user may make a user namespace and bind-mount a program of
 * its choice over the agent's path in its own mount namespace: the
 * process's /proc/PID/exe then reads as the installed path. Here uid 65534,
 * in a session of its own, registers with gdbus mounted over the agent. */
static void test_register_bind_mounted(AgentFixture *a, gconstpointer data) {
        const char *const argv[] = {
                "unshare", "-Urm", "sh", "-c", "mount --bind \"$1\" \"$2\" && exec \"$2\" call --system --dest "
                BIOGATE_BUS_NAME " --object-path " BIOGATE_OBJECT_PATH " --method " AGENT_MANAGER ".RegisterAgent "
                AGENT_PATH, "sh", "/usr/bin/gdbus", BIOGATE_AGENT_PATH, NULL
        };
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfProc) proc = btf_spawn_async_as(65534, 65534, argv, NULL, &error);
        int status = 0;

        g_assert_no_error(error);
        fake_logind_add_session(a->logind, "c2", btf_proc_get_pid(proc), 65534, FALSE);
        g_assert_true(btf_proc_wait(proc, T, &status, &error));
        g_assert_no_error(error);
        g_test_message("stdout: %s\nstderr: %s", btf_proc_get_stdout(proc), btf_proc_get_stderr(proc));
        g_assert_nonnull(strstr(btf_proc_get_stderr(proc), ERR "PermissionDenied"));
        g_assert_nonnull(strstr(btf_proc_get_stderr(proc), "is not the approval agent"));
        g_assert_cmpuint(fixture_log_count(&a->f, "Approval agent refused for uid 65534"), ==, 1);
        g_assert_cmpuint(fixture_log_count(&a->f, "registered for session"), ==, 0);
}

/* ---- the session: X server, session bus, AT-SPI, the agent ---- */

typedef struct {
        BtfProc *xvfb;
        BtfProc *session_bus;
        BtfProc *agent;
        char *display;          /* ":N" */
        char *session_address;
        char *runtime_dir;
        char **env;             /* for the agent and the script */
        const char *lang;       /* LANG= of the agent's session; NULL: inherited */
} Desktop;

static char *first_line(BtfProc *proc, const char *what) {
        g_autoptr(GError) error = NULL;
        const char *out;

        if (!btf_proc_wait_output(proc, BTF_STDOUT, "\n", T, &error))
                g_error("%s did not start: %s\n%s", what, error->message, btf_proc_get_stderr(proc));
        out = btf_proc_get_stdout(proc);
        return g_strndup(out, strcspn(out, "\n"));
}

static void desktop_start(AgentFixture *a, Desktop *d) {
        g_autoptr(GError) error = NULL;
        g_autofree char *display_number = NULL;
        /* -displayfd: the server picks a free display and says which. */
        const char *const xvfb[] = { "Xvfb", "-displayfd", "1", "-screen", "0", "1024x768x24", "-nolisten", "tcp",
                                     "-noreset", NULL };
        const char *const bus[] = { "dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1",
                                    NULL };
        const char *const agent[] = { BIOGATE_AGENT_PATH, NULL };
        g_autofree char *display_env = NULL, *runtime_env = NULL;

        d->xvfb = btf_spawn_async(xvfb, NULL, &error);
        g_assert_no_error(error);
        display_number = first_line(d->xvfb, "Xvfb");
        d->display = g_strdup_printf(":%s", display_number);
        display_env = g_strdup_printf("DISPLAY=%s", d->display);
        d->runtime_dir = g_build_filename(a->f.tmp, "runtime", NULL);
        g_assert_cmpint(g_mkdir(d->runtime_dir, 0700), ==, 0);
        runtime_env = g_strdup_printf("XDG_RUNTIME_DIR=%s", d->runtime_dir);

        /* The session bus, with the X display for what it activates
         * (at-spi-bus-launcher, the accessibility bus). */
        {
                const char *const env[] = { display_env, runtime_env, "DBUS_SESSION_BUS_ADDRESS", NULL };

                d->session_bus = btf_spawn_async(bus, env, &error);
                g_assert_no_error(error);
        }
        d->session_address = first_line(d->session_bus, "the session bus");

        d->env = g_new0(char *, 12);
        d->env[0] = g_strdup(display_env);
        d->env[1] = g_strdup(runtime_env);
        d->env[2] = g_strdup_printf("DBUS_SESSION_BUS_ADDRESS=%s", d->session_address);
        d->env[3] = g_strdup("GTK_A11Y=atspi");
        d->env[4] = g_strdup("NO_AT_BRIDGE");  /* unset: the bridge is what is tested */
        d->env[5] = g_strdup("GDK_BACKEND=x11");
        d->env[6] = g_strdup("GSETTINGS_BACKEND=memory");
        if (d->lang) {
                /* The person's language, and nothing above it. */
                d->env[7] = g_strconcat("LANG=", d->lang, NULL);
                d->env[8] = g_strdup("LANGUAGE");
                d->env[9] = g_strdup("LC_ALL");
                d->env[10] = g_strdup("LC_MESSAGES");
        }

        d->agent = btf_spawn_async(agent, (const char *const *) d->env, &error);
        g_assert_no_error(error);
        /* Before the main context runs again: when biogated asks logind
         * about the agent's pid, the answer is this session. */
        fake_logind_add_session(a->logind, SESSION, btf_proc_get_pid(d->agent), getuid(), FALSE);
        if (!btf_proc_wait_output(d->agent, BTF_STDOUT, "registered as ", T, &error))
                g_error("the agent did not register: %s\nstderr: %s", error->message,
                        btf_proc_get_stderr(d->agent));
}

static char *agent_unique_name(Desktop *d) {
        const char *line = strstr(btf_proc_get_stdout(d->agent), "registered as ") + strlen("registered as ");

        return g_strndup(line, strcspn(line, "\n"));
}

static void desktop_stop(Desktop *d) {
        /* Each by its pid: the agent, the session bus (what it activated
         * leaves with it), the X server. */
        if (d->agent)
                g_test_message("agent stderr: %s", btf_proc_get_stderr(d->agent));
        btf_proc_free(d->agent);
        btf_proc_free(d->session_bus);
        btf_proc_free(d->xvfb);
        g_free(d->display);
        g_free(d->session_address);
        g_free(d->runtime_dir);
        g_strfreev(d->env);
}

static char *op_text(Fixture *f, BtfOp *op) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = call_on(f->conn, btf_op_get_path(op), "org.freedesktop.DBus.Properties", "Get",
                                            g_variant_new("(ss)", BIOGATE_OPERATION_INTERFACE, "Text"), "(v)", &error);
        g_autoptr(GVariant) v = NULL;

        g_assert_no_error(error);
        g_variant_get(reply, "(v)", &v);
        return g_variant_dup_string(v, NULL);
}

/* The whole path a person sees: the daemon's words in the agent's window,
 * not the hostile client's; Cancel in the window cancels the operation. */
static void test_approval_prompt(AgentFixture *a, gconstpointer data) {
        Fixture *f = &a->f;
        Desktop d = { 0 };
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = NULL, hostile = NULL;
        g_autoptr(BtfOp) op = NULL;
        g_autofree char *agent_name = NULL, *text = NULL, *out = NULL, *err = NULL, *result = NULL;
        g_autofree char *screenshot = g_build_filename(f->tmp, "agent-approval.png", NULL);
        g_autofree char *artifact = g_build_filename(BIOGATE_TEST_ARTIFACT_DIR, "agent-approval.png", NULL);
        g_autofree char *png = NULL;
        gsize png_length = 0;
        int status = 0;

        enroll(f, "", "right-index-finger", "alice");
        desktop_start(a, &d);
        agent_name = agent_unique_name(&d);

        /* A client of the session (root even, which the bus lets send on
         * the interface) calls the agent directly: the agent refuses, as it
         * answers only the owner of org.biogate1. */
        hostile = g_variant_ref_sink(g_variant_new_parsed("{'text': <%s>, 'fields': <{'amount': '1.00', "
                                                          "'payee': 'Friend'}>}", HOSTILE_TEXT));
        reply = call_name(f->conn, agent_name, AGENT_PATH, "org.biogate1.Agent", "ShowApproval",
                          g_variant_new("(o@a{sv})", "/org/biogate1/operation/1", hostile), NULL, &error);
        g_assert_null(reply);
        assert_dbus_error(error, "org.freedesktop.DBus.Error.AccessDenied");
        g_clear_error(&error);

        /* Nor may anyone but the agent that was shown it cancel an
         * operation; one that does not exist gets the same answer. */
        reply = call_on(f->conn, BIOGATE_OBJECT_PATH, AGENT_MANAGER, "CancelApproval",
                        g_variant_new("(o)", "/org/biogate1/operation/1"), NULL, &error);
        g_assert_null(reply);
        assert_dbus_error(error, ERR "PermissionDenied");
        g_clear_error(&error);

        op = start_authorize(f->conn, withdrawal(), &error);
        g_assert_no_error(error);
        text = op_text(f, op);
        g_assert_cmpstr(text, ==, "Approve WITHDRAWAL of 250,000.00 USD to payee \"ACME Ltd\" (reference \"T-1001\")?");

        {
                const char *const argv[] = { "/usr/bin/python3", BIOGATE_AGENT_A11Y_SCRIPT, text, "250000.00 USD",
                                             "ACME Ltd", HOSTILE_TEXT, screenshot, NULL };

                g_assert_true(btf_run(argv, (const char *const *) d.env, &out, &err, &status, &error));
                g_assert_no_error(error);
                g_test_message("a11y script: %s%s", out, err);
                btf_assert_exit_code(status, 0);
        }
        /* Cancel through the window ended the trading client's Authorize. */
        result = wait_finished(op, NULL);
        g_assert_cmpstr(result, ==, "cancelled");

        /* The picture, kept with the build (the test's directory goes). */
        g_assert_true(g_file_get_contents(screenshot, &png, &png_length, &error));
        g_assert_no_error(error);
        g_assert_cmpuint(png_length, >, 1000);
        g_assert_true(memcmp(png, "\x89PNG", 4) == 0);
        g_assert_true(g_file_set_contents(artifact, png, (gssize) png_length, &error));
        g_assert_no_error(error);
        g_test_message("screenshot: %s", artifact);

        desktop_stop(&d);
}

/* Waits until the approval window shows each of labels (NULL-ended). */
static void expect_labels(Desktop *d, const char *const *labels) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_autofree char *out = NULL, *err = NULL;
        int status = 0;

        g_ptr_array_add(argv, (gpointer) "/usr/bin/python3");
        g_ptr_array_add(argv, (gpointer) BIOGATE_AGENT_A11Y_SCRIPT);
        g_ptr_array_add(argv, (gpointer) "--expect");
        for (guint i = 0; labels[i]; i++)
                g_ptr_array_add(argv, (gpointer) labels[i]);
        g_ptr_array_add(argv, NULL);
        g_assert_true(btf_run((const char *const *) argv->pdata, (const char *const *) d->env, &out, &err, &status,
                              &error));
        g_assert_no_error(error);
        g_test_message("a11y script: %s%s", out, err);
        btf_assert_exit_code(status, 0);
}

/* The window shows one approval, the sensor serves the oldest: a hostile
 * client of the session that starts its own Authorize just before the
 * trading app's would have the person read the app's transaction in the
 * window while the touch approves the hostile one. While the session's
 * agent shows an approval, a second one is refused, so the window always
 * shows what the touch approves. */
static void test_one_approval_at_a_time(AgentFixture *a, gconstpointer data) {
        g_autoptr(BtfOp) hostile = NULL, genuine = NULL;
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *result = NULL;
        Fixture *f = &a->f;
        Desktop d = { 0 };

        enroll(f, "", "right-index-finger", "alice");
        desktop_start(a, &d);

        hostile = start_authorize(f->conn, tx_new("withdrawal", "250000.00", "USD", "Mallory Ltd"), &error);
        g_assert_no_error(error);
        wait_finger_needed(hostile);
        genuine = start_authorize(f->conn, withdrawal(), &error);
        g_assert_null(genuine);
        assert_dbus_error(error, ERR "DeviceBusy");
        g_assert_nonnull(strstr(error->message, "approval agent"));
        g_clear_error(&error);

        /* The window still shows the transaction the touch approves. */
        expect_labels(&d, (const char *const[]) { "Approve WITHDRAWAL of 250,000.00 USD to payee \"Mallory Ltd\" "
                                                  "(reference \"T-1001\")?", "Mallory Ltd", NULL });
        touch(f, "alice");
        result = wait_finished(hostile, NULL);
        g_assert_cmpstr(result, ==, "approved");
        expect_labels(&d, (const char *const[]) { "Approved", NULL });

        /* Once it is closed, the next approval is shown. */
        genuine = start_authorize(f->conn, withdrawal(), &error);
        g_assert_no_error(error);
        expect_labels(&d, (const char *const[]) { "ACME Ltd", NULL });
        g_clear_pointer(&result, g_free);
        reply = call_on(f->conn, btf_op_get_path(genuine), BIOGATE_OPERATION_INTERFACE, "Cancel", NULL, NULL, &error);
        g_assert_no_error(error);
        result = wait_finished(genuine, NULL);
        g_assert_cmpstr(result, ==, "cancelled");
        desktop_stop(&d);
}

/* Hostile review R2: with display=agent, a touch must not approve what the
 * agent has not put on the screen. The session's agent is stopped
 * (SIGSTOP: same-user malware can do that); an Authorize for a rule with
 * display=agent holds the sensor without asking for a touch, so a touch
 * approves nothing, and when the agent does not take ShowApproval in time
 * the operation ends cancelled. Before the hold, that touch approved it. */
static void test_unshown_not_approved(AgentFixture *a, gconstpointer data) {
        g_autoptr(BtfOp) op = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *result = NULL;
        Fixture *f = &a->f;
        Desktop d = { 0 };

        enroll(f, "", "right-index-finger", "alice");
        desktop_start(a, &d);
        btf_proc_kill(d.agent, SIGSTOP);

        op = start_authorize(f->conn, withdrawal(), &error);
        g_assert_no_error(error);
        /* The finger reaches the sensor this operation holds for the stopped
         * agent. The socket's path seen first can be the enrolment's, left
         * behind when its device closed, and the hold's open makes it anew
         * (CI saw the touch find no path in between): then wait for the new
         * one and touch again. */
        for (guint attempt = 0;; attempt++) {
                g_assert_true(btf_vdev_wait_socket(f->vdev, T, &error));
                g_assert_no_error(error);
                if (btf_vdev_sendf(f->vdev, &error, "SCAN %s", "alice"))
                        break;
                g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
                g_assert_cmpuint(attempt, <, 10);
                g_clear_error(&error);
        }
        result = wait_finished(op, NULL);
        g_assert_cmpstr(result, ==, "cancelled");
        g_assert_cmpuint(btf_op_count_progress(op, "finger-needed"), ==, 0);

        btf_proc_kill(d.agent, SIGCONT);
        desktop_stop(&d);
}

/* The installed agent started in a user namespace of its own: there its
 * user may mount libraries of its choice under the binary (code of its
 * own in the agent, without LD_PRELOAD). Refused, and the session's agent
 * is not replaced. */
static void test_register_user_namespace(AgentFixture *a, gconstpointer data) {
        Desktop d = { 0 };
        const char *const argv[] = { "unshare", "-Ur", BIOGATE_AGENT_PATH, NULL };
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfProc) proc = NULL;
        int status = 0;

        desktop_start(a, &d);
        proc = btf_spawn_async(argv, (const char *const *) d.env, &error);
        g_assert_no_error(error);
        fake_logind_add_session(a->logind, SESSION, btf_proc_get_pid(proc), getuid(), FALSE);
        g_assert_true(btf_proc_wait_output(proc, BTF_STDERR, "did not accept this agent", T, &error));
        g_assert_no_error(error);
        g_assert_nonnull(strstr(btf_proc_get_stderr(proc), "user namespace"));
        /* Refused for good: it exits rather than linger in the session. */
        g_assert_true(btf_proc_wait(proc, T, &status, &error));
        g_assert_no_error(error);
        btf_assert_exit_code(status, 1);
        g_assert_cmpuint(fixture_log_count(&a->f, "registered for session"), ==, 1);
        g_assert_cmpuint(fixture_log_count(&a->f, "replaced"), ==, 0);
        desktop_stop(&d);
}

static void four_eyes_setup(AgentFixture *a, gconstpointer data) {
        const char *const args[] = { "--agent-path=" BIOGATE_AGENT_PATH, NULL };

        /* A sensor that identifies: four eyes needs one. */
        fixture_prepare_full(&a->f, "virtual_device_storage", (const char *const[]) { "/usr/share/dbus-1/system.d",
                                                                                     NULL });
        a->logind = fake_logind_start(&a->f);
        fake_logind_add_session(a->logind, SESSION, getpid(), getuid(), FALSE);
        fixture_start_daemon_with_policy(&a->f, policy, args);
}

/* Four eyes in the window: the maker's step, then "waiting for the second
 * approver"; the owner's Cancel reaches the window as the result. */
static void test_four_eyes(AgentFixture *a, gconstpointer data) {
        Fixture *f = &a->f;
        Desktop d = { 0 };
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfOp) op = NULL;
        g_autoptr(GVariant) reply = NULL;
        g_autofree char *result = NULL;

        enroll(f, "", "right-index-finger", "maker");
        enroll(f, OTHER_USER, "right-index-finger", "checker");
        desktop_start(a, &d);

        op = start_authorize(f->conn, tx_new("order", "2000000.00", "USD", NULL), &error);
        g_assert_no_error(error);
        expect_labels(&d, (const char *const[]) { "Approve ORDER of 2,000,000.00 USD (reference \"T-1001\")?",
                                                  "Initiator", "Touch the fingerprint sensor", NULL });
        wait_finger_needed(op);
        touch(f, "maker");
        g_assert_true(btf_op_wait_progress(op, "approver-needed", T, NULL, &error));
        g_assert_no_error(error);
        expect_labels(&d, (const char *const[]) { "Second approver",
                                                  "Waiting for the second approver to touch the sensor", NULL });
        reply = call_on(f->conn, btf_op_get_path(op), BIOGATE_OPERATION_INTERFACE, "Cancel", NULL, NULL, &error);
        g_assert_no_error(error);
        result = wait_finished(op, NULL);
        g_assert_cmpstr(result, ==, "cancelled");
        expect_labels(&d, (const char *const[]) { "Cancelled: nothing was approved", NULL });
        desktop_stop(&d);
}

/* ---- consent to enrolment from the desktop, in the agent ---- */

#define FPRINT_NAME "net.reactivated.Fprint"
#define FPRINT_DEVICE "/net/reactivated/Fprint/Device/0"
#define FPRINT_DEVICE_INTERFACE "net.reactivated.Fprint.Device"

typedef struct {
        gboolean done;
        GVariant *reply;
        GError *error;
} AsyncCall;

static void on_async_reply(GObject *source, GAsyncResult *res, gpointer user_data) {
        AsyncCall *c = user_data;

        c->reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &c->error);
        c->done = TRUE;
}

static gboolean async_done(gpointer user_data) {
        return ((AsyncCall *) user_data)->done;
}

/* fprintd's API as the desktop calls it, asynchronously: biogated asks the
 * logind stand-in, which answers from this main context. */
static void device_call_start(Fixture *f, const char *method, GVariant *params, AsyncCall *c) {
        *c = (AsyncCall) { 0 };
        g_dbus_connection_call(f->conn, FPRINT_NAME, FPRINT_DEVICE, FPRINT_DEVICE_INTERFACE, method, params, NULL,
                               G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, on_async_reply, c);
}

static void device_call_wait(AsyncCall *c) {
        g_assert_true(btf_wait_until(async_done, c, T));
}

/* A call to the device that must succeed; its reply dropped. */
static void device_call_ok(Fixture *f, const char *method, GVariant *params) {
        AsyncCall c;

        device_call_start(f, method, params, &c);
        device_call_wait(&c);
        g_assert_no_error(c.error);
        g_clear_pointer(&c.reply, g_variant_unref);
}

static void run_consent_script_full(Desktop *d, const char *answer, const char *version_line, const char *heading) {
        g_autoptr(GError) error = NULL;
        g_autofree char *out = NULL, *err = NULL;
        const char *const argv[] = { "/usr/bin/python3", BIOGATE_AGENT_A11Y_SCRIPT, "--consent", answer,
                                     version_line, heading, NULL };
        int status = 0;

        g_assert_true(btf_run(argv, (const char *const *) d->env, &out, &err, &status, &error));
        g_assert_no_error(error);
        g_test_message("a11y script: %s%s", out, err);
        btf_assert_exit_code(status, 0);
}

static void run_consent_script(Desktop *d, const char *answer) {
        run_consent_script_full(d, answer, "Notice-Version: " BIOGATE_TEST_NOTICE_VERSION, NULL);
}

/* EnrollStart, answered "decline" in the agent's window, which must show
 * version_line and heading (NULL: the vendor's English): ConsentRequired
 * with message in its text. */
static void enroll_declined(Fixture *f, Desktop *d, const char *version_line, const char *heading,
                            const char *message) {
        g_autofree char *name = NULL;
        AsyncCall c;

        device_call_start(f, "EnrollStart", g_variant_new("(s)", "right-index-finger"), &c);
        run_consent_script_full(d, "decline", version_line, heading);
        device_call_wait(&c);
        g_assert_null(c.reply);
        name = g_dbus_error_get_remote_error(c.error);
        g_assert_cmpstr(name, ==, "net.reactivated.Fprint.Error.ConsentRequired");
        g_assert_nonnull(strstr(c.error->message, message));
        g_clear_error(&c.error);
}

static void consent_prepare(AgentFixture *a) {
        system_prepare(&a->f);
        a->logind = fake_logind_start(&a->f);
        fake_logind_add_session(a->logind, SESSION, getpid(), getuid(), FALSE);
}

/* fprintd's API served; extra_arg (may be NULL) for the daemon. */
static void consent_daemon_start(AgentFixture *a, const char *extra_arg) {
        g_autofree char *config = NULL, *config_arg = NULL;

        config = g_build_filename(a->f.tmp, "biogate.conf", NULL);
        g_assert_true(g_file_set_contents(config, "[daemon]\nfprintd_api=yes\n", -1, NULL));
        config_arg = g_strdup_printf("--config=%s", config);
        {
                const char *const args[] = { "--agent-path=" BIOGATE_AGENT_PATH, config_arg, extra_arg, NULL };

                fixture_start_daemon_with_policy(&a->f, policy, args);
        }
}

static void consent_setup(AgentFixture *a, gconstpointer data) {
        consent_prepare(a);
        consent_daemon_start(a, NULL);
}

/* The desktop's EnrollStart for a user without consent on record: the
 * agent shows the daemon's notice; Decline refuses the enrolment, I agree
 * starts it. */
static void test_consent(AgentFixture *a, gconstpointer data) {
        Fixture *f = &a->f;
        Desktop d = { 0 };
        AsyncCall c;

        desktop_start(a, &d);
        device_call_ok(f, "Claim", g_variant_new("(s)", ""));
        enroll_declined(f, &d, "Notice-Version: " BIOGATE_TEST_NOTICE_VERSION, NULL, "declined");

        device_call_start(f, "EnrollStart", g_variant_new("(s)", "right-index-finger"), &c);
        run_consent_script(&d, "agree");
        device_call_wait(&c);
        g_assert_no_error(c.error);
        g_clear_pointer(&c.reply, g_variant_unref);

        device_call_ok(f, "EnrollStop", NULL);
        device_call_ok(f, "Release", NULL);
        desktop_stop(&d);
}

/* The same with a site notice that has a translation for the agent's
 * language: tt (no program catalogue has it, so the window's own words
 * stay as the other tests read them). */
static void consent_language_setup(AgentFixture *a, gconstpointer data) {
        g_autofree char *site = NULL, *site_arg = NULL, *tt = NULL;

        consent_prepare(a);
        site = g_build_filename(a->f.tmp, "consent-notice", NULL);
        tt = g_build_filename(a->f.tmp, "consent-notice.tt", NULL);
        g_assert_true(g_file_set_contents(site, "Notice-Version: site-tt\n\nThe site's notice\n", -1, NULL));
        g_assert_true(g_file_set_contents(tt, "Notice-Version: site-tt\n\nБармак эзе турында белдерү\n", -1, NULL));
        g_assert_cmpint(chmod(site, 0644), ==, 0);
        g_assert_cmpint(chmod(tt, 0644), ==, 0);
        site_arg = g_strdup_printf("--consent-notice=%s", site);
        consent_daemon_start(a, site_arg);
}

/* The agent's window shows the notice in the language its session runs
 * in, and the version the person declines is the one shown. */
static void test_consent_language(AgentFixture *a, gconstpointer data) {
        Fixture *f = &a->f;
        Desktop d = { .lang = "tt_RU.UTF-8" };

        desktop_start(a, &d);
        device_call_ok(f, "Claim", g_variant_new("(s)", ""));
        enroll_declined(f, &d, "Notice-Version: site-tt", "Бармак эзе турында белдерү",
                        "declined the biometric consent notice (version site-tt)");
        device_call_ok(f, "Release", NULL);
        desktop_stop(&d);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add("/agent/no-agent", AgentFixture, NULL, setup, test_no_agent, teardown);
        g_test_add("/agent/register-not-agent", AgentFixture, NULL, setup, test_register_not_agent, teardown);
        g_test_add("/agent/register-bind-mounted", AgentFixture, NULL, setup, test_register_bind_mounted, teardown);
        g_test_add("/agent/approval-prompt", AgentFixture, NULL, setup, test_approval_prompt, teardown);
        g_test_add("/agent/consent", AgentFixture, NULL, consent_setup, test_consent, teardown);
        g_test_add("/agent/consent-language", AgentFixture, NULL, consent_language_setup, test_consent_language,
                   teardown);
        g_test_add("/agent/four-eyes", AgentFixture, NULL, four_eyes_setup, test_four_eyes, teardown);
        g_test_add("/agent/register-user-namespace", AgentFixture, NULL, setup, test_register_user_namespace,
                   teardown);
        g_test_add("/agent/one-approval-at-a-time", AgentFixture, NULL, setup, test_one_approval_at_a_time, teardown);
        g_test_add("/agent/unshown-not-approved", AgentFixture, NULL, setup, test_unshown_not_approved, teardown);
        return g_test_run();
}
