/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "store-fixture.h"

#include <stdlib.h>

void store_fixture_setup(StoreFixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;

        /* The master key comes from the store's own file, not a credential
         * the environment might name. */
        g_unsetenv("CREDENTIALS_DIRECTORY");
        f->dir = g_dir_make_tmp("biogate-store-XXXXXX", &error);
        g_assert_no_error(error);
        f->store = biogated_store_open(f->dir, NULL, &error);
        g_assert_no_error(error);
}

void store_fixture_teardown(StoreFixture *f, gconstpointer data) {
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);

        biogated_store_free(f->store);
        g_assert_cmpint(system(cmd), ==, 0);
        g_free(f->dir);
}
