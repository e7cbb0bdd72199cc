/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The size bounds every incoming message is held to (biogated-bounds.h):
 * each exactly at its limit passes, one past it is refused. */
#include <string.h>

#include "biogated-bounds.h"
#include "biogated-error.h"

static GVariant *string_of(gsize n) {
        g_autofree char *s = g_malloc(n + 1);

        memset(s, 'x', n);
        s[n] = '\0';
        return g_variant_new_string(s);
}

static GVariant *dict_of(guint n) {
        GVariantBuilder b;

        g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
        for (guint i = 0; i < n; i++) {
                char key[16];

                g_snprintf(key, sizeof key, "k%u", i);
                g_variant_builder_add(&b, "{sv}", key, g_variant_new_byte(0));
        }
        return g_variant_builder_end(&b);
}

static GVariant *nested(guint depth) {
        GVariant *v = g_variant_new_byte(0);

        for (guint i = 0; i < depth; i++)
                v = g_variant_new_variant(v);
        return v;
}

static void assert_bounds(GVariant *args, gboolean ok) {
        g_autoptr(GVariant) body = args ? g_variant_ref_sink(args) : NULL;
        g_autoptr(GError) error = NULL;

        g_assert_cmpint(biogated_bounds_check(body, &error), ==, ok);
        if (ok)
                g_assert_no_error(error);
        else
                g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_ARGUMENT_TOO_LARGE);
}

static void test_bounds_limits(void) {
        g_autofree guint8 *bytes = g_malloc0(BIOGATED_BODY_MAX + 1);
        g_autofree char *long_text = g_strnfill(BIOGATED_STRING_MAX + 1, 'x');

        assert_bounds(NULL, TRUE);
        assert_bounds(g_variant_new("(@s)", string_of(BIOGATED_STRING_MAX)), TRUE);
        assert_bounds(g_variant_new("(@s)", string_of(BIOGATED_STRING_MAX + 1)), FALSE);
        /* Inside a dictionary's value too. */
        assert_bounds(g_variant_new_parsed("({'payee': <%s>},)", long_text), FALSE);
        assert_bounds(g_variant_new("(@a{sv})", dict_of(BIOGATED_ITEMS_MAX)), TRUE);
        assert_bounds(g_variant_new("(@a{sv})", dict_of(BIOGATED_ITEMS_MAX + 1)), FALSE);
        /* Bytes count towards the body only. */
        assert_bounds(g_variant_new("(@ay)", g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, bytes,
                                                                       BIOGATED_BODY_MAX - 64, 1)),
                      TRUE);
        assert_bounds(g_variant_new("(@ay)", g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, bytes,
                                                                       BIOGATED_BODY_MAX + 1, 1)),
                      FALSE);
        /* The tuple is one level, each variant one more. */
        assert_bounds(g_variant_new("(@v)", nested(BIOGATED_DEPTH_MAX - 1)), TRUE);
        assert_bounds(g_variant_new("(@v)", nested(BIOGATED_DEPTH_MAX + 1)), FALSE);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/bounds/limits", test_bounds_limits);
        return g_test_run();
}
