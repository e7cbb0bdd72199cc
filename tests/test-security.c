/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Security properties against the real daemon, driven by the API file
 * (daemon/org.biogate1.xml) so that a method added there is covered at
 * once: an unprivileged caller naming other users is refused everywhere;
 * nothing a caller can read carries template or key bytes; planted
 * symbolic links are never followed and the daemon's descriptors do not
 * leak into children; pam_biogate.so leaves no descriptor, thread or bus
 * connection behind in its host. */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <security/_pam_types.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "privacy-fixture.h"
#include "security-fixture.h"
#include "synth-finger.h"

#define PERMISSION_DENIED "org.biogate1.Error.PermissionDenied"
#define AGENT_MANAGER_INTERFACE "org.biogate1.AgentManager"
#define PROPERTIES "org.freedesktop.DBus.Properties"

/* ---- the API, method by method ---- */

/* A withdrawal the test policy asks a fingerprint for. */
#define TX_FIELDS "'kind': <'withdrawal'>, 'amount': <'50000.00'>, 'currency': <'USD'>, 'payee': <'ACME Ltd'>"
#define TX_CHALLENGE "'challenge': <b'0123456789abcdef0123'>"

typedef void (*AllowedCheck)(GVariant *reply, const char *error_name);

/* One row per method of the API. A method with a "user" argument must be
 * refused with PermissionDenied whenever an unprivileged caller names
 * someone else: its row cannot say otherwise. A method without one is
 * refused too, or allowed for the caller itself: then `check` proves that
 * the answer concerns the caller alone, and `why` says why it is allowed. */
typedef struct {
        const char *interface;
        const char *method;
        /* The parameter tuple as GVariant text; @USER@ is the user named. */
        const char *args;
        gboolean allowed;
        AllowedCheck check;
        const char *why;
} ApiRow;

static void check_list_devices(GVariant *reply, const char *error_name) {
        g_assert_null(error_name);
        g_assert_true(g_variant_is_of_type(reply, G_VARIANT_TYPE("(a(ssa{sv}))")));
}

static void check_own_data(GVariant *reply, const char *error_name) {
        g_autoptr(GVariant) data = NULL, fingers = NULL;
        const char *user = NULL;
        guint32 uid = 0;

        g_assert_null(error_name);
        data = g_variant_get_child_value(reply, 0);
        g_assert_true(g_variant_lookup(data, "uid", "u", &uid));
        g_assert_cmpuint(uid, ==, NOBODY);
        g_assert_true(g_variant_lookup(data, "user", "&s", &user));
        g_assert_cmpstr(user, ==, "nobody");
        fingers = g_variant_lookup_value(data, "fingers", G_VARIANT_TYPE_STRING_ARRAY);
        g_assert_nonnull(fingers);
        g_assert_cmpuint(g_variant_n_children(fingers), ==, 0); /* root's finger is not in it */
}

static void check_evaluate(GVariant *reply, const char *error_name) {
        g_autoptr(GVariant) details = NULL;
        const char *rule = NULL, *requirement = NULL;

        g_assert_null(error_name);
        g_variant_get(reply, "(&s&s@a{sv})", &rule, &requirement, &details);
        g_assert_cmpstr(rule, ==, "withdrawals");
        g_assert_cmpstr(requirement, ==, "fingerprint");
        g_assert_false(g_variant_lookup(details, "user", "s", NULL));
}

static void check_authorize(GVariant *reply, const char *error_name) {
        g_assert_null(reply);
        g_assert_cmpstr(error_name, ==, "org.biogate1.Error.NoEnrolledPrints");
}

static void check_public_keys(GVariant *reply, const char *error_name) {
        const char *jwks = NULL;

        g_assert_null(error_name);
        g_variant_get(reply, "(&s)", &jwks);
        g_assert_nonnull(strstr(jwks, "\"OKP\""));
}

/* RecordConsent and WithdrawConsent answer nothing: the daemon has no
 * user argument to act on (test-consent.c shows the record written is
 * the caller's, root's untouched). */
static void check_own_consent(GVariant *reply, const char *error_name) {
        g_assert_null(error_name);
        g_assert_true(g_variant_is_of_type(reply, G_VARIANT_TYPE_UNIT));
}

/* The notice everyone is shown: the vendor's, in the test build. */
static void check_consent_notice(GVariant *reply, const char *error_name) {
        const char *version = NULL, *language = NULL, *text = NULL;

        g_assert_null(error_name);
        g_variant_get(reply, "(&s&s&s)", &version, &language, &text);
        g_assert_cmpstr(version, ==, BIOGATE_TEST_NOTICE_VERSION);
        g_assert_cmpstr(language, ==, "en");
        g_assert_nonnull(strstr(text, "Fingerprint enrolment"));
}

static const ApiRow api_rows[] = {
        { "org.biogate1.Manager", "ListDevices", "()", TRUE, check_list_devices,
          "lists the sensors: no user's data" },
        { "org.biogate1.Manager", "ListFingers", "('@USER@',)" },
        { "org.biogate1.Manager", "Enroll",
          "('@USER@', 'left-little-finger', {'consent': <true>, 'notice-version': <'" BIOGATE_TEST_NOTICE_VERSION
          "'>})" },
        { "org.biogate1.Manager", "Verify", "('@USER@', @a{sv} {})" },
        /* Root's enrolled finger: were the call let through, root's list
         * at the end of nobody-names-other-user would show it. */
        { "org.biogate1.Manager", "DeleteFingers", "('@USER@', ['right-index-finger'])" },
        { "org.biogate1.Manager", "GetMyData", "()", TRUE, check_own_data,
          "the caller's own data, identified by the bus: it names nobody else" },
        { "org.biogate1.Manager", "GetUserData", "('@USER@',)" },
        { "org.biogate1.Manager", "EraseUser", "('@USER@',)" },
        { "org.biogate1.Manager", "RecordConsent", "('" BIOGATE_TEST_NOTICE_VERSION "',)", TRUE, check_own_consent,
          "records the caller's own consent, identified by the bus: it names nobody else" },
        { "org.biogate1.Manager", "WithdrawConsent", "()", TRUE, check_own_consent,
          "withdraws the caller's own consent, identified by the bus: it names nobody else" },
        { "org.biogate1.Manager", "GetConsentNotice", "('@USER@',)", TRUE, check_consent_notice,
          "the notice shown to everyone before consent: nobody's data, no side effects" },
        { "org.biogate1.Manager", "Unlock", "('@USER@',)" },
        { "org.biogate1.Manager", "Reload", "()" }, /* root only */
        { "org.biogate1.Operation", "Cancel", "()" },  /* on root's operation */
        { "org.biogate1.Operation", "Release", "()" },
        { "org.biogate1.StepUp", "Evaluate", "({" TX_FIELDS "},)", TRUE, check_evaluate,
          "reads the policy about the transaction passed: no user's data, no side effects" },
        { "org.biogate1.StepUp", "Authorize", "({" TX_FIELDS ", " TX_CHALLENGE "}, @a{sv} {})", TRUE,
          check_authorize,
          "always for the caller: root has prints and nobody has none, so NoEnrolledPrints shows that only the "
          "caller's own prints were looked at" },
        { "org.biogate1.StepUp", "GetPublicKeys", "()", TRUE, check_public_keys,
          "the public half of the token signing key, published for backends" },
        { "org.biogate1.StepUp", "RotateSigningKey", "()" }, /* manage: root only without polkitd */
        /* Only the installed agent binary in a session of its own uid
         * registers (test-agent.c); this test's client is neither. */
        { "org.biogate1.AgentManager", "RegisterAgent", "('/org/biogate1/Agent',)" },
        { "org.biogate1.AgentManager", "UnregisterAgent", "()", TRUE, check_own_consent,
          "drops the caller's own registration, identified by the bus (it has none): it names nobody else" },
        /* Only the agent that was shown an operation: root's is not. */
        { "org.biogate1.AgentManager", "CancelApproval", "('/org/biogate1/operation/1',)" },
};

static const ApiRow *api_row(const char *interface, const char *method) {
        for (gsize i = 0; i < G_N_ELEMENTS(api_rows); i++)
                if (g_str_equal(api_rows[i].interface, interface) && g_str_equal(api_rows[i].method, method))
                        return &api_rows[i];
        g_error("%s.%s is in %s but has no row in api_rows: say what it may do for whom", interface, method,
                BIOGATE_API_XML);
}

static char *in_signature(const GDBusMethodInfo *method) {
        GString *s = g_string_new("(");

        for (guint i = 0; method->in_args && method->in_args[i]; i++)
                g_string_append(s, method->in_args[i]->signature);
        g_string_append_c(s, ')');
        return g_string_free(s, FALSE);
}

/* text as the parameter tuple of interface.method, checked against the
 * method's signature in the API file (a row that drifts from the XML fails
 * here). */
static GVariant *method_args(const GDBusMethodInfo *method, const char *interface, const char *text) {
        g_autofree char *signature = in_signature(method);
        g_autoptr(GError) error = NULL;
        GVariant *args;

        args = g_variant_parse(G_VARIANT_TYPE(signature), text, NULL, NULL, &error);
        if (!args)
                g_error("arguments of %s.%s do not fit %s: %s", interface, method->name, signature, error->message);
        return g_variant_ref_sink(args);
}

/* The row's arguments for user. */
static GVariant *api_args(const GDBusMethodInfo *method, const ApiRow *row, const char *user) {
        g_autoptr(GString) text = g_string_new(row->args);

        g_string_replace(text, "@USER@", user, 0);
        return method_args(method, row->interface, text->str);
}

static const char *api_path(const char *interface, const char *op_path) {
        return g_str_equal(interface, BIOGATE_OPERATION_INTERFACE) ? op_path : BIOGATE_OBJECT_PATH;
}

/* ---- nobody-names-other-user ---- */

typedef struct {
        char *what;             /* "Manager.ListFingers('root')" */
        const ApiRow *row;      /* NULL: a property read */
        gboolean denied;        /* expected PermissionDenied */
} NobodyCall;

static void nobody_call_free(gpointer data) {
        NobodyCall *c = data;

        g_free(c->what);
        g_free(c);
}

static void add_call(GString *file, GPtrArray *calls, const char *path, const char *interface, const char *method,
                     GVariant *args, const ApiRow *row, gboolean denied) {
        g_autofree char *text = g_variant_print(args, TRUE);
        NobodyCall *c = g_new0(NobodyCall, 1);

        g_string_append_printf(file, "%s\t%s\t%s\t%s\n", path, interface, method, text);
        c->what = g_strdup_printf("%s.%s%s", interface, method, text);
        c->row = row;
        c->denied = denied;
        g_ptr_array_add(calls, c);
}

/* uid 65534 calls every method of every interface in the API, naming root
 * and "daemon" wherever a user is named, on root's objects where the
 * interface lives on operations, and reads every property. */
static void test_nobody_names_other_user(Fixture *f, gconstpointer data) {
        g_autoptr(GDBusNodeInfo) api = security_api_new();
        g_autoptr(GPtrArray) calls = g_ptr_array_new_with_free_func(nobody_call_free);
        g_autoptr(GString) file = g_string_new(NULL);
        g_autofree char *calls_path = g_build_filename(f->tmp, "nobody-calls", NULL);
        g_autofree char *out = NULL, *err = NULL, *result = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfOp) op = NULL;
        g_auto(GStrv) lines = NULL, root_fingers = NULL, daemon_fingers = NULL;
        guint n_methods = 0, n_denied = 0, n_allowed = 0;
        int status = 0;

        enroll(f, "", "right-index-finger", "alice");
        /* Root's operation, for the interfaces that live on operations. */
        op = start_verify(f->conn, "");
        wait_finger_needed(op);

        for (guint i = 0; api->interfaces[i]; i++) {
                GDBusInterfaceInfo *iface = api->interfaces[i];
                const char *path = api_path(iface->name, btf_op_get_path(op));
                gboolean foreign_object = g_str_equal(path, btf_op_get_path(op));

                for (guint j = 0; iface->methods && iface->methods[j]; j++) {
                        GDBusMethodInfo *m = iface->methods[j];
                        const ApiRow *row = api_row(iface->name, m->name);

                        n_methods++;
                        if (security_method_names_user(m)) {
                                if (row->allowed)
                                        g_error("%s.%s names a user: it cannot be allowed for others", iface->name,
                                                m->name);
                                for (guint u = 0; u < 2; u++) {
                                        g_autoptr(GVariant) args = api_args(m, row, u == 0 ? "root" : OTHER_USER);
                                        add_call(file, calls, path, iface->name, m->name, args, row, TRUE);
                                }
                        } else {
                                g_autoptr(GVariant) args = api_args(m, row, "");
                                /* Another user's objects are never allowed. */
                                g_assert_true(!row->allowed || !foreign_object);
                                add_call(file, calls, path, iface->name, m->name, args, row, !row->allowed);
                        }
                }
                /* Properties: of the daemon, readable; of root's operation,
                 * not even to know they exist. */
                for (guint j = 0; iface->properties && iface->properties[j]; j++) {
                        g_autoptr(GVariant) args = g_variant_ref_sink(
                                g_variant_new("(ss)", iface->name, iface->properties[j]->name));
                        add_call(file, calls, path, PROPERTIES, "Get", args, NULL, foreign_object);
                }
                {
                        g_autoptr(GVariant) args = g_variant_ref_sink(g_variant_new("(s)", iface->name));
                        add_call(file, calls, path, PROPERTIES, "GetAll", args, NULL, foreign_object);
                }
        }
        g_assert_true(g_file_set_contents(calls_path, file->str, -1, NULL));
        g_assert_cmpint(chmod(calls_path, 0644), ==, 0);

        g_assert_true(btf_run_as(NOBODY, NOBODY, (const char *[]) { SECURITY_CLIENT_PATH, calls_path, NULL }, &out,
                                 &err, &status, &error));
        g_assert_no_error(error);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                g_error("security-client: %s\n%s", out, err);
        lines = g_strsplit(out, "\n", -1);
        g_assert_cmpuint(g_strv_length(lines), ==, calls->len + 1);

        for (guint i = 0; i < calls->len; i++) {
                NobodyCall *c = calls->pdata[i];
                g_auto(GStrv) fields = g_strsplit(lines[i], "\t", 3);
                gboolean ok = g_str_equal(fields[0], "ok");
                g_autoptr(GVariant) reply = NULL;

                g_test_message("nobody: %s -> %s", c->what, lines[i]);
                if (c->denied) {
                        if (ok || g_strcmp0(fields[1], PERMISSION_DENIED) != 0)
                                g_error("%s as nobody: expected %s, got %s", c->what, PERMISSION_DENIED, lines[i]);
                        n_denied++;
                        continue;
                }
                if (ok) {
                        g_autofree char *printed = g_strcompress(fields[1]);
                        reply = g_variant_parse(NULL, printed, NULL, NULL, &error);
                        g_assert_no_error(error);
                }
                if (c->row) {
                        g_test_message("  allowed: %s", c->row->why);
                        c->row->check(reply, ok ? NULL : fields[1]);
                } else if (!ok) {
                        g_error("%s as nobody: %s", c->what, lines[i]);
                }
                n_allowed++;
        }
        g_test_message("%u methods in the API; %u calls refused, %u allowed for the caller itself", n_methods,
                       n_denied, n_allowed);
        g_assert_cmpuint(n_methods, ==, G_N_ELEMENTS(api_rows));

        /* Nothing changed for root or "daemon": the finger is there, the
         * operation still waits for its touch. */
        root_fingers = list_fingers(f->conn, "");
        g_assert_cmpuint(g_strv_length(root_fingers), ==, 1);
        daemon_fingers = list_fingers(f->conn, OTHER_USER);
        g_assert_cmpuint(g_strv_length(daemon_fingers), ==, 0);
        touch(f, "alice");
        result = wait_finished(op, NULL);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
        release(f->conn, op);
}

/* ---- no-template-bytes ---- */

#define WINDOW 16

/* Every 16-byte window of the secrets, as a set. */
static guint window_hash16(gconstpointer key) {
        const guint8 *p = key;
        guint h = 2166136261u;

        for (gsize i = 0; i < WINDOW; i++)
                h = (h ^ p[i]) * 16777619u;
        return h;
}

static gboolean window_equal(gconstpointer a, gconstpointer b) {
        return memcmp(a, b, WINDOW) == 0;
}

typedef struct {
        GHashTable *windows;    /* window -> name of the secret it is from */
        GPtrArray *names;
        GPtrArray *bytes;       /* the secrets themselves: the windows point into them */
} Secrets;

static void secrets_add(Secrets *s, const char *name, GBytes *bytes) {
        gsize size = 0;
        const guint8 *p = g_bytes_get_data(bytes, &size);
        char *owned = g_strdup(name);

        g_ptr_array_add(s->names, owned);
        g_ptr_array_add(s->bytes, g_bytes_ref(bytes));
        for (gsize i = 0; i + WINDOW <= size; i++)
                g_hash_table_insert(s->windows, (gpointer) (p + i), owned);
}

/* Drops the windows that public holds as well: what the daemon tells every
 * caller (the sensor's driver name, as ListDevices reports it) is in the
 * serialized template too, and is no template data. Returns how many. */
static guint secrets_forgive(Secrets *s, GBytes *public) {
        gsize size = 0;
        const guint8 *p = g_bytes_get_data(public, &size);
        guint n = 0;

        for (gsize i = 0; i + WINDOW <= size; i++)
                n += g_hash_table_remove(s->windows, p + i);
        return n;
}

/* The reply to a call, as the bytes on the wire. */
static GBytes *reply_blob(GDBusConnection *conn, const char *interface, const char *method) {
        g_autoptr(GDBusMessage) call = g_dbus_message_new_method_call(BIOGATE_BUS_NAME, BIOGATE_OBJECT_PATH,
                                                                       interface, method);
        g_autoptr(GDBusMessage) reply = NULL;
        g_autoptr(GError) error = NULL;
        guchar *blob;
        gsize size = 0;

        reply = g_dbus_connection_send_message_with_reply_sync(conn, call, G_DBUS_SEND_MESSAGE_FLAGS_NONE, -1, NULL,
                                                               NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpint(g_dbus_message_get_message_type(reply), ==, G_DBUS_MESSAGE_TYPE_METHOD_RETURN);
        blob = g_dbus_message_to_blob(reply, &size, G_DBUS_CAPABILITY_FLAGS_NONE, &error);
        g_assert_no_error(error);
        return g_bytes_new_take(blob, size);
}

/* The first window of haystack that is a window of a secret. */
static const char *secrets_find(Secrets *s, GBytes *haystack, gsize *ret_offset) {
        gsize size = 0;
        const guint8 *p = g_bytes_get_data(haystack, &size);

        for (gsize i = 0; i + WINDOW <= size; i++) {
                const char *name = g_hash_table_lookup(s->windows, p + i);
                if (name) {
                        *ret_offset = i;
                        return name;
                }
        }
        return NULL;
}

typedef struct {
        GMutex lock;
        GPtrArray *messages;    /* GBytes: every message this connection received */
        guint n_errors;         /* of them error replies: they are searched as well */
        guint n_unrecorded;     /* that could not be serialized: none may escape the search */
} Recorder;

static GDBusMessage *record_filter(GDBusConnection *connection, GDBusMessage *message, gboolean incoming,
                                   gpointer user_data) {
        Recorder *r = user_data;
        guchar *blob;
        gsize size = 0;

        if (!incoming)
                return message;
        blob = g_dbus_message_to_blob(message, &size, G_DBUS_CAPABILITY_FLAGS_UNIX_FD_PASSING, NULL);
        g_mutex_lock(&r->lock);
        if (blob)
                g_ptr_array_add(r->messages, g_bytes_new_take(blob, size));
        else
                r->n_unrecorded++;
        if (g_dbus_message_get_message_type(message) == G_DBUS_MESSAGE_TYPE_ERROR)
                r->n_errors++;
        g_mutex_unlock(&r->lock);
        return message;
}

static void show_finger(Fixture *f, uint64_t seed) {
        g_autofree char *message = NULL;

        if (synth_finger_send(f->vdev, seed, &message) < 0)
                g_error("sending a finger image: %s", message);
}

#define ROOT_FINGER_SEED 11

/* Reads every property of the interface on path and GetAll, as the owner. */
static void read_properties(GDBusConnection *conn, GDBusInterfaceInfo *iface, const char *path) {
        for (guint j = 0; iface->properties && iface->properties[j]; j++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) r = call_on(conn, path, PROPERTIES, "Get",
                                                g_variant_new("(ss)", iface->name, iface->properties[j]->name), NULL,
                                                &error);
                g_assert_no_error(error);
        }
        {
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) r = call_on(conn, path, PROPERTIES, "GetAll", g_variant_new("(s)", iface->name),
                                                NULL, &error);
                g_assert_no_error(error);
        }
}

/* ---- what the owner of the data gets ---- */

#define ERR "org.biogate1.Error."
/* A finger of root's besides the one every operation matches: the
 * successful DeleteFingers deletes it, with its template in the store. */
#define EXTRA_FINGER "left-ring-finger"
#define EXTRA_FINGER_SEED 12
#define CONSENT "{'consent': <true>, 'notice-version': <'" BIOGATE_TEST_NOTICE_VERSION "'>}"

/* The calls root makes on itself, in order, each with the one outcome it
 * must have: NULL for a reply, else the name of the error. Every method of
 * the API (but those of operations, made on each operation started) has a
 * row that succeeds, so that its reply is searched; the rows with an error
 * are refusals (some after a look at the caller's stored prints), so that
 * error names and messages are searched too. Anything else fails the test. */
typedef struct {
        const char *interface;
        const char *method;
        const char *args;       /* the parameter tuple as GVariant text */
        const char *error;
} OwnerCall;

static const OwnerCall owner_calls[] = {
        { BIOGATE_MANAGER_INTERFACE, "ListDevices", "()" },
        { BIOGATE_MANAGER_INTERFACE, "ListFingers", "('',)" },
        /* An enrolment started and cancelled: nothing is stored. */
        { BIOGATE_MANAGER_INTERFACE, "Enroll", "('', 'left-little-finger', " CONSENT ")" },
        { BIOGATE_MANAGER_INTERFACE, "Enroll", "('', 'right-index-finger', " CONSENT ")",
          ERR "AlreadyEnrolled" },
        { BIOGATE_MANAGER_INTERFACE, "Enroll", "('', 'left-little-finger', @a{sv} {})",
          ERR "ConsentRequired" },
        { BIOGATE_MANAGER_INTERFACE, "Verify", "('', @a{sv} {})" },
        { BIOGATE_MANAGER_INTERFACE, "Verify", "('', {'fingers': <['left-little-finger']>})",
          ERR "NoEnrolledPrints" },
        /* All or nothing: the enrolled finger stays. */
        { BIOGATE_MANAGER_INTERFACE, "DeleteFingers", "('', ['left-little-finger', '" EXTRA_FINGER "'])",
          ERR "NoEnrolledPrints" },
        { BIOGATE_MANAGER_INTERFACE, "DeleteFingers", "('', ['" EXTRA_FINGER "'])" },
        { BIOGATE_MANAGER_INTERFACE, "GetMyData", "()" },
        { BIOGATE_MANAGER_INTERFACE, "GetUserData", "('',)" },
        { BIOGATE_MANAGER_INTERFACE, "GetUserData", "('biogate-no-such-user',)", ERR "NoSuchUser" },
        { BIOGATE_MANAGER_INTERFACE, "RecordConsent", "('1999-0',)", ERR "ConsentRequired" },
        { BIOGATE_MANAGER_INTERFACE, "RecordConsent", "('" BIOGATE_TEST_NOTICE_VERSION "',)" },
        { BIOGATE_MANAGER_INTERFACE, "WithdrawConsent", "()" },
        { BIOGATE_MANAGER_INTERFACE, "GetConsentNotice", "('C.UTF-8',)" },
        /* Unlock names its user: "" is refused, root is root. */
        { BIOGATE_MANAGER_INTERFACE, "Unlock", "('',)", ERR "InvalidArgument" },
        { BIOGATE_MANAGER_INTERFACE, "Unlock", "('root',)" },
        { BIOGATE_MANAGER_INTERFACE, "Reload", "()" },
        { BIOGATE_STEPUP_INTERFACE, "Evaluate", "({" TX_FIELDS "},)" },
        { BIOGATE_STEPUP_INTERFACE, "Authorize", "({" TX_FIELDS ", " TX_CHALLENGE "}, @a{sv} {})" },
        { BIOGATE_STEPUP_INTERFACE, "Authorize", "({'kind': <'withdrawal'>}, @a{sv} {})",
          ERR "InvalidTransaction" },
        { BIOGATE_STEPUP_INTERFACE, "GetPublicKeys", "()" },
        { BIOGATE_STEPUP_INTERFACE, "RotateSigningKey", "()" },
        /* Root's client is not the agent binary, and was shown nothing. */
        { AGENT_MANAGER_INTERFACE, "RegisterAgent", "('/org/biogate1/Agent',)", ERR "PermissionDenied" },
        { AGENT_MANAGER_INTERFACE, "UnregisterAgent", "()" },
        { AGENT_MANAGER_INTERFACE, "CancelApproval", "('/org/biogate1/operation/1',)", ERR "PermissionDenied" },
        /* Last: it takes the templates away. */
        { BIOGATE_MANAGER_INTERFACE, "EraseUser", "('',)" },
};

static GDBusMethodInfo *owner_call_method(GDBusNodeInfo *api, const OwnerCall *call) {
        GDBusInterfaceInfo *iface = g_dbus_node_info_lookup_interface(api, call->interface);
        GDBusMethodInfo *m = iface ? g_dbus_interface_info_lookup_method(iface, call->method) : NULL;

        if (!m)
                g_error("owner_calls names %s.%s, which is not in %s", call->interface, call->method,
                        BIOGATE_API_XML);
        return m;
}

/* Every method has a row that succeeds: a method added to the API file
 * without one fails here, not silently unsearched. */
static void assert_owner_calls_cover(GDBusNodeInfo *api) {
        for (guint i = 0; api->interfaces[i]; i++) {
                GDBusInterfaceInfo *iface = api->interfaces[i];

                if (g_str_equal(iface->name, BIOGATE_OPERATION_INTERFACE))
                        continue;
                for (guint j = 0; iface->methods && iface->methods[j]; j++) {
                        gboolean found = FALSE;

                        /* Succeed only for the agent binary (test-agent.c):
                         * their refusals are searched here. */
                        if (g_str_equal(iface->name, AGENT_MANAGER_INTERFACE) &&
                            (g_str_equal(iface->methods[j]->name, "RegisterAgent") ||
                             g_str_equal(iface->methods[j]->name, "CancelApproval")))
                                continue;

                        for (gsize k = 0; k < G_N_ELEMENTS(owner_calls) && !found; k++)
                                found = !owner_calls[k].error && g_str_equal(owner_calls[k].interface, iface->name) &&
                                        g_str_equal(owner_calls[k].method, iface->methods[j]->name);
                        if (!found)
                                g_error("%s.%s has no row in owner_calls that succeeds: its reply would never be "
                                        "searched", iface->name, iface->methods[j]->name);
                }
        }
}

static char *out_signature(const GDBusMethodInfo *method) {
        GString *s = g_string_new("(");

        for (guint i = 0; method->out_args && method->out_args[i]; i++)
                g_string_append(s, method->out_args[i]->signature);
        g_string_append_c(s, ')');
        return g_string_free(s, FALSE);
}

/* The error's name and message as the caller sees them, searched on their
 * own (the recorder has the whole message as well). */
static void assert_error_clean(Secrets *s, const char *what, const char *name, const char *message) {
        g_autofree char *text = g_strdup_printf("%s\n%s", name, message);
        g_autoptr(GBytes) bytes = g_bytes_new_static(text, strlen(text));
        gsize offset = 0;
        const char *source = secrets_find(s, bytes, &offset);

        if (source)
                g_error("%s: the error %s carries 16 bytes of %s at offset %" G_GSIZE_FORMAT, what, name, source,
                        offset);
}

/* Root's call of the row on itself; an operation it starts is driven to
 * its end (one touch of the enrolled finger, or cancelled for an
 * enrolment), its properties read and every Operation method called on
 * it. Returns whether it was an error (the one expected). */
static gboolean call_as_owner(Fixture *f, GDBusConnection *conn, GDBusNodeInfo *api, const OwnerCall *call,
                              Secrets *secrets, guint *ret_operations) {
        GDBusMethodInfo *m = owner_call_method(api, call);
        g_autoptr(GVariant) args = method_args(m, call->interface, call->args);
        g_autofree char *what = g_strdup_printf("%s.%s%s", call->interface, call->method, call->args);
        g_autoptr(BtfOp) op = btf_op_watch_begin(conn);
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = call_on(conn, BIOGATE_OBJECT_PATH, call->interface, call->method, args, NULL,
                                            &error);
        GDBusInterfaceInfo *op_iface = g_dbus_node_info_lookup_interface(api, BIOGATE_OPERATION_INTERFACE);
        g_autofree char *kind = NULL, *result = NULL, *signature = out_signature(m);
        g_autoptr(GVariant) kind_reply = NULL, kind_v = NULL;
        const char *path;

        if (!reply) {
                g_autofree char *name = g_dbus_error_get_remote_error(error);

                g_dbus_error_strip_remote_error(error);
                g_test_message("root: %s -> %s: %s", what, name, error->message);
                if (!name || g_strcmp0(name, call->error) != 0)
                        g_error("root: %s: expected %s, got the error %s: %s", what,
                                call->error ? call->error : "a reply", name ? name : "(local)", error->message);
                assert_error_clean(secrets, what, name, error->message);
                return TRUE;
        }
        g_test_message("root: %s -> %s", what, g_variant_get_type_string(reply));
        if (call->error)
                g_error("root: %s: expected the error %s, got a reply %s", what, call->error,
                        g_variant_get_type_string(reply));
        if (!g_variant_is_of_type(reply, G_VARIANT_TYPE(signature)))
                g_error("root: %s: the reply is %s, the API says %s", what, g_variant_get_type_string(reply),
                        signature);
        if (!g_variant_is_of_type(reply, G_VARIANT_TYPE("(o)")))
                return FALSE;

        g_variant_get(reply, "(&o)", &path);
        btf_op_bind(op, path);
        kind_reply = call_on(conn, path, PROPERTIES, "Get",
                             g_variant_new("(ss)", BIOGATE_OPERATION_INTERFACE, "Kind"), "(v)", &error);
        g_assert_no_error(error);
        g_variant_get(kind_reply, "(v)", &kind_v);
        kind = g_variant_dup_string(kind_v, NULL);
        if (g_str_equal(kind, "enroll")) {
                g_autoptr(GVariant) r = call_on(conn, path, BIOGATE_OPERATION_INTERFACE, "Cancel", NULL, NULL, &error);
                g_assert_no_error(error);
        } else {
                wait_finger_needed(op);
                show_finger(f, ROOT_FINGER_SEED);
        }
        result = wait_finished(op, NULL);
        g_test_message("root: %s operation %s -> %s", kind, path, result);
        g_assert_cmpstr(result, ==,
                        g_str_equal(kind, "enroll") ? BIOGATE_RESULT_CANCELLED
                        : g_str_equal(kind, "verify") ? BIOGATE_RESULT_MATCH
                                                      : "approved");
        read_properties(conn, op_iface, path);
        /* Release last: it removes the object. */
        for (guint pass = 0; pass < 2; pass++)
                for (guint j = 0; op_iface->methods && op_iface->methods[j]; j++) {
                        GDBusMethodInfo *om = op_iface->methods[j];
                        g_autoptr(GVariant) oargs = api_args(om, api_row(op_iface->name, om->name), "");
                        g_autoptr(GVariant) r = NULL;

                        if ((pass == 1) != g_str_equal(om->name, "Release"))
                                continue;
                        r = call_on(conn, path, op_iface->name, om->name, oargs, NULL, &error);
                        g_assert_no_error(error);
                }
        (*ret_operations)++;
        return FALSE;
}

static void read_state_files(Secrets *s, const char *dir, const char *rel) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *name;

        g_assert_nonnull(d);
        while ((name = g_dir_read_name(d))) {
                g_autofree char *path = g_build_filename(dir, name, NULL);
                g_autofree char *relpath = rel ? g_build_filename(rel, name, NULL) : g_strdup(name);
                struct stat st;

                g_assert_cmpint(lstat(path, &st), ==, 0);
                /* public/ is the JWK set, published on purpose. */
                if (S_ISDIR(st.st_mode) && !g_str_equal(relpath, "public"))
                        read_state_files(s, path, relpath);
                else if (S_ISREG(st.st_mode) && !g_str_has_prefix(relpath, "public")) {
                        g_autoptr(GBytes) bytes = privacy_read_file(path);
                        secrets_add(s, relpath, bytes);
                }
        }
}

/* Every property of the daemon's object (those of operations are read on
 * each operation the calls start). */
static void read_daemon_properties(GDBusConnection *conn, GDBusNodeInfo *api) {
        for (guint i = 0; api->interfaces[i]; i++)
                if (!g_str_equal(api->interfaces[i]->name, BIOGATE_OPERATION_INTERFACE))
                        read_properties(conn, api->interfaces[i], BIOGATE_OBJECT_PATH);
}

/* Root's finger, enrolled with five touches of the synthetic finger seed. */
static void enroll_synthetic(Fixture *f, const char *finger, uint64_t seed) {
        g_autoptr(BtfOp) op = start_enroll(f->conn, "", finger);
        g_autofree char *enrolled = NULL;

        for (int i = 0; i < 5; i++) {
                wait_finger_needed(op);
                show_finger(f, seed);
        }
        enrolled = wait_finished(op, NULL);
        g_assert_cmpstr(enrolled, ==, BIOGATE_RESULT_COMPLETED);
        release(f->conn, op);
}

/* Enrol two synthetic virtual_image fingers, then call everything a caller
 * can reach (every method, every property, GetAll, from the API file) as
 * the owner of the data, with the outcomes owner_calls gives, and search
 * every byte received (replies and errors) for the templates as libfprint
 * serializes them and for every file of the state directory (sealed
 * templates, keys, records). */
static void test_no_template_bytes(Fixture *f, gconstpointer data) {
        g_autoptr(GDBusNodeInfo) api = security_api_new();
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusConnection) conn = NULL;
        g_autoptr(GBytes) plain = NULL, extra_plain = NULL;
        g_autoptr(GHashTable) windows = g_hash_table_new(window_hash16, window_equal);
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) secret_bytes = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
        Secrets secrets = { windows, names, secret_bytes };
        Recorder *rec = g_new0(Recorder, 1);
        g_autoptr(GPtrArray) received = NULL;
        gsize total = 0;
        guint filter, n_errors = 0, n_error_replies, n_unrecorded, n_operations = 0;
        int status = 0;

        assert_owner_calls_cover(api);
        enroll_synthetic(f, "right-index-finger", ROOT_FINGER_SEED);
        enroll_synthetic(f, EXTRA_FINGER, EXTRA_FINGER_SEED);

        /* What is stored, read behind the daemon's back. */
        g_assert_true(btf_daemon_stop(f->daemon, &status, &error));
        {
                g_autoptr(BiogatedStore) store = privacy_open_store(f);
                plain = biogated_store_read_print(store, 0, BIOGATE_FINGER_RIGHT_INDEX, NULL, NULL, &error);
                g_assert_no_error(error);
                extra_plain = biogated_store_read_print(store, 0, biogate_finger_from_name(EXTRA_FINGER), NULL, NULL,
                                                        &error);
                g_assert_no_error(error);
        }
        secrets_add(&secrets, "the serialized template", plain);
        secrets_add(&secrets, "the serialized template of " EXTRA_FINGER, extra_plain);
        read_state_files(&secrets, f->state, NULL);
        g_test_message("secrets: %u byte windows of %u sources (template: %" G_GSIZE_FORMAT " bytes)",
                       g_hash_table_size(windows), names->len, g_bytes_get_size(plain));
        security_start_daemon(f, NULL);
        {
                g_autoptr(GBytes) devices = reply_blob(f->conn, BIOGATE_MANAGER_INTERFACE, "ListDevices");
                g_autoptr(GBytes) keys = reply_blob(f->conn, BIOGATE_STEPUP_INTERFACE, "GetPublicKeys");
                guint forgiven = secrets_forgive(&secrets, devices) + secrets_forgive(&secrets, keys);

                g_test_message("%u windows are public (the sensor's description, the public key)", forgiven);
                /* The driver name; anything more would be a leak itself. */
                g_assert_cmpuint(forgiven, <=, 8);
        }

        g_mutex_init(&rec->lock);
        rec->messages = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
        conn = btf_bus_connect(f->bus, &error);
        g_assert_no_error(error);
        filter = g_dbus_connection_add_filter(conn, record_filter, rec, NULL);

        /* The daemon's properties with both fingers enrolled, the calls,
         * and the properties again once everything is erased. */
        read_daemon_properties(conn, api);
        for (gsize k = 0; k < G_N_ELEMENTS(owner_calls); k++)
                n_errors += call_as_owner(f, conn, api, &owner_calls[k], &secrets, &n_operations) ? 1 : 0;
        read_daemon_properties(conn, api);
        /* Enroll, Verify and Authorize each started one. */
        g_assert_cmpuint(n_operations, ==, 3);

        g_dbus_connection_remove_filter(conn, filter);
        g_assert_true(g_dbus_connection_close_sync(conn, NULL, &error));
        g_assert_no_error(error);
        g_mutex_lock(&rec->lock);
        received = g_steal_pointer(&rec->messages);
        n_error_replies = rec->n_errors;
        n_unrecorded = rec->n_unrecorded;
        g_mutex_unlock(&rec->lock);
        /* Every message is searched, the error replies among them: the
         * recorder saw each refusal of owner_calls, and no others. */
        g_assert_cmpuint(n_unrecorded, ==, 0);
        g_assert_cmpuint(n_error_replies, ==, n_errors);

        for (guint i = 0; i < received->len; i++) {
                GBytes *msg = received->pdata[i];
                gsize offset = 0;
                const char *source = secrets_find(&secrets, msg, &offset);

                total += g_bytes_get_size(msg);
                if (source) {
                        g_autoptr(GString) dump = g_string_new(NULL);
                        const guint8 *p = (const guint8 *) g_bytes_get_data(msg, NULL) + offset;

                        for (gsize k = 0; k < WINDOW; k++)
                                g_string_append_printf(dump, "%02x", p[k]);
                        g_error("message %u of %u carries 16 bytes of %s at offset %" G_GSIZE_FORMAT ": %s", i,
                                received->len, source, offset, dump->str);
                }
        }
        g_test_message("%" G_GSIZE_FORMAT " calls (%u refused as expected), %u operations; %u messages of %" G_GSIZE_FORMAT
                       " bytes received, none with template or state bytes",
                       G_N_ELEMENTS(owner_calls), n_errors, n_operations, received->len, total);
        g_mutex_clear(&rec->lock);
        g_free(rec);
}

/* ---- planted-symlink ---- */

typedef struct {
        char *path;
        GBytes *content;
        struct stat st;
} Victim;

static void victim_init(Victim *v, const char *path, const void *content, gssize size) {
        v->path = g_strdup(path);
        g_assert_true(g_file_set_contents(path, content, size, NULL));
        g_assert_cmpint(chmod(path, 0600), ==, 0);
        /* Back-date it, so any write shows in the modification time. */
        g_assert_cmpint(utimensat(AT_FDCWD, path, (struct timespec[]) { { 1000000000, 0 }, { 1000000000, 0 } }, 0),
                        ==, 0);
        v->content = privacy_read_file(path);
        g_assert_cmpint(lstat(path, &v->st), ==, 0);
}

static void victim_assert_untouched(const Victim *v) {
        g_autoptr(GBytes) now = privacy_read_file(v->path);
        struct stat st;

        g_assert_cmpint(lstat(v->path, &st), ==, 0);
        g_assert_true(S_ISREG(st.st_mode));
        g_assert_true(g_bytes_equal(now, v->content));
        g_assert_cmpint(st.st_mtim.tv_sec, ==, v->st.st_mtim.tv_sec);
        g_assert_cmpint(st.st_mtim.tv_nsec, ==, v->st.st_mtim.tv_nsec);
        g_assert_cmpint(st.st_ino, ==, v->st.st_ino);
        g_assert_cmpuint(st.st_mode, ==, v->st.st_mode);
}

static void victim_clear(Victim *v) {
        g_free(v->path);
        g_clear_pointer(&v->content, g_bytes_unref);
}

/* The directory outside is as it was: nothing created, removed or renamed
 * in it (its modification time, to the second and the nanosecond), and not
 * replaced (its inode). */
static void assert_outside_untouched(const char *outside, const struct stat *before) {
        struct stat now;

        g_assert_cmpint(stat(outside, &now), ==, 0);
        g_assert_cmpint(now.st_mtim.tv_sec, ==, before->st_mtim.tv_sec);
        g_assert_cmpint(now.st_mtim.tv_nsec, ==, before->st_mtim.tv_nsec);
        g_assert_cmpuint(now.st_ino, ==, before->st_ino);
}

static void plant(const char *target, const char *link) {
        (void) g_unlink(link);
        g_assert_cmpint(symlink(target, link), ==, 0);
}

static gboolean is_symlink(const char *path) {
        struct stat st;

        return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

/* Every descriptor the daemon holds above stdio is close-on-exec: a helper
 * it might run one day (or libfprint does) inherits none of the store. */
static void assert_daemon_fds_cloexec(Fixture *f, const char *when) {
        g_auto(GStrv) leaky = proc_fds_without_cloexec(btf_daemon_get_pid(f->daemon));
        g_autofree char *all = proc_describe_fds(btf_daemon_get_pid(f->daemon));

        g_test_message("daemon descriptors %s: %s", when, all);
        if (leaky[0]) {
                g_autofree char *list = g_strjoinv("; ", leaky);
                g_error("descriptors of biogated without O_CLOEXEC %s: %s", when, list);
        }
}

/* An operation that must fail: at once (the call) or as its result. */
static void expect_failure(Fixture *f, GDBusConnection *conn, BtfOp *op, GError *call_error, const char *name,
                           const char *message_part, guint touches, const char *id) {
        g_autoptr(GVariant) details = NULL;
        g_autofree char *result = NULL;
        const char *message;

        if (!op) {
                g_autofree char *remote = g_dbus_error_get_remote_error(call_error);

                g_test_message("refused at once: %s: %s", remote, call_error->message);
                g_assert_cmpstr(remote, ==, name);
                if (message_part)
                        g_assert_nonnull(strstr(call_error->message, message_part));
                return;
        }
        for (guint i = 0; i < touches; i++) {
                wait_finger_needed(op);
                touch(f, id);
        }
        result = wait_finished(op, &details);
        message = detail_string(details, "message");
        g_test_message("finished %s: %s: %s", result, detail_string(details, "error"), message);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_FAILED);
        g_assert_cmpstr(detail_string(details, "error"), ==, name);
        if (message_part)
                g_assert_nonnull(strstr(message, message_part));
        release(conn, op);
}

#define STORE_CORRUPTED "org.biogate1.Error.StoreCorrupted"
#define NOT_FOLLOWED "symbolic link"

static void test_planted_symlink(Fixture *f, gconstpointer data) {
        g_autofree char *outside = g_build_filename(f->tmp, "outside", NULL);
        g_autofree char *print = g_build_filename(f->state, "prints", "0", "right-index-finger", NULL);
        g_autofree char *daemon_dir = g_build_filename(f->state, "prints", "1", NULL);
        g_autofree char *bin_key = g_build_filename(f->state, "keys", "2", NULL);
        g_autofree char *limits = g_build_filename(f->state, "limits", "0", NULL);
        g_autofree char *public_dir = g_build_filename(f->state, "public", NULL);
        g_autofree char *private_dir = g_build_filename(f->state, "private", NULL);
        g_autofree char *outside_file = g_build_filename(outside, "print-copy", NULL);
        g_autofree char *outside_key = g_build_filename(outside, "key", NULL);
        g_autofree char *outside_limits = g_build_filename(outside, "limits", NULL);
        g_autofree char *outside_jwks = g_build_filename(outside, "jwks.json", NULL);
        g_autofree char *outside_thumb = g_build_filename(outside, "left-thumb", NULL);
        g_autofree char *public_jwks = g_build_filename(public_dir, "jwks.json", NULL);
        g_autofree char *private_saved = g_build_filename(f->tmp, "private-saved", NULL);
        g_autoptr(GBytes) sealed = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfOp) op = NULL;
        g_autoptr(GVariant) my = NULL, fingers = NULL, reply = NULL;
        g_autofree char *result = NULL, *log = NULL;
        Victim print_v = { 0 }, key_v = { 0 }, limits_v = { 0 };
        struct stat outside_st;
        int status = 0;

        g_assert_cmpint(g_mkdir(outside, 0700), ==, 0);
        enroll(f, "", "right-index-finger", "alice");
        assert_daemon_fds_cloexec(f, "after an enrolment");

        /* 1. A template replaced by a link to a copy of itself elsewhere:
         * followed, it would verify. A link is not a template: the finger
         * counts as not enrolled, and nothing is read through it. */
        sealed = privacy_read_file(print);
        victim_init(&print_v, outside_file, g_bytes_get_data(sealed, NULL), (gssize) g_bytes_get_size(sealed));
        plant(outside_file, print);
        op = start_op(f->conn, "Verify", g_variant_new("(sa{sv})", "", NULL), &error);
        expect_failure(f, f->conn, op, error, "org.biogate1.Error.NoEnrolledPrints", NULL, 1, "alice");
        g_clear_pointer(&op, btf_op_free);
        g_clear_error(&error);
        my = privacy_user_data(f->conn, NULL);
        fingers = g_variant_lookup_value(my, "fingers", G_VARIANT_TYPE_STRING_ARRAY);
        g_assert_nonnull(fingers);
        g_assert_cmpuint(g_variant_n_children(fingers), ==, 0);
        victim_assert_untouched(&print_v);
        /* Enrolling the finger again replaces the link itself (rename over
         * it), never writes through it. */
        enroll(f, "", "right-index-finger", "alice");
        g_assert_false(is_symlink(print));
        victim_assert_untouched(&print_v);
        result = verify_with(f, f->conn, "", "alice", NULL);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
        g_clear_pointer(&result, g_free);

        /* 2. A user's directory that is a link to one outside: nothing is
         * listed from it, nothing written into it. */
        g_assert_cmpint(stat(outside, &outside_st), ==, 0);
        plant(outside, daemon_dir);
        reply = manager_call(f->conn, "ListFingers", g_variant_new("(s)", OTHER_USER), "(as)", &error);
        expect_failure(f, f->conn, NULL, error, STORE_CORRUPTED, NULL, 0, NULL);
        g_clear_error(&error);
        op = start_op(f->conn, "Enroll", g_variant_new("(ss@a{sv})", OTHER_USER, "left-thumb", consent_options()),
                      &error);
        expect_failure(f, f->conn, op, error, STORE_CORRUPTED, NOT_FOLLOWED, 5, "daemon-thumb");
        g_clear_pointer(&op, btf_op_free);
        g_clear_error(&error);
        assert_outside_untouched(outside, &outside_st);
        g_assert_false(g_file_test(outside_thumb, G_FILE_TEST_EXISTS));
        victim_assert_untouched(&print_v);

        /* 3. A user's key file that is a link: refused, not read or
         * replaced. */
        victim_init(&key_v, outside_key, "not a key\n", -1);
        plant(outside_key, bin_key);
        op = start_op(f->conn, "Enroll", g_variant_new("(ss@a{sv})", "bin", "left-thumb", consent_options()), &error);
        expect_failure(f, f->conn, op, error, STORE_CORRUPTED, NOT_FOLLOWED, 5, "bin-thumb");
        g_clear_pointer(&op, btf_op_free);
        g_clear_error(&error);
        victim_assert_untouched(&key_v);
        g_assert_true(is_symlink(bin_key));

        /* 4. The failure counter: a link is not a record the daemon can
         * trust, so biometrics count as locked (fail closed), and the
         * target is neither read nor written. */
        victim_init(&limits_v, outside_limits, "consecutive=0\nnot_before=0\nlocked=0\n", -1);
        plant(outside_limits, limits);
        op = start_op(f->conn, "Verify", g_variant_new("(sa{sv})", "", NULL), &error);
        expect_failure(f, f->conn, op, error, "org.biogate1.Error.LockedOut", NULL, 0, NULL);
        g_clear_pointer(&op, btf_op_free);
        g_clear_error(&error);
        victim_assert_untouched(&limits_v);
        g_assert_cmpint(g_unlink(limits), ==, 0);

        /* Temp files of atomic writes have random names (".#NAME.<64 random
         * bits>") and are created with O_EXCL|O_NOFOLLOW: there is no name to
         * plant a link at, and a link there would make the create fail. */

        /* While the sensor is open, and after all of the above. */
        op = start_verify(f->conn, "");
        wait_finger_needed(op);
        assert_daemon_fds_cloexec(f, "during a verification");
        touch(f, "alice");
        result = wait_finished(op, NULL);
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
        release(f->conn, op);
        g_clear_pointer(&op, btf_op_free);

        /* 5. public/ (the published JWK set) as a link to a directory
         * outside: the daemon starts, says why it cannot publish, and
         * writes nothing there. */
        g_assert_true(btf_daemon_stop(f->daemon, &status, &error));
        btf_assert_exit_code(status, 0);
        g_assert_cmpint(unlink(public_jwks), ==, 0);
        g_assert_cmpint(rmdir(public_dir), ==, 0);
        g_assert_cmpint(stat(outside, &outside_st), ==, 0);
        plant(outside, public_dir);
        security_start_daemon(f, NULL);
        g_assert_false(g_file_test(outside_jwks, G_FILE_TEST_EXISTS));
        assert_outside_untouched(outside, &outside_st);
        log = btf_daemon_read_log(f->daemon);
        g_assert_nonnull(strstr(log, "Cannot open public/"));
        assert_daemon_fds_cloexec(f, "after a start with planted links");

        /* 6. private/ (signing key, master key) as a link: the daemon
         * refuses to start rather than use or create keys through it. */
        g_assert_true(btf_daemon_stop(f->daemon, &status, &error));
        g_assert_cmpint(rename(private_dir, private_saved), ==, 0);
        plant(outside, private_dir);
        {
                g_autofree char *dlog = NULL;
                g_autofree char *env_drv = g_strdup_printf("FP_DRIVERS_ALLOWLIST=%s", f->driver);
                BtfDaemonOptions options = { .daemon_path = BIOGATED_PATH, .state_dir = f->state,
                                             .extra_env = (const char *[]) { env_drv, NULL } };

                g_assert_true(btf_daemon_run_expect_exit(f->bus, &options, &status, &dlog, &error));
                g_assert_no_error(error);
                g_test_message("with private/ a link: %s", dlog);
                g_assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
                g_assert_true(WIFEXITED(status));
        }
        assert_outside_untouched(outside, &outside_st);
        victim_assert_untouched(&print_v);
        victim_assert_untouched(&key_v);
        victim_assert_untouched(&limits_v);

        victim_clear(&print_v);
        victim_clear(&key_v);
        victim_clear(&limits_v);
}

/* ---- pam-no-fd-leak ---- */

static const char mount_private_bus[] =
        "mkdir -p /run/dbus && mount -t tmpfs -o mode=0755 tmpfs /run/dbus && "
        "touch /run/dbus/system_bus_socket && mount --bind \"$1\" /run/dbus/system_bus_socket && "
        "shift && exec \"$@\"";

/* pam_biogate.so in pam-leak-host (libpamtest, in process) through
 * pam_wrapper, in a mount namespace where /run/dbus/system_bus_socket is
 * the test's bus, as tests/test-pam.c runs its hosts. */
static BtfProc *run_leak_host(Fixture *f, const char *pam_dir, int expected) {
        const char *preload = g_getenv("BIOGATE_TEST_PAM_PRELOAD");
        g_autofree char *preload_env = g_strdup_printf("LD_PRELOAD=%s", preload ? preload : "libpam_wrapper.so");
        g_autofree char *dir_env = g_strdup_printf("PAM_WRAPPER_SERVICE_DIR=%s", pam_dir);
        g_autofree char *code = g_strdup_printf("%d", expected);
        const char *argv[] = { "unshare", "-m", "--propagation", "private", "sh", "-c", mount_private_bus, "sh",
                               btf_bus_get_socket_path(f->bus), "env", preload_env, "PAM_WRAPPER=1", dir_env,
                               PAM_LEAK_HOST_PATH, "biogate-test", "root", code, NULL };
        g_autoptr(GError) error = NULL;
        BtfProc *proc = btf_spawn_async(argv, NULL, &error);

        g_assert_no_error(error);
        return proc;
}

static void assert_no_leak(BtfProc *proc, const char *path) {
        g_autoptr(GError) error = NULL;
        const char *out;
        int status = 0;
        guint b, m, a;

        g_assert_true(btf_proc_wait(proc, T, &status, &error));
        g_assert_no_error(error);
        out = btf_proc_get_stdout(proc);
        g_test_message("%s:\n%s%s", path, out, btf_proc_get_stderr(proc));
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                g_error("pam-leak-host (%s) failed: %s\n%s", path, out, btf_proc_get_stderr(proc));
        for (guint i = 0; i < 3; i++) {
                static const char *const what[] = { "fds", "threads", "sockets" };
                g_autofree char *key = g_strdup_printf("\n%s: ", what[i]);
                const char *line = strstr(out, key);

                g_assert_nonnull(line);
                g_assert_cmpint(sscanf(line + strlen(key), "%u %u %u", &b, &m, &a), ==, 3);
                /* Before pam_start, after pam_authenticate (handle kept),
                 * after pam_end: nothing of the module stays. */
                if (b != m || m != a)
                        g_error("%s: %s before/after authenticate/after end: %u %u %u\n%s", path, what[i], b, m, a,
                                out);
        }
        g_assert_nonnull(strstr(out, "\nnew-sockets: 0\n"));
}

static void test_pam_no_fd_leak(Fixture *f, gconstpointer data) {
        g_autofree char *dir = g_build_filename(f->tmp, "pam.d", NULL);
        g_autofree char *service = g_build_filename(dir, "biogate-test", NULL);
        g_autofree char *stack = g_strdup_printf("auth required %s max-tries=1\n", PAM_MODULE_PATH);
        g_autoptr(BtfProc) ok = NULL, no_match = NULL, no_daemon = NULL;
        g_autoptr(GError) error = NULL;

        g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
        g_assert_true(g_file_set_contents(service, stack, -1, NULL));
        enroll(f, "", "right-index-finger", "alice");

        ok = run_leak_host(f, dir, PAM_SUCCESS);
        g_assert_true(btf_proc_wait_output(ok, BTF_STDOUT, "info: Place", T, &error));
        g_assert_no_error(error);
        touch(f, "alice");
        assert_no_leak(ok, "success");

        no_match = run_leak_host(f, dir, PAM_AUTH_ERR);
        g_assert_true(btf_proc_wait_output(no_match, BTF_STDOUT, "info: Place", T, &error));
        g_assert_no_error(error);
        touch(f, "mallory");
        assert_no_leak(no_match, "no match");

        g_assert_true(btf_daemon_stop(f->daemon, NULL, &error));
        no_daemon = run_leak_host(f, dir, PAM_AUTHINFO_UNAVAIL);
        assert_no_leak(no_daemon, "daemon not running");
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

        g_test_add("/security/nobody-names-other-user", Fixture, NULL, security_setup, test_nobody_names_other_user,
                   fixture_teardown);
        g_test_add("/security/no-template-bytes", Fixture, "virtual_image", security_setup, test_no_template_bytes,
                   fixture_teardown);
        g_test_add("/security/planted-symlink", Fixture, NULL, security_setup, test_planted_symlink,
                   fixture_teardown);
        g_test_add("/security/pam-no-fd-leak", Fixture, NULL, fixture_setup, test_pam_no_fd_leak, fixture_teardown);
        return g_test_run();
}
