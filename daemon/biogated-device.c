/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-device.h"

#include "biogated-error.h"
#include "biogated-sensortime.h"

/* The holds of exempt leases (root's) heat the sensor but count against
 * nobody's budget. */
#define EXEMPT_UID ((uid_t) -1)

typedef enum {
        SENSOR_CLOSED,
        SENSOR_OPENING,
        SENSOR_OPEN,
        SENSOR_CLOSING,
} SensorState;

struct BiogatedLease {
        BiogatedDevices *devices;
        BiogatedLeaseRequest request;
        BiogatedLeaseReady ready;
        BiogatedLeasePreempt preempt;
        gpointer user_data;
        GDestroyNotify destroy;
        gboolean holding;         /* handed the device: its time counts */
        gboolean preempt_asked;
        gboolean forced;          /* asked with force: it ends now */
        gboolean wait_logged;     /* a login: that it may not preempt was logged */
};

struct BiogatedDevices {
        FpContext *context;
        char *wanted;
        FpDevice *device;         /* the one we use, ref held */
        gboolean unplugged;       /* device reported removal; context may still list it */
        SensorState state;
        BiogatedLease *active;    /* holder of the sensor, or NULL */
        GQueue waiting;           /* BiogatedLease*, logins first, each kind FIFO */
        BiogatedSensorTime *time; /* who held it how long; its heat */
        BiogatedSensorTime *login_time; /* logins' time per target uid (its heat unused) */
        GHashTable *login_preempted; /* target uid -> gint64*: when its login last took the sensor */
        guint budget_timer_id;    /* the active lease's time runs out */
        guint grace_timer_id;     /* the active lease said no to a preemption: its grace ends */
        GError *grace_reason;     /* what it is then told */
        guint64 grace_retry_after_ms;
        guint dispatch_id;
        GCallback idle_notify;
        gpointer idle_notify_data;
        gboolean suspended;       /* the system is going to sleep: serve nobody */
        BiogatedDevicesReleased released;
        gpointer released_data;
};

static void devices_advance(BiogatedDevices *devices);

static void notify_idle(BiogatedDevices *devices) {
        if (devices->idle_notify)
                ((void (*)(gpointer)) devices->idle_notify)(devices->idle_notify_data);
}

static gboolean device_is_wanted(BiogatedDevices *devices, FpDevice *device) {
        if (!devices->wanted)
                return TRUE;
        return g_str_equal(devices->wanted, fp_device_get_device_id(device)) ||
               g_str_equal(devices->wanted, fp_device_get_driver(device));
}

static void fail_waiting(BiogatedDevices *devices, const char *message);

/* libfprint tells the device first and the context only once the device is
 * closed; new requests must fail from the first moment. */
static void on_device_unplugged(FpDevice *device, BiogatedDevices *devices) {
        if (device != devices->device)
                return;
        g_warning("Fingerprint sensor '%s' was unplugged", fp_device_get_name(device));
        devices->unplugged = TRUE;
        fail_waiting(devices, "The fingerprint sensor was unplugged");
        devices_advance(devices);
}

gboolean biogated_device_is_unplugged(FpDevice *device) {
        gboolean removed = FALSE;

        g_object_get(device, "removed", &removed, NULL);
        return removed;
}

static void pick_device(BiogatedDevices *devices) {
        GPtrArray *all = fp_context_get_devices(devices->context);

        if (devices->device)
                return;
        for (guint i = 0; all && i < all->len; i++) {
                FpDevice *d = g_ptr_array_index(all, i);
                /* The context still lists a device while it announces its removal. */
                if (device_is_wanted(devices, d) && !biogated_device_is_unplugged(d)) {
                        devices->device = g_object_ref(d);
                        devices->unplugged = FALSE;
                        g_signal_connect(d, "removed", G_CALLBACK(on_device_unplugged), devices);
                        devices->state = fp_device_is_open(d) ? SENSOR_OPEN : SENSOR_CLOSED;
                        g_message("Using fingerprint sensor '%s' (driver %s)",
                                  fp_device_get_name(d), fp_device_get_driver(d));
                        return;
                }
        }
}

static void lease_free(BiogatedLease *lease) {
        if (lease->destroy)
                lease->destroy(lease->user_data);
        g_free(lease);
}

static void fail_lease_retry(BiogatedLease *lease, GError *error, guint64 retry_after_ms) {
        g_autoptr(GError) owned = error;

        if (lease->ready)
                lease->ready(NULL, NULL, owned, retry_after_ms, lease->user_data);
        lease_free(lease);
}

static void fail_lease(BiogatedLease *lease, GError *error) {
        fail_lease_retry(lease, error, 0);
}

static void fail_waiting(BiogatedDevices *devices, const char *message) {
        while (!g_queue_is_empty(&devices->waiting))
                fail_lease(g_queue_pop_head(&devices->waiting),
                           biogated_error_new(BIOGATE_ERROR_NO_SUCH_DEVICE, "%s", message));
}

static void drop_device(BiogatedDevices *devices) {
        if (!devices->device)
                return;
        g_signal_handlers_disconnect_by_data(devices->device, devices);
        g_clear_object(&devices->device);
        devices->unplugged = FALSE;
        devices->state = SENSOR_CLOSED;
}

static void on_device_removed(FpContext *context, FpDevice *device, BiogatedDevices *devices) {
        if (device != devices->device)
                return;
        g_message("Fingerprint sensor '%s' is gone", fp_device_get_name(device));
        /* The running operation gets FP_DEVICE_ERROR_REMOVED from libfprint;
         * whoever waits for this sensor gets NoSuchDevice now. */
        drop_device(devices);
        fail_waiting(devices, "The fingerprint sensor was unplugged");
        pick_device(devices);
        notify_idle(devices);
}

static void on_device_added(FpContext *context, FpDevice *device, BiogatedDevices *devices) {
        pick_device(devices);
}

BiogatedDevices *biogated_devices_new(const char *wanted, const BiogatedSensorLimits *limits) {
        BiogatedDevices *devices = g_new0(BiogatedDevices, 1);
        gint64 now = g_get_monotonic_time();

        g_queue_init(&devices->waiting);
        devices->time = biogated_sensortime_new((gint64) limits->budget_seconds * G_USEC_PER_SEC,
                                                (gint64) limits->window_seconds * G_USEC_PER_SEC, now);
        devices->login_time = biogated_sensortime_new((gint64) limits->login_budget_seconds * G_USEC_PER_SEC,
                                                      (gint64) limits->login_window_seconds * G_USEC_PER_SEC, now);
        devices->login_preempted = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
        devices->wanted = g_strdup(wanted);
        devices->context = fp_context_new();
        g_signal_connect(devices->context, "device-removed", G_CALLBACK(on_device_removed), devices);
        g_signal_connect(devices->context, "device-added", G_CALLBACK(on_device_added), devices);
        fp_context_enumerate(devices->context);
        pick_device(devices);
        if (!devices->device)
                g_message(wanted ? "Fingerprint sensor '%s' not found" : "No fingerprint sensor found%s",
                          wanted ? wanted : "");
        return devices;
}

void biogated_devices_free(BiogatedDevices *devices) {
        if (!devices)
                return;
        g_clear_handle_id(&devices->dispatch_id, g_source_remove);
        g_clear_handle_id(&devices->budget_timer_id, g_source_remove);
        g_clear_handle_id(&devices->grace_timer_id, g_source_remove);
        g_clear_error(&devices->grace_reason);
        g_signal_handlers_disconnect_by_data(devices->context, devices);
        g_queue_clear_full(&devices->waiting, (GDestroyNotify) lease_free);
        g_clear_pointer(&devices->active, lease_free);
        if (devices->device && fp_device_is_open(devices->device))
                (void) fp_device_close_sync(devices->device, NULL, NULL);
        drop_device(devices);
        g_clear_object(&devices->context);
        g_clear_pointer(&devices->time, biogated_sensortime_free);
        g_clear_pointer(&devices->login_time, biogated_sensortime_free);
        g_clear_pointer(&devices->login_preempted, g_hash_table_unref);
        g_free(devices->wanted);
        g_free(devices);
}

GPtrArray *biogated_devices_list(BiogatedDevices *devices) {
        return fp_context_get_devices(devices->context);
}

FpDevice *biogated_devices_get_default(BiogatedDevices *devices) {
        return devices->unplugged ? NULL : devices->device;
}

gboolean biogated_devices_is_idle(BiogatedDevices *devices) {
        return !devices->active && g_queue_is_empty(&devices->waiting) &&
               (devices->state == SENSOR_CLOSED || !devices->device);
}

void biogated_devices_set_idle_notify(BiogatedDevices *devices, GCallback notify, gpointer user_data) {
        devices->idle_notify = notify;
        devices->idle_notify_data = user_data;
}

/* Waiting requests of the same kind (login or not), in all and of uid. */
static void count_waiting(BiogatedDevices *devices, gboolean login, uid_t uid, guint *ret_all, guint *ret_uid) {
        *ret_all = *ret_uid = 0;
        for (GList *l = devices->waiting.head; l; l = l->next) {
                BiogatedLease *w = l->data;
                if (w->request.login != login)
                        continue;
                (*ret_all)++;
                if (w->request.uid == uid)
                        (*ret_uid)++;
        }
}

/* Why an unprivileged request may not have the sensor now (DeviceBusy), or
 * NULL. Root and logins (within their own budget) are exempt: the budget
 * shares the sensor between users, and the heat reserve is kept for
 * logins. */
static GError *refusal(BiogatedDevices *devices, const BiogatedLeaseRequest *request, guint64 *ret_retry_after_ms) {
        gint64 now = g_get_monotonic_time(), retry_us = 0;

        if (request->exempt || request->login)
                return NULL;
        if (!biogated_sensortime_may_start(devices->time, request->uid, now, &retry_us)) {
                *ret_retry_after_ms = (guint64) (retry_us + 999) / 1000;
                return biogated_error_new(BIOGATE_ERROR_DEVICE_BUSY,
                                          "uid %u has used its %" G_GINT64_FORMAT " s of fingerprint sensor time "
                                          "within %" G_GINT64_FORMAT " s; retry after %" G_GUINT64_FORMAT " ms",
                                          (unsigned) request->uid,
                                          biogated_sensortime_get_budget(devices->time) / G_USEC_PER_SEC,
                                          biogated_sensortime_get_window(devices->time) / G_USEC_PER_SEC,
                                          *ret_retry_after_ms);
        }
        /* Sensors that can run continuously have no thermal model. */
        if (devices->device && fp_device_has_feature(devices->device, FP_DEVICE_FEATURE_ALWAYS_ON))
                return NULL;
        if (devices->device && fp_device_get_temperature(devices->device) == FP_TEMPERATURE_HOT) {
                *ret_retry_after_ms = (guint64) (BIOGATED_SENSORTIME_COLD_SECONDS * G_USEC_PER_SEC) / 1000;
                return biogated_error_new(BIOGATE_ERROR_DEVICE_BUSY,
                                          "The fingerprint sensor is too hot; retry after %" G_GUINT64_FORMAT " ms",
                                          *ret_retry_after_ms);
        }
        if (!biogated_sensortime_is_cool(devices->time, now, &retry_us)) {
                *ret_retry_after_ms = (guint64) (retry_us + 999) / 1000;
                return biogated_error_new(BIOGATE_ERROR_DEVICE_BUSY,
                                          "The fingerprint sensor is warm and kept for logins; retry after "
                                          "%" G_GUINT64_FORMAT " ms", *ret_retry_after_ms);
        }
        return NULL;
}

static gboolean on_grace_over(gpointer user_data) {
        BiogatedDevices *devices = user_data;
        BiogatedLease *active = devices->active;
        g_autoptr(GError) reason = g_steal_pointer(&devices->grace_reason);

        devices->grace_timer_id = 0;
        if (!active || active->forced || !active->preempt)
                return G_SOURCE_REMOVE;
        g_message("The operation of uid %u kept the fingerprint sensor %u s past its time or a waiting login; "
                  "ending it", (unsigned) active->request.uid, BIOGATED_HOLD_GRACE_SECONDS);
        active->forced = TRUE;
        (void) active->preempt(active, reason, devices->grace_retry_after_ms, TRUE, active->user_data);
        return G_SOURCE_REMOVE;
}

/* Ask the holder once to give the sensor back. TRUE if it agreed; if it
 * said no, it has BIOGATED_HOLD_GRACE_SECONDS more, then it is told to end
 * with the same reason. */
static gboolean ask_preempt(BiogatedDevices *devices, GError *reason, guint64 retry_after_ms) {
        g_autoptr(GError) owned = reason;
        BiogatedLease *active = devices->active;

        if (!active || active->preempt_asked || !active->preempt)
                return FALSE;
        active->preempt_asked = TRUE;
        if (active->preempt(active, owned, retry_after_ms, FALSE, active->user_data))
                return TRUE;
        if (devices->grace_timer_id == 0) {
                devices->grace_reason = g_steal_pointer(&owned);
                devices->grace_retry_after_ms = retry_after_ms;
                devices->grace_timer_id = g_timeout_add(BIOGATED_HOLD_GRACE_SECONDS * 1000, on_grace_over, devices);
        }
        return FALSE;
}

static gboolean on_budget_spent(gpointer user_data) {
        BiogatedDevices *devices = user_data;
        BiogatedLease *active = devices->active;
        BiogatedSensorTime *time;
        gint64 retry_us = 0, now = g_get_monotonic_time();

        devices->budget_timer_id = 0;
        if (!active)
                return G_SOURCE_REMOVE;
        time = active->request.login ? devices->login_time : devices->time;
        if (!active->request.login && biogated_sensortime_left(time, active->request.uid, now) >= G_USEC_PER_SEC &&
            !biogated_sensortime_is_cool(devices->time, now, &retry_us)) {
                /* Time left, but the sensor is as warm as others may make it. */
                g_message("The fingerprint sensor is warm; asking the operation of uid %u to end",
                          (unsigned) active->request.uid);
                if (!ask_preempt(devices,
                                 biogated_error_new(BIOGATE_ERROR_DEVICE_BUSY,
                                                    "The fingerprint sensor is warm and kept for logins"),
                                 (guint64) (retry_us + 999) / 1000))
                        g_message("The operation of uid %u goes on: a person is using the sensor; it ends within "
                                  "%u s", (unsigned) active->request.uid, BIOGATED_HOLD_GRACE_SECONDS);
                return G_SOURCE_REMOVE;
        }
        if (biogated_sensortime_may_start(time, active->request.uid, now, &retry_us))
                retry_us = 0;
        g_message("uid %u has used its fingerprint sensor time%s; asking its operation to end",
                  (unsigned) active->request.uid, active->request.login ? " for logins" : "");
        if (!ask_preempt(devices,
                         biogated_error_new(BIOGATE_ERROR_DEVICE_BUSY,
                                            "uid %u has used its %" G_GINT64_FORMAT " s of fingerprint sensor time%s "
                                            "within %" G_GINT64_FORMAT " s",
                                            (unsigned) active->request.uid,
                                            biogated_sensortime_get_budget(time) / G_USEC_PER_SEC,
                                            active->request.login ? " for logins" : "",
                                            biogated_sensortime_get_window(time) / G_USEC_PER_SEC),
                         (guint64) (retry_us + 999) / 1000))
                g_message("The operation of uid %u goes on past its sensor time: a person is using the sensor; "
                          "it ends within %u s", (unsigned) active->request.uid, BIOGATED_HOLD_GRACE_SECONDS);
        return G_SOURCE_REMOVE;
}

/* TRUE if a login for uid took the sensor from someone within the last
 * BIOGATED_LOGIN_PREEMPT_INTERVAL_SECONDS. Forgets older ones. */
static gboolean login_preempted_recently(BiogatedDevices *devices, uid_t uid, gint64 now) {
        const gint64 interval = (gint64) BIOGATED_LOGIN_PREEMPT_INTERVAL_SECONDS * G_USEC_PER_SEC;
        GHashTableIter iter;
        gint64 *when;

        g_hash_table_iter_init(&iter, devices->login_preempted);
        while (g_hash_table_iter_next(&iter, NULL, (gpointer *) &when))
                if (now - *when >= interval)
                        g_hash_table_iter_remove(&iter);
        return g_hash_table_contains(devices->login_preempted, GUINT_TO_POINTER(uid));
}

/* A login waits first in line and the holder is another user's, neither
 * root's nor a login: ask for the sensor back. TRUE if the holder agreed
 * (it releases the lease soon, from the main loop or right away). */
static gboolean preempt_for_login(BiogatedDevices *devices) {
        BiogatedLease *login = g_queue_peek_head(&devices->waiting), *active = devices->active;

        gint64 now = g_get_monotonic_time();
        gint64 *when;

        if (!login || !login->request.login || !active || active->preempt_asked || !active->preempt ||
            active->request.login || active->request.exempt || active->request.uid == login->request.uid)
                return FALSE;
        if (login_preempted_recently(devices, login->request.uid, now)) {
                if (!login->wait_logged)
                        g_message("A login for uid %u waits for the operation of uid %u: a login for uid %u took "
                                  "the fingerprint sensor from another user less than %u s ago",
                                  (unsigned) login->request.uid, (unsigned) active->request.uid,
                                  (unsigned) login->request.uid, BIOGATED_LOGIN_PREEMPT_INTERVAL_SECONDS);
                login->wait_logged = TRUE;
                return FALSE;
        }
        when = g_new(gint64, 1);
        *when = now;
        g_hash_table_replace(devices->login_preempted, GUINT_TO_POINTER(login->request.uid), when);
        g_message("A login for uid %u preempts the operation of uid %u on the fingerprint sensor",
                  (unsigned) login->request.uid, (unsigned) active->request.uid);
        if (ask_preempt(devices,
                        biogated_error_new(BIOGATE_ERROR_DEVICE_BUSY,
                                           "The fingerprint sensor was needed for a login; retry after %u ms",
                                           BIOGATED_PREEMPT_RETRY_AFTER_MS),
                        BIOGATED_PREEMPT_RETRY_AFTER_MS))
                return TRUE;
        g_message("The operation of uid %u is not preempted: a person is half-way through it; the login waits "
                  "for it, at most %u s", (unsigned) active->request.uid, BIOGATED_HOLD_GRACE_SECONDS);
        return FALSE;
}

/* The active lease gets the device: its time starts counting. */
static void start_holding(BiogatedDevices *devices, BiogatedLease *lease) {
        gint64 now = g_get_monotonic_time();
        gboolean charged = !lease->request.exempt && !lease->request.login;

        lease->holding = TRUE;
        /* Logins heat the sensor but count against the logins' budget. */
        biogated_sensortime_begin(devices->time, charged ? lease->request.uid : EXEMPT_UID, now);
        if (lease->request.login)
                biogated_sensortime_begin(devices->login_time, lease->request.uid, now);
        g_clear_handle_id(&devices->budget_timer_id, g_source_remove);
        g_clear_handle_id(&devices->grace_timer_id, g_source_remove);
        g_clear_error(&devices->grace_reason);
        if (charged || lease->request.login) {
                gint64 left = biogated_sensortime_left(charged ? devices->time : devices->login_time,
                                                       lease->request.uid, now);
                /* An unprivileged hold also ends where the heat reaches
                 * the reserve: whatever comes after it starts from there. */
                if (charged && !fp_device_has_feature(devices->device, FP_DEVICE_FEATURE_ALWAYS_ON))
                        left = MIN(left, biogated_sensortime_until_warm(devices->time, now));
                devices->budget_timer_id = g_timeout_add((guint) MAX(1, (left + 999) / 1000), on_budget_spent, devices);
        }
}

static void stop_holding(BiogatedDevices *devices, BiogatedLease *lease) {
        if (!lease->holding)
                return;
        lease->holding = FALSE;
        biogated_sensortime_end(devices->time, g_get_monotonic_time());
        if (lease->request.login)
                biogated_sensortime_end(devices->login_time, g_get_monotonic_time());
        g_clear_handle_id(&devices->budget_timer_id, g_source_remove);
        g_clear_handle_id(&devices->grace_timer_id, g_source_remove);
        g_clear_error(&devices->grace_reason);
}

static void on_close_done(GObject *source, GAsyncResult *res, gpointer user_data) {
        BiogatedDevices *devices = user_data;
        g_autoptr(GError) error = NULL;

        if (!fp_device_close_finish(FP_DEVICE(source), res, &error))
                g_warning("Closing the fingerprint sensor failed: %s", error->message);
        if (FP_DEVICE(source) == devices->device)
                devices->state = SENSOR_CLOSED;
        g_object_unref(source);
        devices_advance(devices);
}

static void on_open_done(GObject *source, GAsyncResult *res, gpointer user_data) {
        BiogatedDevices *devices = user_data;
        g_autoptr(GError) error = NULL;
        BiogatedLease *lease;

        if (!fp_device_open_finish(FP_DEVICE(source), res, &error)) {
                if (FP_DEVICE(source) == devices->device)
                        devices->state = SENSOR_CLOSED;
                g_object_unref(source);
                lease = g_steal_pointer(&devices->active);
                g_warning("Opening the fingerprint sensor failed: %s", error->message);
                if (lease)
                        fail_lease(lease, biogated_error_from_gerror(error));
                devices_advance(devices);
                return;
        }
        if (FP_DEVICE(source) != devices->device) {
                /* The sensor was swapped while it opened: the one now in
                 * use is closed, so the lease cannot be served by it. */
                lease = g_steal_pointer(&devices->active);
                fp_device_close(FP_DEVICE(source), NULL, on_close_done, devices);
                if (lease)
                        fail_lease(lease, biogated_error_new(BIOGATE_ERROR_NO_SUCH_DEVICE,
                                                             "The fingerprint sensor was unplugged"));
                devices_advance(devices);
                return;
        }
        devices->state = SENSOR_OPEN;
        g_object_unref(source);
        devices_advance(devices);
}

/* Give the sensor to whoever is next, or close it. Runs from the main loop
 * only, so lease callbacks never re-enter a caller's stack. */
static gboolean devices_dispatch(gpointer user_data) {
        BiogatedDevices *devices = user_data;
        BiogatedLease *lease;

        devices->dispatch_id = 0;

        /* Also while the sensor opens for the holder: a login must not wait
         * for that either. The holder releases its lease when it ends,
         * which dispatches again. */
        if (!devices->suspended && preempt_for_login(devices))
                return G_SOURCE_REMOVE;

        if (devices->state == SENSOR_OPENING || devices->state == SENSOR_CLOSING)
                return G_SOURCE_REMOVE;

        if (devices->suspended) {
                /* The active lease goes once its cancelled operation ends. */
                if (devices->active)
                        return G_SOURCE_REMOVE;
                if (devices->device && devices->state == SENSOR_OPEN) {
                        devices->state = SENSOR_CLOSING;
                        g_object_ref(devices->device);
                        fp_device_close(devices->device, NULL, on_close_done, devices);
                        return G_SOURCE_REMOVE;
                }
                if (devices->released) {
                        BiogatedDevicesReleased released = g_steal_pointer(&devices->released);
                        released(devices->released_data);
                }
                notify_idle(devices);
                return G_SOURCE_REMOVE;
        }

        if (!devices->device || devices->unplugged) {
                fail_waiting(devices, "No fingerprint sensor available");
                /* Closing lets libfprint finish the removal. */
                if (devices->device && devices->state == SENSOR_OPEN && !devices->active) {
                        devices->state = SENSOR_CLOSING;
                        g_object_ref(devices->device);
                        fp_device_close(devices->device, NULL, on_close_done, devices);
                }
                notify_idle(devices);
                return G_SOURCE_REMOVE;
        }

        if (devices->active) {
                if (devices->state == SENSOR_OPEN) {
                        /* Opened for this lease: hand it over. */
                        lease = devices->active;
                        if (lease->ready) {
                                BiogatedLeaseReady ready = lease->ready;
                                lease->ready = NULL;
                                start_holding(devices, lease);
                                ready(lease, devices->device, NULL, 0, lease->user_data);
                        }
                }
                return G_SOURCE_REMOVE;
        }

        if (g_queue_is_empty(&devices->waiting)) {
                if (devices->state == SENSOR_OPEN) {
                        devices->state = SENSOR_CLOSING;
                        fp_device_close(devices->device, NULL, on_close_done, devices);
                        g_object_ref(devices->device);
                } else {
                        notify_idle(devices);
                }
                return G_SOURCE_REMOVE;
        }

        /* A request may have been fine when it queued and be over the
         * budget (the uid's earlier operation used it) or too warm now. */
        for (;;) {
                g_autoptr(GError) refused = NULL;
                guint64 retry_after_ms = 0;

                lease = g_queue_peek_head(&devices->waiting);
                if (!lease)
                        break;
                refused = refusal(devices, &lease->request, &retry_after_ms);
                if (!refused)
                        break;
                fail_lease_retry(g_queue_pop_head(&devices->waiting), g_steal_pointer(&refused), retry_after_ms);
        }
        if (!lease) {
                devices_advance(devices);
                return G_SOURCE_REMOVE;
        }
        devices->active = g_queue_pop_head(&devices->waiting);
        if (devices->state == SENSOR_CLOSED) {
                devices->state = SENSOR_OPENING;
                g_object_ref(devices->device);
                fp_device_open(devices->device, NULL, on_open_done, devices);
                return G_SOURCE_REMOVE;
        }
        devices_advance(devices);
        return G_SOURCE_REMOVE;
}

static void devices_advance(BiogatedDevices *devices) {
        /* At the priority of the bus traffic, not below it: an idle
         * source only runs when nothing else is ready, so a steady stream
         * of calls from one user would keep the queue from ever moving. */
        if (devices->dispatch_id == 0)
                devices->dispatch_id = g_idle_add_full(G_PRIORITY_DEFAULT, devices_dispatch, devices, NULL);
}

BiogatedLease *biogated_devices_request(BiogatedDevices *devices, const BiogatedLeaseRequest *request,
                                        BiogatedLeaseReady ready, BiogatedLeasePreempt preempt,
                                        gpointer user_data, GDestroyNotify destroy, GError **error) {
        g_autoptr(GError) refused = NULL;
        BiogatedLease *lease;
        BiogatedLeaseRequest req = *request;
        guint64 retry_after_ms = 0;
        guint n_all, n_uid;
        GList *before = NULL;
        gint64 retry_us = 0;

        if (!devices->device || devices->unplugged) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_NO_SUCH_DEVICE, "No fingerprint sensor available");
                return NULL;
        }
        /* Logins past their budget are the target's ordinary requests:
         * whoever can start logins as themselves gets priority for a
         * while, not for ever, nor beyond the heat reserve. */
        if (req.login && !biogated_sensortime_may_start(devices->login_time, req.uid, g_get_monotonic_time(), &retry_us)) {
                g_message("uid %u has used its %" G_GINT64_FORMAT " s of fingerprint sensor time for logins within "
                          "%" G_GINT64_FORMAT " s: this login is an ordinary request", (unsigned) req.uid,
                          biogated_sensortime_get_budget(devices->login_time) / G_USEC_PER_SEC,
                          biogated_sensortime_get_window(devices->login_time) / G_USEC_PER_SEC);
                req.login = FALSE;
        }
        request = &req;
        /* Logins have places of their own: a full queue of other requests
         * never turns a login away. */
        count_waiting(devices, request->login, request->uid, &n_all, &n_uid);
        if (n_all >= BIOGATED_QUEUE_MAX || n_uid >= BIOGATED_QUEUE_MAX_PER_UID) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_DEVICE_BUSY,
                            "The fingerprint sensor is busy and too many requests are waiting");
                return NULL;
        }
        refused = refusal(devices, request, &retry_after_ms);
        if (refused) {
                g_propagate_error(error, g_steal_pointer(&refused));
                return NULL;
        }
        lease = g_new0(BiogatedLease, 1);
        *lease = (BiogatedLease) { .devices = devices, .request = req, .ready = ready, .preempt = preempt,
                                   .user_data = user_data, .destroy = destroy };
        /* A login goes behind the logins already waiting, before the rest. */
        if (request->login)
                for (before = devices->waiting.head; before && ((BiogatedLease *) before->data)->request.login;
                     before = before->next)
                        ;
        if (before)
                g_queue_insert_before(&devices->waiting, before, lease);
        else
                g_queue_push_tail(&devices->waiting, lease);
        devices_advance(devices);
        return lease;
}

void biogated_devices_suspend(BiogatedDevices *devices, BiogatedDevicesReleased released, gpointer user_data) {
        devices->suspended = TRUE;
        devices->released = released;
        devices->released_data = user_data;
        devices_advance(devices);
}

void biogated_devices_resume(BiogatedDevices *devices) {
        devices->suspended = FALSE;
        devices->released = NULL;
        devices->released_data = NULL;
        devices_advance(devices);
}

void biogated_lease_release(BiogatedLease *lease) {
        BiogatedDevices *devices;

        if (!lease)
                return;
        devices = lease->devices;
        if (devices->active == lease) {
                stop_holding(devices, lease);
                devices->active = NULL;
        } else
                g_queue_remove(&devices->waiting, lease);
        devices_advance(devices);
        lease_free(lease);
}
