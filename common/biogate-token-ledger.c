/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The backend's ledger of accepted tokens. The file is text: a first line
 * "now T", the latest time the ledger was used with, then one line per
 * token that has not expired by then: "EXP JTI\n". Writers hold an
 * exclusive flock on "PATH.lock" from the read to the rename, so two
 * processes that check the same token at the same time cannot both accept
 * it; the lock is on a separate file because the ledger itself is replaced
 * by rename. Everything is opened relative to the directory, which was
 * checked first: whoever may write that directory may delete the ledger. */
#include "biogate-token-ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "biogate-token.h"

#define JTI_MAX 128
/* Tokens live at most an hour: even a busy backend keeps a few thousand
 * lines. This only stops a wrong file from being read into memory. */
#define LEDGER_MAX_SIZE (64 * 1024 * 1024)
#define OPEN_FLAGS (O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK)

static gboolean is_jti(const char *s, size_t n) {
        if (n == 0 || n > JTI_MAX)
                return FALSE;
        for (size_t i = 0; i < n; i++)
                if (!g_ascii_isalnum(s[i]) && s[i] != '-' && s[i] != '_')
                        return FALSE;
        return TRUE;
}

static gboolean fail_errno(GError **error, int err, const char *what, const char *path) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err), "Cannot %s %s: %s", what, path,
                    g_strerror(err));
        return FALSE;
}

/* The ledger, its lock and the directory holding them belong to the
 * backend's user alone: anyone who can write them can make a used token
 * acceptable again (the directory: by deleting the ledger). The sticky bit
 * is not enough for the directory: others could still plant the ledger's
 * name before it exists. */
static gboolean check_owned(int fd, const char *path, mode_t type, GError **error) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return fail_errno(error, errno, "inspect", path);
        if ((st.st_mode & S_IFMT) != type || (st.st_uid != geteuid() && st.st_uid != 0) ||
            (st.st_mode & 0022) != 0) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                            "%s is not a %s of uid %u or root that only its owner may write", path,
                            type == S_IFDIR ? "directory" : "regular file", (unsigned) geteuid());
                return FALSE;
        }
        if (type == S_IFREG && st.st_uid != geteuid()) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "%s is not owned by uid %u", path,
                            (unsigned) geteuid());
                return FALSE;
        }
        if (type == S_IFREG && st.st_size > LEDGER_MAX_SIZE) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is larger than a ledger can be",
                            path);
                return FALSE;
        }
        return TRUE;
}

static char *read_ledger(int dir_fd, const char *name, const char *path, GError **error) {
        g_autoptr(GString) text = g_string_new(NULL);
        char buf[65536];
        int fd;

        /* O_NONBLOCK: a FIFO planted under the name must be refused, not
         * wait for a writer while we hold the lock. */
        fd = openat(dir_fd, name, O_RDONLY | OPEN_FLAGS);
        if (fd < 0) {
                if (errno == ENOENT)
                        return g_strdup("");
                fail_errno(error, errno, "open", path);
                return NULL;
        }
        if (!check_owned(fd, path, S_IFREG, error)) {
                (void) close(fd);
                return NULL;
        }
        for (;;) {
                ssize_t n = read(fd, buf, sizeof buf);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int saved = errno;
                        (void) close(fd);
                        fail_errno(error, saved, "read", path);
                        return NULL;
                }
                if (n == 0)
                        break;
                g_string_append_len(text, buf, n);
        }
        (void) close(fd);
        if (strlen(text->str) != text->len) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is not a token ledger", path);
                return NULL;
        }
        return g_string_free(g_steal_pointer(&text), FALSE);
}

static gboolean parse_time(const char *s, size_t n, gint64 *ret) {
        g_autofree char *text = g_strndup(s, n);
        guint64 value;

        if (!g_ascii_isdigit(text[0]) || !g_ascii_string_to_unsigned(text, 10, 0, G_MAXINT64, &value, NULL))
                return FALSE;
        *ret = (gint64) value;
        return TRUE;
}

/* Reads the "now T" line of @text into *ret_clock (0 for an empty ledger)
 * and copies the lines of tokens that had not expired at @clock (the later
 * of the ledger's time and ours) to @out; sets *ret_seen when @jti is among
 * them. A line that is not "EXP JTI" makes the whole ledger suspect. */
static gboolean filter_ledger(const char *path, const char *text, const char *jti, gint64 now, GString *out,
                              gint64 *ret_clock, gboolean *ret_seen, GError **error) {
        const char *line = text;
        gint64 clock = 0;
        int number = 1;

        *ret_seen = FALSE;
        if (*line) {
                const char *end = strchr(line, '\n');

                if (!end || !g_str_has_prefix(line, "now ") || !parse_time(line + 4, (size_t) (end - line - 4), &clock))
                        goto invalid;
                line = end + 1;
                number++;
        }
        /* The ledger's clock never goes back: an entry dropped because it
         * had expired must not come back to life when a later caller's
         * clock (or --now) is behind. */
        clock = MAX(clock, now);
        *ret_clock = clock;

        while (*line) {
                const char *end = strchr(line, '\n'), *space;
                gint64 exp;

                if (!end)
                        goto invalid;
                space = memchr(line, ' ', (size_t) (end - line));
                if (!space || !parse_time(line, (size_t) (space - line), &exp) ||
                    !is_jti(space + 1, (size_t) (end - space - 1)))
                        goto invalid;
                /* Equal to exp is still valid for biogate_token_verify()'s
                 * exp > now, so keep it until it is strictly past. */
                if (exp >= clock) {
                        g_string_append_len(out, line, end - line + 1);
                        if ((size_t) (end - space - 1) == strlen(jti) && memcmp(space + 1, jti, strlen(jti)) == 0)
                                *ret_seen = TRUE;
                }
                line = end + 1;
                number++;
        }
        return TRUE;

invalid:
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s:%d: not a token ledger line", path, number);
        return FALSE;
}

static gboolean write_all(int fd, const char *data, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, data, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return FALSE;
                data += n;
                len -= (size_t) n;
        }
        return TRUE;
}

/* Temp file beside the ledger, fsync, rename, fsync the directory: a crash
 * leaves the old ledger or the new one, never half of one. */
static gboolean replace_ledger(int dir_fd, const char *name, const char *path, const GString *text,
                               GError **error) {
        g_autofree char *tmp = NULL;
        int fd = -1, saved;

        for (int attempt = 0; fd < 0 && attempt < 16; attempt++) {
                g_free(tmp);
                tmp = g_strdup_printf(".%s.%08x", name, g_random_int());
                fd = openat(dir_fd, tmp, O_RDWR | O_CREAT | O_EXCL | OPEN_FLAGS, 0600);
                if (fd < 0 && errno != EEXIST)
                        return fail_errno(error, errno, "create a file beside", path);
        }
        if (fd < 0)
                return fail_errno(error, EEXIST, "create a file beside", path);
        if (!write_all(fd, text->str, text->len) || fsync(fd) < 0) {
                saved = errno;
                (void) close(fd);
                (void) unlinkat(dir_fd, tmp, 0);
                return fail_errno(error, saved, "write a file beside", path);
        }
        if (close(fd) < 0 || renameat(dir_fd, tmp, dir_fd, name) < 0) {
                saved = errno;
                (void) unlinkat(dir_fd, tmp, 0);
                return fail_errno(error, saved, "replace", path);
        }
        if (fsync(dir_fd) < 0)
                return fail_errno(error, errno, "sync the directory of", path);
        return TRUE;
}

static gboolean use_locked(int dir_fd, const char *name, const char *path, const char *jti, gint64 exp,
                           gint64 now, GError **error) {
        g_autofree char *text = read_ledger(dir_fd, name, path, error);
        g_autoptr(GString) kept = g_string_new(NULL);
        g_autofree char *header = NULL;
        gboolean seen;
        gint64 clock;

        if (!text || !filter_ledger(path, text, jti, now, kept, &clock, &seen, error))
                return FALSE;
        if (seen) {
                g_set_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_REPLAYED,
                            "token %s was accepted before (ledger %s)", jti, path);
                return FALSE;
        }
        /* Its entry may have been dropped at a later time than ours. */
        if (exp <= clock) {
                g_set_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_EXPIRED,
                            "token %s expired at %" G_GINT64_FORMAT ", and ledger %s has been used at %"
                            G_GINT64_FORMAT, jti, exp, path, clock);
                return FALSE;
        }
        header = g_strdup_printf("now %" G_GINT64_FORMAT "\n", clock);
        g_string_prepend(kept, header);
        g_string_append_printf(kept, "%" G_GINT64_FORMAT " %s\n", exp, jti);
        return replace_ledger(dir_fd, name, path, kept, error);
}

gboolean biogate_token_ledger_use(const char *path, const char *jti, gint64 exp, gint64 now, GError **error) {
        g_autofree char *dir = NULL, *name = NULL, *lock_name = NULL;
        gboolean ok;
        int dir_fd, lock_fd;

        g_return_val_if_fail(path, FALSE);
        g_return_val_if_fail(jti, FALSE);

        if (!is_jti(jti, strlen(jti))) {
                g_set_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_MALFORMED,
                            "the token's jti is not 1 to %d base64url characters", JTI_MAX);
                return FALSE;
        }
        dir = g_path_get_dirname(path);
        name = g_path_get_basename(path);
        if (g_str_has_suffix(path, "/") || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME, "%s does not name a file", path);
                return FALSE;
        }

        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return fail_errno(error, errno, "open the directory of", path);
        if (!check_owned(dir_fd, dir, S_IFDIR, error)) {
                (void) close(dir_fd);
                return FALSE;
        }

        lock_name = g_strconcat(name, ".lock", NULL);
        lock_fd = openat(dir_fd, lock_name, O_RDWR | O_CREAT | OPEN_FLAGS, 0600);
        if (lock_fd < 0 || !check_owned(lock_fd, lock_name, S_IFREG, error)) {
                if (lock_fd < 0)
                        fail_errno(error, errno, "open", lock_name);
                else
                        (void) close(lock_fd);
                (void) close(dir_fd);
                return FALSE;
        }
        while (flock(lock_fd, LOCK_EX) < 0)
                if (errno != EINTR) {
                        int saved = errno;
                        (void) close(lock_fd);
                        (void) close(dir_fd);
                        return fail_errno(error, saved, "lock", lock_name);
                }

        ok = use_locked(dir_fd, name, path, jti, exp, now, error);
        /* Closing drops the lock, after the rename. */
        (void) close(lock_fd);
        (void) close(dir_fd);
        return ok;
}
