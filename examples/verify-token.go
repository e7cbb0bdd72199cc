// SPDX-License-Identifier: LGPL-2.1-or-later

// A backend's check of a biogate step-up token in Go with go-jose v2
// (Debian: golang-gopkg-square-go-jose.v2-dev), offline:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o verify-token examples/verify-token.go
//	./verify-token --jwks jwks.json [--challenge HEX] [--audience AUD] TOKEN
//
// Checks: the header (alg EdDSA, typ, a kid of the JWK set, nothing else),
// the Ed25519 signature, exp (refused from exp on), iat (at most 60 s
// ahead), nbf if present, aud (refused unless --audience names it), the nonce against
// the challenge when --challenge is given, and both digests recomputed from
// the token's transaction (tx_digest: SHA-256 of its RFC 8785 form;
// display_digest: SHA-256 of the approval text). The format is in
// docs/tokens.md. Prints the claims and exits 0 when valid; prints why and
// exits 1 when not; 2 on a usage error.
package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	jose "gopkg.in/square/go-jose.v2"
)

const (
	tokenType  = "biogate-stepup+jwt"
	iatLeewayS = 60
)

var builtinKinds = map[string]bool{"order": true, "withdrawal": true, "cash_conversion": true, "loan_issuance": true, "transfer": true}

type claimSet struct {
	Exp           *int64            `json:"exp"`
	Iat           *int64            `json:"iat"`
	Nbf           *int64            `json:"nbf"`
	Aud           interface{}       `json:"aud"`
	Nonce         string            `json:"nonce"`
	Tx            map[string]string `json:"tx"`
	TxDigest      string            `json:"tx_digest"`
	DisplayDigest string            `json:"display_digest"`
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func same(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func sha256b64(text string) string {
	d := sha256.Sum256([]byte(text))
	return b64url(d[:])
}

// RFC 8785 of an object of strings: members sorted (UTF-16 order; the keys
// are ASCII), only the escapes JSON requires.
func jsonString(v string) string {
	var s strings.Builder
	s.WriteByte('"')
	for _, r := range v {
		switch {
		case r == '"' || r == '\\':
			s.WriteByte('\\')
			s.WriteRune(r)
		case r == '\b':
			s.WriteString(`\b`)
		case r == '\f':
			s.WriteString(`\f`)
		case r == '\n':
			s.WriteString(`\n`)
		case r == '\r':
			s.WriteString(`\r`)
		case r == '\t':
			s.WriteString(`\t`)
		case r < 0x20:
			fmt.Fprintf(&s, `\u%04x`, r)
		default:
			s.WriteRune(r)
		}
	}
	s.WriteByte('"')
	return s.String()
}

func canonical(tx map[string]string) string {
	keys := make([]string, 0, len(tx))
	for k := range tx {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = jsonString(k) + ":" + jsonString(tx[k])
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func quoted(v string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(v, `\`, `\\`), `"`, `\"`) + `"`
}

func grouped(amount string) string {
	integer, fraction, hasFraction := strings.Cut(amount, ".")
	var s strings.Builder
	for i := range integer {
		if i > 0 && (len(integer)-i)%3 == 0 {
			s.WriteByte(',')
		}
		s.WriteByte(integer[i])
	}
	if hasFraction {
		s.WriteString("." + fraction)
	}
	return s.String()
}

// The daemon's rendering (common/biogate-tx.c, docs/tokens.md).
func approvalText(tx map[string]string) string {
	kind := tx["kind"]
	s := "Approve "
	if builtinKinds[kind] {
		s += strings.ToUpper(strings.ReplaceAll(kind, "_", " "))
	} else {
		s += "transaction of kind " + quoted(kind)
	}
	if amount, ok := tx["amount"]; ok {
		if currency, ok := tx["currency"]; ok {
			s += " of " + grouped(amount) + " " + currency
		}
	}
	for _, l := range [][2]string{{"instrument", " for instrument "}, {"payee", " to payee "},
		{"counterparty", " with counterparty "}, {"account", " from account "}} {
		if v, ok := tx[l[0]]; ok {
			s += l[1] + quoted(v)
		}
	}
	if v, ok := tx["reference"]; ok {
		s += " (reference " + quoted(v) + ")"
	}
	return s + "?"
}

func verify(token string, jwks *jose.JSONWebKeySet, challenge []byte, audience string, now int64) ([]byte, error) {
	headerPart, _, _ := strings.Cut(token, ".")
	headerJSON, err := base64.RawURLEncoding.DecodeString(headerPart)
	var header map[string]interface{}
	if err != nil || json.Unmarshal(headerJSON, &header) != nil {
		return nil, fmt.Errorf("format: the header is not base64url JSON")
	}
	if len(header) != 3 || header["alg"] != "EdDSA" || header["typ"] != tokenType {
		return nil, fmt.Errorf("format: unexpected header %s", headerJSON)
	}
	jws, err := jose.ParseSigned(token)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, fmt.Errorf("format: %v", err)
	}
	kid := jws.Signatures[0].Header.KeyID
	keys := jwks.Key(kid)
	if len(keys) != 1 {
		return nil, fmt.Errorf("key: no key %q in the JWK set", kid)
	}
	if _, ok := keys[0].Key.(ed25519.PublicKey); !ok || (keys[0].Algorithm != "" && keys[0].Algorithm != "EdDSA") {
		return nil, fmt.Errorf("key: key %q of the JWK set is not an Ed25519 signing key", kid)
	}
	payload, err := jws.Verify(keys[0].Key)
	if err != nil {
		return nil, fmt.Errorf("signature: %v", err)
	}

	var c claimSet
	if err := json.Unmarshal(payload, &c); err != nil || c.Exp == nil || c.Iat == nil || c.Tx == nil {
		return nil, fmt.Errorf("format: no integer exp and iat or no tx")
	}
	if now >= *c.Exp {
		return nil, fmt.Errorf("expiry: the token has expired")
	}
	if *c.Iat > now+iatLeewayS {
		return nil, fmt.Errorf("issued-at: the token was issued in the future")
	}
	if c.Nbf != nil && *c.Nbf > now {
		return nil, fmt.Errorf("not-before: the token is not valid yet")
	}
	// RFC 7519 4.1.3: a token for named audiences is refused by a verifier
	// that is not one of them, or that does not say which it is.
	if audience != "" && !audienceNames(c.Aud, audience) {
		return nil, fmt.Errorf("audience: the token is for %v, not %q", c.Aud, audience)
	}
	if audience == "" && c.Aud != nil {
		return nil, fmt.Errorf("audience: the token is for %v; name this backend with --audience", c.Aud)
	}
	if challenge != nil {
		expected := b64url(challenge)
		txChallenge, ok := c.Tx["challenge"]
		if !same(c.Nonce, expected) || (ok && !same(txChallenge, expected)) {
			return nil, fmt.Errorf("nonce: the nonce does not match the challenge")
		}
	}
	if !same(c.TxDigest, sha256b64(canonical(c.Tx))) {
		return nil, fmt.Errorf("digest: tx_digest does not match the transaction")
	}
	if !same(c.DisplayDigest, sha256b64(approvalText(c.Tx))) {
		return nil, fmt.Errorf("digest: display_digest does not match the approval text")
	}
	return payload, nil
}

func audienceNames(aud interface{}, audience string) bool {
	switch a := aud.(type) {
	case string:
		return a == audience
	case []interface{}:
		for _, v := range a {
			if v == audience {
				return true
			}
		}
	}
	return false
}

func main() {
	jwksPath := flag.String("jwks", "", "the JWK set (JSON file)")
	challengeHex := flag.String("challenge", "", "the challenge the backend sent, hex")
	audience := flag.String("audience", "", "this backend's audience; the token's aud must name it")
	flag.Parse()
	if *jwksPath == "" || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: verify-token --jwks FILE [--challenge HEX] [--audience AUD] TOKEN")
		os.Exit(2)
	}
	var jwks jose.JSONWebKeySet
	data, err := os.ReadFile(*jwksPath)
	if err == nil {
		err = json.Unmarshal(data, &jwks)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot read the JWK set:", err)
		os.Exit(2)
	}
	var challenge []byte
	if *challengeHex != "" {
		if challenge, err = hex.DecodeString(*challengeHex); err != nil {
			fmt.Fprintln(os.Stderr, "--challenge is not hex")
			os.Exit(2)
		}
	}
	payload, err := verify(strings.TrimSpace(flag.Arg(0)), &jwks, challenge, *audience, time.Now().Unix())
	if err != nil {
		fmt.Fprintln(os.Stderr, "invalid token:", err)
		os.Exit(1)
	}
	fmt.Println(string(payload))
}
