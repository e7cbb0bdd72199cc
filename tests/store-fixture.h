/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A template store opened on a fresh temporary directory, for the unit
 * tests of the store and of what works on it (retention). */
#include <glib.h>

#include "biogated-store.h"

typedef struct {
        char *dir;
        BiogatedStore *store;
} StoreFixture;

void store_fixture_setup(StoreFixture *f, gconstpointer data);
void store_fixture_teardown(StoreFixture *f, gconstpointer data);
