/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* BiogateOperation's insides, shared by its two files: biogate-operation.c
 * is the GObject (properties, signals, waiting), biogate-operation-run.c
 * runs the org.biogate1.Operation protocol behind it. The version script
 * keeps every name here inside the library. */

#include "biogate-private.h"

struct _BiogateOperation {
        GObject parent_instance;

        GDBusConnection *connection;
        GMainContext *context;
        GVariant *args;
        /* Cancelled when the operation ends or is disposed: late replies
         * then see G_IO_ERROR_CANCELLED and leave the object alone. */
        GCancellable *internal;
        GCancellable *cancellable;
        gulong cancellable_id;

        char *daemon;   /* unique name of the biogated that runs it */
        char *path;
        BiogateGenOperation *proxy;

        guint signal_subscription;
        guint owner_subscription;
        gulong closed_id;
        gulong properties_id;
        /* Signals that came before we knew our path and read the
         * properties; NULL after. */
        GPtrArray *backlog;

        BiogatePrivateOperationFlags flags;
        /* Why it ended before biogated gave it a path, as the bus said it
         * (biogate_private_operation_wait_started()). */
        GError *start_error;

        gboolean cancel_requested;
        gboolean cancel_sent;
        gboolean done;
        /* Held while running, so that dropping the last reference of the
         * caller does not lose the result on its way. */
        gboolean self_ref;

        char *kind;
        char *state;
        guint stage;
        guint stages;
        char *text;
        char *result;
        GVariant *details;
        GError *error;

        GPtrArray *waiters; /* GTask */
};

typedef enum {
        PROP_0,
        PROP_KIND,
        PROP_STATE,
        PROP_STAGE,
        PROP_STAGES,
        PROP_TEXT,
        PROP_RESULT,
        PROP_RESULT_DETAILS,
        PROP_OBJECT_PATH,
        N_PROPS,
} OperationProp;


/* ---- biogate-operation.c ---- */

/* Sets a property's field and notifies when it changed. */
void operation_set_string(BiogateOperation *self, char **field, const char *value, OperationProp prop);
void operation_set_uint(BiogateOperation *self, guint *field, guint value, OperationProp prop);
void operation_notify(BiogateOperation *self, OperationProp prop);
/* ::progress */
void operation_emit_progress(BiogateOperation *self, const char *status, GVariant *details);
/* The object's side of the end, once result and details are final: state
 * "done", ::finished, the waits completed. */
void operation_announce_end(BiogateOperation *self, const char *result);

/* ---- biogate-operation-run.c ---- */

/* No more signals, replies or name watch: at the end and on dispose. */
void operation_run_stop(BiogateOperation *self);
/* Sends Cancel once the operation has a path (at once if it has). */
void operation_run_cancel(BiogateOperation *self);
/* A GCancellable callback (any thread): cancels in the operation's own
 * main context. */
void operation_run_on_cancellable_cancelled(GCancellable *cancellable, gpointer userdata);
