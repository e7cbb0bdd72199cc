#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# What `meson install` ships, checked in a DESTDIR of the build:
#   check-install.sh tree BUILD_DIR             every file where it belongs, with its mode, and nothing else;
#                                               the documents the man pages cite, the completion registers
#   check-install.sh xml BUILD_DIR              the bus policy, the polkit actions and the interface files are valid XML
#   check-install.sh units BUILD_DIR            systemd-analyze verify and security on the installed unit
#   check-install.sh pam-auth-update BUILD_DIR  Debian's pam-auth-update puts the profile before pam_unix
#   check-install.sh pam-profile BUILD_DIR      libpam reads the gdm-fingerprint profile, its modules exist
#   check-install.sh bus-policy BUILD_DIR       a dbus-daemon with the policy for net.reactivated.Fprint enforces it
# The directories meson installs to come in the environment (tests/meson.build);
# where an option did not override one, it is compared with what pkg-config says.
set -euo pipefail

mode=$1
build=$2
tmp=$(mktemp -d /tmp/biogate-install-XXXXXX)
pids=()
# The bus-policy check's dbus-daemon and name owner, ended on any exit.
cleanup() {
        if [ ${#pids[@]} -gt 0 ]; then
                kill "${pids[@]}" 2>/dev/null || true
        fi
        rm -rf "$tmp"
}
trap cleanup EXIT
dest=$tmp/dest
fail=0

problem() {
        echo "FAIL: $*" >&2
        fail=1
}

if ! meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >"$tmp/install.log" 2>&1; then
        cat "$tmp/install.log" >&2
        exit 1
fi

unit=$dest$UNITDIR/biogated.service

# The installed libbiogate is usable as installed: a program builds against
# it through pkg-config, it exports only its API, and Python loads the
# installed typelib.
check_libbiogate() {
        local flags exported
        # A copy whose prefix is inside the DESTDIR (--define-variable would
        # move gio-2.0's prefix too).
        mkdir -p "$tmp/pc"
        sed "s|^prefix=$PREFIX\$|prefix=$dest$PREFIX|" "$dest$LIBDIR/pkgconfig/biogate-1.pc" >"$tmp/pc/biogate-1.pc"
        if ! flags=$(PKG_CONFIG_PATH="$tmp/pc" pkg-config --cflags --libs biogate-1) ||
           [[ $flags != *"-I$dest$INCLUDEDIR/biogate-1"* ]]; then
                problem "pkg-config cannot use the installed biogate-1.pc"
                return
        fi
        cat >"$tmp/client.c" <<'C'
#include <biogate.h>
int main(void) {
        GError *error = g_error_new_literal(BIOGATE_ERROR, BIOGATE_ERROR_LOCKED_OUT, "x");
        int ok = g_error_matches(error, BIOGATE_ERROR, BIOGATE_ERROR_LOCKED_OUT) &&
                 g_type_is_a(BIOGATE_TYPE_CLIENT, G_TYPE_OBJECT) && g_type_is_a(BIOGATE_TYPE_OPERATION, G_TYPE_OBJECT);
        g_error_free(error);
        return ok ? 0 : 1;
}
C
        # An instrumented build installs an instrumented library: the program
        # links the same runtimes, python3 (not instrumented) preloads them.
        local sanitize=() preload=""
        if [[ ${SANITIZE:-none} == *address* ]]; then
                sanitize=(-fsanitize="$SANITIZE")
                preload="$(cc -print-file-name=libasan.so) $(cc -print-file-name=libubsan.so)"
        fi
        # shellcheck disable=SC2086 # flags are words
        if ! cc "${sanitize[@]}" -o "$tmp/client" "$tmp/client.c" $flags 2>"$tmp/cc.log"; then
                problem "a program does not build against the installed libbiogate: $(cat "$tmp/cc.log")"
        elif ! LD_LIBRARY_PATH="$dest$LIBDIR" "$tmp/client"; then
                problem "a program built against the installed libbiogate does not run"
        fi
        exported=$(nm -D --defined-only "$dest$LIBDIR/libbiogate-1.so.1.0.0" | awk '$2 == "T" { print $3 }' |
                   grep -Ev '^biogate_(client|operation|ledger)_[a-z_]+@@LIBBIOGATE_1$|^biogate_error_quark@@LIBBIOGATE_1$' || true)
        [ -z "$exported" ] || problem "libbiogate exports more than its API: $exported"
        if [ "$INTROSPECTION" = 1 ] && ! GI_TYPELIB_PATH="$dest$LIBDIR/girepository-1.0" LD_LIBRARY_PATH="$dest$LIBDIR" \
                LD_PRELOAD="$preload" ASAN_OPTIONS=detect_leaks=0 /usr/bin/python3 -c "import gi; gi.require_version('Biogate', '1'); from gi.repository import Biogate
assert Biogate.Error.LOCKED_OUT == 16 and Biogate.Client and Biogate.Operation" >"$tmp/py.log" 2>&1; then
                problem "Python cannot load the installed typelib: $(cat "$tmp/py.log")"
        fi
}

check_tree() {
        local expected=$tmp/expected installed=$tmp/installed
        : >"$expected"

        expect() {
                local path=$1 want=$2 f=$dest$1 mode
                echo "$path" >>"$expected"
                if [ ! -f "$f" ] || [ -L "$f" ]; then
                        problem "$path is not installed (or not a regular file)"
                        return
                fi
                mode=$(stat -c %a "$f")
                [ "$mode" = "$want" ] || problem "$path has mode $mode, expected $want"
                # Root installs own what they install; nothing may be writable by others.
                if [ "$(id -u)" = 0 ] && [ "$(stat -c %u:%g "$f")" != 0:0 ]; then
                        problem "$path is owned by $(stat -c %u:%g "$f"), expected 0:0"
                fi
        }
        expect_link() {
                local path=$1 target=$2
                echo "$path" >>"$expected"
                [ -L "$dest$path" ] && [ "$(readlink "$dest$path")" = "$target" ] ||
                        problem "$path is not a symbolic link to $target"
        }

        expect "$LIBEXECDIR/biogated" 755
        expect "$BINDIR/biogatectl" 755
        expect "$PAM_MODULEDIR/pam_biogate.so" 755
        expect "$UNITDIR/biogated.service" 644
        expect "$DBUS_SERVICEDIR/org.biogate1.service" 644
        expect "$DBUS_POLICYDIR/org.biogate1.conf" 644
        expect "$POLKIT_ACTIONDIR/org.biogate1.policy" 644
        expect "$CATALOGDIR/biogate.catalog" 644
        expect "$SYSUSERSDIR/biogate.conf" 644
        expect "$TMPFILESDIR/biogate.conf" 644
        expect "$PAM_CONFIGDIR/biogate" 644
        expect "$DATADIR/biogate/biogate.conf" 644
        expect "$DATADIR/biogate/policy.conf" 644
        # The vendor consent notice and its translations (biogate-consent-notice(5)).
        expect "$DATADIR/biogate/consent-notice" 644
        expect "$DATADIR/biogate/consent-notice.ru" 644
        expect "$DATADIR/biogate/consent-notice.kk" 644
        # fprintd's API (docs/desktop.md): the bus policy always, the
        # activation file and fprintd's polkit ids as the options say.
        expect "$DBUS_POLICYDIR/net.reactivated.Fprint-biogate.conf" 644
        [ "$FPRINTD_ACTIVATION" = 1 ] && expect "$DBUS_SERVICEDIR/net.reactivated.Fprint.service" 644
        [ "$FPRINTD_POLKIT_ACTIONS" = 1 ] && expect "$POLKIT_ACTIONDIR/net.reactivated.fprint.device-biogate.policy" 644
        expect "$DATADIR/biogate/pam.d/gdm-fingerprint" 644
        # The message catalogues (docs/translations.md), one per po/LINGUAS.
        for lang in kk ru; do
                expect "$LOCALEDIR/$lang/LC_MESSAGES/biogate.mo" 644
        done
        # libbiogate: the library (real file and its two links), headers,
        # pkg-config file and, with introspection, the GIR and the typelib.
        expect "$LIBDIR/libbiogate-1.so.1.0.0" 755
        expect_link "$LIBDIR/libbiogate-1.so.1" libbiogate-1.so.1.0.0
        expect_link "$LIBDIR/libbiogate-1.so" libbiogate-1.so.1
        expect "$LIBDIR/pkgconfig/biogate-1.pc" 644
        for header in biogate.h biogate-client.h biogate-error.h biogate-error-codes.h biogate-ledger.h biogate-operation.h; do
                expect "$INCLUDEDIR/biogate-1/$header" 644
        done
        if [ "$INTROSPECTION" = 1 ]; then
                expect "$DATADIR/gir-1.0/Biogate-1.gir" 644
                expect "$LIBDIR/girepository-1.0/Biogate-1.typelib" 644
        fi
        if [ "$MAN" = 1 ]; then
                for page in man8/biogated.8 man1/biogatectl.1 man5/biogate.conf.5 man5/biogate-policy.5 \
                            man8/pam_biogate.8 man5/biogate-consent-notice.5; do
                        expect "$MANDIR/$page" 644
                done
        fi
        # biogatectl's bash completion, the D-Bus API for introspection tools
        # (not fprintd's interface: its package owns that name's files), and
        # the documents the man pages cite.
        expect "$BASH_COMPLETIONSDIR/biogatectl" 644
        expect "$DATADIR/dbus-1/interfaces/org.biogate1.xml" 644
        expect "$DATADIR/dbus-1/interfaces/org.biogate1.Agent.xml" 644
        for doc in audit desktop keys tokens; do
                expect "$DATADIR/doc/biogate/$doc.md" 644
        done
        # The approval agent (built with GTK 4), its autostart file and page.
        if [ "$AGENT" = 1 ]; then
                expect "$LIBEXECDIR/biogate-agent" 755
                expect "$SYSCONFDIR/xdg/autostart/biogate-agent.desktop" 644
                grep -qx "Exec=$LIBEXECDIR/biogate-agent" "$dest$SYSCONFDIR/xdg/autostart/biogate-agent.desktop" ||
                        problem "the autostart file does not start $LIBEXECDIR/biogate-agent"
                for lang in kk ru; do
                        grep -q "^Name\[$lang\]=." "$dest$SYSCONFDIR/xdg/autostart/biogate-agent.desktop" ||
                                problem "the autostart file has no Name[$lang]"
                done
                [ "$MAN" = 1 ] && expect "$MANDIR/man1/biogate-agent.1" 644
        fi

        check_libbiogate

        # A document a man page cites is installed (pages name the /usr
        # prefix, as they name /etc and /var).
        if [ "$MAN" = 1 ]; then
                local cited
                for cited in $(grep -ho '/usr/share/doc/biogate/[A-Za-z0-9_-]*\.md' "$dest$MANDIR"/man*/* | sort -u); do
                        [ -f "$dest$DATADIR/doc/biogate/${cited##*/}" ] ||
                                problem "a man page cites $cited, which is not installed"
                done
        fi
        bash -c '. "$1" && complete -p biogatectl' bash "$dest$BASH_COMPLETIONSDIR/biogatectl" >/dev/null ||
                problem "the installed bash completion does not register for biogatectl"

        # Nothing else: a stray file is a packaging bug too.
        sort -o "$expected" "$expected"
        (cd "$dest" && find . -type f -o -type l) | sed 's|^\.||' | sort >"$installed"
        diff -u "$expected" "$installed" >&2 || problem "the installed files differ from the expected list (- missing, + extra)"

        # The pieces point at each other.
        grep -qx "ExecStart=$LIBEXECDIR/biogated" "$unit" || problem "the unit does not start $LIBEXECDIR/biogated"
        grep -qx "BusName=org.biogate1" "$unit" || problem "the unit does not own org.biogate1"
        grep -qx "Name=org.biogate1" "$dest$DBUS_SERVICEDIR/org.biogate1.service" ||
                problem "the activation file is not for org.biogate1"
        grep -qx "SystemdService=biogated.service" "$dest$DBUS_SERVICEDIR/org.biogate1.service" ||
                problem "the activation file does not hand over to biogated.service"
        grep -q "pam_biogate.so" "$dest$PAM_CONFIGDIR/biogate" || problem "the pam-auth-update profile names no pam_biogate.so"
        if [ "$FPRINTD_ACTIVATION" = 1 ]; then
                local fprint_service=$dest$DBUS_SERVICEDIR/net.reactivated.Fprint.service
                grep -qx "Name=net.reactivated.Fprint" "$fprint_service" ||
                        problem "the fprintd activation file is not for net.reactivated.Fprint"
                grep -qx "SystemdService=biogated.service" "$fprint_service" ||
                        problem "the fprintd activation file does not hand over to biogated.service"
        fi
        grep -qE '^auth[[:space:]]+required[[:space:]]+pam_biogate\.so' "$dest$DATADIR/biogate/pam.d/gdm-fingerprint" ||
                problem "the gdm-fingerprint profile has no 'auth required pam_biogate.so' line"

        # Where the system's own components look, unless an option said otherwise.
        compare_pc() { # option-value actual package variable
                local want
                [ -n "$1" ] && return 0
                want=$(pkg-config --variable="$4" "$3" 2>/dev/null || true)
                [ -z "$want" ] || [ "$2" = "$want" ] || problem "$2 is not where $3.pc says ($4=$want)"
        }
        compare_pc "$OPT_POLKIT_ACTIONDIR" "$POLKIT_ACTIONDIR" polkit-gobject-1 policydir
        compare_pc "$OPT_SYSTEMD_UNITDIR" "$UNITDIR" systemd systemdsystemunitdir
        compare_pc "" "$CATALOGDIR" systemd catalogdir
        compare_pc "" "$SYSUSERSDIR" systemd sysusersdir
        compare_pc "" "$TMPFILESDIR" systemd tmpfilesdir
        compare_pc "$OPT_PAM_MODULEDIR" "$PAM_MODULEDIR" pam moduledir
        compare_pc "$OPT_DBUS_SERVICEDIR" "$DBUS_SERVICEDIR" dbus-1 system_bus_services_dir
}

check_xml() {
        xmllint --noout "$dest$DBUS_POLICYDIR/org.biogate1.conf" || problem "the bus policy is not well-formed XML"
        # polkitd ships its DTD: validate, not only parse (no network needed).
        xmllint --noout --dtdvalid /usr/share/polkit-1/policyconfig-1.dtd "$dest$POLKIT_ACTIONDIR/org.biogate1.policy" ||
                problem "the polkit actions do not validate against policyconfig-1.dtd"
        for action in enroll verify approve manage; do
                grep -q "<action id=\"org.biogate1.$action\">" "$dest$POLKIT_ACTIONDIR/org.biogate1.policy" ||
                        problem "the polkit actions lack org.biogate1.$action"
        done
        # Approvals are never remembered.
        ! grep -A8 'id="org.biogate1.approve"' "$dest$POLKIT_ACTIONDIR/org.biogate1.policy" | grep -q "_keep" ||
                problem "org.biogate1.approve must not use a _keep result"

        xmllint --noout "$dest$DBUS_POLICYDIR/net.reactivated.Fprint-biogate.conf" ||
                problem "the bus policy for net.reactivated.Fprint is not well-formed XML"
        # The interface files, as introspection tools read them.
        local interface
        for interface in org.biogate1.Manager:org.biogate1.xml org.biogate1.Agent:org.biogate1.Agent.xml; do
                xmllint --xpath "/node/interface[@name='${interface%%:*}']/@name" \
                        "$dest$DATADIR/dbus-1/interfaces/${interface##*:}" >/dev/null ||
                        problem "the installed ${interface##*:} does not describe ${interface%%:*}"
        done
        [ "$FPRINTD_POLKIT_ACTIONS" = 1 ] || return 0
        local fprint_policy=$dest$POLKIT_ACTIONDIR/net.reactivated.fprint.device-biogate.policy
        xmllint --noout --dtdvalid /usr/share/polkit-1/policyconfig-1.dtd "$fprint_policy" ||
                problem "fprintd's polkit actions do not validate against policyconfig-1.dtd"
        # Each fprintd id grants what the biogate action it stands for grants
        # (docs/desktop.md), so neither API is a way around the other.
        defaults() { # file action-id
                sed -n "/<action id=\"$2\">/,/<\/action>/p" "$1" | sed -n 's/.*<\(allow_[a-z]*\)>\(.*\)<.*/\1=\2/p' | tr '\n' ' '
        }
        local fprint_id biogate_id got want
        for pair in verify:verify enroll:enroll setusername:manage; do
                fprint_id=net.reactivated.fprint.device.${pair%%:*}
                biogate_id=org.biogate1.${pair##*:}
                got=$(defaults "$fprint_policy" "$fprint_id")
                want=$(defaults "$dest$POLKIT_ACTIONDIR/org.biogate1.policy" "$biogate_id")
                if [ -z "$got" ] || [ "$got" != "$want" ]; then
                        problem "$fprint_id has defaults '$got', $biogate_id has '$want'"
                fi
        done
}

check_units() {
        local out score
        # ExecStart= resolves inside the DESTDIR. --recursive-errors=no: the
        # dbus.socket that Type=dbus pulls in is not in it. rc 0 is not
        # enough (systemd 252 warns with rc 0): nothing may be printed.
        # ExecReload= runs systemd's own busctl, which the DESTDIR lacks.
        mkdir -p "$dest/usr/bin"
        cp /usr/bin/busctl "$dest/usr/bin/busctl"
        if ! out=$(systemd-analyze verify --man=no --recursive-errors=no --root="$dest" "$unit" 2>&1); then
                problem "systemd-analyze verify failed: $out"
        elif [ -n "$out" ]; then
                problem "systemd-analyze verify warned: $out"
        fi
        # The check is live: an unknown key fails it.
        sed 's/^UMask=0077$/&\nNoSuchSetting=yes/' "$unit" >"$tmp/broken.service"
        if systemd-analyze verify --man=no --recursive-errors=no --root="$dest" "$tmp/broken.service" >/dev/null 2>&1; then
                problem "systemd-analyze verify accepts an unknown key"
        fi

        # --threshold is in tenths: 18 = 1.8. It was 1.5 (1.1 measured) until
        # PrivateNetwork= went for hotplug (issue 17: udev's uevents exist
        # only in the host's network namespace), which systemd-analyze
        # weighs 0.5; IPAddressDeny=any and RestrictAddressFamilies= keep
        # the daemon off the network (checked just below). CAP_SYS_PTRACE,
        # for the approval agent's /proc checks, adds 0.2; ptrace(2) and
        # process_vm_* stay filtered (checked below).
        grep -qx 'CapabilityBoundingSet=CAP_SYS_PTRACE' "$unit" &&
                grep -qx 'SystemCallFilter=~@debug process_vm_readv process_vm_writev' "$unit" ||
                problem "the unit's capabilities are not exactly CAP_SYS_PTRACE with ptrace(2) filtered"
        grep -qx 'IPAddressDeny=any' "$unit" && grep -qx 'RestrictAddressFamilies=AF_UNIX AF_NETLINK' "$unit" ||
                problem "the unit lets the daemon open IP sockets or reach IP addresses"
        if ! out=$(systemd-analyze security --offline=true --threshold=18 --root="$dest" biogated.service 2>&1); then
                problem "systemd-analyze security is above 1.8: $(echo "$out" | tail -1)"
        fi
        score=$(echo "$out" | sed -n 's/.*Overall exposure level for biogated.service: \([0-9.]*\).*/\1/p')
        [ -n "$score" ] || problem "no exposure level in: $out"
        echo "systemd-analyze security: exposure $score"
        awk -v s="$score" 'BEGIN { exit !(s + 0 <= 1.8) }' || problem "exposure $score is above 1.8"
        # The threshold is live: a unit without hardening fails it.
        printf '[Service]\nExecStart=%s\n' "$LIBEXECDIR/biogated" >"$dest$UNITDIR/bare-for-test.service"
        if ! out=$(systemd-analyze security --offline=true --threshold=18 --root="$dest" bare-for-test.service 2>&1) &&
           echo "$out" | grep -q "Overall exposure level for bare-for-test.service"; then
                :
        else
                problem "systemd-analyze security --threshold=18 passes an unhardened unit: $(echo "$out" | tail -1)"
        fi
}

check_pam_auth_update() {
        local root=$tmp/root
        if [ "$(id -u)" != 0 ] || ! command -v pam-auth-update >/dev/null; then
                echo "needs root and pam-auth-update (Debian)"
                exit 77
        fi
        # Copies of everything pam-auth-update reads or writes, shown in their
        # places in a private mount namespace: the host's PAM stays untouched.
        mkdir -p "$root"
        cp -a /etc/pam.d "$root/pam.d"
        cp -a /usr/share/pam-configs "$root/pam-configs"
        cp "$dest$PAM_CONFIGDIR/biogate" "$root/pam-configs/"
        cp -a /var/lib/pam "$root/var-lib-pam"
        cp -a /var/cache/debconf "$root/debconf"
        unshare -m --propagation private sh -c '
                set -e
                mount --bind "$1/pam.d" /etc/pam.d
                mount --bind "$1/pam-configs" /usr/share/pam-configs
                mount --bind "$1/var-lib-pam" /var/lib/pam
                mount --bind "$1/debconf" /var/cache/debconf
                DEBIAN_FRONTEND=noninteractive pam-auth-update --enable biogate
                cp /etc/pam.d/common-auth "$1/enabled"
                DEBIAN_FRONTEND=noninteractive pam-auth-update --disable biogate
                cp /etc/pam.d/common-auth "$1/disabled"
        ' sh "$root" >"$tmp/pam-auth-update.log" 2>&1 || { cat "$tmp/pam-auth-update.log" >&2; problem "pam-auth-update failed"; return; }

        local biogate unix
        biogate=$(grep -n -E '^auth[[:space:]]+\[success=[0-9]+ default=ignore\][[:space:]]+pam_biogate\.so' "$root/enabled" | cut -d: -f1 | head -1)
        unix=$(grep -n -E '^auth[[:space:]].*pam_unix\.so' "$root/enabled" | cut -d: -f1 | head -1)
        if [ -z "$biogate" ] || [ -z "$unix" ] || [ "$biogate" -ge "$unix" ]; then
                cat "$root/enabled" >&2
                problem "pam_biogate.so is not a success=N/default=ignore line before pam_unix.so"
        fi
        ! grep -q pam_biogate "$root/disabled" || problem "pam-auth-update --disable left pam_biogate.so in"
}

# The gdm-fingerprint profile as libpam reads it: every line parses and names
# a module that exists on this (Debian) system or is the pam_biogate.so just
# installed, and every @include exists. libpam reports a bad line or a missing
# module only to syslog (pam_wrapper prints that to stderr) and carries on, so
# the check is "nothing was reported". The account stack runs for real.
check_pam_profile() {
        local profile=$dest$DATADIR/biogate/pam.d/gdm-fingerprint pamdir=$tmp/pam.d preload=libpam_wrapper.so
        local line out rc host_moduledir
        # Where this system's own modules are (pam_unix.so is in every PAM).
        host_moduledir=$(dirname "$(find /usr/lib /lib -name pam_unix.so -print -quit 2>/dev/null)")
        if ! command -v pamtester >/dev/null || [ ! -d /etc/pam.d ] || [ "$host_moduledir" = . ]; then
                echo "needs pamtester, /etc/pam.d and pam_unix.so"
                exit 77
        fi
        # TYPE CONTROL MODULE [ARGS], CONTROL one word or a [bracketed list].
        local rule_re='^(auth|account|session|password)[[:space:]]+(\[[^]]*\]|[^[:space:]]+)[[:space:]]+([^[:space:]]+)'
        local include_re='^@include[[:space:]]+([^[:space:]]+)$'
        while read -r line; do
                line=${line%%#*}
                line=${line%"${line##*[![:space:]]}"}
                [ -n "$line" ] || continue
                if [[ $line =~ $include_re ]]; then
                        [ -f "/etc/pam.d/${BASH_REMATCH[1]}" ] ||
                                problem "gdm-fingerprint includes ${BASH_REMATCH[1]}, which /etc/pam.d does not have"
                elif [[ $line =~ $rule_re ]]; then
                        [ "${BASH_REMATCH[3]}" = pam_biogate.so ] || [ -f "$host_moduledir/${BASH_REMATCH[3]}" ] ||
                                problem "gdm-fingerprint names ${BASH_REMATCH[3]}, which is not in $host_moduledir"
                else
                        problem "gdm-fingerprint has a line that is no PAM rule: $line"
                fi
        done <"$profile"

        mkdir -p "$pamdir"
        sed "s|pam_biogate\.so|$dest$PAM_MODULEDIR/pam_biogate.so|" "$profile" >"$pamdir/gdm-fingerprint"
        echo "auth required pam_deny.so" >"$pamdir/other"
        if [[ ${SANITIZE:-none} == *address* ]]; then
                preload="$(cc -print-file-name=libasan.so) $(cc -print-file-name=libubsan.so) $preload"
        fi
        rc=0
        out=$(LD_PRELOAD="$preload" ASAN_OPTIONS=detect_leaks=0 PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$pamdir" \
                pamtester gdm-fingerprint root acct_mgmt 2>&1) || rc=$?
        [ "$rc" = 0 ] || problem "the gdm-fingerprint account stack failed for root: $out"
        ! echo "$out" | grep -q "SYSLOG" || problem "libpam complained about gdm-fingerprint: $out"
        # The check is live: a bad line is reported.
        printf 'session bogus pam_limits.so\n' >>"$pamdir/gdm-fingerprint"
        out=$(LD_PRELOAD="$preload" ASAN_OPTIONS=detect_leaks=0 PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$pamdir" \
                pamtester gdm-fingerprint root acct_mgmt 2>&1) || true
        echo "$out" | grep -q "SYSLOG" || problem "a malformed PAM line goes unreported, the check proves nothing"
}

# The installed policy for net.reactivated.Fprint in a private system bus
# (the tests' own configuration: system.conf's defaults, deny by default), a
# stub owning the name as root, and uid 65534 calling it through the bus.
check_bus_policy() {
        local busdir=$tmp/bus addr out
        local name=net.reactivated.Fprint manager=/net/reactivated/Fprint/Manager device=/net/reactivated/Fprint/Device/0
        if [ "$(id -u)" != 0 ] || ! command -v dbus-daemon >/dev/null || ! command -v setpriv >/dev/null; then
                echo "needs root, dbus-daemon and setpriv"
                exit 77
        fi
        mkdir -p "$busdir/services"
        # uid 65534 must reach the socket: the directories above it are
        # mktemp's (0700).
        chmod 0711 "$tmp" "$busdir"
        if [ "$FPRINTD_ACTIVATION" = 1 ]; then
                cp "$dest$DBUS_SERVICEDIR/$name.service" "$busdir/services/"
        fi
        "$WRITE_BUS_CONFIG" "$busdir" "$dest$DBUS_POLICYDIR/$name-biogate.conf" >"$busdir/bus.conf"
        # dbus-daemon reads the policy when it starts; a file it cannot use
        # stops it before it prints its address.
        coproc BUS { exec dbus-daemon --config-file="$busdir/bus.conf" --nofork --nopidfile --print-address 2>"$busdir/log"; }
        pids+=("$BUS_PID")
        if ! read -r -t 30 addr <&"${BUS[0]}" || [ -z "$addr" ]; then
                problem "dbus-daemon did not start with the policy: $(cat "$busdir/log")"
                return
        fi
        coproc STUB { exec "$BUS_NAME_STUB" "$addr" "$name" 2>"$busdir/stub.log"; }
        pids+=("$STUB_PID")
        if ! read -r -t 30 out <&"${STUB[0]}" || [ "$out" != owned ]; then
                problem "root cannot own $name: $(cat "$busdir/stub.log")"
                return
        fi

        as_nobody() { # dbus-send arguments; prints the reply or the error
                setpriv --reuid=65534 --regid=65534 --clear-groups dbus-send --bus="$addr" --print-reply "$@" 2>&1
        }
        allowed() { # what, dbus-send arguments
                local what=$1
                shift
                out=$(as_nobody "$@") || problem "uid 65534 cannot $what: $out"
        }
        denied() {
                local what=$1
                shift
                if out=$(as_nobody "$@") || [[ $out != *org.freedesktop.DBus.Error.AccessDenied* ]]; then
                        problem "the bus lets uid 65534 $what: $out"
                fi
        }
        allowed "call the Manager" --dest=$name $manager $name.Manager.GetDefaultDevice
        allowed "call a Device" --dest=$name $device $name.Device.ListEnrolledFingers string:
        allowed "read properties" --dest=$name $device org.freedesktop.DBus.Properties.GetAll string:$name.Device
        allowed "introspect" --dest=$name $device org.freedesktop.DBus.Introspectable.Introspect
        allowed "ping" --dest=$name $device org.freedesktop.DBus.Peer.Ping
        denied "set a property" --dest=$name $device org.freedesktop.DBus.Properties.Set \
                string:$name.Device string:name variant:string:x
        denied "call another interface of the owner" --dest=$name $manager org.biogate1.Manager.Unlock
        denied "own $name" --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.RequestName \
                string:$name uint32:4
        if [ "$FPRINTD_ACTIVATION" = 1 ]; then
                out=$(as_nobody --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.ListActivatableNames)
                [[ $out == *"\"$name\""* ]] || problem "the bus does not take the activation file for $name: $out"
        fi
}

case $mode in
tree) check_tree ;;
xml) check_xml ;;
units) check_units ;;
pam-auth-update) check_pam_auth_update ;;
pam-profile) check_pam_profile ;;
bus-policy) check_bus_policy ;;
*) echo "usage: $0 tree|xml|units|pam-auth-update|pam-profile|bus-policy BUILD_DIR" >&2; exit 2 ;;
esac
exit $fail
