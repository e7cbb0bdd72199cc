/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The authorization table of biogated-caller.c: which polkit action each
 * kind of call needs, and the built-in rule used without polkitd; and the
 * per-connection credentials cache, on a real dbus-daemon. */
#include <unistd.h>

#include "biogated-caller.h"

#define ROOT 0
#define ALICE 1000
#define BOB 1001

static void test_polkit_action(void) {
        static const struct {
                BiogatedAction action;
                uid_t uid, target;
                const char *want;
        } rows[] = {
                /* Root is never asked about. */
                { BIOGATED_ACTION_ENROLL, ROOT, ALICE, NULL },
                { BIOGATED_ACTION_MANAGE, ROOT, ROOT, NULL },
                /* On oneself: the method's own action, none for own data. */
                { BIOGATED_ACTION_OWN_DATA, ALICE, ALICE, NULL },
                { BIOGATED_ACTION_ENROLL, ALICE, ALICE, "org.biogate1.enroll" },
                { BIOGATED_ACTION_VERIFY, ALICE, ALICE, "org.biogate1.verify" },
                { BIOGATED_ACTION_APPROVE, ALICE, ALICE, "org.biogate1.approve" },
                { BIOGATED_ACTION_MANAGE, ALICE, ALICE, "org.biogate1.manage" },
                /* On anyone else, root included: manage, whatever the method. */
                { BIOGATED_ACTION_OWN_DATA, ALICE, BOB, "org.biogate1.manage" },
                { BIOGATED_ACTION_ENROLL, ALICE, BOB, "org.biogate1.manage" },
                { BIOGATED_ACTION_VERIFY, ALICE, ROOT, "org.biogate1.manage" },
                { BIOGATED_ACTION_APPROVE, ALICE, BOB, "org.biogate1.manage" },
                /* fprintd's API asks with fprintd's ids, so that a site's
                 * rules for them keep working; another user: .setusername. */
                { BIOGATED_ACTION_FPRINT_VERIFY, ROOT, ALICE, NULL },
                { BIOGATED_ACTION_FPRINT_VERIFY, ALICE, ALICE, "net.reactivated.fprint.device.verify" },
                { BIOGATED_ACTION_FPRINT_ENROLL, ALICE, ALICE, "net.reactivated.fprint.device.enroll" },
                { BIOGATED_ACTION_FPRINT_VERIFY, ALICE, BOB, "net.reactivated.fprint.device.setusername" },
                { BIOGATED_ACTION_FPRINT_ENROLL, ALICE, ROOT, "net.reactivated.fprint.device.setusername" },
        };

        for (gsize i = 0; i < G_N_ELEMENTS(rows); i++)
                g_assert_cmpstr(biogated_caller_polkit_action(rows[i].action, rows[i].uid, rows[i].target), ==,
                                rows[i].want);
}

static void test_builtin_rule(void) {
        for (int a = 0; a < _BIOGATED_ACTION_MAX; a++) {
                g_assert_true(biogated_caller_builtin_allows((BiogatedAction) a, ROOT, ALICE));
                g_assert_true(biogated_caller_builtin_allows((BiogatedAction) a, ROOT, ROOT));
                g_assert_false(biogated_caller_builtin_allows((BiogatedAction) a, ALICE, BOB));
                g_assert_false(biogated_caller_builtin_allows((BiogatedAction) a, ALICE, ROOT));
                g_assert_true(biogated_caller_builtin_allows((BiogatedAction) a, ALICE, ALICE) ==
                              (a != BIOGATED_ACTION_MANAGE));
        }
}

/* ---- the credentials cache ---- */

static const char who_xml[] =
        "<node><interface name='org.biogate1.Test'>"
        "<method name='Who'><arg name='uid' type='u' direction='out'/><arg name='pid' type='u' direction='out'/></method>"
        "</interface></node>";

static void on_who_credentials(GDBusMethodInvocation *invocation, const BiogatedCredentials *creds,
                               const GError *error, gpointer user_data) {
        if (!creds) {
                g_dbus_method_invocation_return_gerror(invocation, error);
                return;
        }
        g_dbus_method_invocation_return_value(invocation, g_variant_new("(uu)", (guint32) creds->uid,
                                                                        (guint32) creds->pid));
}

static void on_who(GDBusConnection *connection, const char *sender, const char *path, const char *interface,
                   const char *method, GVariant *parameters, GDBusMethodInvocation *invocation,
                   gpointer user_data) {
        biogated_caller_credentials(invocation, on_who_credentials, NULL);
}

static gboolean on_timeout(gpointer user_data) {
        g_error("timed out waiting for the bus");
        return G_SOURCE_REMOVE;
}

static void on_reply(GObject *source, GAsyncResult *res, gpointer user_data) {
        *(GVariant **) user_data = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, NULL);
}

/* Who on server from client; the server answers on this thread's main
 * context, so the call is async and we iterate until the reply. */
static void assert_who(GDBusConnection *client, const char *server_name) {
        g_autoptr(GVariant) reply = NULL;
        guint32 uid, pid;

        g_dbus_connection_call(client, server_name, "/t", "org.biogate1.Test", "Who", NULL, G_VARIANT_TYPE("(uu)"),
                               G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_reply, &reply);
        while (!reply)
                g_main_context_iteration(NULL, TRUE);
        g_variant_get(reply, "(uu)", &uid, &pid);
        g_assert_cmpuint(uid, ==, getuid());
        g_assert_cmpuint(pid, ==, getpid());
}

static GDBusConnection *connect_to(GTestDBus *bus) {
        g_autoptr(GError) error = NULL;
        GDBusConnection *c = g_dbus_connection_new_for_address_sync(
                g_test_dbus_get_bus_address(bus),
                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                NULL, NULL, &error);

        g_assert_no_error(error);
        return c;
}

static void assert_cache(GDBusConnection *server, guint known, guint64 lookups) {
        guint k;
        guint64 l;

        biogated_caller_cache_stats(server, &k, &l);
        g_assert_cmpuint(k, ==, known);
        g_assert_cmpuint(l, ==, lookups);
}

static void test_credentials_cached(void) {
        g_autoptr(GTestDBus) bus = g_test_dbus_new(G_TEST_DBUS_NONE);
        g_autoptr(GDBusNodeInfo) info = NULL;
        g_autoptr(GDBusConnection) server = NULL, first = NULL, second = NULL;
        g_autoptr(GError) error = NULL;
        const GDBusInterfaceVTable vtable = { .method_call = on_who };
        guint timeout, known;
        guint64 lookups;
        const char *name;

        g_test_dbus_up(bus);
        server = connect_to(bus);
        name = g_dbus_connection_get_unique_name(server);
        info = g_dbus_node_info_new_for_xml(who_xml, &error);
        g_assert_no_error(error);
        g_dbus_connection_register_object(server, "/t", info->interfaces[0], &vtable, NULL, NULL, &error);
        g_assert_no_error(error);
        timeout = g_timeout_add_seconds(20, on_timeout, NULL);

        /* The bus is asked once per connection, however often it calls. */
        first = connect_to(bus);
        assert_who(first, name);
        assert_cache(server, 1, 1);
        assert_who(first, name);
        assert_who(first, name);
        assert_cache(server, 1, 1);
        second = connect_to(bus);
        assert_who(second, name);
        assert_cache(server, 2, 2);

        /* A name that leaves takes its entry with it (NameOwnerChanged). */
        g_dbus_connection_close_sync(first, NULL, &error);
        g_assert_no_error(error);
        do {
                g_main_context_iteration(NULL, TRUE);
                biogated_caller_cache_stats(server, &known, &lookups);
        } while (known != 1);
        assert_who(second, name);
        assert_cache(server, 1, 2);

        g_source_remove(timeout);
        g_dbus_connection_close_sync(second, NULL, NULL);
        g_dbus_connection_close_sync(server, NULL, NULL);
        g_test_dbus_down(bus);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/caller/polkit-action", test_polkit_action);
        g_test_add_func("/caller/builtin-rule", test_builtin_rule);
        g_test_add_func("/caller/credentials-cached", test_credentials_cached);
        return g_test_run();
}
