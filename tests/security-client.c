/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A D-Bus client for the security tests, run as an unprivileged user:
 *   security-client CALLS
 * CALLS holds one call per line, "PATH<TAB>INTERFACE<TAB>METHOD<TAB>ARGS"
 * with ARGS a typed GVariant text of the parameter tuple. Each call goes to
 * org.biogate1 on the system bus (DBUS_SYSTEM_BUS_ADDRESS) in order, on one
 * connection, and prints one line: "ok<TAB>REPLY" (the reply as GVariant
 * text) or "error<TAB>NAME<TAB>MESSAGE". Exits 0 once every call has its
 * line; the test decides what the answers must be. */
#include <gio/gio.h>
#include <stdio.h>

#include "biogate-bus.h"

int main(int argc, char *argv[]) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusConnection) conn = NULL;
        g_autofree char *text = NULL;
        g_auto(GStrv) lines = NULL;

        if (argc != 2) {
                g_printerr("usage: security-client CALLS\n");
                return 2;
        }
        if (!g_file_get_contents(argv[1], &text, NULL, &error)) {
                g_printerr("%s\n", error->message);
                return 1;
        }
        conn = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
        if (!conn) {
                g_printerr("connecting: %s\n", error->message);
                return 1;
        }
        lines = g_strsplit(text, "\n", -1);
        for (char **l = lines; *l; l++) {
                g_auto(GStrv) f = NULL;
                g_autoptr(GVariant) args = NULL, reply = NULL;
                g_autoptr(GError) call_error = NULL;

                if (!**l)
                        continue;
                f = g_strsplit(*l, "\t", 4);
                if (g_strv_length(f) != 4) {
                        g_printerr("bad line: %s\n", *l);
                        return 2;
                }
                args = g_variant_parse(NULL, f[3], NULL, NULL, &call_error);
                if (!args) {
                        g_printerr("bad arguments %s: %s\n", f[3], call_error->message);
                        return 2;
                }
                reply = g_dbus_connection_call_sync(conn, BIOGATE_BUS_NAME, f[0], f[1], f[2], g_steal_pointer(&args),
                                                    NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, 20000, NULL, &call_error);
                if (reply) {
                        g_autofree char *printed = g_variant_print(reply, TRUE);
                        g_autofree char *escaped = g_strescape(printed, NULL);
                        printf("ok\t%s\n", escaped);
                } else {
                        g_autofree char *name = g_dbus_error_get_remote_error(call_error);
                        g_autofree char *escaped = NULL;

                        g_dbus_error_strip_remote_error(call_error);
                        escaped = g_strescape(call_error->message, NULL);
                        printf("error\t%s\t%s\n", name ? name : "(local)", escaped);
                }
                fflush(stdout);
        }
        return 0;
}
