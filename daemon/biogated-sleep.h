/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "biogated-device.h"
#include "biogated-operation.h"

/* Suspend and resume through logind. While org.freedesktop.login1 is on the
 * bus, biogated holds a "sleep" delay inhibitor. On PrepareForSleep(true) it
 * cancels every operation, closes the sensor and only then lets go of the
 * inhibitor, so the system never sleeps with the sensor open in the middle
 * of a scan (many sensors come back unusable from that). On
 * PrepareForSleep(false) it takes a new inhibitor and lets the sensor be
 * opened again; requests made in between wait in the queue.
 *
 * Without logind (containers, CI) nothing of this happens; a logind that
 * appears later, or restarts, is picked up. Signals are accepted only from
 * the current owner of org.freedesktop.login1. */

typedef struct BiogatedSleep BiogatedSleep;

BiogatedSleep *biogated_sleep_new(GDBusConnection *connection, BiogatedDevices *devices,
                                  BiogatedOperations *operations);
void biogated_sleep_free(BiogatedSleep *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BiogatedSleep, biogated_sleep_free)
