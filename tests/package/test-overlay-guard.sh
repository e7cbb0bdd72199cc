#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# install-purge runs dpkg, pam-auth-update and the maintainer scripts as
# root on overlays of /usr, /etc and /var. Should an overlay not be there,
# it must stop before dpkg: never install into (and then purge from, and
# remove fprintd from) the host's own files.
#   test-overlay-guard.sh CHECK_PACKAGE
# Runs CHECK_PACKAGE install-purge-inside in a private mount namespace
# where `mount -t overlay` fails (then: where it says it succeeded but
# mounted nothing), with a dpkg and a pam-auth-update that only note that
# they ran. Mounts nothing outside that namespace.
set -euo pipefail

check=$1
[ "$(id -u)" = 0 ] || { echo "needs root (mounts in a private mount namespace)"; exit 77; }
fail=0
problem() {
        echo "FAIL: $*" >&2
        fail=1
}

# Not under /tmp or /run: the script mounts a tmpfs on each, which would
# hide the stand-ins and let the real dpkg be found instead.
dir=$(mktemp -d /dev/shm/biogate-guard.XXXXXX)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/bin" "$dir/src" "$dir/root"
real_mount=$(command -v mount)
for tool in dpkg pam-auth-update; do
        printf '#!/bin/sh\necho "%s $*" >>"%s/ran"\nexit 1\n' "$tool" "$dir" >"$dir/bin/$tool"
done
cat >"$dir/bin/mount" <<SHIM
#!/bin/sh
for arg; do
        if [ "\$arg" = overlay ]; then
                [ "\$BIOGATE_GUARD_OVERLAY" = noop ] && exit 0
                echo "mount: overlay refused (test-overlay-guard)" >&2
                exit 32
        fi
done
exec "$real_mount" "\$@"
SHIM
chmod 0755 "$dir"/bin/*

for mode in fail noop; do
        rm -f "$dir/ran"
        rc=0
        BIOGATE_GUARD_OVERLAY=$mode PATH="$dir/bin:$PATH" unshare -m --propagation private \
                bash "$check" install-purge-inside "$dir/src" /bin/false "$dir/root" >"$dir/out" 2>&1 || rc=$?
        if [ -e "$dir/ran" ]; then
                cat "$dir/out" >&2
                problem "overlay mount $mode: ran $(tr '\n' ';' <"$dir/ran") without the overlays, on the host's files"
        fi
        [ "$rc" != 0 ] || problem "overlay mount $mode: install-purge-inside succeeded without the overlays"
        grep -q 'overlay' "$dir/out" || { cat "$dir/out" >&2; problem "overlay mount $mode: the failure does not name the overlay"; }
done
exit $fail
