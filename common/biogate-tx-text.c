/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a free-text transaction field may hold. The user approves what they
 * read; the backend pays what is signed. Anything that lets the two differ
 * is refused: characters that do not show (fillers, joiners, tags,
 * variation selectors, bidi controls), characters that show as something
 * else (a Cyrillic 'А' among Latin letters, a full-width 'Ａ', a Latin 'ɑ'
 * for 'a'), and spellings of the same glyphs that are different strings
 * (non-NFC, stacked marks). Deny by default: an allow-list of characters,
 * then ICU's UTS #39 checks on what is left. Nothing is normalised or
 * repaired: the bytes that are signed are exactly the bytes sent. */
#include "biogate-tx-text.h"

#include <string.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/unorm2.h>
#include <unicode/uset.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>

#include "biogate-tx.h"

typedef struct TextRules {
        USpoofChecker *checker; /* thread-safe for checks once configured */
        USet *allowed;          /* frozen */
        const UNormalizer2 *nfc;
        /* Both read-only once built. A letter refused because another
         * allowed one of its script looks the same → what it looks like
         * ("U+0406 CYRILLIC CAPITAL LETTER ..."). */
        GHashTable *lookalikes;
        /* Skeleton (UTF-8) of each allowed letter whose skeleton is longer
         * than one UTF-16 unit ('Ы' → "bl") → that letter: two or more
         * characters with the same skeleton ('Ь'+'І') imitate it. */
        GHashTable *sequences;
        int32_t max_sequence; /* the longest such skeleton, in UTF-16 units */
        const char *failure;  /* set if ICU could not be set up: every text is then refused */
} TextRules;

/* Letters: UTS #39's recommended identifier characters (no obsolete,
 * technical, compatibility or uncommon ones) of the Latin and Cyrillic
 * scripts, with the combining marks of that set. The desks this serves
 * write Latin, Russian and Kazakh names; every other script is refused
 * rather than half-supported. Removed even where the recommended set has
 * them: ZWJ/ZWNJ and any other default-ignorable or format character. */
static const UChar letters_pattern[] = u"[[:sc=Latn:][:sc=Cyrl:][:sc=Zinh:]]";
static const UChar never_pattern[] =
        u"[[:Default_Ignorable_Code_Point:][:Noncharacter_Code_Point:][:Cc:][:Cf:][:Cs:][:Co:][:Cn:]"
        u"[:Z:][:Lm:][:Sk:][:Bidi_Control:][:Join_Control:]]";

static gboolean is_mark(gunichar c) {
        return (U_GET_GC_MASK((UChar32) c) & U_GC_M_MASK) != 0;
}

static gboolean is_letter(gunichar c) {
        return (U_GET_GC_MASK((UChar32) c) & U_GC_L_MASK) != 0;
}

static gboolean is_ascii(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s >= 0x80)
                        return FALSE;
        return TRUE;
}

/* A code point as "U+0406 CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I",
 * printable ASCII only. */
static char *describe_char(UChar32 c) {
        UErrorCode status = U_ZERO_ERROR;
        char name[128] = "";

        /* The longest name has 88 characters; the last byte stays NUL
         * whatever ICU writes. */
        u_charName(c, U_EXTENDED_CHAR_NAME, name, sizeof name - 1, &status);
        for (char *p = name; *p; p++)
                if (!g_ascii_isprint(*p))
                        *p = '?';
        return g_strdup_printf("U+%04X %s", (unsigned) c, U_SUCCESS(status) && name[0] ? name : "(no name)");
}

/* UTS #39 skeleton of u16[0..n) as UTF-8 (NULL if ICU fails), and its
 * length in UTF-16 units. */
static char *skeleton_utf8(const USpoofChecker *checker, const UChar *u16, int32_t n, int32_t *ret_units) {
        UErrorCode status = U_ZERO_ERROR;
        UChar stack[32];
        g_autofree UChar *heap = NULL;
        UChar *skeleton = stack;
        int32_t units;

        units = uspoof_getSkeleton(checker, 0, u16, n, stack, G_N_ELEMENTS(stack), &status);
        if (status == U_BUFFER_OVERFLOW_ERROR) {
                status = U_ZERO_ERROR;
                skeleton = heap = g_new(UChar, units + 1);
                uspoof_getSkeleton(checker, 0, u16, n, heap, units + 1, &status);
        }
        if (U_FAILURE(status))
                return NULL;
        if (ret_units)
                *ret_units = units;
        return g_utf16_to_utf8((const gunichar2 *) skeleton, units, NULL, NULL, NULL);
}

static gboolean utf16_is_ascii(const UChar *u16, int32_t n) {
        for (int32_t i = 0; i < n; i++)
                if (u16[i] >= 0x80)
                        return FALSE;
        return TRUE;
}

/* Where two allowed letters of one script have the same skeleton, the one
 * kept is the lower code point (the older, more common letter: 'І' U+0406
 * before palochka 'Ӏ' U+04C0), except these, which are the letters of a
 * living alphabet where the lower one is a rarely used letter: Czech 'ě'
 * (not 'ĕ'), Vietnamese and Croatian 'Đ' (not Icelandic 'Ð'), Slovak 'ľ'
 * (not 'Ĭ', 'Ǐ'), Vietnamese 'Ị' (not 'ḷ'). */
static const UChar32 preferred_letters[] = { 0x011A, 0x011B, 0x0110, 0x013E, 0x1ECA };

/* Kazakh needs both 'У' and 'Ү' (and 'у', 'ү'), which UTS #39 counts as
 * confusable. Refusing either would refuse most Kazakh names, so both are
 * kept: the one accepted pair of look-alikes of one script, beyond ASCII
 * (docs/design.md, "Transaction text"). */
static const UChar32 kept_lookalikes[] = { 0x04AE, 0x04AF };

static gboolean char_in(UChar32 c, const UChar32 *list, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (list[i] == c)
                        return TRUE;
        return FALSE;
}

/* Within one script, no two allowed characters may look alike: the
 * one-script rule and the ASCII look-alike check below compare a field
 * with other scripts and with ASCII, never two Cyrillic (or two Latin)
 * spellings with each other, so 'ІДЕЯ' (U+0406) and 'ӀДЕЯ' (palochka)
 * would both pass as different payees that read the same. Each skeleton
 * class of a script keeps one letter; the others are refused (and left
 * out of the allowed set). ASCII is never refused: a pure-ASCII field is
 * as it always was ('I'/'l', '0'/'O' look alike there too), so a
 * non-ASCII Latin letter that looks like ASCII text (dotless 'ı' → "i",
 * 'æ' → "ae") is refused instead. Done once, before the set is frozen;
 * about 950 skeletons. */
static gboolean remove_lookalikes(TextRules *r, GError **error) {
        g_autoptr(GHashTable) classes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_autoptr(GArray) refused = g_array_new(FALSE, FALSE, sizeof(UChar32));
        int32_t n = uset_size(r->allowed);

        r->lookalikes = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
        r->sequences = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

        /* Ascending code points: the first of a class is its lowest. */
        for (int32_t i = 0; i < n; i++) {
                UChar32 c = uset_charAt(r->allowed, i), kept;
                UErrorCode status = U_ZERO_ERROR;
                UScriptCode script = uscript_getScript(c, &status);
                UChar u16[2];
                int32_t len = 0, units = 0;
                g_autofree char *skeleton = NULL, *key = NULL;
                gpointer found;

                U16_APPEND_UNSAFE(u16, len, c);
                skeleton = skeleton_utf8(r->checker, u16, len, &units);
                if (!skeleton || U_FAILURE(status)) {
                        g_set_error_literal(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_BAD_STRING, "skeleton");
                        return FALSE;
                }
                if (script == USCRIPT_LATIN && c >= 0x80 && is_ascii(skeleton) && units > 1) {
                        g_hash_table_insert(r->lookalikes, GINT_TO_POINTER(c),
                                            g_strdup_printf("the ASCII letters \"%s\"", skeleton));
                        g_array_append_val(refused, c);
                        continue;
                }
                key = g_strdup_printf("%d:%s", (int) script, skeleton);
                if (!g_hash_table_lookup_extended(classes, key, NULL, &found)) {
                        g_hash_table_insert(classes, g_steal_pointer(&key), GINT_TO_POINTER(c));
                        continue;
                }
                kept = GPOINTER_TO_INT(found);
                if (c < 0x80 || char_in(c, kept_lookalikes, G_N_ELEMENTS(kept_lookalikes)))
                        continue; /* 'l' after 'I': ASCII stays as it is */
                if (kept >= 0x80 && char_in(c, preferred_letters, G_N_ELEMENTS(preferred_letters))) {
                        g_hash_table_insert(r->lookalikes, GINT_TO_POINTER(kept), describe_char(c));
                        g_array_append_val(refused, kept);
                        g_hash_table_insert(classes, g_steal_pointer(&key), GINT_TO_POINTER(c));
                        continue;
                }
                g_hash_table_insert(r->lookalikes, GINT_TO_POINTER(c), describe_char(kept));
                g_array_append_val(refused, c);
        }
        for (guint i = 0; i < refused->len; i++)
                uset_remove(r->allowed, g_array_index(refused, UChar32, i));

        /* What is left: the letters that sequences of others can imitate. */
        n = uset_size(r->allowed);
        for (int32_t i = 0; i < n; i++) {
                UChar32 c = uset_charAt(r->allowed, i);
                UErrorCode status = U_ZERO_ERROR;
                UScriptCode script = uscript_getScript(c, &status);
                UChar u16[2];
                int32_t len = 0, units = 0;
                g_autofree char *skeleton = NULL;

                if (c < 0x80 || !is_letter((gunichar) c))
                        continue;
                U16_APPEND_UNSAFE(u16, len, c);
                skeleton = skeleton_utf8(r->checker, u16, len, &units);
                if (!skeleton || U_FAILURE(status)) {
                        g_set_error_literal(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_BAD_STRING, "skeleton");
                        return FALSE;
                }
                if (units < 2)
                        continue;
                r->max_sequence = MAX(r->max_sequence, units);
                /* By script: Latin 'Ç' and Cyrillic 'Ҫ' share a skeleton. */
                g_hash_table_insert(r->sequences, g_strdup_printf("%d:%s", (int) script, skeleton),
                                    GINT_TO_POINTER(c));
        }
        return TRUE;
}

static void text_rules_init(TextRules *r) {
        UErrorCode status = U_ZERO_ERROR;
        USet *letters = NULL, *never = NULL;
        const USet *recommended;
        g_autoptr(GError) error = NULL;

        recommended = uspoof_getRecommendedSet(&status);
        letters = uset_openPattern(letters_pattern, -1, &status);
        never = uset_openPattern(never_pattern, -1, &status);
        r->checker = uspoof_open(&status);
        if (U_FAILURE(status))
                goto fail;

        r->allowed = uset_openEmpty();
        uset_addAll(r->allowed, recommended);
        uset_retainAll(r->allowed, letters);
        uset_removeAll(r->allowed, never);
        uset_addRange(r->allowed, '0', '9');
        for (const char *p = BIOGATE_TX_TEXT_PUNCTUATION; *p; p++)
                uset_add(r->allowed, (UChar32) *p);
        if (!remove_lookalikes(r, &error)) {
                status = U_INTERNAL_PROGRAM_ERROR;
                goto fail;
        }
        uset_freeze(r->allowed);

        r->nfc = unorm2_getNFCInstance(&status);
        /* One script per field: "single script restrictive" is stricter
         * than "highly restrictive", which would also let Latin mix with
         * Han or Hangul (both refused by the allow-list anyway). The allowed
         * set counts for the restriction level too (UTS #39 §5.2 step 1). */
        uspoof_setChecks(r->checker,
                         USPOOF_RESTRICTION_LEVEL | USPOOF_INVISIBLE | USPOOF_MIXED_NUMBERS | USPOOF_CHAR_LIMIT |
                                 USPOOF_HIDDEN_OVERLAY,
                         &status);
        uspoof_setRestrictionLevel(r->checker, USPOOF_SINGLE_SCRIPT_RESTRICTIVE);
        uspoof_setAllowedChars(r->checker, r->allowed, &status);
        if (U_FAILURE(status))
                goto fail;
        uset_close(letters);
        uset_close(never);
        return;

fail:
        r->failure = u_errorName(status);
        uset_close(letters);
        uset_close(never);
}

static const TextRules *text_rules(void) {
        static TextRules rules;
        static gsize ready = 0;

        if (g_once_init_enter(&ready)) {
                text_rules_init(&rules);
                g_once_init_leave(&ready, 1);
        }
        return &rules;
}

#define ALLOWED_DESCRIPTION \
        "only Latin or Cyrillic letters, digits 0-9, single spaces and . , - / & ' ( ) # : are allowed"

/* Never the character itself: it may be invisible, or reorder the rest
 * of the message on a terminal. Its code point and Unicode name instead. */
static gboolean refuse_char(const TextRules *r, const char *key, gunichar c, glong position, GError **error) {
        g_autofree char *described = describe_char((UChar32) c);
        const char *looks_like = g_hash_table_lookup(r->lookalikes, GINT_TO_POINTER(c));

        if (looks_like)
                g_set_error(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_BAD_STRING,
                            "Transaction field '%s' has %s at character %ld, which looks like %s: "
                            "of two characters that look the same only one is allowed",
                            key, described, position, looks_like);
        else
                g_set_error(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_BAD_STRING,
                            "Transaction field '%s' has %s at character %ld: " ALLOWED_DESCRIPTION, key, described,
                            position);
        return FALSE;
}

static gboolean refuse(const char *key, const char *reason, GError **error) {
        g_set_error(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_BAD_STRING, "Transaction field '%s' %s", key, reason);
        return FALSE;
}

/* Character by character: the allow-list, spaces only between words (two
 * spaces in a row, or one at an end, look like one or none), and marks
 * only on letters and at most BIOGATE_TX_TEXT_MAX_MARKS of them (a stack
 * of marks can cover neighbouring characters). */
static gboolean check_characters(const TextRules *r, const char *key, const char *value, GError **error) {
        gboolean after_letter = FALSE, after_space = FALSE;
        int marks = 0;
        glong position = 0;

        for (const char *p = value; *p; p = g_utf8_next_char(p)) {
                gunichar c = g_utf8_get_char(p);

                position++;
                if (!uset_contains(r->allowed, (UChar32) c))
                        return refuse_char(r, key, c, position, error);
                if (c == ' ') {
                        if (position == 1 || after_space || p[1] == '\0')
                                return refuse(key, "has a space at its start or end, or two in a row", error);
                } else if (is_mark(c)) {
                        if (!after_letter) {
                                g_set_error(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_BAD_STRING,
                                            "Transaction field '%s' has combining mark U+%04X at character %ld "
                                            "that is not on a letter", key, c, position);
                                return FALSE;
                        }
                        if (++marks > BIOGATE_TX_TEXT_MAX_MARKS) {
                                g_set_error(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_BAD_STRING,
                                            "Transaction field '%s' has more than %d combining marks on one letter "
                                            "at character %ld", key, BIOGATE_TX_TEXT_MAX_MARKS, position);
                                return FALSE;
                        }
                        continue;
                }
                marks = 0;
                after_space = c == ' ';
                after_letter = is_letter(c);
        }
        return TRUE;
}

/* UTS #39's skeleton maps each character to the one it is confusable with
 * ('А' U+0410 → 'A', 'ɑ' → 'a', 'з' → '3'). A field that is not ASCII but
 * whose skeleton is pure ASCII reads as ASCII text it is not: "АСМЕ" all
 * in Cyrillic passes the one-script rule yet shows as "ACME". A Cyrillic
 * name with one letter that has no ASCII look-alike ("ТОО Казахстан")
 * passes. */
static gboolean check_not_ascii_lookalike(const TextRules *r, const char *key, const char *value, const UChar *u16,
                                          int32_t n_u16, GError **error) {
        UErrorCode status = U_ZERO_ERROR;
        g_autofree UChar *skeleton = NULL;
        g_autofree char *shown = NULL;
        int32_t n;

        if (is_ascii(value))
                return TRUE;

        n = uspoof_getSkeleton(r->checker, 0, u16, n_u16, NULL, 0, &status);
        if (status != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(status))
                return refuse(key, "cannot be checked for look-alike characters", error);
        status = U_ZERO_ERROR;
        skeleton = g_new(UChar, n + 1);
        uspoof_getSkeleton(r->checker, 0, u16, n_u16, skeleton, n + 1, &status);
        if (U_FAILURE(status))
                return refuse(key, "cannot be checked for look-alike characters", error);

        for (int32_t i = 0; i < n; i++)
                if (skeleton[i] >= 0x80 || !g_ascii_isprint((char) skeleton[i]))
                        return TRUE;

        shown = g_new(char, n + 1);
        for (int32_t i = 0; i < n; i++)
                shown[i] = (char) skeleton[i];
        shown[n] = '\0';
        g_set_error(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_BAD_STRING,
                    "Transaction field '%s' is not ASCII but looks exactly like the ASCII text \"%s\" "
                    "(every letter has a look-alike; UTS #39 confusable)", key, shown);
        return FALSE;
}

/* Letters whose skeleton is several characters ('Ы' U+042B → "bl") can be
 * imitated by a run of other allowed letters ('Ь' U+042C + 'І' U+0406 →
 * "b" + "l"): "ЬІРЬІС" reads as "ЫРЫС". Every run of 2 up to
 * max_sequence characters that has the skeleton of one letter of its own
 * script is refused; a run of ASCII only is not ("10" has the skeleton of
 * 'Ю', and ASCII stays as it is). */
static gboolean check_sequences(const TextRules *r, const char *key, const UChar *u16, int32_t n_u16,
                                GError **error) {
        glong position = 0;

        for (int32_t start = 0; start < n_u16; position++) {
                int32_t next = start, end;
                UChar32 c;

                U16_NEXT(u16, next, n_u16, c);
                end = next;
                /* A run starts on a letter (a space never is one). */
                for (int32_t k = 2; c != ' ' && k <= r->max_sequence && end < n_u16; k++) {
                        g_autofree char *skeleton = NULL, *lookup = NULL, *described = NULL;
                        UScriptCode script = USCRIPT_COMMON;
                        gpointer found;

                        U16_NEXT(u16, end, n_u16, c);
                        if (c == ' ')
                                break; /* no letter's skeleton has a space */
                        if (utf16_is_ascii(u16 + start, end - start))
                                continue;
                        /* The run's script: the one-script rule has made it the
                         * field's. Latin "AE" is compared with Latin 'Æ', never
                         * with Cyrillic 'Ӕ'. */
                        for (int32_t i = start; i < end && script == USCRIPT_COMMON;) {
                                UErrorCode status = U_ZERO_ERROR;
                                UScriptCode s;
                                UChar32 d;

                                U16_NEXT(u16, i, end, d);
                                s = uscript_getScript(d, &status);
                                if (U_SUCCESS(status) && s != USCRIPT_INHERITED)
                                        script = s;
                        }
                        if (script == USCRIPT_COMMON)
                                continue;
                        skeleton = skeleton_utf8(r->checker, u16 + start, end - start, NULL);
                        if (!skeleton)
                                return refuse(key, "cannot be checked for look-alike characters", error);
                        lookup = g_strdup_printf("%d:%s", (int) script, skeleton);
                        if (!g_hash_table_lookup_extended(r->sequences, lookup, NULL, &found))
                                continue;
                        described = describe_char(GPOINTER_TO_INT(found));
                        g_set_error(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_BAD_STRING,
                                    "Transaction field '%s' has %d characters at %ld to %ld that together look like "
                                    "the one letter %s", key, k, position + 1, position + k, described);
                        return FALSE;
                }
                start = next;
        }
        return TRUE;
}

static gboolean check_spoof(const TextRules *r, const char *key, const UChar *u16, int32_t n_u16, GError **error) {
        static const struct {
                int32_t check;
                const char *reason;
        } reasons[] = {
                { USPOOF_CHAR_LIMIT, "has a character outside the allowed set" },
                { USPOOF_RESTRICTION_LEVEL, "mixes letters of different scripts (e.g. Latin and Cyrillic), "
                                            "which can imitate other text" },
                { USPOOF_INVISIBLE, "repeats a combining mark on one letter, which does not show" },
                { USPOOF_HIDDEN_OVERLAY, "has a combining mark that the letter under it hides" },
                { USPOOF_MIXED_NUMBERS, "mixes digits of different number systems" },
        };
        UErrorCode status = U_ZERO_ERROR;
        USpoofCheckResult *result = uspoof_openCheckResult(&status);
        int32_t checks;

        uspoof_check2(r->checker, u16, n_u16, result, &status);
        checks = uspoof_getCheckResultChecks(result, &status);
        uspoof_closeCheckResult(result);
        if (U_FAILURE(status))
                return refuse(key, "cannot be checked for look-alike characters", error);

        for (size_t i = 0; i < G_N_ELEMENTS(reasons); i++)
                if (checks & reasons[i].check)
                        return refuse(key, reasons[i].reason, error);
        /* A check this code does not name: still a refusal. */
        if (checks != 0)
                return refuse(key, "fails a Unicode security check (UTS #39)", error);
        return TRUE;
}

gboolean biogate_tx_text_check(const char *key, const char *value, glong max_chars, gsize max_bytes,
                               GError **error) {
        const TextRules *r = text_rules();
        UErrorCode status = U_ZERO_ERROR;
        g_autofree UChar *u16 = NULL;
        int32_t n_u16 = 0;
        size_t n_bytes;

        g_return_val_if_fail(key && value, FALSE);

        /* Bytes first: no work on a megabyte of payee. */
        n_bytes = strnlen(value, max_bytes + 1);
        if (n_bytes > max_bytes) {
                g_set_error(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_TOO_LONG,
                            "Transaction field '%s' is longer than %" G_GSIZE_FORMAT " bytes", key, max_bytes);
                return FALSE;
        }
        /* Also refuses overlong forms, encoded surrogates and code points
         * beyond U+10FFFF. */
        if (!g_utf8_validate(value, -1, NULL))
                return refuse(key, "is not valid UTF-8", error);
        if (n_bytes == 0)
                return refuse(key, "is empty", error);
        if (g_utf8_strlen(value, -1) > max_chars) {
                g_set_error(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_TOO_LONG,
                            "Transaction field '%s' is longer than %ld characters", key, max_chars);
                return FALSE;
        }
        if (r->failure) {
                g_set_error(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_BAD_STRING,
                            "Transaction field '%s' cannot be checked (ICU: %s)", key, r->failure);
                return FALSE;
        }

        if (!check_characters(r, key, value, error))
                return FALSE;
        /* What the allow-list leaves of ASCII (letters, digits, single
         * spaces, the punctuation) is NFC, one script, without marks and
         * its own skeleton: the checks below cannot refuse it. Skipping
         * them keeps the common case as cheap as before ICU (Evaluate is
         * called for every transaction). */
        if (is_ascii(value))
                return TRUE;

        u_strFromUTF8(NULL, 0, &n_u16, value, (int32_t) n_bytes, &status);
        if (status != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(status))
                return refuse(key, "is not valid UTF-8", error);
        status = U_ZERO_ERROR;
        u16 = g_new(UChar, n_u16 + 1);
        u_strFromUTF8(u16, n_u16 + 1, NULL, value, (int32_t) n_bytes, &status);
        if (U_FAILURE(status))
                return refuse(key, "is not valid UTF-8", error);

        /* Refused, not normalised: the signed bytes are the sent bytes, and
         * "é" as one code point or as e + U+0301 must not be two payees
         * that look the same. */
        if (!unorm2_isNormalized(r->nfc, u16, n_u16, &status) || U_FAILURE(status))
                return refuse(key, "is not in Unicode normalization form NFC (send precomposed letters, "
                                   "e.g. U+00E9 rather than e followed by U+0301)", error);

        if (!check_spoof(r, key, u16, n_u16, error))
                return FALSE;
        if (!check_sequences(r, key, u16, n_u16, error))
                return FALSE;
        return check_not_ascii_lookalike(r, key, value, u16, n_u16, error);
}

void biogate_tx_text_append_quoted(GString *out, const char *value) {
        g_string_append_c(out, '"');
        /* Byte-wise is exact: '"' and '\' never occur inside a multi-byte
         * UTF-8 sequence. */
        for (const char *p = value; *p; p++) {
                if (*p == '"' || *p == '\\')
                        g_string_append_c(out, '\\');
                g_string_append_c(out, *p);
        }
        g_string_append_c(out, '"');
}
