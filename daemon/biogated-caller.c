/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-caller.h"

#include <errno.h>
#include <polkit/polkit.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "biogated-error.h"

/* What each action asks of polkit when the caller acts on themselves. */
static const char *const self_actions[_BIOGATED_ACTION_MAX] = {
        [BIOGATED_ACTION_OWN_DATA] = NULL,
        [BIOGATED_ACTION_ENROLL] = "org.biogate1.enroll",
        [BIOGATED_ACTION_VERIFY] = "org.biogate1.verify",
        [BIOGATED_ACTION_APPROVE] = "org.biogate1.approve",
        [BIOGATED_ACTION_MANAGE] = BIOGATED_POLKIT_ACTION_MANAGE,
};

/* Set while polkitd is known to be missing, so the fallback is logged once
 * per absence rather than once per call. */
static gboolean polkit_absence_logged;

typedef struct Pending {
        GDBusMethodInvocation *invocation;
        char *user;
        BiogatedAction action;
        BiogatedCaller *caller;
        GError *lookup_error;   /* the named user does not exist: shown only to managers */
        const char *polkit_action;
        GCancellable *cancellable;
        guint watch_id;         /* the caller's bus name, during the polkit check */
        gboolean caller_left;
        BiogatedCallerReady ready;
        gpointer user_data;
        GDestroyNotify destroy;
} Pending;

static void pending_free(Pending *p) {
        if (p->watch_id)
                g_bus_unwatch_name(p->watch_id);
        if (p->destroy)
                p->destroy(p->user_data);
        g_clear_object(&p->cancellable);
        g_clear_error(&p->lookup_error);
        biogated_caller_free(p->caller);
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

const char *biogated_caller_polkit_action(BiogatedAction action, uid_t uid, uid_t target_uid) {
        g_return_val_if_fail(action < _BIOGATED_ACTION_MAX, BIOGATED_POLKIT_ACTION_MANAGE);

        if (uid == 0)
                return NULL;
        if (target_uid != uid)
                return BIOGATED_POLKIT_ACTION_MANAGE;
        return self_actions[action];
}

gboolean biogated_caller_builtin_allows(BiogatedAction action, uid_t uid, uid_t target_uid) {
        if (uid == 0)
                return TRUE;
        return target_uid == uid && action != BIOGATED_ACTION_MANAGE;
}

char *biogated_user_name(uid_t uid) {
        struct passwd pw, *result = NULL;
        char buf[4096];

        if (getpwuid_r(uid, &pw, buf, sizeof buf, &result) != 0 || !result)
                return NULL;
        return g_strdup(result->pw_name);
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

static void deny(Pending *p, const char *message) {
        g_dbus_method_invocation_return_error_literal(p->invocation, BIOGATE_DBUS_ERROR,
                                                      BIOGATE_ERROR_PERMISSION_DENIED, message);
}

/* Denials for acting on others say the same whether or not the user exists. */
static void deny_other(Pending *p) {
        g_message("Refused: uid %u asked to act on user %s", (unsigned) p->caller->uid, p->user);
        deny(p, "You may only act on your own fingerprints");
}

static void deny_action(Pending *p, const char *why) {
        if (!p->lookup_error && p->caller->target_uid == p->caller->uid) {
                g_message("Refused: uid %u is not authorized for %s%s", (unsigned) p->caller->uid,
                          p->polkit_action, why);
                deny(p, "Not authorized for this action");
                return;
        }
        deny_other(p);
}

static void grant(Pending *p) {
        /* Only now may a manager learn that the named user does not exist. */
        if (p->lookup_error) {
                g_dbus_method_invocation_return_gerror(p->invocation, p->lookup_error);
                return;
        }
        p->ready(p->invocation, p->caller, p->user_data);
}

static gboolean polkitd_is_absent(const GError *error) {
        /* Not running and not activatable: not installed on this bus. A
         * polkitd that is there but fails (or fails to start) denies. */
        return g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
               g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER);
}

static void fall_back(Pending *p) {
        if (!polkit_absence_logged) {
                g_message("polkitd is not on the system bus: authorizing by the built-in rule "
                          "(a user may act on themselves, root on anyone)");
                polkit_absence_logged = TRUE;
        }
        if (!p->lookup_error &&
            biogated_caller_builtin_allows(p->action, p->caller->uid, p->caller->target_uid)) {
                grant(p);
                return;
        }
        if (p->action == BIOGATED_ACTION_MANAGE && !p->lookup_error && p->caller->target_uid == p->caller->uid) {
                deny_action(p, " (only root without polkit)");
                return;
        }
        deny_other(p);
}

static void on_checked(GObject *source, GAsyncResult *res, gpointer user_data) {
        g_autoptr(Pending) p = user_data;
        g_autoptr(PolkitAuthorizationResult) result = NULL;
        g_autoptr(GError) error = NULL;

        result = polkit_authority_check_authorization_finish(POLKIT_AUTHORITY(source), res, &error);
        if (p->caller_left) {
                /* Whatever polkitd said: nobody is there to act for. */
                g_message("uid %u left the bus during the authorization check for %s; denied",
                          (unsigned) p->caller->uid, p->polkit_action);
                deny(p, "The caller left during the authorization check");
                return;
        }
        if (!result) {
                if (polkitd_is_absent(error)) {
                        fall_back(p);
                        return;
                }
                g_warning("Cannot check %s for uid %u with polkit: %s", p->polkit_action,
                          (unsigned) p->caller->uid, error->message);
                deny(p, "The authorization check failed");
                return;
        }
        polkit_absence_logged = FALSE;
        if (polkit_authorization_result_get_is_authorized(result)) {
                if (g_str_equal(p->polkit_action, BIOGATED_POLKIT_ACTION_MANAGE))
                        p->caller->may_manage = TRUE;
                grant(p);
                return;
        }
        if (polkit_authorization_result_get_is_challenge(result)) {
                deny_action(p, " without authentication (call with interactive authorization allowed, "
                               "from a session with a polkit agent)");
                return;
        }
        deny_action(p, "");
}

static void on_caller_vanished(GDBusConnection *connection, const char *name, gpointer user_data) {
        Pending *p = user_data;

        p->caller_left = TRUE;
        g_cancellable_cancel(p->cancellable);
}

static void on_authority(GObject *source, GAsyncResult *res, gpointer user_data) {
        g_autoptr(Pending) p = user_data;
        g_autoptr(PolkitAuthority) authority = NULL;
        g_autoptr(PolkitSubject) subject = NULL;
        g_autoptr(PolkitDetails) details = NULL;
        g_autoptr(GError) error = NULL;
        PolkitCheckAuthorizationFlags flags = POLKIT_CHECK_AUTHORIZATION_FLAGS_NONE;
        GDBusMessage *message = g_dbus_method_invocation_get_message(p->invocation);
        Pending *owned;

        authority = polkit_authority_get_finish(res, &error);
        if (!authority || p->caller_left) {
                if (!p->caller_left)
                        g_warning("Cannot reach polkit: %s", error->message);
                deny(p, "The authorization check failed");
                return;
        }
        /* The bus name, not the pid: polkitd asks the bus who it is, which
         * cannot be raced by a pid that is reused. */
        subject = polkit_system_bus_name_new(g_dbus_method_invocation_get_sender(p->invocation));
        details = polkit_details_new();
        /* For rules (action.lookup("user")) and the message. */
        polkit_details_insert(details, "user", p->lookup_error ? p->user : p->caller->target_user);
        if (g_dbus_message_get_flags(message) & G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION)
                flags |= POLKIT_CHECK_AUTHORIZATION_FLAGS_ALLOW_USER_INTERACTION;
        owned = g_steal_pointer(&p);
        polkit_authority_check_authorization(authority, subject, owned->polkit_action, details, flags,
                                             owned->cancellable, on_checked, owned);
}

static void check_polkit(Pending *p) {
        GDBusConnection *connection = g_dbus_method_invocation_get_connection(p->invocation);

        p->cancellable = g_cancellable_new();
        /* A vanished name is reported at once too, so a caller gone before
         * this point is caught as well. */
        p->watch_id = g_bus_watch_name_on_connection(connection, g_dbus_method_invocation_get_sender(p->invocation),
                                                     G_BUS_NAME_WATCHER_FLAGS_NONE, NULL, on_caller_vanished, p,
                                                     NULL);
        polkit_authority_get_async(p->cancellable, on_authority, p);
}

static void on_credentials(GObject *source, GAsyncResult *res, gpointer user_data) {
        g_autoptr(Pending) p = user_data;
        g_autoptr(GVariant) reply = NULL, creds = NULL;
        g_autoptr(GError) error = NULL;
        BiogatedCaller *caller;
        guint32 uid, pid = 0;

        reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
        if (!reply) {
                /* The caller left the bus, or the bus would not tell: deny. */
                deny(p, "Cannot determine the caller's identity");
                return;
        }
        g_variant_get(reply, "(@a{sv})", &creds);
        if (!g_variant_lookup(creds, "UnixUserID", "u", &uid)) {
                deny(p, "The bus did not report the caller's uid");
                return;
        }
        (void) g_variant_lookup(creds, "ProcessID", "u", &pid);
        caller = p->caller = g_new0(BiogatedCaller, 1);
        caller->uid = (uid_t) uid;
        caller->pid = (pid_t) pid;
        caller->may_manage = caller->uid == 0;

        if (!lookup_user(p->user[0] ? p->user : NULL, caller->uid, &caller->target_uid, &caller->target_user, &error)) {
                /* Root, a failing user database and an unknown caller hear
                 * why; whether a named user exists is for managers only. */
                if (caller->uid == 0 || !p->user[0] || error->code != BIOGATE_ERROR_NO_SUCH_USER) {
                        g_dbus_method_invocation_return_gerror(p->invocation, error);
                        return;
                }
                p->lookup_error = g_steal_pointer(&error);
                p->polkit_action = BIOGATED_POLKIT_ACTION_MANAGE;
        } else {
                p->polkit_action = biogated_caller_polkit_action(p->action, caller->uid, caller->target_uid);
        }
        if (!p->polkit_action) {
                grant(p);
                return;
        }
        check_polkit(g_steal_pointer(&p));
}

void biogated_caller_authorize(GDBusMethodInvocation *invocation, const char *user, BiogatedAction action,
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
        *p = (Pending) { .invocation = g_object_ref(invocation), .user = g_strdup(user), .action = action,
                         .ready = ready, .user_data = user_data, .destroy = destroy };
        g_dbus_connection_call(g_dbus_method_invocation_get_connection(invocation), "org.freedesktop.DBus",
                               "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetConnectionCredentials",
                               g_variant_new("(s)", g_dbus_method_invocation_get_sender(invocation)),
                               G_VARIANT_TYPE("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_credentials, p);
}
