/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "biogated-daemon.h"

/* fprintd's D-Bus API, net.reactivated.Fprint (net.reactivated.Fprint.xml,
 * docs/desktop.md), on the daemon's connection: a Manager and one Device
 * for the sensor biogated uses. A client claims the device for a user;
 * its verifications and enrolments are biogate operations
 * (biogated-start.c) followed from here, whose progress and result become
 * fprintd's signals, sent to that client alone. */

#define BIOGATED_FPRINT_BUS_NAME "net.reactivated.Fprint"
#define BIOGATED_FPRINT_MANAGER_PATH "/net/reactivated/Fprint/Manager"
#define BIOGATED_FPRINT_DEVICE_PATH "/net/reactivated/Fprint/Device/0"
/* Claims one uid other than root may hold at once (one per client). A
 * desktop needs two or three (Settings, the lock screen's helper); the
 * bound keeps a user opening connections from holding hundreds, each a
 * name watch on the daemon's connection and a reason not to exit. Root's
 * are PAM hosts' (pam_fprintd in gdm, sudo, login) and not bounded. */
#define BIOGATED_FPRINT_CLAIMS_MAX_PER_UID 8u

/* Exports the objects and asks for the name, without queueing and without
 * replacing anyone: where fprintd (or anyone) holds it, biogated logs that
 * once, takes the objects down and serves org.biogate1 alone. Call with
 * the calls context as thread-default. */
BiogatedFprint *biogated_fprint_start(BiogatedDaemon *daemon, GError **error);
/* Ends every claim (their operations are cancelled) and gives the name back. */
void biogated_fprint_stop(BiogatedFprint *fprint);
/* Clients holding a claim; 0 for NULL. */
guint biogated_fprint_claims(BiogatedFprint *fprint);
