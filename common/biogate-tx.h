/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A transaction to approve (step-up): strict validation of the a{sv} a
 * client sends, its canonical form (RFC 8785 JSON), its SHA-256 digest and
 * the human text the user approves. The daemon, biogatectl and any backend
 * derive the same digest from the same fields. GLib + json-glib; never
 * linked into the PAM module. */

#include <glib.h>
#include <json-glib/json-glib.h>

#define BIOGATE_TX_ERROR (biogate_tx_error_quark())
GQuark biogate_tx_error_quark(void);

typedef enum BiogateTxError {
        BIOGATE_TX_ERROR_UNKNOWN_KEY,
        BIOGATE_TX_ERROR_WRONG_TYPE,
        BIOGATE_TX_ERROR_TOO_LONG,
        BIOGATE_TX_ERROR_BAD_STRING,      /* a character or spelling the text rules refuse, invalid UTF-8, empty */
        BIOGATE_TX_ERROR_BAD_KIND,
        BIOGATE_TX_ERROR_BAD_AMOUNT,
        BIOGATE_TX_ERROR_UNKNOWN_CURRENCY,
        BIOGATE_TX_ERROR_BAD_CHALLENGE,
        BIOGATE_TX_ERROR_MISSING,         /* a required field is absent */
} BiogateTxError;

#define BIOGATE_TX_CHALLENGE_MIN 16
#define BIOGATE_TX_CHALLENGE_MAX 64
#define BIOGATE_DIGEST_SIZE 32

typedef struct BiogateTx {
        char *kind;          /* [a-z][a-z0-9_]{0,31} */
        char *amount;        /* normalised: exactly the currency's minor digits, e.g. "250000.00" */
        char *currency;      /* ISO 4217 alphabetic code */
        gint64 amount_minor; /* amount in minor units, e.g. 25000000 */
        int minor_units;     /* the currency's exponent */
        char *payee;
        char *counterparty;
        char *account;
        char *instrument;
        char *reference;
        GBytes *challenge;   /* 16..64 bytes, or NULL */
} BiogateTx;

void biogate_tx_free(BiogateTx *tx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BiogateTx, biogate_tx_free)

/* From the D-Bus a{sv}: kind (s, required), amount (s) with currency (s)
 * (both or neither), payee, counterparty, account, instrument, reference
 * (s), challenge (ay). Unknown keys, wrong types, over-long or malformed
 * values are errors naming the key. */
BiogateTx *biogate_tx_from_variant(GVariant *dict, GError **error);

/* The same fields from the JSON object of a token's "tx" claim (challenge
 * as base64url without padding). */
BiogateTx *biogate_tx_from_json(JsonNode *node, GError **error);

/* The JSON object of the fields present (challenge base64url, no padding). */
JsonNode *biogate_tx_to_json(const BiogateTx *tx);

/* RFC 8785 canonical JSON of biogate_tx_to_json(). */
char *biogate_tx_canonical(const BiogateTx *tx);

/* SHA-256 of the canonical form. */
void biogate_tx_digest(const BiogateTx *tx, guint8 ret_digest[BIOGATE_DIGEST_SIZE]);
/* The same, base64url without padding (as in tokens and the journal). */
char *biogate_tx_digest_string(const BiogateTx *tx);

/* 'Approve WITHDRAWAL of 250,000.00 USD to payee "ACME Ltd" (reference "T-1001")?'
 * A kind that is not built in shows quoted and labelled, as sent:
 * 'Approve transaction of kind "margin_call" of 5.00 USD?'. Injective: two transactions that differ in any field but the challenge
 * never render the same (the argument is next to the code). */
char *biogate_tx_render_text(const BiogateTx *tx);

/* order, withdrawal, cash_conversion, loan_issuance, transfer. Other
 * syntactically valid kinds are accepted only when the policy names them. */
gboolean biogate_tx_kind_is_builtin(const char *kind);

/* ISO 4217: the exponent of an active alphabetic code, or -1. */
int biogate_currency_minor_units(const char *code);

/* Parses a decimal amount for currency (same rules as the tx field) into
 * minor units; used by the policy for thresholds. */
gboolean biogate_amount_parse(const char *text, int minor_units, gint64 *ret_minor, GError **error);

/* base64url without padding. */
char *biogate_base64url_encode(const guint8 *data, gsize len);
GBytes *biogate_base64url_decode(const char *text, GError **error);
