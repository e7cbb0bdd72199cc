#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# biogatectl's bash completion, sourced as bash-completion would, driven as
# bash drives it (COMP_WORDS, COMP_CWORD, then the function; COMPREPLY is
# the answer):
#   test-completion.sh COMPLETION_FILE BIOGATECTL
# Every command in `biogatectl --help`, and every option in each command's
# --help, is offered (and nothing else); values complete to finger names,
# kinds and users of the user database.
set -euo pipefail

completion=$1
ctl=$2
fail=0

# shellcheck source=/dev/null
. "$completion"
complete -p biogatectl >/dev/null || { echo "FAIL: $completion registers no completion for biogatectl" >&2; exit 1; }

problem() {
        echo "FAIL: $*" >&2
        fail=1
}

# The completions of the last word of "$@", one a line, sorted.
complete_words() {
        COMP_WORDS=("$@")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMPREPLY=()
        _biogatectl
        if [ ${#COMPREPLY[@]} -gt 0 ]; then
                printf '%s\n' "${COMPREPLY[@]}" | sort
        fi
}

# The long options in the "Options:" part of a --help, sorted.
help_options() {
        "$ctl" "$@" --help | sed -n '/^Options:$/,/^$/p' | grep -oE '^ +(-[a-z], )?--[a-z-]+' |
                sed -E 's/^ +(-[a-z], )?//' | sort
}

expect_same() { # what expected-list actual-list
        if [ "$2" != "$3" ]; then
                problem "$1: expected
$2
got
$3"
        fi
}

# The commands, as the global --help lists them.
want=$("$ctl" --help | sed -n '/^Commands:$/,/^$/p' | awk 'NR > 1 && NF { print $1 }' | sort)
[ -n "$want" ] || problem "no commands in biogatectl --help"
expect_same "commands" "$want" "$(complete_words biogatectl '')"
expect_same "global options" "$(help_options)" "$(complete_words biogatectl --)"

# Every command and subcommand: its options.
for path in status devices list enroll verify delete my-data erase consent approve unlock reload \
            "token verify" "keys export" "keys rotate" "policy check" "policy explain" "audit verify" \
            "audit report"; do
        # shellcheck disable=SC2086 # the path is words
        expect_same "options of '$path'" "$(help_options $path)" "$(complete_words biogatectl $path --)"
done
# Subcommands, after global options too.
expect_same "keys subcommands" "$(printf '%s\n' --help export rotate)" "$(complete_words biogatectl --json keys '')"
expect_same "audit subcommands" "$(printf '%s\n' --help report verify)" "$(complete_words biogatectl audit '')"

# Values.
expect_same "--finger right-i" right-index-finger "$(complete_words biogatectl enroll --finger right-i)"
expect_same "-f left-t" left-thumb "$(complete_words biogatectl verify -f left-t)"
[ "$(complete_words biogatectl delete --finger '' | wc -l)" = 10 ] || problem "--finger does not offer the ten fingers"
expect_same "--kind with" withdrawal "$(complete_words biogatectl approve --kind with)"
# Users come from the user database (getent), as for unlock's USER.
expect_same "unlock ro" "$(getent passwd | cut -d: -f1 | grep '^ro' | sort)" "$(complete_words biogatectl unlock ro)"
complete_words biogatectl unlock '' | grep -qx nobody || problem "unlock does not offer the user nobody"
expect_same "unlock root ''" "" "$(complete_words biogatectl unlock root '')"
expect_same "--user nob" nobody "$(complete_words biogatectl --json verify --user nob)"
# A value is not taken for a command: after "--user list", still verify's options.
expect_same "verify --user list --" "$(help_options verify)" "$(complete_words biogatectl verify --user list --)"
# Operands that are files: policy check's FILE, token verify's TOKEN.
expect_same "policy check FILE" "$completion" "$(complete_words biogatectl policy check "${completion%.bash}")"
expect_same "token verify TOKEN" "$completion" \
        "$(complete_words biogatectl token verify --jwks keys.json "${completion%.bash}")"
# Free text (an amount) gets no suggestions.
expect_same "--amount" "" "$(complete_words biogatectl approve --amount '')"

# A name from the user database is data, never shell code: compgen -W would
# expand "$(...)" in it, in the shell of whoever pressed <Tab> (often root).
# Local tools refuse such names, but LDAP or AD ones may hold $, ( and ).
marker=$(mktemp -u)
hostile="ev\$(touch $marker)il"
# shellcheck disable=SC2317 # called by the completion, in place of the command
getent() { printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' "$hostile:x:1000:1000::/home/x:/bin/sh"; }
# Offered quoted, so that the line, once run, passes the name as it is.
quoted=$(printf '%q' "$hostile")
expect_same "unlock with a hostile user name" "$(printf '%s\n' "$quoted" root | sort)" \
        "$(complete_words biogatectl unlock '')"
expect_same "--user ev" "$quoted" "$(complete_words biogatectl verify --user ev)"
read_back=()
eval "read_back=($quoted)"
expect_same "the quoted name, as the shell reads it" "$hostile" "${read_back[*]}"
# A pattern character in the word typed is taken as itself.
expect_same "unlock r*" "" "$(complete_words biogatectl unlock 'r*')"
if [ -e "$marker" ]; then
        rm -f "$marker"
        problem "completing a user name ran shell code from the user database"
fi
unset -f getent

exit $fail
