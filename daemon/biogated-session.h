/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <sys/types.h>

/* Where a caller sits, as logind sees the session of its pid. */
typedef enum BiogatedSessionPlace {
        BIOGATED_SESSION_LOCAL_ACTIVE,  /* at this machine, in the foreground of its seat */
        BIOGATED_SESSION_ELSEWHERE,     /* remote (ssh, remote desktop), in the background, or no session */
        BIOGATED_SESSION_UNKNOWN,       /* logind is not running (containers, CI): nobody can tell */
} BiogatedSessionPlace;

/* ret_reason says why, for the error message and the log. */
BiogatedSessionPlace biogated_session_place(pid_t pid, char **ret_reason);

/* TRUE only when logind runs and says the process pid is in a remote
 * session (ssh, remote desktop). Unknown, no session or local: FALSE. */
gboolean biogated_session_is_remote(pid_t pid);

/* Is the process pid in a local, active logind session? FALSE with a reason
 * otherwise, unknown included: a rule that asks for a local session fails
 * closed where logind cannot vouch for it. */
gboolean biogated_session_is_local_active(pid_t pid, char **ret_reason);
