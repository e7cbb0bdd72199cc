/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* examples/ against the real daemon: the Python trading client gets a token
 * with a touch of the virtual sensor (and Ctrl-C cancels it), and each
 * backend example (Python with PyJWT, Java 17 with the JDK's Ed25519, Go
 * with go-jose) accepts that token and prints its claims, and refuses it
 * with a payload changed under the same signature, signed by another key,
 * or for another challenge, and accepts tokens for transactions of every
 * shape the approval text has; the Python one, with libbiogate's ledger,
 * accepts it only once. These are the "any backend can verify" proof
 * of docs/tokens.md. */
#include <signal.h>
#include <sodium.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "biogate-token.h"
#include "biogate-tx.h"
#include "daemon-fixture.h"

/* A touch for every withdrawal; nothing else is approved. */
static const char policy[] =
        "[rule cash-out]\n"
        "kind=withdrawal\n"
        "require=fingerprint\n"
        "\n"
        "[default]\n"
        "require=deny\n";

/* The backend's challenge, hex, as the examples take it. */
static const char challenge_hex[] = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf";
static const char other_challenge_hex[] = "00000000000000000000000000000000";
static const char approval_text[] =
        "Approve WITHDRAWAL of 250,000.00 USD to payee \"ACME Ltd\" (reference \"T-1001\")?";

static void setup(Fixture *f, gconstpointer data) {
        fixture_prepare(f, NULL);
        fixture_start_daemon_with_policy(f, policy, NULL);
        enroll(f, "", "right-index-finger", "alice");
}

static GSubprocessLauncher *client_launcher(Fixture *f) {
        GSubprocessLauncher *launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                   G_SUBPROCESS_FLAGS_STDERR_PIPE);
        const char *preload = g_getenv("BIOGATE_TEST_PYTHON_PRELOAD");

        g_subprocess_launcher_setenv(launcher, "DBUS_SYSTEM_BUS_ADDRESS", btf_bus_get_address(f->bus), TRUE);
        g_subprocess_launcher_setenv(launcher, "GI_TYPELIB_PATH", LIBBIOGATE_BUILD_DIR, TRUE);
        g_subprocess_launcher_setenv(launcher, "LD_LIBRARY_PATH", LIBBIOGATE_BUILD_DIR, TRUE);
        /* The interpreter's own allocations are not ours. */
        g_subprocess_launcher_setenv(launcher, "ASAN_OPTIONS", "detect_leaks=0", TRUE);
        if (preload && *preload)
                g_subprocess_launcher_setenv(launcher, "LD_PRELOAD", preload, TRUE);
        return launcher;
}

/* Runs examples/trading-client.py; at its "progress: finger-needed" line
 * either touches the sensor with alice's finger or sends it SIGINT (the
 * Ctrl-C of a person). Returns its exit status; its standard output (the
 * token) and error go to the out parameters. */
static int run_client(Fixture *f, gboolean interrupt, char **ret_out, char **ret_err) {
        g_autoptr(GSubprocessLauncher) launcher = client_launcher(f);
        g_autoptr(GSubprocess) proc = NULL;
        g_autoptr(GDataInputStream) err_lines = NULL;
        g_autoptr(GString) err = g_string_new(NULL);
        g_autoptr(GError) error = NULL;
        g_autofree char *out = NULL;
        gboolean acted = FALSE;
        char *line;

        proc = g_subprocess_launcher_spawn(launcher, &error, "/usr/bin/python3", EXAMPLES_DIR "/trading-client.py",
                                           "--challenge", challenge_hex, "--amount", "250000.00", "--currency",
                                           "USD", "--payee", "ACME Ltd", "--reference", "T-1001", NULL);
        g_assert_no_error(error);
        err_lines = g_data_input_stream_new(g_subprocess_get_stderr_pipe(proc));
        /* Blocking reads: the client and the daemon are other processes,
         * and the line comes when the daemon waits for the finger. */
        while ((line = g_data_input_stream_read_line_utf8(err_lines, NULL, NULL, &error))) {
                g_string_append_printf(err, "%s\n", line);
                if (!acted && g_str_has_prefix(line, "progress: finger-needed")) {
                        acted = TRUE;
                        if (interrupt)
                                g_subprocess_send_signal(proc, SIGINT);
                        else
                                touch(f, "alice");
                }
                g_free(line);
        }
        g_assert_no_error(error);
        /* The token is about 1 KiB, well within a pipe's buffer. */
        g_assert_true(g_subprocess_communicate_utf8(proc, NULL, NULL, &out, NULL, &error));
        g_assert_no_error(error);
        g_assert_true(g_subprocess_wait(proc, NULL, &error));
        g_assert_no_error(error);
        if (!acted)
                g_error("the client never asked for the finger:\n%s", err->str);
        *ret_out = g_steal_pointer(&out);
        *ret_err = g_string_free(g_steal_pointer(&err), FALSE);
        return g_subprocess_get_if_exited(proc) ? g_subprocess_get_exit_status(proc) : -1;
}

static JsonObject *parse_object(const char *text, gssize len) {
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(GError) error = NULL;

        g_assert_true(json_parser_load_from_data(parser, text, len, &error));
        g_assert_no_error(error);
        g_assert_true(JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)));
        return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

/* The token's claims, decoded here without any check. */
static JsonObject *token_claims(const char *token) {
        g_auto(GStrv) parts = g_strsplit(token, ".", -1);
        g_autoptr(GBytes) payload = NULL;
        gsize len;
        const char *data;

        g_assert_cmpuint(g_strv_length(parts), ==, 3);
        payload = biogate_base64url_decode(parts[1], NULL);
        g_assert_nonnull(payload);
        data = g_bytes_get_data(payload, &len);
        return parse_object(data, (gssize) len);
}

/* The same header and signature around a payload where the payee reads
 * "EVIL Ltd": what a man in the middle would send. */
static char *token_with_changed_payload(const char *token) {
        g_auto(GStrv) parts = g_strsplit(token, ".", -1);
        g_autoptr(GBytes) payload = biogate_base64url_decode(parts[1], NULL);
        g_autofree char *text = g_strndup(g_bytes_get_data(payload, NULL), g_bytes_get_size(payload));
        char *payee = strstr(text, "ACME Ltd");
        g_autofree char *encoded = NULL;

        g_assert_nonnull(payee);
        memcpy(payee, "EVIL", 4);
        encoded = biogate_base64url_encode((const guint8 *) text, strlen(text));
        return g_strjoin(".", parts[0], encoded, parts[2], NULL);
}

/* The same header (the daemon's kid) and payload, signed by another key. */
static char *token_signed_by_other_key(const char *token) {
        const char *last_dot = strrchr(token, '.');
        guint8 pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES], signature[crypto_sign_BYTES];
        g_autofree char *encoded = NULL;

        g_assert_cmpint(sodium_init(), >=, 0);
        crypto_sign_keypair(pk, sk);
        crypto_sign_detached(signature, NULL, (const guint8 *) token, (unsigned long long) (last_dot - token), sk);
        sodium_memzero(sk, sizeof sk);
        encoded = biogate_base64url_encode(signature, sizeof signature);
        return g_strdup_printf("%.*s.%s", (int) (last_dot - token), token, encoded);
}

typedef struct Verifier {
        const char *name;
        char **argv_prefix; /* the command up to its options */
} Verifier;

/* Runs one verifier; returns its exit status and, for 0, its claims. */
/* audience: passed as --audience, or NULL. */
static int run_verifier_for(const Verifier *v, const char *jwks_path, const char *challenge, const char *audience,
                            const char *token, JsonObject **ret_claims, char **ret_err) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_autoptr(GError) error = NULL;
        g_autofree char *out = NULL;
        int status = 0;

        for (char **a = v->argv_prefix; *a; a++)
                g_ptr_array_add(argv, *a);
        g_ptr_array_add(argv, (char *) "--jwks");
        g_ptr_array_add(argv, (char *) jwks_path);
        g_ptr_array_add(argv, (char *) "--challenge");
        g_ptr_array_add(argv, (char *) challenge);
        if (audience) {
                g_ptr_array_add(argv, (char *) "--audience");
                g_ptr_array_add(argv, (char *) audience);
        }
        g_ptr_array_add(argv, (char *) token);
        g_ptr_array_add(argv, NULL);
        g_assert_true(btf_run((const char *const *) argv->pdata, NULL, &out, ret_err, &status, &error));
        g_assert_no_error(error);
        g_assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 0 && ret_claims)
                *ret_claims = parse_object(out, -1);
        return WEXITSTATUS(status);
}

static int run_verifier(const Verifier *v, const char *jwks_path, const char *challenge, const char *token,
                        JsonObject **ret_claims, char **ret_err) {
        return run_verifier_for(v, jwks_path, challenge, NULL, token, ret_claims, ret_err);
}

static gboolean have(const char *path) {
        return g_file_test(path, G_FILE_TEST_IS_EXECUTABLE | G_FILE_TEST_IS_REGULAR) ||
               g_file_test(path, G_FILE_TEST_IS_DIR);
}

static gboolean python_has_pyjwt(void) {
        int status = 0;

        return btf_run((const char *[]) { "/usr/bin/python3", "-c", "import jwt, cryptography", NULL }, NULL, NULL,
                       NULL, &status, NULL) &&
               WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Compiles a verifier once (javac, go build), so that each of the token's
 * cases below costs a process start, not a compilation. */
/* A cold Go build or javac on a loaded machine (CI's sanitizer run, two
 * tests at a time) can pass the default 20 s deadline: builds get two
 * minutes, within the test's own time-out. */
#define BUILD_TIMEOUT_MS 120000

static void build(const char *const *argv, const char *const *env, const char *what) {
        g_autoptr(GError) error = NULL;
        BtfProc *proc = btf_spawn_async(argv, env, &error);
        gint64 t0 = g_get_monotonic_time();
        int status = 0;

        g_assert_no_error(error);
        if (!btf_proc_wait(proc, BUILD_TIMEOUT_MS, &status, &error))
                g_error("building the %s example did not end: %s", what, error->message);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                g_error("building the %s example failed:\n%s", what, btf_proc_get_stderr(proc));
        btf_proc_free(proc);
        g_test_message("%s: built in %" G_GINT64_FORMAT " ms", what, (g_get_monotonic_time() - t0) / 1000);
}

static int run_once(Fixture *f, const char *const *argv, char **ret_err) {
        g_autofree char *typelib_env = g_strdup_printf("GI_TYPELIB_PATH=%s", LIBBIOGATE_BUILD_DIR);
        g_autofree char *ld_env = g_strdup_printf("LD_LIBRARY_PATH=%s", LIBBIOGATE_BUILD_DIR);
        g_autofree char *preload_env = NULL;
        g_autoptr(GError) error = NULL;
        const char *preload = g_getenv("BIOGATE_TEST_PYTHON_PRELOAD");
        int status = 0;

        if (preload && *preload)
                preload_env = g_strdup_printf("LD_PRELOAD=%s", preload);
        g_assert_true(btf_run(argv, (const char *[]) { typelib_env, ld_env, "ASAN_OPTIONS=detect_leaks=0", preload_env,
                                                       NULL },
                              NULL, ret_err, &status, &error));
        g_assert_no_error(error);
        g_assert_true(WIFEXITED(status));
        return WEXITSTATUS(status);
}

/* One-time use: the Python example records the jti with libbiogate's
 * ledger (Biogate.ledger_use through the typelib) and refuses the token the
 * second time; biogatectl's --once-db (and its old name --once) reads the
 * same ledger and refuses it too. */
static void check_once(Fixture *f, const char *jwks_path, const char *token) {
        g_autofree char *ledger = g_build_filename(f->tmp, "ledger", NULL);
        const char *python[] = { "/usr/bin/python3", EXAMPLES_DIR "/verify-token.py", "--jwks", jwks_path,
                                 "--once-db", ledger, token, NULL };
        g_autofree char *err = NULL;

        if (run_once(f, python, &err) != 0)
                g_error("the first use of the token was refused: %s", err);
        g_clear_pointer(&err, g_free);
        g_assert_cmpint(run_once(f, python, &err), ==, 1);
        g_assert_nonnull(strstr(err, "invalid token: replay: "));
        g_assert_nonnull(strstr(err, "was accepted before"));
        for (const char *const *option = (const char *[]) { "--once-db", "--once", NULL }; *option; option++) {
                g_clear_pointer(&err, g_free);
                g_assert_cmpint(run_once(f,
                                         (const char *[]) { BIOGATECTL_PATH, "token", "verify", "--jwks", jwks_path,
                                                            *option, ledger, token, NULL },
                                         &err),
                                ==, 1);
                g_assert_nonnull(strstr(err, "already used"));
        }

        /* A ledger whose clock has passed the token's exp (another token,
         * checked by a process whose clock is ahead) refuses it as expired,
         * in both, though the caller's clock says it is still valid. */
        {
                g_autoptr(JsonObject) claims = token_claims(token);
                g_autofree char *ahead = g_build_filename(f->tmp, "ledger-ahead", NULL);
                g_autofree char *text = g_strdup_printf("now %" G_GINT64_FORMAT "\n",
                                                        json_object_get_int_member(claims, "exp") + 5);
                const char *python_ahead[] = { "/usr/bin/python3", EXAMPLES_DIR "/verify-token.py", "--jwks",
                                               jwks_path, "--once-db", ahead, token, NULL };

                g_assert_true(g_file_set_contents_full(ahead, text, -1, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
                g_clear_pointer(&err, g_free);
                g_assert_cmpint(run_once(f,
                                         (const char *[]) { BIOGATECTL_PATH, "token", "verify", "--jwks", jwks_path,
                                                            "--once-db", ahead, token, NULL },
                                         &err),
                                ==, 1);
                g_assert_nonnull(strstr(err, "invalid token: expired: "));
                g_clear_pointer(&err, g_free);
                g_assert_cmpint(run_once(f, python_ahead, &err), ==, 1);
                g_assert_nonnull(strstr(err, "invalid token: expiry: "));
        }
}

/* Transactions of other shapes than the daemon's token above: a kind a
 * site defines, currencies with 0 and 3 minor digits, every text field,
 * Cyrillic, no amount. Each is signed here the way the daemon signs
 * (biogate_token_sign(), the claims of approve() in biogated-authorize.c),
 * with display_digest from biogate_tx_render_text(), so a verifier whose
 * rendering or canonical form differs from the daemon's in any rule
 * refuses one of them. */
static const char *const shapes[][7] = {
        /* kind, amount, currency, payee, instrument, counterparty + account, reference */
        { "fx_swap", "5", "JPY", "Tokyo FX", NULL, NULL, NULL },
        { "cash_conversion", "1234567.5", "BHD", NULL, "EURUSD", "Bank AG", "R-9" },
        { "order", NULL, NULL, NULL, "AAPL", NULL, NULL },
        { "transfer", "0.01", "EUR", "Иван Петров", NULL, NULL, "Счёт 17" },
        { "loan_issuance", "1000000000", "USD", "ACME Ltd", NULL, NULL, NULL },
};

/* audience: the aud claim ([stepup] audience=), or NULL for none. */
static char *sign_shape(const char *const shape[7], const guint8 *pk, const guint8 *sk, GBytes *challenge,
                        const char *audience) {
        g_autoptr(JsonObject) claims = json_object_new();
        g_autoptr(JsonArray) amr = json_array_new();
        g_autoptr(GVariant) dict = NULL;
        g_autoptr(BiogateTx) tx = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *text = NULL, *jti = NULL, *nonce = NULL, *digest = NULL, *shown = NULL;
        static const char *const keys[] = { "kind", "amount", "currency", "payee", "instrument", NULL, "reference" };
        guint8 text_digest[32];
        gsize len = sizeof text_digest;
        GChecksum *sha256 = g_checksum_new(G_CHECKSUM_SHA256);
        gint64 now = g_get_real_time() / G_USEC_PER_SEC;
        GVariantBuilder b;
        char *token;

        g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
        for (size_t i = 0; i < 7; i++) {
                if (!shape[i])
                        continue;
                if (keys[i])
                        g_variant_builder_add(&b, "{sv}", keys[i], g_variant_new_string(shape[i]));
                else {
                        g_variant_builder_add(&b, "{sv}", "counterparty", g_variant_new_string(shape[i]));
                        g_variant_builder_add(&b, "{sv}", "account", g_variant_new_string("DE89370400440532013000"));
                }
        }
        g_variant_builder_add(&b, "{sv}", "challenge",
                              g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, g_bytes_get_data(challenge, NULL),
                                                        g_bytes_get_size(challenge), 1));
        dict = g_variant_ref_sink(g_variant_builder_end(&b));
        tx = biogate_tx_from_variant(dict, &error);
        g_assert_no_error(error);

        text = biogate_tx_render_text(tx);
        g_checksum_update(sha256, (const guchar *) text, -1);
        g_checksum_get_digest(sha256, text_digest, &len);
        g_checksum_free(sha256);
        shown = biogate_base64url_encode(text_digest, len);
        digest = biogate_tx_digest_string(tx);
        jti = g_strdup_printf("shape-%s", shape[0]);
        nonce = biogate_base64url_encode(g_bytes_get_data(challenge, NULL), g_bytes_get_size(challenge));
        json_array_add_string_element(amr, "fpt");
        json_object_set_string_member(claims, "iss", "test");
        json_object_set_string_member(claims, "sub", "alice");
        json_object_set_int_member(claims, "uid", 1000);
        json_object_set_int_member(claims, "iat", now);
        json_object_set_int_member(claims, "exp", now + 120);
        json_object_set_string_member(claims, "jti", jti);
        json_object_set_string_member(claims, "nonce", nonce);
        json_object_set_member(claims, "tx", biogate_tx_to_json(tx));
        json_object_set_string_member(claims, "tx_digest", digest);
        json_object_set_string_member(claims, "display_digest", shown);
        json_object_set_array_member(claims, "amr", g_steal_pointer(&amr));
        json_object_set_string_member(claims, "rule", "shapes");
        json_object_set_array_member(claims, "approvers", json_array_new());
        if (audience)
                json_object_set_string_member(claims, "aud", audience);
        token = biogate_token_sign(sk, pk, claims, &error);
        g_assert_no_error(error);
        g_test_message("shape: %s", text);
        return token;
}

static void test_verifiers(Fixture *f, gconstpointer data) {
        g_autofree char *token_out = NULL, *client_err = NULL, *keys = NULL;
        g_autofree char *jwks_path = g_build_filename(f->tmp, "jwks.json", NULL);
        g_autofree char *java_dir = g_build_filename(f->tmp, "java", NULL);
        g_autofree char *go_binary = g_build_filename(f->tmp, "verify-token", NULL);
        g_autofree char *go_cache = g_strdup_printf("GOCACHE=%s/go-cache", f->tmp);
        g_autofree char *changed = NULL, *other_key = NULL, *shapes_jwks = NULL;
        g_autofree char *shapes_jwks_path = g_build_filename(f->tmp, "shapes-jwks.json", NULL);
        g_autoptr(GBytes) challenge = NULL;
        guint8 shapes_pk[crypto_sign_PUBLICKEYBYTES], shapes_sk[crypto_sign_SECRETKEYBYTES];
        char *shape_tokens[G_N_ELEMENTS(shapes)];
        g_autofree char *aud_token = NULL;
        g_autoptr(JsonObject) expected = NULL;
        g_autoptr(GString) missing = g_string_new(NULL);
        g_autoptr(GPtrArray) verifiers = g_ptr_array_new();
        const char *token;
        gint64 t0;
        int status;

        t0 = g_get_monotonic_time();
        status = run_client(f, FALSE, &token_out, &client_err);
        g_test_message("python client: token after %" G_GINT64_FORMAT " ms", (g_get_monotonic_time() - t0) / 1000);
        if (status != 0)
                g_error("the trading client failed (%d):\n%s", status, client_err);
        /* The words are the daemon's, not the client's. */
        g_assert_nonnull(strstr(client_err, approval_text));
        g_assert_nonnull(strstr(client_err, "policy: rule cash-out requires fingerprint"));
        g_assert_nonnull(strstr(client_err, "result: approved"));
        token = g_strstrip(token_out);
        expected = token_claims(token);
        changed = token_with_changed_payload(token);
        other_key = token_signed_by_other_key(token);
        keys = get_public_keys(f->conn);
        g_assert_true(g_file_set_contents(jwks_path, keys, -1, NULL));

        g_assert_cmpint(sodium_init(), >=, 0);
        crypto_sign_keypair(shapes_pk, shapes_sk);
        shapes_jwks = biogate_jwks_new(shapes_pk);
        g_assert_true(g_file_set_contents(shapes_jwks_path, shapes_jwks, -1, NULL));
        challenge = g_bytes_new_take(g_malloc(strlen(challenge_hex) / 2), strlen(challenge_hex) / 2);
        for (size_t i = 0; i < strlen(challenge_hex) / 2; i++)
                ((guint8 *) g_bytes_get_data(challenge, NULL))[i] =
                        (guint8) (g_ascii_xdigit_value(challenge_hex[2 * i]) << 4 |
                                  g_ascii_xdigit_value(challenge_hex[2 * i + 1]));
        for (size_t j = 0; j < G_N_ELEMENTS(shapes); j++)
                shape_tokens[j] = sign_shape(shapes[j], shapes_pk, shapes_sk, challenge, NULL);
        aud_token = sign_shape(shapes[0], shapes_pk, shapes_sk, challenge, "backend-a");
        sodium_memzero(shapes_sk, sizeof shapes_sk);

        if (python_has_pyjwt()) {
                static char *argv[] = { (char *) "/usr/bin/python3", (char *) EXAMPLES_DIR "/verify-token.py", NULL };
                static const Verifier v = { "python", argv };
                g_ptr_array_add(verifiers, (gpointer) &v);
        } else
                g_string_append(missing, " python3-jwt");

        if (have("/usr/bin/javac") && have("/usr/bin/java")) {
                static char *argv[] = { (char *) "/usr/bin/java", (char *) "-cp", NULL, (char *) "VerifyToken", NULL };
                static Verifier v = { "java", argv };

                build((const char *[]) { "/usr/bin/javac", "-Xlint:all", "-Werror", "-d", java_dir,
                                         EXAMPLES_DIR "/VerifyToken.java", NULL },
                      NULL, "Java");
                argv[2] = java_dir;
                g_ptr_array_add(verifiers, &v);
        } else
                g_string_append(missing, " openjdk-17-jdk-headless");

        if (have("/usr/bin/go") && have("/usr/share/gocode/src/gopkg.in/square/go-jose.v2")) {
                static char *argv[] = { NULL, NULL };
                static Verifier v = { "go", argv };

                /* GOPATH mode on Debian's packaged sources: no network. */
                build((const char *[]) { "/usr/bin/go", "build", "-o", go_binary, EXAMPLES_DIR "/verify-token.go", NULL },
                      (const char *[]) { "GO111MODULE=off", "GOPATH=/usr/share/gocode", "GOPROXY=off", go_cache, NULL },
                      "Go");
                argv[0] = go_binary;
                g_ptr_array_add(verifiers, &v);
        } else
                g_string_append(missing, " golang-go golang-gopkg-square-go-jose.v2-dev");

        for (guint i = 0; i < verifiers->len; i++) {
                const Verifier *v = verifiers->pdata[i];
                g_autoptr(JsonObject) claims = NULL;
                g_autofree char *err = NULL;
                JsonObject *tx;
                gint64 start = g_get_monotonic_time();

                status = run_verifier(v, jwks_path, challenge_hex, token, &claims, &err);
                if (status != 0)
                        g_error("the %s example refused the daemon's token (%d): %s", v->name, status, err);
                g_test_message("%s: valid token checked in %" G_GINT64_FORMAT " ms", v->name,
                               (g_get_monotonic_time() - start) / 1000);
                /* The claims it prints are the token's. */
                for (const char *const *name = (const char *[]) { "jti", "sub", "nonce", "tx_digest", "display_digest",
                                                                   "rule", NULL };
                     *name; name++)
                        g_assert_cmpstr(json_object_get_string_member(claims, *name), ==,
                                        json_object_get_string_member(expected, *name));
                g_assert_cmpint(json_object_get_int_member(claims, "exp"), ==,
                                json_object_get_int_member(expected, "exp"));
                tx = json_object_get_object_member(claims, "tx");
                g_assert_cmpstr(json_object_get_string_member(tx, "payee"), ==, "ACME Ltd");
                g_assert_cmpstr(json_object_get_string_member(tx, "amount"), ==, "250000.00");
                g_assert_cmpstr(json_object_get_string_member(claims, "rule"), ==, "cash-out");
                g_assert_cmpstr(json_array_get_string_element(json_object_get_array_member(claims, "amr"), 0), ==,
                                "fpt");

                g_clear_pointer(&err, g_free);
                g_assert_cmpint(run_verifier(v, jwks_path, challenge_hex, changed, NULL, &err), ==, 1);
                g_assert_nonnull(strstr(err, "signature"));
                g_clear_pointer(&err, g_free);
                g_assert_cmpint(run_verifier(v, jwks_path, challenge_hex, other_key, NULL, &err), ==, 1);
                g_assert_nonnull(strstr(err, "signature"));
                g_clear_pointer(&err, g_free);
                g_assert_cmpint(run_verifier(v, jwks_path, other_challenge_hex, token, NULL, &err), ==, 1);
                g_assert_nonnull(strstr(err, "nonce"));

                for (size_t j = 0; j < G_N_ELEMENTS(shapes); j++) {
                        g_clear_pointer(&err, g_free);
                        if (run_verifier(v, shapes_jwks_path, challenge_hex, shape_tokens[j], NULL, &err) != 0)
                                g_error("the %s example refused a token for a %s: %s", v->name, shapes[j][0], err);
                }

                /* aud ([stepup] audience=, RFC 7519 4.1.3): accepted by the
                 * backend it names, refused by another and by one that does
                 * not say which it is. */
                g_clear_pointer(&err, g_free);
                if (run_verifier_for(v, shapes_jwks_path, challenge_hex, "backend-a", aud_token, NULL, &err) != 0)
                        g_error("the %s example refused a token for its own audience: %s", v->name, err);
                g_clear_pointer(&err, g_free);
                g_assert_cmpint(run_verifier_for(v, shapes_jwks_path, challenge_hex, "backend-b", aud_token, NULL, &err),
                                ==, 1);
                g_assert_nonnull(strstr(err, "audience"));
                g_clear_pointer(&err, g_free);
                g_assert_cmpint(run_verifier(v, shapes_jwks_path, challenge_hex, aud_token, NULL, &err), ==, 1);
                g_assert_nonnull(strstr(err, "audience"));
        }

        if (python_has_pyjwt())
                check_once(f, jwks_path, token);
        for (size_t j = 0; j < G_N_ELEMENTS(shapes); j++)
                g_free(shape_tokens[j]);

        /* The toolchains are in scripts/lib.sh's list; a machine without
         * one still ran the others, but says so. */
        if (missing->len > 0)
                g_test_skip_printf("not installed:%s (the other examples passed)", missing->str);
}

/* Ctrl-C in the client cancels the operation in the daemon: no token. */
static void test_client_interrupted(Fixture *f, gconstpointer data) {
        g_autofree char *out = NULL, *err = NULL;

        g_assert_cmpint(run_client(f, TRUE, &out, &err), ==, 1);
        g_assert_nonnull(strstr(err, "result: cancelled"));
        g_assert_cmpstr(g_strstrip(out), ==, "");
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add("/examples/verifiers", Fixture, NULL, setup, test_verifiers, fixture_teardown);
        g_test_add("/examples/client-interrupted", Fixture, NULL, setup, test_client_interrupted, fixture_teardown);
        return g_test_run();
}
