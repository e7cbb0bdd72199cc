/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fprint.h>
#include <gio/gio.h>
#include <security/_pam_types.h>

#include "biogate-errors.h"
#include "biogate-finger.h"
#include "biogated-error.h"

/* Every row: a name under our prefix, unique, a real errno, a PAM code that
 * is never PAM_SUCCESS, and the GError → D-Bus name mapping the daemon uses. */
static void test_error_table_rows(void) {
        g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);

        for (int i = 0; i < _BIOGATE_ERROR_MAX; i++) {
                const BiogateErrorInfo *info = biogate_error_info((BiogateError) i);
                g_autoptr(GError) error = NULL;
                g_autofree char *remote = NULL;

                g_assert_nonnull(info);
                g_assert_cmpint(info->code, ==, i);
                g_assert_true(g_str_has_prefix(info->dbus_name, "org.biogate1.Error."));
                g_assert_true(g_dbus_is_interface_name(info->dbus_name));
                g_assert_false(g_hash_table_contains(names, info->dbus_name));
                g_hash_table_add(names, (gpointer) info->dbus_name);
                g_assert_cmpint(info->errno_value, >, 0);
                g_assert_cmpint(info->pam_code, !=, PAM_SUCCESS);
                g_assert_nonnull(info->summary);
                g_assert_true(biogate_error_info_from_name(info->dbus_name) == info);

                error = g_error_new_literal(BIOGATE_DBUS_ERROR, i, "x");
                remote = g_dbus_error_encode_gerror(error);
                g_assert_cmpstr(remote, ==, info->dbus_name);
        }
        g_assert_null(biogate_error_info(_BIOGATE_ERROR_MAX));
        g_assert_null(biogate_error_info((BiogateError) -1));
        g_assert_null(biogate_error_info_from_name("org.biogate1.Error.Nope"));
        g_assert_null(biogate_error_info_from_name(NULL));
}

/* The PAM codes a sufficient/required stack depends on. */
static void test_error_pam_codes(void) {
        g_assert_cmpint(biogate_error_info(BIOGATE_ERROR_NO_SUCH_DEVICE)->pam_code, ==, PAM_AUTHINFO_UNAVAIL);
        g_assert_cmpint(biogate_error_info(BIOGATE_ERROR_NO_ENROLLED_PRINTS)->pam_code, ==, PAM_AUTHINFO_UNAVAIL);
        g_assert_cmpint(biogate_error_info(BIOGATE_ERROR_TIMED_OUT)->pam_code, ==, PAM_AUTHINFO_UNAVAIL);
        g_assert_cmpint(biogate_error_info(BIOGATE_ERROR_LOCKED_OUT)->pam_code, ==, PAM_MAXTRIES);
        g_assert_cmpint(biogate_error_info(BIOGATE_ERROR_PERMISSION_DENIED)->pam_code, ==, PAM_PERM_DENIED);
        g_assert_cmpint(biogate_error_info(BIOGATE_ERROR_INTERNAL)->pam_code, ==, PAM_SERVICE_ERR);
}

static void test_error_from_foreign(void) {
        struct {
                GQuark domain;
                int code;
                BiogateError expected;
        } rows[] = {
                { FP_DEVICE_ERROR, FP_DEVICE_ERROR_BUSY, BIOGATE_ERROR_DEVICE_BUSY },
                { FP_DEVICE_ERROR, FP_DEVICE_ERROR_REMOVED, BIOGATE_ERROR_NO_SUCH_DEVICE },
                { FP_DEVICE_ERROR, FP_DEVICE_ERROR_DATA_DUPLICATE, BIOGATE_ERROR_DUPLICATE_PRINT },
                { FP_DEVICE_ERROR, FP_DEVICE_ERROR_GENERAL, BIOGATE_ERROR_DEVICE_ERROR },
                { FP_DEVICE_ERROR, FP_DEVICE_ERROR_PROTO, BIOGATE_ERROR_DEVICE_ERROR },
                { G_IO_ERROR, G_IO_ERROR_CANCELLED, BIOGATE_ERROR_CANCELLED },
                { G_IO_ERROR, G_IO_ERROR_TIMED_OUT, BIOGATE_ERROR_TIMED_OUT },
                { G_IO_ERROR, G_IO_ERROR_FAILED, BIOGATE_ERROR_DEVICE_ERROR },
                { G_FILE_ERROR, G_FILE_ERROR_NOENT, BIOGATE_ERROR_INTERNAL },
        };

        for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
                g_autoptr(GError) in = g_error_new_literal(rows[i].domain, rows[i].code, "message kept");
                g_autoptr(GError) out = biogated_error_from_gerror(in);
                g_assert_error(out, BIOGATE_DBUS_ERROR, (gint) rows[i].expected);
                g_assert_cmpstr(out->message, ==, "message kept");
        }
}

static void test_finger_names(void) {
        int n = 0;

        for (int f = BIOGATE_FINGER_FIRST; f < _BIOGATE_FINGER_MAX; f++, n++) {
                const char *name = biogate_finger_to_name((BiogateFinger) f);
                g_assert_nonnull(name);
                g_assert_cmpint(biogate_finger_from_name(name), ==, f);
                g_assert_nonnull(biogate_finger_to_text((BiogateFinger) f));
                /* Same numbering as libfprint, which the daemon relies on. */
                g_assert_cmpint(f, >=, FP_FINGER_FIRST);
                g_assert_cmpint(f, <=, FP_FINGER_LAST);
        }
        g_assert_cmpint(n, ==, 10);
        g_assert_cmpint(BIOGATE_FINGER_RIGHT_INDEX, ==, FP_FINGER_RIGHT_INDEX);
        g_assert_cmpint(BIOGATE_FINGER_LEFT_THUMB, ==, FP_FINGER_LEFT_THUMB);
        g_assert_cmpint(biogate_finger_from_name("right-index"), ==, BIOGATE_FINGER_INVALID);
        g_assert_cmpint(biogate_finger_from_name("Right-Index-Finger"), ==, BIOGATE_FINGER_INVALID);
        g_assert_cmpint(biogate_finger_from_name("right-index-finger "), ==, BIOGATE_FINGER_INVALID);
        g_assert_cmpint(biogate_finger_from_name(""), ==, BIOGATE_FINGER_INVALID);
        g_assert_cmpint(biogate_finger_from_name(NULL), ==, BIOGATE_FINGER_INVALID);
        g_assert_null(biogate_finger_to_name(BIOGATE_FINGER_INVALID));
        g_assert_null(biogate_finger_to_name(_BIOGATE_FINGER_MAX));
}

/* The one list of "nobody answered for the daemon" that the PAM module and
 * biogatectl share; the daemon's own errors and a refusal are not in it. */
static void test_bus_error_unreachable(void) {
        const char *unreachable[] = {
                "org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner",
                "org.freedesktop.DBus.Error.NoServer",       "org.freedesktop.DBus.Error.NoNetwork",
                "org.freedesktop.DBus.Error.Disconnected",   "org.freedesktop.DBus.Error.NoReply",
                "org.freedesktop.DBus.Error.Timeout",        "org.freedesktop.DBus.Error.TimedOut",
                "org.freedesktop.DBus.Error.Spawn.ChildExited", "org.freedesktop.systemd1.UnitMasked",
        };
        const char *answered[] = {
                "org.freedesktop.DBus.Error.AccessDenied", "org.freedesktop.DBus.Error.UnknownMethod",
                "org.freedesktop.DBus.Error.Spawn", "org.freedesktop.DBus.Error.NoReplyX",
                "org.biogate1.Error.DeviceBusy", "org.freedesktop.systemd1", "",
        };

        for (gsize i = 0; i < G_N_ELEMENTS(unreachable); i++)
                g_assert_true(biogate_bus_error_is_unreachable(unreachable[i]));
        for (gsize i = 0; i < G_N_ELEMENTS(answered); i++)
                g_assert_false(biogate_bus_error_is_unreachable(answered[i]));
        g_assert_false(biogate_bus_error_is_unreachable(NULL));
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/errors/table-rows", test_error_table_rows);
        g_test_add_func("/errors/pam-codes", test_error_pam_codes);
        g_test_add_func("/errors/from-foreign-errors", test_error_from_foreign);
        g_test_add_func("/errors/bus-error-unreachable", test_bus_error_unreachable);
        g_test_add_func("/fingers/names", test_finger_names);
        return g_test_run();
}
