/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

/* Who is calling and on whose behalf. The caller's uid comes from the bus
 * (GetConnectionCredentials of the sender); the "user" argument only names
 * the target, and naming anyone but yourself needs root. This is the one
 * place where that rule lives (polkit's org.biogate1.manage joins here). */

typedef struct BiogatedCaller {
        uid_t uid;
        pid_t pid;          /* 0 when the bus did not say */
        uid_t target_uid;
        char *target_user;  /* name from the user database */
} BiogatedCaller;

void biogated_caller_free(BiogatedCaller *caller);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BiogatedCaller, biogated_caller_free)

/* On success ready gets the caller; on failure the invocation has been
 * answered with PermissionDenied, NoSuchUser or Internal and ready is not
 * called. ready owns neither the invocation reference, the caller nor
 * user_data: destroy(user_data) runs afterwards in either case. */
typedef void (*BiogatedCallerReady)(GDBusMethodInvocation *invocation, const BiogatedCaller *caller,
                                    gpointer user_data);

void biogated_caller_authorize(GDBusMethodInvocation *invocation, const char *user,
                               BiogatedCallerReady ready, gpointer user_data, GDestroyNotify destroy);
