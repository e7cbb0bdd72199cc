/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <fprint.h>
#include <gio/gio.h>
#include <sys/types.h>

/* The sensor and who may use it. biogated drives one sensor (the first one
 * libfprint finds, or the one named in biogate.conf) and lends it to one
 * operation at a time. The sensor is opened when an operation gets it and
 * closed when nobody waits, so an idle daemon holds no device open.
 *
 * Requests beyond the one running wait in a FIFO bounded in total and per
 * uid, so one user cannot starve the others; a request over the bound fails
 * at once with DeviceBusy. */

#define BIOGATED_QUEUE_MAX 8u
#define BIOGATED_QUEUE_MAX_PER_UID 2u

typedef struct BiogatedDevices BiogatedDevices;
typedef struct BiogatedLease BiogatedLease;

/* Called at most once per lease: with the opened device, or with an error
 * (the lease is then already released). user_data stays owned by the lease
 * and is destroyed when the lease goes away. */
typedef void (*BiogatedLeaseReady)(BiogatedLease *lease, FpDevice *device, const GError *error, gpointer user_data);

BiogatedDevices *biogated_devices_new(const char *wanted, GError **error);
void biogated_devices_free(BiogatedDevices *devices);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BiogatedDevices, biogated_devices_free)

/* All sensors libfprint knows (borrowed). */
GPtrArray *biogated_devices_list(BiogatedDevices *devices);
/* TRUE once libfprint reported the device gone. */
gboolean biogated_device_is_unplugged(FpDevice *device);
/* The sensor biogated uses, or NULL (borrowed). */
FpDevice *biogated_devices_get_default(BiogatedDevices *devices);
/* TRUE when no lease is active or waiting and the sensor is closed. */
gboolean biogated_devices_is_idle(BiogatedDevices *devices);
/* Called whenever biogated_devices_is_idle() may have changed. */
void biogated_devices_set_idle_notify(BiogatedDevices *devices, GCallback notify, gpointer user_data);

/* Queue a request for the sensor. Returns NULL with NoSuchDevice or
 * DeviceBusy. ready is never called from inside this function. */
BiogatedLease *biogated_devices_request(BiogatedDevices *devices, uid_t uid,
                                        BiogatedLeaseReady ready, gpointer user_data,
                                        GDestroyNotify destroy, GError **error);

/* Before system sleep: hand the sensor to nobody, close it as soon as the
 * running operation (which the caller cancels) lets go of it, then call
 * released once, from the main loop. Requests still queue meanwhile and
 * are served after biogated_devices_resume(). */
typedef void (*BiogatedDevicesReleased)(gpointer user_data);
void biogated_devices_suspend(BiogatedDevices *devices, BiogatedDevicesReleased released, gpointer user_data);
/* After resume: serve the queue again. A released callback not called yet
 * is dropped. */
void biogated_devices_resume(BiogatedDevices *devices);

/* Give the sensor back (or leave the queue). Safe to call at any time,
 * once; the lease pointer is invalid afterwards. */
void biogated_lease_release(BiogatedLease *lease);
