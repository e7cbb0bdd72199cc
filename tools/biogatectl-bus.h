/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>

#include "biogate.h"

/* What every command gets: the options that apply to all of them and the
 * libbiogate client, made only once a command's arguments are known good. */
typedef struct Ctl {
        bool json;
        BiogateClient *client;
} Ctl;

/* Makes the client on the system bus (DBUS_SYSTEM_BUS_ADDRESS is honoured). */
bool ctl_connect(Ctl *ctl, GError **error);

/* The name to show for @user: itself, or the caller's login name for "". */
const char *ctl_user_display_name(const char *user);

/* "right index finger" for a known finger name, else the name itself (which
 * may come from the daemon: sanitize it before printing). */
const char *ctl_finger_display_name(const char *finger);
