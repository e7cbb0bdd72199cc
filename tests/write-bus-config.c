/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Prints the private system-bus configuration the tests use, for the demo:
 *   write-bus-config DIR POLICY-FILE... > DIR/bus.conf
 * (socket DIR/system_bus_socket, services from DIR/services). bench/run
 * passes several: biogate's, fprintd's and polkit's bus policies. */
#include <stdio.h>
#include <stdlib.h>

#include "biogate-test-fixture.h"

int main(int argc, char *argv[]) {
        g_autofree char *config = NULL;

        if (argc < 3) {
                fprintf(stderr, "usage: write-bus-config DIR POLICY-FILE...\n");
                return 2;
        }
        /* argv[argc] is NULL: the list ends there. */
        config = btf_bus_config_new(argv[1], (const char *const *) &argv[2], NULL);
        fputs(config, stdout);
        return EXIT_SUCCESS;
}
