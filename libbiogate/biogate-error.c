/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogate-private.h"

#include "biogate-errors.h"

/**
 * biogate_error_quark:
 *
 * The quark of %BIOGATE_ERROR. Calling it registers every
 * org.biogate1.Error.* name (from biogate's one error table) with GDBus, so
 * that a reply carrying such a name becomes a #GError in this domain.
 *
 * Returns: the error domain
 */
GQuark biogate_error_quark(void) {
        static gsize quark = 0;
        static GDBusErrorEntry entries[_BIOGATE_ERROR_MAX];
        static gsize filled = 0;

        /* The entries come from the same table the daemon and the PAM module
         * use: no second list of names to drift apart. */
        if (g_once_init_enter(&filled)) {
                for (int i = 0; i < _BIOGATE_ERROR_MAX; i++) {
                        const BiogateErrorInfo *info = biogate_error_info((BiogateError) i);

                        entries[i] = (GDBusErrorEntry) { .error_code = info->code, .dbus_error_name = info->dbus_name };
                }
                g_once_init_leave(&filled, 1);
        }
        g_dbus_error_register_error_domain("biogate-error-quark", &quark, entries, G_N_ELEMENTS(entries));
        return (GQuark) quark;
}

GError *biogate_error_from_details(GVariant *details) {
        const char *name = NULL, *message = NULL;

        (void) biogate_error_quark();
        if (details && g_variant_is_of_type(details, G_VARIANT_TYPE_VARDICT)) {
                (void) g_variant_lookup(details, "error", "&s", &name);
                (void) g_variant_lookup(details, "message", "&s", &message);
        }
        /* A "failed" result without a name is still a failure, never a
         * success: the daemon's internal error stands in. */
        if (!name || !g_dbus_is_error_name(name))
                name = biogate_error_info(BIOGATE_ERROR_INTERNAL)->dbus_name;
        if (!message || !*message) {
                const BiogateErrorInfo *info = biogate_error_info_from_name(name);

                message = info ? info->summary : "The operation failed";
        }
        return g_dbus_error_new_for_dbus_error(name, message);
}

void biogate_error_tidy(GError *error) {
        if (error)
                (void) g_dbus_error_strip_remote_error(error);
}
