/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* BiogatedOperation's insides, shared by its two files:
 * biogated-operation.c (its lifetime, the sensor, the result, the
 * registry) and biogated-operation-dbus.c (what its owner sees on the bus:
 * methods, properties and signals, to the owner alone). */

#include "biogated-operation.h"

struct _BiogatedOperation {
        GObject parent_instance;

        GDBusConnection *connection;
        char *owner;
        uid_t owner_uid;
        char *path;
        guint registration_id;
        guint owner_watch_id;

        BiogatedOperationKind kind;
        BiogatedOperationTarget target;
        char *target_user;
        char *target_service;
        char *target_text;

        BiogatedDevices *devices;
        BiogatedStore *store;
        BiogatedLimits *limits;
        BiogatedLease *lease;
        FpDevice *device;
        GCancellable *cancellable;

        const char *state;
        guint stage;
        guint stages;
        char *result;
        GVariant *result_details;

        guint timeout_id;
        gboolean timed_out;
        guint expire_id;

        GError *preempted;      /* why the sensor was taken back, or NULL */
        guint64 preempted_retry_after_ms;

        gboolean sensor_ready;  /* held: the sensor was ours before the hold ended */
        gboolean result_read;
        gboolean result_sent;   /* Finished went out: its writes are durable */
        guint32 share;          /* the uid whose finished operations this one counts as */
        BiogatedOperations *registry;
        gboolean in_finished;   /* in registry->finished */
        /* Told in addition to the owner (the session's approval agent,
         * biogated-agent.c); borrowed, NULL: nobody. */
        const BiogatedOperationObserver *watcher;
        gpointer watcher_data;
};

/* The operations of one daemon. */
struct BiogatedOperations {
        GHashTable *live;       /* path → BiogatedOperation (ref) */
        /* uid → GQueue of its finished, still exported operations, oldest
         * first (borrowed: live holds the references). */
        GHashTable *finished;
        guint64 next_id;
        void (*count_notify)(gpointer);
        gpointer count_notify_data;
        /* Operations started and not finished, exported or not: one its
         * owner released goes on until libfprint reports the cancellation,
         * and uses the registry, the sensor queue and the audit trail when
         * it ends (biogated_operations_end_all()). */
        guint unfinished;
        BiogatedAudit *audit;
        GMainContext *calls_context;    /* where the operations' bus calls are dispatched */
};

/* ---- biogated-operation.c ---- */

gboolean operation_is_done(BiogatedOperation *op);
const char *operation_kind_name(BiogatedOperationKind kind);
/* Cancels a queued or running operation (ends a queued one at once). */
void operation_cancel(BiogatedOperation *op);
/* Unexports it and drops it from the registry; may drop its last reference. */
void operation_unexport(BiogatedOperation *op);
/* The owner has read the result: the object may go soon. */
void operation_note_result_read(BiogatedOperation *op);

/* ---- biogated-operation-dbus.c ---- */

/* Org.biogate1.Operation and its Properties, for the owner only. */
extern const GDBusInterfaceVTable operation_vtable;
/* A signal to the owner alone; params is floating. Nothing once unexported. */
void operation_emit_to_owner(BiogatedOperation *op, const char *interface, const char *member, GVariant *params);
void operation_emit_properties_changed(BiogatedOperation *op, GVariant *changed);
