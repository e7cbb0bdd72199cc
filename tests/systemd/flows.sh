#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# biogate under a real systemd: a systemd boots in a PID + mount namespace
# (the machine's PID 1 is not systemd), with overlays on /usr, /etc and /var
# whose upper layers live on a tmpfs, so the host stays exactly as it was.
# biogate is installed into the overlays (the .debs scripts/package built
# into SRC/build-deb, with dpkg, else `meson install`), and the
# flows run end to end through D-Bus activation *by systemd*, the hardened
# unit's sandbox, real journald, logind and polkitd:
#   flows.sh BUILD_DIR
set -euo pipefail

build=$(realpath "$1")
if [ "$(id -u)" != 0 ]; then
        echo "needs root (namespaces, overlays)"
        exit 77
fi
for tool in unshare nsenter /lib/systemd/systemd /usr/lib/polkit-1/polkitd pamtester; do
        if ! command -v "$tool" >/dev/null && [ ! -x "$tool" ]; then
                echo "needs $tool"
                exit 77
        fi
done

tmp=$(mktemp -d /tmp/biogate-systemd-XXXXXX)
idle=6
# What the namespace sees of $tmp: the host's /tmp is hidden there under
# a tmpfs of its own (so that systemd-tmpfiles never empties the host's).
inside=/var/lib/biogate-flows
pid1=""
launcher=""
cleanup() {
        # kill -9 on PID 1 of the namespace ends everything in it.
        if [ -n "$pid1" ]; then
                kill -9 "$pid1" 2>/dev/null || true
                # The overlays' mounts go with the namespace's last process.
                while kill -0 "$pid1" 2>/dev/null; do sleep 0.05; done
        fi
        # unshare itself (--kill-child: had PID 1 not started, it gets it).
        if [ -n "$launcher" ]; then
                kill -9 "$launcher" 2>/dev/null || true
                wait "$launcher" 2>/dev/null || true
        fi
        rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { echo "== $*"; }
# The output of the command the touches are for, shown on failure.
show=""
fail() {
        echo "FAIL: $*" >&2
        if [ -n "$show" ] && [ -f "$show" ]; then
                echo "--- $show:" >&2
                cat "$show" >&2
        fi
        # What the booted system saw last, for a failure in CI.
        if [ -n "$pid1" ]; then
                echo "--- the namespace's journal, last lines:" >&2
                nsenter -t "$pid1" -m -p -- journalctl -b --no-pager -n 40 -o short-monotonic >&2 || true
        fi
        exit 1
}
ns() { nsenter -t "$pid1" -m -p -- "$@"; }

# ---- what gets installed ----
# The Debian packages that scripts/package built into SRC/build-deb (the
# daemon and CLI, the PAM module, the library), installed with dpkg inside
# the booted system; without them, a build configured as a distribution
# would (prefix /usr, /etc, /var: the test's own build dir has /usr/local)
# laid into the /usr overlay by `meson install`.
src=$(realpath "$(dirname "$0")/../..")
# shellcheck source=tests/package/lib.sh
. "$src/tests/package/lib.sh"
dest=$tmp/dest
mkdir -p "$dest/usr"
if biogate_pkg_changes "$src" >/dev/null 2>&1; then
        step "install: the packages in $src/build-deb, with dpkg once systemd runs"
        mkdir -p "$tmp/debs"
        mapfile -t debs < <(biogate_pkg_debs "$src" libbiogate-1-1 biogate libpam-biogate)
        [ ${#debs[@]} = 3 ] || fail "missing packages in $src/build-deb"
        cp "${debs[@]}" "$tmp/debs/"
else
        step "install: meson install of a /usr build into the /usr overlay (no packages in $src/build-deb)"
        sysbuild=$build/systemd-flows-build
        if [ ! -f "$sysbuild/build.ninja" ]; then
                meson setup "$sysbuild" "$src" --prefix=/usr --sysconfdir=/etc --localstatedir=/var \
                        -Dtests=false -Dman=disabled -Dagent=disabled -Dintrospection=disabled \
                        >"$tmp/setup.log" 2>&1 || { cat "$tmp/setup.log" >&2; fail "meson setup"; }
        fi
        ninja -C "$sysbuild" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log" >&2; fail "build"; }
        meson install -C "$sysbuild" --destdir "$dest" --no-rebuild --quiet >"$tmp/install.log" 2>&1 ||
                { cat "$tmp/install.log" >&2; fail "meson install"; }
        # Debian's /usr is merged: systemd, PAM and the loader look under /usr/lib.
        if [ -d "$dest/lib" ]; then
                cp -a "$dest/lib/." "$dest/usr/lib/"
                rm -rf "${dest:?}/lib"
        fi
        # What dpkg's postinst would leave: /etc/biogate for a site's files.
        [ -d "$dest/etc" ] && cp -a "$dest/etc" "$tmp/etc"
fi
cp "$build/tests/vdev-send" "$tmp/"

# What the /etc overlay gets before systemd starts.
etc=$tmp/etc
mkdir -p "$etc/systemd/system/biogated.service.d" "$etc/biogate" "$etc/pam.d"
# This systemd is not alone on the machine: units that would change the
# host's kernel or devices (sysctls, binfmt, modules, remounting /, udev
# replaying every device's uevent) are masked in the overlay.
for unit in systemd-sysctl.service systemd-binfmt.service proc-sys-fs-binfmt_misc.automount \
            systemd-modules-load.service systemd-remount-fs.service systemd-udevd.service \
            systemd-udev-trigger.service systemd-udev-settle.service; do
        ln -s /dev/null "$etc/systemd/system/$unit"
done
# The installed unit as shipped, pointed at libfprint's virtual sensor. Its
# socket goes in a RuntimeDirectory=: ProtectSystem=strict leaves the rest of
# /run read-only to the daemon.
cat >"$etc/systemd/system/biogated.service.d/50-virtual-sensor.conf" <<'UNIT'
[Service]
Environment=FP_DRIVERS_WHITELIST=virtual_device FP_DRIVERS_ALLOWLIST=virtual_device
Environment=FP_VIRTUAL_DEVICE=/run/biogated-test/vdev
RuntimeDirectory=biogated-test
UNIT
# A short idle exit, so that the test can watch it.
printf '[daemon]\nidle_exit_seconds=%s\n' "$idle" >"$etc/biogate/biogate.conf"
# Real PAM with the installed module.
printf 'auth required pam_biogate.so\naccount required pam_permit.so\n' >"$etc/pam.d/biogate-flows"

# ---- boot ----
step "boot systemd in a PID + mount namespace"
mkdir -p "$tmp/layers"
setsid unshare -pfm --kill-child=SIGKILL --mount-proc --propagation private sh -c '
        set -e
        tmp=$1 inside=$2
        mount -t tmpfs tmpfs "$tmp/layers"
        for d in usr etc var; do mkdir -p "$tmp/layers/$d/up" "$tmp/layers/$d/work"; done
        mount -t overlay overlay -o "lowerdir=$tmp/dest/usr:/usr,upperdir=$tmp/layers/usr/up,workdir=$tmp/layers/usr/work" /usr
        mount -t overlay overlay -o "lowerdir=/etc,upperdir=$tmp/layers/etc/up,workdir=$tmp/layers/etc/work" /etc
        mount -t overlay overlay -o "lowerdir=/var,upperdir=$tmp/layers/var/up,workdir=$tmp/layers/var/work" /var
        cp -a "$tmp/etc/." /etc/
        ldconfig   # /etc/ld.so.cache in the overlay learns of libbiogate
        useradd --no-create-home --home-dir /nonexistent --shell /bin/sh alice
        useradd --no-create-home --home-dir /nonexistent --shell /bin/sh bob
        mkdir -p "$inside"
        mount --bind "$tmp" "$inside"
        mount -t tmpfs tmpfs /tmp
        mount -t tmpfs tmpfs /var/tmp
        exec /lib/systemd/systemd --system --unit=basic.target
' sh "$tmp" "$inside" </dev/null >"$tmp/systemd.log" 2>&1 &
launcher=$!
# $! is unshare (setsid execs it), which forks the namespace's PID 1 (sh,
# then systemd) and waits for it: that child is what kill -9 must hit.
for _ in $(seq 200); do
        pid1=$(tr -d " " <"/proc/$launcher/task/$launcher/children" 2>/dev/null || true)
        [ -n "$pid1" ] && break
        sleep 0.05
done
[ -n "$pid1" ] || fail "the namespace's PID 1 did not start"
for _ in $(seq 200); do
        [ "$(cat "/proc/$pid1/comm" 2>/dev/null)" = systemd ] && break
        sleep 0.05
done
# systemctl answers once PID 1's private socket exists; then it waits.
deadline=$((SECONDS + 60))
state=""
# Before that it says "offline" (no /run/systemd/system yet) or nothing.
while [ $SECONDS -lt $deadline ]; do
        state=$(ns systemctl is-system-running --wait 2>/dev/null || true)
        case "$state" in ""|offline) sleep 0.1 ;; *) break ;; esac
done
echo "system: $state"
case "$state" in
running|degraded) ;;
*) ns systemctl --failed --no-pager || true; fail "systemd did not come up: '$state'" ;;
esac
[ "$state" = running ] || ns systemctl --failed --no-pager --no-legend

if [ -d "$tmp/debs" ]; then
        step "dpkg -i the packages inside the booted system"
        ns sh -c "DEBIAN_FRONTEND=noninteractive dpkg -i $inside/debs/*.deb" >"$tmp/dpkg.log" 2>&1 ||
                { cat "$tmp/dpkg.log" >&2; fail "dpkg -i failed"; }
        tail -n 5 "$tmp/dpkg.log"
fi

# The slow authorization below: polkitd reads rules.d when it starts, on
# the first check.
ns tee /etc/polkit-1/rules.d/50-biogate-flows.rules >/dev/null <<RULES
polkit.addRule(function(action, subject) {
        if (action.id == "org.biogate1.enroll" && subject.user == "bob") {
                polkit.spawn(["/bin/sleep", "$((idle + 2))"]);
                return polkit.Result.YES;
        }
});
RULES

vdev=/run/biogated-test/vdev
# A user's commands run inside a real logind session that pam_systemd opens
# (PAMName=login), as a login on the console would be: class user on seat0
# (polkit counts only sessions on a seat as local, and allow_active needs
# local and active), on the virtual terminal the kernel shows now (read
# from sysfs; logind only compares it), so that logind calls it active.
vt=$(sed -n 's/^tty\([0-9]*\)$/\1/p' /sys/class/tty/tty0/active 2>/dev/null || true)
session() {
        local user=$1; shift
        ns systemd-run --quiet --wait --pipe --collect --uid="$user" -p PAMName=login \
                -p Environment=LANG=C.UTF-8 -p Environment=XDG_SESSION_CLASS=user -p Environment=XDG_SEAT=seat0 \
                ${vt:+-p Environment=XDG_VTNR=$vt} -- "$@"
}
# The same user outside any session: polkit's allow_any.
nosession() {
        local user=$1; shift
        ns setpriv --reuid="$user" --regid="$user" --clear-groups -- "$@"
}
# Touches (SCAN ID) for the operation just started. libfprint leaves the
# socket's path behind when it closes the sensor, and the operation opens
# it again only once its caller got through (a logind session first): a
# refused connection means "not open yet", so try again until it is.
touch_sensor() {
        local id deadline=$((SECONDS + 30))
        for id in "$@"; do
                until ns "$inside/vdev-send" --wait "$vdev" "SCAN $id" 2>"$tmp/vdev.err"; do
                        [ $SECONDS -lt $deadline ] || { cat "$tmp/vdev.err" >&2; fail "the sensor never opened"; }
                        sleep 0.1
                done
        done
}
main_pid() { ns systemctl show -p MainPID --value biogated.service; }
bus_owner_pid() {
        ns busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
                GetConnectionUnixProcessID s org.biogate1 | awk '{ print $2 }'
}
wait_inactive() {
        local deadline=$((SECONDS + 3 * idle + 10))
        while [ "$(ns systemctl is-active biogated.service || true)" != inactive ]; do
                [ $SECONDS -lt $deadline ] || fail "biogated did not exit when idle"
                sleep 0.2
        done
}

# ---- sysusers, tmpfiles ----
step "the install made the approvers group (sysusers) and the state directory (tmpfiles)"
if [ -d "$tmp/debs" ]; then
        ns dpkg -L biogate | grep -qx /usr/lib/sysusers.d/biogate.conf || fail "biogate does not ship its sysusers.d file"
        # biogate.postinst (dh_installsysusers, debian/biogate.sysusers) runs
        # systemd-sysusers: the group is there before the first boot.
        ns getent group biogate-approvers >/dev/null || fail "the packages' postinst did not create biogate-approvers"
fi
ns getent group biogate-approvers || fail "no group biogate-approvers after install"
ns systemd-tmpfiles --create biogate.conf
[ "$(ns stat -c %a:%U:%G /var/lib/biogate)" = 700:root:root ] || fail "/var/lib/biogate is $(ns stat -c %a:%U:%G /var/lib/biogate)"

# ---- activation through systemd ----
step "D-Bus activation through systemd (SystemdService=)"
[ "$(ns systemctl is-active biogated.service || true)" = inactive ] || fail "biogated runs before any call"
ns biogatectl status || fail "biogatectl status: the call did not reach biogated"
[ "$(ns systemctl is-active biogated.service)" = active ] || fail "the call did not start biogated.service"
pid=$(main_pid)
[ "$pid" = "$(bus_owner_pid)" ] || fail "org.biogate1 is not owned by the unit's MainPID $pid"
echo "biogated.service MainPID $pid owns org.biogate1"

# ---- the sandbox, as the unit states it and as the process has it ----
step "the hardened unit's sandbox is applied"
ns systemctl show biogated.service -p ProtectSystem -p ProtectHome -p PrivateTmp -p NoNewPrivileges \
        -p CapabilityBoundingSet -p PrivateNetwork -p ProcSubset -p RestrictAddressFamilies -p IPAddressDeny \
        -p DevicePolicy -p SystemCallFilter | cut -c1-160 | tee "$tmp/show"
grep -qx ProtectSystem=strict "$tmp/show" || fail "ProtectSystem is not strict"
grep -qx NoNewPrivileges=yes "$tmp/show" || fail "NoNewPrivileges is off"
grep -qx CapabilityBoundingSet=cap_sys_ptrace "$tmp/show" || fail "the bounding set is not CAP_SYS_PTRACE alone"
grep -qx ProcSubset=pid "$tmp/show" || fail "ProcSubset is not pid"
status=$(ns cat "/proc/$pid/status")
grep -qP '^NoNewPrivs:\t1$' <<<"$status" || fail "the daemon runs without no_new_privs"
# CAP_SYS_PTRACE (bit 19) alone, for the agent check's /proc reads.
grep -qP '^CapBnd:\t0+80000$' <<<"$status" || fail "the daemon's bounding set is not CAP_SYS_PTRACE alone"
grep -qP '^CapEff:\t0+80000$' <<<"$status" || fail "the daemon's effective capabilities are not CAP_SYS_PTRACE alone"
grep -qP '^Seccomp:\t2$' <<<"$status" || fail "the daemon runs without a seccomp filter"
# Its mount namespace is its own: /usr read-only, /var/lib/biogate writable.
ns nsenter -t "$pid" -m -- sh -c 'touch /usr/biogate-probe 2>/dev/null' && fail "/usr is writable in the sandbox"
ns nsenter -t "$pid" -m -- sh -c 'test ! -e /proc/sys/kernel/osrelease' || fail "/proc/sys is visible (ProcSubset=pid)"

# ---- hotplug: the host's network namespace and the uevent socket ----
step "hotplug: the daemon shares the host's network namespace and listens for uevents"
[ "$(ns readlink "/proc/$pid/ns/net")" = "$(readlink /proc/self/ns/net)" ] ||
        fail "biogated runs in a network namespace of its own: udev's uevents never reach it"
# Socket inodes of the daemon's descriptors vs. NETLINK_KOBJECT_UEVENT (15)
# sockets of this namespace.
inodes=$(ns sh -c "ls -l /proc/$pid/fd" | sed -n 's/.*socket:\[\([0-9]*\)\].*/\1/p' | sort -u)
# Group 2 is udev's broadcast (libudev's monitor, which libusb uses): the
# kernel's own (group 1) comes before udev has made the device node.
uevent=$(ns cat "/proc/$pid/net/netlink" | while read -r _ eth _ groups _ _ _ _ _ inode; do
                if [ "$eth" = 15 ] && (( 16#$groups & 2 )); then echo "$inode"; fi
        done | sort -u)
comm -12 <(echo "$inodes") <(echo "$uevent") | grep -q . || fail "biogated has no uevent (NETLINK_KOBJECT_UEVENT) socket"
echo "uevent socket(s): $(comm -12 <(echo "$inodes") <(echo "$uevent") | tr '\n' ' ')"

# ---- enrol, verify, PAM ----
step "enrol alice (root enrols for her, with her consent)"
ns biogatectl enroll --user alice --yes-i-consent --finger right-index-finger >"$tmp/enroll" 2>&1 &
enroll=$!
touch_sensor alice alice alice alice alice
wait "$enroll" || { cat "$tmp/enroll"; fail "enrolment failed"; }
cat "$tmp/enroll"

step "alice verifies in her logind session"
session alice biogatectl verify >"$tmp/verify" 2>&1 &
verify=$!
touch_sensor alice
wait "$verify" || { cat "$tmp/verify"; fail "alice's verify failed"; }

step "a PAM login through real PAM and the installed pam_biogate (root's login on tty1)"
# As login(1) on a console does: root, before pam_systemd opens a session,
# naming the seat's terminal. Without it, with logind managing seat0, the
# module cannot tell the caller is at the desk and offers no fingerprint.
rc=0; ns pamtester biogate-flows alice authenticate >"$tmp/pam" 2>&1 || rc=$?
[ "$rc" != 0 ] && grep -q "cannot retrieve authentication info" "$tmp/pam" ||
        { cat "$tmp/pam"; fail "pam_biogate offered a fingerprint outside any session and terminal (rc $rc)"; }
ns pamtester -I tty=tty1 biogate-flows alice authenticate >"$tmp/pam" 2>&1 &
pam=$!
touch_sensor alice
wait "$pam" || { cat "$tmp/pam"; fail "PAM login failed"; }
cat "$tmp/pam"

# ---- polkit for real: active sessions, other users ----
step "logind: alice's session is local and active on seat0"
session alice sh -c 'loginctl show-session "$${XDG_SESSION_ID}" -p Seat -p Remote -p Active -p Class' | tee "$tmp/loginctl"
[ "$(sort "$tmp/loginctl" | tr '\n' ' ')" = "Active=yes Class=user Remote=no Seat=seat0 " ] ||
        fail "alice's session is not a local, active user session on seat0"

step "polkit: bob may not act on alice's prints; alice's own enrolment asks for her password"
# polkitd's own answer for her process: a challenge (auth_self_keep), not no.
rc=0; session alice sh -c 'exec pkcheck --action-id org.biogate1.enroll --process $$$$' >"$tmp/pkcheck" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q "requires authentication" "$tmp/pkcheck" ||
        { cat "$tmp/pkcheck"; fail "polkit does not ask alice for her password to enrol (rc $rc)"; }
cat "$tmp/pkcheck"
# With no agent in her session to ask, biogated refuses.
rc=0; session alice biogatectl enroll --yes-i-consent --finger left-thumb >"$tmp/self" 2>&1 || rc=$?
[ "$rc" = 3 ] || { cat "$tmp/self"; fail "alice enrolled with no agent to authenticate her (rc $rc)"; }
tail -1 "$tmp/self"

# A person who takes longer at polkit's password dialog than the idle
# time-out: a rule in the /etc overlay makes polkitd take idle + 2 s over
# bob's own enrolment before saying yes. biogated must stay for the call (it
# once exited idle under it, and the caller saw the name vanish).
step "bob enrols while polkit takes longer than the idle time-out to decide"
started=$SECONDS
session bob biogatectl enroll --yes-i-consent --finger left-thumb >"$tmp/slow" 2>&1 &
slow=$!
show=$tmp/slow
touch_sensor bob bob bob bob bob
wait "$slow" || fail "bob's enrolment during a slow authorization failed"
show=""
tail -1 "$tmp/slow"
# The call did outlast the idle time-out (polkitd runs --no-debug: the
# rule's polkit.log() is not in the journal).
[ $((SECONDS - started)) -gt "$idle" ] || fail "the slow polkit rule did not run ($((SECONDS - started)) s)"
rc=0; session bob biogatectl list --user alice >"$tmp/bob" 2>&1 || rc=$?
[ "$rc" = 3 ] && grep -q PermissionDenied "$tmp/bob" || { cat "$tmp/bob"; fail "bob listed alice's prints (rc $rc)"; }
rc=0; session bob biogatectl delete --user alice >"$tmp/bob" 2>&1 || rc=$?
[ "$rc" = 3 ] || { cat "$tmp/bob"; fail "bob deleted alice's prints (rc $rc)"; }
cat "$tmp/bob"

# ---- step-up ----
step "step-up: alice approves in her active session; the token verifies"
rc=0; session alice biogatectl --json approve --kind withdrawal --amount 25000.00 --currency USD \
        --payee "ACME" --challenge 00112233445566778899aabbccddeeff >"$tmp/approve" 2>&1 &
approve=$!
touch_sensor alice
wait "$approve" || { cat "$tmp/approve"; fail "alice's approval failed"; }
token=$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' <"$tmp/approve")
ns biogatectl token verify --local-keys --challenge 00112233445566778899aabbccddeeff --require-touch "$token" ||
        fail "the token does not verify"
rc=0; nosession alice biogatectl approve --kind withdrawal --amount 25000.00 --currency USD \
        >"$tmp/nosession" 2>&1 || rc=$?
[ "$rc" = 3 ] || { cat "$tmp/nosession"; fail "alice approved outside any session (rc $rc)"; }
cat "$tmp/nosession"
# ---- the approval agent's check of the caller's executable ----
step "the agent check reads alice's /proc/PID/exe under the unit's capabilities (CAP_SYS_PTRACE only)"
# A registration from a program that is not the agent: refused for what the
# check read ("its executable ... is not the approval agent"), not because
# the capability-less daemon could not read another user's /proc/PID/exe.
rc=0; out=$(session alice busctl --system call org.biogate1 /org/biogate1 org.biogate1.AgentManager \
        RegisterAgent o /org/example/Agent 2>&1) || rc=$?
[ "$rc" != 0 ] || fail "busctl was accepted as the approval agent"
echo "$out"
echo "$out" | grep -q "is not the approval agent" || fail "the agent check could not read alice's process: $out"
# ---- systemctl reload: the policy ----
step "systemctl reload biogated re-reads the step-up policy"
# A small USD withdrawal needs no touch under the vendor policy...
ns biogatectl status >/dev/null || fail "biogated is not reachable"
pid=$(main_pid)
session alice biogatectl approve --kind withdrawal --amount 100.00 --currency USD >"$tmp/small" 2>&1 ||
        { cat "$tmp/small"; fail "a small withdrawal was not approved under the vendor policy"; }
# ...and a site policy that refuses every withdrawal takes effect only with
# the reload, in the same process.
ns mkdir -p /etc/biogate/policy.d
printf '[rule no-withdrawals]\nkind=withdrawal\nrequire=deny\n\n[default]\nrequire=fingerprint\n' |
        ns tee /etc/biogate/policy.d/50-site.conf >/dev/null
session alice biogatectl approve --kind withdrawal --amount 100.00 --currency USD >"$tmp/small" 2>&1 ||
        { cat "$tmp/small"; fail "the new policy took effect without a reload"; }
ns systemctl reload biogated.service || fail "systemctl reload failed"
rc=0; session alice biogatectl approve --kind withdrawal --amount 100.00 --currency USD >"$tmp/small" 2>&1 || rc=$?
[ "$rc" = 3 ] || { cat "$tmp/small"; fail "the reloaded policy does not refuse withdrawals (rc $rc)"; }
cat "$tmp/small"
[ "$(main_pid)" = "$pid" ] || fail "biogated restarted during the reload test (MainPID $pid -> $(main_pid)): the proof needs one process"
# A policy that does not parse fails the reload, with its line, and the
# last good one stays in force.
printf '[rule broken]\nkind=withdrawal\nrequire=maybe\n' | ns tee /etc/biogate/policy.d/40-broken.conf >/dev/null
ns systemctl reload biogated.service 2>"$tmp/reload" && fail "systemctl reload accepted a broken policy"
cat "$tmp/reload"
ns journalctl -b -u biogated.service --no-pager -o cat | grep "40-broken.conf" ||
        fail "the failed reload does not name the broken file in the journal"
[ "$(ns systemctl is-active biogated.service)" = active ] || fail "a failed reload stopped biogated"
rc=0; session alice biogatectl approve --kind withdrawal --amount 100.00 --currency USD >"$tmp/small" 2>&1 || rc=$?
[ "$rc" = 3 ] || { cat "$tmp/small"; fail "the last good policy is not in force after a failed reload (rc $rc)"; }
ns rm /etc/biogate/policy.d/40-broken.conf /etc/biogate/policy.d/50-site.conf
ns systemctl reload biogated.service || fail "systemctl reload failed"
[ "$(main_pid)" = "$pid" ] || fail "biogated restarted during the reload test"

# ---- idle exit, and back on the next call ----
step "biogated exits when idle ($idle s) and the next call starts it again"
wait_inactive
ns systemctl show biogated.service -p Result -p ExecMainStatus | tee "$tmp/result"
grep -qx Result=success "$tmp/result" && grep -qx ExecMainStatus=0 "$tmp/result" ||
        fail "the idle exit was not clean"
ns journalctl -b -u biogated.service --no-pager -o cat | grep -q "Idle for $idle s, exiting" ||
        fail "no idle exit in the journal"
session alice biogatectl verify >"$tmp/verify" 2>&1 &
verify=$!
touch_sensor alice
wait "$verify" || { cat "$tmp/verify"; fail "alice's verify after the idle exit failed"; }
[ "$(ns systemctl is-active biogated.service)" = active ] || fail "the call did not start biogated again"
new=$(main_pid)
[ "$new" != "$pid" ] && [ "$new" = "$(bus_owner_pid)" ] || fail "MainPID $new (was $pid) does not own org.biogate1"
echo "biogated.service MainPID $pid -> $new"

# ---- erase ----
step "alice erases her data"
session alice biogatectl erase --yes || fail "alice's erase failed"
[ "$(ns biogatectl --json list --user alice)" = '{"user":"alice","fingers":[]}' ] ||
        fail "alice's prints survived the erasure"
left=$(ns find /var/lib/biogate/prints /var/lib/biogate/keys -mindepth 1 -name "$(ns id -u alice)*")
[ -z "$left" ] || fail "files of alice's survived the erasure: $left"

# ---- the audit trail in the real journal ----
step "biogatectl audit verify reads the journal of this systemd"
ns journalctl --flush
ns biogatectl audit verify | tee "$tmp/audit" || fail "the audit trail does not verify"

# ---- systemd-analyze security of the running unit ----
step "systemd-analyze security biogated.service (the running system)"
ns systemd-analyze security --no-pager biogated.service | tee "$tmp/security" | grep -v "✓" || true
exposure=$(sed -n 's/.*Overall exposure level for biogated.service: \([0-9.]*\).*/\1/p' "$tmp/security")
[ -n "$exposure" ] || fail "no exposure level"
echo "exposure: $exposure"

# Nothing went wrong in the daemon along the way: no GLib criticals (a
# SIGTERM from systemd during the idle exit's tear-down once hit a freed
# main loop), and the idle exits were exits, not terminations.
if ns journalctl -b -u biogated.service --no-pager -o cat | grep -Ei "assertion|critical|Terminating on signal"; then
        fail "biogated logged a critical, or was terminated"
fi
step "all flows passed in ${SECONDS} s"
