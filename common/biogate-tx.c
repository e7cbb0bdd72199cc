/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Transactions to approve. PSD2's dynamic linking rests on three things
 * agreeing exactly: the fields the backend sent, the text the user saw and
 * the digest in the token. So parsing is strict (nothing is guessed or
 * silently dropped), amounts are integers of minor units from the first
 * character on (no floating point anywhere), and the text and the digest
 * are both derived from the same validated struct. */
#include "biogate-tx.h"

#include <gio/gio.h>
#include <stddef.h>
#include <string.h>

#include "biogate-jcs.h"
#include "biogate-tx-text.h"

G_DEFINE_QUARK(biogate-tx-error-quark, biogate_tx_error)

/* Up to 999,999,999,999,999 in major units: beyond any single payment, and
 * small enough that with up to 3 decimals the minor units fit in 63 bits
 * (4-decimal codes are checked for overflow). */
#define AMOUNT_MAX_INTEGER_DIGITS 15
#define KIND_MAX_LENGTH 32

void biogate_tx_free(BiogateTx *tx) {
        if (!tx)
                return;
        g_free(tx->kind);
        g_free(tx->amount);
        g_free(tx->currency);
        g_free(tx->payee);
        g_free(tx->counterparty);
        g_free(tx->account);
        g_free(tx->instrument);
        g_free(tx->reference);
        g_clear_pointer(&tx->challenge, g_bytes_unref);
        g_free(tx);
}

/* --- base64url (RFC 4648 §5), no padding ------------------------------- */

static const char base64url_alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *biogate_base64url_encode(const guint8 *data, gsize len) {
        GString *s = g_string_sized_new(len / 3 * 4 + 4);
        guint32 acc = 0;
        int bits = 0;

        for (gsize i = 0; i < len; i++) {
                acc = (acc << 8) | data[i];
                bits += 8;
                while (bits >= 6) {
                        bits -= 6;
                        g_string_append_c(s, base64url_alphabet[(acc >> bits) & 0x3f]);
                }
                acc &= (1u << bits) - 1;
        }
        if (bits > 0)
                g_string_append_c(s, base64url_alphabet[(acc << (6 - bits)) & 0x3f]);
        return g_string_free(s, FALSE);
}

static int base64url_value(char c) {
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '-')
                return 62;
        if (c == '_')
                return 63;
        return -1;
}

/* Strict: no padding, no whitespace, no standard-alphabet characters, and
 * unused trailing bits must be zero, so each byte string has exactly one
 * encoding (a token or nonce cannot be re-spelled). */
GBytes *biogate_base64url_decode(const char *text, GError **error) {
        g_autoptr(GByteArray) out = NULL;
        size_t len;
        guint32 acc = 0;
        int bits = 0;

        g_return_val_if_fail(text, NULL);

        len = strlen(text);
        if (len % 4 == 1) {
                g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Invalid base64url length");
                return NULL;
        }

        out = g_byte_array_sized_new((guint) (len / 4 * 3 + 2));
        for (size_t i = 0; i < len; i++) {
                int v = base64url_value(text[i]);

                if (v < 0) {
                        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                            "Invalid character in base64url");
                        return NULL;
                }
                acc = (acc << 6) | (guint32) v;
                bits += 6;
                if (bits >= 8) {
                        guint8 byte;

                        bits -= 8;
                        byte = (guint8) (acc >> bits);
                        g_byte_array_append(out, &byte, 1);
                        acc &= (1u << bits) - 1;
                }
        }
        if (acc != 0) {
                g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                    "Non-canonical base64url (trailing bits set)");
                return NULL;
        }
        return g_byte_array_free_to_bytes(g_steal_pointer(&out));
}

/* --- amounts ----------------------------------------------------------- */

static guint64 power_of_ten(int n) {
        guint64 r = 1;

        while (n-- > 0)
                r *= 10;
        return r;
}

gboolean biogate_amount_parse(const char *text, int minor_units, gint64 *ret_minor, GError **error) {
        guint64 integer = 0, fraction = 0, minor;
        int n_integer = 0, n_fraction = 0;
        const char *p = text;

        g_return_val_if_fail(text, FALSE);
        g_return_val_if_fail(minor_units >= 0 && minor_units <= 9, FALSE);

        /* ^(0|[1-9][0-9]{0,14})(\.[0-9]+)?$: no sign, no exponent, no
         * spaces, no leading zeros, no thousands separators, no bare dot. */
        if (!g_ascii_isdigit(*p) || (p[0] == '0' && g_ascii_isdigit(p[1])))
                goto malformed;
        for (; g_ascii_isdigit(*p); p++) {
                if (++n_integer > AMOUNT_MAX_INTEGER_DIGITS) {
                        g_set_error(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_BAD_AMOUNT,
                                    "Amount has more than %d integer digits", AMOUNT_MAX_INTEGER_DIGITS);
                        return FALSE;
                }
                integer = integer * 10 + (guint64) (*p - '0');
        }
        if (*p == '.') {
                p++;
                if (!g_ascii_isdigit(*p))
                        goto malformed;
                for (; g_ascii_isdigit(*p); p++) {
                        /* Count all of them, but only keep those that fit. */
                        if (++n_fraction <= minor_units)
                                fraction = fraction * 10 + (guint64) (*p - '0');
                }
        }
        if (*p != '\0')
                goto malformed;

        /* "1.50" in yen is not 1.5 rounded: the backend and the user must
         * mean the same amount, so extra decimals, even zeros, are refused. */
        if (n_fraction > minor_units) {
                g_set_error(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_BAD_AMOUNT,
                            "Amount has more decimal places than the currency's %d", minor_units);
                return FALSE;
        }

        if (!g_uint64_checked_mul(&minor, integer, power_of_ten(minor_units)) ||
            !g_uint64_checked_add(&minor, minor, fraction * power_of_ten(minor_units - n_fraction)) ||
            minor > G_MAXINT64) {
                g_set_error_literal(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_BAD_AMOUNT,
                                    "Amount is too large");
                return FALSE;
        }

        if (ret_minor)
                *ret_minor = (gint64) minor;
        return TRUE;

malformed:
        g_set_error_literal(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_BAD_AMOUNT,
                            "Amount is not a plain decimal number like 1234.56");
        return FALSE;
}

/* Exactly minor_units decimals: "250000.00", "5" (JPY), "1.500" (BHD). */
static char *amount_format(gint64 minor, int minor_units) {
        guint64 scale = power_of_ten(minor_units);

        if (minor_units == 0)
                return g_strdup_printf("%" G_GINT64_FORMAT, minor);
        return g_strdup_printf("%" G_GUINT64_FORMAT ".%0*" G_GUINT64_FORMAT,
                               (guint64) minor / scale, minor_units, (guint64) minor % scale);
}

/* --- fields ------------------------------------------------------------ */

typedef enum FieldClass {
        FIELD_KIND,
        FIELD_AMOUNT,
        FIELD_CURRENCY,
        FIELD_TEXT,
        FIELD_CHALLENGE,
} FieldClass;

typedef struct Field {
        const char *key;
        FieldClass class;
        size_t offset;    /* of the member in BiogateTx */
        glong max_chars;  /* FIELD_TEXT: in Unicode characters... */
        gsize max_bytes;  /* ...and in UTF-8 bytes */
} Field;

/* Every key a transaction may have; anything else is an error. */
static const Field fields[] = {
        { "kind",         FIELD_KIND,      offsetof(BiogateTx, kind),         0,   0 },
        { "amount",       FIELD_AMOUNT,    offsetof(BiogateTx, amount),       0,   0 },
        { "currency",     FIELD_CURRENCY,  offsetof(BiogateTx, currency),     0,   0 },
        /* Twice as many bytes as characters: room for every Latin and
         * Cyrillic letter (2 bytes each) with ASCII between them. */
        { "payee",        FIELD_TEXT,      offsetof(BiogateTx, payee),        128, 256 },
        { "counterparty", FIELD_TEXT,      offsetof(BiogateTx, counterparty), 128, 256 },
        { "account",      FIELD_TEXT,      offsetof(BiogateTx, account),      64,  128 },
        { "instrument",   FIELD_TEXT,      offsetof(BiogateTx, instrument),   64,  128 },
        { "reference",    FIELD_TEXT,      offsetof(BiogateTx, reference),    64,  128 },
        { "challenge",    FIELD_CHALLENGE, offsetof(BiogateTx, challenge),    0,   0 },
};

static const Field *field_find(const char *key) {
        for (size_t i = 0; i < G_N_ELEMENTS(fields); i++)
                if (strcmp(fields[i].key, key) == 0)
                        return &fields[i];
        return NULL;
}

static char **field_string(BiogateTx *tx, const Field *f) {
        return (char **) (void *) ((guint8 *) tx + f->offset);
}

static const char *field_string_const(const BiogateTx *tx, const Field *f) {
        return *(char *const *) (const void *) ((const guint8 *) tx + f->offset);
}

static gboolean kind_is_valid(const char *kind) {
        size_t n = strlen(kind);

        if (n == 0 || n > KIND_MAX_LENGTH || !g_ascii_islower(kind[0]))
                return FALSE;
        for (size_t i = 1; i < n; i++)
                if (!g_ascii_islower(kind[i]) && !g_ascii_isdigit(kind[i]) && kind[i] != '_')
                        return FALSE;
        return TRUE;
}

static gboolean set_string(BiogateTx *tx, const Field *f, const char *value, GError **error) {
        int minor_units;

        switch (f->class) {
        case FIELD_KIND:
                if (!kind_is_valid(value)) {
                        g_set_error(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_BAD_KIND,
                                    "Transaction field 'kind' must be 1 to %d characters of a-z, 0-9 and '_', "
                                    "starting with a letter", KIND_MAX_LENGTH);
                        return FALSE;
                }
                break;
        case FIELD_AMOUNT:
                /* Checked once the currency is known; see tx_finish(). */
                break;
        case FIELD_CURRENCY:
                /* Codes are upper case by definition; "usd" is refused rather
                 * than normalised, like every other field. */
                minor_units = biogate_currency_minor_units(value);
                if (minor_units < 0) {
                        g_set_error(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_UNKNOWN_CURRENCY,
                                    "Transaction field 'currency' is not an active ISO 4217 code");
                        return FALSE;
                }
                tx->minor_units = minor_units;
                break;
        case FIELD_TEXT:
                /* What the user reads must be what is signed: see
                 * biogate-tx-text.c for the rules. */
                if (!biogate_tx_text_check(f->key, value, f->max_chars, f->max_bytes, error))
                        return FALSE;
                break;
        case FIELD_CHALLENGE:
                g_assert_not_reached();
        }

        *field_string(tx, f) = g_strdup(value);
        return TRUE;
}

static gboolean set_challenge(BiogateTx *tx, GBytes *challenge, GError **error) {
        gsize n = g_bytes_get_size(challenge);

        if (n < BIOGATE_TX_CHALLENGE_MIN || n > BIOGATE_TX_CHALLENGE_MAX) {
                g_set_error(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_BAD_CHALLENGE,
                            "Transaction field 'challenge' has %" G_GSIZE_FORMAT " bytes, not %d to %d",
                            n, BIOGATE_TX_CHALLENGE_MIN, BIOGATE_TX_CHALLENGE_MAX);
                return FALSE;
        }
        tx->challenge = g_bytes_ref(challenge);
        return TRUE;
}

/* Known key, and not seen before: a{sv} may repeat a key, and which copy
 * counts would then depend on who reads it. */
static const Field *claim_key(const BiogateTx *tx, const char *key, GError **error) {
        const Field *f = field_find(key);

        if (!f) {
                g_set_error(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_UNKNOWN_KEY,
                            "Unknown transaction field '%s'", key);
                return NULL;
        }
        if (f->class == FIELD_CHALLENGE ? tx->challenge != NULL
                                        : field_string_const(tx, f) != NULL) {
                g_set_error(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_UNKNOWN_KEY,
                            "Transaction field '%s' is given twice", key);
                return NULL;
        }
        return f;
}

/* The checks that need more than one field. */
static gboolean tx_finish(BiogateTx *tx, GError **error) {
        gint64 minor;

        if (!tx->kind) {
                g_set_error_literal(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_MISSING,
                                    "Transaction field 'kind' is required");
                return FALSE;
        }
        if (!tx->amount != !tx->currency) {
                g_set_error(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_MISSING,
                            "Transaction field '%s' is required with '%s'",
                            tx->amount ? "currency" : "amount", tx->amount ? "amount" : "currency");
                return FALSE;
        }
        if (!tx->amount)
                return TRUE;

        if (!biogate_amount_parse(tx->amount, tx->minor_units, &minor, error)) {
                g_prefix_error(error, "Transaction field 'amount' (%s): ", tx->currency);
                return FALSE;
        }
        g_free(tx->amount);
        tx->amount = amount_format(minor, tx->minor_units);
        tx->amount_minor = minor;
        return TRUE;
}

BiogateTx *biogate_tx_from_variant(GVariant *dict, GError **error) {
        g_autoptr(BiogateTx) tx = NULL;
        GVariantIter iter;

        g_return_val_if_fail(dict, NULL);

        if (!g_variant_is_of_type(dict, G_VARIANT_TYPE_VARDICT)) {
                g_set_error(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_WRONG_TYPE,
                            "The transaction is of type '%s', not a{sv}", g_variant_get_type_string(dict));
                return NULL;
        }

        tx = g_new0(BiogateTx, 1);
        g_variant_iter_init(&iter, dict);
        for (;;) {
                g_autoptr(GVariant) value = NULL;
                const char *key;
                const Field *f;

                if (!g_variant_iter_next(&iter, "{&sv}", &key, &value))
                        break;

                f = claim_key(tx, key, error);
                if (!f)
                        return NULL;

                if (f->class == FIELD_CHALLENGE) {
                        g_autoptr(GBytes) bytes = NULL;

                        if (!g_variant_is_of_type(value, G_VARIANT_TYPE_BYTESTRING)) {
                                g_set_error(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_WRONG_TYPE,
                                            "Transaction field 'challenge' must be a byte array (ay), not '%s'",
                                            g_variant_get_type_string(value));
                                return NULL;
                        }
                        bytes = g_variant_get_data_as_bytes(value);
                        if (!set_challenge(tx, bytes, error))
                                return NULL;
                        continue;
                }

                if (!g_variant_is_of_type(value, G_VARIANT_TYPE_STRING)) {
                        g_set_error(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_WRONG_TYPE,
                                    "Transaction field '%s' must be a string (s), not '%s'",
                                    key, g_variant_get_type_string(value));
                        return NULL;
                }
                if (!set_string(tx, f, g_variant_get_string(value, NULL), error))
                        return NULL;
        }

        if (!tx_finish(tx, error))
                return NULL;
        return g_steal_pointer(&tx);
}

BiogateTx *biogate_tx_from_json(JsonNode *node, GError **error) {
        g_autoptr(BiogateTx) tx = NULL;
        g_autoptr(GList) members = NULL;
        JsonObject *object;

        g_return_val_if_fail(node, NULL);

        if (!JSON_NODE_HOLDS_OBJECT(node)) {
                g_set_error_literal(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_WRONG_TYPE,
                                    "The transaction is not a JSON object");
                return NULL;
        }
        object = json_node_get_object(node);

        tx = g_new0(BiogateTx, 1);
        members = json_object_get_members(object);
        for (GList *l = members; l; l = l->next) {
                const char *key = l->data;
                JsonNode *member = json_object_get_member(object, key);
                const Field *f;
                const char *value;

                f = claim_key(tx, key, error);
                if (!f)
                        return NULL;

                /* Every field is a JSON string, the challenge included. */
                if (!JSON_NODE_HOLDS_VALUE(member) || json_node_get_value_type(member) != G_TYPE_STRING) {
                        g_set_error(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_WRONG_TYPE,
                                    "Transaction field '%s' must be a JSON string", key);
                        return NULL;
                }
                value = json_node_get_string(member);

                if (f->class == FIELD_CHALLENGE) {
                        g_autoptr(GBytes) bytes = biogate_base64url_decode(value, NULL);

                        if (!bytes) {
                                g_set_error_literal(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_BAD_CHALLENGE,
                                                    "Transaction field 'challenge' is not base64url without padding");
                                return NULL;
                        }
                        if (!set_challenge(tx, bytes, error))
                                return NULL;
                        continue;
                }

                if (!set_string(tx, f, value, error))
                        return NULL;
        }

        if (!tx_finish(tx, error))
                return NULL;
        return g_steal_pointer(&tx);
}

JsonNode *biogate_tx_to_json(const BiogateTx *tx) {
        g_autoptr(JsonObject) object = json_object_new();

        g_return_val_if_fail(tx, NULL);

        for (size_t i = 0; i < G_N_ELEMENTS(fields); i++) {
                const Field *f = &fields[i];
                const char *value;

                if (f->class == FIELD_CHALLENGE) {
                        g_autofree char *encoded = NULL;

                        if (!tx->challenge)
                                continue;
                        encoded = biogate_base64url_encode(g_bytes_get_data(tx->challenge, NULL),
                                                           g_bytes_get_size(tx->challenge));
                        json_object_set_string_member(object, f->key, encoded);
                        continue;
                }

                value = field_string_const(tx, f);
                if (value)
                        json_object_set_string_member(object, f->key, value);
        }

        return json_node_init_object(json_node_alloc(), object);
}

char *biogate_tx_canonical(const BiogateTx *tx) {
        g_autoptr(JsonNode) node = biogate_tx_to_json(tx);
        char *canonical;

        g_return_val_if_fail(node, NULL);

        /* Only validated UTF-8 strings: JCS cannot fail on them. */
        canonical = biogate_jcs_serialize(node, NULL);
        g_assert(canonical);
        return canonical;
}

void biogate_tx_digest(const BiogateTx *tx, guint8 ret_digest[BIOGATE_DIGEST_SIZE]) {
        g_autoptr(GChecksum) sha256 = g_checksum_new(G_CHECKSUM_SHA256);
        g_autofree char *canonical = biogate_tx_canonical(tx);
        gsize len = BIOGATE_DIGEST_SIZE;

        g_checksum_update(sha256, (const guchar *) canonical, (gssize) strlen(canonical));
        g_checksum_get_digest(sha256, ret_digest, &len);
        g_assert(len == BIOGATE_DIGEST_SIZE);
}

char *biogate_tx_digest_string(const BiogateTx *tx) {
        guint8 digest[BIOGATE_DIGEST_SIZE];

        biogate_tx_digest(tx, digest);
        return biogate_base64url_encode(digest, sizeof digest);
}

/* "250000.00" → "250,000.00" */
static void append_grouped_amount(GString *out, const char *amount) {
        const char *dot = strchr(amount, '.');
        size_t n_integer = dot ? (size_t) (dot - amount) : strlen(amount);

        for (size_t i = 0; i < n_integer; i++) {
                if (i > 0 && (n_integer - i) % 3 == 0)
                        g_string_append_c(out, ',');
                g_string_append_c(out, amount[i]);
        }
        if (dot)
                g_string_append(out, dot);
}

/* Every field but the challenge (a nonce, meaningless to the user) is in
 * the text, so nothing that is signed goes unseen:
 *
 *   Approve KIND[ of AMOUNT CUR][ for instrument "I"][ to payee "P"]
 *       [ with counterparty "C"][ from account "A"][ (reference "R")]?
 *
 * KIND is a built-in kind in capitals ("WITHDRAWAL", "LOAN ISSUANCE"), or,
 * for a kind a site's policy defines, 'transaction of kind "k"' with the
 * kind as sent: a site kind is any [a-z][a-z0-9_]*, and in capitals
 * "transfer_of_1_000_000_usd" would read as an amount ("TRANSFER OF 1 000
 * 000 USD") that no amount selector of the policy matched.
 *
 * Two different transactions (up to the challenge) never give the same
 * text, and no field can pass for the daemon's own words. Why, without
 * needing a decoder: a built-in kind is [A-Z ] and a site kind starts
 * with the lower-case "transaction of kind " and sits between quotes
 * (its [a-z0-9_] holds no quote), so the two never look alike and each
 * ends where it is seen to: a built-in kind before the space before the
 * first lower-case letter (or before the '?' if there is none), a site
 * kind at its closing quote. Every part after the kind starts with a space
 * and a lower-case word, or is the final '?'. The amount and currency are
 * [0-9,.] and [A-Z]{3}. Each free-text field follows its own fixed label,
 * in a fixed order, and sits between double quotes; inside, a '"' can only
 * appear escaped as \" (and '\' as \\), so the first unescaped '"' after a
 * label is that field's end, and what follows is the next label or the
 * end. The quote and the backslash are refused by the field checks anyway,
 * and so is '?', so a field cannot hold a second "...? Approve ..."
 * sentence either. */
char *biogate_tx_render_text(const BiogateTx *tx) {
        GString *s;

        g_return_val_if_fail(tx && tx->kind, NULL);

        s = g_string_new("Approve ");
        if (biogate_tx_kind_is_builtin(tx->kind))
                for (const char *p = tx->kind; *p; p++)
                        g_string_append_c(s, *p == '_' ? ' ' : g_ascii_toupper(*p));
        else {
                g_string_append(s, "transaction of kind ");
                biogate_tx_text_append_quoted(s, tx->kind);
        }

        if (tx->amount && tx->currency) {
                g_string_append(s, " of ");
                append_grouped_amount(s, tx->amount);
                g_string_append_printf(s, " %s", tx->currency);
        }
        if (tx->instrument) {
                g_string_append(s, " for instrument ");
                biogate_tx_text_append_quoted(s, tx->instrument);
        }
        if (tx->payee) {
                g_string_append(s, " to payee ");
                biogate_tx_text_append_quoted(s, tx->payee);
        }
        if (tx->counterparty) {
                g_string_append(s, " with counterparty ");
                biogate_tx_text_append_quoted(s, tx->counterparty);
        }
        if (tx->account) {
                g_string_append(s, " from account ");
                biogate_tx_text_append_quoted(s, tx->account);
        }
        if (tx->reference) {
                g_string_append(s, " (reference ");
                biogate_tx_text_append_quoted(s, tx->reference);
                g_string_append_c(s, ')');
        }
        g_string_append_c(s, '?');

        return g_string_free(s, FALSE);
}

gboolean biogate_tx_kind_is_builtin(const char *kind) {
        static const char *const builtin[] = {
                "order", "withdrawal", "cash_conversion", "loan_issuance", "transfer",
        };

        g_return_val_if_fail(kind, FALSE);

        for (size_t i = 0; i < G_N_ELEMENTS(builtin); i++)
                if (strcmp(builtin[i], kind) == 0)
                        return TRUE;
        return FALSE;
}
