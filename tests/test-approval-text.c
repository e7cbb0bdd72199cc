/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The approval text cannot be spoofed (review finding 5, issue 13).
 *
 * /approval-text/spoofing: a corpus of hostile strings (invisible fillers,
 * default-ignorables, bidi controls, tags, unassigned code points,
 * non-characters, combining stacks, mixed- and whole-script confusables,
 * full-width forms, controls, invalid UTF-8, over-long values) is refused
 * in every free-text field, by the library (D-Bus a{sv} and token JSON
 * alike) and by the real daemon's StepUp.Evaluate, with a message that
 * names the field and never echoes the character; legitimate Latin,
 * Cyrillic and Kazakh names still pass; a payee holding a whole second
 * "Approve ..." sentence renders inside quotes, where it cannot pass for
 * the daemon's own words.
 *
 * /approval-text/injective: distinct transactions never render to the
 * same text, over random transactions and adversarial ones built by
 * moving text across field boundaries (the review's "ACME Ltd (ref
 * T-1001)" payee against payee "ACME Ltd" with reference T-1001). */
#include <stdio.h>
#include <string.h>

#include <unicode/uscript.h>
#include <unicode/uset.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>

#include "biogate-tx-text.h"
#include "biogate-tx.h"
#include "daemon-fixture.h"

static const char *const text_fields[] = { "payee", "counterparty", "account", "instrument", "reference" };

/* ---- the corpus -------------------------------------------------------- */

typedef struct Hostile {
        const char *what;
        const char *value;
        gboolean not_dbus; /* invalid UTF-8: no D-Bus string can hold it, only a token's JSON */
} Hostile;

#define H(what, value) { what, value, FALSE }
#define BAD_UTF8(what, value) { what, value, TRUE }

static const Hostile hostile[] = {
        /* Invisible fillers and blanks that are not U+0020. */
        H("hangul filler U+3164", "ACME\xe3\x85\xa4Ltd"),
        H("hangul choseong filler U+115F", "\xe1\x85\x9f" "ACME"),
        H("hangul jungseong filler U+1160", "ACME\xe1\x85\xa0"),
        H("halfwidth hangul filler U+FFA0", "AC\xef\xbe\xa0ME"),
        H("braille blank U+2800", "ACME\xe2\xa0\x80Ltd"),
        H("mongolian vowel separator U+180E", "ACME\xe1\xa0\x8eLtd"),
        H("khmer vowel inherent U+17B4", "ACME\xe1\x9e\xb4"),
        H("khmer vowel inherent U+17B5", "ACME\xe1\x9e\xb5"),
        H("soft hyphen U+00AD", "AC\xc2\xadME"),
        H("no-break space U+00A0", "ACME\xc2\xa0Ltd"),
        H("ogham space U+1680", "ACME\xe1\x9a\x80Ltd"),
        H("en quad U+2000", "ACME\xe2\x80\x80Ltd"),
        H("em space U+2003", "ACME\xe2\x80\x83Ltd"),
        H("thin space U+2009", "ACME\xe2\x80\x89Ltd"),
        H("hair space U+200A", "ACME\xe2\x80\x8aLtd"),
        H("narrow no-break space U+202F", "ACME\xe2\x80\xafLtd"),
        H("medium mathematical space U+205F", "ACME\xe2\x81\x9fLtd"),
        H("ideographic space U+3000", "ACME\xe3\x80\x80Ltd"),
        H("invisible times U+2062", "ACME\xe2\x81\xa2"),
        H("invisible separator U+2063", "ACME\xe2\x81\xa3"),
        H("invisible plus U+2064", "ACME\xe2\x81\xa4"),
        H("function application U+2061", "ACME\xe2\x81\xa1"),
        /* Default-ignorables: joiners, selectors, BOM. */
        H("zero width space U+200B", "AC\xe2\x80\x8bME"),
        H("zero width non-joiner U+200C", "AC\xe2\x80\x8cME"),
        H("zero width joiner U+200D", "AC\xe2\x80\x8dME"),
        H("word joiner U+2060", "AC\xe2\x81\xa0ME"),
        H("byte order mark U+FEFF", "\xef\xbb\xbf" "ACME"),
        H("combining grapheme joiner U+034F", "AC\xcd\x8fME"),
        H("variation selector 1 U+FE00", "ACME\xef\xb8\x80"),
        H("variation selector 16 U+FE0F", "ACME\xef\xb8\x8f"),
        H("variation selector 17 U+E0100", "ACME\xf3\xa0\x84\x80"),
        H("mongolian free variation selector U+180B", "ACME\xe1\xa0\x8b"),
        H("zwj inside a Cyrillic name", "\xd0\xa2\xd0\x9e\xd0\x9e \xd0\x9a\xd0\xb0\xd0\xb7\xe2\x80\x8d\xd0\xb0\xd1\x85"),
        /* Bidi controls. */
        H("right-to-left override U+202E", "ACME \xe2\x80\xae" "dtL"),
        H("left-to-right override U+202D", "ACME \xe2\x80\xad" "Ltd"),
        H("right-to-left embedding U+202B", "\xe2\x80\xab" "ACME"),
        H("left-to-right embedding U+202A", "\xe2\x80\xaa" "ACME"),
        H("pop directional formatting U+202C", "ACME\xe2\x80\xac"),
        H("left-to-right isolate U+2066", "\xe2\x81\xa6" "ACME\xe2\x81\xa9"),
        H("right-to-left isolate U+2067", "\xe2\x81\xa7" "ACME"),
        H("first strong isolate U+2068", "\xe2\x81\xa8" "ACME"),
        H("pop directional isolate U+2069", "ACME\xe2\x81\xa9"),
        H("right-to-left mark U+200F", "ACME\xe2\x80\x8f"),
        H("left-to-right mark U+200E", "ACME\xe2\x80\x8e"),
        H("arabic letter mark U+061C", "ACME\xd8\x9c"),
        H("hebrew text (right-to-left)", "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d"),
        H("arabic text (right-to-left)", "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7"),
        /* Tag characters. */
        H("language tag U+E0001", "ACME\xf3\xa0\x80\x81"),
        H("tag space U+E0020", "ACME\xf3\xa0\x80\xa0"),
        H("tag latin capital A U+E0041", "ACME\xf3\xa0\x81\x81"),
        H("cancel tag U+E007F", "ACME\xf3\xa0\x81\xbf"),
        /* Unassigned, non-characters, private use. */
        H("unassigned U+0378", "ACME\xcd\xb8"),
        H("unassigned U+0530", "ACME\xd4\xb0"),
        H("unassigned U+05FF", "ACME\xd7\xbf"),
        H("unassigned U+E0080", "ACME\xf3\xa0\x82\x80"),
        H("unassigned U+3FFFD", "ACME\xf0\xbf\xbf\xbd"),
        H("non-character U+FFFF", "ACME\xef\xbf\xbf"),
        H("non-character U+FFFE", "ACME\xef\xbf\xbe"),
        H("non-character U+FDD0", "ACME\xef\xb7\x90"),
        H("non-character U+FDEF", "ACME\xef\xb7\xaf"),
        H("non-character U+1FFFF", "ACME\xf0\x9f\xbf\xbf"),
        H("non-character U+10FFFF", "ACME\xf4\x8f\xbf\xbf"),
        H("private use U+E000", "ACME\xee\x80\x80"),
        H("private use U+F8FF", "ACME\xef\xa3\xbf"),
        H("private use U+F0000", "ACME\xf3\xb0\x80\x80"),
        /* Controls, line and paragraph separators. */
        H("start of heading U+0001", "ACME\x01"),
        H("bell U+0007", "ACME\x07"),
        H("backspace U+0008", "ACME Ltd\x08\x08\x08" "Bob"),
        H("tab", "ACME\tLtd"),
        H("line feed", "ACME Ltd\nApprove WITHDRAWAL"),
        H("carriage return", "Bob\rACME Ltd"),
        H("escape sequence", "ACME\x1b[2K\x1b[1GBob"),
        H("delete U+007F", "ACME\x7f"),
        H("next line U+0085", "ACME\xc2\x85Ltd"),
        H("control sequence introducer U+009B", "ACME\xc2\x9b" "2J"),
        H("line separator U+2028", "ACME\xe2\x80\xa8Ltd"),
        H("paragraph separator U+2029", "ACME\xe2\x80\xa9Ltd"),
        /* Combining marks: stacks, repeats, on nothing, hidden. */
        H("three marks on one letter", "ACME x\xcc\x80\xcc\x81\xcc\x82"),
        H("zalgo stack", "A\xcc\x81\xcc\x82\xcc\x83\xcc\x84\xcc\x86\xcc\x87\xcc\x88\xcc\x8a\xcc\x8b\xcc\x8c" "CME"),
        H("the same mark twice", "ACME x\xcc\x81\xcc\x81"),
        H("mark at the start", "\xcc\x81" "ACME"),
        H("mark after a space", "ACME \xcc\x81Ltd"),
        H("mark on a digit (slashed one)", "ACME 1\xcc\xb8"),
        H("combining enclosing circle U+20DD", "A\xe2\x83\x9d"),
        H("dot above hidden on i", "Cit\x69\xcc\x87" "bank"),
        H("decomposed e acute (not NFC)", "Soci\x65\xcc\x81t\x65\xcc\x81"),
        H("decomposed A ring (not NFC)", "A\xcc\x8a" "ngstrom"),
        H("Kelvin sign U+212A (not NFC)", "\xe2\x84\xaa" "ACME"),
        H("Angstrom sign U+212B (not NFC)", "\xe2\x84\xab" "ngstrom"),
        /* Confusables: mixed script, whole script, other look-alikes. */
        H("Cyrillic ACME, Latin Ltd", "\xd0\x90\xd0\xa1\xd0\x9c\xd0\x95 Ltd"),
        H("Latin ACM, Cyrillic E", "ACM\xd0\x95 Ltd"),
        H("Cyrillic o in google", "g\xd0\xbe\xd0\xbegle"),
        H("Cyrillic a in paypal", "p\xd0\xb0yp\xd0\xb0l"),
        H("Cyrillic dze in Sanctioned", "\xd0\x85" "anctioned Corp"),
        H("Cyrillic i in Citibank", "C\xd1\x96tibank"),
        H("Latin a in a Kazakh name", "\xd0\x9a" "a\xd0\xb7\xd0\xb0\xd1\x85\xd1\x81\xd1\x82\xd0\xb0\xd0\xbd"),
        H("all-Cyrillic ACME", "\xd0\x90\xd0\xa1\xd0\x9c\xd0\x95"),
        H("all-Cyrillic BOB", "\xd0\x92\xd0\x9e\xd0\x92"),
        H("all-Cyrillic exp", "\xd0\xb5\xd1\x85\xd1\x80"),
        H("Latin dotless i", "C\xc4\xb1tibank"),
        H("Latin alpha U+0251", "\xc9\x91" "cme"),
        H("Greek capital alpha", "\xce\x91" "CME"),
        H("Cherokee A", "\xe1\x8e\xaa" "CME"),
        H("full-width ACME", "\xef\xbc\xa1\xef\xbc\xa3\xef\xbc\xad\xef\xbc\xa5"),
        H("full-width Ltd", "ACME \xef\xbc\xac\xef\xbd\x94\xef\xbd\x84"),
        H("full-width digits", "T-\xef\xbc\x91\xef\xbc\x90\xef\xbc\x90\xef\xbc\x91"),
        H("mathematical bold ACME", "\xf0\x9d\x90\x80\xf0\x9d\x90\x82\xf0\x9d\x90\x8c\xf0\x9d\x90\x84"),
        H("circled A", "\xe2\x92\xb6" "CME"),
        H("double-struck C", "A\xe2\x84\x82ME"),
        H("roman numeral twelve", "ACME \xe2\x85\xab"),
        H("superscript two", "ACME\xc2\xb2"),
        H("fraction slash", "1\xe2\x81\x84" "2"),
        H("division slash", "1\xe2\x88\x95" "2"),
        H("minus sign U+2212", "T\xe2\x88\x92" "1001"),
        H("non-breaking hyphen U+2011", "T\xe2\x80\x91" "1001"),
        H("en dash", "T\xe2\x80\x93" "1001"),
        H("right single quotation mark", "O\xe2\x80\x99" "Brien"),
        H("modifier letter apostrophe", "O\xca\xbc" "Brien"),
        H("prime", "O\xe2\x80\xb2" "Brien"),
        H("arabic-indic digits", "T-\xd9\xa1\xd9\xa0\xd9\xa0\xd9\xa1"),
        H("devanagari digits", "T-\xe0\xa5\xa7\xe0\xa5\xa6"),
        H("emoji", "ACME \xf0\x9f\x8f\xa6"),
        H("flag (regional indicators)", "ACME \xf0\x9f\x87\xba\xf0\x9f\x87\xb8"),
        H("keycap sequence", "1\xef\xb8\x8f\xe2\x83\xa3"),
        H("CJK", "\xe9\x8a\x80\xe8\xa1\x8c"),
        /* Look-alikes within one script (the follow-up review): different
         * payees, both non-ASCII, that read the same. */
        H("palochka U+04C0 for U+0406 (IDEYA BANK)", "\xd3\x80\xd0\x94\xd0\x95\xd0\xaf \xd0\x91\xd0\x90\xd0\x9d\xd0\x9a"),
        H("palochka U+04C0 for U+0406 (Ideya Bank)", "\xd3\x80\xd0\xb4\xd0\xb5\xd1\x8f \xd0\x91\xd0\xb0\xd0\xbd\xd0\xba"),
        H("palochka U+04C0 at the end (BANK)", "\xd0\x91\xd0\x90\xd0\x9d\xd0\x9a\xd3\x80"),
        H("small palochka U+04CF for U+0456", "\xd0\x91\xd0\xb0\xd0\xbd\xd0\xba\xd3\x8f"),
        H("reversed ze U+0511 for U+0454", "\xd0\x9a\xd0\xb8\xd1\x97\xd0\xb2\xd1\x81\xd1\x8c\xd0\xba\xd0\xb8\xd0\xb9 \xd0\xbe\xd1\x81\xd0\xb5\xd1\x80\xd0\xb5\xd0\xb4\xd0\xbe\xd0\xba \xd1\x94\xd0\xb4\xd0\xbd\xd0\xbe\xd1\x81\xd1\x82\xd1\x96 \xd4\x91"),
        H("Abkhasian dze U+04E0 for ZE", "\xd3\xa0\xd0\x90\xd0\x9e \xd0\xa0\xd0\xbe\xd0\xbc\xd0\xb0\xd1\x88\xd0\xba\xd0\xb0"),
        H("Abkhasian che U+04BD for IE", "\xd0\x96\xd2\xbd\xd0\xbb"),
        H("soft sign and I for YERU (YNTYMAQ)", "\xd0\xac\xd0\x86\xd0\x9d\xd0\xa2\xd0\xac\xd0\x86\xd0\x9c\xd0\x90\xd2\x9a"),
        H("soft sign and i for yeru (yntymaq)", "\xd1\x8c\xd1\x96\xd0\xbd\xd1\x82\xd1\x8b\xd0\xbc\xd0\xb0\xd2\x9b"),
        H("I and O for YU (YULIYA)", "\xd0\x86\xd0\x9e\xd0\x9b\xd0\x98\xd0\xaf"),
        H("o and a stroke overlay for barred o", "\xd0\x96\xd0\xbe\xcc\xb5\xd0\xbb"),
        H("Latin dotless i beside a non-ASCII letter", "C\xc4\xb1tibank M\xc3\xbcller"),
        H("Latin AE ligature for AE", "\xc3\x86r\xc3\xb8 Bank"),
        H("Latin oe ligature for oe", "c\xc5\x93ur d\xc3\xa9"),
        H("Latin e breve for e caron", "D\xc4\x95kuji \xc4\x8c" "esko"),
        H("Latin eth for D with stroke", "\xc3\x90\xe1\xba\xb7ng"),
        H("Latin a caron for a breve", "Ng\xc7\x8e Vi\xe1\xbb\x87t"),
        H("Latin l acute for I acute", "\xc4\xbaSLA \xc3\x89"),
        H("Latin D and a stroke overlay for D with stroke", "D\xcc\xb5\xc3\xa1vid"),
        H("Arabic fatha U+064E for an acute", "Caf\x65\xd9\x8e \xc3\xa9"),
        H("combining caron U+030C for a breve", "q\xcc\x8c \xc3\xa9"),
        /* Structure of the text: quotes, escapes, a second sentence. */
        H("double quote", "ACME Ltd\" (reference \"T-1001"),
        H("backslash", "ACME\\\" Ltd"),
        H("question mark: a second sentence", "ACME Ltd? Approve WITHDRAWAL of 1.00 USD to Bob"),
        H("full-width question mark", "ACME Ltd\xef\xbc\x9f Approve"),
        H("curly quotes", "\xe2\x80\x9c" "ACME\xe2\x80\x9d"),
        H("guillemets", "\xc2\xab" "ACME\xc2\xbb"),
        H("semicolon", "ACME; Bob"),
        H("markup", "<b>ACME</b>"),
        H("format string", "ACME%s%n"),
        H("asterisk (a policy glob)", "ACME*"),
        H("leading space", " ACME"),
        H("trailing space", "ACME "),
        H("two spaces", "ACME  Ltd"),
        H("empty", ""),
        /* Invalid UTF-8 (only a token's JSON can carry it). */
        BAD_UTF8("lone high surrogate U+D800", "ACME\xed\xa0\x80"),
        BAD_UTF8("lone low surrogate U+DFFF", "ACME\xed\xbf\xbf"),
        BAD_UTF8("overlong slash", "ACME\xc0\xaf"),
        BAD_UTF8("overlong NUL", "ACME\xc0\x80" "Bob"),
        BAD_UTF8("overlong three-byte slash", "ACME\xe0\x80\xaf"),
        BAD_UTF8("five-byte sequence", "ACME\xf8\x88\x80\x80\x80"),
        BAD_UTF8("beyond U+10FFFF", "ACME\xf4\x90\x80\x80"),
        BAD_UTF8("truncated sequence", "ACME\xc3"),
        BAD_UTF8("stray continuation byte", "AC\x80ME"),
        BAD_UTF8("byte 0xFF", "ACME\xff"),
};

/* Over-long values, built at run time: in characters and in bytes. */
static GPtrArray *long_values(void) {
        GPtrArray *values = g_ptr_array_new_with_free_func(g_free);
        GString *s;

        /* 129 ASCII characters: over payee's 128 (and everyone else's 64). */
        g_ptr_array_add(values, g_strnfill(129, 'A'));
        /* 128 characters, 384 bytes: within the character limit, over the byte limit. */
        s = g_string_new(NULL);
        for (int i = 0; i < 128; i++)
                g_string_append(s, "\xe1\xbb\x87"); /* U+1EC7 */
        g_ptr_array_add(values, g_string_free(s, FALSE));
        /* A megabyte of payee. */
        g_ptr_array_add(values, g_strnfill(1 << 20, 'A'));
        /* A legitimate name, padded to 129 characters with its own words. */
        s = g_string_new("ACME Ltd");
        while (s->len < 129)
                g_string_append(s, s->len + 4 <= 129 ? " Ltd" : "d");
        g_string_truncate(s, 129);
        g_ptr_array_add(values, g_string_free(s, FALSE));
        return values;
}

/* Legitimate: Latin with diacritics, Russian, Kazakh, digits, the allowed
 * punctuation. */
static const char *const legit[] = {
        "ACME Ltd",
        "M\xc3\xbcller AG",
        "Soci\xc3\xa9t\xc3\xa9 G\xc3\xa9n\xc3\xa9rale",
        "O'Brien & Sons (UK) #1: 12/3-4, 5.",
        "DE89370400440532013000",
        "T-1001",
        "\xc5\x81\xc3\xb3" "d\xc5\xba",                   /* Łódź */
        "Nguy\xe1\xbb\x85n V\xc4\x83n An",                 /* Nguyễn Văn An */
        "Stra\xc3\x9f" "e 5",                              /* Straße 5 */
        "\xd0\xa2\xd0\x9e\xd0\x9e \xd0\x9a\xd0\xb0\xd0\xb7\xd0\xb0\xd1\x85\xd1\x81\xd1\x82\xd0\xb0\xd0\xbd", /* ТОО Казахстан */
        "\xd0\x97\xd0\x90\xd0\x9e \xd0\xa0\xd0\xbe\xd0\xbc\xd0\xb0\xd1\x88\xd0\xba\xd0\xb0",                 /* ЗАО Ромашка */
        "\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd\xd0\xbe\xd0\xb2 \xd0\x98.\xd0\x98.",                               /* Иванов И.И. */
        /* Қазақстан Халық Банкі */
        "\xd2\x9a\xd0\xb0\xd0\xb7\xd0\xb0\xd2\x9b\xd1\x81\xd1\x82\xd0\xb0\xd0\xbd \xd0\xa5\xd0\xb0\xd0\xbb\xd1\x8b\xd2\x9b "
        "\xd0\x91\xd0\xb0\xd0\xbd\xd0\xba\xd1\x96",
        "\xd2\x9a \xd2\xae \xd3\xa8 \xd3\x98",             /* Қ Ү Ө Ә */
        "\xd0\x90\xd2\x9b \xd0\x96\xd0\xbe\xd0\xbb",       /* Ақ Жол */
        "\xd3\x98\xd0\xbb-\xd0\xa4\xd0\xb0\xd1\x80\xd0\xb0\xd0\xb1\xd0\xb8 45/2", /* Әл-Фараби 45/2 */
        "\xd2\xae\xd0\xbc\xd1\x96\xd1\x82 \xd3\xa8\xd0\xbd\xd0\xb5\xd1\x80\xd0\xba\xd3\x99\xd1\x81\xd1\x96\xd0\xbf", /* Үміт Өнеркәсіп */
        "\xd0\x86\xd0\x94\xd0\x95\xd0\xaf \xd0\x91\xd0\x90\xd0\x9d\xd0\x9a",                     /* ІДЕЯ БАНК (U+0406) */
        "\xd0\x86\xd0\xb4\xd0\xb5\xd1\x8f \xd0\x91\xd0\xb0\xd0\xbd\xd0\xba",                     /* Ідея Банк */
        "\xd0\x91\xd0\x90\xd0\x9d\xd0\x9a\xd0\x86",                                             /* БАНКІ */
        "\xd0\xab\xd0\xbd\xd1\x82\xd1\x8b\xd0\xbc\xd0\xb0\xd2\x9b",                             /* Ынтымақ */
        "\xd0\xae\xd0\xbb\xd0\xb8\xd1\x8f \xd0\x90\xd0\xb1\xd0\xb0\xd1\x8f 10",               /* Юлия Абая 10 */
        "D\xc4\x9bkuji \xc4\x8c" "esko",                        /* Děkuji Česko */
        "Dvo\xc5\x99\xc3\xa1k \xc5\xa0\xc5\xa5" "astn\xc3\xbd \xc5\xbdi\xc5\xbe" "ka", /* Dvořák Šťastný Žižka */
        "\xc4\x90\xe1\xba\xb7ng Ng\xc3\xb4",              /* Đặng Ngô */
        "\xc4\xbdubom\xc3\xadr \xc4\xbeudov\xc3\xad",      /* Ľubomír ľudoví */
        "\xc5\x9e" "ahin \xc4\x9e\xc3\xbcl",                    /* Şahin Ğül */
};

/* ---- helpers ------------------------------------------------------------ */

static GVariant *tx_variant(const char *field, const char *value) {
        GVariantBuilder b;

        g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add(&b, "{sv}", "kind", g_variant_new_string("transfer"));
        g_variant_builder_add(&b, "{sv}", "amount", g_variant_new_string("5.00"));
        g_variant_builder_add(&b, "{sv}", "currency", g_variant_new_string("USD"));
        g_variant_builder_add(&b, "{sv}", field, g_variant_new_string(value));
        return g_variant_builder_end(&b);
}

/* json-glib takes any bytes here, as a token's claims could hold after
 * decoding: the checks must not rely on the D-Bus layer's UTF-8 check. */
static JsonNode *tx_json(const char *field, const char *value) {
        g_autoptr(JsonObject) object = json_object_new();

        json_object_set_string_member(object, "kind", "transfer");
        json_object_set_string_member(object, "amount", "5.00");
        json_object_set_string_member(object, "currency", "USD");
        json_object_set_string_member(object, field, value);
        return json_node_init_object(json_node_alloc(), object);
}

/* The refusal names the field and quotes nothing raw: every byte of the
 * message is printable ASCII, so no invisible or reordering character of
 * the input reaches a log or a terminal. */
static void assert_refusal_message(const char *message, const char *field, const char *what) {
        if (!strstr(message, field))
                g_error("%s in %s: the message does not name the field: %s", what, field, message);
        for (const char *p = message; *p; p++)
                if (!g_ascii_isprint(*p))
                        g_error("%s in %s: the message has byte 0x%02x: %s", what, field, (guchar) *p, message);
}

static void assert_refused_by_library(const char *field, const char *value, gboolean not_dbus, const char *what) {
        g_autoptr(JsonNode) node = tx_json(field, value);
        g_autoptr(GError) error = NULL;
        g_autoptr(BiogateTx) tx = biogate_tx_from_json(node, &error);

        if (tx) {
                g_autofree char *text = biogate_tx_render_text(tx);
                g_autofree char *shown = g_strescape(text, NULL);

                g_error("%s in %s was accepted (token JSON); it renders as: %s", what, field, shown);
        }
        g_assert_true(g_error_matches(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_BAD_STRING) ||
                      g_error_matches(error, BIOGATE_TX_ERROR, BIOGATE_TX_ERROR_TOO_LONG));
        assert_refusal_message(error->message, field, what);

        if (!not_dbus) {
                g_autoptr(GVariant) dict = g_variant_ref_sink(tx_variant(field, value));
                g_autoptr(GError) dbus_error = NULL;
                g_autoptr(BiogateTx) dbus_tx = biogate_tx_from_variant(dict, &dbus_error);

                if (dbus_tx)
                        g_error("%s in %s was accepted (a{sv})", what, field);
                assert_refusal_message(dbus_error->message, field, what);
        }
}

/* What the daemon wrote around the fields: the text with each quoted
 * field emptied to "". A field's content can only be inside quotes. */
static char *outside_quotes(const char *text) {
        GString *s = g_string_new(NULL);
        gboolean quoted = FALSE;

        for (const char *p = text; *p; p++) {
                if (quoted && *p == '\\' && p[1]) {
                        p++;
                        continue;
                }
                if (*p == '"') {
                        quoted = !quoted;
                        g_string_append_c(s, '"');
                        continue;
                }
                if (!quoted)
                        g_string_append_c(s, *p);
        }
        g_assert_false(quoted);
        return g_string_free(s, FALSE);
}

static char *evaluate_text(Fixture *f, GVariant *tx, GError **error) {
        g_autoptr(GVariant) reply = call_on(f->conn, BIOGATE_OBJECT_PATH, BIOGATE_STEPUP_INTERFACE, "Evaluate",
                                            g_variant_new("(@a{sv})", tx), "(ssa{sv})", error);
        g_autoptr(GVariant) details = NULL;
        char *text = NULL;

        if (!reply)
                return NULL;
        g_variant_get(reply, "(&s&s@a{sv})", NULL, NULL, &details);
        g_assert_true(g_variant_lookup(details, "text", "s", &text));
        return text;
}

static void setup(Fixture *f, gconstpointer data) {
        fixture_prepare(f, NULL);
        fixture_start_daemon_with_policy(f, "[default]\nrequire=fingerprint\n", NULL);
}

/* ---- /approval-text/spoofing --------------------------------------------- */

static void test_spoofing(Fixture *f, gconstpointer data) {
        g_autoptr(GPtrArray) longs = long_values();
        guint n_corpus = G_N_ELEMENTS(hostile) + longs->len, n_daemon = 0;

        /* The review asks for at least 100. */
        g_assert_cmpuint(n_corpus, >=, 100);

        for (size_t i = 0; i < G_N_ELEMENTS(hostile); i++) {
                const char *field = text_fields[i % G_N_ELEMENTS(text_fields)];
                g_autoptr(GError) error = NULL;
                g_autofree char *text = NULL;

                g_test_message("hostile: %s", hostile[i].what);
                for (size_t k = 0; k < G_N_ELEMENTS(text_fields); k++)
                        assert_refused_by_library(text_fields[k], hostile[i].value, hostile[i].not_dbus,
                                                  hostile[i].what);
                if (hostile[i].not_dbus)
                        continue;

                /* And the real daemon, one field per entry in turn. */
                text = evaluate_text(f, tx_variant(field, hostile[i].value), &error);
                if (text) {
                        g_autofree char *shown = g_strescape(text, NULL);

                        g_error("%s in %s: the daemon accepted it and shows: %s", hostile[i].what, field, shown);
                }
                assert_dbus_error(error, "org.biogate1.Error.InvalidTransaction");
                assert_refusal_message(error->message, field, hostile[i].what);
                n_daemon++;
        }

        for (guint i = 0; i < longs->len; i++) {
                const char *value = longs->pdata[i];
                g_autoptr(GError) error = NULL;
                g_autofree char *text = NULL;

                g_test_message("over-long value %u (%zu bytes)", i, strlen(value));
                for (size_t k = 0; k < G_N_ELEMENTS(text_fields); k++)
                        assert_refused_by_library(text_fields[k], value, FALSE, "over-long value");
                text = evaluate_text(f, tx_variant("payee", value), &error);
                g_assert_null(text);
                /* Past 4096 bytes a string never reaches the transaction
                 * checks: the daemon's message filter refuses it first. */
                assert_dbus_error(error, strlen(value) > 4096 ? "org.biogate1.Error.ArgumentTooLarge" :
                                                                "org.biogate1.Error.InvalidTransaction");
                n_daemon++;
        }
        g_test_message("%u hostile strings refused in each of %zu fields; %u of them by the daemon", n_corpus,
                       G_N_ELEMENTS(text_fields), n_daemon);

        /* Legitimate names pass, in every field, and the daemon shows them
         * quoted and labelled. */
        for (size_t i = 0; i < G_N_ELEMENTS(legit); i++) {
                g_autoptr(GError) error = NULL;
                g_autofree char *text = NULL, *expected = NULL;

                g_test_message("legitimate: %s", legit[i]);
                for (size_t k = 0; k < G_N_ELEMENTS(text_fields); k++) {
                        g_autoptr(GVariant) dict = g_variant_ref_sink(tx_variant(text_fields[k], legit[i]));
                        g_autoptr(GError) local_error = NULL;
                        g_autoptr(BiogateTx) tx = biogate_tx_from_variant(dict, &local_error);

                        g_assert_no_error(local_error);
                        g_assert_nonnull(tx);
                }
                text = evaluate_text(f, tx_variant("payee", legit[i]), &error);
                g_assert_no_error(error);
                expected = g_strdup_printf("Approve TRANSFER of 5.00 USD to payee \"%s\"?", legit[i]);
                g_assert_cmpstr(text, ==, expected);
        }

        /* The second sentence: without its '?' every character is allowed,
         * so it is accepted, but it can only appear inside the payee's
         * quotes: around them is exactly the daemon's one sentence. */
        {
                static const char injection[] = "ACME Ltd. Approve WITHDRAWAL of 1.00 USD to Bob";
                g_autoptr(GError) error = NULL;
                g_autofree char *text = evaluate_text(f, tx_variant("payee", injection), &error);
                g_autofree char *around = NULL;

                g_assert_no_error(error);
                g_assert_cmpstr(text, ==,
                                "Approve TRANSFER of 5.00 USD to payee \"ACME Ltd. Approve WITHDRAWAL of 1.00 USD to Bob\"?");
                around = outside_quotes(text);
                g_assert_cmpstr(around, ==, "Approve TRANSFER of 5.00 USD to payee \"\"?");
        }
        /* The review's own collision: a payee that carries a reference. */
        {
                g_autoptr(GError) error = NULL;
                g_autofree char *spoof = evaluate_text(f, tx_variant("payee", "ACME Ltd (ref T-1001)"), &error);
                g_autofree char *real = NULL, *around = NULL;
                GVariantBuilder b;

                g_assert_no_error(error);
                g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                g_variant_builder_add(&b, "{sv}", "kind", g_variant_new_string("transfer"));
                g_variant_builder_add(&b, "{sv}", "amount", g_variant_new_string("5.00"));
                g_variant_builder_add(&b, "{sv}", "currency", g_variant_new_string("USD"));
                g_variant_builder_add(&b, "{sv}", "payee", g_variant_new_string("ACME Ltd"));
                g_variant_builder_add(&b, "{sv}", "reference", g_variant_new_string("T-1001"));
                real = evaluate_text(f, g_variant_builder_end(&b), &error);
                g_assert_no_error(error);
                g_assert_cmpstr(spoof, !=, real);
                around = outside_quotes(spoof);
                g_assert_cmpstr(around, ==, "Approve TRANSFER of 5.00 USD to payee \"\"?");
        }
}

/* ---- /approval-text/lookalike-letters ------------------------------------ */

/* The allowed characters are enumerated from the outside: every Latin,
 * Cyrillic and inherited (combining) code point ICU knows, each tried in a
 * field of its script; what the library accepts is compared by UTS #39
 * skeleton with this test's own spoof checker. */

typedef struct Alphabet {
        const char *name;
        UScriptCode script;
        const char *context; /* before each candidate: a field of this script that passes */
        GArray *accepted;    /* UChar32, ascending */
} Alphabet;

static char *skeleton_of(const USpoofChecker *checker, const UChar32 *chars, int n_chars, gboolean *ret_ascii,
                         int32_t *ret_units) {
        UChar u16[16], skeleton[64];
        int32_t n = 0, units;
        UErrorCode status = U_ZERO_ERROR;
        gboolean ascii = TRUE;

        for (int i = 0; i < n_chars; i++) {
                U16_APPEND_UNSAFE(u16, n, chars[i]);
                ascii = ascii && chars[i] < 0x80;
        }
        units = uspoof_getSkeleton(checker, 0, u16, n, skeleton, G_N_ELEMENTS(skeleton), &status);
        g_assert_true(U_SUCCESS(status));
        if (ret_ascii)
                *ret_ascii = ascii;
        if (ret_units)
                *ret_units = units;
        return g_utf16_to_utf8((const gunichar2 *) skeleton, units, NULL, NULL, NULL);
}

/* "U+0044 U+0335": the log stays ASCII. */
static char *code_points(const char *utf8) {
        GString *s = g_string_new(NULL);

        for (const char *p = utf8; *p; p = g_utf8_next_char(p))
                g_string_append_printf(s, "%sU+%04X", s->len ? " " : "", g_utf8_get_char(p));
        return g_string_free(s, FALSE);
}

static gboolean field_accepts(const char *context, const UChar32 *chars, int n_chars, GError **error) {
        g_autoptr(GString) value = g_string_new(context);

        for (int i = 0; i < n_chars; i++)
                g_string_append_unichar(value, (gunichar) chars[i]);
        return biogate_tx_text_check("payee", value->str, 128, 256, error);
}

static void test_lookalike_letters(Fixture *f, gconstpointer data) {
        /* "ü " and "Ж " pass and end in a space, after which no run of
         * characters continues; marks go on a Latin 'q', which composes with
         * none of them. */
        Alphabet alphabets[] = {
                { "Latin", USCRIPT_LATIN, "\xc3\xbc ", NULL },
                { "Cyrillic", USCRIPT_CYRILLIC, "\xd0\x96 ", NULL },
                { "combining", USCRIPT_INHERITED, "\xc3\xbc q", NULL },
        };
        /* Kazakh's 'У'/'Ү' and 'у'/'ү': the one kept pair (docs/design.md). */
        static const UChar32 kept[][2] = { { 0x0423, 0x04AE }, { 0x0443, 0x04AF } };
        UErrorCode status = U_ZERO_ERROR;
        USpoofChecker *checker = uspoof_open(&status);
        USet *candidates = uset_openPattern(u"[[:sc=Latn:][:sc=Cyrl:][:sc=Zinh:]]", -1, &status);
        g_autoptr(GArray) common = g_array_new(FALSE, FALSE, sizeof(UChar32));
        g_autoptr(GString) violations = g_string_new(NULL);
        guint n_violations = 0, n_kept = 0, n_ascii_pairs = 0, n_pairs = 0, n_imitations = 0;
        gint64 start = g_get_monotonic_time();

        g_assert_true(U_SUCCESS(status));

        /* Digits and punctuation go with either script. */
        for (UChar32 c = '0'; c <= '9'; c++)
                g_array_append_val(common, c);
        for (const char *p = BIOGATE_TX_TEXT_PUNCTUATION; *p; p++)
                if (*p != ' ') {
                        UChar32 c = (UChar32) *p;
                        g_array_append_val(common, c);
                }

        /* 1. Every pair of distinct accepted characters of one script has
         *    two different skeletons (ASCII against ASCII aside). */
        for (size_t a = 0; a < G_N_ELEMENTS(alphabets); a++) {
                Alphabet *alphabet = &alphabets[a];
                g_autoptr(GHashTable) by_skeleton = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
                int32_t n = uset_size(candidates);

                alphabet->accepted = g_array_new(FALSE, FALSE, sizeof(UChar32));
                for (int32_t i = 0; i < n; i++) {
                        UChar32 c = uset_charAt(candidates, i), other;
                        UErrorCode s = U_ZERO_ERROR;
                        g_autofree char *skeleton = NULL;
                        gboolean ascii;
                        gpointer found;

                        if (uscript_getScript(c, &s) != alphabet->script || U_FAILURE(s))
                                continue;
                        if (!field_accepts(alphabet->context, &c, 1, NULL))
                                continue;
                        g_array_append_val(alphabet->accepted, c);
                        skeleton = skeleton_of(checker, &c, 1, &ascii, NULL);
                        if (!g_hash_table_lookup_extended(by_skeleton, skeleton, NULL, &found)) {
                                g_hash_table_insert(by_skeleton, g_steal_pointer(&skeleton), GINT_TO_POINTER(c));
                                continue;
                        }
                        other = GPOINTER_TO_INT(found);
                        if (ascii && other < 0x80) {
                                n_ascii_pairs++; /* 'I' and 'l': ASCII stays as it is */
                                continue;
                        }
                        for (size_t k = 0; k < G_N_ELEMENTS(kept); k++)
                                if (kept[k][0] == other && kept[k][1] == c)
                                        goto next;
                        if (n_violations++ < 60) {
                                g_autofree char *shown = code_points(skeleton);

                                g_string_append_printf(violations, "\n  %s: U+%04X and U+%04X (skeleton %s)",
                                                       alphabet->name, (unsigned) other, (unsigned) c, shown);
                        }
                        continue;
                next:
                        n_kept++;
                }
                g_test_message("%s: %u characters accepted", alphabet->name, alphabet->accepted->len);
        }
        if (n_violations > 0)
                g_error("%u pairs of accepted characters of one script look alike (same UTS #39 skeleton):%s",
                        n_violations, violations->str);
        /* The exception is exactly Kazakh's two pairs, and the alphabets
         * are not empty: Latin with its diacritics, Russian, Ukrainian,
         * Kazakh. */
        g_assert_cmpuint(n_kept, ==, G_N_ELEMENTS(kept));
        g_assert_cmpuint(alphabets[0].accepted->len, >, 300);
        g_assert_cmpuint(alphabets[1].accepted->len, >, 150);
        g_assert_cmpuint(alphabets[2].accepted->len, >, 20);

        /* 2. No two characters of one script (or digits, punctuation and a
         *    mark after them) are accepted side by side when together they
         *    have the skeleton of one accepted letter of that script, as
         *    'Ь'+'І' has that of 'Ы'. */
        for (size_t a = 0; a < 2; a++) {
                const Alphabet *alphabet = &alphabets[a];
                g_autoptr(GHashTable) multi = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
                g_autoptr(GArray) firsts = g_array_new(FALSE, FALSE, sizeof(UChar32));
                g_autoptr(GArray) seconds = g_array_new(FALSE, FALSE, sizeof(UChar32));

                for (guint i = 0; i < alphabet->accepted->len; i++) {
                        UChar32 c = g_array_index(alphabet->accepted, UChar32, i);
                        int32_t units;
                        char *skeleton = skeleton_of(checker, &c, 1, NULL, &units);

                        if (units >= 2)
                                g_hash_table_insert(multi, skeleton, GINT_TO_POINTER(c));
                        else
                                g_free(skeleton);
                }
                g_array_append_vals(firsts, alphabet->accepted->data, alphabet->accepted->len);
                g_array_append_vals(firsts, common->data, common->len);
                g_array_append_vals(seconds, firsts->data, firsts->len);
                g_array_append_vals(seconds, alphabets[2].accepted->data, alphabets[2].accepted->len);

                for (guint i = 0; i < firsts->len; i++)
                        for (guint j = 0; j < seconds->len; j++) {
                                UChar32 pair[2] = { g_array_index(firsts, UChar32, i),
                                                    g_array_index(seconds, UChar32, j) };
                                g_autofree char *skeleton = NULL;
                                g_autoptr(GError) error = NULL;
                                gboolean ascii;
                                gpointer letter;

                                skeleton = skeleton_of(checker, pair, 2, &ascii, NULL);
                                n_pairs++;
                                if (ascii || !g_hash_table_lookup_extended(multi, skeleton, NULL, &letter))
                                        continue;
                                n_imitations++;
                                if (field_accepts(alphabet->context, pair, 2, NULL)) {
                                        g_autofree char *shown = code_points(skeleton);

                                        g_error("%s: U+%04X U+%04X is accepted and looks like U+%04X (skeleton %s)",
                                                alphabet->name, (unsigned) pair[0], (unsigned) pair[1],
                                                (unsigned) GPOINTER_TO_INT(letter), shown);
                                }
                        }
        }
        g_test_message("%u look-alike classes of ASCII left as they are, %u pair(s) kept for Kazakh; "
                       "%u two-character runs tried, %u imitate a letter and are refused; %.1f s",
                       n_ascii_pairs, n_kept, n_pairs, n_imitations,
                       (double) (g_get_monotonic_time() - start) / G_USEC_PER_SEC);
        /* The runs that imitate a letter exist ('Ь'+'І', 'І'+'О', 'о'+U+0335):
         * the loop above is not vacuous. */
        g_assert_cmpuint(n_imitations, >=, 3);

        /* 3. The review's strings, through the real daemon: refused as
         *    InvalidTransaction naming the field and both letters; the
         *    letter kept still passes. */
        {
                static const char palochka[] = "\xd3\x80\xd0\x94\xd0\x95\xd0\xaf \xd0\x91\xd0\x90\xd0\x9d\xd0\x9a";
                static const char ukrainian[] = "\xd0\x86\xd0\x94\xd0\x95\xd0\xaf \xd0\x91\xd0\x90\xd0\x9d\xd0\x9a";
                g_autoptr(GError) error = NULL;
                g_autofree char *text = evaluate_text(f, tx_variant("counterparty", palochka), &error);

                g_assert_null(text);
                assert_dbus_error(error, "org.biogate1.Error.InvalidTransaction");
                g_test_message("%s", error->message);
                g_assert_nonnull(strstr(error->message, "'counterparty'"));
                g_assert_nonnull(strstr(error->message, "U+04C0 CYRILLIC LETTER PALOCHKA"));
                g_assert_nonnull(strstr(error->message, "looks like U+0406 CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I"));
                g_clear_error(&error);

                text = evaluate_text(f, tx_variant("counterparty", ukrainian), &error);
                g_assert_no_error(error);
                g_assert_nonnull(text);
        }

        for (size_t a = 0; a < G_N_ELEMENTS(alphabets); a++)
                g_array_unref(alphabets[a].accepted);
        uset_close(candidates);
        uspoof_close(checker);
}

/* ---- /approval-text/injective -------------------------------------------- */

typedef struct Candidate {
        const char *kind, *amount, *currency;
        char *text[G_N_ELEMENTS(text_fields)]; /* NULL: absent */
} Candidate;

static void candidate_clear(Candidate *c) {
        for (size_t k = 0; k < G_N_ELEMENTS(text_fields); k++)
                g_clear_pointer(&c->text[k], g_free);
}

static void candidate_copy(Candidate *to, const Candidate *from) {
        *to = *from;
        for (size_t k = 0; k < G_N_ELEMENTS(text_fields); k++)
                to->text[k] = g_strdup(from->text[k]);
}

static BiogateTx *candidate_parse(const Candidate *c) {
        g_autoptr(GVariant) dict = NULL;
        GVariantBuilder b;

        g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add(&b, "{sv}", "kind", g_variant_new_string(c->kind));
        if (c->amount) {
                g_variant_builder_add(&b, "{sv}", "amount", g_variant_new_string(c->amount));
                g_variant_builder_add(&b, "{sv}", "currency", g_variant_new_string(c->currency));
        }
        for (size_t k = 0; k < G_N_ELEMENTS(text_fields); k++)
                if (c->text[k])
                        g_variant_builder_add(&b, "{sv}", text_fields[k], g_variant_new_string(c->text[k]));
        dict = g_variant_ref_sink(g_variant_builder_end(&b));
        return biogate_tx_from_variant(dict, NULL);
}

/* Pieces of values, chosen to look like the text's own labels and
 * separators, of this rendering and of the plain concatenation the review
 * attacked. */
static const char *const pieces[] = {
        "A", "B", "ACME Ltd", "T-1001", "Bob", "ref", "reference", "(ref T-1001)", "(reference T-1001)",
        "to", "to payee", "payee", "for", "for instrument", "instrument", "from account", "account",
        "with counterparty", "counterparty", "(counterparty B)", "of", "1.00 USD", "OF 1", ")", "(", ":", "#",
        ",", ".", "'", "&", "/", "-", "1", "\xd0\x9a\xd0\xb0\xd0\xb7\xd0\xb0\xd1\x85\xd1\x81\xd1\x82\xd0\xb0\xd0\xbd",
        "M\xc3\xbcller",
};
/* Built-in kinds and kinds a site may define, some of them shaped like a
 * built-in kind with an amount or a payee, or like the label of a site
 * kind. */
static const char *const kinds[] = {
        "transfer", "order", "withdrawal", "loan_issuance", "x", "of", "x_of", "to", "x_of_1",
        "withdrawal_of_1_00_usd", "transfer_of_1_000_000_usd", "transfer_to_payee_acme_ltd", "transaction",
        "transaction_of_kind", "loan", "loan_issuance_of_1", "kind",
};
static const char *const amounts[][2] = {
        { NULL, NULL }, { "1", "USD" }, { "1.00", "USD" }, { "100", "USD" }, { "1", "JPY" }, { "10", "EUR" },
};

static char *random_value(GRand *rand) {
        GString *s = g_string_new(pieces[g_rand_int_range(rand, 0, G_N_ELEMENTS(pieces))]);
        int n = g_rand_int_range(rand, 0, 3);

        for (int i = 0; i < n; i++) {
                if (g_rand_boolean(rand))
                        g_string_append_c(s, ' ');
                g_string_append(s, pieces[g_rand_int_range(rand, 0, G_N_ELEMENTS(pieces))]);
        }
        return g_string_free(s, FALSE);
}

static void random_candidate(GRand *rand, Candidate *c) {
        int a = g_rand_int_range(rand, 0, G_N_ELEMENTS(amounts));

        memset(c, 0, sizeof *c);
        c->kind = kinds[g_rand_int_range(rand, 0, G_N_ELEMENTS(kinds))];
        c->amount = amounts[a][0];
        c->currency = amounts[a][1];
        for (size_t k = 0; k < G_N_ELEMENTS(text_fields); k++)
                if (g_rand_int_range(rand, 0, 3) == 0)
                        c->text[k] = random_value(rand);
}

/* The 08f505d rendering, as the review describes it: the fields
 * concatenated with words between them. It collides; the test checks that
 * its generator finds such collisions, so that finding none in the real
 * rendering means something. */
static char *concatenation(const BiogateTx *tx) {
        GString *s = g_string_new("Approve ");

        for (const char *p = tx->kind; *p; p++)
                g_string_append_c(s, *p == '_' ? ' ' : g_ascii_toupper(*p));
        if (tx->amount)
                g_string_append_printf(s, " of %s %s", tx->amount, tx->currency);
        if (tx->instrument)
                g_string_append_printf(s, " for %s", tx->instrument);
        if (tx->payee) {
                g_string_append_printf(s, " to %s", tx->payee);
                if (tx->counterparty)
                        g_string_append_printf(s, " (counterparty %s)", tx->counterparty);
        } else if (tx->counterparty)
                g_string_append_printf(s, " to %s", tx->counterparty);
        if (tx->account)
                g_string_append_printf(s, " from account %s", tx->account);
        if (tx->reference)
                g_string_append_printf(s, " (ref %s)", tx->reference);
        g_string_append_c(s, '?');
        return g_string_free(s, FALSE);
}

/* Boundary moves: field g's value is folded into field f behind a glue
 * that imitates a label (g removed), or f is split at a space into f and
 * g. Exactly the edits that make a concatenation ambiguous. */
static const char *const glues[][2] = {
        { " ", "" }, { " (ref ", ")" }, { " (reference ", ")" }, { " (counterparty ", ")" },
        { " with counterparty ", "" }, { " from account ", "" }, { " to ", "" }, { " to payee ", "" },
        { " for ", "" }, { " for instrument ", "" },
};

typedef struct Checker {
        GHashTable *by_text;        /* text → canonical */
        GHashTable *by_concat;      /* concatenation → canonical */
        GHashTable *canonicals;     /* the distinct transactions seen */
        guint n_checked, n_concat_collisions;
} Checker;

static void checker_add(Checker *ch, const Candidate *c) {
        g_autoptr(BiogateTx) tx = candidate_parse(c);
        g_autofree char *canonical = NULL, *text = NULL, *concat = NULL;
        const char *seen;

        if (!tx)
                return; /* a value the checks refuse: not a transaction */
        canonical = biogate_tx_canonical(tx);
        text = biogate_tx_render_text(tx);
        concat = concatenation(tx);
        ch->n_checked++;

        seen = g_hash_table_lookup(ch->by_text, text);
        if (seen && strcmp(seen, canonical) != 0)
                g_error("two transactions render the same text:\n  %s\n  %s\n  text: %s", seen, canonical, text);
        /* A site's kind shows as sent, quoted behind its label; outside
         * the quotes, only an amount has digits. A built-in kind shows in
         * capitals. */
        if (biogate_tx_kind_is_builtin(c->kind)) {
                g_assert_true(g_ascii_isupper(text[strlen("Approve ")]));
        } else {
                g_autofree char *prefix = g_strdup_printf("Approve transaction of kind \"%s\"", c->kind);
                g_autofree char *around = outside_quotes(text);

                if (!g_str_has_prefix(text, prefix))
                        g_error("site kind %s renders as: %s", c->kind, text);
                if (!c->amount && strpbrk(around, "0123456789"))
                        g_error("site kind %s without an amount renders digits outside quotes: %s", c->kind, text);
        }
        seen = g_hash_table_lookup(ch->by_concat, concat);
        if (seen && strcmp(seen, canonical) != 0)
                ch->n_concat_collisions++;

        g_hash_table_add(ch->canonicals, g_strdup(canonical));
        g_hash_table_replace(ch->by_text, g_steal_pointer(&text), g_strdup(canonical));
        g_hash_table_replace(ch->by_concat, g_steal_pointer(&concat), g_steal_pointer(&canonical));
}

static void add_boundary_moves(Checker *ch, const Candidate *base) {
        for (size_t f = 0; f < G_N_ELEMENTS(text_fields); f++) {
                for (size_t g = 0; g < G_N_ELEMENTS(text_fields); g++) {
                        if (f == g || !base->text[g])
                                continue;
                        for (size_t j = 0; j < G_N_ELEMENTS(glues); j++) {
                                Candidate moved;

                                candidate_copy(&moved, base);
                                g_free(moved.text[f]);
                                moved.text[f] = base->text[f]
                                        ? g_strconcat(base->text[f], glues[j][0], base->text[g], glues[j][1], NULL)
                                        : g_strdup(base->text[g]);
                                g_clear_pointer(&moved.text[g], g_free);
                                checker_add(ch, &moved);
                                candidate_clear(&moved);
                        }
                }
                /* Split f at its first space into f and each absent g. */
                if (base->text[f] && strchr(base->text[f], ' ')) {
                        const char *space = strchr(base->text[f], ' ');

                        for (size_t g = 0; g < G_N_ELEMENTS(text_fields); g++) {
                                Candidate split;

                                if (g == f || base->text[g])
                                        continue;
                                candidate_copy(&split, base);
                                g_free(split.text[f]);
                                split.text[f] = g_strndup(base->text[f], space - base->text[f]);
                                split.text[g] = g_strdup(space + 1);
                                checker_add(ch, &split);
                                candidate_clear(&split);
                        }
                }
        }
}

static void test_injective(void) {
        g_autoptr(GRand) rand = NULL;
        Checker ch = {
                .by_text = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free),
                .by_concat = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free),
                .canonicals = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
        };
        guint32 seed = g_test_rand_int();
        gint64 start = g_get_monotonic_time();
        const guint n_base = 1500;

        /* --seed reproduces a failure; the seed is in the log. */
        g_test_message("seed %u", seed);
        rand = g_rand_new_with_seed(seed);

        /* The review's pairs first. */
        {
                Candidate a = { .kind = "withdrawal", .amount = "250000", .currency = "USD" };
                Candidate b = a;

                a.text[0] = g_strdup("ACME Ltd (ref T-1001)");
                b.text[0] = g_strdup("ACME Ltd");
                b.text[4] = g_strdup("T-1001");
                checker_add(&ch, &a);
                checker_add(&ch, &b);
                add_boundary_moves(&ch, &b);
                candidate_clear(&a);
                candidate_clear(&b);
        }

        for (guint i = 0; i < n_base; i++) {
                Candidate c;

                random_candidate(rand, &c);
                checker_add(&ch, &c);
                add_boundary_moves(&ch, &c);
                candidate_clear(&c);
        }

        g_test_message("%u transactions rendered (%u distinct), no two distinct ones alike; "
                       "the plain concatenation collides %u times on the same set; %.1f s",
                       ch.n_checked, g_hash_table_size(ch.canonicals), ch.n_concat_collisions,
                       (double) (g_get_monotonic_time() - start) / G_USEC_PER_SEC);
        /* The generator is adversarial enough to break a concatenation... */
        g_assert_cmpuint(ch.n_concat_collisions, >, 0);
        /* ...and what it checked is not a handful. */
        g_assert_cmpuint(g_hash_table_size(ch.canonicals), >, 10000);

        g_hash_table_unref(ch.by_text);
        g_hash_table_unref(ch.by_concat);
        g_hash_table_unref(ch.canonicals);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);

        g_test_add("/approval-text/spoofing", Fixture, NULL, setup, test_spoofing, fixture_teardown);
        g_test_add_func("/approval-text/injective", test_injective);
        g_test_add("/approval-text/lookalike-letters", Fixture, NULL, setup, test_lookalike_letters, fixture_teardown);

        return g_test_run();
}
