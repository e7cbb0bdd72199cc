/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "biogate-errors.h"

/* GError domain whose codes are BiogateError; registered with GDBus so that a
 * GError returned from a handler reaches the client under its
 * org.biogate1.Error.* name. */
#define BIOGATE_DBUS_ERROR (biogated_error_quark())
GQuark biogated_error_quark(void);

/* Maps libfprint, GIO and our own errors onto the table; never returns a
 * GError outside BIOGATE_DBUS_ERROR. The message is kept. */
GError *biogated_error_from_gerror(const GError *error);

/* Convenience: the table summary as message. */
GError *biogated_error_new(BiogateError code, const char *format, ...) G_GNUC_PRINTF(2, 3);
