/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-daemon.h"

#include "biogated-operation.h"

static gboolean on_idle_timeout(gpointer user_data) {
        BiogatedDaemon *daemon = user_data;

        daemon->idle_id = 0;
        if (biogated_operation_count() == 0 && biogated_devices_is_idle(daemon->devices)) {
                g_message("Idle for %u s, exiting", daemon->config.idle_exit_seconds);
                g_main_loop_quit(daemon->loop);
        }
        return G_SOURCE_REMOVE;
}

void biogated_daemon_touch(BiogatedDaemon *daemon) {
        g_clear_handle_id(&daemon->idle_id, g_source_remove);
        if (daemon->no_idle_exit || daemon->config.idle_exit_seconds == 0)
                return;
        if (biogated_operation_count() > 0 || !biogated_devices_is_idle(daemon->devices))
                return;
        daemon->idle_id = g_timeout_add_seconds(daemon->config.idle_exit_seconds, on_idle_timeout, daemon);
}
