/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* systemd/biogate.catalog against the daemon's event table: exactly one
 * entry per MESSAGE_ID, each with the headers journalctl -x shows, and
 * journalctl itself accepts the file (indexed into a temporary root, the
 * way packages run --update-catalog). */
#include <string.h>

#include "biogate-test-fixture.h"
#include "biogated-audit.h"

typedef struct {
        char *id;
        char *subject;
        gboolean defined_by, support;
        GString *body;
} Entry;

static void entry_free(gpointer data) {
        Entry *e = data;

        g_free(e->id);
        g_free(e->subject);
        g_string_free(e->body, TRUE);
        g_free(e);
}

static gboolean is_id(const char *text) {
        if (strlen(text) != 32)
                return FALSE;
        for (const char *c = text; *c; c++)
                if (!g_ascii_isxdigit(*c) || g_ascii_isupper(*c))
                        return FALSE;
        return TRUE;
}

/* The format of systemd's catalog files: "-- ID" starts an entry, header
 * lines up to the first empty line, then the text; '#' lines are comments
 * only before the first entry. Every line is checked, so that a typo
 * fails here rather than silently in journalctl. */
static GPtrArray *parse_catalog(const char *path) {
        g_autofree char *text = NULL;
        g_autoptr(GError) error = NULL;
        g_auto(GStrv) lines = NULL;
        GPtrArray *entries = g_ptr_array_new_with_free_func(entry_free);
        Entry *e = NULL;
        gboolean in_header = FALSE;

        g_assert_true(g_file_get_contents(path, &text, NULL, &error));
        g_assert_no_error(error);
        g_assert_true(g_utf8_validate(text, -1, NULL));
        lines = g_strsplit(text, "\n", -1);
        for (guint i = 0; lines[i]; i++) {
                const char *line = lines[i];

                if (g_str_has_prefix(line, "-- ")) {
                        e = g_new0(Entry, 1);
                        e->id = g_strdup(line + 3);
                        e->body = g_string_new(NULL);
                        if (!is_id(e->id))
                                g_error("%s:%u: \"%s\" is not a 128-bit ID in lower-case hex", path, i + 1, e->id);
                        g_ptr_array_add(entries, e);
                        in_header = TRUE;
                        continue;
                }
                if (!e) {
                        if (line[0] != '#' && line[0] != '\0')
                                g_error("%s:%u: text before the first entry", path, i + 1);
                        continue;
                }
                if (in_header && line[0] == '\0') {
                        in_header = FALSE;
                        continue;
                }
                if (in_header) {
                        if (g_str_has_prefix(line, "Subject: "))
                                e->subject = g_strdup(line + 9);
                        else if (g_str_equal(line, "Defined-By: biogate"))
                                e->defined_by = TRUE;
                        else if (g_str_has_prefix(line, "Support: "))
                                e->support = TRUE;
                        else if (!g_str_has_prefix(line, "Documentation: "))
                                g_error("%s:%u: unexpected header line \"%s\"", path, i + 1, line);
                        continue;
                }
                g_string_append_printf(e->body, "%s\n", line);
        }
        return entries;
}

static Entry *find_entry(GPtrArray *entries, const char *id, guint *ret_count) {
        Entry *found = NULL;

        *ret_count = 0;
        for (guint i = 0; i < entries->len; i++) {
                Entry *e = entries->pdata[i];

                if (g_str_equal(e->id, id)) {
                        found = e;
                        (*ret_count)++;
                }
        }
        return found;
}

static void test_one_entry_per_event(void) {
        g_autoptr(GPtrArray) entries = parse_catalog(BIOGATE_CATALOG);

        g_assert_cmpuint(entries->len, ==, _BIOGATED_AUDIT_EVENT_MAX);
        for (int ev = 0; ev < _BIOGATED_AUDIT_EVENT_MAX; ev++) {
                const char *id = biogated_audit_event_message_id((BiogatedAuditEvent) ev);
                const char *name = biogated_audit_event_name((BiogatedAuditEvent) ev);
                guint count;
                Entry *e = find_entry(entries, id, &count);

                if (count != 1)
                        g_error("event %s (%s) has %u catalog entries", name, id, count);
                g_assert_nonnull(e->subject);
                g_assert_true(e->defined_by);
                g_assert_true(e->support);
                /* What it means and what to do: at least two paragraphs. */
                g_assert_nonnull(strstr(g_strstrip(e->body->str), "\n\n"));
                /* journalctl leaves an unknown @FIELD@ as the bare name. */
                g_assert_null(strstr(e->subject, "@BIOGATE_SERVICE@"));
        }
        /* And no two events share an ID. */
        for (int a = 0; a < _BIOGATED_AUDIT_EVENT_MAX; a++)
                for (int b = a + 1; b < _BIOGATED_AUDIT_EVENT_MAX; b++)
                        g_assert_cmpstr(biogated_audit_event_message_id((BiogatedAuditEvent) a), !=,
                                        biogated_audit_event_message_id((BiogatedAuditEvent) b));
}

static void test_journalctl_accepts(void) {
        g_autofree char *tmp = btf_tmpdir_new();
        g_autofree char *dir = g_build_filename(tmp, "usr", "lib", "systemd", "catalog", NULL);
        g_autofree char *copy = g_build_filename(dir, "biogate.catalog", NULL);
        g_autofree char *contents = NULL, *root_arg = g_strconcat("--root=", tmp, NULL);
        g_autoptr(GError) error = NULL;
        int status;

        g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
        g_assert_true(g_file_get_contents(BIOGATE_CATALOG, &contents, NULL, &error));
        g_assert_true(g_file_set_contents(copy, contents, -1, &error));
        g_assert_no_error(error);
        {
                const char *argv[] = { JOURNALCTL_PATH, root_arg, "--update-catalog", NULL };
                g_autofree char *err = NULL;

                g_assert_true(btf_run(argv, NULL, NULL, &err, &status, &error));
                g_assert_no_error(error);
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                        g_error("journalctl --update-catalog refused the catalog: %s", err);
        }
        for (int ev = 0; ev < _BIOGATED_AUDIT_EVENT_MAX; ev++) {
                const char *id = biogated_audit_event_message_id((BiogatedAuditEvent) ev);
                const char *argv[] = { JOURNALCTL_PATH, root_arg, "--dump-catalog", id, NULL };
                g_autofree char *out = NULL;

                g_assert_true(btf_run(argv, NULL, &out, NULL, &status, &error));
                g_assert_no_error(error);
                btf_assert_exit_code(status, 0);
                g_assert_nonnull(strstr(out, "Subject: "));
                g_assert_nonnull(strstr(out, "Defined-By: biogate"));
        }
        btf_tmpdir_remove(tmp);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/catalog/one-entry-per-event", test_one_entry_per_event);
        g_test_add_func("/catalog/journalctl-accepts", test_journalctl_accepts);
        return g_test_run();
}
