/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The backend's ledger of accepted tokens. The file is text, one line per
 * token that has not expired yet: "EXP JTI\n". Writers hold an exclusive
 * flock on "PATH.lock" from the read to the rename, so two processes that
 * check the same token at the same time cannot both accept it; the lock is
 * on a separate file because the ledger itself is replaced by rename. */
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

/* The ledger and its lock belong to the backend's user alone: anyone who can
 * write them can make a used token acceptable again. */
static gboolean check_owned(int fd, const char *path, gboolean want_size, GError **error) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return fail_errno(error, errno, "inspect", path);
        if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0022) != 0) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                            "%s is not a regular file of uid %u that only its owner may write", path,
                            (unsigned) geteuid());
                return FALSE;
        }
        if (want_size && st.st_size > LEDGER_MAX_SIZE) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is larger than a ledger can be",
                            path);
                return FALSE;
        }
        return TRUE;
}

static char *read_ledger(const char *path, GError **error) {
        g_autoptr(GString) text = g_string_new(NULL);
        char buf[65536];
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0) {
                if (errno == ENOENT)
                        return g_strdup("");
                fail_errno(error, errno, "open", path);
                return NULL;
        }
        if (!check_owned(fd, path, TRUE, error)) {
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

/* Copies the unexpired lines of @text to @out; sets *ret_seen when @jti is
 * among them. A line that is not "EXP JTI" makes the whole ledger suspect. */
static gboolean filter_ledger(const char *path, const char *text, const char *jti, gint64 now, GString *out,
                              gboolean *ret_seen, GError **error) {
        const char *line = text;
        int number = 1;

        *ret_seen = FALSE;
        while (*line) {
                const char *end = strchr(line, '\n'), *space;
                guint64 exp;
                g_autofree char *exp_text = NULL;

                if (!end)
                        goto invalid;
                space = memchr(line, ' ', (size_t) (end - line));
                if (!space)
                        goto invalid;
                exp_text = g_strndup(line, (size_t) (space - line));
                if (!g_ascii_isdigit(exp_text[0]) ||
                    !g_ascii_string_to_unsigned(exp_text, 10, 0, G_MAXINT64, &exp, NULL) ||
                    !is_jti(space + 1, (size_t) (end - space - 1)))
                        goto invalid;
                /* Equal to exp is still valid for biogate_token_verify()'s
                 * exp > now, so keep it until it is strictly past. */
                if ((gint64) exp >= now) {
                        g_string_append_len(out, line, end - line + 1);
                        if ((size_t) (end - space - 1) == strlen(jti) && memcmp(space + 1, jti, strlen(jti)) == 0)
                                *ret_seen = TRUE;
                }
                line = end + 1;
                number++;
        }
        return TRUE;

invalid:
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s:%d: not a token ledger line (EXP JTI)", path,
                    number);
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

/* Temp file beside @path, fsync, rename, fsync the directory: a crash leaves
 * the old ledger or the new one, never half of one. */
static gboolean replace_ledger(const char *path, const GString *text, GError **error) {
        g_autofree char *dir = g_path_get_dirname(path);
        g_autofree char *tmp = g_strconcat(path, ".XXXXXX", NULL);
        int fd, dir_fd, saved;

        fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0)
                return fail_errno(error, errno, "create a file beside", path);
        if (!write_all(fd, text->str, text->len) || fsync(fd) < 0) {
                saved = errno;
                (void) close(fd);
                (void) unlink(tmp);
                return fail_errno(error, saved, "write", tmp);
        }
        if (close(fd) < 0 || rename(tmp, path) < 0) {
                saved = errno;
                (void) unlink(tmp);
                return fail_errno(error, saved, "replace", path);
        }
        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0 || fsync(dir_fd) < 0) {
                saved = errno;
                if (dir_fd >= 0)
                        (void) close(dir_fd);
                return fail_errno(error, saved, "sync the directory of", path);
        }
        (void) close(dir_fd);
        return TRUE;
}

gboolean biogate_token_ledger_use(const char *path, const char *jti, gint64 exp, gint64 now, GError **error) {
        g_autofree char *lock_path = NULL, *text = NULL;
        g_autoptr(GString) kept = NULL;
        gboolean seen, ok;
        int lock_fd;

        g_return_val_if_fail(path, FALSE);
        g_return_val_if_fail(jti, FALSE);

        if (!is_jti(jti, strlen(jti))) {
                g_set_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_MALFORMED,
                            "the token's jti is not 1 to %d base64url characters", JTI_MAX);
                return FALSE;
        }

        lock_path = g_strconcat(path, ".lock", NULL);
        lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (lock_fd < 0)
                return fail_errno(error, errno, "open", lock_path);
        if (!check_owned(lock_fd, lock_path, FALSE, error)) {
                (void) close(lock_fd);
                return FALSE;
        }
        while (flock(lock_fd, LOCK_EX) < 0)
                if (errno != EINTR) {
                        int saved = errno;
                        (void) close(lock_fd);
                        return fail_errno(error, saved, "lock", lock_path);
                }

        text = read_ledger(path, error);
        kept = g_string_new(NULL);
        ok = text && filter_ledger(path, text, jti, now, kept, &seen, error);
        if (ok && seen) {
                g_set_error(error, BIOGATE_TOKEN_ERROR, BIOGATE_TOKEN_ERROR_REPLAYED,
                            "token %s was accepted before (ledger %s)", jti, path);
                ok = FALSE;
        }
        if (ok) {
                g_string_append_printf(kept, "%" G_GINT64_FORMAT " %s\n", exp, jti);
                ok = replace_ledger(path, kept, error);
        }
        /* Closing drops the lock, after the rename. */
        (void) close(lock_fd);
        return ok;
}
