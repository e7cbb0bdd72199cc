/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogatectl-output.h"

#include "biogate-i18n.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

void ctl_json_append_string(GString *out, const char *str) {
        g_autofree char *repaired = NULL;

        if (!str)
                str = "";
        /* Strings from D-Bus are valid UTF-8, but local error messages need
         * not be, and JSON must be. */
        if (!g_utf8_validate(str, -1, NULL))
                str = repaired = g_utf8_make_valid(str, -1);

        g_string_append_c(out, '"');
        for (const char *p = str; *p; p++) {
                unsigned char c = (unsigned char) *p;

                switch (c) {
                case '"':
                        g_string_append(out, "\\\"");
                        break;
                case '\\':
                        g_string_append(out, "\\\\");
                        break;
                case '\b':
                        g_string_append(out, "\\b");
                        break;
                case '\f':
                        g_string_append(out, "\\f");
                        break;
                case '\n':
                        g_string_append(out, "\\n");
                        break;
                case '\r':
                        g_string_append(out, "\\r");
                        break;
                case '\t':
                        g_string_append(out, "\\t");
                        break;
                default:
                        /* DEL is legal JSON, but escaping it keeps the output
                         * harmless when someone cats it to a terminal. */
                        if (c < 0x20 || c == 0x7f)
                                g_string_append_printf(out, "\\u%04x", c);
                        else
                                g_string_append_c(out, (char) c); /* UTF-8 passes through */
                }
        }
        g_string_append_c(out, '"');
}

static bool is_object_type(const GVariantType *type) {
        const GVariantType *element;

        if (!g_variant_type_is_array(type))
                return false;
        element = g_variant_type_element(type);
        if (!g_variant_type_is_dict_entry(element))
                return false;
        return g_variant_type_equal(g_variant_type_key(element), G_VARIANT_TYPE_STRING);
}

static void append_object(GString *out, GVariant *dict) {
        GVariantIter iter;
        GVariant *entry;
        bool first = true;

        g_string_append_c(out, '{');
        g_variant_iter_init(&iter, dict);
        while ((entry = g_variant_iter_next_value(&iter))) {
                g_autoptr(GVariant) key = g_variant_get_child_value(entry, 0);
                g_autoptr(GVariant) value = g_variant_get_child_value(entry, 1);

                if (!first)
                        g_string_append_c(out, ',');
                first = false;
                ctl_json_append_string(out, g_variant_get_string(key, NULL));
                g_string_append_c(out, ':');
                ctl_json_append_variant(out, value);
                g_variant_unref(entry);
        }
        g_string_append_c(out, '}');
}

static void append_array(GString *out, GVariant *container) {
        size_t n = g_variant_n_children(container);

        g_string_append_c(out, '[');
        for (size_t i = 0; i < n; i++) {
                g_autoptr(GVariant) child = g_variant_get_child_value(container, i);

                if (i > 0)
                        g_string_append_c(out, ',');
                ctl_json_append_variant(out, child);
        }
        g_string_append_c(out, ']');
}

void ctl_json_append_variant(GString *out, GVariant *value) {
        switch (g_variant_classify(value)) {
        case G_VARIANT_CLASS_BOOLEAN:
                g_string_append(out, g_variant_get_boolean(value) ? "true" : "false");
                return;
        case G_VARIANT_CLASS_BYTE:
                g_string_append_printf(out, "%u", (unsigned) g_variant_get_byte(value));
                return;
        case G_VARIANT_CLASS_INT16:
                g_string_append_printf(out, "%d", (int) g_variant_get_int16(value));
                return;
        case G_VARIANT_CLASS_UINT16:
                g_string_append_printf(out, "%u", (unsigned) g_variant_get_uint16(value));
                return;
        case G_VARIANT_CLASS_INT32:
                g_string_append_printf(out, "%" G_GINT32_FORMAT, g_variant_get_int32(value));
                return;
        case G_VARIANT_CLASS_UINT32:
                g_string_append_printf(out, "%" G_GUINT32_FORMAT, g_variant_get_uint32(value));
                return;
        case G_VARIANT_CLASS_INT64:
                g_string_append_printf(out, "%" G_GINT64_FORMAT, g_variant_get_int64(value));
                return;
        case G_VARIANT_CLASS_UINT64:
                g_string_append_printf(out, "%" G_GUINT64_FORMAT, g_variant_get_uint64(value));
                return;
        case G_VARIANT_CLASS_HANDLE:
                g_string_append_printf(out, "%" G_GINT32_FORMAT, g_variant_get_handle(value));
                return;
        case G_VARIANT_CLASS_DOUBLE: {
                char buf[G_ASCII_DTOSTR_BUF_SIZE];
                double d = g_variant_get_double(value);

                /* JSON has no NaN or infinity. */
                if (!isfinite(d)) {
                        g_string_append(out, "null");
                        return;
                }
                g_string_append(out, g_ascii_dtostr(buf, sizeof(buf), d));
                return;
        }
        case G_VARIANT_CLASS_STRING:
        case G_VARIANT_CLASS_OBJECT_PATH:
        case G_VARIANT_CLASS_SIGNATURE:
                ctl_json_append_string(out, g_variant_get_string(value, NULL));
                return;
        case G_VARIANT_CLASS_VARIANT: {
                g_autoptr(GVariant) inner = g_variant_get_variant(value);

                ctl_json_append_variant(out, inner);
                return;
        }
        case G_VARIANT_CLASS_MAYBE: {
                g_autoptr(GVariant) inner = g_variant_get_maybe(value);

                if (!inner)
                        g_string_append(out, "null");
                else
                        ctl_json_append_variant(out, inner);
                return;
        }
        case G_VARIANT_CLASS_ARRAY:
                if (is_object_type(g_variant_get_type(value)))
                        append_object(out, value);
                else
                        append_array(out, value);
                return;
        case G_VARIANT_CLASS_TUPLE:
        case G_VARIANT_CLASS_DICT_ENTRY:
                append_array(out, value);
                return;
        }

        g_string_append(out, "null");
}

void ctl_json_print(FILE *stream, GVariant *object) {
        g_autoptr(GVariant) owned = g_variant_ref_sink(object);
        g_autoptr(GString) line = g_string_new(NULL);

        ctl_json_append_variant(line, owned);
        g_string_append_c(line, '\n');
        fputs(line->str, stream);
        fflush(stream);
}

char *ctl_printable(const char *str) {
        g_autofree char *valid = g_utf8_make_valid(str ? str : "", -1);
        GString *out = g_string_sized_new(strlen(valid));

        /* Device names and daemon messages end up on a terminal; an escape
         * sequence in them must not be able to rewrite what the user sees. */
        for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
                if (g_unichar_iscntrl(g_utf8_get_char(p)))
                        g_string_append_c(out, '?');
                else
                        g_string_append_len(out, p, g_utf8_next_char(p) - p);
        }
        return g_string_free(out, FALSE);
}

/* Seconds left of a lock that ends by itself; 0 for one that only an
 * administrator lifts (GetMyData has no "retry-after-ms" then). */
static unsigned long lock_seconds(GVariant *data, const char *key) {
        guint64 ms = 0;

        if (!g_variant_lookup(data, key, "t", &ms))
                return 0;
        return (unsigned long) MIN((ms + 999) / 1000, (guint64) G_MAXULONG);
}

static void print_lock(const char *what, unsigned long seconds, const char *safe_user) {
        if (seconds > 0)
                printf(dngettext(GETTEXT_PACKAGE, "%s, for %lu more second\n", "%s, for %lu more seconds\n", seconds),
                       what, seconds);
        else
                printf(_("%s, until an administrator unlocks them (biogatectl unlock %s)\n"), what, safe_user);
}

void ctl_print_locks(GVariant *data, const char *safe_user) {
        gboolean locked = FALSE;

        if (g_variant_lookup(data, "locked-out", "b", &locked) && locked)
                print_lock(_("Biometrics: locked after too many failed attempts"), lock_seconds(data, "retry-after-ms"),
                           safe_user);
        if (g_variant_lookup(data, "approvals-locked-out", "b", &locked) && locked)
                print_lock(_("Four-eyes approvals: held after too many failed approver touches"),
                           lock_seconds(data, "approvals-retry-after-ms"), safe_user);
}
