/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the tests of fprintd's API (test-fprint-api.c, test-fprint-hostile.c)
 * share on top of daemon-fixture.h: biogated serving net.reactivated.Fprint
 * on a private bus, calls to its objects, fprintd's tools, and a recorder of
 * the signals a connection receives. */
#include "daemon-fixture.h"

#define FPRINT_NAME "net.reactivated.Fprint"
#define FPRINT_MANAGER "/net/reactivated/Fprint/Manager"
#define FPRINT_DEVICE "/net/reactivated/Fprint/Device/0"
#define FPRINT_DEVICE_IFACE "net.reactivated.Fprint.Device"
#define FPRINT_MANAGER_IFACE "net.reactivated.Fprint.Manager"
#define FPRINT_ERROR_PREFIX "net.reactivated.Fprint.Error."
/* Where Debian's fprintd package publishes its interfaces. */
#define FPRINTD_INTERFACES "/usr/share/dbus-1/interfaces"
/* libfprint's name for the virtual_device sensor. */
#define VDEV_NAME "Virtual device for debugging"

/* Writes biogate.conf with [daemon] fprintd_api=@fprintd_api in the test's
 * directory; *ret_arg: the --config= argument naming it. */
void write_config(Fixture *f, const char *fprintd_api, char **ret_arg);
/* fixture_prepare() on a bus with biogate's and fprintd's name policies. */
void prepare(Fixture *f);
/* prepare() and biogated serving fprintd's API (fprintd_api=yes), once it
 * owns the name. */
/* The bus with biogate's and the Fprint name's policies, for @driver (NULL:
 * virtual_device); prepare() is prepare_driver(f, NULL). */
void prepare_driver(Fixture *f, const char *driver);
/* fprint_setup()'s data: the libfprint driver, NULL for virtual_device. */
void fprint_setup(Fixture *f, gconstpointer data);

GVariant *fprint_call(GDBusConnection *conn, const char *path, const char *iface, const char *method,
                      GVariant *params, const char *reply_type, GError **error);
GVariant *device_call(GDBusConnection *conn, const char *method, GVariant *params, const char *reply_type,
                      GError **error);
/* A property of the device as conn's client sees it (asserts the call). */
GVariant *device_property(GDBusConnection *conn, const char *name);
/* GLib 2.74 has no g_autoptr for it. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GDBusInterfaceInfo, g_dbus_interface_info_unref)

/* A reference to interface @name of node (g_error() if it has none). */
GDBusInterfaceInfo *interface_ref(GDBusNodeInfo *node, const char *name);
/* Each property read with its own Get is the virtual_device's, and no
 * finger is needed or present. */
void assert_virtual_device_properties(GDBusConnection *conn);
/* Interface @name as fprintd publishes it in FPRINTD_INTERFACES/@file. */
GDBusInterfaceInfo *published_interface(const char *file, const char *name);
/* The interface @name as biogated serves it at @path (Introspect). */
GDBusInterfaceInfo *served_interface(Fixture *f, const char *path, const char *name);

/* Runs an fprintd tool to its end; its output, with the exit status
 * asserted. */
char *run_tool(const char *const *argv, int expected_exit);

/* The signals a connection received from net.reactivated.Fprint, as
 * "Member args" strings. */
typedef struct Heard {
        GPtrArray *signals;
        gboolean done;          /* a VerifyStatus or EnrollStatus with done */
} Heard;

/* Records every signal of the device on conn into heard (initialised
 * here); the subscription id. */
guint fprint_listen(GDBusConnection *conn, Heard *heard);
gboolean heard_done(gpointer user_data);
gboolean heard_contains(Heard *heard, const char *prefix);
/* A round trip to biogated on conn: what biogated sent to conn before its
 * reply has been dispatched after this. */
void round_trip(GDBusConnection *conn);
