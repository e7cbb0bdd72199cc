/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(BIOGATE_INSIDE) && !defined(BIOGATE_COMPILATION)
#error "Only <biogate.h> can be included directly."
#endif

#include <glib.h>

#include "biogate-error-codes.h"

G_BEGIN_DECLS

/**
 * BIOGATE_ERROR:
 *
 * The error domain of biogated's errors; the codes are #BiogateError. A
 * D-Bus error org.biogate1.Error.LockedOut arrives as
 * %BIOGATE_ERROR_LOCKED_OUT in this domain.
 */
#define BIOGATE_ERROR (biogate_error_quark())

GQuark biogate_error_quark(void);

G_END_DECLS
