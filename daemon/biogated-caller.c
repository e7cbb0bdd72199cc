/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-caller.h"

#include <errno.h>
#include <polkit/polkit.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "biogated-error.h"
#include "biogated-loglimit.h"

/* What each action asks of polkit when the caller acts on themselves. */
static const char *const self_actions[_BIOGATED_ACTION_MAX] = {
        [BIOGATED_ACTION_OWN_DATA] = NULL,
        [BIOGATED_ACTION_ENROLL] = "org.biogate1.enroll",
        [BIOGATED_ACTION_VERIFY] = "org.biogate1.verify",
        [BIOGATED_ACTION_APPROVE] = "org.biogate1.approve",
        [BIOGATED_ACTION_MANAGE] = BIOGATED_POLKIT_ACTION_MANAGE,
        [BIOGATED_ACTION_FPRINT_VERIFY] = "net.reactivated.fprint.device.verify",
        [BIOGATED_ACTION_FPRINT_ENROLL] = "net.reactivated.fprint.device.enroll",
};

static gboolean action_is_fprint(BiogatedAction action) {
        return action == BIOGATED_ACTION_FPRINT_VERIFY || action == BIOGATED_ACTION_FPRINT_ENROLL;
}

/* ---- Credentials of the unique names that call us, per bus connection ----
 *
 * The bus assigns a unique name to a connection when it connects and never
 * gives it to another connection while the bus runs (the D-Bus
 * specification: unique names are never reused). So what the bus says about
 * a unique name stays true for as long as the name exists, and an answer
 * can be kept until NameOwnerChanged says the name is gone.
 *
 * Kept: the uid and pid the bus reports, both fixed when the connection is
 * made. Not kept: anything about the caller's logind session (is it a
 * login, is it local and active). A session can end, or stop being the
 * active one, while the connection lives on, so those are asked each time.
 *
 * The context hangs off the GDBusConnection (object data), so it lives
 * exactly as long as the bus it describes. */

#define CALLERS_MAX 4096u       /* a bound, not a working limit: names leave as their connections close */

/* A check that lets polkitd ask for a password waits for as long as the
 * agent asks, which the caller's own agent may make forever, and holds one
 * of the replies dbus-daemon lets biogated await meanwhile
 * (max_replies_per_connection: 128 on the system bus). With them all taken
 * every further check fails, anyone's. So a user may have a few waiting (a
 * person answers one dialog at a time), and all users together at most
 * half of them: the rest stays for the checks polkitd answers at once.
 * Beyond, polkitd is asked without interaction: it answers at once, the
 * same as before where no password is wanted (a burst of fprintd calls, all
 * interactive, that polkitd allows), a refusal where one is. */
#define INTERACTIVE_CHECKS_PER_UID 8u
#define INTERACTIVE_CHECKS_MAX 64u

typedef struct Callers {
        GHashTable *known;              /* unique name → BiogatedCredentials* */
        guint owner_changed_id;
        guint64 lookups;                /* GetConnectionCredentials calls made */
        /* Set while polkitd is known to be missing, so the fallback is
         * logged once per absence rather than once per call. */
        gboolean polkit_absence_logged;
        BiogatedLogLimit refusal_log_limit;     /* refusal_log() */
        /* Kept once polkit answered (on_authority): never finalized while
         * biogated runs. */
        PolkitAuthority *authority;
        /* Interactive checks in flight: in all, and per caller uid. */
        guint interactive_checks;
        GHashTable *interactive_by_uid;         /* GUINT_TO_POINTER(uid) → GUINT_TO_POINTER(count) */
} Callers;

static void callers_free(gpointer data) {
        Callers *callers = data;

        /* Not unsubscribed: this runs when the connection is finalized,
         * after it dropped its subscriptions, so nothing can call us any
         * more. */
        g_hash_table_unref(callers->known);
        g_hash_table_unref(callers->interactive_by_uid);
        g_clear_object(&callers->authority);
        g_free(callers);
}

static void on_name_owner_changed(GDBusConnection *connection, const char *sender, const char *path,
                                  const char *interface, const char *member, GVariant *parameters,
                                  gpointer user_data) {
        Callers *callers = user_data;
        const char *name, *old_owner, *new_owner;

        if (!g_variant_is_of_type(parameters, G_VARIANT_TYPE("(sss)")))
                return;
        g_variant_get(parameters, "(&s&s&s)", &name, &old_owner, &new_owner);
        if (name[0] == ':' && new_owner[0] == '\0')
                g_hash_table_remove(callers->known, name);
}

static Callers *callers_of(GDBusConnection *connection) {
        Callers *callers = g_object_get_data(G_OBJECT(connection), "biogated-callers");

        if (callers)
                return callers;
        callers = g_new0(Callers, 1);
        callers->known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        callers->interactive_by_uid = g_hash_table_new(g_direct_hash, g_direct_equal);
        callers->refusal_log_limit.interval_usec = G_USEC_PER_SEC;
        /* Subscribed before the first GetConnectionCredentials is sent on
         * this connection, so the bus has the match before it answers: a
         * name that leaves after its answer is always reported to us, after
         * the answer, and its entry cannot outlive it. */
        callers->owner_changed_id = g_dbus_connection_signal_subscribe(
                connection, "org.freedesktop.DBus", "org.freedesktop.DBus", "NameOwnerChanged",
                "/org/freedesktop/DBus", NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_name_owner_changed, callers, NULL);
        g_object_set_data_full(G_OBJECT(connection), "biogated-callers", callers, callers_free);
        return callers;
}

typedef struct CredentialsLookup {
        GDBusMethodInvocation *invocation;      /* ref */
        BiogatedCredentialsReady ready;
        gpointer user_data;
} CredentialsLookup;

static void on_connection_credentials(GObject *source, GAsyncResult *res, gpointer user_data) {
        CredentialsLookup *l = user_data;
        g_autoptr(GVariant) reply = NULL, creds = NULL;
        g_autoptr(GError) error = NULL;
        BiogatedCredentials c = {};
        guint32 uid, pid = 0;

        reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
        if (reply) {
                g_variant_get(reply, "(@a{sv})", &creds);
                if (!g_variant_lookup(creds, "UnixUserID", "u", &uid))
                        g_set_error_literal(&error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                            "The bus did not report the caller's uid");
        }
        if (!error) {
                Callers *callers = callers_of(G_DBUS_CONNECTION(source));
                const char *sender = g_dbus_method_invocation_get_sender(l->invocation);

                (void) g_variant_lookup(creds, "ProcessID", "u", &pid);
                c = (BiogatedCredentials) { .uid = (uid_t) uid, .pid = (pid_t) pid };
                if (sender && g_hash_table_size(callers->known) < CALLERS_MAX)
                        g_hash_table_replace(callers->known, g_strdup(sender), g_memdup2(&c, sizeof c));
        }
        l->ready(l->invocation, error ? NULL : &c, error, l->user_data);
        g_object_unref(l->invocation);
        g_free(l);
}

void biogated_caller_credentials(GDBusMethodInvocation *invocation, BiogatedCredentialsReady ready,
                                 gpointer user_data) {
        GDBusConnection *connection = g_dbus_method_invocation_get_connection(invocation);
        const char *sender = g_dbus_method_invocation_get_sender(invocation);
        Callers *callers = callers_of(connection);
        const BiogatedCredentials *known = sender ? g_hash_table_lookup(callers->known, sender) : NULL;
        CredentialsLookup *l;

        if (known) {
                ready(invocation, known, NULL, user_data);
                return;
        }
        l = g_new0(CredentialsLookup, 1);
        *l = (CredentialsLookup) { .invocation = g_object_ref(invocation), .ready = ready, .user_data = user_data };
        callers->lookups++;
        g_dbus_connection_call(connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "GetConnectionCredentials", g_variant_new("(s)", sender ? sender : ""),
                               G_VARIANT_TYPE("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                               on_connection_credentials, l);
}

void biogated_caller_cache_stats(GDBusConnection *connection, guint *ret_known, guint64 *ret_lookups) {
        Callers *callers = callers_of(connection);

        *ret_known = g_hash_table_size(callers->known);
        *ret_lookups = callers->lookups;
}

/* ---- Authorization ---- */

typedef struct Pending {
        GDBusMethodInvocation *invocation;
        char *user;
        BiogatedAction action;
        BiogatedCaller *caller;
        GError *lookup_error;   /* the named user does not exist: shown only to managers */
        const char *polkit_action;
        GCancellable *cancellable;
        guint watch_id;         /* the caller's bus name, during the polkit check */
        gboolean interactive;   /* polkitd may ask for a password */
        gboolean withheld;      /* the caller allowed it, but had too many waiting */
        gboolean counted;       /* in Callers' interactive checks */
        gboolean caller_left;
        BiogatedCallerReady ready;
        BiogatedCallerDenied denied;
        gpointer user_data;
        GDestroyNotify destroy;
} Pending;

/* Calls between their arrival and the authorization's answer. One can take
 * as long as a person at polkit's password dialog: the daemon must not exit
 * idle under it (the caller would see the name vanish). */
static guint pending_count;
static void (*pending_done_notify)(gpointer user_data);
static gpointer pending_done_data;

guint biogated_caller_pending(void) {
        return pending_count;
}

void biogated_caller_set_pending_done_notify(void (*notify)(gpointer user_data), gpointer user_data) {
        pending_done_notify = notify;
        pending_done_data = user_data;
}

static void interactive_check_end(Pending *p);

static void pending_free(Pending *p) {
        g_assert(pending_count > 0);
        pending_count--;
        if (p->counted)
                interactive_check_end(p);
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
        /* The idle timer found the daemon busy and stopped: start it again. */
        if (pending_count == 0 && pending_done_notify)
                pending_done_notify(pending_done_data);
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
                return action_is_fprint(action) ? BIOGATED_POLKIT_ACTION_FPRINT_SETUSERNAME
                                                : BIOGATED_POLKIT_ACTION_MANAGE;
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

/* Every refusal of the gate ends here. */
static void fail(Pending *p, const GError *error) {
        if (p->denied)
                p->denied(p->invocation, error, p->user_data);
        else
                g_dbus_method_invocation_return_gerror(p->invocation, error);
}

static void deny(Pending *p, const char *message) {
        g_autoptr(GError) error = g_error_new_literal(BIOGATE_DBUS_ERROR, BIOGATE_ERROR_PERMISSION_DENIED, message);

        fail(p, error);
}

/* A refusal costs the caller one call, so any user can cause thousands a
 * second: at most one line a second (biogated-loglimit.h). */
static void refusal_log(Pending *p, const char *format, ...) G_GNUC_PRINTF(2, 3);
static void refusal_log(Pending *p, const char *format, ...) {
        Callers *callers = callers_of(g_dbus_method_invocation_get_connection(p->invocation));
        g_autofree char *message = NULL;
        guint left_out;
        va_list ap;

        if (!biogated_log_limit_pass(&callers->refusal_log_limit, &left_out))
                return;
        va_start(ap, format);
        message = g_strdup_vprintf(format, ap);
        va_end(ap);
        if (left_out > 0)
                g_message("%s (and %u more refusals not logged in the second before)", message, left_out);
        else
                g_message("%s", message);
}

/* Denials for acting on others say the same whether or not the user exists. */
static void deny_other(Pending *p) {
        refusal_log(p, "Refused: uid %u asked to act on user %s", (unsigned) p->caller->uid, p->user);
        deny(p, "You may only act on your own fingerprints");
}

static void deny_action(Pending *p, const char *why) {
        if (!p->lookup_error && p->caller->target_uid == p->caller->uid) {
                refusal_log(p, "Refused: uid %u is not authorized for %s%s", (unsigned) p->caller->uid,
                            p->polkit_action, why);
                deny(p, "Not authorized for this action");
                return;
        }
        deny_other(p);
}

static void grant(Pending *p) {
        /* Only now may a manager learn that the named user does not exist. */
        if (p->lookup_error) {
                fail(p, p->lookup_error);
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
        Callers *callers = callers_of(g_dbus_method_invocation_get_connection(p->invocation));

        if (!callers->polkit_absence_logged) {
                g_message("polkitd is not on the system bus: authorizing by the built-in rule "
                          "(a user may act on themselves, root on anyone)");
                callers->polkit_absence_logged = TRUE;
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
                refusal_log(p, "uid %u left the bus during the authorization check for %s; denied",
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
        callers_of(g_dbus_method_invocation_get_connection(p->invocation))->polkit_absence_logged = FALSE;
        if (polkit_authorization_result_get_is_authorized(result)) {
                if (g_str_equal(p->polkit_action, BIOGATED_POLKIT_ACTION_MANAGE) ||
                    g_str_equal(p->polkit_action, BIOGATED_POLKIT_ACTION_FPRINT_SETUSERNAME))
                        p->caller->may_manage = TRUE;
                grant(p);
                return;
        }
        if (polkit_authorization_result_get_is_challenge(result) && p->withheld) {
                refusal_log(p, "Refused: uid %u has too many authorization checks waiting for a password (%s)",
                            (unsigned) p->caller->uid, p->polkit_action);
                deny(p, "Too many of your authorization checks are waiting for a password: answer or cancel "
                        "those first");
                return;
        }
        if (polkit_authorization_result_get_is_challenge(result)) {
                /* polkitd wanted a password and nobody could be asked (no
                 * interactive authorization, or no agent for the caller).
                 * Said as such, so that a client can tell its user how to
                 * be asked; the same for an unknown user, about whom polkitd
                 * is asked the same question. */
                refusal_log(p, "Refused: uid %u is not authorized for %s without authentication (call with "
                               "interactive authorization allowed, from a session with a polkit agent)",
                            (unsigned) p->caller->uid, p->polkit_action);
                deny(p, "Authentication is required for this action, and there was no polkit authentication "
                        "agent to ask for it");
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
        Callers *callers;
        Pending *owned;

        authority = polkit_authority_get_finish(res, &error);
        if (!authority || p->caller_left) {
                if (!p->caller_left)
                        g_warning("Cannot reach polkit: %s", error->message);
                deny(p, "The authorization check failed");
                return;
        }
        /* libpolkit's singleton, kept for good: when its last reference
         * went, its finalize left the handlers of its proxy connected, and
         * a CancelCheckAuthorization still in flight (a caller that left
         * while an agent asked for its password) kept the proxy alive, so
         * polkitd's next Changed signal ran on freed memory. */
        callers = callers_of(g_dbus_method_invocation_get_connection(p->invocation));
        if (!callers->authority)
                callers->authority = g_object_ref(authority);
        /* The bus name, not the pid: polkitd asks the bus who it is, which
         * cannot be raced by a pid that is reused. */
        subject = polkit_system_bus_name_new(g_dbus_method_invocation_get_sender(p->invocation));
        details = polkit_details_new();
        /* For rules (action.lookup("user")) and the message. */
        polkit_details_insert(details, "user", p->lookup_error ? p->user : p->caller->target_user);
        if (p->interactive)
                flags |= POLKIT_CHECK_AUTHORIZATION_FLAGS_ALLOW_USER_INTERACTION;
        owned = g_steal_pointer(&p);
        polkit_authority_check_authorization(authority, subject, owned->polkit_action, details, flags,
                                             owned->cancellable, on_checked, owned);
}

/* FALSE when the caller already has as many interactive checks in flight
 * as a user may, or all users together have (INTERACTIVE_CHECKS_MAX): this
 * one is then made without interaction. */
static gboolean interactive_check_begin(Pending *p) {
        Callers *callers = callers_of(g_dbus_method_invocation_get_connection(p->invocation));
        gpointer key = GUINT_TO_POINTER(p->caller->uid);
        guint mine = GPOINTER_TO_UINT(g_hash_table_lookup(callers->interactive_by_uid, key));

        if (mine >= INTERACTIVE_CHECKS_PER_UID || callers->interactive_checks >= INTERACTIVE_CHECKS_MAX)
                return FALSE;
        g_hash_table_insert(callers->interactive_by_uid, key, GUINT_TO_POINTER(mine + 1));
        callers->interactive_checks++;
        p->counted = TRUE;
        return TRUE;
}

static void interactive_check_end(Pending *p) {
        Callers *callers = callers_of(g_dbus_method_invocation_get_connection(p->invocation));
        gpointer key = GUINT_TO_POINTER(p->caller->uid);
        guint mine = GPOINTER_TO_UINT(g_hash_table_lookup(callers->interactive_by_uid, key));

        if (mine <= 1)
                g_hash_table_remove(callers->interactive_by_uid, key);
        else
                g_hash_table_insert(callers->interactive_by_uid, key, GUINT_TO_POINTER(mine - 1));
        callers->interactive_checks--;
        p->counted = FALSE;
}

static void check_polkit(Pending *p) {
        GDBusConnection *connection = g_dbus_method_invocation_get_connection(p->invocation);
        GDBusMessage *message = g_dbus_method_invocation_get_message(p->invocation);
        gboolean wanted;

        /* fprintd's clients never set the flag: fprintd always lets polkit
         * ask (GNOME Settings relies on it), and so do we on its API. */
        wanted = (g_dbus_message_get_flags(message) & G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION) ||
                 action_is_fprint(p->action);
        p->interactive = wanted && interactive_check_begin(p);
        p->withheld = wanted && !p->interactive;
        p->cancellable = g_cancellable_new();
        /* A vanished name is reported at once too, so a caller gone before
         * this point is caught as well. */
        p->watch_id = g_bus_watch_name_on_connection(connection, g_dbus_method_invocation_get_sender(p->invocation),
                                                     G_BUS_NAME_WATCHER_FLAGS_NONE, NULL, on_caller_vanished, p,
                                                     NULL);
        polkit_authority_get_async(p->cancellable, on_authority, p);
}

static void on_credentials(GDBusMethodInvocation *invocation, const BiogatedCredentials *creds,
                           const GError *lookup_error, gpointer user_data) {
        g_autoptr(Pending) p = user_data;
        g_autoptr(GError) error = NULL;
        BiogatedCaller *caller;

        if (!creds) {
                /* The caller left the bus, or the bus would not tell: deny. */
                deny(p, g_error_matches(lookup_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA)
                                ? lookup_error->message : "Cannot determine the caller's identity");
                return;
        }
        caller = p->caller = g_new0(BiogatedCaller, 1);
        caller->uid = creds->uid;
        caller->pid = creds->pid;
        caller->may_manage = caller->uid == 0;

        if (!lookup_user(p->user[0] ? p->user : NULL, caller->uid, &caller->target_uid, &caller->target_user, &error)) {
                /* Root, a failing user database and an unknown caller hear
                 * why; whether a named user exists is for managers only. */
                if (caller->uid == 0 || !p->user[0] || error->code != BIOGATE_ERROR_NO_SUCH_USER) {
                        fail(p, error);
                        return;
                }
                p->lookup_error = g_steal_pointer(&error);
                p->polkit_action = action_is_fprint(p->action) ? BIOGATED_POLKIT_ACTION_FPRINT_SETUSERNAME
                                                               : BIOGATED_POLKIT_ACTION_MANAGE;
        } else {
                p->polkit_action = biogated_caller_polkit_action(p->action, caller->uid, caller->target_uid);
        }
        if (!p->polkit_action) {
                grant(p);
                return;
        }
        check_polkit(g_steal_pointer(&p));
}

void biogated_caller_authorize_full(GDBusMethodInvocation *invocation, const char *user, BiogatedAction action,
                                    BiogatedCallerReady ready, BiogatedCallerDenied denied, gpointer user_data,
                                    GDestroyNotify destroy) {
        Pending *p;

        if (!user_name_is_sane(user)) {
                g_autoptr(GError) error = g_error_new_literal(BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INVALID_ARGUMENT,
                                                              "Invalid user name");

                if (denied)
                        denied(invocation, error, user_data);
                else
                        g_dbus_method_invocation_return_gerror(invocation, error);
                if (destroy)
                        destroy(user_data);
                return;
        }
        p = g_new0(Pending, 1);
        pending_count++;
        *p = (Pending) { .invocation = g_object_ref(invocation), .user = g_strdup(user), .action = action,
                         .ready = ready, .denied = denied, .user_data = user_data, .destroy = destroy };
        biogated_caller_credentials(invocation, on_credentials, p);
}

void biogated_caller_authorize(GDBusMethodInvocation *invocation, const char *user, BiogatedAction action,
                               BiogatedCallerReady ready, gpointer user_data, GDestroyNotify destroy) {
        biogated_caller_authorize_full(invocation, user, action, ready, NULL, user_data, destroy);
}
