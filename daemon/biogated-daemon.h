/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "biogate-policy.h"
#include "biogated-config.h"
#include "biogated-device.h"
#include "biogated-dbus.h"
#include "biogated-limits.h"
#include "biogated-signing.h"
#include "biogated-store.h"

typedef struct BiogatedDaemon {
        GMainLoop *loop;
        GDBusConnection *connection;
        BiogatedConfig config;
        BiogatedStore *store;
        BiogatedDevices *devices;
        BiogateManager *manager;
        BiogateStepUp *stepup;
        BiogatePolicy *policy;          /* NULL until one loads: every step-up denied */
        char *policy_dir;               /* /etc/biogate/policy.d */
        char *vendor_policy;            /* /usr/share/biogate/policy.conf */
        BiogatedSigningKey *signing_key;
        BiogatedLimits *limits;
        gboolean no_idle_exit;
        guint idle_id;
        guint retention_id;             /* the daily retention sweep */
        int exit_code;
} BiogatedDaemon;

/* Exports org.biogate1.Manager on the daemon's connection. */
gboolean biogated_manager_export(BiogatedDaemon *daemon, GError **error);

/* Something happened: push the idle exit back. */
void biogated_daemon_touch(BiogatedDaemon *daemon);

/* g_task_run_in_thread() for work that touches the store, counted so that
 * biogated_tasks_drain() can wait for all of it at shutdown. */
void biogated_task_run_in_thread(GTask *task, GTaskThreadFunc func);
void biogated_tasks_drain(void);
