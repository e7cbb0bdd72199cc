/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RFC 8785 (JCS) over json-glib nodes. Two implementations hashing the same
 * data must produce the same bytes, so everything here follows the RFC and
 * ECMAScript to the letter rather than json-glib's generator (which sorts
 * nothing, escapes more and prints numbers with %g).
 *
 * Errors are G_IO_ERROR_INVALID_DATA: the node holds something JCS cannot
 * represent. */
#include "biogate-jcs.h"

#include <gio/gio.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* I-JSON (RFC 7493 §2.2): integers beyond ±2^53 are not exact in IEEE 754
 * doubles. JavaScript would silently round them; a digest over a rounded
 * value is worse than an error. */
#define JCS_MAX_SAFE_INTEGER ((gint64) 1 << 53)

/* Deep enough for any document we sign, shallow enough for the stack. */
#define JCS_MAX_DEPTH 64

static gboolean serialize_node(GString *out, JsonNode *node, unsigned depth, GError **error);

/* §3.2.2.2: only '"', '\\' and U+0000..U+001F are escaped; the five with a
 * short form use it, the rest \u00xx in lower case. Everything else,
 * including DEL, U+0080..U+009F and U+2028, is copied as UTF-8. */
static gboolean serialize_string(GString *out, const char *str, GError **error) {
        if (!g_utf8_validate(str, -1, NULL)) {
                g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "String is not valid UTF-8");
                return FALSE;
        }

        g_string_append_c(out, '"');
        for (const char *p = str; *p; p++) {
                unsigned char c = (unsigned char) *p;

                switch (c) {
                case '"':  g_string_append(out, "\\\""); break;
                case '\\': g_string_append(out, "\\\\"); break;
                case '\b': g_string_append(out, "\\b"); break;
                case '\t': g_string_append(out, "\\t"); break;
                case '\n': g_string_append(out, "\\n"); break;
                case '\f': g_string_append(out, "\\f"); break;
                case '\r': g_string_append(out, "\\r"); break;
                default:
                        if (c < 0x20)
                                g_string_append_printf(out, "\\u%04x", c);
                        else
                                g_string_append_c(out, (char) c);
                }
        }
        g_string_append_c(out, '"');
        return TRUE;
}

/* Parses "d.ddde[+-]x" as printed by %e into its digits as an integer and
 * the power of ten of the last digit. */
static void split_exponential(const char *text, guint64 *ret_digits, int *ret_scale) {
        guint64 digits = 0;
        int n_fraction = 0;
        gboolean fraction = FALSE;
        const char *p;

        for (p = text; *p && *p != 'e'; p++) {
                if (*p == '.') {
                        fraction = TRUE;
                        continue;
                }
                digits = digits * 10 + (guint64) (*p - '0');
                if (fraction)
                        n_fraction++;
        }
        g_assert(*p == 'e');

        *ret_digits = digits;
        *ret_scale = (int) g_ascii_strtoll(p + 1, NULL, 10) - n_fraction;
}

static gboolean round_trips(guint64 digits, int scale, double value) {
        char text[64];

        g_snprintf(text, sizeof text, "%" G_GUINT64_FORMAT "e%d", digits, scale);
        return g_ascii_strtod(text, NULL) == value;
}

/* The shortest decimal digits s and scale such that s × 10^scale reads back
 * as value (value > 0, finite): ECMAScript's Number::toString step 5. For
 * each length, the correctly rounded candidate from printf is the closest
 * one; when it does not read back (possible only next to a power of two,
 * where the rounding interval is lopsided) one of its neighbours may, and
 * no other candidate of that length can. printf and strtod work in the C
 * locale here (g_ascii_*), whatever setlocale() the program called. */
static void shortest_digits(double value, char ret_digits[static 24], int *ret_scale) {
        guint64 digits = 0;
        int scale = 0;

        for (int precision = 1; precision <= 17; precision++) {
                char format[16], text[G_ASCII_DTOSTR_BUF_SIZE];

                g_snprintf(format, sizeof format, "%%.%de", precision - 1);
                g_ascii_formatd(text, sizeof text, format, value);
                split_exponential(text, &digits, &scale);

                if (round_trips(digits, scale, value))
                        break;
                if (round_trips(digits - 1, scale, value)) {
                        digits--;
                        break;
                }
                if (round_trips(digits + 1, scale, value)) {
                        digits++;
                        break;
                }
                /* 17 significant digits always read back (IEEE 754 §5.12.2),
                 * so the last iteration never gets here. */
                g_assert(precision < 17);
        }

        /* Trailing zeros are not digits of s (s is not divisible by 10). */
        while (digits % 10 == 0 && digits != 0) {
                digits /= 10;
                scale++;
        }
        g_snprintf(ret_digits, 24, "%" G_GUINT64_FORMAT, digits);
        *ret_scale = scale;
}

/* ECMAScript Number::toString(10) (ECMA-262 §6.1.6.1.20), which RFC 8785
 * §3.2.2.3 requires for every number. */
static gboolean serialize_double(GString *out, double value, GError **error) {
        char digits[24];
        int scale, k, n;

        if (!isfinite(value)) {
                g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                    "NaN and Infinity have no JSON representation");
                return FALSE;
        }

        /* Both zeros are "0". */
        if (value == 0) {
                g_string_append_c(out, '0');
                return TRUE;
        }
        if (value < 0) {
                g_string_append_c(out, '-');
                value = -value;
        }

        shortest_digits(value, digits, &scale);
        k = (int) strlen(digits);
        /* The value is 0.digits × 10^n. */
        n = k + scale;

        if (k <= n && n <= 21) {
                /* Integers below 10^21: all digits, zero-padded. */
                g_string_append(out, digits);
                for (int i = 0; i < n - k; i++)
                        g_string_append_c(out, '0');
        } else if (0 < n && n <= 21) {
                g_string_append_len(out, digits, n);
                g_string_append_c(out, '.');
                g_string_append(out, digits + n);
        } else if (-6 < n && n <= 0) {
                g_string_append(out, "0.");
                for (int i = 0; i < -n; i++)
                        g_string_append_c(out, '0');
                g_string_append(out, digits);
        } else {
                /* 1e+21 and up, below 1e-6: exponent with an explicit sign. */
                g_string_append_c(out, digits[0]);
                if (k > 1) {
                        g_string_append_c(out, '.');
                        g_string_append(out, digits + 1);
                }
                g_string_append_printf(out, "e%c%d", n - 1 < 0 ? '-' : '+', ABS(n - 1));
        }
        return TRUE;
}

static gboolean serialize_value(GString *out, JsonNode *node, GError **error) {
        GType type = json_node_get_value_type(node);

        if (type == G_TYPE_STRING)
                return serialize_string(out, json_node_get_string(node), error);
        if (type == G_TYPE_BOOLEAN) {
                g_string_append(out, json_node_get_boolean(node) ? "true" : "false");
                return TRUE;
        }
        if (type == G_TYPE_INT64) {
                gint64 v = json_node_get_int(node);

                if (v > JCS_MAX_SAFE_INTEGER || v < -JCS_MAX_SAFE_INTEGER) {
                        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                    "Integer %" G_GINT64_FORMAT " is outside the exact range of I-JSON numbers", v);
                        return FALSE;
                }
                return serialize_double(out, (double) v, error);
        }
        if (type == G_TYPE_DOUBLE)
                return serialize_double(out, json_node_get_double(node), error);

        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Unsupported JSON value type %s", g_type_name(type));
        return FALSE;
}

typedef struct Member {
        const char *name;
        gunichar2 *utf16;
        glong utf16_len;
} Member;

/* §3.2.3: names compare as arrays of UTF-16 code units, so U+1F600 (a
 * surrogate pair starting 0xD83D) sorts before U+FB33. */
static int member_compare(const void *a, const void *b) {
        const Member *x = a, *y = b;
        glong n = MIN(x->utf16_len, y->utf16_len);

        for (glong i = 0; i < n; i++)
                if (x->utf16[i] != y->utf16[i])
                        return x->utf16[i] < y->utf16[i] ? -1 : 1;
        return (x->utf16_len > y->utf16_len) - (x->utf16_len < y->utf16_len);
}

static void member_clear(void *p) {
        Member *m = p;

        g_free(m->utf16);
}

static gboolean serialize_object(GString *out, JsonObject *object, unsigned depth, GError **error) {
        g_autoptr(GArray) members = g_array_new(FALSE, TRUE, sizeof(Member));
        g_autoptr(GList) names = json_object_get_members(object);

        g_array_set_clear_func(members, member_clear);

        for (GList *l = names; l; l = l->next) {
                Member m = { .name = l->data };

                m.utf16 = g_utf8_to_utf16(m.name, -1, NULL, &m.utf16_len, NULL);
                if (!m.utf16) {
                        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                            "Member name is not valid UTF-8");
                        return FALSE;
                }
                g_array_append_val(members, m);
        }
        g_array_sort(members, member_compare);

        g_string_append_c(out, '{');
        for (guint i = 0; i < members->len; i++) {
                const Member *m = &g_array_index(members, Member, i);

                if (i > 0)
                        g_string_append_c(out, ',');
                if (!serialize_string(out, m->name, error))
                        return FALSE;
                g_string_append_c(out, ':');
                if (!serialize_node(out, json_object_get_member(object, m->name), depth + 1, error))
                        return FALSE;
        }
        g_string_append_c(out, '}');
        return TRUE;
}

static gboolean serialize_node(GString *out, JsonNode *node, unsigned depth, GError **error) {
        if (depth > JCS_MAX_DEPTH) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Nested deeper than %d levels", JCS_MAX_DEPTH);
                return FALSE;
        }

        switch (json_node_get_node_type(node)) {
        case JSON_NODE_NULL:
                g_string_append(out, "null");
                return TRUE;
        case JSON_NODE_VALUE:
                return serialize_value(out, node, error);
        case JSON_NODE_OBJECT:
                return serialize_object(out, json_node_get_object(node), depth, error);
        case JSON_NODE_ARRAY: {
                JsonArray *array = json_node_get_array(node);
                guint n = json_array_get_length(array);

                g_string_append_c(out, '[');
                for (guint i = 0; i < n; i++) {
                        if (i > 0)
                                g_string_append_c(out, ',');
                        if (!serialize_node(out, json_array_get_element(array, i), depth + 1, error))
                                return FALSE;
                }
                g_string_append_c(out, ']');
                return TRUE;
        }
        }

        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Unknown JSON node type");
        return FALSE;
}

char *biogate_jcs_serialize(JsonNode *node, GError **error) {
        g_autoptr(GString) out = g_string_new(NULL);

        g_return_val_if_fail(node, NULL);

        if (!serialize_node(out, node, 0, error))
                return NULL;
        return g_string_free(g_steal_pointer(&out), FALSE);
}
