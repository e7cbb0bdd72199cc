// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A backend's check of a biogate step-up token in Java 17 with the JDK's
// own Ed25519 (java.security, no third-party library).
//
//     java examples/VerifyToken.java --jwks jwks.json [--challenge HEX] [--audience AUD] TOKEN
//
// Checks: the header (alg EdDSA, typ, a kid of the JWK set, nothing else),
// the Ed25519 signature over header.payload as received, exp (refused from
// exp on), iat (at most 60 s ahead), nbf if present, aud (refused unless --audience names it) is
// given, the nonce against the challenge when --challenge is given, and both
// digests recomputed from the token's transaction (tx_digest: SHA-256 of
// its RFC 8785 form; display_digest: SHA-256 of the approval text). The
// format is in docs/tokens.md. Prints the claims and exits 0 when valid;
// prints why and exits 1 when not; 2 on a usage error. The JDK has no JSON
// parser, so a small one for what tokens and JWK sets hold is at the end.

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

public class VerifyToken {
    static final String TYP = "biogate-stepup+jwt";
    static final long IAT_LEEWAY_S = 60;
    // DER SubjectPublicKeyInfo of an Ed25519 key (RFC 8410) up to the 32 key bytes.
    static final byte[] ED25519_SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");
    static final Set<String> BUILTIN_KINDS =
            Set.of("order", "withdrawal", "cash_conversion", "loan_issuance", "transfer");

    static class Invalid extends Exception {
        private static final long serialVersionUID = 1L;

        Invalid(String message) { super(message); }
    }

    public static void main(String[] args) throws Exception {
        String jwksPath = null, challengeHex = null, audience = null, token = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--jwks" -> jwksPath = args[++i];
                case "--challenge" -> challengeHex = args[++i];
                case "--audience" -> audience = args[++i];
                default -> token = args[i].strip();
            }
        }
        if (jwksPath == null || token == null) {
            System.err.println("usage: java VerifyToken.java --jwks FILE [--challenge HEX] [--audience AUD] TOKEN");
            System.exit(2);
        }
        Object jwks = new Json(Files.readString(Path.of(jwksPath))).parse();
        byte[] challenge = challengeHex == null ? null : HexFormat.of().parseHex(challengeHex);
        try {
            System.out.println(verify(token, jwks, challenge, audience, System.currentTimeMillis() / 1000));
            System.exit(0);
        } catch (Invalid e) {
            System.err.println("invalid token: " + e.getMessage());
            System.exit(1);
        }
    }

    @SuppressWarnings("unchecked")
    // The claims (the payload's JSON as signed) of a valid token.
    static String verify(String token, Object jwks, byte[] challenge, String audience, long now)
            throws Exception {
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3)
            throw new Invalid("format: not three parts");
        Base64.Decoder b64 = Base64.getUrlDecoder();
        Map<String, Object> header;
        try {
            header = (Map<String, Object>) new Json(new String(b64.decode(parts[0]), StandardCharsets.UTF_8)).parse();
        } catch (RuntimeException e) {
            throw new Invalid("format: the header is not base64url JSON");
        }
        if (!"EdDSA".equals(header.get("alg")) || !TYP.equals(header.get("typ"))
                || !header.keySet().equals(Set.of("alg", "kid", "typ")))
            throw new Invalid("format: unexpected header " + header);

        Map<String, Object> jwk = null;
        for (Object k : (List<Object>) ((Map<String, Object>) jwks).get("keys"))
            if (header.get("kid").equals(((Map<String, Object>) k).get("kid")))
                jwk = (Map<String, Object>) k;
        if (jwk == null)
            throw new Invalid("key: no key " + header.get("kid") + " in the JWK set");
        if (!"OKP".equals(jwk.get("kty")) || !"Ed25519".equals(jwk.get("crv"))
                || !"EdDSA".equals(jwk.getOrDefault("alg", "EdDSA")) || !"sig".equals(jwk.getOrDefault("use", "sig")))
            throw new Invalid("key: key " + header.get("kid") + " of the JWK set is not an Ed25519 signing key");
        byte[] x = b64.decode((String) jwk.get("x"));
        byte[] spki = new byte[ED25519_SPKI_PREFIX.length + x.length];
        System.arraycopy(ED25519_SPKI_PREFIX, 0, spki, 0, ED25519_SPKI_PREFIX.length);
        System.arraycopy(x, 0, spki, ED25519_SPKI_PREFIX.length, x.length);
        PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));

        Signature ed25519 = Signature.getInstance("Ed25519");
        ed25519.initVerify(key);
        ed25519.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
        boolean signed;
        try {
            signed = ed25519.verify(b64.decode(parts[2]));
        } catch (RuntimeException | java.security.SignatureException e) {
            signed = false;
        }
        if (!signed)
            throw new Invalid("signature: does not verify with key " + header.get("kid"));

        // Only now is the payload trusted enough to read.
        String payload = new String(b64.decode(parts[1]), StandardCharsets.UTF_8);
        Map<String, Object> claims = (Map<String, Object>) new Json(payload).parse();
        if (!(claims.get("exp") instanceof Long exp) || !(claims.get("iat") instanceof Long iat))
            throw new Invalid("format: no integer exp and iat");
        if (now >= exp)
            throw new Invalid("expiry: the token has expired");
        if (iat > now + IAT_LEEWAY_S)
            throw new Invalid("issued-at: the token was issued in the future");
        if (claims.containsKey("nbf") && !(claims.get("nbf") instanceof Long nbf && nbf <= now))
            throw new Invalid("not-before: the token is not valid yet");
        // RFC 7519 4.1.3: a token for named audiences is refused by a
        // verifier that is not one of them, or that does not say which it is.
        Object aud = claims.get("aud");
        if (audience != null) {
            if (!(audience.equals(aud) || (aud instanceof List<?> list && list.contains(audience))))
                throw new Invalid("audience: the token is for " + aud + ", not " + audience);
        } else if (aud != null) {
            throw new Invalid("audience: the token is for " + aud + "; name this backend with --audience");
        }
        Map<String, Object> tx = (Map<String, Object>) claims.get("tx");
        if (challenge != null) {
            String expected = Base64.getUrlEncoder().withoutPadding().encodeToString(challenge);
            if (!same(claims.get("nonce"), expected) || !same(tx.getOrDefault("challenge", expected), expected))
                throw new Invalid("nonce: the nonce does not match the challenge");
        }
        if (!same(claims.get("tx_digest"), sha256(canonical(tx))))
            throw new Invalid("digest: tx_digest does not match the transaction");
        if (!same(claims.get("display_digest"), sha256(approvalText(tx))))
            throw new Invalid("digest: display_digest does not match the approval text");
        return payload;
    }

    static boolean same(Object a, String b) {
        return a instanceof String s
                && MessageDigest.isEqual(s.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    static String sha256(String text) throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    }

    // RFC 8785 of an object of strings: members sorted by UTF-16 code units
    // (String's own order), only the escapes JSON requires.
    static String canonical(Map<String, Object> tx) {
        StringBuilder s = new StringBuilder("{");
        for (Map.Entry<String, Object> e : new TreeMap<>(tx).entrySet()) {
            if (s.length() > 1)
                s.append(',');
            s.append(jsonString(e.getKey())).append(':').append(jsonString((String) e.getValue()));
        }
        return s.append('}').toString();
    }

    static String jsonString(String v) {
        StringBuilder s = new StringBuilder("\"");
        for (char c : v.toCharArray()) {
            switch (c) {
                case '"' -> s.append("\\\"");
                case '\\' -> s.append("\\\\");
                case '\b' -> s.append("\\b");
                case '\f' -> s.append("\\f");
                case '\n' -> s.append("\\n");
                case '\r' -> s.append("\\r");
                case '\t' -> s.append("\\t");
                default -> s.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return s.append('"').toString();
    }

    static String quoted(Object v) {
        return "\"" + ((String) v).replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    // The daemon's rendering (common/biogate-tx.c, docs/tokens.md).
    static String approvalText(Map<String, Object> tx) {
        String kind = (String) tx.get("kind");
        StringBuilder s = new StringBuilder("Approve ");
        s.append(BUILTIN_KINDS.contains(kind) ? kind.replace('_', ' ').toUpperCase(Locale.ROOT)
                                              : "transaction of kind " + quoted(kind));
        if (tx.containsKey("amount") && tx.containsKey("currency")) {
            String[] amount = ((String) tx.get("amount")).split("\\.", 2);
            s.append(" of ").append(String.format(Locale.ROOT, "%,d", new BigInteger(amount[0])));
            if (amount.length == 2)
                s.append('.').append(amount[1]);
            s.append(' ').append(tx.get("currency"));
        }
        String[][] labels = { { "instrument", " for instrument " }, { "payee", " to payee " },
                              { "counterparty", " with counterparty " }, { "account", " from account " } };
        for (String[] l : labels)
            if (tx.containsKey(l[0]))
                s.append(l[1]).append(quoted(tx.get(l[0])));
        if (tx.containsKey("reference"))
            s.append(" (reference ").append(quoted(tx.get("reference"))).append(')');
        return s.append('?').toString();
    }

    // JSON (RFC 8259) to Map, List, String, Long, Double, Boolean and null.
    static final class Json {
        private final String s;
        private int i;

        Json(String s) { this.s = s; }

        Object parse() {
            Object v = value();
            space();
            if (i != s.length())
                throw new IllegalArgumentException("trailing data");
            return v;
        }

        private void space() {
            while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0)
                i++;
        }

        private void expect(char c) {
            space();
            if (i >= s.length() || s.charAt(i) != c)
                throw new IllegalArgumentException("expected " + c + " at " + i);
            i++;
        }

        private Object value() {
            space();
            char c = s.charAt(i);
            if (c == '{') {
                Map<String, Object> m = new LinkedHashMap<>();
                i++;
                space();
                if (s.charAt(i) == '}') { i++; return m; }
                do {
                    space();
                    String k = string();
                    expect(':');
                    if (m.put(k, value()) != null)
                        throw new IllegalArgumentException("duplicate member " + k);
                    space();
                } while (s.charAt(i++) == ',');
                if (s.charAt(i - 1) != '}')
                    throw new IllegalArgumentException("expected } at " + i);
                return m;
            }
            if (c == '[') {
                List<Object> l = new ArrayList<>();
                i++;
                space();
                if (s.charAt(i) == ']') { i++; return l; }
                do {
                    l.add(value());
                    space();
                } while (s.charAt(i++) == ',');
                if (s.charAt(i - 1) != ']')
                    throw new IllegalArgumentException("expected ] at " + i);
                return l;
            }
            if (c == '"')
                return string();
            for (String word : new String[] { "true", "false", "null" })
                if (s.startsWith(word, i)) {
                    i += word.length();
                    return word.equals("null") ? null : Boolean.valueOf(word);
                }
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0)
                i++;
            String n = s.substring(start, i);
            return n.matches("-?(0|[1-9][0-9]*)") ? (Object) Long.valueOf(n) : (Object) Double.valueOf(n);
        }

        private String string() {
            if (s.charAt(i++) != '"')
                throw new IllegalArgumentException("expected a string at " + i);
            StringBuilder b = new StringBuilder();
            for (char c; (c = s.charAt(i++)) != '"';) {
                if (c < 0x20)
                    throw new IllegalArgumentException("control character in a string");
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                char e = s.charAt(i++);
                switch (e) {
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> { b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; }
                    case '"', '\\', '/' -> b.append(e);
                    default -> throw new IllegalArgumentException("bad escape");
                }
            }
            return b.toString();
        }
    }
}
