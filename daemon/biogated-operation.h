/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <fprint.h>
#include <gio/gio.h>
#include <sys/types.h>

#include "biogate-finger.h"
#include "biogated-audit.h"
#include "biogated-device.h"
#include "biogated-limits.h"
#include "biogated-store.h"

/* An org.biogate1.Operation object: one enrolment, verification or
 * step-up authorization, started by Manager.Enroll, Manager.Verify or
 * StepUp.Authorize. biogated-operation.c holds its lifetime, the sensor
 * and its result, biogated-operation-dbus.c its D-Bus side (Cancel,
 * Release, the properties and signals, all to the owner alone); what each
 * kind does once it holds the sensor is in biogated-enroll.c,
 * biogated-verify.c and biogated-authorize.c. It is
 * exported with a hand-written vtable (from the generated interface info)
 * rather than a generated skeleton, because skeletons broadcast
 * PropertiesChanged; ours goes to the owner alone. */

typedef enum {
        BIOGATED_OPERATION_ENROLL,
        BIOGATED_OPERATION_VERIFY,
        BIOGATED_OPERATION_AUTHORIZE,
} BiogatedOperationKind;

#define BIOGATED_TYPE_OPERATION (biogated_operation_get_type())
G_DECLARE_FINAL_TYPE(BiogatedOperation, biogated_operation, BIOGATED, OPERATION, GObject)

/* The longest time-out an unprivileged caller gets, whatever it asks. */
#define BIOGATED_OPERATION_USER_TIMEOUT_MS_MAX 60000u
/* Finished operations kept per user (the uid of the owner, or of the user
 * a root caller acts for) until their owners read them; a newer one pushes
 * out the oldest. */
#define BIOGATED_OPERATION_FINISHED_MAX_PER_UID 16u

/* The operations of one daemon: those exported, the finished ones kept
 * per user, the next path number. count_notify (may be NULL) is called
 * whenever biogated_operations_count() may have changed. */
typedef struct BiogatedOperations BiogatedOperations;
BiogatedOperations *biogated_operations_new(BiogatedAudit *audit, GMainContext *calls_context,
                                            void (*count_notify)(gpointer), gpointer user_data);
/* At exit: unexports what is still exported, frees the registry. */
void biogated_operations_free(BiogatedOperations *registry);

/* Code inside the daemon that follows an operation in place of its owner's
 * D-Bus view: the fprintd API (biogated-fprint.c) turns an operation's
 * progress and result into fprintd's signals. An observed operation sends
 * no org.biogate1 signal to its owner, who never asked for one. Each
 * callback may be NULL; finished comes when Finished would have gone out
 * (after what decided the result is durable). */
typedef struct BiogatedOperationObserver {
        void (*progress)(BiogatedOperation *op, const char *status, GVariant *details, gpointer user_data);
        void (*stage)(BiogatedOperation *op, guint stage, guint stages, gpointer user_data);
        void (*finished)(BiogatedOperation *op, const char *result, GVariant *details, gpointer user_data);
} BiogatedOperationObserver;

typedef struct BiogatedOperationTarget {
        uid_t uid;
        const char *user;           /* user name */
        BiogateFinger finger;       /* enroll: the finger */
        GPtrArray *prints;          /* verify: FpPrint* of the user; enroll: other users' prints */
        guint timeout_ms;
        const char *service;        /* PAM service, for the log only; may be NULL */
        gboolean login;             /* verify: a login, served first (root callers only) */
        /* Root callers: whose sensor share this counts against and with
         * what priority, as the manager decided from the caller's session;
         * unset: root's own (exempt), or the unprivileged caller's. */
        gboolean request_set;
        BiogatedLeaseRequest request;
        const char *text;           /* authorize: what the user approves */
        gboolean no_sensor;         /* decided without a touch: never queues for the sensor */
        gpointer kind_data;         /* owned by the operation from start on */
        GDestroyNotify kind_data_free;
        /* The sensor part waits, once the sensor is ours, until
         * biogated_operation_release_hold(): an approval that only the
         * agent may show asks for no touch before the agent has shown it. */
        gboolean held;
        /* Followed from inside the daemon (borrowed, until
         * biogated_operation_detach_observer()); NULL: the owner on the bus. */
        const BiogatedOperationObserver *observer;
        gpointer observer_data;
} BiogatedOperationTarget;

/* Exports the object and queues for the sensor. On failure nothing stays
 * exported. The returned reference belongs to the caller; the daemon keeps
 * its own while the object is exported. */
BiogatedOperation *biogated_operation_start(BiogatedOperations *registry,
                                            GDBusConnection *connection,
                                            const char *owner,
                                            uid_t owner_uid,
                                            BiogatedOperationKind kind,
                                            const BiogatedOperationTarget *target,
                                            BiogatedDevices *devices,
                                            BiogatedStore *store,
                                            BiogatedLimits *limits,
                                            GError **error);

const char *biogated_operation_get_path(BiogatedOperation *op);
/* Code that follows the operation besides its owner, who still gets every
 * signal: the approval agent (biogated-agent.c). Its progress and finished
 * callbacks are called as the owner's signals go out; borrowed until
 * biogated_operation_set_watcher(op, NULL, NULL). */
void biogated_operation_set_watcher(BiogatedOperation *op, const BiogatedOperationObserver *watcher,
                                    gpointer user_data);
/* What the owner's Cancel does (the agent's Cancel button). */
void biogated_operation_cancel(BiogatedOperation *op);
/* Lets a held operation (target.held) go on to the sensor: at once if the
 * sensor is already its, else when it is. Nothing if it has ended. */
void biogated_operation_release_hold(BiogatedOperation *op);
/* The observer hears nothing more (its data is going away). */
void biogated_operation_detach_observer(BiogatedOperation *op);
/* What Release does for the owner: cancelled if it has not ended, and
 * gone from the bus. */
void biogated_operation_release(BiogatedOperation *op);

/* Number of operations currently exported (for idle exit). */
guint biogated_operations_count(BiogatedOperations *registry);
/* Cancels every operation, running or queued (before system sleep). Each
 * ends as if its owner had called Cancel. */
void biogated_operations_cancel_all(BiogatedOperations *registry);
/* At exit, before the registry, the sensor queue and the writer go:
 * cancels every operation and runs the default main context until each
 * one has ended (its lease given back, its result handed to the writer),
 * for at most timeout_ms. FALSE if some had not. */
gboolean biogated_operations_end_all(BiogatedOperations *registry, guint timeout_ms);

/* --- for the per-kind drivers (biogated-enroll.c, biogated-verify.c) --- */
FpDevice *biogated_operation_get_device(BiogatedOperation *op);
GCancellable *biogated_operation_get_cancellable(BiogatedOperation *op);
const BiogatedOperationTarget *biogated_operation_get_target(BiogatedOperation *op);
/* The uid of the caller that started it (for audit events). */
uid_t biogated_operation_get_owner_uid(BiogatedOperation *op);
BiogatedStore *biogated_operation_get_store(BiogatedOperation *op);
/* The daemon's audit trail; never NULL. */
BiogatedAudit *biogated_operation_get_audit(BiogatedOperation *op);
/* The daemon's failure limits; never NULL. */
BiogatedLimits *biogated_operation_get_limits(BiogatedOperation *op);

void biogated_operation_set_state(BiogatedOperation *op, const char *state);
void biogated_operation_set_stage(BiogatedOperation *op, guint stage, guint stages);
/* details is floating or NULL; sent to the owner only. */
void biogated_operation_emit_progress(BiogatedOperation *op, const char *status, GVariant *details);
/* Restart the no-finger timeout, e.g. after an enrolment stage. */
void biogated_operation_touch_timeout(BiogatedOperation *op);

/* Ends the operation: result + details (floating or NULL). */
void biogated_operation_finish(BiogatedOperation *op, const char *result, GVariant *details);
/* Ends with "cancelled", or "failed" with the error name; a cancellation
 * caused by the time-out becomes TimedOut. */
void biogated_operation_finish_error(BiogatedOperation *op, const GError *error);
/* The same with one more entry in the details (floating value). */
void biogated_operation_finish_error_details(BiogatedOperation *op, const GError *error, const char *key,
                                             GVariant *value);

/* Per-kind entry points, called once the sensor is ours. */
void biogated_enroll_run(BiogatedOperation *op);
void biogated_verify_run(BiogatedOperation *op);
void biogated_authorize_run(BiogatedOperation *op);
