/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-operation-private.h"

#include "biogate-bus.h"
#include "biogated-dbus.h"
#include "biogated-audit.h"
#include "biogated-daemon.h"
#include "biogated-error.h"

/* A finished operation waits this long for its owner to read the result... */
#define OPERATION_EXPIRE_SECONDS 60
/* ...and this long once the owner has read it (Get of Result, or GetAll):
 * room for the Release or a second look that usually follows, not more. */
#define OPERATION_READ_GRACE_SECONDS 5

G_DEFINE_TYPE(BiogatedOperation, biogated_operation, G_TYPE_OBJECT)

const char *operation_kind_name(BiogatedOperationKind kind) {
        switch (kind) {
        case BIOGATED_OPERATION_ENROLL:
                return "enroll";
        case BIOGATED_OPERATION_VERIFY:
                return "verify";
        case BIOGATED_OPERATION_AUTHORIZE:
                return "authorize";
        }
        return "unknown";
}

BiogatedOperations *biogated_operations_new(BiogatedAudit *audit, GMainContext *calls_context,
                                            void (*count_notify)(gpointer), gpointer user_data) {
        BiogatedOperations *ops = g_new0(BiogatedOperations, 1);

        ops->audit = audit;
        ops->calls_context = g_main_context_ref(calls_context);

        ops->live = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_object_unref);
        ops->finished = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify) g_queue_free);
        ops->next_id = 1;
        ops->count_notify = count_notify;
        ops->count_notify_data = user_data;
        return ops;
}

guint biogated_operations_count(BiogatedOperations *ops) {
        return g_hash_table_size(ops->live);
}

static void notify_count(BiogatedOperations *ops) {
        if (ops->count_notify)
                ops->count_notify(ops->count_notify_data);
}

static void biogated_operation_finalize(GObject *object) {
        BiogatedOperation *op = BIOGATED_OPERATION(object);

        g_assert(op->registration_id == 0);
        /* Dropped unfinished: it failed to start, or the registry let go of
         * it at exit (biogated_operations_free()). */
        if (op->registry && !operation_is_done(op))
                op->registry->unfinished--;
        g_clear_pointer(&op->lease, biogated_lease_release);
        g_clear_handle_id(&op->timeout_id, g_source_remove);
        g_clear_handle_id(&op->expire_id, g_source_remove);
        g_clear_handle_id(&op->owner_watch_id, g_bus_unwatch_name);
        g_clear_object(&op->device);
        g_clear_object(&op->cancellable);
        g_clear_object(&op->connection);
        g_clear_pointer(&op->target.prints, g_ptr_array_unref);
        g_clear_pointer(&op->result_details, g_variant_unref);
        g_clear_error(&op->preempted);
        g_free(op->owner);
        g_free(op->path);
        g_free(op->target_user);
        g_free(op->target_service);
        g_free(op->target_text);
        if (op->target.kind_data_free)
                op->target.kind_data_free(op->target.kind_data);
        g_free(op->result);
        G_OBJECT_CLASS(biogated_operation_parent_class)->finalize(object);
}

static void biogated_operation_class_init(BiogatedOperationClass *klass) {
        G_OBJECT_CLASS(klass)->finalize = biogated_operation_finalize;
}

static void biogated_operation_init(BiogatedOperation *op) {
        op->cancellable = g_cancellable_new();
        op->state = "queued";
        op->result = g_strdup("");
        op->result_details = g_variant_ref_sink(g_variant_new("a{sv}", NULL));
}

gboolean operation_is_done(BiogatedOperation *op) {
        return op->result[0] != '\0';
}

static void forget_finished(BiogatedOperation *op) {
        GQueue *queue;

        if (!op->in_finished)
                return;
        op->in_finished = FALSE;
        queue = g_hash_table_lookup(op->registry->finished, GUINT_TO_POINTER(op->share));
        g_queue_remove(queue, op);
        if (g_queue_is_empty(queue))
                g_hash_table_remove(op->registry->finished, GUINT_TO_POINTER(op->share));
}

void operation_unexport(BiogatedOperation *op) {
        g_autoptr(BiogatedOperation) self_ref = g_object_ref(op);
        BiogatedOperations *registry;

        if (op->registration_id == 0)
                return;
        g_dbus_connection_unregister_object(op->connection, op->registration_id);
        op->registration_id = 0;
        forget_finished(op);
        g_clear_handle_id(&op->owner_watch_id, g_bus_unwatch_name);
        g_clear_handle_id(&op->expire_id, g_source_remove);
        /* May drop the last reference: op->registry first. */
        registry = op->registry;
        g_hash_table_remove(registry->live, op->path);
        notify_count(registry);
}

static gboolean on_expire(gpointer user_data) {
        BiogatedOperation *op = user_data;

        op->expire_id = 0;
        operation_unexport(op);
        return G_SOURCE_REMOVE;
}

/* A finished operation costs memory until it goes, and its owner may never
 * read it or call Release (a flood of Authorize calls that need no touch
 * finishes hundreds a second): each user keeps only the newest few, and
 * the oldest of them goes first. Its owner had the Finished signal. */
static void keep_finished(BiogatedOperation *op) {
        GQueue *queue;

        queue = g_hash_table_lookup(op->registry->finished, GUINT_TO_POINTER(op->share));
        if (!queue) {
                queue = g_queue_new();
                g_hash_table_insert(op->registry->finished, GUINT_TO_POINTER(op->share), queue);
        }
        g_queue_push_tail(queue, op);
        op->in_finished = TRUE;
        if (g_queue_get_length(queue) > BIOGATED_OPERATION_FINISHED_MAX_PER_UID) {
                BiogatedOperation *oldest = g_queue_peek_head(queue);

                g_debug("%s: more than %u finished operations of uid %u; dropping %s", op->path,
                        BIOGATED_OPERATION_FINISHED_MAX_PER_UID, (unsigned) op->share, oldest->path);
                operation_unexport(oldest);
        }
}

/* The owner has read the result: the object may go soon. */
void operation_note_result_read(BiogatedOperation *op) {
        if (!operation_is_done(op) || op->result_read || op->registration_id == 0)
                return;
        op->result_read = TRUE;
        g_clear_handle_id(&op->expire_id, g_source_remove);
        op->expire_id = g_timeout_add_seconds(OPERATION_READ_GRACE_SECONDS, on_expire, op);
}

/* Login verification and enrolment decisions; step-up approvals carry the
 * transaction and are audited by biogated-authorize.c. Cancellation is no
 * decision. */
static void audit_result(BiogatedOperation *op) {
        BiogatedAuditInfo info = { .user = op->target_user, .uid = op->target.uid, .caller_uid = op->owner_uid,
                                   .service = op->target_service };
        const char *error = NULL, *finger = NULL;
        BiogatedAuditEvent event;

        (void) g_variant_lookup(op->result_details, "error", "&s", &error);
        (void) g_variant_lookup(op->result_details, "finger", "&s", &finger);
        if (op->kind == BIOGATED_OPERATION_VERIFY) {
                if (g_str_equal(op->result, BIOGATE_RESULT_MATCH))
                        event = BIOGATED_AUDIT_VERIFY_MATCH;
                else if (g_str_equal(op->result, BIOGATE_RESULT_NO_MATCH))
                        event = BIOGATED_AUDIT_VERIFY_NO_MATCH;
                else if (g_str_equal(op->result, BIOGATE_RESULT_FAILED))
                        event = BIOGATED_AUDIT_VERIFY_ERROR;
                else
                        return;
        } else if (op->kind == BIOGATED_OPERATION_ENROLL) {
                if (g_str_equal(op->result, BIOGATE_RESULT_COMPLETED))
                        event = BIOGATED_AUDIT_ENROLL;
                else if (g_str_equal(op->result, BIOGATE_RESULT_FAILED))
                        event = BIOGATED_AUDIT_ENROLL_FAILED;
                else
                        return;
        } else {
                return;
        }
        info.reason = error ? error : finger;
        /* Ended without a touch (locked out or no print for this sensor,
         * before the sensor was asked; no finger in time, which any
         * caller can ask for with timeout-ms=1): decides nothing, and the
         * caller may start the next one at once, so within the per-caller
         * limit. */
        if (error && (g_str_equal(error, biogate_error_info(BIOGATE_ERROR_LOCKED_OUT)->dbus_name) ||
                      g_str_equal(error, biogate_error_info(BIOGATE_ERROR_NO_ENROLLED_PRINTS)->dbus_name) ||
                      g_str_equal(error, biogate_error_info(BIOGATE_ERROR_TIMED_OUT)->dbus_name)))
                biogated_audit_refusal(op->registry->audit, event, &info, "%s for %s (uid %u)%s%s%s ended without a touch: %s",
                                       operation_kind_name(op->kind),
                                       op->target_user, (unsigned) op->target.uid,
                                       op->target_service ? " via service '" : "",
                                       op->target_service ? op->target_service : "",
                                       op->target_service ? "'" : "", error);
        else
                biogated_audit(op->registry->audit, event, &info, "%s for %s (uid %u)%s%s%s: %s%s%s",
                               operation_kind_name(op->kind),
                               op->target_user, (unsigned) op->target.uid,
                               op->target_service ? " via service '" : "",
                               op->target_service ? op->target_service : "", op->target_service ? "'" : "",
                               op->result, info.reason ? " " : "", info.reason ? info.reason : "");
}

static void result_send(gpointer user_data) {
        g_autoptr(BiogatedOperation) op = user_data;
        GVariantBuilder changed;

        op->result_sent = TRUE;
        g_variant_builder_init(&changed, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&changed, "{sv}", "State", g_variant_new_string(op->state));
        g_variant_builder_add(&changed, "{sv}", "Result", g_variant_new_string(op->result));
        g_variant_builder_add(&changed, "{sv}", "ResultDetails", op->result_details);
        operation_emit_properties_changed(op, g_variant_builder_end(&changed));
        operation_emit_to_owner(op, BIOGATE_OPERATION_INTERFACE, "Finished",
                                g_variant_new("(s@a{sv})", op->result, op->result_details));
        if (op->target.observer && op->target.observer->finished)
                op->target.observer->finished(op, op->result, op->result_details, op->target.observer_data);
        if (op->watcher && op->watcher->finished)
                op->watcher->finished(op, op->result, op->result_details, op->watcher_data);

        if (op->registration_id != 0) {
                op->expire_id = g_timeout_add_seconds(OPERATION_EXPIRE_SECONDS, on_expire, op);
                keep_finished(op);
        }
}

static void on_result_durable(const GError *error, gpointer user_data) {
        result_send(user_data);
}

void biogated_operation_finish(BiogatedOperation *op, const char *result, GVariant *details) {
        g_autoptr(GVariant) sunk = details ? g_variant_ref_sink(details) : g_variant_ref_sink(g_variant_new("a{sv}", NULL));
        g_autoptr(BiogatedOperation) self_ref = g_object_ref(op);

        if (operation_is_done(op))
                return;
        g_free(op->result);
        op->result = g_strdup(result);
        g_clear_pointer(&op->result_details, g_variant_unref);
        op->result_details = g_variant_ref(sunk);
        op->state = "done";
        g_clear_handle_id(&op->timeout_id, g_source_remove);
        /* The sensor goes back before anyone hears the result, so whatever
         * the client does next finds it free or queued behind others only. */
        g_clear_pointer(&op->lease, biogated_lease_release);
        g_clear_object(&op->device);
        if (!op->registry)
                return; /* past the exit's biogated_operations_end_all(): nobody to tell */
        op->registry->unfinished--;

        audit_result(op);
        /* A login's match makes nothing durable that must precede it: its
         * failure count is reset (a reset lost in a crash leaves the count
         * higher, stricter, never laxer), the finger's last-use day is on
         * disk already (biogated-privacy.c), and its audit event's number
         * was reserved before (biogated-audit.h). It goes out once that
         * event is sent, which is at once unless a burst used up the
         * reservation. */
        if (op->kind == BIOGATED_OPERATION_VERIFY && g_str_equal(result, BIOGATE_RESULT_MATCH)) {
                biogated_audit_sent_then(op->registry->audit, result_send, g_object_ref(op));
                return;
        }
        /* Every other result goes out once what decided it is durable: its
         * audit event, the failure count, the record of the enrolment. */
        biogated_writer_then(biogated_store_get_writer(op->store), on_result_durable, g_object_ref(op));
}

void biogated_operation_finish_error(BiogatedOperation *op, const GError *error) {
        biogated_operation_finish_error_details(op, error, NULL, NULL);
}

void biogated_operation_finish_error_details(BiogatedOperation *op, const GError *error, const char *key,
                                             GVariant *value) {
        g_autoptr(GError) mapped = biogated_error_from_gerror(error);
        const char *result = BIOGATE_RESULT_FAILED;
        GVariantBuilder details;

        if (mapped->code == BIOGATE_ERROR_CANCELLED && op->preempted) {
                /* Not the owner's doing: a failure it may retry, with when. */
                g_clear_error(&mapped);
                mapped = g_error_copy(op->preempted);
                if (!key) {
                        key = "retry-after-ms";
                        value = g_variant_new_uint64(op->preempted_retry_after_ms);
                }
        } else if (mapped->code == BIOGATE_ERROR_CANCELLED && op->timed_out) {
                g_clear_error(&mapped);
                mapped = biogated_error_new(BIOGATE_ERROR_TIMED_OUT, "No finger was presented in time");
        } else if (mapped->code == BIOGATE_ERROR_CANCELLED) {
                result = BIOGATE_RESULT_CANCELLED;
        }
        g_variant_builder_init(&details, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&details, "{sv}", "error",
                              g_variant_new_string(biogate_error_info((BiogateError) mapped->code)->dbus_name));
        g_variant_builder_add(&details, "{sv}", "message", g_variant_new_string(mapped->message));
        if (key)
                g_variant_builder_add(&details, "{sv}", key, value);
        if (!g_str_equal(result, BIOGATE_RESULT_CANCELLED))
                /* Debug only: its audit event says it, limited per caller
                 * (biogated_audit_refusal()), and a line per call would let
                 * a flood share journald's rate limit with the audit events. */
                g_debug("%s for %s failed: %s", operation_kind_name(op->kind), op->target_user, mapped->message);
        biogated_operation_finish(op, result, g_variant_builder_end(&details));
}

void operation_cancel(BiogatedOperation *op) {
        g_autoptr(GError) error = NULL;

        if (operation_is_done(op))
                return;
        if (!op->device || op->target.held) {
                /* Still queued, or held with the sensor idle: nothing runs
                 * on the sensor that could report the cancellation, so end
                 * it here. */
                error = biogated_error_new(BIOGATE_ERROR_CANCELLED, "Cancelled");
                biogated_operation_finish_error(op, error);
                return;
        }
        g_cancellable_cancel(op->cancellable);
}

/* A copy of the live operations: finishing one may unexport it from the table. */
static GPtrArray *live_copy(BiogatedOperations *registry) {
        GPtrArray *ops = g_ptr_array_new_with_free_func(g_object_unref);
        GHashTableIter iter;
        gpointer op;

        g_hash_table_iter_init(&iter, registry->live);
        while (g_hash_table_iter_next(&iter, NULL, &op))
                g_ptr_array_add(ops, g_object_ref(op));
        return ops;
}

void biogated_operations_cancel_all(BiogatedOperations *registry) {
        g_autoptr(GPtrArray) ops = live_copy(registry);

        for (guint i = 0; i < ops->len; i++)
                operation_cancel(g_ptr_array_index(ops, i));
}

static gboolean on_end_all_timeout(gpointer user_data) {
        *(gboolean *) user_data = TRUE;
        g_main_context_wakeup(NULL);
        return G_SOURCE_REMOVE;
}

gboolean biogated_operations_end_all(BiogatedOperations *registry, guint timeout_ms) {
        gboolean timed_out = FALSE;
        guint timeout_id;

        biogated_operations_cancel_all(registry);
        if (registry->unfinished == 0)
                return TRUE;
        timeout_id = g_timeout_add(timeout_ms, on_end_all_timeout, &timed_out);
        /* libfprint reports a cancellation from the default context. */
        while (registry->unfinished > 0 && !timed_out)
                g_main_context_iteration(NULL, TRUE);
        if (!timed_out)
                g_source_remove(timeout_id);
        return registry->unfinished == 0;
}

void biogated_operations_free(BiogatedOperations *registry) {
        g_autoptr(GPtrArray) ops = NULL;

        if (!registry)
                return;
        /* At exit, after biogated_operations_end_all(): nobody is to be
         * told, and what is still exported goes (an operation outliving this
         * keeps no pointer to it that it uses: only operation_unexport(), the
         * finished queues and the end of an operation do, and all are done). */
        registry->count_notify = NULL;
        ops = live_copy(registry);
        for (guint i = 0; i < ops->len; i++) {
                BiogatedOperation *op = g_ptr_array_index(ops, i);

                /* Its place at the sensor too: the sensor queue, freed after
                 * us, would otherwise drop the lease's reference to an
                 * operation that still points at that lease, and the
                 * operation's finalize would free the lease a second time. */
                g_clear_pointer(&op->lease, biogated_lease_release);
                operation_unexport(op);
                /* It may be finalized after the registry is gone (the
                 * reference of ops, or libfprint's), and must not look. */
                op->registry = NULL;
        }
        g_hash_table_unref(registry->finished);
        g_hash_table_unref(registry->live);
        g_main_context_unref(registry->calls_context);
        g_free(registry);
}

static gboolean on_timeout(gpointer user_data) {
        BiogatedOperation *op = user_data;

        op->timeout_id = 0;
        op->timed_out = TRUE;
        operation_cancel(op);
        return G_SOURCE_REMOVE;
}

void biogated_operation_touch_timeout(BiogatedOperation *op) {
        g_clear_handle_id(&op->timeout_id, g_source_remove);
        if (!operation_is_done(op))
                op->timeout_id = g_timeout_add(op->target.timeout_ms, on_timeout, op);
}

static void on_owner_vanished(GDBusConnection *connection, const char *name, gpointer user_data) {
        g_autoptr(BiogatedOperation) op = g_object_ref(BIOGATED_OPERATION(user_data));

        g_debug("Owner %s of %s left the bus", name, op->path);
        operation_cancel(op);
        operation_unexport(op);
}

/* The kind's driver, once the sensor is ours (and no hold keeps it). */
static void run_on_sensor(BiogatedOperation *op) {
        biogated_operation_touch_timeout(op);
        switch (op->kind) {
        case BIOGATED_OPERATION_ENROLL:
                biogated_enroll_run(op);
                break;
        case BIOGATED_OPERATION_VERIFY:
                biogated_verify_run(op);
                break;
        case BIOGATED_OPERATION_AUTHORIZE:
                biogated_authorize_run(op);
                break;
        }
}

void biogated_operation_release_hold(BiogatedOperation *op) {
        if (!op->target.held || operation_is_done(op))
                return;
        op->target.held = FALSE;
        if (op->sensor_ready)
                run_on_sensor(op);
}

static void on_lease_ready(BiogatedLease *lease, FpDevice *device, const GError *error, guint64 retry_after_ms,
                           gpointer user_data) {
        g_autoptr(BiogatedOperation) op = g_object_ref(BIOGATED_OPERATION(user_data));

        if (error) {
                op->lease = NULL; /* the device layer frees it after this returns */
                if (retry_after_ms > 0)
                        biogated_operation_finish_error_details(op, error, "retry-after-ms",
                                                                g_variant_new_uint64(retry_after_ms));
                else
                        biogated_operation_finish_error(op, error);
                return;
        }
        if (operation_is_done(op)) {
                /* Cancelled while it was being opened. */
                g_clear_pointer(&op->lease, biogated_lease_release);
                return;
        }
        op->device = g_object_ref(device);
        biogated_operation_emit_progress(op, "device-acquired", NULL);
        if (op->target.held) {
                /* The time-out starts when the touch is asked for. */
                op->sensor_ready = TRUE;
                return;
        }
        run_on_sensor(op);
}

/* The device layer wants the sensor back (for a login, or the owner's
 * sensor time is spent). A person half-way through, with a finger already
 * taken, is let finish if they can within the grace the device layer
 * gives (then it asks with force): an enrolment past its first stage, an
 * approval waiting for the second person. Anything else ends now, as
 * failed with the reason and retry-after-ms. */
static gboolean on_lease_preempt(BiogatedLease *lease, const GError *reason, guint64 retry_after_ms, gboolean force,
                                 gpointer user_data) {
        g_autoptr(BiogatedOperation) op = g_object_ref(BIOGATED_OPERATION(user_data));

        if (operation_is_done(op))
                return TRUE;
        if (!force && ((op->kind == BIOGATED_OPERATION_ENROLL && op->stage > 0) ||
                       g_str_equal(op->state, "waiting-for-approver")))
                return FALSE;
        g_clear_error(&op->preempted);
        op->preempted = g_error_copy(reason);
        op->preempted_retry_after_ms = retry_after_ms;
        operation_cancel(op);
        return TRUE;
}

/* An operation that needs no touch runs from the main loop as soon as its
 * creator has returned the path, exactly as after a lease, but without
 * one: a decision the policy makes alone must neither wait behind others
 * for the sensor, open it, nor count as anyone's sensor time. */
static gboolean run_without_sensor(gpointer user_data) {
        BiogatedOperation *op = BIOGATED_OPERATION(user_data);

        if (operation_is_done(op))
                return G_SOURCE_REMOVE;
        switch (op->kind) {
        case BIOGATED_OPERATION_AUTHORIZE:
                biogated_authorize_run(op);
                break;
        case BIOGATED_OPERATION_ENROLL:
        case BIOGATED_OPERATION_VERIFY:
                g_assert_not_reached();
        }
        return G_SOURCE_REMOVE;
}

BiogatedOperation *biogated_operation_start(BiogatedOperations *registry, GDBusConnection *connection, const char *owner, uid_t owner_uid,
                                            BiogatedOperationKind kind, const BiogatedOperationTarget *target,
                                            BiogatedDevices *devices, BiogatedStore *store, BiogatedLimits *limits,
                                            GError **error) {
        g_autoptr(BiogatedOperation) op = g_object_new(BIOGATED_TYPE_OPERATION, NULL);
        GDBusInterfaceInfo *info = biogate_operation_interface_info();
        BiogatedLeaseRequest request;

        op->connection = g_object_ref(connection);
        op->owner = g_strdup(owner);
        op->owner_uid = owner_uid;
        /* Fair shares per person: root's callers (gdm, sudo, su) act for
         * many users, so they queue under the user they act for, and one
         * user's requests cannot fill the slots every login needs; a root
         * caller that acts for the user of its session (su to another
         * user) is charged to that user (see the manager). Only root can
         * ask for a login (the caller already checked). */
        if (target->request_set)
                request = target->request;
        else
                request = (BiogatedLeaseRequest) { .uid = owner_uid == 0 ? target->uid : owner_uid,
                                                   .exempt = owner_uid == 0,
                                                   .login = owner_uid == 0 && target->login };
        op->share = request.uid;
        op->kind = kind;
        op->target = *target;
        op->target.login = request.login;
        /* Only root's own requests and logins may hold the one sensor for
         * long; the rest, unprivileged callers' included, cannot. */
        if (!request.exempt && !request.login)
                op->target.timeout_ms = MIN(op->target.timeout_ms, BIOGATED_OPERATION_USER_TIMEOUT_MS_MAX);
        op->target_user = g_strdup(target->user);
        op->target_service = g_strdup(target->service);
        op->target_text = g_strdup(target->text);
        op->target.user = op->target_user;
        op->target.service = op->target_service;
        op->target.text = op->target_text;
        op->target.prints = target->prints ? g_ptr_array_ref(target->prints) : g_ptr_array_new();
        op->devices = devices;
        op->store = store;
        op->limits = limits;
        op->registry = registry;
        registry->unfinished++;
        op->path = g_strdup_printf(BIOGATE_OPERATION_PATH_BASE "/%" G_GUINT64_FORMAT, registry->next_id++);

        /* Its calls are dispatched with the other bus calls (biogated_daemon_run()). */
        g_main_context_push_thread_default(registry->calls_context);
        op->registration_id = g_dbus_connection_register_object(connection, op->path, info, &operation_vtable,
                                                                op, NULL, error);
        g_main_context_pop_thread_default(registry->calls_context);
        if (op->registration_id == 0)
                return NULL;
        g_hash_table_insert(registry->live, op->path, g_object_ref(op));

        if (target->no_sensor) {
                g_return_val_if_fail(kind == BIOGATED_OPERATION_AUTHORIZE, NULL);
                g_idle_add_full(G_PRIORITY_DEFAULT, run_without_sensor, g_object_ref(op), g_object_unref);
        }
        else if (!(op->lease = biogated_devices_request(devices, &request, on_lease_ready, on_lease_preempt, g_object_ref(op), g_object_unref,
                                             error))) {
                g_object_unref(op); /* the reference the lease would have held */
                operation_unexport(op);
                return NULL;
        }
        op->owner_watch_id = g_bus_watch_name_on_connection(connection, owner, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                            NULL, on_owner_vanished, op, NULL);
        notify_count(registry);
        return g_steal_pointer(&op);
}

const char *biogated_operation_get_path(BiogatedOperation *op) {
        return op->path;
}

void biogated_operation_set_watcher(BiogatedOperation *op, const BiogatedOperationObserver *watcher,
                                    gpointer user_data) {
        op->watcher = watcher;
        op->watcher_data = user_data;
}

void biogated_operation_cancel(BiogatedOperation *op) {
        operation_cancel(op);
}

void biogated_operation_detach_observer(BiogatedOperation *op) {
        op->target.observer = NULL;
        op->target.observer_data = NULL;
}

void biogated_operation_release(BiogatedOperation *op) {
        g_autoptr(BiogatedOperation) self_ref = g_object_ref(op);

        operation_cancel(op);
        operation_unexport(op);
}

FpDevice *biogated_operation_get_device(BiogatedOperation *op) {
        return op->device;
}

GCancellable *biogated_operation_get_cancellable(BiogatedOperation *op) {
        return op->cancellable;
}

uid_t biogated_operation_get_owner_uid(BiogatedOperation *op) {
        return op->owner_uid;
}

const BiogatedOperationTarget *biogated_operation_get_target(BiogatedOperation *op) {
        return &op->target;
}

BiogatedStore *biogated_operation_get_store(BiogatedOperation *op) {
        return op->store;
}

BiogatedAudit *biogated_operation_get_audit(BiogatedOperation *op) {
        return op->registry->audit;
}

BiogatedLimits *biogated_operation_get_limits(BiogatedOperation *op) {
        return op->limits;
}

