/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the tests of fprintd's API (net.reactivated.Fprint on biogated)
 * share: the names, biogated serving the API on a private bus, calls to its
 * objects, fprintd's published interface, and a recorder of the signals a
 * client receives. */
#include "daemon-fixture.h"

#define FPRINT_NAME "net.reactivated.Fprint"
#define FPRINT_MANAGER "/net/reactivated/Fprint/Manager"
#define FPRINT_DEVICE "/net/reactivated/Fprint/Device/0"
#define FPRINT_DEVICE_IFACE "net.reactivated.Fprint.Device"
#define FPRINT_MANAGER_IFACE "net.reactivated.Fprint.Manager"
/* Where Debian's fprintd package publishes its interfaces. */
#define FPRINTD_INTERFACES "/usr/share/dbus-1/interfaces"
/* libfprint's name for the virtual_device sensor. */
#define VDEV_NAME "Virtual device for debugging"

/* GLib 2.74 has no g_autoptr for it. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GDBusInterfaceInfo, g_dbus_interface_info_unref)

/* A biogate.conf with [daemon] fprintd_api=@fprintd_api; *ret_arg is the
 * --config= argument naming it. */
void write_config(Fixture *f, const char *fprintd_api, char **ret_arg);
/* The bus with biogate's and the Fprint name's policies, for @driver (NULL:
 * virtual_device); prepare() is prepare_driver(f, NULL). */
void prepare_driver(Fixture *f, const char *driver);
void prepare(Fixture *f);
/* biogated serving fprintd's API (fprintd_api=yes), once it owns the name;
 * data: the libfprint driver, NULL for virtual_device. */
void fprint_setup(Fixture *f, gconstpointer data);

GVariant *fprint_call(GDBusConnection *conn, const char *path, const char *iface, const char *method,
                      GVariant *params, const char *reply_type, GError **error);
GVariant *device_call(GDBusConnection *conn, const char *method, GVariant *params, const char *reply_type,
                      GError **error);
/* The device property @name read with Properties.Get (asserts success). */
GVariant *device_property(GDBusConnection *conn, const char *name);
/* Each property read with its own Get is the virtual_device's, and no
 * finger is needed or present. */
void assert_virtual_device_properties(GDBusConnection *conn);

/* @name of @node, a reference; g_error() without it. */
GDBusInterfaceInfo *interface_ref(GDBusNodeInfo *node, const char *name);
/* Interface @name as fprintd publishes it in FPRINTD_INTERFACES/@file. */
GDBusInterfaceInfo *published_interface(const char *file, const char *name);

typedef struct Heard {
        GPtrArray *signals;     /* "Member arg" strings */
        gboolean done;          /* a VerifyStatus or EnrollStatus with done */
} Heard;

/* Records every signal of the device that conn receives, in heard. */
guint listen(GDBusConnection *conn, Heard *heard);
gboolean heard_done(gpointer user_data);
gboolean heard_contains(Heard *heard, const char *prefix);
/* A round trip to biogated on conn: what biogated sent to conn before its
 * reply has been dispatched after this. */
void round_trip(GDBusConnection *conn);
