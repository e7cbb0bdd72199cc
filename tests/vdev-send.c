/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Touches libfprint's virtual_device sensor for the demo and for manual
 * testing:
 *   vdev-send --wait-file PATH           wait until PATH exists
 *   vdev-send [--wait] SOCKET CMD...     (wait for the socket, then) send
 *                                        each command on its own connection
 * Commands are virtual_device's: "SCAN <id>", "ERROR <n>", "UNPLUG", ... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "biogate-test-fixture.h"

int main(int argc, char *argv[]) {
        g_autoptr(GError) error = NULL;
        gboolean wait = FALSE;
        int i = 1;

        if (argc == 3 && strcmp(argv[1], "--wait-file") == 0) {
                if (!btf_vdev_wait_socket(argv[2], BTF_TIMEOUT_DEFAULT, &error)) {
                        fprintf(stderr, "vdev-send: %s\n", error->message);
                        return EXIT_FAILURE;
                }
                return EXIT_SUCCESS;
        }
        if (argc > 1 && strcmp(argv[1], "--wait") == 0) {
                wait = TRUE;
                i++;
        }
        if (argc - i < 2) {
                fprintf(stderr, "usage: vdev-send [--wait] SOCKET COMMAND...\n"
                                "       vdev-send --wait-file PATH\n");
                return 2;
        }
        if (wait && !btf_vdev_wait_socket(argv[i], BTF_TIMEOUT_DEFAULT, &error)) {
                fprintf(stderr, "vdev-send: %s\n", error->message);
                return EXIT_FAILURE;
        }
        for (int c = i + 1; c < argc; c++)
                if (!btf_vdev_send(argv[i], argv[c], &error)) {
                        fprintf(stderr, "vdev-send: %s: %s\n", argv[c], error->message);
                        return EXIT_FAILURE;
                }
        return EXIT_SUCCESS;
}
