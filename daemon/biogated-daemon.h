/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "biogate-policy.h"
#include "biogated-audit.h"
#include "biogated-config.h"
#include "biogated-device.h"
#include "biogated-dbus.h"
#include "biogated-limits.h"
#include "biogated-notice.h"
#include "biogated-operation.h"
#include "biogated-signing.h"
#include "biogated-store.h"
#include "biogated-writer.h"

typedef struct BiogatedFprint BiogatedFprint;
typedef struct BiogatedAgents BiogatedAgents;

typedef struct BiogatedDaemon {
        GMainLoop *loop;
        /* The context that bus calls to the daemon's objects are dispatched
         * in: objects are registered with it as the thread-default context,
         * and it is the thread-default context while they run, so what they
         * start on the bus (the caller's credentials, polkit, name watches)
         * answers there too. libfprint, timers, idle callbacks and the
         * writer's reports stay in the global default context. */
        GMainContext *calls_context;
        BiogatedWriter *writer;         /* every durable write (biogated-writer.h) */
        BiogatedAudit *audit;           /* the audit trail */
        GDBusConnection *connection;
        BiogatedConfig config;
        BiogatedStore *store;
        BiogatedDevices *devices;
        BiogateManager *manager;
        BiogateStepUp *stepup;
        BiogateAgentManager *agent_manager;
        BiogatedAgents *agents;         /* the sessions' approval agents (biogated-agent.c) */
        BiogatePolicy *policy;          /* NULL until one loads: every step-up denied */
        char *policy_dir;               /* /etc/biogate/policy.d */
        char *vendor_policy;            /* /usr/share/biogate/policy.conf */
        char *config_path;              /* /etc/biogate/biogate.conf: its controller= is read again on reload */
        char *consent_notice;           /* /etc/biogate/consent-notice */
        char *vendor_consent_notice;    /* /usr/share/biogate/consent-notice */
        /* The notice consent is given to; NULL while none loads, and then
         * notice_error says why and every enrolment is refused with it. */
        BiogatedNotice *notice;
        GError *notice_error;
        BiogatedSigningKey *signing_key;
        BiogatedLimits *limits;
        BiogatedOperations *operations;
        BiogatedFprint *fprint;         /* fprintd's API, or NULL when not served */
        gboolean no_idle_exit;
        guint idle_id;
        guint retention_id;             /* the daily retention sweep */
        int exit_code;
} BiogatedDaemon;

/* Exports org.biogate1.Manager on the daemon's connection. */
gboolean biogated_manager_export(BiogatedDaemon *daemon, GError **error);

/* Runs both contexts until daemon->loop (made with is_running TRUE) is
 * quit: each round dispatches the ready sources of the default context,
 * then the bus calls that are ready. Then it goes on until the last task
 * of biogated_store_run_in_thread() has completed and the writer has
 * reported every write. */
void biogated_daemon_run(BiogatedDaemon *daemon);

/* Something happened: push the idle exit back. */
void biogated_daemon_touch(BiogatedDaemon *daemon);

/* Replies to invocation with parameters (floating or NULL) once every write
 * submitted to writer so far is durable and reported: for calls whose
 * answer must not come before what they changed is on disk (an erasure,
 * a deletion, an unlock and their audit events). */
void biogated_daemon_return_durable(BiogatedWriter *writer, GDBusMethodInvocation *invocation,
                                    GVariant *parameters);
/* The same with an error reply (for refusals that were audited). */
void biogated_daemon_return_error_durable(BiogatedWriter *writer, GDBusMethodInvocation *invocation,
                                          const GError *error);
