#!/bin/sh
# pam_biogate.so must export exactly the two PAM entry points it implements:
# anything else would leak internals into gdm, sshd and sudo. Checked
# below: it needs no GLib and no ICU.
set -eu
module=$1
exported=$(nm -D --defined-only "$module" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort | tr '\n' ' ')
expected="pam_sm_authenticate pam_sm_setcred "
if [ "$exported" != "$expected" ]; then
        echo "exported: $exported"
        echo "expected: $expected"
        exit 1
fi
echo "exports: $exported"

# The module runs inside gdm, sshd and sudo: it links neither GLib nor ICU
# (the transaction text checks live in the daemon's step-up library).
needed=$(readelf -d "$module" | awk '/\(NEEDED\)/ {print $5}' | tr -d '[]' | tr '\n' ' ')
case "$needed" in
*libicu* | *libglib* | *libgio* | *libgobject*)
        echo "pam_biogate.so must not link GLib or ICU; it needs: $needed"
        exit 1
        ;;
esac
echo "needs: $needed"
