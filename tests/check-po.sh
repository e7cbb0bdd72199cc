#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Every catalogue of po/LINGUAS translates every message the sources have
# today (extracted afresh from po/POTFILES, so a new _() string without its
# translations fails here), none fuzzy, and msgfmt --check passes: the
# header, the plural forms and each translation's format specifiers match
# its msgid's.
#   check-po.sh SOURCE_DIR XGETTEXT_ARGS...
set -euo pipefail

src=$1
shift
tmp=$(mktemp -d /tmp/biogate-po-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0

(cd "$src/po" && xgettext --files-from=POTFILES --directory=.. "$@" -o "$tmp/biogate.pot")

languages=$(grep -v '^#' "$src/po/LINGUAS" | tr -s ' \n' ' ')
[ -n "${languages// /}" ] || { echo "FAIL: po/LINGUAS names no language" >&2; exit 1; }
for lang in $languages; do
        po=$src/po/$lang.po
        if ! msgfmt --check --statistics -o /dev/null "$po" 2>"$tmp/$lang.check"; then
                cat "$tmp/$lang.check" >&2
                echo "FAIL: $lang.po does not pass msgfmt --check" >&2
                fail=1
                continue
        fi
        msgmerge --quiet --no-fuzzy-matching -o "$tmp/$lang.po" "$po" "$tmp/biogate.pot"
        stats=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$tmp/$lang.po" 2>&1)
        echo "$lang: $stats"
        if [[ $stats == *untranslated* || $stats == *fuzzy* ]]; then
                echo "FAIL: $lang.po is not complete against the sources:" >&2
                msgattrib --untranslated --no-obsolete "$tmp/$lang.po" | grep '^msgid' | sed 1d >&2 || true
                fail=1
        fi
done
exit $fail
