/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RFC 8785 canonicalisation: the RFC's own examples, its Appendix B number
 * table and ECMAScript's Number.prototype.toString corner cases. Expected
 * outputs are written from the RFC and ECMA-262 text, not from our output. */
#include <gio/gio.h>
#include <locale.h>
#include <math.h>
#include <string.h>

#include "biogate-jcs.h"

static JsonNode *parse(const char *text) {
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(GError) error = NULL;

        g_assert_true(json_parser_load_from_data(parser, text, -1, &error));
        g_assert_no_error(error);
        return json_node_copy(json_parser_get_root(parser));
}

static char *jcs_of_text(const char *text) {
        g_autoptr(JsonNode) node = parse(text);
        g_autoptr(GError) error = NULL;
        char *out = biogate_jcs_serialize(node, &error);

        g_assert_no_error(error);
        g_assert_nonnull(out);
        return out;
}

static char *jcs_of_double(double value) {
        g_autoptr(JsonNode) node = json_node_new(JSON_NODE_VALUE);
        g_autoptr(GError) error = NULL;
        char *out;

        json_node_set_double(node, value);
        out = biogate_jcs_serialize(node, &error);
        g_assert_no_error(error);
        return out;
}

static double double_from_bits(guint64 bits) {
        double d;

        G_STATIC_ASSERT(sizeof d == sizeof bits);
        memcpy(&d, &bits, sizeof d);
        return d;
}

/* RFC 8785 §3.2.2: the sample input and its canonical form. */
static void test_rfc8785_sample(void) {
        g_autofree char *out = jcs_of_text(
                "{\n"
                "  \"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n"
                "  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
                "  \"literals\": [null, true, false]\n"
                "}");

        g_assert_cmpstr(out, ==,
                        "{\"literals\":[null,true,false],"
                        "\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
                        "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

/* RFC 8785 §3.2.3: member names sort by UTF-16 code units, so the emoji
 * (D83D DE00) comes before U+FB33 although its code point is larger. */
static void test_rfc8785_sorting(void) {
        g_autofree char *out = jcs_of_text(
                "{\n"
                "  \"\\u20ac\": \"Euro Sign\",\n"
                "  \"\\r\": \"Carriage Return\",\n"
                "  \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\",\n"
                "  \"1\": \"One\",\n"
                "  \"\\ud83d\\ude00\": \"Emoji: Grinning Face\",\n"
                "  \"\\u0080\": \"Control\",\n"
                "  \"\\u00f6\": \"Latin Small Letter O With Diaeresis\"\n"
                "}");

        g_assert_cmpstr(out, ==,
                        "{\"\\r\":\"Carriage Return\","
                        "\"1\":\"One\","
                        "\"\xc2\x80\":\"Control\","
                        "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
                        "\"\xe2\x82\xac\":\"Euro Sign\","
                        "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
                        "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

/* RFC 8785 Appendix B: IEEE 754 bit patterns and their serialisation. */
static void test_appendix_b(void) {
        static const struct {
                guint64 bits;
                const char *text;
        } table[] = {
                { 0x0000000000000000, "0" },
                { 0x8000000000000000, "0" },
                { 0x0000000000000001, "5e-324" },
                { 0x8000000000000001, "-5e-324" },
                { 0x7fefffffffffffff, "1.7976931348623157e+308" },
                { 0xffefffffffffffff, "-1.7976931348623157e+308" },
                { 0x4340000000000000, "9007199254740992" },
                { 0xc340000000000000, "-9007199254740992" },
                { 0x4430000000000000, "295147905179352830000" },
                { 0x44b52d02c7e14af5, "9.999999999999997e+22" },
                { 0x44b52d02c7e14af6, "1e+23" },
                { 0x44b52d02c7e14af7, "1.0000000000000001e+23" },
                { 0x444b1ae4d6e2ef4e, "999999999999999700000" },
                { 0x444b1ae4d6e2ef4f, "999999999999999900000" },
                { 0x444b1ae4d6e2ef50, "1e+21" },
                { 0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7" },
                { 0x3eb0c6f7a0b5ed8d, "0.000001" },
                { 0x41b3de4355555553, "333333333.3333332" },
                { 0x41b3de4355555554, "333333333.33333325" },
                { 0x41b3de4355555555, "333333333.3333333" },
                { 0x41b3de4355555556, "333333333.3333334" },
                { 0x41b3de4355555557, "333333333.33333343" },
                { 0xbecbf647612f3696, "-0.0000033333333333333333" },
                { 0x43143ff3c1cb0959, "1424953923781206.2" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(table); i++) {
                g_autofree char *out = jcs_of_double(double_from_bits(table[i].bits));

                g_test_message("0x%016" G_GINT64_MODIFIER "x -> %s", table[i].bits, table[i].text);
                g_assert_cmpstr(out, ==, table[i].text);
        }
}

/* Number::toString: fixed notation from 1e-6 up to below 1e21, exponent
 * with an explicit sign outside; shortest digits that read back. */
static void test_ecmascript_numbers(void) {
        static const struct {
                double value;
                const char *text;
        } table[] = {
                { 1e21, "1e+21" },
                { 1e20, "100000000000000000000" },
                { 123456789012345680000.0, "123456789012345680000" },
                { 1e-7, "1e-7" },
                { 1e-6, "0.000001" },
                { 1.5e-7, "1.5e-7" },
                { 5e-324, "5e-324" },
                { 1.7976931348623157e308, "1.7976931348623157e+308" },
                { -0.0, "0" },
                { 0.1, "0.1" },
                { 0.1 + 0.2, "0.30000000000000004" },
                { 1.0 / 3.0, "0.3333333333333333" },
                { 100.0, "100" },
                { -1.5, "-1.5" },
                { 4.35, "4.35" },
                { 2e-3, "0.002" },
                { 1e30, "1e+30" },
                { 1.0000000000000002, "1.0000000000000002" },
                { 2.2250738585072014e-308, "2.2250738585072014e-308" },
                { 9007199254740993.0, "9007199254740992" },
                { 123e-20, "1.23e-18" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(table); i++) {
                g_autofree char *out = jcs_of_double(table[i].value);

                g_assert_cmpstr(out, ==, table[i].text);
        }
}

/* Numbers print the same under a locale with a decimal comma. */
static void test_locale_independent(void) {
        g_autofree char *out = NULL;
        const char *locale = setlocale(LC_NUMERIC, "de_DE.UTF-8");

        if (!locale)
                locale = setlocale(LC_NUMERIC, "fr_FR.UTF-8");
        out = jcs_of_double(4.5);
        setlocale(LC_NUMERIC, "C");
        g_assert_cmpstr(out, ==, "4.5");
        if (!locale)
                g_test_message("no comma locale installed; checked in the C locale only");
}

static void test_integers(void) {
        g_autofree char *small = jcs_of_text("[0, -0, 42, -7, 9007199254740992, -9007199254740992, 1000000]");
        g_autoptr(JsonNode) big = json_node_new(JSON_NODE_VALUE);
        g_autoptr(GError) error = NULL;
        g_autofree char *out = NULL;

        g_assert_cmpstr(small, ==, "[0,0,42,-7,9007199254740992,-9007199254740992,1000000]");

        /* Beyond 2^53 an integer is not exact as a double: refused. */
        json_node_set_int(big, G_GINT64_CONSTANT(9007199254740993));
        out = biogate_jcs_serialize(big, &error);
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
        g_assert_null(out);
}

static void test_rejects_nan_and_infinity(void) {
        const double values[] = { NAN, INFINITY, -INFINITY };

        for (size_t i = 0; i < G_N_ELEMENTS(values); i++) {
                g_autoptr(JsonNode) array = parse("[1]");
                g_autoptr(JsonNode) bad = json_node_new(JSON_NODE_VALUE);
                g_autoptr(GError) error = NULL;
                g_autofree char *out = NULL;

                json_node_set_double(bad, values[i]);
                json_array_add_element(json_node_get_array(array), g_steal_pointer(&bad));
                out = biogate_jcs_serialize(array, &error);
                g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
                g_assert_null(out);
        }
}

/* §3.2.2.2: only '"', '\\' and U+0000..U+001F are escaped; DEL, C1
 * controls, U+2028 and '/' are not. */
static void test_string_escaping(void) {
        g_autoptr(JsonNode) node = json_node_new(JSON_NODE_VALUE);
        g_autoptr(GString) input = g_string_new(NULL);
        g_autoptr(GString) expected = g_string_new("\"");
        g_autofree char *out = NULL;

        for (int c = 1; c < 0x20; c++) {
                g_string_append_c(input, (char) c);
                switch (c) {
                case '\b': g_string_append(expected, "\\b"); break;
                case '\t': g_string_append(expected, "\\t"); break;
                case '\n': g_string_append(expected, "\\n"); break;
                case '\f': g_string_append(expected, "\\f"); break;
                case '\r': g_string_append(expected, "\\r"); break;
                default: g_string_append_printf(expected, "\\u%04x", c);
                }
        }
        g_string_append(input, "\"\\/\x7f\xc2\x85\xe2\x80\xa8<");
        g_string_append(expected, "\\\"\\\\/\x7f\xc2\x85\xe2\x80\xa8<\"");

        json_node_set_string(node, input->str);
        out = biogate_jcs_serialize(node, NULL);
        g_assert_cmpstr(out, ==, expected->str);
}

static void test_rejects_invalid_utf8(void) {
        g_autoptr(JsonNode) value = json_node_new(JSON_NODE_VALUE);
        g_autoptr(JsonObject) object = json_object_new();
        g_autoptr(JsonNode) node = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *out = NULL, *out2 = NULL;

        json_node_set_string(value, "bad \xff byte");
        out = biogate_jcs_serialize(value, &error);
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
        g_assert_null(out);
        g_clear_error(&error);

        json_object_set_int_member(object, "\xc3", 1);
        node = json_node_init_object(json_node_alloc(), object);
        out2 = biogate_jcs_serialize(node, &error);
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
        g_assert_null(out2);
}

/* Nested objects sort at every level; arrays keep their order; no
 * whitespace anywhere; a prefix sorts before its extensions. */
static void test_nested(void) {
        g_autofree char *out = jcs_of_text(
                "{ \"b\" : [ 3, { \"z\": 1, \"y\": [ ] } ], \"a\": { }, \"ab\": \"x\", \"\": true }");

        g_assert_cmpstr(out, ==, "{\"\":true,\"a\":{},\"ab\":\"x\",\"b\":[3,{\"y\":[],\"z\":1}]}");
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/jcs/rfc8785-sample", test_rfc8785_sample);
        g_test_add_func("/jcs/rfc8785-utf16-sorting", test_rfc8785_sorting);
        g_test_add_func("/jcs/rfc8785-appendix-b-numbers", test_appendix_b);
        g_test_add_func("/jcs/ecmascript-numbers", test_ecmascript_numbers);
        g_test_add_func("/jcs/numbers-ignore-locale", test_locale_independent);
        g_test_add_func("/jcs/integers", test_integers);
        g_test_add_func("/jcs/rejects-nan-infinity", test_rejects_nan_and_infinity);
        g_test_add_func("/jcs/string-escaping", test_string_escaping);
        g_test_add_func("/jcs/rejects-invalid-utf8", test_rejects_invalid_utf8);
        g_test_add_func("/jcs/nested", test_nested);

        return g_test_run();
}
