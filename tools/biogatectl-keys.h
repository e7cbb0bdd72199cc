/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "biogatectl-bus.h"

/* The daemon's JWK set (StepUp.GetPublicKeys), for keys export and for
 * token verify without --jwks. */
char *ctl_keys_fetch(Ctl *ctl, GError **error);
