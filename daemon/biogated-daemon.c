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

/* Work handed to GIO's thread pool (writes that end in fsync) still uses
 * the store after the main loop stops: count it, and wait for it before
 * the store goes away. */
static guint pending_tasks;

static void on_task_completed(GObject *task, GParamSpec *pspec, gpointer user_data) {
        pending_tasks--;
}

void biogated_task_run_in_thread(GTask *task, GTaskThreadFunc func) {
        pending_tasks++;
        g_signal_connect(task, "notify::completed", G_CALLBACK(on_task_completed), NULL);
        g_task_run_in_thread(task, func);
}

void biogated_tasks_drain(void) {
        while (pending_tasks > 0)
                g_main_context_iteration(NULL, TRUE);
}
