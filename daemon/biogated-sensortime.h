/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <sys/types.h>

/* Who had the sensor for how long, and how warm that made it. Pure
 * bookkeeping with the clock passed in (monotonic microseconds), so the
 * unit tests can drive it; biogated-device.c decides what to do with it.
 *
 * The budget: a uid may hold the sensor for budget_us within any window_us
 * (a rolling window, not a fixed minute). With the defaults, 40 s in 120 s,
 * one uid's duty cycle is at most 1/3, and one 30 s prompt fits.
 *
 * The heat: libfprint 1.94 models a sensor's temperature as a ratio r that
 * rises towards 1 while an action runs (time constant 180 s) and falls
 * towards 0 while idle (540 s); at r >= 1 - 1/(e+1) = 0.731 the device is
 * HOT and refuses all work until r is back under 0.5 (fpi-device.c,
 * fp-device-private.h). At a duty cycle d the ratio settles at
 * 3d / (1 + 2d): HOT needs d >= 0.475. One uid at its budget peaks at
 * 0.644 (40 s on, 80 s off; 45 s in 120 s would peak at 0.687), so one
 * caller alone never reaches the reserve. Several uids together could, so
 * the daemon keeps its own copy of the model, fed with the time leases are
 * held (never less than libfprint's active time), lends the sensor to
 * unprivileged callers only while r is below
 * BIOGATED_SENSORTIME_RESERVE_RATIO, and ends their holds when r reaches
 * it: after 10 s more of a hold that would not stop (0.678) a login still
 * has 30 s before HOT (0.728 < 0.731); from the reserve itself, 42 s. */

#define BIOGATED_SENSORTIME_DEFAULT_BUDGET_SECONDS 40u
#define BIOGATED_SENSORTIME_DEFAULT_WINDOW_SECONDS 120u
/* Logins per target uid: past this, a login is an ordinary request of
 * that uid (budget, heat reserve, no priority). */
#define BIOGATED_SENSORTIME_DEFAULT_LOGIN_BUDGET_SECONDS 30u
#define BIOGATED_SENSORTIME_DEFAULT_LOGIN_WINDOW_SECONDS 120u
#define BIOGATED_SENSORTIME_MAX_WINDOW_SECONDS 3600u

/* libfprint's defaults (DEFAULT_TEMP_HOT_SECONDS, DEFAULT_TEMP_COLD_SECONDS,
 * TEMP_COLD_THRESH) and our margin below TEMP_WARM_HOT_THRESH. */
#define BIOGATED_SENSORTIME_HOT_SECONDS 180.0
#define BIOGATED_SENSORTIME_COLD_SECONDS 540.0
#define BIOGATED_SENSORTIME_START_RATIO 0.26894142136999512075
#define BIOGATED_SENSORTIME_HOT_RATIO (1.0 - BIOGATED_SENSORTIME_START_RATIO)
#define BIOGATED_SENSORTIME_RESERVE_RATIO 0.66

/* Too little time left to be worth a request: it could not even wait for a
 * touch. A request with less than this left is refused. */
#define BIOGATED_SENSORTIME_MIN_GRANT_US (G_USEC_PER_SEC)

typedef struct BiogatedSensorTime BiogatedSensorTime;

BiogatedSensorTime *biogated_sensortime_new(gint64 budget_us, gint64 window_us, gint64 now);
void biogated_sensortime_free(BiogatedSensorTime *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BiogatedSensorTime, biogated_sensortime_free)

gint64 biogated_sensortime_get_budget(BiogatedSensorTime *st);
gint64 biogated_sensortime_get_window(BiogatedSensorTime *st);

/* uid holds the sensor from now on / no longer. One holder at a time. */
void biogated_sensortime_begin(BiogatedSensorTime *st, uid_t uid, gint64 now);
void biogated_sensortime_end(BiogatedSensorTime *st, gint64 now);

/* Time uid held the sensor within the window ending now (the current hold
 * included). */
gint64 biogated_sensortime_used(BiogatedSensorTime *st, uid_t uid, gint64 now);
/* How long uid may hold the sensor from now: budget minus used, at least 0. */
gint64 biogated_sensortime_left(BiogatedSensorTime *st, uid_t uid, gint64 now);
/* TRUE if uid may have the sensor now (at least the minimum grant left).
 * Otherwise ret_retry_after_us says when it will, if nobody uses it
 * meanwhile: when enough of its use has left the window. */
gboolean biogated_sensortime_may_start(BiogatedSensorTime *st, uid_t uid, gint64 now, gint64 *ret_retry_after_us);

/* The modelled temperature ratio now (see above). */
double biogated_sensortime_heat(BiogatedSensorTime *st, gint64 now);
/* TRUE while the heat is below the reserve kept for logins. Otherwise
 * ret_retry_after_us says when it will be, if the sensor rests meanwhile. */
gboolean biogated_sensortime_is_cool(BiogatedSensorTime *st, gint64 now, gint64 *ret_retry_after_us);
/* While a hold runs: how long it may go on from now before the heat
 * reaches the reserve (0 if it has). Unprivileged holds end there, so
 * that what follows (a grace, a login) starts at most from the reserve. */
gint64 biogated_sensortime_until_warm(BiogatedSensorTime *st, gint64 now);
