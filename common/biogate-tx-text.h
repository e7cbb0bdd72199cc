/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The free-text fields of a transaction (payee, counterparty, account,
 * instrument, reference): which text they may hold, so that what the user
 * reads is what is signed, and how each is quoted in the approval text.
 * Uses ICU (UTS #39 security checks, NFC); GLib side only, never linked
 * into the PAM module. */

#include <glib.h>

/* Besides letters and digits, the characters a free-text field may hold
 * (U+0020 included). None of them is '"', '\' or '?', which the approval
 * text uses for itself. */
#define BIOGATE_TX_TEXT_PUNCTUATION " .,-/&'()#:"
/* At most this many combining marks on one letter (after NFC, which
 * composes every mark that has a precomposed form). */
#define BIOGATE_TX_TEXT_MAX_MARKS 2

/* Checks value (the field named key) against the rules (docs/design.md,
 * "Transaction text"): at most max_bytes bytes and max_chars characters of
 * valid UTF-8, NFC, only Latin or Cyrillic letters of UTS #39's recommended
 * set, ASCII digits, single spaces between words and the punctuation
 * above; one script per field (digits, spaces and punctuation go with
 * any); no field that looks like plain ASCII text without being it. On
 * failure sets BIOGATE_TX_ERROR_BAD_STRING or _TOO_LONG with a message
 * naming the field and the reason; a refused character is named as U+XXXX
 * and never echoed. */
gboolean biogate_tx_text_check(const char *key, const char *value, glong max_chars, gsize max_bytes,
                               GError **error);

/* Appends value between double quotes, with '"' and '\' escaped by a
 * backslash (the checks refuse both, so in practice nothing is escaped:
 * the escaping keeps the rendering injective even for an unchecked value). */
void biogate_tx_text_append_quoted(GString *out, const char *value);
