/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-device.h"

#include "biogated-error.h"

typedef enum {
        SENSOR_CLOSED,
        SENSOR_OPENING,
        SENSOR_OPEN,
        SENSOR_CLOSING,
} SensorState;

struct BiogatedLease {
        BiogatedDevices *devices;
        uid_t uid;
        BiogatedLeaseReady ready;
        gpointer user_data;
        GDestroyNotify destroy;
};

struct BiogatedDevices {
        FpContext *context;
        char *wanted;
        FpDevice *device;         /* the one we use, ref held */
        gboolean unplugged;       /* device reported removal; context may still list it */
        SensorState state;
        BiogatedLease *active;    /* holder of the sensor, or NULL */
        GQueue waiting;           /* BiogatedLease*, FIFO */
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

static void fail_lease(BiogatedLease *lease, GError *error) {
        g_autoptr(GError) owned = error;

        if (lease->ready)
                lease->ready(NULL, NULL, owned, lease->user_data);
        lease_free(lease);
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

BiogatedDevices *biogated_devices_new(const char *wanted, GError **error) {
        BiogatedDevices *devices = g_new0(BiogatedDevices, 1);

        g_queue_init(&devices->waiting);
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
        g_signal_handlers_disconnect_by_data(devices->context, devices);
        g_queue_clear_full(&devices->waiting, (GDestroyNotify) lease_free);
        g_clear_pointer(&devices->active, lease_free);
        if (devices->device && fp_device_is_open(devices->device))
                (void) fp_device_close_sync(devices->device, NULL, NULL);
        drop_device(devices);
        g_clear_object(&devices->context);
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

static guint count_waiting_for_uid(BiogatedDevices *devices, uid_t uid) {
        guint n = 0;
        for (GList *l = devices->waiting.head; l; l = l->next)
                if (((BiogatedLease *) l->data)->uid == uid)
                        n++;
        return n;
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
                                ready(lease, devices->device, NULL, lease->user_data);
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

BiogatedLease *biogated_devices_request(BiogatedDevices *devices, uid_t uid,
                                        BiogatedLeaseReady ready, gpointer user_data,
                                        GDestroyNotify destroy, GError **error) {
        BiogatedLease *lease;

        if (!devices->device || devices->unplugged) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_NO_SUCH_DEVICE, "No fingerprint sensor available");
                return NULL;
        }
        if (g_queue_get_length(&devices->waiting) >= BIOGATED_QUEUE_MAX ||
            count_waiting_for_uid(devices, uid) >= BIOGATED_QUEUE_MAX_PER_UID) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_DEVICE_BUSY,
                            "The fingerprint sensor is busy and too many requests are waiting");
                return NULL;
        }
        lease = g_new0(BiogatedLease, 1);
        *lease = (BiogatedLease) { .devices = devices, .uid = uid, .ready = ready,
                                   .user_data = user_data, .destroy = destroy };
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
        if (devices->active == lease)
                devices->active = NULL;
        else
                g_queue_remove(&devices->waiting, lease);
        devices_advance(devices);
        lease_free(lease);
}
