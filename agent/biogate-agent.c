/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* biogate-agent: the approval agent of one graphical session. It registers
 * with biogated (org.biogate1.AgentManager.RegisterAgent) and serves
 * org.biogate1.Agent on the system bus; biogated calls it when a client of
 * this session asks for a step-up, with the text biogated rendered. It
 * answers the current owner of org.biogate1 alone, so nothing else on the
 * bus decides what its window says. */
#include <locale.h>
#include <stdio.h>

#include <gtk/gtk.h>

#include "biogate-agent-dbus.h"
#include "biogate-agent-window.h"
#include "biogate-bus.h"
#include "biogate-i18n.h"

#define AGENT_OBJECT_PATH "/org/biogate1/Agent"
#define AGENT_MANAGER_INTERFACE "org.biogate1.AgentManager"

typedef struct Agent {
        GtkApplication *app;
        GDBusConnection *bus;
        BiogateAgentDBusAgent *skeleton;
        char *daemon;           /* unique name owning org.biogate1, or NULL */
        guint watch_id;
        AgentWindow *window;
        AgentConsent *consent;
        int exit_code;
} Agent;

/* ---- The one gate: only biogated talks to us ---- */

static gboolean on_authorize_method(GDBusInterfaceSkeleton *skeleton, GDBusMethodInvocation *invocation,
                                    gpointer user_data) {
        Agent *agent = user_data;
        const char *sender = g_dbus_method_invocation_get_sender(invocation);

        if (agent->daemon && sender && g_str_equal(sender, agent->daemon))
                return TRUE;
        /* Anyone else, whatever it sends, is refused before a handler sees
         * it: its words never reach the window. */
        g_printerr("biogate-agent: refused %s from %s, which is not biogated\n",
                   g_dbus_method_invocation_get_method_name(invocation), sender ? sender : "(unknown)");
        g_dbus_method_invocation_return_dbus_error(invocation, "org.freedesktop.DBus.Error.AccessDenied",
                                                   "Only biogated may call the approval agent");
        return FALSE;
}

static gboolean handle_show(BiogateAgentDBusAgent *iface, GDBusMethodInvocation *invocation, const char *operation,
                            GVariant *display, gpointer user_data) {
        Agent *agent = user_data;

        agent_window_show(agent->window, operation, display);
        biogate_agent_dbus_agent_complete_show_approval(iface, invocation);
        return TRUE;
}

static gboolean handle_update(BiogateAgentDBusAgent *iface, GDBusMethodInvocation *invocation,
                              const char *operation, const char *state, GVariant *details, gpointer user_data) {
        Agent *agent = user_data;

        (void) agent_window_update(agent->window, operation, state, details);
        biogate_agent_dbus_agent_complete_update_approval(iface, invocation);
        return TRUE;
}

static gboolean handle_close(BiogateAgentDBusAgent *iface, GDBusMethodInvocation *invocation, const char *operation,
                             const char *result, gpointer user_data) {
        Agent *agent = user_data;

        (void) agent_window_close(agent->window, operation, result);
        biogate_agent_dbus_agent_complete_close_approval(iface, invocation);
        return TRUE;
}

static void on_consent_answer(gboolean agreed, gpointer user_data) {
        g_autoptr(GDBusMethodInvocation) invocation = user_data;

        biogate_agent_dbus_agent_complete_show_consent(NULL, invocation, agreed);
}

static gboolean handle_consent(BiogateAgentDBusAgent *iface, GDBusMethodInvocation *invocation,
                               const char *notice_version, const char *notice, gpointer user_data) {
        Agent *agent = user_data;

        agent_consent_ask(agent->consent, notice_version, notice, on_consent_answer, g_object_ref(invocation));
        return TRUE;
}

/* ---- Cancel ---- */

static void on_cancelled(GObject *source, GAsyncResult *res, gpointer user_data) {
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GError) error = NULL;

        reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
        if (!reply)
                g_printerr("biogate-agent: cannot cancel: %s\n", error->message);
}

static void on_cancel(const char *operation, gpointer user_data) {
        Agent *agent = user_data;

        if (!agent->daemon)
                return;
        g_dbus_connection_call(agent->bus, agent->daemon, BIOGATE_OBJECT_PATH, AGENT_MANAGER_INTERFACE,
                               "CancelApproval", g_variant_new("(o)", operation), G_VARIANT_TYPE_UNIT,
                               G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_cancelled, agent);
}

/* ---- Registration ---- */

static void on_registered(GObject *source, GAsyncResult *res, gpointer user_data) {
        Agent *agent = user_data;
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GError) error = NULL;

        reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
        if (!reply) {
                g_autofree char *name = g_dbus_error_get_remote_error(error);

                g_dbus_error_strip_remote_error(error);
                g_printerr("biogate-agent: biogated did not accept this agent: %s\n", error->message);
                /* Refused for good (not this session's, not the installed
                 * binary): nothing to wait for. */
                if (g_strcmp0(name, BIOGATE_ERROR_PREFIX "PermissionDenied") == 0) {
                        agent->exit_code = 1;
                        /* Quit, not only release: the (hidden) windows
                         * would keep the application running. */
                        g_application_quit(G_APPLICATION(agent->app));
                }
                return;
        }
        /* Tests wait for this line. */
        printf("biogate-agent: registered as %s\n", g_dbus_connection_get_unique_name(agent->bus));
        fflush(stdout);
}

static void on_daemon_appeared(GDBusConnection *bus, const char *name, const char *owner, gpointer user_data) {
        Agent *agent = user_data;

        g_free(agent->daemon);
        agent->daemon = g_strdup(owner);
        /* Again after every start of biogated: it keeps no agents across
         * a restart. */
        g_dbus_connection_call(bus, owner, BIOGATE_OBJECT_PATH, AGENT_MANAGER_INTERFACE, "RegisterAgent",
                               g_variant_new("(o)", AGENT_OBJECT_PATH), G_VARIANT_TYPE_UNIT, G_DBUS_CALL_FLAGS_NONE,
                               -1, NULL, on_registered, agent);
}

static void on_daemon_vanished(GDBusConnection *bus, const char *name, gpointer user_data) {
        Agent *agent = user_data;

        g_clear_pointer(&agent->daemon, g_free);
}

static void on_activate(GApplication *app, gpointer user_data) {
        Agent *agent = user_data;
        g_autoptr(GError) error = NULL;

        if (agent->window)
                return;
        agent->window = agent_window_new(agent->app, on_cancel, agent);
        agent->consent = agent_consent_new(agent->app);
        agent->bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
        if (!agent->bus) {
                g_printerr("biogate-agent: cannot connect to the system bus: %s\n", error->message);
                agent->exit_code = 1;
                return;
        }
        agent->skeleton = biogate_agent_dbus_agent_skeleton_new();
        g_signal_connect(agent->skeleton, "g-authorize-method", G_CALLBACK(on_authorize_method), agent);
        g_signal_connect(agent->skeleton, "handle-show-approval", G_CALLBACK(handle_show), agent);
        g_signal_connect(agent->skeleton, "handle-update-approval", G_CALLBACK(handle_update), agent);
        g_signal_connect(agent->skeleton, "handle-close-approval", G_CALLBACK(handle_close), agent);
        g_signal_connect(agent->skeleton, "handle-show-consent", G_CALLBACK(handle_consent), agent);
        if (!g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(agent->skeleton), agent->bus,
                                              AGENT_OBJECT_PATH, &error)) {
                g_printerr("biogate-agent: cannot export %s: %s\n", AGENT_OBJECT_PATH, error->message);
                agent->exit_code = 1;
                return;
        }
        /* Held until a refusal: the agent has no window most of the time. */
        g_application_hold(app);
        agent->watch_id = g_bus_watch_name_on_connection(agent->bus, BIOGATE_BUS_NAME,
                                                         G_BUS_NAME_WATCHER_FLAGS_AUTO_START, on_daemon_appeared,
                                                         on_daemon_vanished, agent, NULL);
}

int main(int argc, char *argv[]) {
        Agent agent = { 0 };
        int status;

        setlocale(LC_ALL, "");
        biogate_i18n_init();
        agent.app = gtk_application_new(NULL, G_APPLICATION_NON_UNIQUE);
        g_signal_connect(agent.app, "activate", G_CALLBACK(on_activate), &agent);
        status = g_application_run(G_APPLICATION(agent.app), argc, argv);

        if (agent.watch_id)
                g_bus_unwatch_name(agent.watch_id);
        if (agent.skeleton)
                g_dbus_interface_skeleton_unexport(G_DBUS_INTERFACE_SKELETON(agent.skeleton));
        g_clear_object(&agent.skeleton);
        g_clear_pointer(&agent.consent, agent_consent_free);
        g_clear_pointer(&agent.window, agent_window_free);
        g_clear_object(&agent.bus);
        g_free(agent.daemon);
        g_object_unref(agent.app);
        return status != 0 ? status : agent.exit_code;
}
