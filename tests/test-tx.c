/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Transactions: strict validation (every error code, every boundary),
 * amount normalisation per currency, canonical form, digest stability and
 * the text the user approves. */
#include <gio/gio.h>
#include <string.h>

#include "biogate-tx.h"

/* The usual base: a withdrawal the tests modify one key at a time. */
static GVariant *tx_with(const char *key, GVariant *value) {
        g_autoptr(GVariant) base = g_variant_ref_sink(g_variant_parse(
                G_VARIANT_TYPE_VARDICT,
                "{'kind': <'withdrawal'>, 'amount': <'100'>, 'currency': <'USD'>, 'payee': <'ACME Ltd'>}",
                NULL, NULL, NULL));
        g_autoptr(GVariant) owned_value = value ? g_variant_ref_sink(value) : NULL;
        GVariantBuilder b;
        GVariantIter iter;
        const char *k;
        GVariant *v;

        g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
        g_variant_iter_init(&iter, base);
        while (g_variant_iter_next(&iter, "{&sv}", &k, &v)) {
                if (!key || strcmp(k, key) != 0)
                        g_variant_builder_add(&b, "{sv}", k, v);
                g_variant_unref(v);
        }
        if (key && owned_value)
                g_variant_builder_add(&b, "{sv}", key, owned_value);
        return g_variant_ref_sink(g_variant_builder_end(&b));
}

static BiogateTx *parse_text(const char *text, GError **error) {
        g_autoptr(GError) parse_error = NULL;
        g_autoptr(GVariant) dict = g_variant_parse(NULL, text, NULL, NULL, &parse_error);

        g_assert_no_error(parse_error);
        return biogate_tx_from_variant(dict, error);
}

static GVariant *bytes_variant(size_t n) {
        g_autofree guint8 *data = g_malloc(n ? n : 1);

        for (size_t i = 0; i < n; i++)
                data[i] = (guint8) i;
        return g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, data, n, 1);
}

static char *repeat(const char *unit, size_t n) {
        GString *s = g_string_new(NULL);

        while (n-- > 0)
                g_string_append(s, unit);
        return g_string_free(s, FALSE);
}

static void expect_error(GVariant *dict, BiogateTxError code, const char *key) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BiogateTx) tx = biogate_tx_from_variant(dict, &error);

        g_assert_null(tx);
        g_assert_error(error, BIOGATE_TX_ERROR, (gint) code);
        /* The message names the key, so a client knows what to fix. */
        if (key)
                g_assert_nonnull(strstr(error->message, key));
}

static void expect_ok(GVariant *dict) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BiogateTx) tx = biogate_tx_from_variant(dict, &error);

        g_assert_no_error(error);
        g_assert_nonnull(tx);
}

static void test_validation_table(void) {
        static const struct {
                const char *text;
                BiogateTxError code;
                const char *key;
        } table[] = {
                { "{'kind': <'order'>, 'colour': <'red'>}", BIOGATE_TX_ERROR_UNKNOWN_KEY, "colour" },
                { "{'kind': <'order'>, 'Payee': <'A'>}", BIOGATE_TX_ERROR_UNKNOWN_KEY, "Payee" },
                { "{'kind': <'order'>, 'payee': <'A'>, 'payee': <'B'>}", BIOGATE_TX_ERROR_UNKNOWN_KEY, "payee" },
                { "{'kind': <'order'>, 'amount': <int32 100>, 'currency': <'USD'>}", BIOGATE_TX_ERROR_WRONG_TYPE, "amount" },
                { "{'kind': <'order'>, 'amount': <100.0>, 'currency': <'USD'>}", BIOGATE_TX_ERROR_WRONG_TYPE, "amount" },
                { "{'kind': <'order'>, 'challenge': <'0123456789abcdef'>}", BIOGATE_TX_ERROR_WRONG_TYPE, "challenge" },
                { "{'kind': <'order'>, 'payee': <b'ACME'>}", BIOGATE_TX_ERROR_WRONG_TYPE, "payee" },
                { "{'kind': <@ms nothing>}", BIOGATE_TX_ERROR_WRONG_TYPE, "kind" },
                { "{'kind': <'order'>, 'payee': <''>}", BIOGATE_TX_ERROR_BAD_STRING, "payee" },
                { "{'kind': <'order'>, 'payee': <'A\\nB'>}", BIOGATE_TX_ERROR_BAD_STRING, "payee" },
                { "{'kind': <'order'>, 'payee': <'A\\tB'>}", BIOGATE_TX_ERROR_BAD_STRING, "payee" },
                { "{'kind': <'order'>, 'account': <'1\\u007f'>}", BIOGATE_TX_ERROR_BAD_STRING, "account" },
                { "{'kind': <'order'>, 'account': <'1\\u0085'>}", BIOGATE_TX_ERROR_BAD_STRING, "account" },
                { "{'kind': <'order'>, 'reference': <'T\\u202e1001'>}", BIOGATE_TX_ERROR_BAD_STRING, "reference" },
                { "{'kind': <'order'>, 'counterparty': <'A\\u200bB'>}", BIOGATE_TX_ERROR_BAD_STRING, "counterparty" },
                { "{'kind': <'order'>, 'instrument': <'A\\u2028B'>}", BIOGATE_TX_ERROR_BAD_STRING, "instrument" },
                { "{'kind': <'order'>, 'instrument': <'\\ue000'>}", BIOGATE_TX_ERROR_BAD_STRING, "instrument" },
                { "{'kind': <'Order'>}", BIOGATE_TX_ERROR_BAD_KIND, "kind" },
                { "{'kind': <'1order'>}", BIOGATE_TX_ERROR_BAD_KIND, "kind" },
                { "{'kind': <'_order'>}", BIOGATE_TX_ERROR_BAD_KIND, "kind" },
                { "{'kind': <''>}", BIOGATE_TX_ERROR_BAD_KIND, "kind" },
                { "{'kind': <'order-x'>}", BIOGATE_TX_ERROR_BAD_KIND, "kind" },
                { "{'kind': <'ordér'>}", BIOGATE_TX_ERROR_BAD_KIND, "kind" },
                { "{'kind': <'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'>}", BIOGATE_TX_ERROR_BAD_KIND, "kind" },
                { "{'kind': <'order'>, 'amount': <'1.5'>, 'currency': <'JPY'>}", BIOGATE_TX_ERROR_BAD_AMOUNT, "amount" },
                { "{'kind': <'order'>, 'amount': <'-1'>, 'currency': <'USD'>}", BIOGATE_TX_ERROR_BAD_AMOUNT, "amount" },
                { "{'kind': <'order'>, 'amount': <'1'>, 'currency': <'usd'>}", BIOGATE_TX_ERROR_UNKNOWN_CURRENCY, "currency" },
                { "{'kind': <'order'>, 'amount': <'1'>, 'currency': <'XAU'>}", BIOGATE_TX_ERROR_UNKNOWN_CURRENCY, "currency" },
                { "{'kind': <'order'>, 'amount': <'1'>, 'currency': <'XTS'>}", BIOGATE_TX_ERROR_UNKNOWN_CURRENCY, "currency" },
                { "{'kind': <'order'>, 'amount': <'1'>, 'currency': <'HRK'>}", BIOGATE_TX_ERROR_UNKNOWN_CURRENCY, "currency" },
                { "{'kind': <'order'>, 'amount': <'1'>, 'currency': <'US'>}", BIOGATE_TX_ERROR_UNKNOWN_CURRENCY, "currency" },
                { "{'kind': <'order'>, 'amount': <'1'>, 'currency': <'USDT'>}", BIOGATE_TX_ERROR_UNKNOWN_CURRENCY, "currency" },
                { "{'kind': <'order'>, 'challenge': <@ay []>}", BIOGATE_TX_ERROR_BAD_CHALLENGE, "challenge" },
                { "{'amount': <'1'>, 'currency': <'USD'>}", BIOGATE_TX_ERROR_MISSING, "kind" },
                { "@a{sv} {}", BIOGATE_TX_ERROR_MISSING, "kind" },
                { "{'kind': <'order'>, 'amount': <'1'>}", BIOGATE_TX_ERROR_MISSING, "currency" },
                { "{'kind': <'order'>, 'currency': <'USD'>}", BIOGATE_TX_ERROR_MISSING, "amount" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(table); i++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(BiogateTx) tx = NULL;

                g_test_message("%s", table[i].text);
                tx = parse_text(table[i].text, &error);
                g_assert_null(tx);
                g_assert_error(error, BIOGATE_TX_ERROR, (gint) table[i].code);
                g_assert_nonnull(strstr(error->message, table[i].key));
        }
}

static void test_not_a_dictionary(void) {
        g_autoptr(GVariant) dict = g_variant_ref_sink(g_variant_parse(NULL, "{'kind': 'order'}", NULL, NULL, NULL));

        expect_error(dict, BIOGATE_TX_ERROR_WRONG_TYPE, "a{sv}");
}

/* Limits are in characters and in bytes (twice the characters): 128 'é'
 * or 'ж' (256 bytes) are a valid payee, 129 ASCII characters are not, nor
 * are 128 'ệ' (384 bytes). */
static void test_string_lengths(void) {
        static const struct {
                const char *key;
                size_t max;
        } limits[] = {
                { "payee", 128 }, { "counterparty", 128 }, { "account", 64 }, { "instrument", 64 }, { "reference", 64 },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(limits); i++) {
                const char *units[] = { "x", "\xc3\xa9", "\xd0\xb6" };

                for (size_t u = 0; u < G_N_ELEMENTS(units); u++) {
                        g_autofree char *at = repeat(units[u], limits[i].max);
                        g_autofree char *over = repeat(units[u], limits[i].max + 1);
                        g_autoptr(GVariant) ok = tx_with(limits[i].key, g_variant_new_string(at));
                        g_autoptr(GVariant) bad = tx_with(limits[i].key, g_variant_new_string(over));

                        expect_ok(ok);
                        expect_error(bad, BIOGATE_TX_ERROR_TOO_LONG, limits[i].key);
                }
                {
                        g_autofree char *wide = repeat("\xe1\xbb\x87", limits[i].max);
                        g_autoptr(GVariant) bad = tx_with(limits[i].key, g_variant_new_string(wide));

                        expect_error(bad, BIOGATE_TX_ERROR_TOO_LONG, limits[i].key);
                }
        }

        {
                g_autoptr(GVariant) kind32 = tx_with("kind", g_variant_new_string("a0123456789_0123456789_012345678"));
                g_autoptr(GVariant) kind1 = tx_with("kind", g_variant_new_string("x"));

                g_assert_cmpint(strlen("a0123456789_0123456789_012345678"), ==, 32);
                expect_ok(kind32);
                expect_ok(kind1);
        }
}

static void test_challenge_lengths(void) {
        static const struct {
                size_t n;
                gboolean ok;
        } table[] = { { 0, FALSE }, { 15, FALSE }, { 16, TRUE }, { 32, TRUE }, { 64, TRUE }, { 65, FALSE } };

        for (size_t i = 0; i < G_N_ELEMENTS(table); i++) {
                g_autoptr(GVariant) dict = tx_with("challenge", bytes_variant(table[i].n));

                if (table[i].ok) {
                        g_autoptr(BiogateTx) tx = biogate_tx_from_variant(dict, NULL);

                        g_assert_nonnull(tx);
                        g_assert_cmpuint(g_bytes_get_size(tx->challenge), ==, table[i].n);
                } else
                        expect_error(dict, BIOGATE_TX_ERROR_BAD_CHALLENGE, "challenge");
        }
}

static void test_amounts(void) {
        static const struct {
                const char *amount, *currency;
                const char *normalised; /* NULL: BAD_AMOUNT */
                gint64 minor;
        } table[] = {
                { "250000", "USD", "250000.00", 25000000 },
                { "250000.5", "USD", "250000.50", 25000050 },
                { "250000.05", "USD", "250000.05", 25000005 },
                { "0", "USD", "0.00", 0 },
                { "0.01", "USD", "0.01", 1 },
                { "0.001", "USD", NULL, 0 },
                { "1.000", "USD", NULL, 0 },
                { "5", "JPY", "5", 5 },
                { "1.5", "JPY", NULL, 0 },
                { "5.0", "JPY", NULL, 0 },
                { "1.5", "BHD", "1.500", 1500 },
                { "0.001", "KWD", "0.001", 1 },
                { "0.0001", "KWD", NULL, 0 },
                { "0.0001", "CLF", "0.0001", 1 },
                { "12.3456", "UYW", "12.3456", 123456 },
                { "1.00001", "CLF", NULL, 0 },
                { "999999999999999.99", "USD", "999999999999999.99", G_GINT64_CONSTANT(99999999999999999) },
                { "999999999999999", "JPY", "999999999999999", G_GINT64_CONSTANT(999999999999999) },
                /* 4 decimals: the largest amount whose minor units fit in 63 bits. */
                { "922337203685477.5807", "CLF", "922337203685477.5807", G_MAXINT64 },
                { "922337203685477.5808", "CLF", NULL, 0 },
                { "999999999999999.9999", "CLF", NULL, 0 },
                { "1000000000000000", "USD", NULL, 0 },
                { "01", "USD", NULL, 0 },
                { "00", "USD", NULL, 0 },
                { "00.5", "USD", NULL, 0 },
                { "+1", "USD", NULL, 0 },
                { "-0", "USD", NULL, 0 },
                { "1e3", "USD", NULL, 0 },
                { "1.", "USD", NULL, 0 },
                { ".5", "USD", NULL, 0 },
                { "", "USD", NULL, 0 },
                { " 1", "USD", NULL, 0 },
                { "1 ", "USD", NULL, 0 },
                { "1,000", "USD", NULL, 0 },
                { "1_000", "USD", NULL, 0 },
                { "0x10", "USD", NULL, 0 },
                { "1.2.3", "USD", NULL, 0 },
                { "NaN", "USD", NULL, 0 },
                { "\xd9\xa1", "USD", NULL, 0 }, /* ARABIC-INDIC DIGIT ONE */
        };

        for (size_t i = 0; i < G_N_ELEMENTS(table); i++) {
                g_autoptr(GVariant) dict = NULL;
                GVariantBuilder b;

                g_test_message("%s %s", table[i].amount, table[i].currency);
                g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                g_variant_builder_add(&b, "{sv}", "kind", g_variant_new_string("transfer"));
                g_variant_builder_add(&b, "{sv}", "amount", g_variant_new_string(table[i].amount));
                g_variant_builder_add(&b, "{sv}", "currency", g_variant_new_string(table[i].currency));
                dict = g_variant_ref_sink(g_variant_builder_end(&b));

                if (table[i].normalised) {
                        g_autoptr(GError) error = NULL;
                        g_autoptr(BiogateTx) tx = biogate_tx_from_variant(dict, &error);
                        gint64 minor = -1;

                        g_assert_no_error(error);
                        g_assert_cmpstr(tx->amount, ==, table[i].normalised);
                        g_assert_cmpint(tx->amount_minor, ==, table[i].minor);
                        g_assert_cmpint(tx->minor_units, ==, biogate_currency_minor_units(table[i].currency));
                        /* The policy's parser agrees with the transaction's. */
                        g_assert_true(biogate_amount_parse(table[i].amount, tx->minor_units, &minor, NULL));
                        g_assert_cmpint(minor, ==, table[i].minor);
                } else
                        expect_error(dict, BIOGATE_TX_ERROR_BAD_AMOUNT, "amount");
        }
}

static void test_amount_parse(void) {
        g_autoptr(GError) error = NULL;
        gint64 minor = 42;

        g_assert_true(biogate_amount_parse("100.5", 2, &minor, NULL));
        g_assert_cmpint(minor, ==, 10050);
        g_assert_true(biogate_amount_parse("100", 0, &minor, NULL));
        g_assert_cmpint(minor, ==, 100);

        /* Failure leaves ret_minor alone. */
        minor = 42;
        g_assert_false(biogate_amount_parse("100.5", 0, &minor, &error));
        g_assert_error(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_BAD_AMOUNT);
        g_assert_cmpint(minor, ==, 42);
}

static void test_currencies(void) {
        static const struct {
                const char *code;
                int minor_units;
        } table[] = {
                { "USD", 2 }, { "EUR", 2 }, { "GBP", 2 }, { "CHF", 2 }, { "JPY", 0 }, { "KRW", 0 }, { "ISK", 0 },
                { "VND", 0 }, { "XAF", 0 }, { "XOF", 0 }, { "XPF", 0 }, { "UYI", 0 }, { "BHD", 3 }, { "KWD", 3 },
                { "JOD", 3 }, { "OMR", 3 }, { "TND", 3 }, { "IQD", 3 }, { "LYD", 3 }, { "CLF", 4 }, { "UYW", 4 },
                { "XCD", 2 }, { "XCG", 2 }, { "ZWG", 2 }, { "SLE", 2 }, { "VES", 2 }, { "MRU", 2 }, { "STN", 2 },
                /* Not in the table: metals, units of account, test, withdrawn. */
                { "XAU", -1 }, { "XAG", -1 }, { "XPT", -1 }, { "XPD", -1 }, { "XDR", -1 }, { "XBA", -1 },
                { "XSU", -1 }, { "XUA", -1 }, { "XTS", -1 }, { "XXX", -1 }, { "ANG", -1 }, { "HRK", -1 },
                { "SLL", -1 }, { "ZWL", -1 }, { "VEF", -1 }, { "usd", -1 }, { "", -1 }, { "US", -1 },
                { "USDX", -1 },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(table); i++) {
                g_test_message("%s", table[i].code);
                g_assert_cmpint(biogate_currency_minor_units(table[i].code), ==, table[i].minor_units);
        }
        g_assert_cmpint(biogate_currency_minor_units(NULL), ==, -1);
}

static BiogateTx *sample_tx(void) {
        g_autoptr(GVariant) dict = NULL;
        GVariantBuilder b;
        BiogateTx *tx;

        g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add(&b, "{sv}", "kind", g_variant_new_string("withdrawal"));
        g_variant_builder_add(&b, "{sv}", "amount", g_variant_new_string("250000"));
        g_variant_builder_add(&b, "{sv}", "currency", g_variant_new_string("USD"));
        g_variant_builder_add(&b, "{sv}", "payee", g_variant_new_string("ACME Ltd"));
        g_variant_builder_add(&b, "{sv}", "reference", g_variant_new_string("T-1001"));
        g_variant_builder_add(&b, "{sv}", "account", g_variant_new_string("DE89370400440532013000"));
        g_variant_builder_add(&b, "{sv}", "challenge", bytes_variant(32));
        dict = g_variant_ref_sink(g_variant_builder_end(&b));

        tx = biogate_tx_from_variant(dict, NULL);
        g_assert_nonnull(tx);
        return tx;
}

/* Pinned values come from an independent implementation (Python's json
 * with sort_keys and hashlib); a change here changes every digest. */
#define SAMPLE_CANONICAL \
        "{\"account\":\"DE89370400440532013000\",\"amount\":\"250000.00\"," \
        "\"challenge\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\",\"currency\":\"USD\"," \
        "\"kind\":\"withdrawal\",\"payee\":\"ACME Ltd\",\"reference\":\"T-1001\"}"
#define SAMPLE_DIGEST_HEX "b51b3ac6b3e1d019d421c156d54b53b0de03af956ddead597e018b19fe3b7823"
#define SAMPLE_DIGEST_B64URL "tRs6xrPh0BnUIcFW1UtTsN4Dr5Vt3q1ZfgGLGf47eCM"

static void test_canonical_and_digest(void) {
        g_autoptr(BiogateTx) tx = sample_tx();
        g_autofree char *canonical = biogate_tx_canonical(tx);
        g_autofree char *digest_string = biogate_tx_digest_string(tx);
        g_autofree char *hex = NULL;
        guint8 digest[BIOGATE_DIGEST_SIZE];
        GString *h = g_string_new(NULL);

        g_assert_cmpstr(canonical, ==, SAMPLE_CANONICAL);
        biogate_tx_digest(tx, digest);
        for (size_t i = 0; i < sizeof digest; i++)
                g_string_append_printf(h, "%02x", digest[i]);
        hex = g_string_free(h, FALSE);
        g_assert_cmpstr(hex, ==, SAMPLE_DIGEST_HEX);
        g_assert_cmpstr(digest_string, ==, SAMPLE_DIGEST_B64URL);
}

/* The same fields in another order, with the amount spelled without
 * decimals or with them, give the same digest; any change of a field
 * gives another. */
static void test_digest_stability(void) {
        g_autoptr(BiogateTx) tx = sample_tx();
        g_autoptr(BiogateTx) reordered = parse_text(
                "{'challenge': <@ay [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31]>,"
                " 'reference': <'T-1001'>, 'payee': <'ACME Ltd'>, 'currency': <'USD'>, 'amount': <'250000.00'>,"
                " 'account': <'DE89370400440532013000'>, 'kind': <'withdrawal'>}", NULL);
        g_autofree char *a = biogate_tx_digest_string(tx);
        g_autofree char *b = biogate_tx_digest_string(reordered);
        const char *changes[][2] = {
                { "amount", "250000.01" }, { "payee", "ACME Ltd." }, { "reference", "T-1002" },
                { "account", "DE89370400440532013001" }, { "kind", "transfer" },
        };

        g_assert_cmpstr(a, ==, b);

        for (size_t i = 0; i < G_N_ELEMENTS(changes); i++) {
                g_autoptr(BiogateTx) changed = sample_tx();
                g_autofree char *c = NULL;
                char **slot = strcmp(changes[i][0], "amount") == 0      ? &changed->amount
                              : strcmp(changes[i][0], "payee") == 0     ? &changed->payee
                              : strcmp(changes[i][0], "reference") == 0 ? &changed->reference
                              : strcmp(changes[i][0], "account") == 0   ? &changed->account
                                                                        : &changed->kind;

                g_free(*slot);
                *slot = g_strdup(changes[i][1]);
                c = biogate_tx_digest_string(changed);
                g_assert_cmpstr(a, !=, c);
        }
}

static void test_json_round_trip(void) {
        g_autoptr(BiogateTx) tx = sample_tx();
        g_autoptr(JsonNode) node = biogate_tx_to_json(tx);
        g_autoptr(GError) error = NULL;
        g_autoptr(BiogateTx) back = biogate_tx_from_json(node, &error);
        g_autofree char *a = NULL, *b = NULL;

        g_assert_no_error(error);
        a = biogate_tx_canonical(tx);
        b = biogate_tx_canonical(back);
        g_assert_cmpstr(a, ==, b);
        g_assert_cmpint(back->amount_minor, ==, 25000000);
        g_assert_true(g_bytes_equal(tx->challenge, back->challenge));

        /* Only the fields present, all strings. */
        {
                g_autoptr(BiogateTx) small = parse_text("{'kind': <'loan_issuance'>, 'counterparty': <'X'>}", NULL);
                g_autofree char *c = biogate_tx_canonical(small);

                g_assert_cmpstr(c, ==, "{\"counterparty\":\"X\",\"kind\":\"loan_issuance\"}");
        }
}

static JsonNode *parse_json(const char *text) {
        g_autoptr(JsonParser) parser = json_parser_new();

        g_assert_true(json_parser_load_from_data(parser, text, -1, NULL));
        return json_node_copy(json_parser_get_root(parser));
}

static void test_json_errors(void) {
        static const struct {
                const char *json;
                BiogateTxError code;
                const char *key;
        } table[] = {
                { "[\"kind\"]", BIOGATE_TX_ERROR_WRONG_TYPE, "object" },
                { "{\"kind\":\"order\",\"amount\":250000,\"currency\":\"USD\"}", BIOGATE_TX_ERROR_WRONG_TYPE, "amount" },
                { "{\"kind\":\"order\",\"payee\":null}", BIOGATE_TX_ERROR_WRONG_TYPE, "payee" },
                { "{\"kind\":\"order\",\"payee\":[\"A\"]}", BIOGATE_TX_ERROR_WRONG_TYPE, "payee" },
                { "{\"kind\":\"order\",\"colour\":\"red\"}", BIOGATE_TX_ERROR_UNKNOWN_KEY, "colour" },
                { "{\"kind\":\"order\",\"challenge\":\"AAECAwQFBgcICQoLDA0ODw==\"}", BIOGATE_TX_ERROR_BAD_CHALLENGE, "challenge" },
                { "{\"kind\":\"order\",\"challenge\":\"AAECAwQFBgcICQoLDA0ODw+/\"}", BIOGATE_TX_ERROR_BAD_CHALLENGE, "challenge" },
                { "{\"kind\":\"order\",\"challenge\":\"AAECAwQFBgcICQoLDA0O\"}", BIOGATE_TX_ERROR_BAD_CHALLENGE, "challenge" },
                { "{\"kind\":\"order\",\"payee\":\"a\\u0001b\"}", BIOGATE_TX_ERROR_BAD_STRING, "payee" },
                { "{\"kind\":\"order\",\"payee\":\"a\\u001bb\"}", BIOGATE_TX_ERROR_BAD_STRING, "payee" },
                { "{\"kind\":\"order\",\"amount\":\"1.5\",\"currency\":\"JPY\"}", BIOGATE_TX_ERROR_BAD_AMOUNT, "amount" },
                { "{\"amount\":\"1\",\"currency\":\"USD\"}", BIOGATE_TX_ERROR_MISSING, "kind" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(table); i++) {
                g_autoptr(JsonNode) node = parse_json(table[i].json);
                g_autoptr(GError) error = NULL;
                g_autoptr(BiogateTx) tx = NULL;

                g_test_message("%s", table[i].json);
                tx = biogate_tx_from_json(node, &error);
                g_assert_null(tx);
                g_assert_error(error, BIOGATE_TX_ERROR, (gint) table[i].code);
                g_assert_nonnull(strstr(error->message, table[i].key));
        }

        /* Invalid UTF-8 can only come from a hand-built node. */
        {
                g_autoptr(JsonObject) object = json_object_new();
                g_autoptr(JsonNode) node = NULL;
                g_autoptr(GError) error = NULL;
                g_autoptr(BiogateTx) tx = NULL;

                json_object_set_string_member(object, "kind", "order");
                json_object_set_string_member(object, "payee", "A\xff");
                node = json_node_init_object(json_node_alloc(), object);
                tx = biogate_tx_from_json(node, &error);
                g_assert_error(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_BAD_STRING);
        }
}

static void test_render_text(void) {
        static const struct {
                const char *tx;
                const char *text;
        } table[] = {
                { "{'kind': <'withdrawal'>, 'amount': <'250000'>, 'currency': <'USD'>, 'payee': <'ACME Ltd'>,"
                  " 'reference': <'T-1001'>}",
                  "Approve WITHDRAWAL of 250,000.00 USD to payee \"ACME Ltd\" (reference \"T-1001\")?" },
                { "{'kind': <'loan_issuance'>, 'counterparty': <'X'>}", "Approve LOAN ISSUANCE with counterparty \"X\"?" },
                { "{'kind': <'order'>, 'amount': <'1234567'>, 'currency': <'JPY'>, 'instrument': <'AAPL'>,"
                  " 'account': <'12-34'>}",
                  "Approve ORDER of 1,234,567 JPY for instrument \"AAPL\" from account \"12-34\"?" },
                { "{'kind': <'cash_conversion'>, 'amount': <'999.99'>, 'currency': <'EUR'>}",
                  "Approve CASH CONVERSION of 999.99 EUR?" },
                { "{'kind': <'transfer'>, 'amount': <'1000'>, 'currency': <'GBP'>, 'payee': <'A'>,"
                  " 'counterparty': <'B'>, 'account': <'C'>, 'reference': <'D'>,"
                  " 'challenge': <@ay [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]>}",
                  "Approve TRANSFER of 1,000.00 GBP to payee \"A\" with counterparty \"B\" from account \"C\""
                  " (reference \"D\")?" },
                { "{'kind': <'withdrawal'>, 'amount': <'123456.789'>, 'currency': <'KWD'>}",
                  "Approve WITHDRAWAL of 123,456.789 KWD?" },
                { "{'kind': <'withdrawal'>, 'amount': <'0.5'>, 'currency': <'BHD'>}",
                  "Approve WITHDRAWAL of 0.500 BHD?" },
                { "{'kind': <'transfer'>, 'amount': <'100000'>, 'currency': <'CHF'>, 'payee': <'Müller AG'>}",
                  "Approve TRANSFER of 100,000.00 CHF to payee \"Müller AG\"?" },
                /* Kinds a site's policy defines: quoted and labelled, as
                 * sent, so that none can read as an amount or a payee. */
                { "{'kind': <'x'>}", "Approve transaction of kind \"x\"?" },
                { "{'kind': <'transfer_of_1_000_000_usd'>, 'amount': <'5'>, 'currency': <'USD'>}",
                  "Approve transaction of kind \"transfer_of_1_000_000_usd\" of 5.00 USD?" },
                { "{'kind': <'margin_call'>, 'payee': <'ACME Ltd'>}",
                  "Approve transaction of kind \"margin_call\" to payee \"ACME Ltd\"?" },
                { "{'kind': <'transfer'>, 'amount': <'5000000'>, 'currency': <'KZT'>,"
                  " 'payee': <'ТОО Казахстан'>, 'reference': <'Қ-17'>}",
                  "Approve TRANSFER of 5,000,000.00 KZT to payee \"ТОО Казахстан\" (reference \"Қ-17\")?" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(table); i++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(BiogateTx) tx = parse_text(table[i].tx, &error);
                g_autofree char *text = NULL;

                g_assert_no_error(error);
                text = biogate_tx_render_text(tx);
                g_assert_cmpstr(text, ==, table[i].text);
        }
}

/* The quoting does not rely on the checks: a value that somehow held '"'
 * or '\\' (the checks refuse both) is escaped, so it still cannot end its
 * field early. */
static void test_render_text_quoting(void) {
        g_autoptr(BiogateTx) a = g_new0(BiogateTx, 1);
        g_autoptr(BiogateTx) b = g_new0(BiogateTx, 1);
        g_autofree char *text_a = NULL, *text_b = NULL;

        a->kind = g_strdup("transfer");
        a->payee = g_strdup("ACME\" (reference \"T-1001");
        b->kind = g_strdup("transfer");
        b->payee = g_strdup("ACME");
        b->reference = g_strdup("T-1001");
        text_a = biogate_tx_render_text(a);
        text_b = biogate_tx_render_text(b);
        g_assert_cmpstr(text_a, ==, "Approve TRANSFER to payee \"ACME\\\" (reference \\\"T-1001\"?");
        g_assert_cmpstr(text_b, ==, "Approve TRANSFER to payee \"ACME\" (reference \"T-1001\")?");

        g_free(a->payee);
        a->payee = g_strdup("back\\slash");
        g_clear_pointer(&text_a, g_free);
        text_a = biogate_tx_render_text(a);
        g_assert_cmpstr(text_a, ==, "Approve TRANSFER to payee \"back\\\\slash\"?");
}

static void test_base64url(void) {
        /* RFC 4648 §10, in the URL alphabet without padding. */
        static const struct {
                const char *data, *encoded;
        } table[] = {
                { "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" }, { "foob", "Zm9vYg" },
                { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" }, { "\xfb\xff", "-_8" },
        };
        const char *invalid[] = { "Zg==", "Zm9v+", "Zm9v/", "Z", "Zm9vY", "Zh", "Zm9", "Zm 9v", "Zm9v\n" };

        for (size_t i = 0; i < G_N_ELEMENTS(table); i++) {
                g_autofree char *encoded = biogate_base64url_encode((const guint8 *) table[i].data, strlen(table[i].data));
                g_autoptr(GBytes) decoded = biogate_base64url_decode(table[i].encoded, NULL);

                g_assert_cmpstr(encoded, ==, table[i].encoded);
                g_assert_nonnull(decoded);
                g_assert_cmpmem(g_bytes_get_data(decoded, NULL), g_bytes_get_size(decoded),
                                table[i].data, strlen(table[i].data));
        }
        for (size_t i = 0; i < G_N_ELEMENTS(invalid); i++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(GBytes) decoded = biogate_base64url_decode(invalid[i], &error);

                g_test_message("'%s'", invalid[i]);
                g_assert_null(decoded);
                g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
        }
}

static void test_builtin_kinds(void) {
        const char *builtin[] = { "order", "withdrawal", "cash_conversion", "loan_issuance", "transfer" };

        for (size_t i = 0; i < G_N_ELEMENTS(builtin); i++)
                g_assert_true(biogate_tx_kind_is_builtin(builtin[i]));
        g_assert_false(biogate_tx_kind_is_builtin("margin_call"));
        g_assert_false(biogate_tx_kind_is_builtin("Order"));
        g_assert_false(biogate_tx_kind_is_builtin(""));
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/tx/validation/every-error", test_validation_table);
        g_test_add_func("/tx/validation/not-a-dictionary", test_not_a_dictionary);
        g_test_add_func("/tx/validation/string-lengths", test_string_lengths);
        g_test_add_func("/tx/validation/challenge-lengths", test_challenge_lengths);
        g_test_add_func("/tx/amount/normalisation-per-currency", test_amounts);
        g_test_add_func("/tx/amount/parse", test_amount_parse);
        g_test_add_func("/tx/currency/iso4217", test_currencies);
        g_test_add_func("/tx/canonical/pinned-digest", test_canonical_and_digest);
        g_test_add_func("/tx/canonical/digest-stability", test_digest_stability);
        g_test_add_func("/tx/json/round-trip", test_json_round_trip);
        g_test_add_func("/tx/json/errors", test_json_errors);
        g_test_add_func("/tx/render-text", test_render_text);
        g_test_add_func("/tx/render-text/quoting", test_render_text_quoting);
        g_test_add_func("/tx/base64url", test_base64url);
        g_test_add_func("/tx/builtin-kinds", test_builtin_kinds);

        return g_test_run();
}
