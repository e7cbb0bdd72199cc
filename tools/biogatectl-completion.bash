# SPDX-License-Identifier: LGPL-2.1-or-later
# bash completion for biogatectl(1): commands, subcommands, options and
# their values (finger names, kinds, users from the user database, files).
# Installed as "biogatectl" in bash-completion's completions directory, which
# loads it on the first <Tab> after biogatectl. tests/test-completion.sh
# checks it against every command's --help.
# shellcheck shell=bash

# The user names that start with the word typed ($1), quoted for the command
# line. Not through compgen -W, which expands "$(...)" in its words: names
# from LDAP or AD may hold $, ( and ), and none may run in the shell that
# pressed <Tab> (often root's), nor once the line is run.
_biogatectl_users() {
        local name

        while IFS= read -r name; do
                [[ -n $name && $name == "$1"* ]] || continue
                printf '%q\n' "$name"
        done < <(getent passwd 2>/dev/null | cut -d: -f1)
}

_biogatectl() {
        local cur=${COMP_WORDS[COMP_CWORD]} prev='' i word
        local command='' sub='' opts='' operand_files=0
        local -a words=()

        COMPREPLY=()
        [ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}

        # The command and subcommand named before the word being completed.
        for ((i = 1; i < COMP_CWORD; i++)); do
                word=${COMP_WORDS[i]}
                case $word in
                        -*) continue ;;
                esac
                case ${COMP_WORDS[i - 1]} in
                        # A value, not a command: the option before takes one.
                        --user|-u|--finger|-f|--timeout|-t|--kind|--amount|--currency|--payee|--counterparty|\
                        --account|--instrument|--reference|--challenge|--policy-dir|--vendor|--time|--jwks|\
                        --audience|--now|--once-db|--once|--since|--file|--directory|--machine|--state-dir|--key)
                                continue ;;
                esac
                if [ -z "$command" ]; then
                        command=$word
                elif [ -z "$sub" ]; then
                        sub=$word
                fi
                words+=("$word")
        done

        local tx_opts='--kind --amount --currency --payee --counterparty --account --instrument --reference'
        local fingers='left-thumb left-index-finger left-middle-finger left-ring-finger left-little-finger
                       right-thumb right-index-finger right-middle-finger right-ring-finger right-little-finger'

        # Values of the option before the cursor.
        case $prev in
                --finger|-f)
                        mapfile -t COMPREPLY < <(compgen -W "$fingers" -- "$cur")
                        return 0 ;;
                --user|-u)
                        mapfile -t COMPREPLY < <(_biogatectl_users "$cur")
                        return 0 ;;
                --kind)
                        mapfile -t COMPREPLY < <(compgen -W 'order withdrawal cash_conversion loan_issuance transfer' \
                                                         -- "$cur")
                        return 0 ;;
                --jwks|--vendor|--file|--key|--once-db|--once)
                        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                        return 0 ;;
                --policy-dir|--directory|--state-dir)
                        mapfile -t COMPREPLY < <(compgen -d -- "$cur")
                        return 0 ;;
                --timeout|-t|--amount|--currency|--payee|--counterparty|--account|--instrument|--reference|\
                --challenge|--time|--audience|--now|--since|--machine)
                        # Free text: nothing to offer.
                        return 0 ;;
        esac

        case $command in
                '')
                        if [[ $cur == -* ]]; then
                                opts='--json --no-ask-password --version --help'
                        else
                                opts='status devices list enroll verify delete my-data erase consent approve token
                                      keys policy audit unlock reload'
                        fi ;;
                status|devices|reload)
                        opts='--json --help' ;;
                list|my-data)
                        opts='--user --json --help' ;;
                enroll)
                        opts='--finger --user --yes-i-consent --json --help' ;;
                verify)
                        opts='--user --finger --timeout --json --help' ;;
                delete)
                        opts='--user --finger --json --help' ;;
                erase)
                        opts='--user --yes --json --help' ;;
                consent)
                        opts='--yes --withdraw --show --json --help' ;;
                approve)
                        opts="$tx_opts --challenge --json --help" ;;
                unlock)
                        if [[ $cur == -* ]]; then
                                opts='--json --help'
                        elif [ ${#words[@]} -lt 2 ]; then
                                mapfile -t COMPREPLY < <(_biogatectl_users "$cur")
                                return 0
                        fi ;;
                token)
                        case $sub in
                                '') opts='verify --help' ;;
                                verify)
                                        # TOKEN: a file, or - for standard input.
                                        operand_files=1
                                        opts='--jwks --local-keys --audience --challenge --now --once-db --once
                                              --require-touch --json --help' ;;
                        esac ;;
                keys)
                        case $sub in
                                '') opts='export rotate --help' ;;
                                export) opts='--help' ;;
                                rotate) opts='--json --help' ;;
                        esac ;;
                policy)
                        case $sub in
                                '') opts='check explain --help' ;;
                                check)
                                        operand_files=1
                                        opts='--json --help' ;;
                                explain) opts="--policy-dir --vendor $tx_opts --time --json --help" ;;
                        esac ;;
                audit)
                        case $sub in
                                '') opts='verify report --help' ;;
                                verify) opts='--since --file --directory --machine --state-dir --key --json --help' ;;
                                report) opts='--since --file --directory --machine --json --help' ;;
                        esac ;;
        esac

        if [ "$operand_files" = 1 ] && [[ $cur != -* ]]; then
                mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        else
                mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
        fi
        return 0
}

complete -F _biogatectl biogatectl
