/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "audit-fixture.h"

#include <gio/gio.h>
#include <string.h>
#include <systemd/sd-journal.h>

static void table_unref(gpointer data) {
        g_hash_table_unref(data);
}

GPtrArray *audit_read_events(const char *journal_dir, GError **error) {
        g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func(table_unref);
        sd_journal *j = NULL;
        int r;

        r = sd_journal_open_directory(&j, journal_dir, 0);
        if (r >= 0)
                r = sd_journal_set_data_threshold(j, 0);
        if (r >= 0)
                r = sd_journal_add_match(j, "SYSLOG_IDENTIFIER=biogated", 0);
        /* biogated runs as root here; entries injected as others are not its. */
        if (r >= 0)
                r = sd_journal_add_match(j, "_UID=0", 0);
        while (r >= 0 && (r = sd_journal_next(j)) > 0) {
                g_autoptr(GHashTable) fields = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
                const void *data;
                size_t len;
                uint64_t realtime;

                /* An address of the entry, not one of its fields. */
                if (sd_journal_get_realtime_usec(j, &realtime) >= 0)
                        g_hash_table_insert(fields, g_strdup("__REALTIME_TIMESTAMP"),
                                            g_strdup_printf("%" G_GUINT64_FORMAT, (guint64) realtime));
                SD_JOURNAL_FOREACH_DATA(j, data, len) {
                        const char *eq = memchr(data, '=', len);

                        if (eq)
                                g_hash_table_insert(fields, g_strndup(data, (gsize) (eq - (const char *) data)),
                                                    g_strndup(eq + 1, len - (size_t) (eq + 1 - (const char *) data)));
                }
                if (g_hash_table_contains(fields, "BIOGATE_SEQ"))
                        g_ptr_array_add(events, g_steal_pointer(&fields));
        }
        if (j)
                sd_journal_close(j);
        if (r < 0) {
                g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r), "reading %s: %s", journal_dir,
                            g_strerror(-r));
                return NULL;
        }
        return g_steal_pointer(&events);
}

const char *audit_event_lookup(GPtrArray *events, const char *key, const char *value, const char *field) {
        for (guint i = 0; i < events->len; i++)
                if (g_strcmp0(g_hash_table_lookup(events->pdata[i], key), value) == 0)
                        return g_hash_table_lookup(events->pdata[i], field);
        return NULL;
}

guint audit_count_events(GPtrArray *events, const char *key, const char *value) {
        guint n = 0;

        for (guint i = 0; i < events->len; i++)
                if (g_strcmp0(g_hash_table_lookup(events->pdata[i], key), value) == 0)
                        n++;
        return n;
}

/* ---- export format ---- */

static void export_entry_free(gpointer data) {
        AuditExportEntry *e = data;

        g_ptr_array_unref(e->names);
        g_ptr_array_unref(e->values);
        g_free(e);
}

static AuditExportEntry *export_entry_new(void) {
        AuditExportEntry *e = g_new0(AuditExportEntry, 1);

        e->names = g_ptr_array_new_with_free_func(g_free);
        e->values = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
        return e;
}

/* https://systemd.io/JOURNAL_EXPORT_FORMATS/: "NAME=value\n", or for binary
 * values "NAME\n", a little-endian 64-bit size, the bytes, "\n"; an empty
 * line ends an entry. */
GPtrArray *audit_export_parse(GBytes *export, GError **error) {
        g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func(export_entry_free);
        gsize size;
        const char *p = g_bytes_get_data(export, &size), *end = p + size;
        AuditExportEntry *e = NULL;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                const char *eq;

                if (!nl)
                        break;
                if (nl == p) {
                        e = NULL;
                        p = nl + 1;
                        continue;
                }
                if (!e) {
                        e = export_entry_new();
                        g_ptr_array_add(entries, e);
                }
                eq = memchr(p, '=', (size_t) (nl - p));
                if (eq) {
                        g_ptr_array_add(e->names, g_strndup(p, (gsize) (eq - p)));
                        g_ptr_array_add(e->values, g_bytes_new(eq + 1, (gsize) (nl - eq - 1)));
                        p = nl + 1;
                        continue;
                }
                {
                        guint64 len = 0;
                        const guint8 *lp = (const guint8 *) nl + 1;

                        if (end - (const char *) lp < 8)
                                break;
                        for (int i = 7; i >= 0; i--)
                                len = len << 8 | lp[i];
                        if ((guint64) (end - (const char *) lp - 8) < len + 1)
                                break;
                        g_ptr_array_add(e->names, g_strndup(p, (gsize) (nl - p)));
                        g_ptr_array_add(e->values, g_bytes_new(lp + 8, (gsize) len));
                        p = (const char *) lp + 8 + len + 1;
                }
        }
        if (p < end) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "truncated export stream at byte %zu",
                            (size_t) (p - (const char *) g_bytes_get_data(export, NULL)));
                return NULL;
        }
        return g_steal_pointer(&entries);
}

GBytes *audit_export_serialize(GPtrArray *entries) {
        GByteArray *out = g_byte_array_new();

        for (guint i = 0; i < entries->len; i++) {
                const AuditExportEntry *e = entries->pdata[i];

                for (guint f = 0; f < e->names->len; f++) {
                        const char *name = e->names->pdata[f];
                        gsize len;
                        const guint8 *v = g_bytes_get_data(e->values->pdata[f], &len);

                        g_byte_array_append(out, (const guint8 *) name, (guint) strlen(name));
                        if (!memchr(v, '\n', len) && !memchr(v, '\0', len)) {
                                g_byte_array_append(out, (const guint8 *) "=", 1);
                                g_byte_array_append(out, v, (guint) len);
                        } else {
                                guint8 le[8];

                                for (int b = 0; b < 8; b++)
                                        le[b] = (guint8) ((guint64) len >> (8 * b));
                                g_byte_array_append(out, (const guint8 *) "\n", 1);
                                g_byte_array_append(out, le, sizeof le);
                                g_byte_array_append(out, v, (guint) len);
                        }
                        g_byte_array_append(out, (const guint8 *) "\n", 1);
                }
                g_byte_array_append(out, (const guint8 *) "\n", 1);
        }
        return g_byte_array_free_to_bytes(out);
}

char *audit_export_get(const AuditExportEntry *entry, const char *name) {
        for (guint f = 0; f < entry->names->len; f++)
                if (g_str_equal(entry->names->pdata[f], name)) {
                        gsize len;
                        const char *v = g_bytes_get_data(entry->values->pdata[f], &len);

                        return memchr(v, '\0', len) ? NULL : g_strndup(v, len);
                }
        return NULL;
}

void audit_export_set(AuditExportEntry *entry, const char *name, const char *value) {
        for (guint f = 0; f < entry->names->len; f++)
                if (g_str_equal(entry->names->pdata[f], name)) {
                        g_bytes_unref(entry->values->pdata[f]);
                        entry->values->pdata[f] = g_bytes_new(value, strlen(value));
                        return;
                }
        g_error("the entry has no field %s", name);
}

guint audit_export_find_seq(GPtrArray *entries, guint64 seq) {
        g_autofree char *wanted = g_strdup_printf("%" G_GUINT64_FORMAT, seq);

        for (guint i = 0; i < entries->len; i++) {
                g_autofree char *value = audit_export_get(entries->pdata[i], "BIOGATE_SEQ");

                if (g_strcmp0(value, wanted) == 0)
                        return i;
        }
        g_error("no exported entry with BIOGATE_SEQ=%s", wanted);
}

/* ---- running tools with binary input and output ---- */

typedef struct {
        gboolean done;
        GBytes *out, *err;
        GError *error;
} Communicate;

static void communicate_cb(GObject *source, GAsyncResult *result, gpointer user_data) {
        Communicate *c = user_data;

        (void) g_subprocess_communicate_finish(G_SUBPROCESS(source), result, &c->out, &c->err, &c->error);
        c->done = TRUE;
}

static gboolean communicate_done(gpointer user_data) {
        return ((Communicate *) user_data)->done;
}

gboolean audit_run_io(const char *const *argv, GBytes *input, GBytes **ret_stdout, char **ret_stderr,
                      int *ret_wait_status, GError **error) {
        g_autoptr(GSubprocess) proc = g_subprocess_newv(argv, (input ? G_SUBPROCESS_FLAGS_STDIN_PIPE : 0) |
                                                              G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                              G_SUBPROCESS_FLAGS_STDERR_PIPE, error);
        Communicate c = { 0 };

        if (!proc)
                return FALSE;
        g_subprocess_communicate_async(proc, input, NULL, communicate_cb, &c);
        if (!btf_wait_until(communicate_done, &c, BTF_TIMEOUT_DEFAULT)) {
                /* Then wait for the callback: c lives on this stack. */
                g_subprocess_force_exit(proc);
                while (!c.done)
                        g_main_context_iteration(g_main_context_get_thread_default(), TRUE);
                g_clear_error(&c.error);
                g_set_error(&c.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "timed out running %s", argv[0]);
        }
        if (c.error) {
                g_propagate_error(error, c.error);
                g_clear_pointer(&c.out, g_bytes_unref);
                g_clear_pointer(&c.err, g_bytes_unref);
                return FALSE;
        }
        if (ret_stdout)
                *ret_stdout = g_steal_pointer(&c.out);
        if (ret_stderr)
                *ret_stderr = c.err ? g_strndup(g_bytes_get_data(c.err, NULL), g_bytes_get_size(c.err)) : g_strdup("");
        if (ret_wait_status)
                *ret_wait_status = g_subprocess_get_status(proc);
        g_clear_pointer(&c.out, g_bytes_unref);
        g_clear_pointer(&c.err, g_bytes_unref);
        return TRUE;
}

/* ---- the fixture: journald, bus, daemon ---- */

void audit_inject_as_nobody(AuditFixture *a, const char *const *fields) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_autoptr(GError) error = NULL;
        const char *matches[] = { "SYSLOG_IDENTIFIER=biogated", "_UID=65534", NULL };
        int status;

        for (const char *const *p = btf_journald_get_command_prefix(a->journald); *p; p++)
                g_ptr_array_add(argv, (char *) *p);
        g_ptr_array_add(argv, "setpriv");
        g_ptr_array_add(argv, "--reuid=65534");
        g_ptr_array_add(argv, "--regid=65534");
        g_ptr_array_add(argv, "--clear-groups");
        g_ptr_array_add(argv, "sh");
        g_ptr_array_add(argv, "-c");
        /* logger --journald reads FIELD=value lines: any field, any value. */
        g_ptr_array_add(argv, "printf '%s\\n' SYSLOG_IDENTIFIER=biogated \"$@\" | logger --journald");
        g_ptr_array_add(argv, "sh");
        for (const char *const *f = fields; *f; f++)
                g_ptr_array_add(argv, (char *) *f);
        g_ptr_array_add(argv, NULL);
        g_assert_true(btf_run((const char *const *) argv->pdata, NULL, NULL, NULL, &status, &error));
        g_assert_no_error(error);
        btf_assert_exit_code(status, 0);
        g_assert_true(btf_journald_wait_entries(a->journald, matches, 1, T, &error));
        g_assert_no_error(error);
}

static const char test_policy[] =
        "[rule denied-payee]\npayee=Sanctioned*\nrequire=deny\n\n"
        "[rule withdrawals]\nkind=withdrawal\ncurrency=USD\namount_min=10000.00\nrequire=fingerprint\n\n"
        "[default]\nrequire=fingerprint\n";


void audit_start_daemon(AuditFixture *a) {
        audit_start_daemon_with_env(a, NULL);
}

void audit_start_daemon_with_env(AuditFixture *a, const char *const *extra_env) {
        g_autofree char *policy_arg = g_strdup_printf("--policy-dir=%s", a->policy_dir);
        g_autofree char *vendor_arg = g_strdup_printf("--vendor-policy=%s/none.conf", a->f.tmp);
        g_autofree char *config_arg = a->config ? g_strdup_printf("--config=%s", a->config) : NULL;
        g_autofree char *notice_arg = a->consent_notice ? g_strdup_printf("--consent-notice=%s", a->consent_notice)
                                                        : NULL;
        g_autoptr(GPtrArray) args = g_ptr_array_new();

        g_ptr_array_add(args, policy_arg);
        g_ptr_array_add(args, vendor_arg);
        if (config_arg)
                g_ptr_array_add(args, config_arg);
        if (notice_arg)
                g_ptr_array_add(args, notice_arg);
        g_ptr_array_add(args, NULL);
        /* Through nsenter into the journald's namespace: biogated logs there. */
        fixture_start_daemon_wrapped(&a->f, btf_journald_get_command_prefix(a->journald), 0, extra_env,
                                     (const char *const *) args->pdata);
}

void audit_stop_daemon(AuditFixture *a) {
        g_autoptr(GError) error = NULL;
        int status;

        g_assert_true(btf_daemon_stop(a->f.daemon, &status, &error));
        g_assert_no_error(error);
        btf_assert_exit_code(status, 0);
}

void audit_setup(AuditFixture *a, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autofree char *policy = NULL;

        fixture_prepare(&a->f, NULL);
        a->journald = btf_journald_start(a->f.tmp, &error);
        g_assert_no_error(error);
        a->policy_dir = g_build_filename(a->f.tmp, "policy.d", NULL);
        a->key = g_build_filename(a->f.state, "private", "audit.key", NULL);
        policy = g_build_filename(a->policy_dir, "50-test.conf", NULL);
        g_assert_cmpint(g_mkdir_with_parents(a->policy_dir, 0755), ==, 0);
        g_assert_true(g_file_set_contents(policy, test_policy, -1, NULL));
        audit_start_daemon(a);
}

void audit_teardown(AuditFixture *a, gconstpointer data) {
        if (a->f.daemon && !btf_daemon_has_exited(a->f.daemon))
                audit_stop_daemon(a);
        /* Before the temporary directory goes: it holds journald's /run. */
        btf_journald_free(a->journald);
        fixture_teardown(&a->f, data);
        g_free(a->policy_dir);
        g_free(a->key);
        g_free(a->config);
        g_free(a->consent_notice);
}

/* The sequence number of the last event biogated sent, from its chain
 * state (saved behind the events: current once a reply that waits for the
 * writer was received, or biogated stopped). */
guint64 audit_chain_state_seq(AuditFixture *a) {
        g_autofree char *path = g_build_filename(a->f.state, "audit", "chain", NULL);
        g_autofree char *text = NULL;
        guint64 seq = 0;

        g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
        g_assert_true(g_str_has_prefix(text, "seq="));
        *strchr(text, '\n') = '\0';
        g_assert_true(g_ascii_string_to_unsigned(text + 4, 10, 1, G_MAXUINT64, &seq, NULL));
        return seq;
}

/* Waits until the journal holds every event sent so far. */
guint64 audit_sync_journal(AuditFixture *a) {
        g_autoptr(GError) error = NULL;
        guint64 seq = audit_chain_state_seq(a);
        g_autofree char *match = g_strdup_printf("BIOGATE_SEQ=%" G_GUINT64_FORMAT, seq);
        const char *matches[] = { "SYSLOG_IDENTIFIER=biogated", match, NULL };

        g_assert_true(btf_journald_wait_entries(a->journald, matches, 1, T, &error));
        g_assert_no_error(error);
        return seq;
}

GPtrArray *audit_fixture_events(AuditFixture *a) {
        g_autoptr(GError) error = NULL;
        GPtrArray *events = audit_read_events(btf_journald_get_directory(a->journald), &error);

        g_assert_no_error(error);
        return events;
}

GPtrArray *audit_events_named(AuditFixture *a, const char *name) {
        g_autoptr(GPtrArray) all = NULL;
        GPtrArray *named = g_ptr_array_new_with_free_func((GDestroyNotify) g_hash_table_unref);

        (void) audit_sync_journal(a);
        all = audit_fixture_events(a);
        for (guint i = 0; i < all->len; i++)
                if (g_strcmp0(audit_field(all->pdata[i], "BIOGATE_EVENT"), name) == 0)
                        g_ptr_array_add(named, g_hash_table_ref(all->pdata[i]));
        return named;
}

/* biogatectl ARGS...; returns stdout, the exit status in *ret_status. */
char *audit_ctl(int *ret_status, const char *const *args) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_autoptr(GError) error = NULL;
        g_autofree char *err = NULL;
        const char *env[] = { "TZ=UTC", NULL };
        char *out = NULL;

        g_ptr_array_add(argv, (char *) BIOGATECTL_PATH);
        for (const char *const *p = args; *p; p++)
                g_ptr_array_add(argv, (char *) *p);
        g_ptr_array_add(argv, NULL);
        g_assert_true(btf_run((const char *const *) argv->pdata, env, &out, &err, ret_status, &error));
        g_assert_no_error(error);
        if (err[0])
                g_test_message("biogatectl stderr: %s", err);
        return out;
}

char *audit_ctl_as(uid_t uid, const char *const *extra_env, int expected_exit, const char *const *args) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_autoptr(GError) error = NULL;
        g_autofree char *out = NULL, *err = NULL;
        int status = 0;

        g_ptr_array_add(argv, (char *) BIOGATECTL_PATH);
        for (const char *const *p = args; *p; p++)
                g_ptr_array_add(argv, (char *) *p);
        g_ptr_array_add(argv, NULL);
        if (uid == 0)
                g_assert_true(btf_run((const char *const *) argv->pdata, extra_env, &out, &err, &status, &error));
        else
                g_assert_true(btf_run_as(uid, uid, (const char *const *) argv->pdata, &out, &err, &status, &error));
        g_assert_no_error(error);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != expected_exit)
                g_error("biogatectl %s: expected exit %d, got 0x%x; stdout: %s stderr: %s", args[0], expected_exit,
                        (unsigned) status, out, err);
        return g_strconcat(out, err, NULL);
}

JsonObject *audit_ctl_json(int expected_status, const char *const *args) {
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(GError) error = NULL;
        g_autofree char *out = NULL;
        int status;

        out = audit_ctl(&status, args);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != expected_status)
                g_error("biogatectl exited with %d, not %d; output: %s", WEXITSTATUS(status), expected_status, out);
        g_assert_true(json_parser_load_from_data(parser, out, -1, &error));
        g_assert_no_error(error);
        g_assert_true(JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)));
        return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

JsonObject *audit_verify_directory(AuditFixture *a, int expected_status, const char *since) {
        const char *dir = btf_journald_get_directory(a->journald);
        const char *args[] = { "audit", "verify", "--json", "--directory", dir, "--state-dir", a->f.state,
                               since ? "--since" : NULL, since, NULL };

        return audit_ctl_json(expected_status, args);
}

/* ISO 8601 UTC with microseconds, as --since takes it. */
char *audit_iso_time(guint64 usec) {
        g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc((gint64) (usec / G_USEC_PER_SEC));
        g_autoptr(GDateTime) precise = g_date_time_add(t, (GTimeSpan) (usec % G_USEC_PER_SEC));

        return g_date_time_format_iso8601(precise);
}

/* __REALTIME_TIMESTAMP of the first event named @name. */
guint64 audit_event_realtime(GPtrArray *events, const char *name) {
        const char *text = audit_event_lookup(events, "BIOGATE_EVENT", name, "__REALTIME_TIMESTAMP");
        guint64 usec = 0;

        g_assert_nonnull(text);
        g_assert_true(g_ascii_string_to_unsigned(text, 10, 1, G_MAXUINT64, &usec, NULL));
        return usec;
}

static GVariant *audit_tx_new(const char *kind, const char *amount, const char *payee) {
        static const guint8 challenge[32] = "0123456789abcdef0123456789abcdef";
        GVariantBuilder b;

        g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add(&b, "{sv}", "kind", g_variant_new_string(kind));
        g_variant_builder_add(&b, "{sv}", "amount", g_variant_new_string(amount));
        g_variant_builder_add(&b, "{sv}", "currency", g_variant_new_string("USD"));
        g_variant_builder_add(&b, "{sv}", "payee", g_variant_new_string(payee));
        g_variant_builder_add(&b, "{sv}", "challenge",
                              g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, challenge, sizeof challenge, 1));
        return g_variant_builder_end(&b);
}

void audit_approve_withdrawal(AuditFixture *a) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfOp) op = start_authorize(a->f.conn, audit_tx_new("withdrawal", "250000.00", "ACME Ltd"), &error);
        g_autofree char *result = NULL;

        g_assert_no_error(error);
        wait_finger_needed(op);
        touch(&a->f, PRINT_ID);
        result = wait_finished(op, NULL);
        g_assert_cmpstr(result, ==, "approved");
}

void audit_denied_by_policy(AuditFixture *a) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfOp) op = start_authorize(a->f.conn, audit_tx_new("order", "5000.00", "Sanctioned Corp"), &error);

        assert_dbus_error(error, "org.biogate1.Error.PolicyDenied");
}

void audit_verify_expect(AuditFixture *a, const char *id, const char *expected) {
        g_autofree char *result = verify_with(&a->f, a->f.conn, "", id, NULL);

        g_assert_cmpstr(result, ==, expected);
}

/* One of each decision a login and a step-up make. */
void audit_make_history(AuditFixture *a) {
        enroll(&a->f, "", "right-index-finger", PRINT_ID);
        audit_verify_expect(a, PRINT_ID, BIOGATE_RESULT_MATCH);
        audit_verify_expect(a, OTHER_ID, BIOGATE_RESULT_NO_MATCH);
        audit_approve_withdrawal(a);
        audit_denied_by_policy(a);
}

BiogatedAuditEvent audit_event_by_name(const char *name) {
        for (int ev = 0; ev < _BIOGATED_AUDIT_EVENT_MAX; ev++)
                if (g_strcmp0(biogated_audit_event_name((BiogatedAuditEvent) ev), name) == 0)
                        return (BiogatedAuditEvent) ev;
        g_error("unknown BIOGATE_EVENT=%s", name);
}

const char *audit_field(GHashTable *event, const char *name) {
        return g_hash_table_lookup(event, name);
}

/* The only event named @name: asserts there is exactly one. */
GHashTable *audit_the_event(GPtrArray *events, const char *name) {
        GHashTable *found = NULL;

        g_assert_cmpuint(audit_count_events(events, "BIOGATE_EVENT", name), ==, 1);
        for (guint i = 0; i < events->len; i++)
                if (g_strcmp0(audit_field(events->pdata[i], "BIOGATE_EVENT"), name) == 0)
                        found = events->pdata[i];
        return found;
}
