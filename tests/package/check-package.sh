#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The Debian packages that scripts/package left in SRC/build-deb:
#   check-package.sh lintian SRC
#       lintian on the .changes: no error and no warning (pedantic and info
#       tags are shown, and do not fail); dpkg-checkbuilddeps in SRC.
#   check-package.sh install-purge SRC VDEV_SEND
#       Installs them on a throw-away copy of this system (tests/package/lib.sh:
#       overlays on /usr, /etc and /var in a private mount and PID namespace,
#       a private /run and /tmp), checks what they installed and what their
#       maintainer scripts did, uses them (the installed biogated on a
#       dbus-daemon --system, libfprint's virtual sensor, biogatectl, a PAM
#       login through the common-auth that pam-auth-update wrote), removes
#       and purges them, and checks that nothing of theirs is left, that
#       /etc/pam.d/common-* are as before, and that the host never changed.
#       Then fprintd's side: biogate-fprintd-compat is refused while fprintd
#       is installed, and takes fprintd's activation file once it is gone.
set -euo pipefail

mode=$1
src=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

fail=0
problem() {
        echo "FAIL: $*" >&2
        fail=1
}

check_lintian() {
        local changes
        changes=$(biogate_pkg_changes "$src")
        command -v lintian >/dev/null || { echo "lintian is not installed (scripts/lib.sh installs it)" >&2; exit 1; }
        # debian/control names every build dependency that scripts/lib.sh installs.
        (cd "$src" && dpkg-checkbuilddeps) || problem "dpkg-checkbuilddeps: Build-Depends not satisfied"
        # Root is what CI runs as; lintian only warns about it on stderr.
        lintian --fail-on error,warning --pedantic --info --display-experimental --no-tag-display-limit \
                "$changes" 2> >(grep -v 'running with root privileges is not recommended' >&2) ||
                problem "lintian reports errors or warnings on $(basename "$changes")"
}

# The host as the test leaves it must be the host as it found it.
host_state() {
        sha256sum /etc/pam.d/common-* /var/lib/pam/* 2>/dev/null
        dpkg-query -W -f '${Package} ${Status}\n' "${BIOGATE_PKG_NAMES[@]}" fprintd libpam-fprintd 2>/dev/null || true
        ls -d /usr/libexec/biogated /usr/share/pam-configs/biogate /var/lib/biogate /etc/biogate \
                /lib/systemd/system/biogated.service 2>/dev/null || true
        sha256sum /usr/share/dbus-1/system-services/net.reactivated.Fprint.service 2>/dev/null || true
}

check_install_purge() {
        local root before after rc=0
        [ "$(id -u)" = 0 ] || { echo "needs root (dpkg in a private mount namespace)"; exit 77; }
        biogate_pkg_debs "$src" >/dev/null
        before=$(host_state)
        # The uppers' tmpfs is mounted here inside the namespace only: /dev/shm
        # is neither /tmp nor /run, which the namespace replaces.
        root=$(mktemp -d /dev/shm/biogate-package.XXXXXX)
        unshare -m -p -f --mount-proc --propagation private \
                bash "$0" install-purge-inside "$src" "$3" "$root" || rc=$?
        rmdir "$root" || problem "the namespace left files in $root"
        after=$(host_state)
        if [ "$before" != "$after" ]; then
                diff <(echo "$before") <(echo "$after") >&2 || true
                problem "the host changed"
        fi
        [ "$rc" = 0 ] || problem "the test in the namespace failed (exit $rc)"
}

# PID 1 of a private PID and mount namespace: everything started here ends
# with it.
install_purge_inside() {
        local vdev_send=$1 root=$2 work vdev debs=() names=() name
        # Called in a list (|| below): errexit is off here, and a failed
        # mount must stop the test before dpkg touches the host's files.
        biogate_pkg_overlay "$root" || { echo "the overlays on /usr, /etc and /var are not in place" >&2; return 1; }
        mount -t tmpfs -o mode=1777 tmpfs /tmp || return 1
        mount -t tmpfs -o mode=0755 tmpfs /run || return 1
        biogate_pkg_check_mounts tmpfs /tmp /run || return 1
        mkdir -p /run/dbus /run/lock
        work=$(mktemp -d /tmp/biogate-package.XXXXXX)
        vdev=$work/vdev.sock
        export DEBIAN_FRONTEND=noninteractive
        # Everything but the fprintd compatibility, which conflicts with the
        # fprintd package the tests install on this machine (scripts/lib.sh).
        for name in "${BIOGATE_PKG_NAMES[@]}"; do
                [ "$name" = biogate-fprintd-compat ] || names+=("$name")
        done
        mapfile -t debs < <(biogate_pkg_debs "$src" "${names[@]}")

        mkdir "$work/before"
        cp -a /etc/pam.d/common-* "$work/before/"

        step "unpacked, not configured: biogated.service may not start"
        dpkg --unpack "${debs[@]}" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; return 1; }
        [ -e /run/biogate.dpkg-unconfigured ] || problem "no /run/biogate.dpkg-unconfigured after unpacking"
        grep -qx 'ConditionPathExists=!/run/biogate.dpkg-unconfigured' /lib/systemd/system/biogated.service.d/*.conf ||
                problem "no drop-in of biogated.service waits for the configuration"
        grep -q pam_biogate /etc/pam.d/common-auth && problem "common-auth names pam_biogate before configuration"

        step "configured"
        dpkg --configure --pending >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; return 1; }
        cat "$work/dpkg.log"
        [ ! -e /run/biogate.dpkg-unconfigured ] || problem "/run/biogate.dpkg-unconfigured is still there once configured"
        for name in "${names[@]}"; do
                [ "$(dpkg-query -W -f '${Status}' "$name")" = "install ok installed" ] || problem "$name is not installed"
        done
        check_layout
        # systemd's file trigger on /usr/lib/systemd/catalog indexed it.
        local catalog_id
        catalog_id=$(sed -n 's/^-- \([0-9a-f]\{32\}\)$/\1/p' /usr/lib/systemd/catalog/biogate.catalog | head -n 1)
        journalctl --list-catalog "$catalog_id" 2>/dev/null | grep -q "$catalog_id" ||
                problem "the journal catalog does not know biogate's events ($catalog_id) after configuration"

        step "common-auth, as pam-auth-update wrote it"
        cat /etc/pam.d/common-auth
        local biogate unix
        biogate=$(grep -n -E '^auth[[:space:]]+\[success=[0-9]+ default=ignore\][[:space:]]+pam_biogate\.so max-tries=2 timeout=10( |$)' \
                /etc/pam.d/common-auth | cut -d: -f1 | head -n 1)
        unix=$(grep -n -E '^auth[[:space:]].*pam_unix\.so' /etc/pam.d/common-auth | cut -d: -f1 | head -n 1)
        if [ -z "$biogate" ] || [ -z "$unix" ] || [ "$biogate" -ge "$unix" ]; then
                problem "common-auth has no 'pam_biogate.so max-tries=2 timeout=10' line before pam_unix.so"
        fi
        # The profile's Conflicts: enabling fprintd's profile as well is refused.
        pam-auth-update --enable fprintd >"$work/pam-auth-update.log" 2>&1 || true
        if grep -q pam_fprintd /etc/pam.d/common-auth || ! grep -q pam_biogate /etc/pam.d/common-auth; then
                cat /etc/pam.d/common-auth
                problem "pam-auth-update --enable fprintd put pam_fprintd.so beside pam_biogate.so"
        fi

        use_installed "$vdev_send" "$work" "$vdev"

        step "removed"
        dpkg -r "${names[@]}" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; return 1; }
        for f in "$work"/before/*; do
                cmp -s "$f" "/etc/pam.d/$(basename "$f")" || problem "/etc/pam.d/$(basename "$f") differs after dpkg -r"
        done
        [ -d /var/lib/biogate ] || problem "dpkg -r removed /var/lib/biogate (only a purge may)"
        [ -f /etc/biogate/biogate.conf ] || problem "dpkg -r removed /etc/biogate/biogate.conf (only a purge may)"

        step "purged"
        dpkg -P "${names[@]}" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; return 1; }
        for f in "$work"/before/*; do
                cmp -s "$f" "/etc/pam.d/$(basename "$f")" || problem "/etc/pam.d/$(basename "$f") differs after dpkg -P"
        done
        [ ! -e /var/lib/biogate ] || problem "/var/lib/biogate (templates, keys) outlived the purge"
        journalctl --list-catalog "$catalog_id" 2>/dev/null | grep -q "$catalog_id" &&
                problem "the journal catalog still has biogate's events after the purge"
        [ ! -e /etc/biogate ] || problem "/etc/biogate outlived the purge"
        for name in "${names[@]}"; do
                [ -z "$(dpkg-query -W -f '${Status}' "$name" 2>/dev/null)" ] ||
                        [ "$(dpkg-query -W -f '${Status}' "$name")" = "unknown ok not-installed" ] || problem "$name is still known to dpkg"
        done

        step "what the uppers hold besides dpkg's records"
        local left
        left=$(biogate_pkg_leftovers "$root")
        if [ -n "$left" ]; then
                echo "$left"
                problem "files were left behind"
        else
                echo "(nothing)"
        fi

        check_fprintd_compat "$work"
        return "$fail"
}

step() {
        printf '\n== %s\n' "$*"
}

check_layout() {
        local path
        step "installed files"
        for path in /usr/libexec/biogated /usr/bin/biogatectl /usr/lib/*/security/pam_biogate.so \
                    /lib/systemd/system/biogated.service /usr/share/dbus-1/system.d/org.biogate1.conf \
                    /usr/share/dbus-1/system-services/org.biogate1.service /usr/share/polkit-1/actions/org.biogate1.policy \
                    /usr/lib/systemd/catalog/biogate.catalog /usr/share/pam-configs/biogate \
                    /usr/share/biogate/pam.d/gdm-fingerprint /usr/lib/*/libbiogate-1.so.1 \
                    /usr/lib/*/girepository-1.0/Biogate-1.typelib /usr/include/biogate-1/biogate.h \
                    /usr/libexec/biogate-agent /etc/xdg/autostart/biogate-agent.desktop \
                    /usr/share/man/man1/biogatectl.1.gz /usr/share/man/man8/biogated.8.gz \
                    /usr/share/man/man8/pam_biogate.8.gz /usr/share/man/man5/biogate.conf.5.gz \
                    /usr/share/man/man5/biogate-policy.5.gz /usr/share/man/man1/biogate-agent.1.gz; do
                [ -e "$path" ] || problem "$path is not installed"
        done
        # Without the compatibility package fprintd keeps its own name.
        grep -q biogated /usr/share/dbus-1/system-services/net.reactivated.Fprint.service &&
                problem "biogate took fprintd's activation file without biogate-fprintd-compat"
        # Root-only binaries stay as built; the daemon's state is root's.
        [ "$(stat -c %U:%a /usr/libexec/biogated)" = root:755 ] || problem "biogated is $(stat -c %U:%a /usr/libexec/biogated)"
        if ls /usr/lib/sysusers.d/*biogate* >/dev/null 2>&1; then
                getent group biogate-approvers >/dev/null || problem "no group biogate-approvers although sysusers.d names it"
        fi
        echo "ok"
}

use_installed() {
        local vdev_send=$1 work=$2 vdev=$3 bus_pid daemon_pid pid rc out
        step "the installed biogated on dbus-daemon --system, libfprint's virtual sensor"
        # What an administrator leaves in /etc/biogate: gone with the purge.
        mkdir -m 0755 /etc/biogate
        printf '[daemon]\nfprintd_api=no\n' >/etc/biogate/biogate.conf
        dbus-daemon --system --nofork --nopidfile &
        bus_pid=$!
        "$vdev_send" --wait-file /run/dbus/system_bus_socket
        # systemd would make the StateDirectory= (a private PID namespace has
        # no systemd); the daemon makes it itself when started by hand.
        FP_DRIVERS_WHITELIST=virtual_device FP_DRIVERS_ALLOWLIST=virtual_device FP_VIRTUAL_DEVICE=$vdev \
                /usr/libexec/biogated &
        daemon_pid=$!
        gdbus wait --system --timeout 30 org.biogate1 || { problem "biogated did not take org.biogate1"; return; }
        [ "$(stat -c %a /var/lib/biogate)" = 700 ] || problem "/var/lib/biogate is not 0700"
        biogatectl status

        step "biogatectl enroll, verify"
        rm -f "$vdev"
        biogatectl enroll --finger right-index-finger --yes-i-consent >"$work/enroll.log" 2>&1 &
        pid=$!
        "$vdev_send" --wait "$vdev" "SCAN pkg-right-index" "SCAN pkg-right-index" "SCAN pkg-right-index" \
                "SCAN pkg-right-index" "SCAN pkg-right-index"
        wait "$pid" || { cat "$work/enroll.log"; problem "biogatectl enroll failed"; }
        rm -f "$vdev"
        biogatectl verify >"$work/verify.log" 2>&1 &
        pid=$!
        "$vdev_send" --wait "$vdev" "SCAN pkg-right-index"
        wait "$pid" || { cat "$work/verify.log"; problem "biogatectl verify did not match"; }

        # A service without a file of its own is "other", which includes the
        # common-* files: the login goes through pam-auth-update's stack and
        # the installed module.
        step "PAM: pamtester through common-auth, a matching touch"
        [ ! -e /etc/pam.d/biogate-package-test ] || problem "/etc/pam.d/biogate-package-test exists"
        rm -f "$vdev"
        pamtester -v biogate-package-test root authenticate </dev/null >"$work/pam.log" 2>&1 &
        pid=$!
        "$vdev_send" --wait "$vdev" "SCAN pkg-right-index"
        rc=0
        wait "$pid" || rc=$?
        cat "$work/pam.log"
        [ "$rc" = 0 ] || problem "pamtester did not authenticate root by finger (exit $rc)"
        grep -q 'successfully authenticated' "$work/pam.log" || problem "pamtester did not say 'successfully authenticated'"
        grep -q -i 'password' "$work/pam.log" && problem "the password was asked for although the finger matched"

        step "PAM: pamtester as a remote login (sshd with a password): pam_biogate stays out, pam_unix asks"
        rm -f "$vdev"
        rc=0
        out=$(pamtester -v -I rhost=203.0.113.7 biogate-package-test root authenticate </dev/null 2>&1) || rc=$?
        echo "$out"
        [ "$rc" != 0 ] || problem "a remote login without a password succeeded"
        grep -q 'Password:' <<<"$out" || problem "pam_unix did not ask for the password of a remote login"
        grep -q -i 'finger' <<<"$out" && problem "pam_biogate prompted a remote login for a finger"
        [ ! -e "$vdev" ] || problem "the sensor was opened for a remote login"

        kill "$daemon_pid" "$bus_pid"
        wait "$daemon_pid" "$bus_pid" 2>/dev/null || true
}

# biogate-fprintd-compat against fprintd: refused while fprintd is there,
# installed once it is gone, and fprintd's activation file is then ours.
check_fprintd_compat() {
        local work=$1 debs=()
        step "biogate-fprintd-compat while fprintd is installed: refused"
        if [ "$(dpkg-query -W -f '${Status}' fprintd 2>/dev/null)" != "install ok installed" ]; then
                echo "fprintd is not installed here (scripts/lib.sh installs it)"
                problem "cannot check the relation to fprintd"
                return
        fi
        mapfile -t debs < <(biogate_pkg_debs "$src" libbiogate-1-1 biogate biogate-fprintd-compat)
        if dpkg -i "${debs[@]}" >"$work/dpkg.log" 2>&1; then
                problem "biogate-fprintd-compat installed beside fprintd"
        fi
        grep -E 'conflict' "$work/dpkg.log" || problem "dpkg did not refuse biogate-fprintd-compat for a conflict"
        step "fprintd removed: biogate-fprintd-compat installs and serves fprintd's name"
        dpkg -r libpam-fprintd fprintd >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; problem "dpkg -r fprintd failed"; return; }
        dpkg -i "${debs[@]}" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; problem "biogate-fprintd-compat did not install"; return; }
        grep -qx 'SystemdService=biogated.service' /usr/share/dbus-1/system-services/net.reactivated.Fprint.service ||
                problem "net.reactivated.Fprint.service does not start biogated"
        [ -f /usr/share/polkit-1/actions/net.reactivated.fprint.device-biogate.policy ] || problem "fprintd's polkit ids are not defined"
        [ -f /usr/share/dbus-1/system.d/net.reactivated.Fprint-biogate.conf ] || problem "no bus policy for net.reactivated.Fprint"
        dpkg -P biogate-fprintd-compat biogate libbiogate-1-1 >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; problem "dpkg -P failed"; }
        [ ! -e /usr/share/dbus-1/system-services/net.reactivated.Fprint.service ] ||
                problem "net.reactivated.Fprint.service outlived the purge"
        echo "ok"
}

case $mode in
lintian) check_lintian ;;
install-purge) check_install_purge "$@" ;;
install-purge-inside) install_purge_inside "$3" "$4" || fail=1 ;;
*) echo "usage: $0 lintian|install-purge SRC [VDEV_SEND]" >&2; exit 2 ;;
esac
exit $fail
