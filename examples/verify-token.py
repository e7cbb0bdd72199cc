#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A backend's check of a biogate step-up token, with PyJWT (python3-jwt).

    verify-token.py --jwks jwks.json [--challenge HEX] [--audience AUD] [--once-db LEDGER] TOKEN

jwks.json is the daemon's public key set (`biogatectl keys export`, or the
StepUp.GetPublicKeys call). Checks: the header (alg EdDSA, typ, a kid of
the set, nothing else), the Ed25519 signature, exp (refused from exp on),
iat (at most 60 s ahead), nbf if present, aud (it must name --audience; a token
with an aud is refused without --audience),
the nonce against the challenge when --challenge is given, and both
digests recomputed from the token's transaction: tx_digest (SHA-256 of its
RFC 8785 form) and display_digest (SHA-256 of the approval text the daemon
showed); with --once-db LEDGER, that the token was not accepted before
(libbiogate's ledger, through python3-gi). The format is in docs/tokens.md.
Prints the claims (JSON) and exits 0 when valid; prints why and exits 1
when not; 2 on a usage error.
"""
import argparse
import base64
import hashlib
import hmac
import json
import sys
import time

import jwt

TYP = 'biogate-stepup+jwt'
IAT_LEEWAY_S = 60
BUILTIN_KINDS = ('order', 'withdrawal', 'cash_conversion', 'loan_issuance', 'transfer')
# The order of the parts of the approval text (common/biogate-tx.c).
TEXT_FIELDS = (('instrument', ' for instrument '), ('payee', ' to payee '),
               ('counterparty', ' with counterparty '), ('account', ' from account '))


class Invalid(Exception):
    pass


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def quoted(value):
    return '"' + value.replace('\\', '\\\\').replace('"', '\\"') + '"'


def grouped(amount):
    integer, dot, fraction = amount.partition('.')
    return f'{int(integer):,}' + dot + fraction


def approval_text(tx):
    kind = tx['kind']
    text = 'Approve ' + (kind.replace('_', ' ').upper() if kind in BUILTIN_KINDS
                         else 'transaction of kind ' + quoted(kind))
    if 'amount' in tx and 'currency' in tx:
        text += f" of {grouped(tx['amount'])} {tx['currency']}"
    for field, label in TEXT_FIELDS:
        if field in tx:
            text += label + quoted(tx[field])
    if 'reference' in tx:
        text += ' (reference ' + quoted(tx['reference']) + ')'
    return text + '?'


def canonical(tx):
    # RFC 8785 for an object of strings: keys sorted (all ASCII), no
    # whitespace, only the escapes JSON requires.
    return json.dumps(tx, sort_keys=True, separators=(',', ':'), ensure_ascii=False)


def sha256_b64url(text):
    return b64url(hashlib.sha256(text.encode()).digest())


def same(a, b):
    return isinstance(a, str) and hmac.compare_digest(a.encode(), b.encode())


def verify(token, jwks, challenge, audience, now):
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as e:
        raise Invalid(f'format: {e}')
    if header.get('alg') != 'EdDSA' or header.get('typ') != TYP or set(header) != {'alg', 'kid', 'typ'}:
        raise Invalid(f'format: unexpected header {header}')
    keys = [k for k in jwks.get('keys', []) if k.get('kid') == header['kid']]
    if len(keys) != 1:
        raise Invalid(f"key: no key {header['kid']!r} in the JWK set")
    jwk = keys[0]
    kind = (jwk.get('kty'), jwk.get('crv'), jwk.get('alg', 'EdDSA'), jwk.get('use', 'sig'))
    if kind != ('OKP', 'Ed25519', 'EdDSA', 'sig'):
        raise Invalid(f"key: key {header['kid']!r} of the JWK set is not an Ed25519 signing key")
    key = jwt.PyJWK(jwk, algorithm='EdDSA').key
    try:
        # exp and nbf by PyJWT (no leeway); iat and aud below, by our rules.
        claims = jwt.decode(token, key, algorithms=['EdDSA'],
                            options={'require': ['exp', 'iat', 'jti', 'tx'], 'verify_iat': False,
                                     'verify_aud': False})
    except jwt.InvalidSignatureError as e:
        raise Invalid(f'signature: {e}')
    except jwt.ExpiredSignatureError as e:
        raise Invalid(f'expiry: {e}')
    except jwt.ImmatureSignatureError as e:
        raise Invalid(f'not-before: {e}')
    except jwt.PyJWTError as e:
        raise Invalid(f'format: {e}')
    if now >= claims['exp']:
        raise Invalid('expiry: the token has expired')
    if claims['iat'] > now + IAT_LEEWAY_S:
        raise Invalid('issued-at: the token was issued in the future')
    # RFC 7519 4.1.3: a token for named audiences is refused by a verifier
    # that is not one of them, or that does not say which it is.
    aud = claims.get('aud')
    if audience is not None:
        if not (aud == audience or (isinstance(aud, list) and audience in aud)):
            raise Invalid(f'audience: the token is for {aud!r}, not {audience!r}')
    elif aud is not None:
        raise Invalid(f'audience: the token is for {aud!r}; name this backend with --audience')
    if challenge is not None:
        expected = b64url(challenge)
        if not same(claims.get('nonce'), expected) or not same(claims['tx'].get('challenge', expected), expected):
            raise Invalid('nonce: the nonce does not match the challenge')
    if not same(claims.get('tx_digest'), sha256_b64url(canonical(claims['tx']))):
        raise Invalid('digest: tx_digest does not match the transaction')
    if not same(claims.get('display_digest'), sha256_b64url(approval_text(claims['tx']))):
        raise Invalid('digest: display_digest does not match the approval text')
    return claims


def use_once(ledger, claims):
    # libbiogate's ledger through its typelib (python3-gi): the file and
    # lock that `biogatectl token verify --once-db` uses, so both can share it.
    import gi
    gi.require_version('Biogate', '1')
    from gi.repository import Biogate, GLib
    try:
        Biogate.ledger_use(ledger, claims['jti'], claims['exp'])
    except GLib.Error as e:
        checks = {Biogate.LedgerError.REPLAYED: 'replay', Biogate.LedgerError.EXPIRED: 'expiry'}
        check = checks.get(e.code, 'ledger') if e.domain == 'biogate-ledger-error-quark' else 'ledger'
        raise Invalid(f'{check}: {e.message}')


def main():
    p = argparse.ArgumentParser(description='Check a biogate step-up token')
    p.add_argument('--jwks', required=True, help='the JWK set (JSON file)')
    p.add_argument('--challenge', help='the challenge the backend sent, hex')
    p.add_argument('--audience', help='this backend\'s audience; the token\'s aud must name it')
    p.add_argument('--once-db', metavar='LEDGER',
                   help='accept each token once: record its jti in this ledger, refuse it the second time')
    p.add_argument('token')
    args = p.parse_args()
    with open(args.jwks, encoding='utf-8') as f:
        jwks = json.load(f)
    challenge = bytes.fromhex(args.challenge) if args.challenge else None
    try:
        claims = verify(args.token.strip(), jwks, challenge, args.audience, int(time.time()))
    except Invalid as e:
        print(f'invalid token: {e}', file=sys.stderr)
        return 1
    if args.once_db:
        try:
            use_once(args.once_db, claims)
        except Invalid as e:
            print(f'invalid token: {e}', file=sys.stderr)
            return 1
    print(json.dumps(claims, indent=2, ensure_ascii=False))
    print('approval text: ' + approval_text(claims['tx']), file=sys.stderr)
    if 'fpt' not in claims.get('amr', []):
        print('warning: approved by policy without a touch (no "fpt" in amr)', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
