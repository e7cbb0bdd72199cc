/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-signing.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "biogate-token.h"
#include "biogated-audit.h"
#include "biogated-error.h"
#include "biogated-storeio.h"

#define CREDENTIAL_NAME "biogate.signing-key"
#define KEY_FILE "signing.key"

typedef struct Secret {
        guint8 seed[crypto_sign_SEEDBYTES];
        guint8 sk[crypto_sign_SECRETKEYBYTES];
} Secret;

struct BiogatedSigningKey {
        Secret *secret;  /* sodium_malloc: guarded, locked, wiped on free */
        guint8 pk[crypto_sign_PUBLICKEYBYTES];
        char *jwks;
};

void biogated_signing_key_free(BiogatedSigningKey *key) {
        if (!key)
                return;
        if (key->secret)
                sodium_free(key->secret);
        g_free(key->jwks);
        g_free(key);
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

static gboolean load_seed(BiogatedAudit *audit, int private_fd, guint8 seed[crypto_sign_SEEDBYTES], GError **error) {
        const char *creds = g_getenv("CREDENTIALS_DIRECTORY");
        g_autoptr(GError) local_error = NULL;

        /* systemd's credential wins: it may be sealed to this machine's TPM. */
        if (creds) {
                int fd = open(creds, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd >= 0) {
                        gboolean ok = read_seed_from(fd, CREDENTIAL_NAME, seed, &local_error);
                        (void) close(fd);
                        if (ok)
                                return TRUE;
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

static void publish_jwks(int state_fd, const char *jwks) {
        g_autoptr(GError) error = NULL;
        int fd;

        /* Readable by anyone who can reach it: it is a public key, meant to
         * be copied to backends. The state directory itself stays 0700. */
        if (mkdirat(state_fd, "public", 0755) < 0 && errno != EEXIST) {
                g_warning("Cannot create public/: %s", g_strerror(errno));
                return;
        }
        fd = openat(state_fd, "public", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                g_warning("Cannot open public/: %s", g_strerror(errno));
                return;
        }
        if (!jwks_is_current(fd, jwks) &&
            !biogated_write_file_atomic(fd, "jwks.json", jwks, strlen(jwks), 0444, &error))
                g_warning("Cannot publish the JWK set: %s", error->message);
        (void) close(fd);
}

BiogatedSigningKey *biogated_signing_key_load(const char *state_dir, BiogatedAudit *audit, GError **error) {
        g_autoptr(BiogatedSigningKey) key = g_new0(BiogatedSigningKey, 1);
        int state_fd, private_fd;
        gboolean ok;

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
        private_fd = biogated_open_private_dir(state_fd, "private", TRUE, error);
        if (private_fd < 0) {
                (void) close(state_fd);
                return NULL;
        }
        ok = load_seed(audit, private_fd, key->secret->seed, error);
        (void) close(private_fd);
        if (ok) {
                crypto_sign_seed_keypair(key->pk, key->secret->sk, key->secret->seed);
                key->jwks = biogate_jwks_new(key->pk);
                publish_jwks(state_fd, key->jwks);
        }
        (void) close(state_fd);
        if (!ok)
                return NULL;
        return g_steal_pointer(&key);
}

const char *biogated_signing_key_get_jwks(BiogatedSigningKey *key) {
        return key->jwks;
}

char *biogated_signing_key_sign(BiogatedSigningKey *key, JsonObject *claims, GError **error) {
        return biogate_token_sign(key->secret->sk, key->pk, claims, error);
}
