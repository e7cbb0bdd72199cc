#!/bin/sh
# pam_biogate.so must export exactly the two PAM entry points it implements:
# anything else would leak internals into gdm, sshd and sudo.
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
