/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "biogate-bus.h"
#include "biogated-agent.h"
#include "biogated-args.h"
#include "biogated-audit.h"
#include "biogated-bounds.h"
#include "biogated-caller.h"
#include "biogated-daemon.h"
#include "biogated-error.h"
#include "biogated-fprint.h"
#include "biogated-operation.h"
#include "biogated-privacy.h"
#include "biogated-sleep.h"
#include "biogated-stepup.h"

static gboolean on_signal_quit(gpointer user_data) {
        BiogatedDaemon *daemon = user_data;

        /* Already on the way out: under systemd (Type=dbus) releasing the
         * bus name at an idle exit makes it send SIGTERM, which arrives
         * while the tear-down still serves the main context. */
        if (!g_main_loop_is_running(daemon->loop))
                return G_SOURCE_CONTINUE;
        g_message("Terminating on signal");
        g_main_loop_quit(daemon->loop);
        return G_SOURCE_CONTINUE;
}

static gboolean on_sighup(gpointer user_data) {
        BiogatedDaemon *daemon = user_data;
        g_autoptr(GError) error = NULL;

        /* Not while tearing down: the policy, the notice and their paths are
         * being freed. */
        if (!g_main_loop_is_running(daemon->loop))
                return G_SOURCE_CONTINUE;
        (void) biogated_stepup_reload_policy(daemon, 0, &error);
        g_clear_error(&error);
        (void) biogated_privacy_load_notice(daemon, 0, TRUE, &error);
        return G_SOURCE_CONTINUE;
}

static void on_name_lost(GDBusConnection *connection, const char *name, gpointer user_data) {
        BiogatedDaemon *daemon = user_data;

        g_warning("Lost or could not acquire the bus name %s", name);
        daemon->exit_code = EXIT_FAILURE;
        g_main_loop_quit(daemon->loop);
}

static void on_name_acquired(GDBusConnection *connection, const char *name, gpointer user_data) {
        g_message("Ready on the system bus as %s", name);
}

static void on_activity_changed(gpointer user_data) {
        biogated_daemon_touch(user_data);
}

/* GLib before 2.76 serves small blocks from its slice allocator, which keeps
 * every freed block for reuse and never gives it back: the 150 MiB GDBus
 * takes to unmarshal a 400,000-key dictionary (refused, biogated-bounds.h)
 * would stay in RSS for good. GLib reads G_SLICE once, before main(): the
 * unit sets it, and a daemon started otherwise (tests, by hand) re-executes
 * itself once with it. A G_SLICE someone set is left alone. */
static void ensure_plain_malloc(char *argv[]) {
        if (!glib_check_version(2, 76, 0) || getenv("G_SLICE"))
                return;
        if (setenv("G_SLICE", "always-malloc", 1) < 0)
                return;
        (void) execv("/proc/self/exe", argv);
        /* Still correct, only the memory bound is weaker. */
        fprintf(stderr, "biogated: cannot re-execute with G_SLICE=always-malloc: %s\n", strerror(errno));
}

static gboolean refuse(GError **error, GError *cause, const char *prefix) {
        g_propagate_prefixed_error(error, cause, "%s", prefix);
        return FALSE;
}

/* What main() holds besides the daemon: torn down in reverse. */
typedef struct Biogated {
        BiogatedDaemon daemon;
        BiogatedAudit *audit;
        BiogatedSleep *sleep_watch;
        guint name_id;
        guint signal_ids[3];
} Biogated;

/* Configuration, state and API, then the bus name: on FALSE (error says
 * why, for "biogated: ...") nothing was announced on the bus. */
static gboolean biogated_start(Biogated *b, const BiogatedCommandLine *cl, GError **error) {
        BiogatedDaemon *daemon = &b->daemon;
        g_autoptr(GError) local = NULL;
        gboolean exported;

        biogated_config_init(&daemon->config);
        /* The default file is optional; one named on the command line is not. */
        if (cl->config_given && !g_file_test(cl->config_path, G_FILE_TEST_EXISTS))
                return refuse(error,
                              g_error_new(G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s does not exist", cl->config_path),
                              "refusing to start: ");
        if (!biogated_config_load(&daemon->config, cl->config_path, &local))
                return refuse(error, g_steal_pointer(&local), "refusing to start: ");
        daemon->no_idle_exit = cl->no_idle_exit;

        (void) biogated_error_quark(); /* register the D-Bus error names */
        /* The audit trail first: creating keys and sealing old files are
         * events too. */
        if (g_mkdir_with_parents(cl->state_dir, 0700) < 0)
                return refuse(error,
                              g_error_new_literal(G_FILE_ERROR, g_file_error_from_errno(errno), g_strerror(errno)),
                              "refusing to start: cannot create the state directory: ");
        daemon->writer = biogated_writer_new(NULL);
        b->audit = biogated_audit_open(cl->state_dir, daemon->writer, &local);
        if (!b->audit)
                return refuse(error, g_steal_pointer(&local), "refusing to start: audit trail: ");
        biogated_audit_set_evaluate_limit(b->audit, daemon->config.evaluate_audit_burst,
                                          daemon->config.evaluate_audit_window_seconds);
        biogated_audit_set_refusal_limit(b->audit, daemon->config.refusal_audit_burst,
                                         daemon->config.refusal_audit_window_seconds);
        daemon->audit = b->audit;
        daemon->store = biogated_store_open(cl->state_dir, daemon->writer, &local);
        if (!daemon->store)
                return refuse(error, g_steal_pointer(&local), "refusing to start: ");
        /* Seal what an older biogated left plain, finish interrupted
         * erasures, expire unused templates: before anyone can call. */
        biogated_privacy_start(daemon);
        daemon->limits = biogated_limits_open(cl->state_dir, daemon->writer, daemon->audit, &local);
        if (!daemon->limits)
                return refuse(error, g_steal_pointer(&local), "refusing to start: failure counters: ");
        daemon->signing_key = biogated_signing_key_load(cl->state_dir, daemon->writer, daemon->audit, &local);
        if (!daemon->signing_key)
                return refuse(error, g_steal_pointer(&local), "refusing to start: ");
        daemon->policy_dir = g_strdup(cl->policy_dir);
        daemon->vendor_policy = g_strdup(cl->vendor_policy);
        daemon->config_path = g_strdup(cl->config_path);
        daemon->consent_notice = g_strdup(cl->consent_notice);
        daemon->vendor_consent_notice = g_strdup(cl->vendor_consent_notice);
        /* A bad notice refuses enrolment (and says why), not logins. */
        if (!biogated_privacy_load_notice(daemon, 0, FALSE, &local))
                g_clear_error(&local);
        /* A bad policy is no reason to refuse logins: step-ups are denied
         * until a good one loads (Reload, SIGHUP). */
        if (!biogated_stepup_reload_policy(daemon, 0, &local))
                g_clear_error(&local);
        daemon->devices = biogated_devices_new(daemon->config.device,
                                               &(BiogatedSensorLimits) {
                                                       .budget_seconds = daemon->config.sensor_budget_seconds,
                                                       .window_seconds = daemon->config.sensor_budget_window_seconds,
                                                       .login_budget_seconds = daemon->config.login_budget_seconds,
                                                       .login_window_seconds = daemon->config.login_budget_window_seconds,
                                               });
        /* Running from the start: biogated_daemon_run() stops when it is quit. */
        daemon->loop = g_main_loop_new(NULL, TRUE);
        daemon->calls_context = g_main_context_new();
        daemon->operations = biogated_operations_new(daemon->audit, daemon->calls_context, on_activity_changed, daemon);

        daemon->connection = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &local);
        if (!daemon->connection)
                return refuse(error, g_steal_pointer(&local), "cannot connect to the system bus: ");
        g_dbus_connection_set_exit_on_close(daemon->connection, FALSE);
        /* Before anything is exported: every call is held to the size
         * bounds before it is dispatched (biogated-bounds.h). */
        biogated_bounds_install(daemon->connection);
        /* Calls to the API are dispatched in a context of their own (see
         * biogated_daemon_run()). */
        g_main_context_push_thread_default(daemon->calls_context);
        daemon->agents = biogated_agents_new(cl->agent_path);
        exported = biogated_manager_export(daemon, &local) && biogated_stepup_export(daemon, &local) &&
                   biogated_agent_manager_export(daemon, &local);
        g_main_context_pop_thread_default(daemon->calls_context);
        if (!exported)
                return refuse(error, g_steal_pointer(&local), "cannot export the API: ");

        b->signal_ids[0] = g_unix_signal_add(SIGTERM, on_signal_quit, daemon);
        b->signal_ids[1] = g_unix_signal_add(SIGINT, on_signal_quit, daemon);
        b->signal_ids[2] = g_unix_signal_add(SIGHUP, on_sighup, daemon);
        biogated_devices_set_idle_notify(daemon->devices, G_CALLBACK(on_activity_changed), daemon);
        biogated_caller_set_pending_done_notify(on_activity_changed, daemon);
        /* Close the sensor before suspend, reopen after resume (logind). */
        b->sleep_watch = biogated_sleep_new(daemon->connection, daemon->devices, daemon->operations);

        /* Only now, with store, sensor list and API in place, and the
         * start-up's events and writes durable, may clients (and D-Bus
         * activation) see us. */
        biogated_writer_drain(daemon->writer);
        if (biogated_config_serves_fprint_api(&daemon->config, BIOGATED_FPRINTD_DAEMON_PATH)) {
                g_main_context_push_thread_default(daemon->calls_context);
                daemon->fprint = biogated_fprint_start(daemon, &local);
                g_main_context_pop_thread_default(daemon->calls_context);
                if (!daemon->fprint)
                        return refuse(error, g_steal_pointer(&local), "cannot export fprintd's API: ");
        } else if (daemon->config.fprintd_api == BIOGATED_FPRINT_API_AUTO) {
                /* Where our activation file for the name is installed, the
                 * call that started us now waits out the bus's activation
                 * time-out; the journal is where an administrator looks. */
                g_message("Not serving fprintd's API (net.reactivated.Fprint): fprintd_api=auto and fprintd's "
                          "daemon is installed (%s); remove fprintd, or set fprintd_api=yes, to serve it",
                          BIOGATED_FPRINTD_DAEMON_PATH);
        } else {
                g_message("Not serving fprintd's API (net.reactivated.Fprint): fprintd_api=no");
        }
        b->name_id = g_bus_own_name_on_connection(daemon->connection, BIOGATE_BUS_NAME, G_BUS_NAME_OWNER_FLAGS_NONE,
                                                  on_name_acquired, on_name_lost, daemon, NULL);
        biogated_daemon_touch(daemon);
        return TRUE;
}

/* After biogated_start() succeeded and the loop ended. */
static void biogated_stop(Biogated *b) {
        BiogatedDaemon *daemon = &b->daemon;

        /* No idle timer from calls answered during the tear-down. */
        biogated_caller_set_pending_done_notify(NULL, NULL);

        /* Its claims end first: their operations are cancelled below with
         * the others, and nobody is left to hear of it. */
        g_clear_pointer(&daemon->fprint, biogated_fprint_stop);
        /* An operation still on the sensor (one its owner released goes on
         * until libfprint reports the cancellation) ends while what it uses
         * is still there: the registry, the sensor queue, the audit trail. */
        if (!biogated_operations_end_all(daemon->operations, 5000))
                g_warning("An operation did not end within 5 s of the exit");
        /* The counts of Evaluate calls and refusals not logged one by one yet. */
        biogated_audit_evaluate_flush(b->audit);
        /* Those events, and every write still queued, before anything goes. */
        biogated_writer_drain(daemon->writer);

        g_bus_unown_name(b->name_id);
        biogated_sleep_free(b->sleep_watch);
        g_clear_pointer(&daemon->operations, biogated_operations_free);
        g_clear_handle_id(&daemon->idle_id, g_source_remove);
        g_clear_handle_id(&daemon->retention_id, g_source_remove);
        biogated_agent_manager_unexport(daemon);
        g_clear_pointer(&daemon->agents, biogated_agents_free);
        g_dbus_interface_skeleton_unexport(G_DBUS_INTERFACE_SKELETON(daemon->stepup));
        g_clear_object(&daemon->stepup);
        g_dbus_interface_skeleton_unexport(G_DBUS_INTERFACE_SKELETON(daemon->manager));
        g_clear_object(&daemon->manager);
        g_dbus_connection_flush_sync(daemon->connection, NULL, NULL);
        g_clear_object(&daemon->connection);
        g_clear_pointer(&daemon->devices, biogated_devices_free);
        g_clear_pointer(&daemon->store, biogated_store_free);
        g_clear_pointer(&daemon->limits, biogated_limits_free);
        g_clear_pointer(&daemon->signing_key, biogated_signing_key_free);
        g_clear_pointer(&daemon->policy, biogate_policy_free);
        g_free(daemon->policy_dir);
        g_free(daemon->vendor_policy);
        g_free(daemon->config_path);
        g_free(daemon->consent_notice);
        g_free(daemon->vendor_consent_notice);
        g_clear_pointer(&daemon->notice, biogated_notice_free);
        g_clear_error(&daemon->notice_error);
        g_main_context_unref(daemon->calls_context);
        biogated_config_clear(&daemon->config);
        biogated_audit_shutdown(b->audit);
        g_clear_pointer(&b->audit, biogated_audit_free);
        g_clear_pointer(&daemon->writer, biogated_writer_free);
        /* Last: the audit trail's shutdown above still serves the main
         * context, where a late SIGTERM or SIGHUP is dispatched (the
         * handlers use the loop and the policy). Removing the sources gives
         * the signals their default action back: we are about to exit. */
        for (gsize i = 0; i < G_N_ELEMENTS(b->signal_ids); i++)
                g_clear_handle_id(&b->signal_ids[i], g_source_remove);
        g_clear_pointer(&daemon->loop, g_main_loop_unref);
}

int main(int argc, char *argv[]) {
        g_auto(BiogatedCommandLine) cl = { 0 };
        g_autoptr(GError) error = NULL;
        Biogated b = { .daemon.exit_code = EXIT_SUCCESS };

        ensure_plain_malloc(argv);
        setlocale(LC_ALL, "");
        if (!biogated_command_line_parse(&cl, argc, argv, &error)) {
                g_printerr("biogated: %s\n", error->message);
                return 2;
        }
        if (cl.version) {
                g_print("biogated %s\n", BIOGATE_VERSION);
                return EXIT_SUCCESS;
        }
        /* Our own debug messages only: drivers may log raw sensor data at
         * debug level, which must not reach the journal by accident. An
         * explicit G_MESSAGES_DEBUG from the environment still wins. */
        if (cl.verbose && !g_getenv("G_MESSAGES_DEBUG"))
                g_setenv("G_MESSAGES_DEBUG", G_LOG_DOMAIN, TRUE);

        /* Everything we create is ours alone. */
        umask(0077);

        if (!biogated_start(&b, &cl, &error)) {
                g_printerr("biogated: %s\n", error->message);
                g_clear_pointer(&b.audit, biogated_audit_free);
                g_clear_pointer(&b.daemon.writer, biogated_writer_free);
                return EXIT_FAILURE;
        }
        biogated_daemon_run(&b.daemon);
        biogated_stop(&b);
        return b.daemon.exit_code;
}
