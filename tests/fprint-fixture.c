/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fprint-fixture.h"

void write_config(Fixture *f, const char *fprintd_api, char **ret_arg) {
        g_autofree char *path = g_build_filename(f->tmp, "biogate.conf", NULL);
        g_autofree char *text = g_strdup_printf("[daemon]\nfprintd_api=%s\n", fprintd_api);
        g_autoptr(GError) error = NULL;

        g_assert_true(g_file_set_contents(path, text, -1, &error));
        g_assert_no_error(error);
        *ret_arg = g_strdup_printf("--config=%s", path);
}

void prepare_driver(Fixture *f, const char *driver) {
        fixture_prepare_with_policies(f, driver, (const char *const[]) { BIOGATE_BUS_POLICY, FPRINT_BUS_POLICY, NULL },
                                      NULL);
}

void prepare(Fixture *f) {
        prepare_driver(f, NULL);
}

void fprint_setup(Fixture *f, gconstpointer data) {
        g_autofree char *config_arg = NULL;
        g_autoptr(GError) error = NULL;

        prepare_driver(f, data);
        write_config(f, "yes", &config_arg);
        fixture_start_daemon(f, (const char *const[]) { config_arg, NULL });
        g_assert_true(btf_bus_wait_name(f->bus, FPRINT_NAME, T, NULL, &error));
        g_assert_no_error(error);
}

GVariant *fprint_call(GDBusConnection *conn, const char *path, const char *iface, const char *method,
                      GVariant *params, const char *reply_type, GError **error) {
        return call_name(conn, FPRINT_NAME, path, iface, method, params, reply_type, error);
}

GVariant *device_call(GDBusConnection *conn, const char *method, GVariant *params, const char *reply_type,
                      GError **error) {
        return fprint_call(conn, FPRINT_DEVICE, FPRINT_DEVICE_IFACE, method, params, reply_type, error);
}

GVariant *device_property(GDBusConnection *conn, const char *name) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = fprint_call(conn, FPRINT_DEVICE, "org.freedesktop.DBus.Properties", "Get",
                                                g_variant_new("(ss)", FPRINT_DEVICE_IFACE, name), "(v)", &error);
        GVariant *value;

        g_assert_no_error(error);
        g_variant_get(reply, "(v)", &value);
        return value;
}

GDBusInterfaceInfo *interface_ref(GDBusNodeInfo *node, const char *name) {
        GDBusInterfaceInfo *info = g_dbus_node_info_lookup_interface(node, name);

        if (!info)
                g_error("no interface %s", name);
        return g_dbus_interface_info_ref(info);
}

GDBusInterfaceInfo *served_interface(Fixture *f, const char *path, const char *name) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = fprint_call(f->conn, path, "org.freedesktop.DBus.Introspectable", "Introspect",
                                                NULL, "(s)", &error);
        g_autoptr(GDBusNodeInfo) node = NULL;
        const char *xml;

        g_assert_no_error(error);
        g_variant_get(reply, "(&s)", &xml);
        node = g_dbus_node_info_new_for_xml(xml, &error);
        g_assert_no_error(error);
        return interface_ref(node, name);
}

char *run_tool(const char *const *argv, int expected_exit) {
        g_autoptr(GError) error = NULL;
        g_autofree char *err = NULL;
        char *out = NULL;
        int status = 0;

        g_assert_true(btf_run(argv, NULL, &out, &err, &status, &error));
        g_assert_no_error(error);
        g_test_message("%s: %s%s", argv[0], out, err);
        btf_assert_exit_code(status, expected_exit);
        return out;
}

static void on_signal(GDBusConnection *conn, const char *sender, const char *path, const char *iface,
                      const char *member, GVariant *params, gpointer user_data) {
        Heard *heard = user_data;
        g_autofree char *args = g_variant_print(params, FALSE);

        g_ptr_array_add(heard->signals, g_strdup_printf("%s %s", member, args));
        if (g_str_equal(member, "VerifyStatus") || g_str_equal(member, "EnrollStatus")) {
                gboolean done = FALSE;

                g_variant_get(params, "(&sb)", NULL, &done);
                heard->done |= done;
        }
}

guint fprint_listen(GDBusConnection *conn, Heard *heard) {
        heard->signals = g_ptr_array_new_with_free_func(g_free);
        /* Every signal of the device, whatever the interface: VerifyStatus,
         * VerifyFingerSelected, PropertiesChanged. */
        return g_dbus_connection_signal_subscribe(conn, FPRINT_NAME, NULL, NULL, FPRINT_DEVICE, NULL,
                                                  G_DBUS_SIGNAL_FLAGS_NONE, on_signal, heard, NULL);
}

gboolean heard_done(gpointer user_data) {
        return ((Heard *) user_data)->done;
}

gboolean heard_contains(Heard *heard, const char *prefix) {
        for (guint i = 0; i < heard->signals->len; i++)
                if (g_str_has_prefix(g_ptr_array_index(heard->signals, i), prefix))
                        return TRUE;
        return FALSE;
}

void round_trip(GDBusConnection *conn) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = fprint_call(conn, FPRINT_DEVICE, "org.freedesktop.DBus.Peer", "Ping", NULL, NULL,
                                                &error);

        g_assert_no_error(error);
        while (g_main_context_iteration(NULL, FALSE))
                ;
}

void assert_virtual_device_properties(GDBusConnection *conn) {
        g_autoptr(GVariant) name = device_property(conn, "name");
        g_autoptr(GVariant) stages = device_property(conn, "num-enroll-stages");
        g_autoptr(GVariant) scan_type = device_property(conn, "scan-type");
        g_autoptr(GVariant) present = device_property(conn, "finger-present");
        g_autoptr(GVariant) needed = device_property(conn, "finger-needed");

        g_assert_cmpstr(g_variant_get_string(name, NULL), ==, VDEV_NAME);
        g_assert_cmpint(g_variant_get_int32(stages), ==, 5);
        /* libfprint's virtual_device says it is a swipe sensor. */
        g_assert_cmpstr(g_variant_get_string(scan_type, NULL), ==, "swipe");
        g_assert_false(g_variant_get_boolean(present));
        g_assert_false(g_variant_get_boolean(needed));
}

/* fprintd's files declare their error names as DTD entities, which GLib's
 * parser does not expand: expand them first (they appear in the
 * documentation only). */
static char *expand_entities(const char *xml) {
        g_autoptr(GRegex) decl = g_regex_new("<!ENTITY\\s+(\\w+)\\s+\"([^\"]*)\">", 0, 0, NULL);
        g_autoptr(GMatchInfo) match = NULL;
        g_autofree char *text = g_strdup(xml);

        g_regex_match(decl, xml, 0, &match);
        for (; g_match_info_matches(match); g_match_info_next(match, NULL)) {
                g_autofree char *name = g_match_info_fetch(match, 1);
                g_autofree char *value = g_match_info_fetch(match, 2);
                g_autofree char *reference = g_strdup_printf("&%s;", name);
                g_auto(GStrv) parts = g_strsplit(text, reference, -1);

                g_free(text);
                text = g_strjoinv(value, parts);
        }
        /* fprintd 1.94.2 also refers to one it never declares. */
        {
                g_autoptr(GRegex) undeclared = g_regex_new("&(?!amp;|lt;|gt;|quot;|apos;)(\\w+);", 0, 0, NULL);
                g_autofree char *plain = g_regex_replace(undeclared, text, -1, 0, "\\1", 0, NULL);

                g_free(text);
                text = g_steal_pointer(&plain);
        }
        /* The DOCTYPE with its declarations goes; the elements stay. */
        return g_strdup(strstr(text, "<node"));
}

GDBusInterfaceInfo *published_interface(const char *file, const char *name) {
        g_autofree char *path = g_build_filename(FPRINTD_INTERFACES, file, NULL);
        g_autofree char *xml = NULL, *expanded = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusNodeInfo) node = NULL;

        g_assert_true(g_file_get_contents(path, &xml, NULL, &error));
        g_assert_no_error(error);
        expanded = expand_entities(xml);
        g_assert_nonnull(expanded);
        node = g_dbus_node_info_new_for_xml(expanded, &error);
        g_assert_no_error(error);
        return interface_ref(node, name);
}
