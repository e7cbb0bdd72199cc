/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

/* Who is calling, on whose behalf, and may they. This is the one gate every
 * Manager and StepUp method goes through; the handlers only re-check what
 * may have changed while it waited (the store, the sensor).
 *
 * The caller's uid comes from the bus (GetConnectionCredentials of the
 * sender); the "user" argument only names the target. Then:
 * - root passes without asking polkit (polkitd itself authorizes uid 0 for
 *   every action, so asking would only add a round trip and a dependency of
 *   every root login on polkitd);
 * - acting on another user needs org.biogate1.manage, whatever the method;
 * - acting on oneself needs the method's own action (enroll, verify,
 *   approve), none for one's own data (list, read, delete, erase), and
 *   manage for what only administrators do (Unlock, Reload).
 * polkitd is asked asynchronously with the caller's bus name as subject. A
 * caller that leaves the bus during the check is denied. Where polkitd is
 * not on the bus at all (not installed: containers, tests), the built-in
 * rule of the first release applies, "self or root", and that is logged
 * once; any other polkit failure denies. */

typedef enum BiogatedAction {
        BIOGATED_ACTION_OWN_DATA,       /* list, read, delete, erase: none on oneself */
        BIOGATED_ACTION_ENROLL,         /* org.biogate1.enroll */
        BIOGATED_ACTION_VERIFY,         /* org.biogate1.verify */
        BIOGATED_ACTION_APPROVE,        /* org.biogate1.approve */
        BIOGATED_ACTION_MANAGE,         /* org.biogate1.manage, on oneself too */
        /* Calls on fprintd's API (biogated-fprint.c) ask polkit for
         * fprintd's ids, so that a site's rules for them keep working:
         * net.reactivated.fprint.device.verify and .enroll on oneself,
         * .setusername (fprintd's "manage") on another user. */
        BIOGATED_ACTION_FPRINT_VERIFY,
        BIOGATED_ACTION_FPRINT_ENROLL,
        _BIOGATED_ACTION_MAX,
} BiogatedAction;

#define BIOGATED_POLKIT_ACTION_MANAGE "org.biogate1.manage"
#define BIOGATED_POLKIT_ACTION_FPRINT_SETUSERNAME "net.reactivated.fprint.device.setusername"

typedef struct BiogatedCaller {
        uid_t uid;
        pid_t pid;          /* 0 when the bus did not say */
        uid_t target_uid;
        char *target_user;  /* name from the user database */
        gboolean may_manage; /* root, or polkit granted org.biogate1.manage for this call */
} BiogatedCaller;

void biogated_caller_free(BiogatedCaller *caller);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BiogatedCaller, biogated_caller_free)

/* The polkit action uid needs to do @action to target_uid, or NULL when it
 * needs none (root; one's own data). */
const char *biogated_caller_polkit_action(BiogatedAction action, uid_t uid, uid_t target_uid);
/* The built-in rule, used only where polkitd is not on the bus: self or
 * root, and only root for what needs manage on oneself. */
gboolean biogated_caller_builtin_allows(BiogatedAction action, uid_t uid, uid_t target_uid);

/* On success ready gets the caller; on failure the invocation has been
 * answered with PermissionDenied, NoSuchUser, InvalidArgument or Internal
 * and ready is not called. ready owns neither the invocation reference, the
 * caller nor user_data: destroy(user_data) runs afterwards in either case. */
typedef void (*BiogatedCallerReady)(GDBusMethodInvocation *invocation, const BiogatedCaller *caller,
                                    gpointer user_data);

/* The caller's uid and pid as the bus reports them (GetConnectionCredentials
 * of the sender). Asked once per unique name and kept until the name
 * leaves the bus (biogated-caller.c says why that is safe); a kept answer
 * calls ready at once, before this returns. creds is NULL and error set
 * when the bus would not say (the caller left). */
typedef struct BiogatedCredentials {
        uid_t uid;
        pid_t pid;          /* 0 when the bus did not say */
} BiogatedCredentials;
typedef void (*BiogatedCredentialsReady)(GDBusMethodInvocation *invocation, const BiogatedCredentials *creds,
                                         const GError *error, gpointer user_data);
void biogated_caller_credentials(GDBusMethodInvocation *invocation, BiogatedCredentialsReady ready,
                                 gpointer user_data);
/* For tests: the names whose credentials are kept on connection, and how
 * many times the bus was asked. */
void biogated_caller_cache_stats(GDBusConnection *connection, guint *ret_known, guint64 *ret_lookups);

void biogated_caller_authorize(GDBusMethodInvocation *invocation, const char *user, BiogatedAction action,
                               BiogatedCallerReady ready, gpointer user_data, GDestroyNotify destroy);

/* The same, but a refusal goes to denied (a BIOGATE_DBUS_ERROR: PermissionDenied, NoSuchUser,
 * InvalidArgument or Internal) instead of a reply, for an API whose errors
 * have other names (fprintd's). Exactly one of ready and denied is called. */
typedef void (*BiogatedCallerDenied)(GDBusMethodInvocation *invocation, const GError *error, gpointer user_data);
void biogated_caller_authorize_full(GDBusMethodInvocation *invocation, const char *user, BiogatedAction action,
                                    BiogatedCallerReady ready, BiogatedCallerDenied denied, gpointer user_data,
                                    GDestroyNotify destroy);

/* The name of @uid in the user database, or NULL when it has none (an
 * audit event then carries BIOGATE_UID alone). */
/* Calls still waiting for their authorization (polkit may be asking a
 * person for a password); @notify runs when the last one is answered. */
guint biogated_caller_pending(void);
void biogated_caller_set_pending_done_notify(void (*notify)(gpointer user_data), gpointer user_data);

char *biogated_user_name(uid_t uid);
