/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-error.h"

#include <fprint.h>

GQuark biogated_error_quark(void) {
        static gsize quark = 0;
        static GDBusErrorEntry entries[_BIOGATE_ERROR_MAX];

        /* g_dbus_error_register_error_domain() runs its own once-guard on
         * quark; the entries only need to be filled before the first call. */
        if (quark == 0 && entries[0].dbus_error_name == NULL)
                for (int i = 0; i < _BIOGATE_ERROR_MAX; i++) {
                        const BiogateErrorInfo *info = biogate_error_info((BiogateError) i);
                        entries[i] = (GDBusErrorEntry) { .error_code = info->code, .dbus_error_name = info->dbus_name };
                }
        g_dbus_error_register_error_domain("biogated-error-quark", &quark, entries, G_N_ELEMENTS(entries));
        return (GQuark) quark;
}

GError *biogated_error_new(BiogateError code, const char *format, ...) {
        va_list ap;
        g_autofree char *message = NULL;

        va_start(ap, format);
        message = g_strdup_vprintf(format, ap);
        va_end(ap);
        return g_error_new_literal(BIOGATE_DBUS_ERROR, code, message);
}

static BiogateError code_from_fp_device_error(int code) {
        switch (code) {
        case FP_DEVICE_ERROR_BUSY:
                return BIOGATE_ERROR_DEVICE_BUSY;
        case FP_DEVICE_ERROR_REMOVED:
                return BIOGATE_ERROR_NO_SUCH_DEVICE;
        case FP_DEVICE_ERROR_DATA_DUPLICATE:
                return BIOGATE_ERROR_DUPLICATE_PRINT;
        case FP_DEVICE_ERROR_DATA_INVALID:
        case FP_DEVICE_ERROR_DATA_NOT_FOUND:
                return BIOGATE_ERROR_STORE_CORRUPTED;
        default:
                return BIOGATE_ERROR_DEVICE_ERROR;
        }
}

GError *biogated_error_from_gerror(const GError *error) {
        BiogateError code = BIOGATE_ERROR_INTERNAL;

        if (error->domain == BIOGATE_DBUS_ERROR)
                return g_error_copy(error);

        if (error->domain == FP_DEVICE_ERROR)
                code = code_from_fp_device_error(error->code);
        else if (error->domain == FP_DEVICE_RETRY)
                code = BIOGATE_ERROR_DEVICE_ERROR;
        else if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                code = BIOGATE_ERROR_CANCELLED;
        else if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
                code = BIOGATE_ERROR_TIMED_OUT;
        else if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_BUSY))
                code = BIOGATE_ERROR_DEVICE_BUSY;
        else if (error->domain == G_IO_ERROR)
                code = BIOGATE_ERROR_DEVICE_ERROR;

        return g_error_new_literal(BIOGATE_DBUS_ERROR, code, error->message);
}
