/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-session.h"

#include <stdlib.h>
#include <systemd/sd-login.h>

BiogatedSessionPlace biogated_session_place(pid_t pid, char **ret_reason) {
        g_autofree char *session = NULL;
        char *s = NULL;
        int r;

        /* logind always has seat0 while it runs: no seat, no logind. The
         * same test as the PAM module's remote check, so both agree on what
         * "unknown" is. */
        if (sd_get_seats(NULL) <= 0) {
                *ret_reason = g_strdup("logind is not running, so whether the session is local is unknown");
                return BIOGATED_SESSION_UNKNOWN;
        }
        if (pid <= 0) {
                *ret_reason = g_strdup("the caller's process is unknown");
                return BIOGATED_SESSION_UNKNOWN;
        }
        r = sd_pid_get_session(pid, &s);
        if (r < 0) {
                *ret_reason = g_strdup_printf("the caller is in no login session (%s)", g_strerror(-r));
                return BIOGATED_SESSION_ELSEWHERE;
        }
        session = g_strdup(s);
        free(s);
        if (sd_session_is_remote(session) != 0) {
                *ret_reason = g_strdup_printf("session %s is remote", session);
                return BIOGATED_SESSION_ELSEWHERE;
        }
        if (sd_session_is_active(session) <= 0) {
                *ret_reason = g_strdup_printf("session %s is not the active one on its seat", session);
                return BIOGATED_SESSION_ELSEWHERE;
        }
        *ret_reason = g_strdup_printf("session %s is local and active", session);
        return BIOGATED_SESSION_LOCAL_ACTIVE;
}

gboolean biogated_session_is_local_active(pid_t pid, char **ret_reason) {
        g_autofree char *reason = NULL;

        if (biogated_session_place(pid, &reason) == BIOGATED_SESSION_LOCAL_ACTIVE)
                return TRUE;
        *ret_reason = g_steal_pointer(&reason);
        return FALSE;
}

/* ---- Who a session belongs to, from logind's bus API ---- */

#define LOGIN1_NAME "org.freedesktop.login1"
#define LOGIN1_PATH "/org/freedesktop/login1"
#define LOGIN1_MANAGER "org.freedesktop.login1.Manager"
#define LOGIN1_SESSION "org.freedesktop.login1.Session"
#define LOGIN1_NO_SESSION_FOR_PID "org.freedesktop.login1.NoSessionForPID"

typedef struct SessionLookup {
        GDBusConnection *bus;
        char *path;             /* the session's object path, once known */
        BiogatedSessionReady ready;
        gpointer user_data;
} SessionLookup;

static void session_lookup_free(SessionLookup *l) {
        g_object_unref(l->bus);
        g_free(l->path);
        g_free(l);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SessionLookup, session_lookup_free)

/* logind is not on this bus (not installed, or not running: it is never
 * activated by us), or says the process is in no session. */
static gboolean means_no_session(const GError *error) {
        g_autofree char *remote = g_dbus_error_get_remote_error(error);

        return g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
               g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER) ||
               (remote && g_str_equal(remote, LOGIN1_NO_SESSION_FOR_PID));
}

static void on_session_properties(GObject *source, GAsyncResult *res, gpointer user_data) {
        g_autoptr(SessionLookup) l = user_data;
        g_autoptr(GVariant) reply = NULL, props = NULL, user = NULL;
        g_autoptr(GError) error = NULL;
        BiogatedSessionInfo info = { .found = TRUE };
        guint32 owner;

        reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
        if (!reply) {
                /* The session ended between the two calls: the process is
                 * in none now. */
                if (means_no_session(error) || g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT)) {
                        l->ready(&(BiogatedSessionInfo) { .found = FALSE }, NULL, l->user_data);
                        return;
                }
                l->ready(NULL, error, l->user_data);
                return;
        }
        g_variant_get(reply, "(@a{sv})", &props);
        user = g_variant_lookup_value(props, "User", G_VARIANT_TYPE("(uo)"));
        if (!user || !g_variant_lookup(props, "Remote", "b", &info.remote)) {
                g_set_error_literal(&error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                    "logind's session has no User or Remote property");
                l->ready(NULL, error, l->user_data);
                return;
        }
        g_variant_get(user, "(u&o)", &owner, NULL);
        info.owner = (uid_t) owner;
        info.path = l->path;
        l->ready(&info, NULL, l->user_data);
}

static void on_session_by_pid(GObject *source, GAsyncResult *res, gpointer user_data) {
        g_autoptr(SessionLookup) l = user_data;
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GError) error = NULL;
        GDBusConnection *bus;
        const char *path;

        reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
        if (!reply) {
                if (means_no_session(error)) {
                        l->ready(&(BiogatedSessionInfo) { .found = FALSE }, NULL, l->user_data);
                        return;
                }
                l->ready(NULL, error, l->user_data);
                return;
        }
        g_variant_get(reply, "(&o)", &path);
        l->path = g_strdup(path);
        bus = l->bus;
        g_dbus_connection_call(bus, LOGIN1_NAME, path, "org.freedesktop.DBus.Properties", "GetAll",
                               g_variant_new("(s)", LOGIN1_SESSION), G_VARIANT_TYPE("(a{sv})"),
                               G_DBUS_CALL_FLAGS_NO_AUTO_START, BIOGATED_SESSION_LOOKUP_TIMEOUT_MS, NULL,
                               on_session_properties, g_steal_pointer(&l));
}

static gboolean report_unknown_pid(gpointer user_data) {
        g_autoptr(SessionLookup) l = user_data;
        g_autoptr(GError) error = g_error_new_literal(G_DBUS_ERROR, G_DBUS_ERROR_UNIX_PROCESS_ID_UNKNOWN,
                                                      "The bus did not say which process called");

        l->ready(NULL, error, l->user_data);
        return G_SOURCE_REMOVE;
}

void biogated_session_lookup(GDBusConnection *bus, pid_t pid, BiogatedSessionReady ready, gpointer user_data) {
        SessionLookup *l = g_new0(SessionLookup, 1);

        *l = (SessionLookup) { .bus = g_object_ref(bus), .ready = ready, .user_data = user_data };
        if (pid <= 0) {
                g_autoptr(GSource) idle = g_idle_source_new();

                g_source_set_callback(idle, report_unknown_pid, l, NULL);
                g_source_attach(idle, g_main_context_get_thread_default());
                return;
        }
        /* Never auto-started: where logind does not run, nobody is in a
         * session, and a start attempt would only add a delay. */
        g_dbus_connection_call(bus, LOGIN1_NAME, LOGIN1_PATH, LOGIN1_MANAGER, "GetSessionByPID",
                               g_variant_new("(u)", (guint32) pid), G_VARIANT_TYPE("(o)"),
                               G_DBUS_CALL_FLAGS_NO_AUTO_START, BIOGATED_SESSION_LOOKUP_TIMEOUT_MS, NULL,
                               on_session_by_pid, l);
}
