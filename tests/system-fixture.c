/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "system-fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define POLKITD_PATH "/usr/lib/polkit-1/polkitd"
#define SYSTEM_D "/usr/share/dbus-1/system.d"

void system_prepare(Fixture *f) {
        fixture_prepare_full(f, NULL, (const char *const[]) { SYSTEM_D, NULL });
}

/* Iterates the default main context until done(data); fails the test at
 * the default deadline. */
static void iterate_until(BtfCondFunc done, gpointer data, const char *what) {
        if (!btf_wait_until(done, data, T))
                g_error("timed out waiting for %s", what);
}

/* ---- polkitd ---- */

struct Polkitd {
        BtfProc *proc;
};

static void chown_polkitd(const char *path) {
        struct passwd *pw = getpwnam("polkitd");

        g_assert_nonnull(pw);
        g_assert_cmpint(chown(path, pw->pw_uid, 0), ==, 0);
}

Polkitd *polkitd_start(Fixture *f, const char *rules) {
        g_autofree char *actions = g_build_filename(f->tmp, "polkit-actions", NULL);
        g_autofree char *rules_dir = g_build_filename(f->tmp, "polkit-rules.d", NULL);
        g_autofree char *policy = g_build_filename(actions, "org.biogate1.policy", NULL);
        g_autofree char *contents = NULL;
        g_autoptr(GError) error = NULL;
        Polkitd *polkitd = g_new0(Polkitd, 1);
        gsize length = 0;
        /* polkitd has no option for its directories: a private mount
         * namespace shows it ours in their place. */
        const char *const argv[] = {
                "unshare", "-m", "--propagation", "private", "sh", "-c",
                "mount --bind \"$1\" /usr/share/polkit-1/actions && "
                "mount --bind \"$2\" /etc/polkit-1/rules.d && exec " POLKITD_PATH,
                "sh", actions, rules_dir, NULL,
        };

        g_assert_cmpint(g_mkdir(actions, 0755), ==, 0);
        g_assert_true(g_file_get_contents(BIOGATE_POLKIT_POLICY, &contents, &length, &error));
        g_assert_no_error(error);
        g_assert_true(g_file_set_contents_full(policy, contents, (gssize) length, G_FILE_SET_CONTENTS_NONE, 0644,
                                               &error));
        g_assert_no_error(error);
        g_assert_cmpint(g_mkdir(rules_dir, 0700), ==, 0);
        if (rules) {
                g_autofree char *file = g_build_filename(rules_dir, "50-biogate-test.rules", NULL);

                g_assert_true(g_file_set_contents_full(file, rules, -1, G_FILE_SET_CONTENTS_NONE, 0644, &error));
                g_assert_no_error(error);
                chown_polkitd(file);
        }
        chown_polkitd(rules_dir);

        polkitd->proc = btf_spawn_async(argv, NULL, &error);
        g_assert_no_error(error);
        if (!btf_bus_wait_name(f->bus, "org.freedesktop.PolicyKit1", T, NULL, &error))
                g_error("polkitd did not start: %s\nstdout: %s\nstderr: %s", error->message,
                        btf_proc_get_stdout(polkitd->proc), btf_proc_get_stderr(polkitd->proc));
        return polkitd;
}

void polkitd_stop(Polkitd *polkitd) {
        g_autoptr(GError) error = NULL;

        if (!polkitd)
                return;
        btf_proc_kill(polkitd->proc, SIGTERM);
        (void) btf_proc_wait(polkitd->proc, T, NULL, &error);
        /* Its log, for a failing test (polkit.log() from rules lands here). */
        g_test_message("polkitd: %s%s", btf_proc_get_stdout(polkitd->proc), btf_proc_get_stderr(polkitd->proc));
        btf_proc_free(polkitd->proc);
        g_free(polkitd);
}

/* ---- logind stand-in ---- */

struct FakeLogind {
        GDBusConnection *conn;
        guint registration;
        GPtrArray *calls;       /* "what who why mode" per Inhibit call */
        GArray *read_fds;       /* the read end of each inhibitor pipe */
        GHashTable *sessions;   /* pid -> FakeSession */
        guint session_lookups;  /* GetSessionByPID calls */
};

typedef struct FakeSession {
        char *path;
        uid_t owner;
        gboolean remote;
        guint registration;
} FakeSession;

static const char login1_xml[] =
        "<node>"
        "  <interface name='" LOGIN1_MANAGER "'>"
        "    <method name='Inhibit'>"
        "      <arg name='what' type='s' direction='in'/>"
        "      <arg name='who' type='s' direction='in'/>"
        "      <arg name='why' type='s' direction='in'/>"
        "      <arg name='mode' type='s' direction='in'/>"
        "      <arg name='fd' type='h' direction='out'/>"
        "    </method>"
        "    <method name='GetSessionByPID'>"
        "      <arg name='pid' type='u' direction='in'/>"
        "      <arg name='session' type='o' direction='out'/>"
        "    </method>"
        "    <signal name='PrepareForSleep'><arg name='start' type='b'/></signal>"
        "  </interface>"
        "</node>";

/* The two properties of a session biogated reads. */
static const char session_xml[] =
        "<node>"
        "  <interface name='org.freedesktop.login1.Session'>"
        "    <property name='User' type='(uo)' access='read'/>"
        "    <property name='Remote' type='b' access='read'/>"
        "  </interface>"
        "</node>";

static void login1_method_call(GDBusConnection *connection, const char *sender, const char *path,
                               const char *interface, const char *method, GVariant *parameters,
                               GDBusMethodInvocation *invocation, gpointer user_data) {
        FakeLogind *logind = user_data;
        const char *what, *who, *why, *mode;
        g_autoptr(GUnixFDList) fds = NULL;
        int p[2];

        /* Only what is declared reaches here: GDBus refuses anything else. */
        if (g_str_equal(method, "GetSessionByPID")) {
                guint32 pid;
                FakeSession *session;

                g_variant_get(parameters, "(u)", &pid);
                logind->session_lookups++;
                session = g_hash_table_lookup(logind->sessions, GUINT_TO_POINTER(pid));
                if (!session) {
                        /* logind's answer for a process in no session. */
                        g_dbus_method_invocation_return_dbus_error(invocation, "org.freedesktop.login1.NoSessionForPID",
                                                                   "PID does not belong to any known session");
                        return;
                }
                g_dbus_method_invocation_return_value(invocation, g_variant_new("(o)", session->path));
                return;
        }
        g_variant_get(parameters, "(&s&s&s&s)", &what, &who, &why, &mode);
        g_ptr_array_add(logind->calls, g_strdup_printf("%s %s %s %s", what, who, why, mode));
        /* As logind: the client gets the write end; when every copy of it
         * is closed, the read end sees the hang-up. */
        g_assert_cmpint(pipe2(p, O_CLOEXEC), ==, 0);
        fds = g_unix_fd_list_new_from_array(&p[1], 1);
        g_array_append_val(logind->read_fds, p[0]);
        g_dbus_method_invocation_return_value_with_unix_fd_list(invocation, g_variant_new("(h)", 0), fds);
}

static const GDBusInterfaceVTable login1_vtable = { .method_call = login1_method_call };

static GVariant *session_get_property(GDBusConnection *connection, const char *sender, const char *path,
                                      const char *interface, const char *property, GError **error,
                                      gpointer user_data) {
        FakeSession *session = user_data;

        if (g_str_equal(property, "User")) {
                g_autofree char *user_path = g_strdup_printf(LOGIN1_PATH "/user/_%u", (unsigned) session->owner);
                return g_variant_new("(uo)", (guint32) session->owner, user_path);
        }
        return g_variant_new_boolean(session->remote);
}

static const GDBusInterfaceVTable session_vtable = { .get_property = session_get_property };

static void fake_session_free(gpointer data) {
        FakeSession *session = data;

        g_free(session->path);
        g_free(session);
}

void fake_logind_add_session(FakeLogind *logind, const char *id, pid_t pid, uid_t owner, gboolean remote) {
        g_autoptr(GDBusNodeInfo) node = g_dbus_node_info_new_for_xml(session_xml, NULL);
        g_autoptr(GError) error = NULL;
        FakeSession *session = g_new0(FakeSession, 1);
        GHashTableIter iter;
        FakeSession *other;

        g_assert_false(g_hash_table_contains(logind->sessions, GUINT_TO_POINTER((guint) pid)));
        session->path = g_strdup_printf(LOGIN1_PATH "/session/%s", id);
        session->owner = owner;
        session->remote = remote;
        /* A second process of a session already served: its object is
         * there (with the first one's owner and Remote). */
        g_hash_table_iter_init(&iter, logind->sessions);
        while (g_hash_table_iter_next(&iter, NULL, (gpointer *) &other))
                if (g_str_equal(other->path, session->path)) {
                        g_assert_cmpuint(other->owner, ==, owner);
                        g_assert_cmpint(other->remote, ==, remote);
                        g_hash_table_insert(logind->sessions, GUINT_TO_POINTER((guint) pid), session);
                        return;
                }
        session->registration = g_dbus_connection_register_object(logind->conn, session->path, node->interfaces[0],
                                                                  &session_vtable, session, NULL, &error);
        g_assert_no_error(error);
        g_hash_table_insert(logind->sessions, GUINT_TO_POINTER((guint) pid), session);
}

guint fake_logind_count_session_lookups(FakeLogind *logind) {
        return logind->session_lookups;
}

FakeLogind *fake_logind_start(Fixture *f) {
        g_autoptr(GDBusNodeInfo) node = g_dbus_node_info_new_for_xml(login1_xml, NULL);
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GError) error = NULL;
        FakeLogind *logind = g_new0(FakeLogind, 1);
        guint32 result = 0;

        logind->calls = g_ptr_array_new_with_free_func(g_free);
        logind->read_fds = g_array_new(FALSE, FALSE, sizeof(int));
        logind->sessions = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, fake_session_free);
        logind->conn = btf_bus_connect(f->bus, &error);
        g_assert_no_error(error);
        logind->registration = g_dbus_connection_register_object(logind->conn, LOGIN1_PATH, node->interfaces[0],
                                                                 &login1_vtable, logind, NULL, &error);
        g_assert_no_error(error);
        /* The object first, then the name: a watcher that sees the name can
         * call at once. */
        reply = g_dbus_connection_call_sync(logind->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                            "org.freedesktop.DBus", "RequestName",
                                            g_variant_new("(su)", LOGIN1_NAME, 4u), G_VARIANT_TYPE("(u)"),
                                            G_DBUS_CALL_FLAGS_NONE, T, NULL, &error);
        g_assert_no_error(error);
        g_variant_get(reply, "(u)", &result);
        g_assert_cmpuint(result, ==, 1); /* primary owner */
        return logind;
}

void fake_logind_free(FakeLogind *logind) {
        if (!logind)
                return;
        g_dbus_connection_unregister_object(logind->conn, logind->registration);
        {
                GHashTableIter iter;
                FakeSession *session;

                g_hash_table_iter_init(&iter, logind->sessions);
                while (g_hash_table_iter_next(&iter, NULL, (gpointer *) &session))
                        if (session->registration)
                                g_dbus_connection_unregister_object(logind->conn, session->registration);
                g_hash_table_unref(logind->sessions);
        }
        (void) g_dbus_connection_close_sync(logind->conn, NULL, NULL);
        g_object_unref(logind->conn);
        for (guint i = 0; i < logind->read_fds->len; i++)
                (void) close(g_array_index(logind->read_fds, int, i));
        g_array_unref(logind->read_fds);
        g_ptr_array_unref(logind->calls);
        g_free(logind);
}

const char *fake_logind_get_unique_name(FakeLogind *logind) {
        return g_dbus_connection_get_unique_name(logind->conn);
}

typedef struct {
        FakeLogind *logind;
        guint count;
} CountWait;

static gboolean enough_calls(gpointer data) {
        CountWait *w = data;
        return w->logind->calls->len >= w->count;
}

void fake_logind_wait_inhibit(FakeLogind *logind, guint count, char **ret_args) {
        CountWait w = { logind, count };

        iterate_until(enough_calls, &w, "Inhibit calls");
        if (ret_args)
                *ret_args = g_strdup(g_ptr_array_index(logind->calls, logind->calls->len - 1));
}

void fake_logind_prepare_for_sleep(FakeLogind *logind, gboolean start) {
        g_autoptr(GError) error = NULL;

        g_assert_true(g_dbus_connection_emit_signal(logind->conn, NULL, LOGIN1_PATH, LOGIN1_MANAGER,
                                                    "PrepareForSleep", g_variant_new("(b)", start), &error));
        g_assert_no_error(error);
        g_assert_true(g_dbus_connection_flush_sync(logind->conn, NULL, &error));
        g_assert_no_error(error);
}

void fake_logind_round_trip(FakeLogind *logind) {
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GError) error = NULL;

        /* The bus keeps one sender's messages in order, and biogated
         * dispatches signals and calls in arrival order. */
        reply = manager_call(logind->conn, "ListDevices", NULL, "(a(ssa{sv}))", &error);
        g_assert_no_error(error);
}

gboolean fake_logind_is_released(FakeLogind *logind, guint index) {
        struct pollfd pfd = { .events = POLLIN };

        g_assert_cmpuint(index, <, logind->read_fds->len);
        pfd.fd = g_array_index(logind->read_fds, int, index);
        g_assert_cmpint(poll(&pfd, 1, 0), >=, 0);
        return (pfd.revents & POLLHUP) != 0;
}

typedef struct {
        FakeLogind *logind;
        guint index;
} ReleaseWait;

static gboolean released(gpointer data) {
        ReleaseWait *w = data;
        return fake_logind_is_released(w->logind, w->index);
}

static gboolean on_fd_ready(int fd, GIOCondition condition, gpointer user_data) {
        /* Level-triggered, and removed as soon as released() holds. */
        return G_SOURCE_CONTINUE;
}

void fake_logind_wait_released(FakeLogind *logind, guint index) {
        ReleaseWait w = { logind, index };
        guint id;

        g_assert_cmpuint(index, <, logind->read_fds->len);
        /* Only wakes the loop up; released() decides. */
        id = g_unix_fd_add(g_array_index(logind->read_fds, int, index), G_IO_HUP | G_IO_ERR, on_fd_ready, NULL);
        iterate_until(released, &w, "the inhibitor to be released");
        g_source_remove(id);
}

gboolean vdev_is_listening(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd, r, saved;

        g_assert_cmpuint(strlen(path), <, sizeof sa.sun_path);
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        g_assert_cmpint(fd, >=, 0);
        r = connect(fd, (struct sockaddr *) &sa, sizeof sa);
        saved = errno;
        close(fd);
        if (r == 0)
                return TRUE;
        g_assert_true(saved == ECONNREFUSED || saved == ENOENT);
        return FALSE;
}

/* ---- clients ---- */

int run_as_nobody(const char *const *argv, char **ret_stdout, char **ret_stderr) {
        g_autoptr(GError) error = NULL;
        int status = -1;

        g_assert_true(btf_run_as(NOBODY, NOBODY, argv, ret_stdout, ret_stderr, &status, &error));
        g_assert_no_error(error);
        return status;
}

int run_as_root(const char *const *argv, char **ret_stdout, char **ret_stderr) {
        g_autoptr(GError) error = NULL;
        int status = -1;

        g_assert_true(btf_run(argv, NULL, ret_stdout, ret_stderr, &status, &error));
        g_assert_no_error(error);
        return status;
}

void assert_run(int wait_status, const char *out, const char *err, int exit_code, const char *text) {
        if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != exit_code ||
            (text && !strstr(out ? out : "", text) && !strstr(err ? err : "", text)))
                g_error("expected exit %d and '%s'; got status %d\nstdout: %s\nstderr: %s", exit_code,
                        text ? text : "", wait_status, out, err);
}
