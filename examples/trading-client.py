#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A trading application's step-up, through libbiogate's introspection data.

Asks biogated what its policy requires for a withdrawal (Evaluate), then
asks for the approval (Authorize): progress goes to standard error, the
text to approve is the daemon's, Ctrl-C cancels the operation in the
daemon, and the token (a JWS) goes to standard output for the backend,
which checks it (verify-token.py, VerifyToken.java, verify-token.go).

    /usr/bin/python3 examples/trading-client.py --challenge HEX \
        --amount 250000.00 --currency USD --payee 'ACME Ltd' --reference T-1001

Needs python3-gi and libbiogate's typelib (Biogate-1); from a build tree:
GI_TYPELIB_PATH=build/libbiogate LD_LIBRARY_PATH=build/libbiogate.
The challenge (16 to 64 bytes, hex) comes from the backend, which later
finds it as the token's nonce. Exit status: 0 approved, 1 anything else.
"""
import argparse
import signal
import sys

import gi
gi.require_version('Biogate', '1')
from gi.repository import Biogate, Gio, GLib  # noqa: E402


def main():
    p = argparse.ArgumentParser(description='Approve a withdrawal with a fingerprint')
    p.add_argument('--challenge', required=True, help='the backend\'s challenge, hex')
    for field in ('kind', 'amount', 'currency', 'payee', 'reference'):
        p.add_argument('--' + field, default='withdrawal' if field == 'kind' else None)
    args = p.parse_args()

    fields = {k: GLib.Variant('s', v) for k, v in vars(args).items() if v and k != 'challenge'}
    fields['challenge'] = GLib.Variant('ay', bytes.fromhex(args.challenge))
    tx = GLib.Variant('a{sv}', fields)

    client = Biogate.Client.new_sync(None)
    _, rule, requirement, details = client.evaluate_sync(tx, None)
    print(f'policy: rule {rule} requires {requirement}', file=sys.stderr)

    cancellable = Gio.Cancellable()
    # wait_sync() iterates the main context, so the handler runs during it.
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, lambda: cancellable.cancel() or True)
    op = client.authorize(tx, None, cancellable)
    op.connect('progress', lambda op, status, details: print(
        f'progress: {status}' + (f': {op.props.text}' if status == 'finger-needed' else ''),
        file=sys.stderr, flush=True))
    try:
        result = op.wait_sync(None)
    except GLib.Error as e:
        print(f'error: {e.message}', file=sys.stderr)
        return 1
    print(f'result: {result}', file=sys.stderr)
    if result != 'approved':
        return 1
    print(op.get_token())
    return 0


if __name__ == '__main__':
    sys.exit(main())
