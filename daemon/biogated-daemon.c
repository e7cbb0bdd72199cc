/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-daemon.h"

#include "biogated-agent.h"
#include "biogated-caller.h"
#include "biogated-fprint.h"
#include "biogated-operation.h"

/* Something runs or waits, or a desktop client holds a claim on fprintd's
 * API (it would find its claim gone after a restart, as with fprintd,
 * which stays while a device is claimed too), or a session's approval
 * agent is registered (a restart would forget it, and a display=agent
 * step-up would be refused until the agent noticed and registered again),
 * or a call waits for its authorization (polkit may be asking its caller
 * for a password: exiting would drop the call). */
static gboolean daemon_is_busy(BiogatedDaemon *daemon) {
        return biogated_operations_count(daemon->operations) > 0 || !biogated_devices_is_idle(daemon->devices) ||
               biogated_fprint_claims(daemon->fprint) > 0 || biogated_agents_count(daemon->agents) > 0 ||
               biogated_caller_pending() > 0;
}

static gboolean on_idle_timeout(gpointer user_data) {
        BiogatedDaemon *daemon = user_data;

        daemon->idle_id = 0;
        if (daemon_is_busy(daemon))
                return G_SOURCE_REMOVE; /* they touch us again when they are done */
        if (biogated_store_pending_tasks(daemon->store) > 0 || biogated_writer_pending(daemon->writer) > 0 ||
            biogated_limits_unsaved(daemon->limits) > 0) {
                /* Writes report nothing when they end: look again later. A
                 * failure count the disk refused lives only in memory. */
                biogated_daemon_touch(daemon);
                return G_SOURCE_REMOVE;
        }
        g_message("Idle for %u s, exiting", daemon->config.idle_exit_seconds);
        g_main_loop_quit(daemon->loop);
        return G_SOURCE_REMOVE;
}

/* One round over both contexts: prepare, poll once, dispatch what is ready
 * in each. */
static void serve_round(GMainContext *const contexts[static 2], GPollFD **fds, gint *allocated) {
        gint priority[2], n[2], used = 0, timeout = -1;

        for (gsize i = 0; i < 2; i++) {
                gint t = -1;

                (void) g_main_context_prepare(contexts[i], &priority[i]);
                while ((n[i] = g_main_context_query(contexts[i], priority[i], &t, *fds + used, *allocated - used)) >
                       *allocated - used) {
                        *allocated = used + n[i] + 8;
                        *fds = g_renew(GPollFD, *fds, *allocated);
                }
                used += n[i];
                if (t >= 0 && (timeout < 0 || t < timeout))
                        timeout = t;
        }
        (void) g_poll(*fds, (guint) used, timeout);
        used = 0;
        for (gsize i = 0; i < 2; i++) {
                if (g_main_context_check(contexts[i], priority[i], *fds + used, n[i])) {
                        /* What a call starts on the bus (the caller's
                         * credentials, polkit, name watches) answers in the
                         * calls' context too; libfprint and timers use the
                         * global default context. */
                        g_main_context_push_thread_default(contexts[i]);
                        g_main_context_dispatch(contexts[i]);
                        g_main_context_pop_thread_default(contexts[i]);
                }
                used += n[i];
        }
}

/* One context would do, but GLib dispatches only the most urgent ready
 * sources each round, and libfprint completes its work in idle sources,
 * below the priority of bus calls: a steady stream of calls (one user's
 * flood of Evaluate or Verify) would hold every sensor operation, and so
 * every login, forever. With the calls in a context of their own, each
 * round serves both. */
void biogated_daemon_run(BiogatedDaemon *daemon) {
        GMainContext *const contexts[2] = { g_main_context_default(), daemon->calls_context };
        g_autofree GPollFD *fds = NULL;
        gint allocated = 0;

        for (gsize i = 0; i < G_N_ELEMENTS(contexts); i++)
                if (!g_main_context_acquire(contexts[i]))
                        g_error("Cannot acquire the main context");

        while (g_main_loop_is_running(daemon->loop))
                serve_round(contexts, &fds, &allocated);
        /* Threaded work (an erasure's fsyncs) completes in the context of
         * the call that started it, often the calls' one: serve both until
         * the last task is done, so its audit event and reply go out. */
        while (biogated_store_pending_tasks(daemon->store) > 0 || biogated_writer_pending(daemon->writer) > 0)
                serve_round(contexts, &fds, &allocated);

        for (gsize i = 0; i < G_N_ELEMENTS(contexts); i++)
                g_main_context_release(contexts[i]);
}

void biogated_daemon_touch(BiogatedDaemon *daemon) {
        g_clear_handle_id(&daemon->idle_id, g_source_remove);
        if (daemon->no_idle_exit || daemon->config.idle_exit_seconds == 0)
                return;
        if (daemon_is_busy(daemon))
                return;
        daemon->idle_id = g_timeout_add_seconds(daemon->config.idle_exit_seconds, on_idle_timeout, daemon);
}

typedef struct DurableReply {
        GDBusMethodInvocation *invocation;
        GVariant *parameters;
        GError *error;          /* or this */
} DurableReply;

static void on_durable(const GError *error, gpointer user_data) {
        DurableReply *r = user_data;

        /* Either takes the reference the call's handler gave up; ours goes
         * too. */
        if (r->error)
                g_dbus_method_invocation_return_gerror(r->invocation, r->error);
        else
                g_dbus_method_invocation_return_value(r->invocation, r->parameters);
        g_object_unref(r->invocation);
        if (r->parameters)
                g_variant_unref(r->parameters);
        g_clear_error(&r->error);
        g_free(r);
}

void biogated_daemon_return_durable(BiogatedWriter *writer, GDBusMethodInvocation *invocation,
                                    GVariant *parameters) {
        DurableReply *r = g_new0(DurableReply, 1);

        r->invocation = g_object_ref(invocation);
        r->parameters = parameters ? g_variant_ref_sink(parameters) : NULL;
        biogated_writer_then(writer, on_durable, r);
}

void biogated_daemon_return_error_durable(BiogatedWriter *writer, GDBusMethodInvocation *invocation,
                                          const GError *error) {
        DurableReply *r = g_new0(DurableReply, 1);

        r->invocation = g_object_ref(invocation);
        r->error = g_error_copy(error);
        biogated_writer_then(writer, on_durable, r);
}
