/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "biogate-tx.h"
#include "biogated-operation.h"

typedef struct BiogatedDaemon BiogatedDaemon;

/* The approval agents (biogate-agent, one per graphical session) and
 * org.biogate1.AgentManager. An agent is accepted only from a local logind
 * session owned by its uid, and only when its executable is the installed
 * agent binary (see RegisterAgent in daemon/org.biogate1.xml and
 * docs/threat-model.md for what that does and does not stop). */
typedef struct BiogatedAgents BiogatedAgents;
typedef struct BiogatedAgent BiogatedAgent;

/* agent_path: the only executable accepted as an agent. */
BiogatedAgents *biogated_agents_new(const char *agent_path);
void biogated_agents_free(BiogatedAgents *agents);

/* Exports org.biogate1.AgentManager on daemon->connection. */
gboolean biogated_agent_manager_export(BiogatedDaemon *daemon, GError **error);
void biogated_agent_manager_unexport(BiogatedDaemon *daemon);

/* Registered agents, so a step-up asks logind for the caller's session
 * only where one could be found. */
guint biogated_agents_count(BiogatedAgents *agents);
/* The agent of the logind session at session_path, or NULL. Borrowed:
 * valid until the main loop runs again. */
BiogatedAgent *biogated_agents_lookup(BiogatedAgents *agents, const char *session_path);

/* Whether the agent's window shows an approval that has not finished: it
 * shows one at a time, so a second one would replace the first on the
 * screen while the sensor still serves the first. */
gboolean biogated_agent_is_showing(BiogatedAgent *agent);
/* The uid the agent runs as: its session's owner. */
uid_t biogated_agent_get_uid(BiogatedAgent *agent);

/* The locale the agent runs in ("" when unknown), to pick the consent
 * notice's language: a preference, not a credential. */
const char *biogated_agent_get_language(BiogatedAgent *agent);

/* The consent notice (text, of notice_version, from the daemon's loaded
 * notice) in the agent's window, before an enrolment through fprintd's
 * API. ready gets agreed, or an
 * error when the agent did not answer within
 * BIOGATED_AGENT_CONSENT_TIMEOUT_MS (or left). */
#define BIOGATED_AGENT_CONSENT_TIMEOUT_MS 120000
typedef void (*BiogatedAgentConsentReady)(gboolean agreed, const GError *error, gpointer user_data);
void biogated_agent_ask_consent(BiogatedAgent *agent, const char *notice_version, const char *text,
                                BiogatedAgentConsentReady ready, gpointer user_data);

/* Shows op (an authorize operation) in the agent's window: the daemon's
 * text, tx's fields, the rule; then follows the operation's progress and
 * result. Cancel in the window cancels op (CancelApproval). When the agent
 * cannot be reached and cancel_if_unshown is set (display=agent), op is
 * cancelled: nobody saw what the touch would approve. */
void biogated_agent_show(BiogatedAgent *agent, BiogatedOperation *op, const BiogateTx *tx, const char *text,
                         const char *rule, const char *requirement, gboolean cancel_if_unshown);
