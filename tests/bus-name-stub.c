/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Owns a bus name and answers every method call sent to it with an empty
 * reply, so that a test of a bus policy can tell "the bus let the call
 * through" (a reply) from "the bus refused it" (AccessDenied from the bus):
 *   bus-name-stub ADDRESS NAME
 * Prints "owned" once it is the primary owner and runs until stdin closes.
 * Exits 3 when the bus refuses it the name (the message on stderr). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <gio/gio.h>

/* GDBus would answer a call to an object nobody registered with an error
 * of its own; the filter answers first and drops the call. */
static GDBusMessage *reply_to_calls(GDBusConnection *connection, GDBusMessage *message, gboolean incoming,
                                    gpointer user_data) {
        g_autoptr(GDBusMessage) reply = NULL;

        if (!incoming || g_dbus_message_get_message_type(message) != G_DBUS_MESSAGE_TYPE_METHOD_CALL)
                return message;
        reply = g_dbus_message_new_method_reply(message);
        g_dbus_connection_send_message(connection, reply, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, NULL);
        g_object_unref(message);
        return NULL;
}

int main(int argc, char *argv[]) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusConnection) connection = NULL;
        g_autoptr(GVariant) result = NULL;
        guint32 code;
        char c;

        if (argc != 3) {
                fprintf(stderr, "usage: bus-name-stub ADDRESS NAME\n");
                return 2;
        }
        connection = g_dbus_connection_new_for_address_sync(
                argv[1], G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                NULL, NULL, &error);
        if (!connection) {
                fprintf(stderr, "bus-name-stub: %s\n", error->message);
                return 1;
        }
        g_dbus_connection_add_filter(connection, reply_to_calls, NULL, NULL);
        /* 4 = DBUS_NAME_FLAG_DO_NOT_QUEUE: owner now or not at all. */
        result = g_dbus_connection_call_sync(connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                             "org.freedesktop.DBus", "RequestName",
                                             g_variant_new("(su)", argv[2], 4u), G_VARIANT_TYPE("(u)"),
                                             G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
        if (!result) {
                fprintf(stderr, "bus-name-stub: %s\n", error->message);
                return 3;
        }
        g_variant_get(result, "(u)", &code);
        if (code != 1) {
                fprintf(stderr, "bus-name-stub: RequestName answered %u, not primary owner\n", code);
                return 3;
        }
        printf("owned\n");
        fflush(stdout);
        /* The filter runs in GDBus's worker thread; this one only waits. */
        while (read(STDIN_FILENO, &c, 1) > 0)
                ;
        return 0;
}
