/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "biogated-config.h"
#include "biogated-device.h"
#include "biogated-dbus.h"
#include "biogated-store.h"

typedef struct BiogatedDaemon {
        GMainLoop *loop;
        GDBusConnection *connection;
        BiogatedConfig config;
        BiogatedStore *store;
        BiogatedDevices *devices;
        BiogateManager *manager;
        gboolean no_idle_exit;
        guint idle_id;
        int exit_code;
} BiogatedDaemon;

/* Exports org.biogate1.Manager on the daemon's connection. */
gboolean biogated_manager_export(BiogatedDaemon *daemon, GError **error);

/* Something happened: push the idle exit back. */
void biogated_daemon_touch(BiogatedDaemon *daemon);
