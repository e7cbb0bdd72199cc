/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* libbiogate: the client library of biogated (org.biogate1). Include only
 * this header; compile with `pkg-config --cflags --libs biogate-1`. */
#define BIOGATE_INSIDE
#include "biogate-error.h"
#include "biogate-ledger.h"
#include "biogate-operation.h"
#include "biogate-client.h"
#undef BIOGATE_INSIDE
