/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

/* The transaction fields that `approve` and `policy explain` take from the
 * command line, so both build the daemon's a{sv} the same way. */
typedef struct CtlTxFields {
        const char *kind;
        const char *amount;
        const char *currency;
        const char *payee;
        const char *counterparty;
        const char *account;
        const char *instrument;
        const char *reference;
} CtlTxFields;

/* Option entries for struct CtlTxFields f (CtlOption initialisers). */
#define CTL_TX_OPTIONS(f)                                                                                          \
        { "kind", 0, CTL_OPTION_STRING, &(f).kind, "KIND",                                                         \
          N_("order, withdrawal, cash_conversion, loan_issuance, transfer, or a kind the policy names") },         \
        { "amount", 0, CTL_OPTION_STRING, &(f).amount, "AMOUNT",                                                   \
          N_("Decimal amount, e.g. 250000.00, with --currency") },                                                 \
        { "currency", 0, CTL_OPTION_STRING, &(f).currency, "CODE", N_("ISO 4217 currency code, e.g. USD") },       \
        { "payee", 0, CTL_OPTION_STRING, &(f).payee, "NAME", N_("Who receives the money") },                       \
        { "counterparty", 0, CTL_OPTION_STRING, &(f).counterparty, "NAME", N_("The other side of the trade") },    \
        { "account", 0, CTL_OPTION_STRING, &(f).account, "ACCOUNT", N_("Account the money leaves") },              \
        { "instrument", 0, CTL_OPTION_STRING, &(f).instrument, "INSTRUMENT", N_("What is traded") },               \
        { "reference", 0, CTL_OPTION_STRING, &(f).reference, "REF", N_("The backend's reference") }

/* Adds the fields that are set to an a{sv} builder. */
void ctl_tx_fields_add(const CtlTxFields *f, GVariantBuilder *builder);
