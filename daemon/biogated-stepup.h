/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "biogated-daemon.h"

/* Exports org.biogate1.StepUp and connects Manager.Unlock/Reload. The
 * manager must be exported first. */
gboolean biogated_stepup_export(BiogatedDaemon *daemon, GError **error);

/* Loads the policy; on failure the previous one (or none: every step-up
 * denied) stays and the error says why, with file and line. */
gboolean biogated_stepup_reload_policy(BiogatedDaemon *daemon, GError **error);
