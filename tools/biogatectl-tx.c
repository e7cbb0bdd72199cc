/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogatectl-tx.h"

void ctl_tx_fields_add(const CtlTxFields *f, GVariantBuilder *builder) {
        const struct {
                const char *key;
                const char *value;
        } fields[] = {
                { "kind", f->kind },       { "amount", f->amount },         { "currency", f->currency },
                { "payee", f->payee },     { "counterparty", f->counterparty }, { "account", f->account },
                { "instrument", f->instrument }, { "reference", f->reference },
        };

        for (gsize i = 0; i < G_N_ELEMENTS(fields); i++)
                if (fields[i].value)
                        g_variant_builder_add(builder, "{sv}", fields[i].key, g_variant_new_string(fields[i].value));
}
