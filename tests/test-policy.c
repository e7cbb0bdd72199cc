/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The step-up policy engine: matching, every parser error with its
 * FILE:LINE, the file checks, and which files load() reads. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "biogate-policy.h"

#define DEFAULT_NONE "[default]\nrequire=none\n"

typedef struct {
        char *dir;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;

        f->dir = g_dir_make_tmp("biogate-policy-XXXXXX", &error);
        g_assert_no_error(error);
}

static void fixture_teardown(Fixture *f, gconstpointer data) {
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);

        g_assert_cmpint(system(cmd), ==, 0);
        g_free(f->dir);
}

/* Writes @len bytes (-1: a string) to DIR/@name with mode 0644; returns the path. */
static char *write_file(const char *dir, const char *name, const char *text, gssize len) {
        g_autoptr(GError) error = NULL;
        char *path = g_build_filename(dir, name, NULL);

        g_assert_true(g_file_set_contents_full(path, text, len, G_FILE_SET_CONTENTS_CONSISTENT, 0644, &error));
        g_assert_no_error(error);
        return path;
}

static BiogatePolicy *load_text(Fixture *f, const char *text, GError **error) {
        g_autofree char *path = write_file(f->dir, "p.conf", text, -1);

        return biogate_policy_load_file(path, error);
}

/* A transaction through the daemon's own parser: key, value, ..., NULL. */
static BiogateTx *tx_new(const char *kind, ...) G_GNUC_NULL_TERMINATED;
static BiogateTx *tx_new(const char *kind, ...) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) dict = NULL;
        GVariantBuilder b;
        const char *key;
        BiogateTx *tx;
        va_list ap;

        g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add(&b, "{sv}", "kind", g_variant_new_string(kind));
        va_start(ap, kind);
        while ((key = va_arg(ap, const char *)))
                g_variant_builder_add(&b, "{sv}", key, g_variant_new_string(va_arg(ap, const char *)));
        va_end(ap);
        dict = g_variant_ref_sink(g_variant_builder_end(&b));

        tx = biogate_tx_from_variant(dict, &error);
        g_assert_no_error(error);
        return tx;
}

static GDateTime *at(int hour, int minute) {
        g_autoptr(GTimeZone) utc = g_time_zone_new_utc();

        return g_date_time_new(utc, 2024, 3, 14, hour, minute, 0);
}

/* The name of the rule @tx matches at 12:00. */
static const char *match_name(const BiogatePolicy *policy, BiogateTx *tx) {
        g_autoptr(BiogateTx) owned = tx;
        g_autoptr(GDateTime) noon = at(12, 0);
        const BiogatePolicyRule *rule = biogate_policy_match(policy, owned, noon);

        g_assert_nonnull(rule);
        return rule->name;
}

static void test_first_match_wins(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BiogatePolicy) p = load_text(f,
                "# comment\n"
                "; another comment\n"
                "[rule first]\nkind=withdrawal\nrequire=fingerprint\n\n"
                "[rule second]\nkind=withdrawal\nrequire=deny\n"
                "[rule orders]\nkind=order\nrequire=deny\n"
                "[default]\nrequire=none\n", &error);
        const BiogatePolicyRule *rule;
        g_autoptr(BiogateTx) tx = tx_new("withdrawal", NULL);

        g_assert_no_error(error);
        g_assert_cmpuint(biogate_policy_get_n_rules(p), ==, 4);
        rule = biogate_policy_match(p, tx, NULL);
        g_assert_cmpstr(rule->name, ==, "first");
        g_assert_cmpint(rule->line, ==, 3);
        g_assert_cmpint(rule->requirement, ==, BIOGATE_REQUIRE_FINGERPRINT);
        g_assert_cmpstr(match_name(p, tx_new("order", NULL)), ==, "orders");
        g_assert_cmpstr(match_name(p, tx_new("transfer", NULL)), ==, "default");
        g_clear_pointer(&p, biogate_policy_free);

        /* The same rules the other way round. */
        p = load_text(f, "[rule second]\nkind=withdrawal\nrequire=deny\n"
                         "[rule first]\nkind=withdrawal\nrequire=fingerprint\n" DEFAULT_NONE, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(match_name(p, tx_new("withdrawal", NULL)), ==, "second");
}

static void test_rule_settings(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BiogatePolicy) p = load_text(f,
                "[rule four-eyes]\nkind=loan_issuance\nrequire = fingerprint+approver\n"
                "approver_group=biogate-approvers\nrequire_local_session=true\ntoken_lifetime=10\n"
                "[default]\r\nrequire=fingerprint\r\ntoken_lifetime=3600\r\n", &error);
        const BiogatePolicyRule *r;

        g_assert_no_error(error);
        {
                g_autoptr(BiogateTx) tx = tx_new("loan_issuance", NULL);
                r = biogate_policy_match(p, tx, NULL);
        }
        g_assert_cmpstr(r->name, ==, "four-eyes");
        g_assert_cmpstr(r->file, ==, biogate_policy_describe_sources(p));
        g_assert_cmpint(r->requirement, ==, BIOGATE_REQUIRE_FINGERPRINT_APPROVER);
        g_assert_cmpstr(r->approver_group, ==, "biogate-approvers");
        g_assert_true(r->require_local_session);
        g_assert_cmpuint(r->token_lifetime_s, ==, 10);
        {
                g_autoptr(BiogateTx) tx = tx_new("order", NULL);
                r = biogate_policy_match(p, tx, NULL);
        }
        g_assert_cmpstr(r->name, ==, "default");
        g_assert_cmpint(r->line, ==, 7);
        g_assert_null(r->approver_group);
        g_assert_false(r->require_local_session);
        g_assert_cmpuint(r->token_lifetime_s, ==, 3600);
        g_assert_cmpstr(biogate_requirement_to_string(r->requirement), ==, "fingerprint");
        g_clear_pointer(&p, biogate_policy_free);

        p = load_text(f, DEFAULT_NONE, &error);
        g_assert_no_error(error);
        {
                g_autoptr(BiogateTx) tx = tx_new("order", NULL);
                r = biogate_policy_match(p, tx, NULL);
        }
        g_assert_cmpuint(r->token_lifetime_s, ==, 120);
        g_assert_cmpint(r->requirement, ==, BIOGATE_REQUIRE_NONE);
        g_assert_false(r->display_agent);
}

/* display=agent per rule and in [default]; any (the default) is not. */
static void test_rule_display(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BiogatePolicy) p = load_text(f,
                "[rule shown]\nkind=withdrawal\nrequire=fingerprint\ndisplay=agent\n"
                "[rule anywhere]\nkind=transfer\nrequire=fingerprint\ndisplay=any\n"
                "[default]\nrequire=fingerprint\ndisplay=agent\n", &error);
        const struct {
                const char *kind;
                const char *rule;
                gboolean agent;
        } cases[] = {
                { "withdrawal", "shown", TRUE },
                { "transfer", "anywhere", FALSE },
                { "order", "default", TRUE },
        };

        g_assert_no_error(error);
        for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autoptr(BiogateTx) tx = tx_new(cases[i].kind, NULL);
                const BiogatePolicyRule *r = biogate_policy_match(p, tx, NULL);

                g_assert_cmpstr(r->name, ==, cases[i].rule);
                g_assert_cmpint(r->display_agent, ==, cases[i].agent);
        }
}

static void test_amount_boundaries(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BiogatePolicy) p = load_text(f,
                "[rule big]\nkind=withdrawal\ncurrency=USD\namount_min=10000.00\nrequire=fingerprint\n"
                "[rule band]\nkind=order\namount_max=200\namount_min=100.00\ncurrency=USD\nrequire=fingerprint\n"
                "[rule yen]\ncurrency=JPY\namount_min=1000\nrequire=deny\n" DEFAULT_NONE, &error);

        g_assert_no_error(error);
        /* amount_min is inclusive, to the minor unit. */
        g_assert_cmpstr(match_name(p, tx_new("withdrawal", "amount", "10000.00", "currency", "USD", NULL)), ==, "big");
        g_assert_cmpstr(match_name(p, tx_new("withdrawal", "amount", "9999.99", "currency", "USD", NULL)), ==, "default");
        g_assert_cmpstr(match_name(p, tx_new("withdrawal", "amount", "10000.01", "currency", "USD", NULL)), ==, "big");
        g_assert_cmpstr(match_name(p, tx_new("withdrawal", "amount", "999999999.99", "currency", "USD", NULL)), ==, "big");
        /* amount_max is exclusive. */
        g_assert_cmpstr(match_name(p, tx_new("order", "amount", "100.00", "currency", "USD", NULL)), ==, "band");
        g_assert_cmpstr(match_name(p, tx_new("order", "amount", "99.99", "currency", "USD", NULL)), ==, "default");
        g_assert_cmpstr(match_name(p, tx_new("order", "amount", "199.99", "currency", "USD", NULL)), ==, "band");
        g_assert_cmpstr(match_name(p, tx_new("order", "amount", "200.00", "currency", "USD", NULL)), ==, "default");
        /* A currency without minor units. */
        g_assert_cmpstr(match_name(p, tx_new("order", "amount", "1000", "currency", "JPY", NULL)), ==, "yen");
        g_assert_cmpstr(match_name(p, tx_new("order", "amount", "999", "currency", "JPY", NULL)), ==, "default");
        /* No amount never matches a rule with an amount bound. */
        g_assert_cmpstr(match_name(p, tx_new("withdrawal", NULL)), ==, "default");
        g_assert_cmpstr(match_name(p, tx_new("order", NULL)), ==, "default");
}

static void test_currency_mismatch(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BiogatePolicy) p = load_text(f,
                "[rule usd]\ncurrency=USD\namount_min=10000.00\nrequire=fingerprint\n"
                "[rule eur-any]\ncurrency=EUR\nrequire=deny\n" DEFAULT_NONE, &error);

        g_assert_no_error(error);
        g_assert_cmpstr(match_name(p, tx_new("withdrawal", "amount", "10000.00", "currency", "USD", NULL)), ==, "usd");
        /* The same digits in another currency are not the same amount. */
        g_assert_cmpstr(match_name(p, tx_new("withdrawal", "amount", "10000.00", "currency", "EUR", NULL)), ==, "eur-any");
        g_assert_cmpstr(match_name(p, tx_new("withdrawal", "amount", "10000.00", "currency", "GBP", NULL)), ==, "default");
        g_assert_cmpstr(match_name(p, tx_new("withdrawal", "amount", "1000000", "currency", "JPY", NULL)), ==, "default");
        g_assert_cmpstr(match_name(p, tx_new("withdrawal", NULL)), ==, "default");
}

static void test_kind_lists(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BiogatePolicy) p = load_text(f,
                "[rule cash]\nkind=withdrawal; transfer;cash_conversion;\nrequire=fingerprint\n"
                "[rule site]\nkind=fx_swap\nrequire=deny\n" DEFAULT_NONE, &error);

        g_assert_no_error(error);
        g_assert_cmpstr(match_name(p, tx_new("withdrawal", NULL)), ==, "cash");
        g_assert_cmpstr(match_name(p, tx_new("transfer", NULL)), ==, "cash");
        g_assert_cmpstr(match_name(p, tx_new("cash_conversion", NULL)), ==, "cash");
        g_assert_cmpstr(match_name(p, tx_new("order", NULL)), ==, "default");
        g_assert_cmpstr(match_name(p, tx_new("fx_swap", NULL)), ==, "site");
        g_assert_true(biogate_policy_knows_kind(p, "fx_swap"));
        g_assert_true(biogate_policy_knows_kind(p, "transfer"));
        g_assert_false(biogate_policy_knows_kind(p, "order"));
        g_assert_false(biogate_policy_knows_kind(p, "fx"));
}

static void test_globs(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BiogatePolicy) p = load_text(f,
                "[rule acme]\npayee=ACME*\nrequire=deny\n"
                "[rule house]\naccount=HOUSE-???\ninstrument=*.L\nrequire=fingerprint\n" DEFAULT_NONE, &error);

        g_assert_no_error(error);
        g_assert_cmpstr(match_name(p, tx_new("transfer", "payee", "ACME Ltd", NULL)), ==, "acme");
        /* payee= looks at the payee only, never at the counterparty. */
        g_assert_cmpstr(match_name(p, tx_new("order", "counterparty", "ACME Securities", NULL)), ==, "default");
        g_assert_cmpstr(match_name(p, tx_new("order", "payee", "Other", "counterparty", "ACME", NULL)), ==, "default");
        g_assert_cmpstr(match_name(p, tx_new("transfer", "payee", "acme ltd", NULL)), ==, "default");
        g_assert_cmpstr(match_name(p, tx_new("transfer", "payee", "The ACME", NULL)), ==, "default");
        /* Every selector of a rule must match; a missing field matches no pattern. */
        g_assert_cmpstr(match_name(p, tx_new("order", "account", "HOUSE-001", "instrument", "VOD.L", NULL)), ==, "house");
        g_assert_cmpstr(match_name(p, tx_new("order", "account", "HOUSE-0001", "instrument", "VOD.L", NULL)), ==, "default");
        g_assert_cmpstr(match_name(p, tx_new("order", "account", "HOUSE-001", "instrument", "VOD.O", NULL)), ==, "default");
        g_assert_cmpstr(match_name(p, tx_new("order", "account", "HOUSE-001", NULL)), ==, "default");
}

/* Review finding 1: a "require=none" rule for the house's payees approved a
 * payment to anyone who named a house account as the counterparty. Every
 * glob selector is checked here against a transaction that carries the
 * matching value in each OTHER text field, and in its own. */
static void test_selector_own_field_only(Fixture *f, gconstpointer data) {
        static const char *const fields[] = { "payee", "counterparty", "account", "instrument", "reference" };
        static const char *const selectors[] = { "payee", "counterparty", "account", "instrument" };

        for (gsize s = 0; s < G_N_ELEMENTS(selectors); s++) {
                g_autoptr(GError) error = NULL;
                g_autofree char *text = g_strdup_printf("[rule house]\n%s=HOUSE-*\nrequire=none\n"
                                                        "[default]\nrequire=fingerprint\n", selectors[s]);
                g_autoptr(BiogatePolicy) p = load_text(f, text, &error);

                g_assert_no_error(error);
                for (gsize i = 0; i < G_N_ELEMENTS(fields); i++) {
                        const char *expected = g_str_equal(fields[i], selectors[s]) ? "house" : "default";
                        const char *got = match_name(p, tx_new("transfer", fields[i], "HOUSE-1", NULL));

                        if (!g_str_equal(got, expected))
                                g_error("%s=HOUSE-* with %s=HOUSE-1: rule %s, expected %s", selectors[s], fields[i],
                                        got, expected);
                }
                /* The selector's own field decides, whatever the others say. */
                g_assert_cmpstr(match_name(p, tx_new("transfer", "payee", "Mallory Offshore", "counterparty",
                                                     "Mallory Offshore", "account", "Mallory Offshore",
                                                     "instrument", "Mallory Offshore", NULL)), ==, "default");
        }
}

/* A selector on a field the transaction lacks never matches, not even "*":
 * a rule that relaxes the requirement for some payees must not relax it for
 * a transaction that names no payee. Same for kind, currency and amounts. */
static void test_selector_absent_field(Fixture *f, gconstpointer data) {
        static const char *const selectors[] = {
                "payee=*", "counterparty=*", "account=*", "instrument=*", "currency=USD",
                "currency=USD\namount_min=0.00", "currency=USD\namount_max=1000000.00",
        };

        for (gsize s = 0; s < G_N_ELEMENTS(selectors); s++) {
                g_autoptr(GError) error = NULL;
                g_autofree char *text = g_strdup_printf("[rule relaxed]\n%s\nrequire=none\n"
                                                        "[default]\nrequire=fingerprint\n", selectors[s]);
                g_autoptr(BiogatePolicy) p = load_text(f, text, &error);

                g_assert_no_error(error);
                /* Every text field but the one selected, and no amount. */
                g_assert_cmpstr(match_name(p, tx_new("transfer", "reference", "R-1", NULL)), ==, "default");
        }
        {
                g_autoptr(GError) error = NULL;
                g_autoptr(BiogatePolicy) p = load_text(f, "[rule c]\ncounterparty=HOUSE-*\nrequire=none\n"
                                                          "[default]\nrequire=fingerprint\n", &error);

                g_assert_no_error(error);
                g_assert_cmpstr(match_name(p, tx_new("transfer", "counterparty", "HOUSE-1", NULL)), ==, "c");
                g_assert_cmpstr(match_name(p, tx_new("transfer", "payee", "X", "counterparty", "HOUSE-9", NULL)), ==,
                                "c");
                g_assert_cmpstr(match_name(p, tx_new("transfer", "counterparty", "house-1", NULL)), ==, "default");
        }
}

static const char *match_at(const BiogatePolicy *p, int hour, int minute) {
        g_autoptr(BiogateTx) tx = tx_new("order", NULL);
        g_autoptr(GDateTime) now = at(hour, minute);

        return biogate_policy_match(p, tx, now)->name;
}

static void test_time_windows(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BiogatePolicy) p = load_text(f,
                "[rule day]\ntime=09:00-17:00\nrequire=fingerprint\n"
                "[rule night]\ntime=22:00-06:00\nrequire=deny\n" DEFAULT_NONE, &error);

        g_assert_no_error(error);
        g_assert_cmpstr(match_at(p, 8, 59), ==, "default");
        g_assert_cmpstr(match_at(p, 9, 0), ==, "day");
        g_assert_cmpstr(match_at(p, 16, 59), ==, "day");
        g_assert_cmpstr(match_at(p, 17, 0), ==, "default");
        /* Wrapping around midnight; the end is exclusive here too. */
        g_assert_cmpstr(match_at(p, 21, 59), ==, "default");
        g_assert_cmpstr(match_at(p, 22, 0), ==, "night");
        g_assert_cmpstr(match_at(p, 23, 59), ==, "night");
        g_assert_cmpstr(match_at(p, 0, 0), ==, "night");
        g_assert_cmpstr(match_at(p, 5, 59), ==, "night");
        g_assert_cmpstr(match_at(p, 6, 0), ==, "default");
}

typedef struct {
        const char *text;
        int line;
        const char *reason;  /* a part of the message */
        BiogatePolicyError code;
} BadCase;

static const BadCase bad_cases[] = {
        { "[rule a]\nrequire=none\n", 2, "no [default]", BIOGATE_POLICY_ERROR_INVALID },
        { "", 1, "no [default]", BIOGATE_POLICY_ERROR_INVALID },
        { DEFAULT_NONE "[rule a]\nrequire=none\n", 3, "must be the last group", BIOGATE_POLICY_ERROR_INVALID },
        { DEFAULT_NONE "\n" DEFAULT_NONE, 4, "duplicate [default]", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\nrequire=none\n[rule a]\nrequire=deny\n" DEFAULT_NONE,
          3, "duplicate [rule a]", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\nrequire=none\ncolour=red\n" DEFAULT_NONE, 3, "unknown key 'colour'", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\nrequire=none\nrequire[de]=none\n" DEFAULT_NONE, 3, "unknown key", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\nrequire=none\nrequire=deny\n" DEFAULT_NONE,
          3, "duplicate key 'require' in [rule a] (first at line 2)", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\nrequire=maybe\n" DEFAULT_NONE, 2, "require=maybe is not one of", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\nkind=order\n" DEFAULT_NONE, 1, "has no require=", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\nrequire=none\n[default]\ntoken_lifetime=60\n", 3, "has no require=", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\nrequire=fingerprint+approver\n" DEFAULT_NONE,
          2, "needs approver_group=", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\nrequire=fingerprint\napprover_group=x\n" DEFAULT_NONE,
          3, "only allowed with require=fingerprint+approver", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\nrequire=fingerprint+approver\napprover_group=bad group\n" DEFAULT_NONE,
          3, "not a valid unix group name", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\ncurrency=USD\namount_min=10.001\nrequire=none\n" DEFAULT_NONE,
          3, "is not a valid USD amount", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\ncurrency=JPY\namount_max=10.5\nrequire=none\n" DEFAULT_NONE,
          3, "is not a valid JPY amount", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\ncurrency=USD\namount_min=-5\nrequire=none\n" DEFAULT_NONE,
          3, "is not a valid USD amount", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\ncurrency=USD\namount_min=1e6\nrequire=none\n" DEFAULT_NONE,
          3, "is not a valid USD amount", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\namount_min=10\nrequire=none\n" DEFAULT_NONE,
          2, "amount_min= needs currency=", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\ncurrency=USD\namount_min=10\namount_max=10.00\nrequire=none\n" DEFAULT_NONE,
          4, "is not below amount_max", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\ncurrency=USD\namount_max=5\namount_min=10\nrequire=none\n" DEFAULT_NONE,
          3, "is not below amount_max", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\ncurrency=XYZ\nrequire=none\n" DEFAULT_NONE, 2, "not an ISO 4217", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\ncurrency=usd\nrequire=none\n" DEFAULT_NONE, 2, "not an ISO 4217", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\ntime=24:00-06:00\nrequire=none\n" DEFAULT_NONE,
          2, "time=24:00-06:00 is not a window", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\ntime=9:00-17:00\nrequire=none\n" DEFAULT_NONE, 2, "is not a window", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\ntime=09:00-09:00\nrequire=none\n" DEFAULT_NONE, 2, "is not a window", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\ntime=09:60-10:00\nrequire=none\n" DEFAULT_NONE, 2, "is not a window", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\ntime=09:00-17:00x\nrequire=none\n" DEFAULT_NONE, 2, "is not a window", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\nrequire=none\ntoken_lifetime=9\n" DEFAULT_NONE,
          3, "token_lifetime=9 is not a number", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\nrequire=none\ntoken_lifetime=3601\n" DEFAULT_NONE, 3, "10 to 3600", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\nrequire=none\ntoken_lifetime=+60\n" DEFAULT_NONE,
          3, "token_lifetime=+60", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\nrequire=none\ntoken_lifetime=2m\n" DEFAULT_NONE, 3, "token_lifetime=2m", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\nrequire=none\nrequire_local_session=yes\n" DEFAULT_NONE,
          3, "not true or false", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\nrequire=none\ndisplay=window\n" DEFAULT_NONE,
          3, "display=window is not agent or any", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\nkind=Order\nrequire=none\n" DEFAULT_NONE,
          2, "kind 'Order' is not a valid kind", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\nkind=order;;transfer\nrequire=none\n" DEFAULT_NONE,
          2, "kind '' is not a valid kind", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\nkind=order;order\nrequire=none\n" DEFAULT_NONE, 2, "listed twice", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\npayee=\nrequire=none\n" DEFAULT_NONE, 2, "payee= has no value", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\nrequire=none\n[default]\nrequire=none\nkind=order\n",
          5, "not allowed in [default]", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule default]\nrequire=none\n" DEFAULT_NONE,
          1, "'default' is the name of the [default] group", BIOGATE_POLICY_ERROR_INVALID },
        { "require=none\n" DEFAULT_NONE, 1, "before the first group", BIOGATE_POLICY_ERROR_SYNTAX },
        { "[rule a]\nrequire=none\nhello\n" DEFAULT_NONE, 3, "expected a comment", BIOGATE_POLICY_ERROR_SYNTAX },
        { "[rule a]\nrequire=none\n=none\n" DEFAULT_NONE, 3, "expected a comment", BIOGATE_POLICY_ERROR_SYNTAX },
        { "[rules a]\nrequire=none\n" DEFAULT_NONE, 1, "unknown group [rules a]", BIOGATE_POLICY_ERROR_SYNTAX },
        { "[rule a b]\nrequire=none\n" DEFAULT_NONE, 1, "unknown group", BIOGATE_POLICY_ERROR_SYNTAX },
        { "[rule ]\nrequire=none\n" DEFAULT_NONE, 1, "unknown group", BIOGATE_POLICY_ERROR_SYNTAX },
        { "[rule a\nrequire=none\n" DEFAULT_NONE, 1, "must end with ']'", BIOGATE_POLICY_ERROR_SYNTAX },
        { "[rule a] x\nrequire=none\n" DEFAULT_NONE, 1, "must end with ']'", BIOGATE_POLICY_ERROR_SYNTAX },
        { "[rule a]\nrequire=none\npayee=ACME\\x\n" DEFAULT_NONE, 3, "payee=:", BIOGATE_POLICY_ERROR_SYNTAX },
        { "[rule a]\nrequire=none\npayee=A\\nB\n" DEFAULT_NONE, 3, "control character", BIOGATE_POLICY_ERROR_INVALID },
        { "[rule a]\nrequire=none\npayee=\x1b[31m\n" DEFAULT_NONE,
          3, "control character 0x1b", BIOGATE_POLICY_ERROR_SYNTAX },
        { "[rule a]\nrequire=none\n\n\npayee=\xff\xfe\n" DEFAULT_NONE, 5, "not valid UTF-8", BIOGATE_POLICY_ERROR_SYNTAX },
};

static void test_errors(Fixture *f, gconstpointer data) {
        g_autofree char *path = g_build_filename(f->dir, "p.conf", NULL);

        for (size_t i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
                const BadCase *c = &bad_cases[i];
                g_autoptr(GError) error = NULL;
                g_autoptr(BiogatePolicy) p = load_text(f, c->text, &error);
                g_autofree char *prefix = g_strdup_printf("%s:%d: ", path, c->line);

                g_test_message("case %zu: %s", i, error ? error->message : "(loaded)");
                g_assert_null(p);
                g_assert_error(error, BIOGATE_POLICY_ERROR, (gint) c->code);
                g_assert_true(g_str_has_prefix(error->message, prefix));
                g_assert_nonnull(strstr(error->message, c->reason));
        }
}

static void test_binary_content(Fixture *f, gconstpointer data) {
        static const char text[] = "[rule a]\nrequire=none\npayee=A\0B\n" DEFAULT_NONE;
        g_autofree char *path = write_file(f->dir, "nul.conf", text, sizeof(text) - 1);
        g_autofree char *prefix = g_strdup_printf("%s:3: ", path);
        g_autoptr(GError) error = NULL;
        g_autoptr(BiogatePolicy) p = biogate_policy_load_file(path, &error);

        g_assert_null(p);
        g_assert_error(error, BIOGATE_POLICY_ERROR, BIOGATE_POLICY_ERROR_SYNTAX);
        g_assert_true(g_str_has_prefix(error->message, prefix));
        g_assert_nonnull(strstr(error->message, "NUL"));
}

/* Refused before any content is read: "FILE: reason", with no line. */
static void assert_refused(const char *path, const char *reason) {
        g_autofree char *prefix = g_strdup_printf("%s: ", path);
        g_autoptr(GError) error = NULL;
        g_autoptr(BiogatePolicy) p = biogate_policy_load_file(path, &error);

        g_assert_null(p);
        g_assert_error(error, BIOGATE_POLICY_ERROR, BIOGATE_POLICY_ERROR_IO);
        g_test_message("%s", error->message);
        g_assert_true(g_str_has_prefix(error->message, prefix));
        g_assert_nonnull(strstr(error->message, reason));
}

static void test_file_checks(Fixture *f, gconstpointer data) {
        g_autofree char *good = write_file(f->dir, "good.conf", DEFAULT_NONE, -1);
        g_autofree char *link = g_build_filename(f->dir, "link.conf", NULL);
        g_autofree char *fifo = g_build_filename(f->dir, "fifo.conf", NULL);
        g_autofree char *missing = g_build_filename(f->dir, "missing.conf", NULL);
        g_autoptr(GString) big = g_string_new(DEFAULT_NONE);
        g_autofree char *big_path = NULL;
        g_autoptr(BiogatePolicy) p = NULL;
        g_autoptr(GError) error = NULL;

        p = biogate_policy_load_file(good, &error);
        g_assert_no_error(error);
        g_clear_pointer(&p, biogate_policy_free);

        g_assert_cmpint(symlink(good, link), ==, 0);
        assert_refused(link, "symbolic link");

        g_assert_cmpint(chmod(good, 0664), ==, 0);
        assert_refused(good, "writable by group or others");
        g_assert_cmpint(chmod(good, 0646), ==, 0);
        assert_refused(good, "writable by group or others");
        g_assert_cmpint(chmod(good, 0644), ==, 0);

        /* A file someone else owns, when the test may hand one over. */
        if (geteuid() == 0) {
                g_assert_cmpint(chown(good, 65534, 65534), ==, 0);
                assert_refused(good, "not owned by root");
                g_assert_cmpint(chown(good, 0, 0), ==, 0);
        }

        /* Opening a FIFO must neither block nor be accepted. */
        g_assert_cmpint(mkfifo(fifo, 0644), ==, 0);
        assert_refused(fifo, "not a regular file");
        assert_refused(f->dir, "not a regular file");
        assert_refused(missing, g_strerror(ENOENT));

        /* Exactly 1 MiB is allowed, one byte more is not. */
        while (big->len < 1024 * 1024)
                g_string_append_c(big, '#');
        g_string_truncate(big, 1024 * 1024 - 1);
        g_string_append_c(big, '\n');
        big_path = write_file(f->dir, "big.conf", big->str, (gssize) big->len);
        p = biogate_policy_load_file(big_path, &error);
        g_assert_no_error(error);
        g_clear_pointer(&p, biogate_policy_free);
        g_string_append_c(big, '\n');
        g_free(big_path);
        big_path = write_file(f->dir, "big.conf", big->str, (gssize) big->len);
        assert_refused(big_path, "larger than 1 MiB");
}

/* Loads @dir with @vendor (a policy that requires nothing) and expects a
 * refusal whose message names @dir and says @reason: never the vendor's. */
static void assert_dir_refused(const char *dir, const char *vendor, const char *reason) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BiogatePolicy) p = biogate_policy_load(dir, vendor, &error);

        if (p)
                g_error("%s loaded (%s), expected a refusal: %s", dir, biogate_policy_describe_sources(p), reason);
        g_assert_error(error, BIOGATE_POLICY_ERROR, BIOGATE_POLICY_ERROR_IO);
        if (!g_str_has_prefix(error->message, dir) || !strstr(error->message, reason))
                g_error("expected \"%s: ...%s...\", got \"%s\"", dir, reason, error->message);
}

static const char *load_dir_rule(const char *dir, const char *vendor) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BiogatePolicy) p = biogate_policy_load(dir, vendor, &error);
        g_autoptr(BiogateTx) tx = tx_new("withdrawal", NULL);

        g_assert_no_error(error);
        return g_intern_string(biogate_policy_match(p, tx, NULL)->name);
}

/* Review finding 8: the policy directory, and every directory above it, is
 * checked like the files; one that others could change is refused, never
 * replaced by the vendor policy. */
static void test_dir_checks(Fixture *f, gconstpointer data) {
        g_autofree char *parent = g_build_filename(f->dir, "etc-biogate", NULL);
        g_autofree char *dir = g_build_filename(parent, "policy.d", NULL);
        g_autofree char *link = g_build_filename(parent, "policy-link.d", NULL);
        g_autofree char *missing = g_build_filename(parent, "missing.d", NULL);
        g_autofree char *vendor = write_file(f->dir, "vendor.conf", "[rule vendor]\nrequire=none\n" DEFAULT_NONE, -1);
        g_autofree char *site = NULL;

        g_assert_cmpint(g_mkdir(parent, 0755), ==, 0);
        g_assert_cmpint(g_mkdir(dir, 0755), ==, 0);
        site = write_file(dir, "50-site.conf", "[rule site]\nrequire=deny\n" DEFAULT_NONE, -1);
        g_assert_cmpstr(load_dir_rule(dir, vendor), ==, "site");

        for (mode_t m = 0; m < 2; m++) {
                g_assert_cmpint(chmod(dir, m ? 0757 : 0775), ==, 0);
                assert_dir_refused(dir, vendor, "policy directory writable by group or others");
        }
        /* Sticky or not: others could still add files that break the load. */
        g_assert_cmpint(chmod(dir, 01777), ==, 0);
        assert_dir_refused(dir, vendor, "policy directory writable by group or others (mode 1777)");
        /* Empty and writable: still refused, not the vendor policy. */
        g_assert_cmpint(unlink(site), ==, 0);
        assert_dir_refused(dir, vendor, "writable by group or others");
        g_assert_cmpint(chmod(dir, 0755), ==, 0);
        g_assert_cmpstr(load_dir_rule(dir, vendor), ==, "vendor");
        g_free(site);
        site = write_file(dir, "50-site.conf", "[rule site]\nrequire=deny\n" DEFAULT_NONE, -1);

        /* The directory above: writable by others lets them rename policy.d
         * away; with the sticky bit (as /tmp) they cannot. */
        g_assert_cmpint(chmod(parent, 0777), ==, 0);
        assert_dir_refused(dir, vendor, "above it is writable by group or others (mode 0777)");
        assert_dir_refused(missing, vendor, "above it is writable by group or others (mode 0777)");
        g_assert_cmpint(chmod(parent, 01777), ==, 0);
        g_assert_cmpstr(load_dir_rule(dir, vendor), ==, "site");
        /* But anyone may create a name there: a missing policy.d in a
         * sticky directory would be theirs to make. */
        assert_dir_refused(missing, vendor, "does not exist, and others may create it");
        g_assert_cmpint(chmod(parent, 0755), ==, 0);
        g_assert_cmpstr(load_dir_rule(missing, vendor), ==, "vendor");

        /* A directory someone else owns, when the test may hand one over. */
        if (geteuid() == 0) {
                g_assert_cmpint(chown(dir, 65534, 65534), ==, 0);
                assert_dir_refused(dir, vendor, "policy directory not owned by root (owner uid 65534)");
                g_assert_cmpint(chown(dir, 0, 0), ==, 0);
                g_assert_cmpint(chown(parent, 65534, 65534), ==, 0);
                assert_dir_refused(dir, vendor, "above it is not owned by root (owner uid 65534)");
                assert_dir_refused(missing, vendor, "above it is not owned by root (owner uid 65534)");
                g_assert_cmpint(chown(parent, 0, 0), ==, 0);
        }

        /* A symbolic link as the directory, like a linked file. */
        g_assert_cmpint(symlink(dir, link), ==, 0);
        assert_dir_refused(link, vendor, "'policy-link.d' on its path is a symbolic link; refused");
        g_assert_cmpstr(load_dir_rule(dir, vendor), ==, "site");
        g_assert_cmpstr(load_dir_rule(missing, vendor), ==, "vendor");
        {
                /* A link further up, as a user plants it in a sticky
                 * directory where the path's next name did not exist: the
                 * directory it leads to is root's, but the link is not. */
                g_autofree char *sticky = g_build_filename(f->dir, "sticky", NULL);
                g_autofree char *planted = g_build_filename(sticky, "biogate", NULL);
                g_autofree char *via = g_build_filename(planted, "policy.d", NULL);
                g_autofree char *dotdot = g_build_filename(parent, "..", "etc-biogate", "policy.d", NULL);

                g_assert_cmpint(g_mkdir(sticky, 01777), ==, 0);
                g_assert_cmpint(chmod(sticky, 01777), ==, 0);
                assert_dir_refused(via, vendor, "does not exist, and others may create it");
                g_assert_cmpint(symlink(parent, planted), ==, 0);
                assert_dir_refused(via, vendor, "'biogate' on its path is a symbolic link; refused");
                assert_dir_refused(dotdot, vendor, "'..' in the path; refused");
        }
}

static void test_load_precedence(Fixture *f, gconstpointer data) {
        g_autofree char *local = g_build_filename(f->dir, "policy.d", NULL);
        g_autofree char *vendor = write_file(f->dir, "vendor.conf", "[default]\nrequire=deny\n", -1);
        g_autofree char *missing_vendor = g_build_filename(f->dir, "nothing.conf", NULL);
        g_autofree char *local_file = NULL;
        g_autoptr(BiogatePolicy) p = NULL;
        g_autoptr(GError) error = NULL;

        /* No local directory: the vendor file. */
        p = biogate_policy_load(local, vendor, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(biogate_policy_describe_sources(p), ==, vendor);
        g_clear_pointer(&p, biogate_policy_free);

        /* A directory without *.conf files: still the vendor file. */
        g_assert_cmpint(g_mkdir(local, 0755), ==, 0);
        g_free(write_file(local, "README", "not a policy", -1));
        g_free(write_file(local, "old.conf~", "not a policy", -1));
        g_free(write_file(local, ".hidden.conf", "not a policy", -1));
        p = biogate_policy_load(local, vendor, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(biogate_policy_describe_sources(p), ==, vendor);
        g_clear_pointer(&p, biogate_policy_free);

        /* A local *.conf replaces the vendor file entirely. */
        local_file = write_file(local, "site.conf", DEFAULT_NONE, -1);
        p = biogate_policy_load(local, vendor, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(biogate_policy_describe_sources(p), ==, local_file);
        g_assert_cmpstr(match_name(p, tx_new("order", NULL)), ==, "default");
        g_clear_pointer(&p, biogate_policy_free);

        /* A broken local file is an error, never a fallback to the vendor file. */
        g_free(write_file(local, "site.conf", "[default]\nrequire=maybe\n", -1));
        p = biogate_policy_load(local, vendor, &error);
        g_assert_error(error, BIOGATE_POLICY_ERROR, BIOGATE_POLICY_ERROR_INVALID);
        g_assert_true(g_str_has_prefix(error->message, local_file));
        g_clear_error(&error);

        /* Nothing at all. */
        g_assert_cmpint(g_unlink(local_file), ==, 0);
        p = biogate_policy_load(local, missing_vendor, &error);
        g_assert_error(error, BIOGATE_POLICY_ERROR, BIOGATE_POLICY_ERROR_NO_RULES);
        g_clear_error(&error);
        p = biogate_policy_load(NULL, NULL, &error);
        g_assert_error(error, BIOGATE_POLICY_ERROR, BIOGATE_POLICY_ERROR_NO_RULES);
        g_clear_error(&error);

        /* A local "directory" that is a file is an error. */
        p = biogate_policy_load(vendor, vendor, &error);
        g_assert_error(error, BIOGATE_POLICY_ERROR, BIOGATE_POLICY_ERROR_IO);
}

static void test_load_sorted(Fixture *f, gconstpointer data) {
        g_autofree char *a = write_file(f->dir, "10-withdrawals.conf",
                                        "[rule withdrawals]\nkind=withdrawal\nrequire=deny\n", -1);
        g_autofree char *b = write_file(f->dir, "9-all.conf",
                                        "[rule everything]\nrequire=fingerprint\n" DEFAULT_NONE, -1);
        g_autofree char *sources = g_strdup_printf("%s, %s", a, b);
        g_autofree char *prefix = NULL;
        g_autoptr(BiogatePolicy) p = NULL;
        g_autoptr(GError) error = NULL;

        /* Bytewise order: "10-" before "9-", whatever the locale says. */
        p = biogate_policy_load(f->dir, NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(biogate_policy_describe_sources(p), ==, sources);
        g_assert_cmpstr(match_name(p, tx_new("withdrawal", NULL)), ==, "withdrawals");
        g_assert_cmpstr(match_name(p, tx_new("order", NULL)), ==, "everything");
        g_clear_pointer(&p, biogate_policy_free);

        /* Rule names are unique across files. */
        g_free(write_file(f->dir, "9-all.conf", "[rule withdrawals]\nrequire=fingerprint\n" DEFAULT_NONE, -1));
        p = biogate_policy_load(f->dir, NULL, &error);
        g_assert_error(error, BIOGATE_POLICY_ERROR, BIOGATE_POLICY_ERROR_INVALID);
        prefix = g_strdup_printf("%s:1: duplicate rule 'withdrawals' (first defined at %s:1)", b, a);
        g_assert_cmpstr(error->message, ==, prefix);
        g_clear_error(&error);

        /* [default] only in the last file. */
        g_free(write_file(f->dir, "10-withdrawals.conf", DEFAULT_NONE, -1));
        p = biogate_policy_load(f->dir, NULL, &error);
        g_assert_error(error, BIOGATE_POLICY_ERROR, BIOGATE_POLICY_ERROR_INVALID);
        g_free(prefix);
        prefix = g_strdup_printf("%s:1: [default] is only allowed in the last file", a);
        g_assert_true(g_str_has_prefix(error->message, prefix));
        g_clear_error(&error);

        /* The same files through load_files(), in the order given. */
        {
                const char *const paths[] = { b, a, NULL };
                const char *const one[] = { a, NULL };

                p = biogate_policy_load_files(paths, &error);
                g_assert_error(error, BIOGATE_POLICY_ERROR, BIOGATE_POLICY_ERROR_INVALID);
                g_clear_error(&error);
                p = biogate_policy_load_files(one, &error);
                g_assert_no_error(error);
        }
}

static void test_shipped_policy(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autofree char *text = NULL;
        g_autoptr(BiogatePolicy) p = NULL;
        const BiogatePolicyRule *r;

        /* A copy, so the checkout's owner and mode do not matter. */
        g_assert_true(g_file_get_contents(BIOGATE_SHIPPED_POLICY, &text, NULL, &error));
        p = load_text(f, text, &error);
        g_assert_no_error(error);

        {
                g_autoptr(BiogateTx) tx = tx_new("order", "amount", "1000000.00", "currency", "USD", NULL);
                r = biogate_policy_match(p, tx, NULL);
                g_assert_cmpint(r->requirement, ==, BIOGATE_REQUIRE_FINGERPRINT_APPROVER);
                g_assert_cmpstr(r->approver_group, ==, "biogate-approvers");
        }
        {
                g_autoptr(BiogateTx) tx = tx_new("order", "amount", "999999.99", "currency", "USD", NULL);
                g_assert_cmpint(biogate_policy_match(p, tx, NULL)->requirement, ==, BIOGATE_REQUIRE_NONE);
        }
        {
                g_autoptr(BiogateTx) tx = tx_new("withdrawal", "amount", "10000.00", "currency", "USD", NULL);
                g_assert_cmpint(biogate_policy_match(p, tx, NULL)->requirement, ==, BIOGATE_REQUIRE_FINGERPRINT);
        }
        {
                g_autoptr(BiogateTx) tx = tx_new("transfer", "amount", "9999.99", "currency", "USD", NULL);
                g_assert_cmpint(biogate_policy_match(p, tx, NULL)->requirement, ==, BIOGATE_REQUIRE_NONE);
        }
        {
                g_autoptr(BiogateTx) tx = tx_new("cash_conversion", "amount", "1.00", "currency", "EUR", NULL);
                g_assert_cmpint(biogate_policy_match(p, tx, NULL)->requirement, ==, BIOGATE_REQUIRE_FINGERPRINT);
        }
        {
                g_autoptr(BiogateTx) tx = tx_new("loan_issuance", "amount", "1.00", "currency", "USD", NULL);
                g_assert_cmpint(biogate_policy_match(p, tx, NULL)->requirement, ==,
                                BIOGATE_REQUIRE_FINGERPRINT_APPROVER);
        }
        {
                g_autoptr(BiogateTx) tx = tx_new("order", NULL);
                g_assert_cmpint(biogate_policy_match(p, tx, NULL)->requirement, ==, BIOGATE_REQUIRE_FINGERPRINT);
        }
        {
                g_autoptr(BiogateTx) tx = tx_new("fx_swap", "amount", "1.00", "currency", "USD", NULL);
                r = biogate_policy_match(p, tx, NULL);
                g_assert_cmpstr(r->name, ==, "default");
                g_assert_cmpint(r->requirement, ==, BIOGATE_REQUIRE_FINGERPRINT);
                g_assert_cmpuint(r->token_lifetime_s, ==, 120);
        }
        /* Every built-in kind is named by some rule. */
        g_assert_true(biogate_policy_knows_kind(p, "order"));
        g_assert_true(biogate_policy_knows_kind(p, "loan_issuance"));
        g_assert_false(biogate_policy_knows_kind(p, "fx_swap"));
}

/* Runs biogatectl; its exit status, with stdout and stderr in *ret_out and *ret_err. */
static int run_ctl(const char *const *args, char **ret_out, char **ret_err) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_autoptr(GError) error = NULL;
        int status = 0;

        g_ptr_array_add(argv, (char *) BIOGATECTL_PATH);
        for (size_t i = 0; args[i]; i++)
                g_ptr_array_add(argv, (char *) args[i]);
        g_ptr_array_add(argv, NULL);
        g_assert_true(g_spawn_sync(NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, ret_out,
                                   ret_err, &status, &error));
        g_assert_no_error(error);
        g_assert_true(WIFEXITED(status));
        return WEXITSTATUS(status);
}

/* What a new administrator tripped over: a four-eyes rule fails on a
 * verify-only sensor only when someone tries it, so explain says that it
 * needs one that can identify; an invalid transaction is no usage error,
 * so no "Try --help"; the help texts are complete and end with a newline. */
static void test_biogatectl_explain(Fixture *f, gconstpointer data) {
        g_autofree char *text = NULL, *vendor = NULL;
        g_autofree char *policy_dir = g_build_filename(f->dir, "policy.d", NULL);
        g_autoptr(GError) error = NULL;

        g_assert_true(g_file_get_contents(BIOGATE_SHIPPED_POLICY, &text, NULL, &error));
        vendor = write_file(f->dir, "vendor.conf", text, -1);
        g_assert_cmpint(g_mkdir(policy_dir, 0755), ==, 0);

        {
                g_autofree char *out = NULL, *err = NULL;
                const char *args[] = { "policy", "explain", "--policy-dir", policy_dir, "--vendor", vendor, "--kind",
                                       "order", "--amount", "1000000.00", "--currency", "USD", NULL };

                g_assert_cmpint(run_ctl(args, &out, &err), ==, 0);
                g_test_message("%s", out);
                g_assert_nonnull(strstr(out, "Rule:            large-orders\n"));
                g_assert_nonnull(strstr(out, "Sensor:          needs a sensor that can identify (four eyes)\n"));
        }
        {
                g_autofree char *out = NULL, *err = NULL;
                const char *args[] = { "--json", "policy", "explain", "--policy-dir", policy_dir, "--vendor", vendor,
                                       "--kind", "loan_issuance", NULL };

                g_assert_cmpint(run_ctl(args, &out, &err), ==, 0);
                g_assert_nonnull(strstr(out, "\"needs-identify\":true"));
        }
        {
                g_autofree char *out = NULL, *err = NULL;
                const char *args[] = { "policy", "explain", "--policy-dir", policy_dir, "--vendor", vendor, "--kind",
                                       "withdrawal", "--amount", "25000.00", "--currency", "USD", NULL };

                g_assert_cmpint(run_ctl(args, &out, &err), ==, 0);
                g_assert_nonnull(strstr(out, "Sensor:          any sensor\n"));
        }
        {
                g_autofree char *out = NULL, *err = NULL;
                const char *args[] = { "policy", "explain", "--policy-dir", policy_dir, "--vendor", vendor, "--kind",
                                       "withdrawal", "--amount", "1.001", "--currency", "USD", NULL };

                g_assert_cmpint(run_ctl(args, &out, &err), ==, 2);
                g_test_message("%s", err);
                g_assert_nonnull(strstr(err, "Invalid transaction"));
                g_assert_null(strstr(err, "Try '"));
        }
        {
                g_autofree char *out = NULL, *err = NULL;
                const char *args[] = { "policy", "explain", "--help", NULL };

                g_assert_cmpint(run_ctl(args, &out, &err), ==, 0);
                g_assert_nonnull(strstr(out, "[--reference REF]"));
                g_assert_nonnull(strstr(out, "--reference=REF"));
        }
        {
                g_autofree char *out = NULL, *err = NULL;
                const char *args[] = { "approve", "--help", NULL };

                g_assert_cmpint(run_ctl(args, &out, &err), ==, 0);
                g_test_message("%s", out);
                g_assert_true(g_str_has_suffix(out, ".\n"));
                g_assert_nonnull(strstr(out, "a four-eyes rule on a sensor that cannot identify"));
                g_assert_nonnull(strstr(out, "7 invalid transaction"));
        }
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);

#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
        ADD("/policy/rule-display", test_rule_display);
        ADD("/policy/first-match-wins", test_first_match_wins);
        ADD("/policy/rule-settings", test_rule_settings);
        ADD("/policy/amount-boundaries", test_amount_boundaries);
        ADD("/policy/currency-mismatch", test_currency_mismatch);
        ADD("/policy/kind-lists", test_kind_lists);
        ADD("/policy/globs", test_globs);
        ADD("/policy/selector-own-field-only", test_selector_own_field_only);
        ADD("/policy/selector-absent-field", test_selector_absent_field);
        ADD("/policy/time-windows", test_time_windows);
        ADD("/policy/errors", test_errors);
        ADD("/policy/binary-content", test_binary_content);
        ADD("/policy/file-checks", test_file_checks);
        ADD("/policy/load-precedence", test_load_precedence);
        ADD("/policy/dir-checks", test_dir_checks);
        ADD("/policy/load-sorted", test_load_sorted);
        ADD("/policy/shipped", test_shipped_policy);
        ADD("/policy/biogatectl-explain", test_biogatectl_explain);
#undef ADD

        return g_test_run();
}
