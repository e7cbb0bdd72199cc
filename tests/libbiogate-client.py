#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""libbiogate from Python through GObject introspection: evaluate a
transaction, then authorize it with a touch of the virtual sensor. Run by
tests/test-libbiogate.c (/libbiogate/python) against the real daemon on a
private bus; prints "token <JWS>" for the C side to verify."""
import os
import socket
import sys

import gi
gi.require_version('Biogate', '1')
from gi.repository import Biogate, GLib  # noqa: E402

CHALLENGE = b'0123456789abcdef0123456789abcdef'


def touch(finger_id):
    # virtual_device: one command per connection; the driver closes when done.
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(os.environ['BIOGATE_TEST_VDEV'])
        s.sendall(b'SCAN ' + finger_id.encode())
        s.shutdown(socket.SHUT_WR)
        while s.recv(64):
            pass


def transaction(**fields):
    tx = {k: GLib.Variant('s', v) for k, v in fields.items()}
    tx['challenge'] = GLib.Variant('ay', CHALLENGE)
    return GLib.Variant('a{sv}', tx)


def main():
    client = Biogate.Client.new_sync(None)

    ok, rule, requirement, details = client.evaluate_sync(
        transaction(kind='withdrawal', amount='250000.00', currency='USD', payee='ACME Ltd',
                    reference='T-1001'), None)
    assert ok and rule == 'withdrawals' and requirement == 'fingerprint', (rule, requirement)
    print('evaluate', rule, requirement, details['text'])

    # A refusal arrives as Biogate.Error, not as a D-Bus string.
    try:
        client.evaluate_sync(transaction(kind='withdrawal', currency='XXQ'), None)
        raise AssertionError('an invalid currency was accepted')
    except GLib.Error as e:
        assert e.matches(Biogate.error_quark(), Biogate.Error.INVALID_TRANSACTION), (e.domain, e.code)
        print('error', e.domain, Biogate.Error(e.code).value_nick, e.message)

    # The management calls, through introspection too.
    assert client.get_api_version_sync(None) == 1
    devices = client.list_devices_sync(None).unpack()
    assert len(devices) == 1, devices
    try:
        client.delete_fingers_sync(None, ['sixth-finger'], None)
        raise AssertionError('an invalid finger was accepted')
    except GLib.Error as e:
        assert e.matches(Biogate.error_quark(), Biogate.Error.INVALID_FINGER), (e.domain, e.code)
    print('devices', len(devices))

    # The consent notice as the daemon serves it, in the reader's language.
    ok, version, language, text = client.get_consent_notice_sync('kk_KZ.UTF-8', None)
    assert ok and language == 'kk' and text.startswith('Notice-Version: ' + version), (version, language)
    assert 'Осы жұмыс станциясында саусақ ізін тіркеу' in text, text
    print('notice', version, language)

    op = client.authorize(transaction(kind='withdrawal', amount='250000.00', currency='USD',
                                      payee='ACME Ltd', reference='T-1001'), None, None)
    seen = []

    def on_progress(operation, status, details):
        seen.append(status)
        if status == 'finger-needed':
            touch('alice')

    op.connect('progress', on_progress)
    result = op.wait_sync(None)
    assert result == 'approved', result
    assert 'finger-needed' in seen, seen
    print('text', op.props.text)
    print('token', op.get_token())


if __name__ == '__main__':
    sys.exit(main())
