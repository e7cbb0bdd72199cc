/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-caller.h"

#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "biogated-error.h"

typedef struct Pending {
        GDBusMethodInvocation *invocation;
        char *user;
        BiogatedCallerReady ready;
        gpointer user_data;
        GDestroyNotify destroy;
} Pending;

static void pending_free(Pending *p) {
        if (p->destroy)
                p->destroy(p->user_data);
        g_object_unref(p->invocation);
        g_free(p->user);
        g_free(p);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Pending, pending_free)

void biogated_caller_free(BiogatedCaller *caller) {
        if (!caller)
                return;
        g_free(caller->target_user);
        g_free(caller);
}

/* name == NULL: look up uid instead. */
static gboolean lookup_user(const char *name, uid_t uid, uid_t *ret_uid, char **ret_name, GError **error) {
        struct passwd pw, *result = NULL;
        char buf[4096];
        int r;

        if (name)
                r = getpwnam_r(name, &pw, buf, sizeof buf, &result);
        else
                r = getpwuid_r(uid, &pw, buf, sizeof buf, &result);
        if (r != 0 && r != ENOENT && r != ESRCH) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INTERNAL,
                            "User database lookup failed: %s", g_strerror(r));
                return FALSE;
        }
        if (!result) {
                if (name)
                        g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_NO_SUCH_USER, "No such user");
                else
                        g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_NO_SUCH_USER,
                                    "uid %u has no entry in the user database", (unsigned) uid);
                return FALSE;
        }
        *ret_uid = result->pw_uid;
        *ret_name = g_strdup(result->pw_name);
        return TRUE;
}

static gboolean user_name_is_sane(const char *user) {
        /* Bound what reaches NSS; user names never need more. */
        if (strlen(user) > 256)
                return FALSE;
        for (const char *c = user; *c; c++)
                if ((unsigned char) *c < 0x20 || *c == 0x7f || *c == ':' || *c == '/')
                        return FALSE;
        return TRUE;
}

static void on_credentials(GObject *source, GAsyncResult *res, gpointer user_data) {
        g_autoptr(Pending) p = user_data;
        g_autoptr(GVariant) reply = NULL, creds = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(BiogatedCaller) caller = g_new0(BiogatedCaller, 1);
        guint32 uid, pid = 0;

        reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
        if (!reply) {
                /* The caller left the bus, or the bus would not tell: deny. */
                g_dbus_method_invocation_return_error(p->invocation, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_PERMISSION_DENIED,
                                                      "Cannot determine the caller's identity");
                return;
        }
        g_variant_get(reply, "(@a{sv})", &creds);
        if (!g_variant_lookup(creds, "UnixUserID", "u", &uid)) {
                g_dbus_method_invocation_return_error(p->invocation, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_PERMISSION_DENIED,
                                                      "The bus did not report the caller's uid");
                return;
        }
        (void) g_variant_lookup(creds, "ProcessID", "u", &pid);
        caller->uid = (uid_t) uid;
        caller->pid = (pid_t) pid;

        if (!lookup_user(p->user[0] ? p->user : NULL, caller->uid, &caller->target_uid, &caller->target_user, &error)) {
                /* Do not tell an unprivileged caller which names exist. */
                if (caller->uid != 0 && p->user[0])
                        g_dbus_method_invocation_return_error_literal(p->invocation, BIOGATE_DBUS_ERROR,
                                                                      BIOGATE_ERROR_PERMISSION_DENIED,
                                                                      "You may only act on your own fingerprints");
                else
                        g_dbus_method_invocation_return_gerror(p->invocation, error);
                return;
        }
        if (caller->target_uid != caller->uid && caller->uid != 0) {
                g_message("Refused: uid %u asked to act on user %s", (unsigned) caller->uid, caller->target_user);
                g_dbus_method_invocation_return_error_literal(p->invocation, BIOGATE_DBUS_ERROR,
                                                              BIOGATE_ERROR_PERMISSION_DENIED,
                                                              "You may only act on your own fingerprints");
                return;
        }
        p->ready(p->invocation, caller, p->user_data);
}

void biogated_caller_authorize(GDBusMethodInvocation *invocation, const char *user,
                               BiogatedCallerReady ready, gpointer user_data, GDestroyNotify destroy) {
        Pending *p;

        if (!user_name_is_sane(user)) {
                g_dbus_method_invocation_return_error_literal(invocation, BIOGATE_DBUS_ERROR,
                                                              BIOGATE_ERROR_INVALID_ARGUMENT, "Invalid user name");
                if (destroy)
                        destroy(user_data);
                return;
        }
        p = g_new0(Pending, 1);
        *p = (Pending) { .invocation = g_object_ref(invocation), .user = g_strdup(user),
                         .ready = ready, .user_data = user_data, .destroy = destroy };
        g_dbus_connection_call(g_dbus_method_invocation_get_connection(invocation), "org.freedesktop.DBus",
                               "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetConnectionCredentials",
                               g_variant_new("(s)", g_dbus_method_invocation_get_sender(invocation)),
                               G_VARIANT_TYPE("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_credentials, p);
}
