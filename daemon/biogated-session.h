/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <sys/types.h>

/* Is the process pid in a local, active logind session (someone sitting at
 * this machine, at the front of its seat)? FALSE with a reason when logind
 * says otherwise or cannot tell (no logind, as in containers and CI): a
 * rule that asks for a local session fails closed. */
gboolean biogated_session_is_local_active(pid_t pid, char **ret_reason);
