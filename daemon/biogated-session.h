/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

/* Where a caller sits, as logind sees the session of its pid. */
typedef enum BiogatedSessionPlace {
        BIOGATED_SESSION_LOCAL_ACTIVE,  /* at this machine, in the foreground of its seat */
        BIOGATED_SESSION_ELSEWHERE,     /* remote (ssh, remote desktop), in the background, or no session */
        BIOGATED_SESSION_UNKNOWN,       /* logind is not running (containers, CI): nobody can tell */
} BiogatedSessionPlace;

/* ret_reason says why, for the error message and the log. */
BiogatedSessionPlace biogated_session_place(pid_t pid, char **ret_reason);

/* Is the process pid in a local, active logind session? FALSE with a reason
 * otherwise, unknown included: a rule that asks for a local session fails
 * closed where logind cannot vouch for it. */
gboolean biogated_session_is_local_active(pid_t pid, char **ret_reason);

/* The logind session a process runs in, as logind's bus API tells it
 * (org.freedesktop.login1: Manager.GetSessionByPID, then the session's User
 * and Remote). found is FALSE when the process is in no session, or when
 * logind is not on the bus at all (containers, tests): nobody then vouches
 * for a session, and callers treat that as "no session". */
typedef struct BiogatedSessionInfo {
        gboolean found;
        uid_t owner;            /* the session's user */
        gboolean remote;
        /* logind's object path of the session (found only): names the
         * session, e.g. for its approval agent. Valid during the callback. */
        const char *path;
} BiogatedSessionInfo;

/* info is NULL and error set when logind is there but would not answer
 * (or pid is unknown): callers must then assume nothing. Called once,
 * from the thread-default main context of the caller, never from inside
 * biogated_session_lookup(). */
typedef void (*BiogatedSessionReady)(const BiogatedSessionInfo *info, const GError *error, gpointer user_data);

/* How long logind gets to answer before the lookup fails. */
#define BIOGATED_SESSION_LOOKUP_TIMEOUT_MS 5000

void biogated_session_lookup(GDBusConnection *bus, pid_t pid, BiogatedSessionReady ready, gpointer user_data);
