/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The protocol of an org.biogate1.Operation (subscribe before the call,
 * buffer early signals, watch the daemon's name) is libbiogate's; this only
 * turns its events into the handler's calls and Ctrl-C into Cancel. */
#include "biogatectl-operation.h"

#include <glib-unix.h>
#include <signal.h>

#include "biogate-bus.h"

typedef struct Follow {
        BiogateOperation *operation;
        const CtlOperationHandler *handler;
        GMainLoop *loop;
        bool started;
        bool interrupted;
        /* Set when a second signal made us stop waiting for biogated. */
        bool abandoned;
} Follow;

static void on_state(GObject *object, GParamSpec *pspec, void *userdata) {
        Follow *f = userdata;
        const char *state = biogate_operation_get_state(f->operation);

        /* The first State comes from the properties, read before the
         * buffered progress is replayed; "done" is the end, not a start. */
        if (f->started || !state || g_strcmp0(state, "done") == 0)
                return;
        f->started = true;
        if (f->handler->started)
                f->handler->started(state, f->handler->userdata);
}

static void on_stages(GObject *object, GParamSpec *pspec, void *userdata) {
        Follow *f = userdata;

        if (f->handler->stages)
                f->handler->stages(biogate_operation_get_stages(f->operation), f->handler->userdata);
}

static void on_progress(BiogateOperation *operation, const char *status, GVariant *details, void *userdata) {
        Follow *f = userdata;

        if (f->handler->progress)
                f->handler->progress(status, details, f->handler->userdata);
}

static void on_finished(BiogateOperation *operation, const char *result, GVariant *details, void *userdata) {
        Follow *f = userdata;

        g_main_loop_quit(f->loop);
}

static gboolean on_unix_signal(void *userdata) {
        Follow *f = userdata;

        if (f->interrupted) {
                /* Asked twice: stop waiting for the daemon. */
                f->abandoned = true;
                g_main_loop_quit(f->loop);
                return G_SOURCE_CONTINUE;
        }
        f->interrupted = true;
        biogate_operation_cancel(f->operation);
        return G_SOURCE_CONTINUE;
}

/* The result of an operation we stopped waiting for. */
static void abandoned_result(char **ret_result, GVariant **ret_details) {
        GVariantBuilder b;

        g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add(&b, "{sv}", "error", g_variant_new_string(BIOGATE_ERROR_PREFIX "Cancelled"));
        g_variant_builder_add(&b, "{sv}", "message", g_variant_new_string("Interrupted"));
        *ret_result = g_strdup(BIOGATE_RESULT_CANCELLED);
        *ret_details = g_variant_ref_sink(g_variant_builder_end(&b));
}

bool ctl_operation_follow(BiogateOperation *operation, const CtlOperationHandler *handler,
                          char **ret_result, GVariant **ret_details, GError **error) {
        g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
        Follow f = {
                .operation = operation,
                .handler = handler,
                .loop = loop,
        };
        gulong ids[4];
        guint sigint_source, sigterm_source;
        char *result;

        ids[0] = g_signal_connect(operation, "notify::state", G_CALLBACK(on_state), &f);
        ids[1] = g_signal_connect(operation, "notify::stages", G_CALLBACK(on_stages), &f);
        ids[2] = g_signal_connect(operation, "progress", G_CALLBACK(on_progress), &f);
        ids[3] = g_signal_connect(operation, "finished", G_CALLBACK(on_finished), &f);
        sigint_source = g_unix_signal_add(SIGINT, on_unix_signal, &f);
        sigterm_source = g_unix_signal_add(SIGTERM, on_unix_signal, &f);

        /* It may have failed already, before reaching the daemon. */
        if (!biogate_operation_get_result(operation))
                g_main_loop_run(loop);

        g_source_remove(sigint_source);
        g_source_remove(sigterm_source);
        for (size_t i = 0; i < G_N_ELEMENTS(ids); i++)
                g_signal_handler_disconnect(operation, ids[i]);

        if (f.abandoned && !biogate_operation_get_result(operation)) {
                abandoned_result(ret_result, ret_details);
                return true;
        }

        /* Done: this returns at once, with the daemon's error for a refusal
         * or a "failed" result. */
        result = biogate_operation_wait_sync(operation, NULL, error);
        if (!result)
                return false;
        *ret_result = result;
        *ret_details = g_variant_ref(biogate_operation_get_result_details(operation));
        return true;
}
