/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-signing.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "biogate-policy.h"
#include "biogate-token.h"
#include "biogated-audit.h"
#include "biogated-error.h"
#include "biogated-storeio.h"

#define CREDENTIAL_NAME "biogate.signing-key"
#define KEY_FILE "signing.key"
/* The public halves of keys retired by a rotation, one per line:
 * "<x, base64url> <retired at, Unix seconds>". Root-only like the key:
 * what is public is the JWK set made from it. */
#define RETIRED_FILE "signing-retired"
#define RETIRED_FILE_MAX_SIZE 16384
/* A verifier's clock may be behind ours: a token signed just before a
 * rotation is accepted until its exp by that clock. */
#define RETIRE_CLOCK_MARGIN_S 300

typedef struct Secret {
        guint8 seed[crypto_sign_SEEDBYTES];
        guint8 sk[crypto_sign_SECRETKEYBYTES];
} Secret;

typedef struct RetiredKey {
        guint8 pk[crypto_sign_PUBLICKEYBYTES];
        gint64 retired_at;
} RetiredKey;

struct BiogatedSigningKey {
        Secret *secret;  /* sodium_malloc: guarded, locked, wiped on free */
        guint8 pk[crypto_sign_PUBLICKEYBYTES];
        char *jwks;      /* the signing key first, then the retired ones */
        gboolean from_credential;
        GArray *retired; /* RetiredKey, oldest first */
        int private_fd, public_fd;
        BiogatedWriter *writer;
        BiogatedAudit *audit;
        guint retire_timer;
        gboolean rotating;
};

void biogated_signing_key_free(BiogatedSigningKey *key) {
        if (!key)
                return;
        if (key->secret)
                sodium_free(key->secret);
        g_clear_handle_id(&key->retire_timer, g_source_remove);
        g_clear_pointer(&key->retired, g_array_unref);
        if (key->private_fd >= 0)
                (void) close(key->private_fd);
        if (key->public_fd >= 0)
                (void) close(key->public_fd);
        g_free(key->jwks);
        g_free(key);
}

gint64 biogated_signing_key_retired_until(gint64 retired_at) {
        return retired_at + BIOGATE_POLICY_TOKEN_LIFETIME_MAX_S + RETIRE_CLOCK_MARGIN_S;
}

static gboolean read_seed_from(int dir_fd, const char *name, guint8 seed[crypto_sign_SEEDBYTES], GError **error) {
        g_autoptr(GBytes) data = biogated_read_private_file(dir_fd, name, 4096, error);

        if (!data)
                return FALSE;
        if (g_bytes_get_size(data) != crypto_sign_SEEDBYTES) {
                g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s must hold exactly %d bytes", name,
                            crypto_sign_SEEDBYTES);
                sodium_memzero((void *) g_bytes_get_data(data, NULL), g_bytes_get_size(data));
                return FALSE;
        }
        memcpy(seed, g_bytes_get_data(data, NULL), crypto_sign_SEEDBYTES);
        sodium_memzero((void *) g_bytes_get_data(data, NULL), g_bytes_get_size(data));
        return TRUE;
}

static gboolean load_seed(BiogatedAudit *audit, int private_fd, guint8 seed[crypto_sign_SEEDBYTES],
                          gboolean *ret_from_credential, GError **error) {
        const char *creds = g_getenv("CREDENTIALS_DIRECTORY");
        g_autoptr(GError) local_error = NULL;

        /* systemd's credential wins: it may be sealed to this machine's TPM. */
        if (creds) {
                int fd = open(creds, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd >= 0) {
                        gboolean ok = read_seed_from(fd, CREDENTIAL_NAME, seed, &local_error);
                        (void) close(fd);
                        if (ok) {
                                *ret_from_credential = TRUE;
                                return TRUE;
                        }
                        if (!g_error_matches(local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
                                g_propagate_prefixed_error(error, g_steal_pointer(&local_error),
                                                           "Credential " CREDENTIAL_NAME ": ");
                                return FALSE;
                        }
                        g_clear_error(&local_error);
                }
        }
        if (read_seed_from(private_fd, KEY_FILE, seed, &local_error))
                return TRUE;
        if (!g_error_matches(local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
                g_propagate_prefixed_error(error, g_steal_pointer(&local_error), "Signing key: ");
                return FALSE;
        }
        randombytes_buf(seed, crypto_sign_SEEDBYTES);
        if (!biogated_write_file_atomic(private_fd, KEY_FILE, seed, crypto_sign_SEEDBYTES, 0400, error))
                return FALSE;
        biogated_audit(audit, BIOGATED_AUDIT_KEY_CREATED,
                       &(BiogatedAuditInfo) { .uid = BIOGATED_AUDIT_NO_UID, .reason = "token signing key" },
                       "Created a new token signing key in private/" KEY_FILE);
        return TRUE;
}

/* TRUE when public/jwks.json is already exactly what we would write, ours,
 * and read-only (0444 less the umask, 0400 under biogated's 0077): then it
 * is left alone, and a start costs no fsync and no rename for it. Anything
 * else (missing, a link, another owner, writable, other content) is
 * replaced. */
static gboolean jwks_is_current(int dir_fd, const char *jwks) {
        _cleanup_fd_ int fd = openat(dir_fd, "jwks.json", O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
        gsize size = strlen(jwks);
        g_autofree char *buf = NULL;
        struct stat st;
        ssize_t n;

        if (fd < 0 || fstat(fd, &st) < 0)
                return FALSE;
        if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 07777 & ~0444) != 0 ||
            (guint64) st.st_size != size)
                return FALSE;
        buf = g_malloc(size + 1);
        n = read(fd, buf, size + 1);
        return n == (ssize_t) size && memcmp(buf, jwks, size) == 0;
}

/* public/, created readable by anyone who can reach it: it holds the
 * public keys, meant to be copied to backends. The state directory itself
 * stays 0700. -1 (logged) when it cannot be made. */
static int open_public_dir(int state_fd) {
        int fd;

        if (mkdirat(state_fd, "public", 0755) < 0 && errno != EEXIST) {
                g_warning("Cannot create public/: %s", g_strerror(errno));
                return -1;
        }
        fd = openat(state_fd, "public", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                g_warning("Cannot open public/: %s", g_strerror(errno));
        return fd;
}

/* At start-up, before the writer runs jobs for anyone. */
static void publish_jwks_now(BiogatedSigningKey *key) {
        g_autoptr(GError) error = NULL;

        if (key->public_fd < 0)
                return;
        if (!jwks_is_current(key->public_fd, key->jwks) &&
            !biogated_write_file_atomic(key->public_fd, "jwks.json", key->jwks, strlen(key->jwks), 0444, &error))
                g_warning("Cannot publish the JWK set: %s", error->message);
}

static void on_published(const GError *error, gpointer user_data) {
        if (error)
                g_warning("Cannot publish the JWK set: %s", error->message);
}

static void publish_jwks(BiogatedSigningKey *key) {
        g_autoptr(GBytes) data = NULL;

        if (key->public_fd < 0)
                return;
        data = g_bytes_new(key->jwks, strlen(key->jwks));
        biogated_writer_write(key->writer, key->public_fd, "jwks.json", data, 0444, on_published, NULL);
}

static void update_jwks(BiogatedSigningKey *key) {
        g_autofree guint8 (*pks)[crypto_sign_PUBLICKEYBYTES] =
                g_malloc_n(key->retired->len + 1, crypto_sign_PUBLICKEYBYTES);

        memcpy(pks[0], key->pk, sizeof pks[0]);
        /* Newest retired first: the order a backend's cache meets them. */
        for (guint i = 0; i < key->retired->len; i++)
                memcpy(pks[i + 1], g_array_index(key->retired, RetiredKey, key->retired->len - 1 - i).pk,
                       sizeof pks[0]);
        g_free(key->jwks);
        key->jwks = biogate_jwks_new_set((const guint8 (*)[crypto_sign_PUBLICKEYBYTES]) pks, key->retired->len + 1);
}

static GBytes *retired_to_bytes(GArray *retired) {
        GString *s = g_string_new(NULL);

        for (guint i = 0; i < retired->len; i++) {
                const RetiredKey *r = &g_array_index(retired, RetiredKey, i);
                g_autofree char *x = biogate_base64url_encode(r->pk, sizeof r->pk);

                g_string_append_printf(s, "%s %" G_GINT64_FORMAT "\n", x, r->retired_at);
        }
        return g_string_free_to_bytes(s);
}

/* The retired keys on disk, without the signing key itself (a rotation
 * killed between its two writes leaves it listed) and without duplicates.
 * A file we cannot trust is ignored, which fails closed: the tokens of
 * the keys it listed stop verifying, never the other way round. */
static GArray *load_retired(int private_fd, const guint8 current[crypto_sign_PUBLICKEYBYTES]) {
        g_autoptr(GArray) retired = g_array_new(FALSE, TRUE, sizeof(RetiredKey));
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) data = biogated_read_private_file(private_fd, RETIRED_FILE, RETIRED_FILE_MAX_SIZE, &error);
        g_autofree char *text = NULL;
        g_auto(GStrv) lines = NULL;

        if (!data) {
                if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
                        g_warning("Ignoring private/" RETIRED_FILE ": %s", error->message);
                return g_steal_pointer(&retired);
        }
        text = g_strndup(g_bytes_get_data(data, NULL), g_bytes_get_size(data));
        lines = g_strsplit(text, "\n", -1);
        for (char **l = lines; *l; l++) {
                g_auto(GStrv) parts = NULL;
                g_autoptr(GBytes) x = NULL;
                RetiredKey r = { 0 };
                gboolean duplicate = FALSE;
                guint64 at;

                if (**l == '\0')
                        continue;
                parts = g_strsplit(*l, " ", 3);
                if (g_strv_length(parts) != 2 || !(x = biogate_base64url_decode(parts[0], NULL)) ||
                    g_bytes_get_size(x) != sizeof r.pk ||
                    !g_ascii_string_to_unsigned(parts[1], 10, 0, G_MAXINT64 / 2, &at, NULL)) {
                        g_warning("Ignoring private/" RETIRED_FILE ": a malformed line");
                        g_array_set_size(retired, 0);
                        return g_steal_pointer(&retired);
                }
                memcpy(r.pk, g_bytes_get_data(x, NULL), sizeof r.pk);
                r.retired_at = (gint64) at;
                for (guint i = 0; i < retired->len; i++)
                        duplicate = duplicate || memcmp(g_array_index(retired, RetiredKey, i).pk, r.pk, sizeof r.pk) == 0;
                if (!duplicate && memcmp(r.pk, current, sizeof r.pk) != 0)
                        g_array_append_val(retired, r);
        }
        return g_steal_pointer(&retired);
}

static void audit_retired(BiogatedAudit *audit, const RetiredKey *r) {
        g_autofree char *kid = biogate_jwk_thumbprint(r->pk);

        biogated_audit(audit, BIOGATED_AUDIT_SIGNING_KEY_RETIRED,
                       &(BiogatedAuditInfo) { .uid = BIOGATED_AUDIT_NO_UID, .reason = kid },
                       "Token signing key %s retired: every token it signed has expired; "
                       "it is no longer published", kid);
}

/* Drops the retired keys whose tokens have all expired at now; TRUE when
 * one was dropped (each one audited). */
static gboolean drop_expired(BiogatedSigningKey *key, gint64 now) {
        gboolean dropped = FALSE;

        for (guint i = 0; i < key->retired->len;) {
                const RetiredKey *r = &g_array_index(key->retired, RetiredKey, i);

                if (biogated_signing_key_retired_until(r->retired_at) > now) {
                        i++;
                        continue;
                }
                audit_retired(key->audit, r);
                g_array_remove_index(key->retired, i);
                dropped = TRUE;
        }
        return dropped;
}

static void schedule_retirement(BiogatedSigningKey *key, gint64 now);

static void on_retired_saved(const GError *error, gpointer user_data) {
        if (error)
                g_warning("Cannot save private/" RETIRED_FILE ": %s", error->message);
}

void biogated_signing_key_retire_expired(BiogatedSigningKey *key, gint64 now) {
        g_autoptr(GBytes) list = NULL;

        if (!drop_expired(key, now))
                return;
        update_jwks(key);
        /* The list first: a crash before the JWK set is rewritten leaves
         * the next start to publish the shorter set. */
        list = retired_to_bytes(key->retired);
        biogated_writer_write(key->writer, key->private_fd, RETIRED_FILE, list, 0400, on_retired_saved, NULL);
        publish_jwks(key);
        schedule_retirement(key, now);
}

static gboolean on_retire_timer(gpointer user_data) {
        BiogatedSigningKey *key = user_data;

        key->retire_timer = 0;
        biogated_signing_key_retire_expired(key, g_get_real_time() / G_USEC_PER_SEC);
        return G_SOURCE_REMOVE;
}

/* A timer for the oldest retired key, so that the published set shrinks
 * even when nobody asks for it while the daemon runs. */
static void schedule_retirement(BiogatedSigningKey *key, gint64 now) {
        gint64 next;

        g_clear_handle_id(&key->retire_timer, g_source_remove);
        if (key->retired->len == 0)
                return;
        next = biogated_signing_key_retired_until(g_array_index(key->retired, RetiredKey, 0).retired_at);
        key->retire_timer = g_timeout_add_seconds((guint) CLAMP(next - now + 1, 1, G_MAXUINT32 / 2), on_retire_timer, key);
}

BiogatedSigningKey *biogated_signing_key_load(const char *state_dir, BiogatedWriter *writer, BiogatedAudit *audit,
                                              GError **error) {
        g_autoptr(BiogatedSigningKey) key = g_new0(BiogatedSigningKey, 1);
        gint64 now = g_get_real_time() / G_USEC_PER_SEC;
        int state_fd;

        key->private_fd = key->public_fd = -1;
        key->writer = writer;
        key->audit = audit;
        if (sodium_init() < 0) {
                g_set_error_literal(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INTERNAL, "libsodium failed to start");
                return NULL;
        }
        key->secret = sodium_malloc(sizeof(Secret));
        if (!key->secret) {
                g_set_error_literal(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INTERNAL, "Cannot lock memory for the key");
                return NULL;
        }
        state_fd = biogated_open_private_dir(AT_FDCWD, state_dir, FALSE, error);
        if (state_fd < 0)
                return NULL;
        key->private_fd = biogated_open_private_dir(state_fd, "private", TRUE, error);
        if (key->private_fd < 0) {
                (void) close(state_fd);
                return NULL;
        }
        key->public_fd = open_public_dir(state_fd);
        (void) close(state_fd);
        if (!load_seed(audit, key->private_fd, key->secret->seed, &key->from_credential, error))
                return NULL;
        crypto_sign_seed_keypair(key->pk, key->secret->sk, key->secret->seed);

        key->retired = load_retired(key->private_fd, key->pk);
        if (drop_expired(key, now)) {
                g_autoptr(GBytes) list = retired_to_bytes(key->retired);
                g_autoptr(GError) local = NULL;

                if (!biogated_write_file_atomic(key->private_fd, RETIRED_FILE, g_bytes_get_data(list, NULL),
                                                g_bytes_get_size(list), 0400, &local))
                        g_warning("Cannot save private/" RETIRED_FILE ": %s", local->message);
        }
        update_jwks(key);
        publish_jwks_now(key);
        schedule_retirement(key, now);
        return g_steal_pointer(&key);
}

/* ---- rotation ---- */

typedef struct Rotation {
        BiogatedSigningKey *key;
        Secret *next;            /* sodium_malloc */
        guint8 next_pk[crypto_sign_PUBLICKEYBYTES];
        GArray *retired;         /* the list with the current key added */
        uid_t caller_uid;
        BiogatedSigningKeyRotated done;
        gpointer user_data;
} Rotation;

static void rotation_finish(Rotation *r, const GError *error) {
        g_autofree char *kid = error ? NULL : biogate_jwk_thumbprint(r->next_pk);

        r->key->rotating = FALSE;
        r->done(error, kid, r->user_data);
        sodium_free(r->next);
        g_array_unref(r->retired);
        g_free(r);
}

/* TRUE, with the rotation ended, when the writer could not save what. */
static gboolean rotation_failed(Rotation *r, const GError *error, const char *what) {
        g_autoptr(GError) failed = NULL;

        if (!error)
                return FALSE;
        failed = g_error_new(BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INTERNAL, "Cannot save %s: %s", what, error->message);
        rotation_finish(r, failed);
        return TRUE;
}

static void on_new_key_saved(const GError *error, gpointer user_data) {
        Rotation *r = user_data;
        BiogatedSigningKey *key = r->key;
        g_autofree char *old_kid = biogate_jwk_thumbprint(key->pk), *new_kid = biogate_jwk_thumbprint(r->next_pk);

        /* The old key still signs and is on disk; the list naming it as
         * retired is ignored while it is the signing key. */
        if (rotation_failed(r, error, "the new signing key"))
                return;
        /* Durable: from now on the new key signs. */
        memcpy(key->secret, r->next, sizeof(Secret));
        memcpy(key->pk, r->next_pk, sizeof key->pk);
        g_array_unref(key->retired);
        key->retired = g_array_ref(r->retired);
        update_jwks(key);
        publish_jwks(key);
        schedule_retirement(key, g_get_real_time() / G_USEC_PER_SEC);
        biogated_audit(key->audit, BIOGATED_AUDIT_SIGNING_KEY_ROTATED,
                       &(BiogatedAuditInfo) { .uid = BIOGATED_AUDIT_NO_UID, .caller_uid = r->caller_uid,
                                              .reason = new_kid },
                       "Token signing key rotated by uid %u: %s signs from now on; %s stays published until "
                       "every token it signed has expired", (unsigned) r->caller_uid, new_kid, old_kid);
        rotation_finish(r, NULL);
}

static void on_retired_list_saved(const GError *error, gpointer user_data) {
        Rotation *r = user_data;
        g_autoptr(GBytes) seed = NULL;

        if (rotation_failed(r, error, "the retired keys"))
                return;
        /* Only once the old public key is durably listed may the new key
         * replace it: a crash between the two leaves the old key signing,
         * and a crash after leaves the old key published. The copy is
         * wiped when the writer is done with it. */
        seed = biogated_bytes_new_secret(g_memdup2(r->next->seed, sizeof r->next->seed), sizeof r->next->seed);
        biogated_writer_write(r->key->writer, r->key->private_fd, KEY_FILE, seed, 0400, on_new_key_saved, r);
}

void biogated_signing_key_rotate(BiogatedSigningKey *key, uid_t caller_uid, BiogatedSigningKeyRotated done,
                                 gpointer user_data) {
        gint64 now = g_get_real_time() / G_USEC_PER_SEC;
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) list = NULL;
        RetiredKey old = { .retired_at = now };
        Rotation *r;

        if (key->from_credential) {
                /* The seed came from outside (often one for a whole fleet):
                 * a new one here would split this machine from the rest
                 * and be lost at the next start anyway. */
                error = g_error_new_literal(BIOGATE_DBUS_ERROR, BIOGATE_ERROR_KEY_MANAGED_EXTERNALLY,
                                            "The signing key comes from the systemd credential " CREDENTIAL_NAME
                                            "; rotate it by replacing the credential (see docs/keys.md), "
                                            "then restart biogated");
                done(error, NULL, user_data);
                return;
        }
        if (key->rotating) {
                error = g_error_new_literal(BIOGATE_DBUS_ERROR, BIOGATE_ERROR_DEVICE_BUSY,
                                            "A rotation of the signing key is already under way");
                done(error, NULL, user_data);
                return;
        }
        (void) drop_expired(key, now);
        if (key->retired->len >= BIOGATED_SIGNING_MAX_RETIRED) {
                error = g_error_new(BIOGATE_DBUS_ERROR, BIOGATE_ERROR_POLICY_DENIED,
                                    "%u retired signing keys are still published until their tokens expire; "
                                    "rotate again after %" G_GINT64_FORMAT, BIOGATED_SIGNING_MAX_RETIRED,
                                    biogated_signing_key_retired_until(
                                            g_array_index(key->retired, RetiredKey, 0).retired_at));
                done(error, NULL, user_data);
                return;
        }
        r = g_new0(Rotation, 1);
        r->next = sodium_malloc(sizeof(Secret));
        if (!r->next) {
                g_free(r);
                error = g_error_new_literal(BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INTERNAL, "Cannot lock memory for the key");
                done(error, NULL, user_data);
                return;
        }
        r->key = key;
        r->caller_uid = caller_uid;
        r->done = done;
        r->user_data = user_data;
        randombytes_buf(r->next->seed, sizeof r->next->seed);
        crypto_sign_seed_keypair(r->next_pk, r->next->sk, r->next->seed);
        memcpy(old.pk, key->pk, sizeof old.pk);
        r->retired = g_array_copy(key->retired);
        g_array_append_val(r->retired, old);
        key->rotating = TRUE;
        list = retired_to_bytes(r->retired);
        biogated_writer_write(key->writer, key->private_fd, RETIRED_FILE, list, 0400, on_retired_list_saved, r);
}

const char *biogated_signing_key_get_jwks(BiogatedSigningKey *key) {
        return key->jwks;
}

char *biogated_signing_key_sign(BiogatedSigningKey *key, JsonObject *claims, GError **error) {
        return biogate_token_sign(key->secret->sk, key->pk, claims, error);
}
