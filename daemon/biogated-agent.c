/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.biogate1.AgentManager, and the daemon's side of each session's
 * approval agent: who may register, which session an agent serves, and
 * what the daemon tells it about an Authorize (ShowApproval, then
 * UpdateApproval per progress, CloseApproval with the result). Everything
 * the agent shows comes from here: the text biogated rendered and the
 * fields of the transaction it validated, never words of the caller. */
#include "config.h"

#include "biogated-agent.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "biogate-bus.h"
#include "biogated-caller.h"
#include "biogated-daemon.h"
#include "biogated-error.h"
#include "biogated-session.h"

#define AGENT_INTERFACE "org.biogate1.Agent"
/* An agent that does not answer within this is treated as gone for that
 * operation (a hung window must not hold a display=agent step-up). */
#define AGENT_CALL_TIMEOUT_MS 5000

struct BiogatedAgent {
        BiogatedAgents *agents;
        char *session;          /* logind's object path of the session */
        char *name;             /* the agent's unique bus name */
        char *object_path;
        uid_t uid;
        char *language;         /* the agent's locale, for the consent notice; NULL: unknown */
        guint watch_id;         /* the agent's name, to drop it when it leaves */
        GHashTable *shown;      /* operation path -> BiogatedOperation (ref) */
};

struct BiogatedAgents {
        char *agent_path;
        BiogatedDaemon *daemon;         /* set on export */
        GDBusConnection *connection;
        GHashTable *by_session; /* session path -> BiogatedAgent */
};

static void agent_forget_op(gpointer data) {
        BiogatedOperation *op = data;

        biogated_operation_set_watcher(op, NULL, NULL);
        g_object_unref(op);
}

static void agent_free(gpointer data) {
        BiogatedAgent *agent = data;

        if (agent->watch_id)
                g_bus_unwatch_name(agent->watch_id);
        g_free(agent->language);
        g_hash_table_unref(agent->shown);
        g_free(agent->session);
        g_free(agent->name);
        g_free(agent->object_path);
        g_free(agent);
}

BiogatedAgents *biogated_agents_new(const char *agent_path) {
        BiogatedAgents *agents = g_new0(BiogatedAgents, 1);

        agents->agent_path = g_strdup(agent_path);
        agents->by_session = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, agent_free);
        return agents;
}

void biogated_agents_free(BiogatedAgents *agents) {
        if (!agents)
                return;
        g_hash_table_unref(agents->by_session);
        g_clear_object(&agents->connection);
        g_free(agents->agent_path);
        g_free(agents);
}

guint biogated_agents_count(BiogatedAgents *agents) {
        return agents ? g_hash_table_size(agents->by_session) : 0;
}

BiogatedAgent *biogated_agents_lookup(BiogatedAgents *agents, const char *session_path) {
        return agents && session_path ? g_hash_table_lookup(agents->by_session, session_path) : NULL;
}

static BiogatedAgent *agent_by_name(BiogatedAgents *agents, const char *name) {
        GHashTableIter iter;
        gpointer value;

        g_hash_table_iter_init(&iter, agents->by_session);
        while (g_hash_table_iter_next(&iter, NULL, &value))
                if (g_str_equal(((BiogatedAgent *) value)->name, name))
                        return value;
        return NULL;
}

/* ---- Is this process the installed agent? ---- */

/* Whether pid runs agent_path. The bus reports the pid it saw at connect
 * time (dbus-daemon 1.14 offers no process descriptor): a pidfd taken
 * first pins whatever process has that pid now, and the pidfd is checked
 * still to be running after the executable was read, so the answer is
 * about one process, not two. What remains is pid reuse before the
 * pidfd: the caller's process exits (while a child keeps its bus
 * connection) and the pid is handed to a real agent started meanwhile. A
 * same-user attacker who can do that can also run the agent binary with
 * code of its own (LD_PRELOAD, ptrace): docs/threat-model.md. */
static gboolean process_runs(pid_t pid, const char *agent_path, char **ret_reason) {
        g_autofree char *link = NULL, *proc_exe = g_strdup_printf("/proc/%d/exe", (int) pid);
        g_autofree char *proc_userns = g_strdup_printf("/proc/%d/ns/user", (int) pid);
        g_autofree char *want = NULL;
        g_autoptr(GError) error = NULL;
        struct stat exe, installed, userns, own_userns;
        struct pollfd p;
        int pidfd;

        if (pid <= 0) {
                *ret_reason = g_strdup("the bus did not say which process called");
                return FALSE;
        }
        pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0) {
                *ret_reason = g_strdup_printf("process %d: %s", (int) pid, g_strerror(errno));
                return FALSE;
        }
        link = g_file_read_link(proc_exe, &error);
        /* The link is a path in the process's mount namespace: any user
         * may make one of its own (a user namespace) and bind-mount a
         * program of its choice over the agent's path. The file itself
         * must be the installed one. */
        if (stat(proc_exe, &exe) < 0)
                exe.st_ino = 0;
        /* In a user namespace of its own the process may have mounted
         * libraries of its choice under the real binary. */
        if (stat(proc_userns, &userns) < 0)
                userns.st_ino = 0;
        p = (struct pollfd) { .fd = pidfd, .events = POLLIN };
        /* Readable: the process has exited, and the link may be another's. */
        if (poll(&p, 1, 0) != 0) {
                close(pidfd);
                *ret_reason = g_strdup_printf("process %d exited during the check", (int) pid);
                return FALSE;
        }
        close(pidfd);
        if (!link) {
                *ret_reason = g_strdup_printf("cannot read %s: %s", proc_exe, error->message);
                return FALSE;
        }
        want = realpath(agent_path, NULL);
        if (!want || !g_str_equal(link, want)) {
                *ret_reason = g_strdup_printf("its executable %s is not the approval agent %s", link, agent_path);
                return FALSE;
        }
        if (stat(want, &installed) < 0 || exe.st_ino == 0 || exe.st_dev != installed.st_dev ||
            exe.st_ino != installed.st_ino) {
                *ret_reason = g_strdup_printf("its executable, named %s, is not the approval agent %s (another "
                                              "file is mounted there)", link, agent_path);
                return FALSE;
        }
        if (stat("/proc/self/ns/user", &own_userns) < 0 || userns.st_ino == 0 ||
            userns.st_dev != own_userns.st_dev || userns.st_ino != own_userns.st_ino) {
                *ret_reason = g_strdup("it runs in a user namespace of its own");
                return FALSE;
        }
        *ret_reason = NULL;
        return TRUE;
}

/* ---- RegisterAgent ---- */

#define ENVIRON_MAX_SIZE (256 * 1024)
#define LANGUAGE_MAX 64

/* The locale the agent's process runs in, to show it the consent notice
 * in its person's language: read from its environment, the way gettext
 * would pick its messages (LANGUAGE's first entry, LC_ALL, LC_MESSAGES,
 * LANG). Only a choice among the notice's own texts rests on it, never
 * who the agent is; NULL when it cannot be read. */
static char *process_language(pid_t pid) {
        static const char *const names[] = { "LANGUAGE=", "LC_ALL=", "LC_MESSAGES=", "LANG=" };
        g_autofree char *path = g_strdup_printf("/proc/%d/environ", (int) pid);
        g_autofree char *contents = NULL;
        const char *found[G_N_ELEMENTS(names)] = { 0 };
        gsize len = 0;

        if (!g_file_get_contents(path, &contents, &len, NULL) || len > ENVIRON_MAX_SIZE)
                return NULL;
        for (const char *p = contents; p < contents + len; p += strlen(p) + 1)
                for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
                        if (g_str_has_prefix(p, names[i]) && p[strlen(names[i])] != '\0')
                                found[i] = p + strlen(names[i]);
        for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
                size_t n;

                if (!found[i])
                        continue;
                n = strcspn(found[i], ":");
                if (n > 0 && n <= LANGUAGE_MAX)
                        return g_strndup(found[i], n);
        }
        return NULL;
}

typedef struct Registration {
        BiogatedDaemon *daemon;
        GDBusMethodInvocation *invocation;
        char *object_path;
        char *language;
        uid_t uid;
        pid_t pid;
} Registration;

static void registration_free(Registration *r) {
        g_object_unref(r->invocation);
        g_free(r->object_path);
        g_free(r->language);
        g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Registration, registration_free)

static void refuse(GDBusMethodInvocation *invocation, uid_t uid, const char *why) {
        /* Any user can call this: within the refusal log limit elsewhere,
         * but a registration is rare, so each one is logged. */
        g_message("Approval agent refused for uid %u: %s", (unsigned) uid, why);
        g_dbus_method_invocation_return_error(invocation, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_PERMISSION_DENIED,
                                              "Not accepted as the approval agent: %s", why);
}

static void on_agent_vanished(GDBusConnection *connection, const char *name, gpointer user_data) {
        BiogatedAgent *agent = user_data;

        BiogatedDaemon *daemon = agent->agents->daemon;

        g_message("Approval agent %s of session %s left the bus", agent->name, agent->session);
        g_hash_table_remove(agent->agents->by_session, agent->session);
        /* Without agents the daemon may exit when idle again. */
        biogated_daemon_touch(daemon);
}

static void on_register_session(const BiogatedSessionInfo *session, const GError *error, gpointer user_data) {
        g_autoptr(Registration) r = user_data;
        BiogatedAgents *agents = r->daemon->agents;
        const char *sender = g_dbus_method_invocation_get_sender(r->invocation);
        BiogatedAgent *agent;

        if (!session) {
                g_autofree char *why = g_strdup_printf("logind would not say its session: %s", error->message);
                refuse(r->invocation, r->uid, why);
                return;
        }
        if (!session->found) {
                refuse(r->invocation, r->uid, "it runs in no logind session");
                return;
        }
        if (session->remote) {
                refuse(r->invocation, r->uid, "its session is remote");
                return;
        }
        if (session->owner != r->uid) {
                refuse(r->invocation, r->uid, "its session belongs to another user");
                return;
        }
        agent = g_new0(BiogatedAgent, 1);
        *agent = (BiogatedAgent) {
                .agents = agents,
                .session = g_strdup(session->path),
                .name = g_strdup(sender),
                .object_path = g_strdup(r->object_path),
                .uid = r->uid,
                .language = g_steal_pointer(&r->language),
                .shown = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, agent_forget_op),
        };
        /* A newer agent of the session replaces the older one: the same
         * binary of the same user, e.g. restarted after a crash, must not
         * find its session locked out by a registration whose process is
         * gone or hung. */
        if (g_hash_table_remove(agents->by_session, agent->session))
                g_message("Approval agent of session %s replaced", agent->session);
        g_hash_table_insert(agents->by_session, agent->session, agent);
        agent->watch_id = g_bus_watch_name_on_connection(g_dbus_method_invocation_get_connection(r->invocation),
                                                         sender, G_BUS_NAME_WATCHER_FLAGS_NONE, NULL,
                                                         on_agent_vanished, agent, NULL);
        g_message("Approval agent %s registered for session %s (uid %u)", sender, agent->session, (unsigned) r->uid);
        g_dbus_method_invocation_return_value(r->invocation, NULL);
}

static void on_register_credentials(GDBusMethodInvocation *invocation, const BiogatedCredentials *creds,
                                    const GError *error, gpointer user_data) {
        g_autoptr(Registration) r = user_data;
        g_autofree char *why = NULL;
        pid_t pid;

        if (!creds) {
                g_dbus_method_invocation_return_error_literal(invocation, BIOGATE_DBUS_ERROR,
                                                              BIOGATE_ERROR_PERMISSION_DENIED,
                                                              "Cannot determine the caller's identity");
                return;
        }
        r->uid = creds->uid;
        r->pid = creds->pid;
        if (!process_runs(r->pid, r->daemon->agents->agent_path, &why)) {
                refuse(invocation, r->uid, why);
                return;
        }
        pid = r->pid;
        r->language = process_language(pid);
        biogated_session_lookup(g_dbus_method_invocation_get_connection(invocation), pid, on_register_session,
                                g_steal_pointer(&r));
}

static gboolean handle_register_agent(BiogateAgentManager *iface, GDBusMethodInvocation *invocation,
                                      const char *object_path, BiogatedDaemon *daemon) {
        Registration *r = g_new0(Registration, 1);

        biogated_daemon_touch(daemon);
        *r = (Registration) { .daemon = daemon, .invocation = g_object_ref(invocation),
                              .object_path = g_strdup(object_path) };
        biogated_caller_credentials(invocation, on_register_credentials, r);
        return TRUE;
}

static gboolean handle_unregister_agent(BiogateAgentManager *iface, GDBusMethodInvocation *invocation,
                                        BiogatedDaemon *daemon) {
        BiogatedAgent *agent = agent_by_name(daemon->agents, g_dbus_method_invocation_get_sender(invocation));

        biogated_daemon_touch(daemon);
        if (agent) {
                g_message("Approval agent %s of session %s unregistered", agent->name, agent->session);
                g_hash_table_remove(daemon->agents->by_session, agent->session);
        }
        biogate_agent_manager_complete_unregister_agent(iface, invocation);
        return TRUE;
}

static gboolean handle_cancel_approval(BiogateAgentManager *iface, GDBusMethodInvocation *invocation,
                                       const char *operation, BiogatedDaemon *daemon) {
        BiogatedAgent *agent = agent_by_name(daemon->agents, g_dbus_method_invocation_get_sender(invocation));
        BiogatedOperation *op = agent ? g_hash_table_lookup(agent->shown, operation) : NULL;

        biogated_daemon_touch(daemon);
        /* The same answer for an operation that does not exist and for one
         * shown to another agent: nobody learns of others' operations. */
        if (!op) {
                g_dbus_method_invocation_return_error_literal(invocation, BIOGATE_DBUS_ERROR,
                                                              BIOGATE_ERROR_PERMISSION_DENIED,
                                                              "This agent was not shown that operation");
                return TRUE;
        }
        g_message("Approval of %s cancelled in the agent's window", operation);
        biogated_operation_cancel(op);
        biogate_agent_manager_complete_cancel_approval(iface, invocation);
        return TRUE;
}

gboolean biogated_agent_manager_export(BiogatedDaemon *daemon, GError **error) {
        daemon->agent_manager = biogate_agent_manager_skeleton_new();
        daemon->agents->connection = g_object_ref(daemon->connection);
        daemon->agents->daemon = daemon;
        g_signal_connect(daemon->agent_manager, "handle-register-agent", G_CALLBACK(handle_register_agent), daemon);
        g_signal_connect(daemon->agent_manager, "handle-unregister-agent", G_CALLBACK(handle_unregister_agent),
                         daemon);
        g_signal_connect(daemon->agent_manager, "handle-cancel-approval", G_CALLBACK(handle_cancel_approval), daemon);
        return g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(daemon->agent_manager), daemon->connection,
                                                BIOGATE_OBJECT_PATH, error);
}

void biogated_agent_manager_unexport(BiogatedDaemon *daemon) {
        if (!daemon->agent_manager)
                return;
        g_dbus_interface_skeleton_unexport(G_DBUS_INTERFACE_SKELETON(daemon->agent_manager));
        g_clear_object(&daemon->agent_manager);
}

/* ---- What the agent is told ---- */

typedef struct AgentCall {
        BiogatedOperation *op;  /* ref; cancelled if the agent cannot show it */
        char *what;
} AgentCall;

static void on_agent_reply(GObject *source, GAsyncResult *res, gpointer user_data) {
        AgentCall *c = user_data;
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GError) error = NULL;

        reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
        /* display=agent: the touch is asked for only now that the agent
         * has put the approval on the screen (the operation was held). */
        if (reply && c->op)
                biogated_operation_release_hold(c->op);
        if (!reply) {
                g_message("The approval agent did not take %s: %s", c->what, error->message);
                /* display=agent: a touch must not approve what nobody saw. */
                if (c->op)
                        biogated_operation_cancel(c->op);
        }
        g_clear_object(&c->op);
        g_free(c->what);
        g_free(c);
}

static void agent_call(BiogatedAgent *agent, const char *method, GVariant *params, BiogatedOperation *cancel_on_error) {
        AgentCall *c = g_new0(AgentCall, 1);

        c->op = cancel_on_error ? g_object_ref(cancel_on_error) : NULL;
        c->what = g_strdup(method);
        g_dbus_connection_call(agent->agents->connection, agent->name, agent->object_path, AGENT_INTERFACE, method,
                               params, G_VARIANT_TYPE_UNIT, G_DBUS_CALL_FLAGS_NO_AUTO_START, AGENT_CALL_TIMEOUT_MS,
                               NULL, on_agent_reply, c);
}

static void on_op_progress(BiogatedOperation *op, const char *status, GVariant *details, gpointer user_data) {
        BiogatedAgent *agent = user_data;
        /* Four eyes: the maker's touch is done, the second person's comes. */
        const char *state = g_str_equal(status, "approver-needed") ? "waiting-for-approver" : status;

        agent_call(agent, "UpdateApproval",
                   g_variant_new("(os@a{sv})", biogated_operation_get_path(op), state, details), NULL);
}

static void on_op_finished(BiogatedOperation *op, const char *result, GVariant *details, gpointer user_data) {
        BiogatedAgent *agent = user_data;
        g_autofree char *path = g_strdup(biogated_operation_get_path(op));

        agent_call(agent, "CloseApproval", g_variant_new("(os)", path, result), NULL);
        /* Drops the watcher and the reference. */
        g_hash_table_remove(agent->shown, path);
}

static const BiogatedOperationObserver agent_watcher = {
        .progress = on_op_progress,
        .finished = on_op_finished,
};

void biogated_agent_show(BiogatedAgent *agent, BiogatedOperation *op, const BiogateTx *tx, const char *text,
                         const char *rule, const char *requirement, gboolean cancel_if_unshown) {
        const struct {
                const char *key;
                const char *value;
        } fields[] = {
                { "kind", tx->kind },         { "amount", tx->amount },
                { "currency", tx->currency }, { "payee", tx->payee },
                { "counterparty", tx->counterparty }, { "account", tx->account },
                { "instrument", tx->instrument }, { "reference", tx->reference },
        };
        GVariantBuilder display, f;

        g_variant_builder_init(&f, G_VARIANT_TYPE("a{ss}"));
        for (gsize i = 0; i < G_N_ELEMENTS(fields); i++)
                if (fields[i].value)
                        g_variant_builder_add(&f, "{ss}", fields[i].key, fields[i].value);
        g_variant_builder_init(&display, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&display, "{sv}", "text", g_variant_new_string(text));
        g_variant_builder_add(&display, "{sv}", "fields", g_variant_builder_end(&f));
        g_variant_builder_add(&display, "{sv}", "rule", g_variant_new_string(rule));
        g_variant_builder_add(&display, "{sv}", "requirement", g_variant_new_string(requirement));
        if (g_str_equal(requirement, "fingerprint+approver"))
                g_variant_builder_add(&display, "{sv}", "step", g_variant_new_string("initiator"));
        g_variant_builder_add(&display, "{sv}", "user",
                              g_variant_new_string(biogated_operation_get_target(op)->user));

        g_hash_table_replace(agent->shown, g_strdup(biogated_operation_get_path(op)), g_object_ref(op));
        biogated_operation_set_watcher(op, &agent_watcher, agent);
        agent_call(agent, "ShowApproval",
                   g_variant_new("(o@a{sv})", biogated_operation_get_path(op), g_variant_builder_end(&display)),
                   cancel_if_unshown ? op : NULL);
}

gboolean biogated_agent_is_showing(BiogatedAgent *agent) {
        return g_hash_table_size(agent->shown) > 0;
}

/* ---- The consent notice ---- */

uid_t biogated_agent_get_uid(BiogatedAgent *agent) {
        return agent->uid;
}

const char *biogated_agent_get_language(BiogatedAgent *agent) {
        return agent->language ? agent->language : "";
}

typedef struct ConsentAsk {
        BiogatedAgentConsentReady ready;
        gpointer user_data;
} ConsentAsk;

static void on_consent_reply(GObject *source, GAsyncResult *res, gpointer user_data) {
        g_autofree ConsentAsk *ask = user_data;
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GError) error = NULL;
        gboolean agreed = FALSE;

        reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
        if (reply)
                g_variant_get(reply, "(b)", &agreed);
        ask->ready(agreed, error, ask->user_data);
}

void biogated_agent_ask_consent(BiogatedAgent *agent, const char *notice_version, const char *text,
                                BiogatedAgentConsentReady ready, gpointer user_data) {
        ConsentAsk *ask = g_new0(ConsentAsk, 1);

        *ask = (ConsentAsk) { .ready = ready, .user_data = user_data };
        /* The words are the daemon's own copy of the notice, the version
         * the one it enrols under: nothing of the desktop client's. */
        g_dbus_connection_call(agent->agents->connection, agent->name, agent->object_path, AGENT_INTERFACE,
                               "ShowConsent",
                               g_variant_new("(ss)", notice_version, text),
                               G_VARIANT_TYPE("(b)"), G_DBUS_CALL_FLAGS_NO_AUTO_START,
                               BIOGATED_AGENT_CONSENT_TIMEOUT_MS, NULL, on_consent_reply, ask);
}
