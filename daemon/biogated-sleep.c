/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-sleep.h"

#include <gio/gunixfdlist.h>
#include <unistd.h>

#include "biogated-operation.h"

#define LOGIN1_NAME "org.freedesktop.login1"
#define LOGIN1_PATH "/org/freedesktop/login1"
#define LOGIN1_MANAGER "org.freedesktop.login1.Manager"

struct BiogatedSleep {
        GDBusConnection *connection;
        BiogatedDevices *devices;
        BiogatedOperations *operations;
        guint watch_id;
        guint signal_id;            /* PrepareForSleep from the current logind */
        GCancellable *inhibiting;   /* the Inhibit call in flight, if any */
        int inhibit_fd;             /* the delay lock; -1 when none is held */
        gboolean sleeping;          /* between PrepareForSleep(true) and (false) */
};

static void release_inhibitor(BiogatedSleep *s) {
        if (s->inhibit_fd < 0)
                return;
        /* Closing the fd is what tells logind we are ready. */
        (void) close(s->inhibit_fd);
        s->inhibit_fd = -1;
}

static void cancel_inhibiting(BiogatedSleep *s) {
        if (!s->inhibiting)
                return;
        g_cancellable_cancel(s->inhibiting);
        g_clear_object(&s->inhibiting);
}

static void on_inhibited(GObject *source, GAsyncResult *res, gpointer user_data) {
        g_autoptr(GUnixFDList) fds = NULL;
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GError) error = NULL;
        BiogatedSleep *s;
        gint32 index;
        int fd;

        reply = g_dbus_connection_call_with_unix_fd_list_finish(G_DBUS_CONNECTION(source), &fds, res, &error);
        /* Cancelled: a newer call replaced this one, or s is gone. */
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                return;
        s = user_data;
        g_clear_object(&s->inhibiting);
        if (!reply) {
                g_warning("logind refused a sleep inhibitor; the sensor may stay open across suspend: %s",
                          error->message);
                return;
        }
        g_variant_get(reply, "(h)", &index);
        fd = fds ? g_unix_fd_list_get(fds, index, &error) : -1;
        if (fd < 0) {
                g_warning("logind sent no inhibitor fd%s%s", error ? ": " : "", error ? error->message : "");
                return;
        }
        if (s->sleeping) {
                /* Too late to delay this sleep; a new one is taken at resume. */
                (void) close(fd);
                return;
        }
        release_inhibitor(s);
        s->inhibit_fd = fd;
        g_debug("Holding a sleep delay inhibitor");
}

static void take_inhibitor(BiogatedSleep *s) {
        cancel_inhibiting(s);
        s->inhibiting = g_cancellable_new();
        g_dbus_connection_call_with_unix_fd_list(s->connection, LOGIN1_NAME, LOGIN1_PATH, LOGIN1_MANAGER, "Inhibit",
                                                 g_variant_new("(ssss)", "sleep", "biogated",
                                                               "Closing the fingerprint sensor", "delay"),
                                                 G_VARIANT_TYPE("(h)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL,
                                                 s->inhibiting, on_inhibited, s);
}

static void on_sensor_released(gpointer user_data) {
        BiogatedSleep *s = user_data;

        if (!s->sleeping)
                return;
        g_message("Sensor closed; ready for sleep");
        release_inhibitor(s);
}

static void wake_up(BiogatedSleep *s) {
        s->sleeping = FALSE;
        biogated_devices_resume(s->devices);
}

static void on_prepare_for_sleep(GDBusConnection *connection, const char *sender, const char *path,
                                 const char *interface, const char *signal, GVariant *parameters,
                                 gpointer user_data) {
        BiogatedSleep *s = user_data;
        gboolean start;

        if (!g_variant_is_of_type(parameters, G_VARIANT_TYPE("(b)")))
                return;
        g_variant_get(parameters, "(b)", &start);
        if (start && !s->sleeping) {
                g_message("The system is going to sleep: cancelling operations and closing the sensor");
                s->sleeping = TRUE;
                cancel_inhibiting(s);
                biogated_operations_cancel_all(s->operations);
                biogated_devices_suspend(s->devices, on_sensor_released, s);
        } else if (!start && s->sleeping) {
                g_message("The system resumed: the sensor may be used again");
                wake_up(s);
                take_inhibitor(s);
        }
}

static void on_login1_appeared(GDBusConnection *connection, const char *name, const char *owner,
                               gpointer user_data) {
        BiogatedSleep *s = user_data;

        /* By unique name: a signal from anyone but logind's connection is
         * not delivered to us, whatever it says it is. */
        if (s->signal_id)
                g_dbus_connection_signal_unsubscribe(connection, s->signal_id);
        s->signal_id = g_dbus_connection_signal_subscribe(connection, owner, LOGIN1_MANAGER, "PrepareForSleep",
                                                          LOGIN1_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                          on_prepare_for_sleep, s, NULL);
        if (!s->sleeping)
                take_inhibitor(s);
}

static void on_login1_vanished(GDBusConnection *connection, const char *name, gpointer user_data) {
        BiogatedSleep *s = user_data;

        if (s->signal_id) {
                g_dbus_connection_signal_unsubscribe(connection, s->signal_id);
                s->signal_id = 0;
        }
        cancel_inhibiting(s);
        release_inhibitor(s);
        /* Nobody is left to announce the resume. */
        if (s->sleeping)
                wake_up(s);
}

BiogatedSleep *biogated_sleep_new(GDBusConnection *connection, BiogatedDevices *devices,
                                  BiogatedOperations *operations) {
        BiogatedSleep *s = g_new0(BiogatedSleep, 1);

        s->connection = g_object_ref(connection);
        s->devices = devices;
        s->operations = operations;
        s->inhibit_fd = -1;
        /* No auto-start: logind is started by systemd, never by us. */
        s->watch_id = g_bus_watch_name_on_connection(connection, LOGIN1_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                     on_login1_appeared, on_login1_vanished, s, NULL);
        return s;
}

void biogated_sleep_free(BiogatedSleep *s) {
        if (!s)
                return;
        g_bus_unwatch_name(s->watch_id);
        if (s->signal_id)
                g_dbus_connection_signal_unsubscribe(s->connection, s->signal_id);
        cancel_inhibiting(s);
        release_inhibitor(s);
        if (s->sleeping)
                wake_up(s);
        g_object_unref(s->connection);
        g_free(s);
}
