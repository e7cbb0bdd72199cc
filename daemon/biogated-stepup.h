/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "biogated-daemon.h"

/* Exports org.biogate1.StepUp. */
gboolean biogated_stepup_export(BiogatedDaemon *daemon, GError **error);

/* Loads the policy, at the request of caller_uid (Manager.Reload), or of
 * biogated itself with 0 (start, SIGHUP); audited either way. On failure
 * the previous one (or none: every step-up denied) stays and the error
 * says why, with file and line. */
gboolean biogated_stepup_reload_policy(BiogatedDaemon *daemon, uid_t caller_uid, GError **error);
