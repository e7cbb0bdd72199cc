/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fprintd's D-Bus API on biogated against hostile users: uid 65534 (its
 * connections made as that uid, security-fixture.c) tries to claim, act on,
 * listen to, enrol and delete for root; every method of both interfaces gets
 * hostile arguments in hostile orders; a claimer disappears mid-verify; and
 * a compat-API verification shares the sensor with another user's
 * org.biogate1 one. The real daemon on the virtual sensor throughout. */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "fprint-fixture.h"
#include "security-fixture.h"

#define FPRINT_ERROR(name) FPRINT_ERROR_PREFIX name
#define FINGER_NEEDED_TRUE "PropertiesChanged ('" FPRINT_DEVICE_IFACE "', {'finger-needed': <true>}"
#define VERIFY_MATCH "VerifyStatus ('verify-match', true)"

static void expect_error(GDBusConnection *conn, const char *method, GVariant *params, const char *name) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = device_call(conn, method, params, NULL, &error);

        if (reply)
                g_error("%s succeeded; expected %s", method, name);
        assert_dbus_error(error, name);
}

static void expect_ok(GDBusConnection *conn, const char *method, GVariant *params) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = device_call(conn, method, params, NULL, &error);

        if (error)
                g_error("%s: %s", method, error->message);
}

static gboolean property_bool(GDBusConnection *conn, const char *name) {
        g_autoptr(GVariant) value = device_property(conn, name);

        return g_variant_get_boolean(value);
}

typedef struct HeardWait {
        Heard *heard;
        const char *prefix;
} HeardWait;

static gboolean heard_wait_cond(gpointer user_data) {
        HeardWait *w = user_data;

        return heard_contains(w->heard, w->prefix);
}

static void heard_wait(Heard *heard, const char *prefix) {
        HeardWait w = { heard, prefix };

        if (!btf_wait_until(heard_wait_cond, &w, T))
                g_error("never heard %s (%u signals heard)", prefix, heard->signals->len);
}

/* Forgets what was heard, for the next operation of the same claim. */
static void heard_reset(Heard *heard) {
        g_ptr_array_set_size(heard->signals, 0);
        heard->done = FALSE;
}

/* Root's claim for itself with a verification waiting for the finger. */
static void root_verify_waiting(Fixture *f, Heard *heard) {
        expect_ok(f->conn, "Claim", g_variant_new("(s)", ""));
        expect_ok(f->conn, "VerifyStart", g_variant_new("(s)", "any"));
        heard_wait(heard, FINGER_NEEDED_TRUE);
}

static void touch_and_match(Fixture *f, Heard *heard, const char *id) {
        touch(f, id);
        g_assert_true(btf_wait_until(heard_done, heard, T));
        g_assert_true(heard_contains(heard, VERIFY_MATCH));
}

static guint n_root_fingers(Fixture *f) {
        g_auto(GStrv) fingers = list_fingers(f->conn, "");

        return g_strv_length(fingers);
}

/* ---- 1. uid 65534 cannot claim, list or delete for root ---- */

static void test_nobody_cannot_claim_root(Fixture *f, gconstpointer data) {
        g_autoptr(GDBusConnection) nobody = security_connect_as(f, NOBODY, NOBODY);
        g_auto(GStrv) own = NULL;

        enroll(f, "", "right-index-finger", "root-finger");
        enroll(f, "nobody", "left-thumb", "nobody-finger");
        expect_error(nobody, "Claim", g_variant_new("(s)", "root"), FPRINT_ERROR("PermissionDenied"));
        expect_error(nobody, "Claim", g_variant_new("(s)", OTHER_USER), FPRINT_ERROR("PermissionDenied"));
        expect_error(nobody, "ListEnrolledFingers", g_variant_new("(s)", "root"), FPRINT_ERROR("PermissionDenied"));
        /* The deprecated deletion that needs no claim names its user. */
        expect_error(nobody, "DeleteEnrolledFingers", g_variant_new("(s)", "root"),
                     FPRINT_ERROR("PermissionDenied"));

        /* With a claim of its own: the deprecated deletion still acts on
         * the user it names, as fprintd's does (refused for root), never
         * on the claim's user instead; the others act on the claim's. */
        expect_ok(nobody, "Claim", g_variant_new("(s)", ""));
        expect_error(nobody, "DeleteEnrolledFingers", g_variant_new("(s)", "root"),
                     FPRINT_ERROR("PermissionDenied"));
        own = list_fingers(f->conn, "nobody");
        g_assert_cmpuint(g_strv_length(own), ==, 1);
        expect_error(nobody, "DeleteEnrolledFinger", g_variant_new("(s)", "right-index-finger"),
                     FPRINT_ERROR("NoEnrolledPrints"));
        expect_ok(nobody, "DeleteEnrolledFingers2", NULL);
        expect_ok(nobody, "Release", NULL);

        g_assert_cmpuint(n_root_fingers(f), ==, 1);
        g_strfreev(own);
        own = list_fingers(f->conn, "nobody");
        g_assert_cmpuint(g_strv_length(own), ==, 0);
}

/* ---- 2. nor act on root's claim ---- */

static void test_nobody_cannot_act_on_others_claim(Fixture *f, gconstpointer data) {
        static const struct {
                const char *method, *arg;
        } attacks[] = {
                { "VerifyStop", NULL },
                { "Release", NULL },
                { "EnrollStop", NULL },
                { "VerifyStart", "any" },
                { "EnrollStart", "left-thumb" },
                { "DeleteEnrolledFingers2", NULL },
                { "DeleteEnrolledFinger", "right-index-finger" },
        };
        g_autoptr(GDBusConnection) nobody = security_connect_as(f, NOBODY, NOBODY);
        Heard root = { 0 };
        guint id;

        enroll(f, "", "right-index-finger", "root-finger");
        id = fprint_listen(f->conn, &root);
        root_verify_waiting(f, &root);

        /* Claims are the client's: nobody has none, whoever else has one. */
        for (gsize i = 0; i < G_N_ELEMENTS(attacks); i++)
                expect_error(nobody, attacks[i].method,
                             attacks[i].arg ? g_variant_new("(s)", attacks[i].arg) : NULL,
                             FPRINT_ERROR("ClaimDevice"));
        /* Nor does a claim of its own reach root's action. */
        expect_ok(nobody, "Claim", g_variant_new("(s)", ""));
        expect_error(nobody, "VerifyStop", NULL, FPRINT_ERROR("NoActionInProgress"));
        expect_ok(nobody, "Release", NULL);

        g_assert_true(property_bool(f->conn, "finger-needed"));
        touch_and_match(f, &root, "root-finger");
        g_assert_cmpuint(n_root_fingers(f), ==, 1);
        expect_ok(f->conn, "VerifyStop", NULL);
        expect_ok(f->conn, "Release", NULL);
        g_dbus_connection_signal_unsubscribe(f->conn, id);
        g_ptr_array_unref(root.signals);
}

/* ---- 3. nor hear anything of it ---- */

/* Everything that reaches a connection except from the bus itself. */
typedef struct Spy {
        GMutex lock;
        GPtrArray *messages;
        const char *unique_name;
} Spy;

/* Runs in GDBus's worker thread, for every message in arrival order. */
static GDBusMessage *spy_filter(GDBusConnection *conn, GDBusMessage *message, gboolean incoming, gpointer user_data) {
        Spy *spy = user_data;
        const char *sender = g_dbus_message_get_sender(message);
        const char *destination = g_dbus_message_get_destination(message);
        GDBusMessageType type = g_dbus_message_get_message_type(message);

        if (!incoming || g_strcmp0(sender, "org.freedesktop.DBus") == 0)
                return message;
        /* Replies to our own calls are for us; anything else (a signal, or
         * someone else's call or reply) is what must not arrive. */
        if (type == G_DBUS_MESSAGE_TYPE_SIGNAL || g_strcmp0(destination, spy->unique_name) != 0) {
                g_mutex_lock(&spy->lock);
                g_ptr_array_add(spy->messages, g_dbus_message_print(message, 0));
                g_mutex_unlock(&spy->lock);
        }
        return message;
}

static void add_match(GDBusConnection *conn, const char *rule) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = g_dbus_connection_call_sync(conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                                "org.freedesktop.DBus", "AddMatch",
                                                                g_variant_new("(s)", rule), NULL,
                                                                G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);

        /* The bus may accept the rule and still deliver nothing to it: its
         * policy decides each eavesdropped message. Either way, below. */
        g_test_message("AddMatch %s as uid %u: %s", rule, NOBODY, error ? error->message : "accepted");
}

static void on_any_signal(GDBusConnection *conn, const char *sender, const char *path, const char *iface,
                          const char *member, GVariant *params, gpointer user_data) {
        (*(guint *) user_data)++;
}

static void test_nobody_hears_nothing(Fixture *f, gconstpointer data) {
        g_autoptr(GDBusConnection) nobody = security_connect_as(f, NOBODY, NOBODY);
        g_autoptr(GDBusConnection) monitor = security_connect_as(f, NOBODY, NOBODY);
        g_autoptr(GVariant) reply = NULL, all = NULL, needed = NULL;
        g_autoptr(GError) error = NULL;
        Spy spy = { .messages = g_ptr_array_new_with_free_func(g_free),
                    .unique_name = g_dbus_connection_get_unique_name(nobody) };
        Heard root = { 0 };
        guint filter, root_id, any_id, fprint_id, n_any = 0, n_fprint = 0;

        g_mutex_init(&spy.lock);
        enroll(f, "", "right-index-finger", "root-finger");
        filter = g_dbus_connection_add_filter(nobody, spy_filter, &spy, NULL);
        any_id = g_dbus_connection_signal_subscribe(nobody, NULL, NULL, NULL, NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                    on_any_signal, &n_any, NULL);
        fprint_id = g_dbus_connection_signal_subscribe(nobody, FPRINT_NAME, NULL, NULL, NULL, NULL,
                                                       G_DBUS_SIGNAL_FLAGS_NONE, on_any_signal, &n_fprint, NULL);
        add_match(nobody, "eavesdrop='true'");
        add_match(nobody, "eavesdrop='true',sender='" FPRINT_NAME "'");
        /* A monitor sees everything: the bus lets only root (its own uid)
         * become one. */
        reply = g_dbus_connection_call_sync(monitor, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                            "org.freedesktop.Monitoring", "BecomeMonitor",
                                            g_variant_new("(asu)", NULL, 0), NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                            &error);
        assert_dbus_error(error, "org.freedesktop.DBus.Error.AccessDenied");
        g_clear_error(&error);

        root_id = fprint_listen(f->conn, &root);
        root_verify_waiting(f, &root);
        /* The property is per claim: root's verification needs a finger,
         * nobody's (non-existent) claim does not. */
        g_assert_true(property_bool(f->conn, "finger-needed"));
        g_assert_false(property_bool(nobody, "finger-needed"));
        all = fprint_call(nobody, FPRINT_DEVICE, "org.freedesktop.DBus.Properties", "GetAll",
                          g_variant_new("(s)", FPRINT_DEVICE_IFACE), "(a{sv})", &error);
        g_assert_no_error(error);
        needed = g_variant_lookup_value(g_variant_get_child_value(all, 0), "finger-needed", G_VARIANT_TYPE_BOOLEAN);
        g_assert_nonnull(needed);
        g_assert_false(g_variant_get_boolean(needed));

        touch_and_match(f, &root, "root-finger");
        g_assert_true(heard_contains(&root, "VerifyFingerSelected"));
        expect_ok(f->conn, "VerifyStop", NULL);
        expect_ok(f->conn, "Release", NULL);
        /* Whatever biogated sent nobody meanwhile has arrived by now. */
        round_trip(nobody);

        g_mutex_lock(&spy.lock);
        for (guint i = 0; i < spy.messages->len; i++)
                g_test_message("nobody received: %s", (char *) spy.messages->pdata[i]);
        g_assert_cmpuint(spy.messages->len, ==, 0);
        g_mutex_unlock(&spy.lock);
        g_assert_cmpuint(n_fprint, ==, 0);
        g_assert_cmpuint(n_any, ==, 0);

        g_dbus_connection_remove_filter(nobody, filter);
        g_dbus_connection_signal_unsubscribe(nobody, any_id);
        g_dbus_connection_signal_unsubscribe(nobody, fprint_id);
        g_dbus_connection_signal_unsubscribe(f->conn, root_id);
        g_ptr_array_unref(root.signals);
        g_ptr_array_unref(spy.messages);
        g_mutex_clear(&spy.lock);
}

/* ---- 4. nor enrol for root ---- */

static void test_nobody_cannot_enroll_for_root(Fixture *f, gconstpointer data) {
        g_autoptr(GDBusConnection) nobody = security_connect_as(f, NOBODY, NOBODY);
        g_autoptr(GDBusConnection) second = security_connect_as(f, NOBODY, NOBODY);
        g_auto(GStrv) own = NULL;

        /* For itself, enrolment goes as far as the consent it has not
         * recorded: the claim and the gate let it through. */
        expect_ok(nobody, "Claim", g_variant_new("(s)", ""));
        expect_error(nobody, "EnrollStart", g_variant_new("(s)", "right-index-finger"),
                     FPRINT_ERROR("ConsentRequired"));
        /* For root it never gets a claim to start from, with or without
         * one of its own on another connection. */
        expect_error(second, "Claim", g_variant_new("(s)", "root"), FPRINT_ERROR("PermissionDenied"));
        expect_ok(nobody, "Release", NULL);
        expect_error(nobody, "Claim", g_variant_new("(s)", "root"), FPRINT_ERROR("PermissionDenied"));
        expect_error(nobody, "EnrollStart", g_variant_new("(s)", "right-index-finger"), FPRINT_ERROR("ClaimDevice"));

        g_assert_cmpuint(n_root_fingers(f), ==, 0);
        own = list_fingers(f->conn, "nobody");
        g_assert_cmpuint(g_strv_length(own), ==, 0);
}

/* ---- 5. hostile calls ---- */

#define LONG_VALUES 4
/* Long strings: at the name-lookup bound (256) and past it, at the bound on
 * any string (BIOGATED_STRING_MAX, 4096) and past it. */
static const gsize long_lengths[LONG_VALUES] = { 256, 257, 4096, 5000 };
#define STRING_MAX 4096

static const char *const odd_values[] = {
        "", "any", "right-index-finger", "left-thumb", "root", "nobody", OTHER_USER, "../", "../../../etc/shadow",
        "right-index-finger/../left-thumb", "Right-Index-Finger", " right-index-finger", "right-index-finger\n",
        "right-index-fingers", "left-thumb\t", "%s%s%s%n", "\xe2\x80\x8b", "r\xc3\xa9ight-index-finger", "-", "0",
        "4294967295", "*", "any any",
};

typedef struct Hostile {
        GPtrArray *values;      /* odd_values, then the long ones */
        guint calls, refused, succeeded;
        GHashTable *names;      /* error name → count */
} Hostile;

/* One reply: a success, or an error with a name (never a local error
 * such as a time-out). Returns the error name or NULL. */
static const char *check_reply(Hostile *h, const char *what, gsize longest, GVariant *reply, GError *error) {
        g_autofree char *name = NULL;
        gpointer count;

        h->calls++;
        if (reply) {
                h->succeeded++;
                return NULL;
        }
        name = g_dbus_error_get_remote_error(error);
        if (!name)
                g_error("%s: no reply from biogated: %s", what, error->message);
        /* fprintd's error names, or the bounds filter's refusal of a string
         * past its bound (it answers before any method runs). */
        if (!g_str_has_prefix(name, FPRINT_ERROR_PREFIX) &&
            !(longest > STRING_MAX && g_str_equal(name, "org.biogate1.Error.ArgumentTooLarge")))
                g_error("%s: unexpected error %s: %s", what, name, error->message);
        h->refused++;
        count = g_hash_table_lookup(h->names, name);
        g_hash_table_insert(h->names, g_strdup(name), GUINT_TO_POINTER(GPOINTER_TO_UINT(count) + 1));
        return g_intern_string(name);
}

/* A Claim that must hold; anything else the hostile caller may fail at. */
static void hostile_call(Hostile *h, GDBusConnection *conn, const char *identity, const char *iface,
                         const char *path, const char *method, const char *value, gboolean *claimed) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = g_dbus_connection_call_sync(conn, FPRINT_NAME, path, iface, method,
                                                                value ? g_variant_new("(s)", value) : NULL, NULL,
                                                                G_DBUS_CALL_FLAGS_NO_AUTO_START, 20000, NULL, &error);
        g_autofree char *what = g_strdup_printf("%s: %s(%.40s%s)", identity, method, value ? value : "",
                                                value && strlen(value) > 40 ? "..." : "");
        const char *name = check_reply(h, what, value ? strlen(value) : 0, reply, error);

        if (g_str_equal(method, "Claim") && !name) {
                /* uid 65534 claims for itself or not at all. */
                if (g_str_equal(identity, "nobody"))
                        g_assert_true(g_str_equal(value, "") || g_str_equal(value, "nobody"));
                *claimed = TRUE;
        }
        if (g_str_equal(method, "Release") && !name)
                *claimed = FALSE;
}

/* Every method of the served interfaces with each value for its string
 * argument (once if it has none), by conn; with a claim for claim_user
 * held before each call (re-taken after a Release) unless NULL. Root skips
 * what would delete its own prints, which the end of the test needs. */
static void hostile_round(Fixture *f, Hostile *h, GDBusConnection *conn, const char *identity,
                          const char *claim_user) {
        static const struct {
                const char *iface, *path;
        } objects[] = {
                { FPRINT_MANAGER_IFACE, FPRINT_MANAGER },
                { FPRINT_DEVICE_IFACE, FPRINT_DEVICE },
        };
        gboolean claimed = FALSE;

        for (gsize o = 0; o < G_N_ELEMENTS(objects); o++) {
                g_autoptr(GDBusInterfaceInfo) info = served_interface(f, objects[o].path, objects[o].iface);

                for (guint m = 0; info->methods[m]; m++) {
                        GDBusMethodInfo *method = info->methods[m];
                        guint n_args = method->in_args ? g_strv_length((char **) method->in_args) : 0;

                        /* fprintd's methods take one string or nothing. */
                        g_assert_cmpuint(n_args, <=, 1);
                        if (n_args == 1)
                                g_assert_cmpstr(method->in_args[0]->signature, ==, "s");
                        for (guint v = 0; v < (n_args ? h->values->len : 1); v++) {
                                const char *value = n_args ? h->values->pdata[v] : NULL;

                                if (g_str_equal(identity, "root") &&
                                    g_str_equal(method->name, "DeleteEnrolledFingers") &&
                                    (g_str_equal(value, "") || g_str_equal(value, "root")))
                                        continue;
                                if (claim_user && !claimed)
                                        hostile_call(h, conn, identity, FPRINT_DEVICE_IFACE, FPRINT_DEVICE, "Claim",
                                                     claim_user, &claimed);
                                if (claim_user)
                                        g_assert_true(claimed);
                                hostile_call(h, conn, identity, objects[o].iface, objects[o].path, method->name,
                                             value, &claimed);
                                /* Without a claim between the calls. */
                                if (!claim_user && claimed)
                                        hostile_call(h, conn, identity, FPRINT_DEVICE_IFACE, FPRINT_DEVICE,
                                                     "Release", NULL, &claimed);
                        }
                }
        }
        if (claimed)
                hostile_call(h, conn, identity, FPRINT_DEVICE_IFACE, FPRINT_DEVICE, "Release", NULL, &claimed);
}

/* Calls sent without waiting for each other's replies. */
typedef struct Burst {
        Hostile *h;
        const char *identity;
        guint pending;
        GPtrArray *names;       /* each reply's error name or "ok", in call order */
} Burst;

typedef struct BurstCall {
        Burst *burst;
        guint index;
        char *method;
} BurstCall;

static void on_burst_reply(GObject *source, GAsyncResult *res, gpointer user_data) {
        BurstCall *call = user_data;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
        g_autofree char *what = g_strdup_printf("%s: %s (burst)", call->burst->identity, call->method);
        const char *name = check_reply(call->burst->h, what, 0, reply, error);

        call->burst->names->pdata[call->index] = (gpointer) (name ? name : "ok");
        call->burst->pending--;
        g_free(call->method);
        g_free(call);
}

static gboolean burst_done(gpointer user_data) {
        return ((Burst *) user_data)->pending == 0;
}

/* "Method" or "Method:argument" each; waits for every reply. The replies'
 * names (g_intern_string()ed, "ok" for a success) in call order. */
static GPtrArray *burst(Hostile *h, GDBusConnection *conn, const char *identity, const char *const *calls) {
        Burst b = { .h = h, .identity = identity, .names = g_ptr_array_new() };

        for (guint i = 0; calls[i]; i++) {
                BurstCall *call = g_new0(BurstCall, 1);
                const char *colon = strchr(calls[i], ':');

                *call = (BurstCall) { .burst = &b, .index = i,
                                      .method = colon ? g_strndup(calls[i], colon - calls[i]) : g_strdup(calls[i]) };
                g_ptr_array_add(b.names, NULL);
                b.pending++;
                g_dbus_connection_call(conn, FPRINT_NAME, FPRINT_DEVICE, FPRINT_DEVICE_IFACE, call->method,
                                       colon ? g_variant_new("(s)", colon + 1) : NULL, NULL,
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, 20000, NULL, on_burst_reply, call);
        }
        if (!btf_wait_until(burst_done, &b, T))
                g_error("%s: %u calls of a burst never answered", identity, b.pending);
        return b.names;
}

/* The reply at index is one of the NULL-terminated names ("ok": a
 * success). */
static void assert_burst(GPtrArray *names, guint index, const char *const *allowed) {
        for (guint i = 0; allowed[i]; i++)
                if (g_str_equal(names->pdata[index], allowed[i]))
                        return;
        g_error("reply %u of a burst: %s", index, (char *) names->pdata[index]);
}

#define ONE_OF(...) ((const char *const[]) { __VA_ARGS__, NULL })

/* One call whose answer is known: want is the error name or "ok". */
static void expect_hostile(Hostile *h, GDBusConnection *conn, const char *identity, const char *method,
                           const char *value, const char *want) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = device_call(conn, method, value ? g_variant_new("(s)", value) : NULL, NULL,
                                                &error);
        g_autofree char *what = g_strdup_printf("%s: %s(%s)", identity, method, value ? value : "");
        const char *name = check_reply(h, what, 0, reply, error);

        g_assert_cmpstr(name ? name : "ok", ==, want);
}

/* The orders a client can get wrong or abuse, by conn for claim_user
 * (whose prints exist if has_prints). Calls in a burst reach the daemon
 * one after the other, but a Claim or a Start finishes after the gate's
 * own round trips: only what cannot depend on that is asserted exactly. */
static void hostile_orders(Hostile *h, GDBusConnection *conn, const char *identity, const char *claim_user,
                           gboolean has_prints) {
        g_autofree char *claim = g_strdup_printf("Claim:%s", claim_user);
        g_autoptr(GPtrArray) storm = NULL, twice = NULL, release_during = NULL, stop_during = NULL;
        g_autoptr(GPtrArray) storm_calls = g_ptr_array_new_with_free_func(g_free);
        const char *release_left;

        /* A Claim/Release storm: 50 pairs in flight at once; each answer
         * named, and at most one claim left, which Release ends. */
        for (guint i = 0; i < 50; i++) {
                g_ptr_array_add(storm_calls, g_strdup(claim));
                g_ptr_array_add(storm_calls, g_strdup("Release"));
        }
        g_ptr_array_add(storm_calls, NULL);
        storm = burst(h, conn, identity, (const char *const *) storm_calls->pdata);
        for (guint i = 0; i < 100; i += 2) {
                assert_burst(storm, i, ONE_OF("ok", FPRINT_ERROR("AlreadyInUse")));
                assert_burst(storm, i + 1, ONE_OF("ok", FPRINT_ERROR("ClaimDevice")));
        }
        {
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) reply = device_call(conn, "Release", NULL, NULL, &error);

                release_left = check_reply(h, "Release after the storm", 0, reply, error);
                g_assert_true(!release_left || g_str_equal(release_left, FPRINT_ERROR("ClaimDevice")));
        }

        /* Stops without a start, a release without a claim. */
        expect_hostile(h, conn, identity, "VerifyStop", NULL, FPRINT_ERROR("ClaimDevice"));
        expect_hostile(h, conn, identity, "Claim", claim_user, "ok");
        expect_hostile(h, conn, identity, "VerifyStop", NULL, FPRINT_ERROR("NoActionInProgress"));
        expect_hostile(h, conn, identity, "EnrollStop", NULL, FPRINT_ERROR("NoActionInProgress"));
        expect_hostile(h, conn, identity, "Release", NULL, "ok");
        expect_hostile(h, conn, identity, "Release", NULL, FPRINT_ERROR("ClaimDevice"));

        /* A start twice, and the other start during it. With prints the
         * verification runs until its Stop, so whatever comes meanwhile
         * is refused; without, it may have failed already. */
        expect_hostile(h, conn, identity, "Claim", claim_user, "ok");
        twice = burst(h, conn, identity,
                      (const char *const[]) { "VerifyStart:any", "VerifyStart:any", "EnrollStart:left-thumb",
                                              "EnrollStop", NULL });
        if (has_prints) {
                assert_burst(twice, 0, ONE_OF("ok"));
                assert_burst(twice, 1, ONE_OF(FPRINT_ERROR("AlreadyInUse")));
                assert_burst(twice, 2, ONE_OF(FPRINT_ERROR("AlreadyInUse")));
                assert_burst(twice, 3, ONE_OF(FPRINT_ERROR("AlreadyInUse")));
                expect_hostile(h, conn, identity, "VerifyStop", NULL, "ok");
        } else {
                assert_burst(twice, 0, ONE_OF(FPRINT_ERROR("NoEnrolledPrints")));
                assert_burst(twice, 1, ONE_OF(FPRINT_ERROR("AlreadyInUse"), FPRINT_ERROR("NoEnrolledPrints")));
                assert_burst(twice, 2, ONE_OF(FPRINT_ERROR("AlreadyInUse"), FPRINT_ERROR("ConsentRequired")));
                assert_burst(twice, 3, ONE_OF(FPRINT_ERROR("AlreadyInUse"), FPRINT_ERROR("NoActionInProgress")));
        }

        /* A Release and a Stop while the Start is at the gate or starting:
         * they succeed; the start fails or succeeds, and its operation
         * ends either way (the sensor is free at the end of the test). */
        release_during = burst(h, conn, identity, (const char *const[]) { "VerifyStart:any", "Release", NULL });
        assert_burst(release_during, 1, ONE_OF("ok"));
        expect_hostile(h, conn, identity, "Claim", claim_user, "ok");
        stop_during = burst(h, conn, identity, (const char *const[]) { "VerifyStart:any", "VerifyStop", NULL });
        if (has_prints)
                assert_burst(stop_during, 1, ONE_OF("ok"));
        else
                assert_burst(stop_during, 1, ONE_OF("ok", FPRINT_ERROR("NoActionInProgress")));
        expect_hostile(h, conn, identity, "Release", NULL, "ok");
}

static void test_hostile_calls(Fixture *f, gconstpointer data) {
        g_autoptr(GDBusConnection) nobody = security_connect_as(f, NOBODY, NOBODY);
        g_autoptr(GDBusConnection) root = security_connect_as(f, 0, 0);
        g_autoptr(GDBusConnection) leaver = security_connect_as(f, NOBODY, NOBODY);
        g_autoptr(GVariant) devices = NULL;
        g_autoptr(GError) error = NULL;
        Hostile h = { .values = g_ptr_array_new_with_free_func(g_free),
                      .names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL) };
        GPid pid = btf_daemon_get_pid(f->daemon);
        GHashTableIter iter;
        gpointer name, count;
        Heard heard = { 0 };
        guint id;

        for (gsize i = 0; i < G_N_ELEMENTS(odd_values); i++)
                g_ptr_array_add(h.values, g_strdup(odd_values[i]));
        for (gsize i = 0; i < LONG_VALUES; i++) {
                char *s = g_malloc(long_lengths[i] + 1);

                memset(s, i % 2 ? 'a' : '/', long_lengths[i]);
                s[long_lengths[i]] = '\0';
                g_ptr_array_add(h.values, s);
        }
        enroll(f, "", "right-index-finger", "root-finger");

        hostile_round(f, &h, nobody, "nobody", NULL);
        hostile_round(f, &h, nobody, "nobody", "");
        hostile_round(f, &h, root, "root", NULL);
        /* Root's claim for another user: nothing it does there can touch
         * root's own print. */
        hostile_round(f, &h, root, "root", OTHER_USER);
        hostile_orders(&h, nobody, "nobody", "", FALSE);
        hostile_orders(&h, root, "root", "", TRUE);

        /* A client that leaves with a Start in flight. */
        expect_ok(leaver, "Claim", g_variant_new("(s)", ""));
        g_dbus_connection_call(leaver, FPRINT_NAME, FPRINT_DEVICE, FPRINT_DEVICE_IFACE, "VerifyStart",
                               g_variant_new("(s)", "any"), NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, NULL,
                               NULL);
        g_assert_true(g_dbus_connection_close_sync(leaver, NULL, &error));
        g_assert_no_error(error);

        g_hash_table_iter_init(&iter, h.names);
        while (g_hash_table_iter_next(&iter, &name, &count))
                g_test_message("%u x %s", GPOINTER_TO_UINT(count), (char *) name);
        g_test_message("%u hostile calls: %u refused with a named error, %u succeeded", h.calls, h.refused,
                       h.succeeded);

        /* Still the same daemon, answering, with no claim left behind:
         * a fresh client's verification gets the sensor and matches. */
        g_assert_cmpint(btf_daemon_get_pid(f->daemon), ==, pid);
        g_assert_cmpint(kill(pid, 0), ==, 0);
        devices = fprint_call(f->conn, FPRINT_MANAGER, FPRINT_MANAGER_IFACE, "GetDevices", NULL, "(ao)", &error);
        g_assert_no_error(error);
        g_assert_cmpuint(n_root_fingers(f), ==, 1);
        id = fprint_listen(f->conn, &heard);
        root_verify_waiting(f, &heard);
        touch_and_match(f, &heard, "root-finger");
        expect_ok(f->conn, "VerifyStop", NULL);
        expect_ok(f->conn, "Release", NULL);
        g_dbus_connection_signal_unsubscribe(f->conn, id);
        g_ptr_array_unref(heard.signals);
        g_ptr_array_unref(h.values);
        g_hash_table_unref(h.names);
}

/* ---- 6. a claimer that leaves ---- */

static void test_claimer_leaves(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfProc) proc = NULL;
        g_autofree char *log = NULL;
        Heard heard = { 0 };
        gint64 killed;
        guint id;

        enroll(f, "", "right-index-finger", "root-finger");
        /* fprintd-verify claims, starts a verification and waits for the
         * finger: killed there, it never says Stop or Release. */
        proc = btf_spawn_async((const char *const[]) { "stdbuf", "-oL", "fprintd-verify", "root", NULL }, NULL,
                               &error);
        g_assert_no_error(error);
        if (!btf_proc_wait_output(proc, BTF_STDOUT, "Verifying: ", T, &error))
                g_error("fprintd-verify: %s (it wrote: %s%s)", error->message, btf_proc_get_stdout(proc),
                        btf_proc_get_stderr(proc));
        btf_proc_kill(proc, SIGKILL);
        g_assert_true(btf_proc_wait(proc, T, NULL, &error));
        g_assert_no_error(error);
        killed = g_get_monotonic_time();

        /* Its verification would hold the sensor for its 60 s: the next
         * one gets it at once instead, and the touch is its own. */
        id = fprint_listen(f->conn, &heard);
        root_verify_waiting(f, &heard);
        g_test_message("the sensor was free %.2f s after the claimer was killed",
                       (g_get_monotonic_time() - killed) / 1e6);
        g_assert_cmpint(g_get_monotonic_time() - killed, <, 20 * G_USEC_PER_SEC);
        touch_and_match(f, &heard, "root-finger");
        expect_ok(f->conn, "VerifyStop", NULL);
        expect_ok(f->conn, "Release", NULL);
        /* Not only its operation (which ends with its owner anyway,
         * biogated-operation.c): its claim is gone too, not left behind. */
        log = btf_daemon_read_log(f->daemon);
        g_assert_nonnull(strstr(log, "left the bus: its claim ends"));
        g_dbus_connection_signal_unsubscribe(f->conn, id);
        g_ptr_array_unref(heard.signals);
}

/* ---- 7. a compat-API verify and an org.biogate1 verify share the sensor ---- */

/* Root's verification through fprintd's API (what pam_fprintd does) and
 * uid 1's own through org.biogate1, started one right after the other.
 * The queue's rule (biogated-device.c): one operation on the sensor at a
 * time; logins first, each kind in arrival order; a login may take the
 * sensor from another user's ordinary operation (which ends with
 * DeviceBusy and a retry-after), but a login for the same user only once
 * per BIOGATED_LOGIN_PREEMPT_INTERVAL_SECONDS, so that the other user is
 * not starved by repeated logins. Root's VerifyStart is a login here
 * (biogated-start.c, service "fprintd-api"): there is no logind on this
 * private bus, which the daemon takes as no login session, as for gdm's
 * worker before pam_systemd (docs/design.md, "Logins go first"). So,
 * asserted in turn:
 * - the compat verify first: uid 1's waits "queued", then each matches;
 * - uid 1's first: the login takes the sensor, uid 1's ends DeviceBusy,
 *   root matches, uid 1's retry matches;
 * - uid 1's first again, within the interval: the login waits this time,
 *   uid 1's matches, then root's. */
/* uid 1's own verification through org.biogate1, once it has the sensor. */
static BtfOp *own_verify_waiting(GDBusConnection *conn) {
        g_autoptr(GError) error = NULL;
        BtfOp *op = start_op(conn, "Verify", g_variant_new("(sa{sv})", "", NULL), &error);

        g_assert_no_error(error);
        wait_finger_needed(op);
        return op;
}

static void own_touch_and_match(Fixture *f, GDBusConnection *conn, BtfOp *op, const char *id) {
        g_autofree char *result = NULL;

        touch(f, id);
        result = wait_finished(op, NULL);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
        release(conn, op);
}

static void test_interleaving(Fixture *f, gconstpointer data) {
        g_autoptr(GDBusConnection) daemon_user = security_connect_as(f, 1, 1);
        g_autoptr(BtfOp) queued = NULL, preempted = NULL, retried = NULL, kept = NULL;
        g_autoptr(GVariant) details = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *state = NULL, *result = NULL, *log = NULL;
        Heard root = { 0 };
        guint id;

        enroll(f, "", "right-index-finger", "root-finger");
        enroll(f, OTHER_USER, "left-thumb", "daemon-finger");
        id = fprint_listen(f->conn, &root);

        /* The compat API first: uid 1 waits its turn. */
        root_verify_waiting(f, &root);
        queued = start_op(daemon_user, "Verify", g_variant_new("(sa{sv})", "", NULL), &error);
        g_assert_no_error(error);
        state = get_state(daemon_user, queued);
        g_assert_cmpstr(state, ==, "queued");
        touch_and_match(f, &root, "root-finger");
        expect_ok(f->conn, "VerifyStop", NULL);
        wait_finger_needed(queued);
        own_touch_and_match(f, daemon_user, queued, "daemon-finger");

        /* uid 1 first: the login takes the sensor, uid 1 is told to retry. */
        heard_reset(&root);
        preempted = own_verify_waiting(daemon_user);
        expect_ok(f->conn, "VerifyStart", g_variant_new("(s)", "any"));
        result = wait_finished(preempted, &details);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_FAILED);
        g_assert_cmpstr(detail_string(details, "error"), ==, "org.biogate1.Error.DeviceBusy");
        release(daemon_user, preempted);
        heard_wait(&root, FINGER_NEEDED_TRUE);
        touch_and_match(f, &root, "root-finger");
        expect_ok(f->conn, "VerifyStop", NULL);
        retried = own_verify_waiting(daemon_user);
        own_touch_and_match(f, daemon_user, retried, "daemon-finger");

        /* Again at once: this login waits for uid 1's verification. */
        heard_reset(&root);
        kept = own_verify_waiting(daemon_user);
        expect_ok(f->conn, "VerifyStart", g_variant_new("(s)", "any"));
        g_assert_false(property_bool(f->conn, "finger-needed"));
        own_touch_and_match(f, daemon_user, kept, "daemon-finger");
        heard_wait(&root, FINGER_NEEDED_TRUE);
        touch_and_match(f, &root, "root-finger");
        expect_ok(f->conn, "VerifyStop", NULL);
        expect_ok(f->conn, "Release", NULL);

        /* The daemon's own account of the two decisions. */
        log = btf_daemon_read_log(f->daemon);
        g_assert_nonnull(strstr(log, "A login for uid 0 preempts the operation of uid 1"));
        g_assert_nonnull(strstr(log, "A login for uid 0 waits for the operation of uid 1"));
        g_dbus_connection_signal_unsubscribe(f->conn, id);
        g_ptr_array_unref(root.signals);
}

/* BIOGATED_FPRINT_CLAIMS_MAX_PER_UID (daemon/biogated-fprint.h). */
#define CLAIMS_PER_UID 8u

/* One uid opening connection after connection holds a bounded number of
 * claims; another uid and root are not affected by it, and a released
 * claim makes room. */
static void test_claims_bounded(Fixture *f, gconstpointer data) {
        g_autoptr(GPtrArray) conns = g_ptr_array_new_with_free_func(g_object_unref);
        g_autoptr(GDBusConnection) extra = security_connect_as(f, NOBODY, NOBODY);
        g_autoptr(GDBusConnection) daemon_user = security_connect_as(f, 1, 1);

        for (guint i = 0; i < CLAIMS_PER_UID; i++) {
                GDBusConnection *conn = security_connect_as(f, NOBODY, NOBODY);

                g_ptr_array_add(conns, conn);
                expect_ok(conn, "Claim", g_variant_new("(s)", ""));
        }
        expect_error(extra, "Claim", g_variant_new("(s)", ""), FPRINT_ERROR("AlreadyInUse"));
        expect_ok(daemon_user, "Claim", g_variant_new("(s)", ""));
        expect_ok(f->conn, "Claim", g_variant_new("(s)", ""));

        expect_ok(conns->pdata[0], "Release", NULL);
        expect_ok(extra, "Claim", g_variant_new("(s)", ""));
        expect_error(conns->pdata[0], "Claim", g_variant_new("(s)", ""), FPRINT_ERROR("AlreadyInUse"));
        expect_ok(extra, "Release", NULL);
        expect_ok(daemon_user, "Release", NULL);
        expect_ok(f->conn, "Release", NULL);
}

/* SIGTERM while a deletion through the API is on the writer thread: the
 * deletion's report reads the claim's owner (biogated-fprint.c on_deleted),
 * which biogated_stop() frees; biogated_daemon_run() serves the writer to
 * its end before that. It exits cleanly, the deletion done and audited. (crash-shim.c sends the SIGTERM at the
 * deletion's first step on disk and holds it there.) */
static void test_term_during_delete(Fixture *f, gconstpointer data) {
        const char *preload = g_getenv("BIOGATE_TEST_CRASH_PRELOAD");
        g_autofree char *config_arg = NULL, *arm = g_build_filename(f->tmp, "crash-arm", NULL);
        g_autofree char *e1 = NULL, *e2 = NULL, *e3 = NULL, *log = NULL;
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GError) error = NULL;
        g_auto(GStrv) left = NULL;
        int status = 0;

        if (!preload) {
                g_test_skip("BIOGATE_TEST_CRASH_PRELOAD is not set (run through meson test)");
                return;
        }
        enroll(f, "", "right-index-finger", "root-finger");
        g_assert_true(btf_daemon_stop(f->daemon, &status, &error));
        g_assert_no_error(error);

        e1 = g_strdup_printf("LD_PRELOAD=%s", preload);
        e2 = g_strdup_printf("BIOGATE_TEST_CRASH_DIR=%s", f->state);
        e3 = g_strdup_printf("BIOGATE_TEST_CRASH_ARM=%s", arm);
        write_config(f, "yes", &config_arg);
        fixture_start_daemon_full(f,
                                  (const char *const[]) { e1, e2, e3, "BIOGATE_TEST_CRASH_AT=1",
                                                          "BIOGATE_TEST_CRASH_TERM=1",
                                                          "ASAN_OPTIONS=verify_asan_link_order=0", NULL },
                                  (const char *const[]) { config_arg, NULL });
        g_assert_true(btf_bus_wait_name(f->bus, FPRINT_NAME, T, NULL, &error));
        g_assert_no_error(error);
        expect_ok(f->conn, "Claim", g_variant_new("(s)", ""));
        g_assert_true(g_file_set_contents(arm, "", 0, NULL));
        /* Answered or not: the daemon is on its way out. */
        reply = device_call(f->conn, "DeleteEnrolledFingers2", NULL, NULL, &error);
        g_clear_error(&error);
        g_assert_true(btf_daemon_wait_exit(f->daemon, T, &status, &error));
        g_assert_no_error(error);
        btf_assert_exit_code(status, 0);
        log = btf_daemon_read_log(f->daemon);
        g_assert_nonnull(strstr(log, "Deleted right-index-finger of root"));

        (void) g_unlink(arm);
        fixture_start_daemon(f, (const char *const[]) { config_arg, NULL });
        left = list_fingers(f->conn, "");
        g_assert_cmpuint(g_strv_length(left), ==, 0);
}

/* A standing consent withdrawn while an enrolment that relied on it runs
 * (the person has second thoughts at the Settings panel, or someone with
 * .setusername enrols them): the template is not stored. */
static void test_withdraw_during_enroll(Fixture *f, gconstpointer data) {
        g_autoptr(GVariant) consented = NULL, withdrawn = NULL;
        g_autoptr(GError) error = NULL;
        g_auto(GStrv) fingers = NULL;
        Heard heard = { 0 };
        guint id;

        consented = manager_call(f->conn, "RecordConsent", g_variant_new("(s)", BIOGATE_TEST_NOTICE_VERSION), NULL,
                                 &error);
        g_assert_no_error(error);
        id = fprint_listen(f->conn, &heard);
        expect_ok(f->conn, "Claim", g_variant_new("(s)", ""));
        expect_ok(f->conn, "EnrollStart", g_variant_new("(s)", "right-index-finger"));
        heard_wait(&heard, FINGER_NEEDED_TRUE);
        g_assert_true(btf_vdev_wait_socket(f->vdev, T, &error));
        g_assert_no_error(error);
        touch(f, "withdrawn-finger");
        heard_wait(&heard, "EnrollStatus ('enroll-stage-passed', false)");
        withdrawn = manager_call(f->conn, "WithdrawConsent", NULL, NULL, &error);
        g_assert_no_error(error);
        /* A touch per stage, each once the one before has been told. */
        do {
                heard_reset(&heard);
                touch(f, "withdrawn-finger");
                heard_wait(&heard, "EnrollStatus ");
        } while (!heard.done);
        g_assert_false(heard_contains(&heard, "EnrollStatus ('enroll-completed'"));
        g_assert_true(heard_contains(&heard, "EnrollStatus ('enroll-unknown-error', true)"));
        expect_ok(f->conn, "EnrollStop", NULL);
        expect_ok(f->conn, "Release", NULL);
        fingers = list_fingers(f->conn, "");
        g_assert_cmpuint(g_strv_length(fingers), ==, 0);
        g_dbus_connection_signal_unsubscribe(f->conn, id);
        g_ptr_array_unref(heard.signals);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

#define ADD(name, fn) g_test_add("/fprint/" name, Fixture, NULL, fprint_setup, fn, fixture_teardown)
        ADD("nobody-cannot-claim-root", test_nobody_cannot_claim_root);
        ADD("nobody-cannot-act-on-others-claim", test_nobody_cannot_act_on_others_claim);
        ADD("nobody-hears-nothing", test_nobody_hears_nothing);
        ADD("nobody-cannot-enroll-for-root", test_nobody_cannot_enroll_for_root);
        ADD("hostile-calls", test_hostile_calls);
        ADD("claimer-leaves", test_claimer_leaves);
        ADD("interleaving", test_interleaving);
        ADD("claims-bounded", test_claims_bounded);
        ADD("withdraw-during-enroll", test_withdraw_during_enroll);
        ADD("term-during-delete", test_term_during_delete);
#undef ADD
        return g_test_run();
}
