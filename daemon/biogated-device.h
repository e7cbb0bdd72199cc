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
 * at once with DeviceBusy.
 *
 * Sharing over time (biogated-sensortime.h): an unprivileged uid holds the
 * sensor at most budget seconds within a rolling window. Its request is
 * refused with DeviceBusy while it has less than a second left, or while
 * the sensor is too warm to keep a reserve for logins; its running
 * operation is asked to give the sensor back once its time is spent.
 *
 * Logins go first: they wait in a queue of their own, ahead of everything
 * else, with the same bounds, and the running operation of another
 * unprivileged uid is asked to give the sensor back to them (preempted),
 * at most once per BIOGATED_LOGIN_PREEMPT_INTERVAL_SECONDS per target uid.
 * Logins have no heat reserve and a budget of their own per target uid;
 * past it a login is an ordinary request of that uid. Root's own requests
 * have neither: the budget protects the other users from one user, not
 * from root. */

#define BIOGATED_QUEUE_MAX 8u
#define BIOGATED_QUEUE_MAX_PER_UID 2u
/* What a preempted operation tells its owner to wait before asking again:
 * by then the login has the sensor and the owner queues behind it. */
#define BIOGATED_PREEMPT_RETRY_AFTER_MS 1000u
/* Logins of one target uid take the sensor from another user's operation
 * at most once within this many seconds; later ones wait their turn (first
 * in line still). A user who can log in as themselves (sudo, a screen
 * locker's helper) cannot keep cancelling everyone else's operations. */
#define BIOGATED_LOGIN_PREEMPT_INTERVAL_SECONDS 30u
/* A holder that would not give the sensor back (a person half-way through
 * an enrolment, an approval waiting for its second person) keeps it at most
 * this much longer once its owner's time is spent or a login waits; then
 * it is ended all the same. This bounds how long a login waits for it. */
#define BIOGATED_HOLD_GRACE_SECONDS 10u

typedef struct BiogatedDevices BiogatedDevices;
typedef struct BiogatedLease BiogatedLease;

/* Called at most once per lease: with the opened device, or with an error
 * (the lease is then already released) and, for DeviceBusy because of the
 * budget or the heat, when to try again (else 0). user_data stays owned by
 * the lease and is destroyed when the lease goes away. */
typedef void (*BiogatedLeaseReady)(BiogatedLease *lease, FpDevice *device, const GError *error,
                                   guint64 retry_after_ms, gpointer user_data);
/* The holder is asked to give the sensor back (reason: DeviceBusy, and when
 * to ask again). TRUE: it ends and releases the lease soon (cancelling
 * what runs); FALSE: not now, e.g. a person is half-way through an
 * enrolment. Asked at most once per lease, and then, if it said no, once
 * more with force set BIOGATED_HOLD_GRACE_SECONDS later: it must end then.
 * Called from the main loop. */
typedef gboolean (*BiogatedLeasePreempt)(BiogatedLease *lease, const GError *reason, guint64 retry_after_ms,
                                         gboolean force, gpointer user_data);

typedef struct BiogatedLeaseRequest {
        uid_t uid;              /* whose share it counts against */
        gboolean exempt;        /* asked by root: no budget, no heat reserve, never preempted */
        gboolean login;         /* a login (the manager decides): goes first, may preempt, has a budget of
                                 * its own; past it, an ordinary request of uid */
} BiogatedLeaseRequest;

typedef struct BiogatedSensorLimits {
        guint budget_seconds;           /* sensor time per unprivileged uid... */
        guint window_seconds;           /* ...within every window this long */
        guint login_budget_seconds;     /* logins' sensor time per target uid... */
        guint login_window_seconds;     /* ...within every window this long */
} BiogatedSensorLimits;

/* Never fails: without a sensor (or the wanted one) the daemon still runs,
 * and picks one up when it is plugged in. */
BiogatedDevices *biogated_devices_new(const char *wanted, const BiogatedSensorLimits *limits);
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
 * DeviceBusy (over a queue bound, over the budget or too warm; the message
 * then ends with "retry after N ms"). Neither ready nor any preempt
 * callback is called from inside this function. preempt may be NULL
 * (never preempted). */
BiogatedLease *biogated_devices_request(BiogatedDevices *devices, const BiogatedLeaseRequest *request,
                                        BiogatedLeaseReady ready, BiogatedLeasePreempt preempt,
                                        gpointer user_data, GDestroyNotify destroy, GError **error);

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
