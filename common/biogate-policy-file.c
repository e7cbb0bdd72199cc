/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading a policy file: a descriptor checked before its content is trusted,
 * then a line-by-line pre-scan, because GKeyFile reports no line numbers and
 * an admin needs them. What the pre-scan lets through, GKeyFile accepts. */
#include "biogate-policy-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHOWN_VALUE_MAX 64

/* The default matches everything, so it takes no selectors. */
const PolicyKeyInfo biogate_policy_keys[_KEY_MAX] = {
        [KEY_KIND]           = { "kind",                  FALSE },
        [KEY_CURRENCY]       = { "currency",              FALSE },
        [KEY_AMOUNT_MIN]     = { "amount_min",            FALSE },
        [KEY_AMOUNT_MAX]     = { "amount_max",            FALSE },
        [KEY_PAYEE]          = { "payee",                 FALSE },
        [KEY_COUNTERPARTY]   = { "counterparty",          FALSE },
        [KEY_ACCOUNT]        = { "account",               FALSE },
        [KEY_INSTRUMENT]     = { "instrument",            FALSE },
        [KEY_TIME]           = { "time",                  FALSE },
        [KEY_REQUIRE]        = { "require",               TRUE },
        [KEY_APPROVER_GROUP] = { "approver_group",        TRUE },
        [KEY_LOCAL_SESSION]  = { "require_local_session", TRUE },
        [KEY_TOKEN_LIFETIME] = { "token_lifetime",        TRUE },
        [KEY_DISPLAY]        = { "display",               TRUE },
};

void biogate_policy_scan_group_free(ScanGroup *g) {
        if (!g)
                return;
        g_free(g->name);
        g_array_unref(g->keys);
        g_free(g);
}

void biogate_policy_failv(GError **error, BiogatePolicyError code, const char *file, int line,
                          const char *format, va_list ap) {
        g_autofree char *reason = g_strdup_vprintf(format, ap);

        if (line > 0)
                g_set_error(error, BIOGATE_POLICY_ERROR, code, "%s:%d: %s", file, line, reason);
        else
                g_set_error(error, BIOGATE_POLICY_ERROR, code, "%s: %s", file, reason);
}

gboolean biogate_policy_fail(GError **error, BiogatePolicyError code, const char *file, int line,
                             const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        biogate_policy_failv(error, code, file, line, format, ap);
        va_end(ap);
        return FALSE;
}

/* A typo in a megabyte-long line still makes a readable message. */
char *biogate_policy_shown(const char *value) {
        g_autofree char *head = NULL;

        if (g_utf8_strlen(value, -1) <= SHOWN_VALUE_MAX)
                return g_strdup(value);
        head = g_utf8_substring(value, 0, SHOWN_VALUE_MAX);
        return g_strconcat(head, "...", NULL);
}

static gboolean read_all(int fd, const char *file, char **ret_text, gsize *ret_len, GError **error) {
        g_autofree char *buf = g_malloc(BIOGATE_POLICY_MAX_SIZE + 2);
        gsize len = 0;

        /* Up to one byte over the limit, so a file that grew after fstat()
         * is still caught. */
        while (len <= BIOGATE_POLICY_MAX_SIZE) {
                ssize_t n = read(fd, buf + len, BIOGATE_POLICY_MAX_SIZE + 1 - len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_IO, file, 0, "%s",
                                                   g_strerror(errno));
                if (n == 0)
                        break;
                len += (gsize) n;
        }
        if (len > BIOGATE_POLICY_MAX_SIZE)
                return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_IO, file, 0,
                                           "larger than 1 MiB; refused");

        buf[len] = '\0';
        *ret_text = g_realloc(g_steal_pointer(&buf), len + 1);
        *ret_len = len;
        return TRUE;
}

/* Only root may decide what needs a fingerprint. */
gboolean biogate_policy_read_file(int dir_fd, const char *name, const char *file, char **ret_text,
                                  gsize *ret_len, GError **error) {
        /* O_NONBLOCK: opening a FIFO must not hang the daemon. */
        const int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK;
        const char *problem = NULL;
        struct stat st;
        gboolean ok;
        int fd;

        fd = dir_fd >= 0 ? openat(dir_fd, name, flags) : open(name, flags);
        if (fd < 0 && errno == ELOOP)
                return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_IO, file, 0,
                                           "is a symbolic link; refused (policy files must be regular files)");
        if (fd < 0)
                return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_IO, file, 0, "%s", g_strerror(errno));

        if (fstat(fd, &st) < 0)
                problem = g_strerror(errno);
        else if (!S_ISREG(st.st_mode))
                problem = "not a regular file; refused";
        else if (st.st_size > BIOGATE_POLICY_MAX_SIZE)
                problem = "larger than 1 MiB; refused";
        else if (st.st_uid != 0 && st.st_uid != geteuid())
                problem = "not owned by root; refused";
        else if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
                problem = "writable by group or others; refused";

        if (problem)
                ok = biogate_policy_fail(error, BIOGATE_POLICY_ERROR_IO, file, 0, "%s", problem);
        else
                ok = read_all(fd, file, ret_text, ret_len, error);

        (void) close(fd);
        return ok;
}

/* Deep enough for any real path; a loop of ".." (which cannot happen) must
 * not spin. */
#define DIR_DEPTH_MAX 256

static gboolean owner_is_trusted(const struct stat *st) {
        return st->st_uid == 0 || st->st_uid == geteuid();
}

/* The path of an open directory, for a message only. */
static char *fd_path(int fd) {
        g_autofree char *link = g_strdup_printf("/proc/self/fd/%d", fd);
        char *path = g_file_read_link(link, NULL);

        return path ? path : g_strdup("(unknown)");
}

/* Refuses a directory above the policy directory that someone other than
 * root could change: whoever may rename entries in it may swap the policy
 * directory for one of their own, or for an empty one (and so the vendor
 * policy). The sticky bit stops that for entries they do not own. */
static gboolean check_ancestor(int fd, const struct stat *st, const char *dir, GError **error) {
        g_autofree char *path = NULL;

        if (owner_is_trusted(st) && ((st->st_mode & (S_IWGRP | S_IWOTH)) == 0 || (st->st_mode & S_ISVTX) != 0))
                return TRUE;
        path = fd_path(fd);
        if (!owner_is_trusted(st))
                return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_IO, dir, 0,
                                           "the directory %s above it is not owned by root (owner uid %u); refused",
                                           path, (unsigned) st->st_uid);
        return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_IO, dir, 0,
                                   "the directory %s above it is writable by group or others (mode %04o) "
                                   "without the sticky bit; refused", path, (unsigned) (st->st_mode & 07777));
}

/* Walks ".." from @fd (borrowed, already checked, @st its stat) up to the
 * root directory, checking each parent. Descriptors rather than the path,
 * so a symbolic link or a rename on the way cannot make us check other
 * directories than the ones above what was opened. */
static gboolean check_ancestors(int fd, const struct stat *st, const char *dir, GError **error) {
        struct stat cur_st = *st;
        int cur = fd;
        gboolean ok = TRUE;

        for (int depth = 0;; depth++) {
                struct stat parent_st;
                int parent;

                if (depth >= DIR_DEPTH_MAX) {
                        ok = biogate_policy_fail(error, BIOGATE_POLICY_ERROR_IO, dir, 0,
                                                 "more than %d directories deep; refused", DIR_DEPTH_MAX);
                        break;
                }
                parent = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (parent < 0 || fstat(parent, &parent_st) < 0) {
                        int saved = errno;

                        if (parent >= 0)
                                (void) close(parent);
                        ok = biogate_policy_fail(error, BIOGATE_POLICY_ERROR_IO, dir, 0,
                                                 "cannot check the directories above it: %s", g_strerror(saved));
                        break;
                }
                /* ".." of the root directory is itself. */
                if (parent_st.st_dev == cur_st.st_dev && parent_st.st_ino == cur_st.st_ino) {
                        (void) close(parent);
                        break;
                }
                if (cur != fd)
                        (void) close(cur);
                cur = parent;
                cur_st = parent_st;
                ok = check_ancestor(cur, &cur_st, dir, error);
                if (!ok)
                        break;
        }
        if (cur != fd)
                (void) close(cur);
        return ok;
}

/* The policy directory itself, stricter than the directories above it: the
 * sticky bit would not stop others adding files that break the load. */
static gboolean check_policy_dir(const struct stat *st, const char *dir, GError **error) {
        if (!S_ISDIR(st->st_mode))
                return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_IO, dir, 0, "not a directory; refused");
        /* Whoever may write the directory may remove or rename a site file
         * (and so loosen the policy, or fall back to the vendor's) without
         * being able to write the file itself. */
        if (!owner_is_trusted(st))
                return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_IO, dir, 0,
                                           "policy directory not owned by root (owner uid %u); refused",
                                           (unsigned) st->st_uid);
        if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0)
                return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_IO, dir, 0,
                                           "policy directory writable by group or others (mode %04o); refused",
                                           (unsigned) (st->st_mode & 07777));
        return TRUE;
}

/* Why a component could not be opened as a directory without following it. */
static gboolean fail_component(int parent, const char *name, int err, const char *dir, GError **error) {
        struct stat st;

        /* Linux says ENOTDIR (or ELOOP) for a link with O_DIRECTORY | O_NOFOLLOW. */
        if ((err == ELOOP || err == ENOTDIR) && fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(st.st_mode))
                return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_IO, dir, 0,
                                           "'%s' on its path is a symbolic link; refused (the policy directory "
                                           "and the directories above it are not reached through links)", name);
        if (err == ENOTDIR)
                return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_IO, dir, 0,
                                           "'%s' on its path is not a directory; refused", name);
        return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_IO, dir, 0, "'%s': %s", name, g_strerror(err));
}

gboolean biogate_policy_open_dir(const char *dir, int *ret_fd, GError **error) {
        g_auto(GStrv) parts = g_strsplit(dir, "/", -1);
        struct stat st;
        int cur, last = -1;

        for (int i = 0; parts[i]; i++) {
                if (*parts[i] == '\0' || strcmp(parts[i], ".") == 0)
                        continue;
                /* ".." would leave a directory that was checked for one
                 * that was not (or only the other way round). */
                if (strcmp(parts[i], "..") == 0)
                        return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_IO, dir, 0,
                                                   "'..' in the path; refused");
                last = i;
        }
        if (last < 0)
                return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_IO, dir, 0, "not a directory path; refused");

        cur = open(dir[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cur < 0 || fstat(cur, &st) < 0) {
                int saved = errno;
                if (cur >= 0)
                        (void) close(cur);
                return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_IO, dir, 0, "%s", g_strerror(saved));
        }
        /* A relative path starts from a directory reached some other way:
         * check everything above it too. */
        if (!check_ancestor(cur, &st, dir, error) || (dir[0] != '/' && !check_ancestors(cur, &st, dir, error))) {
                (void) close(cur);
                return FALSE;
        }

        /* One component at a time, never through a link: a link on the way,
         * planted where a component did not exist yet, would leave the
         * directory that holds it (say a sticky /tmp) unchecked. */
        for (int i = 0; i <= last; i++) {
                gboolean is_last = i == last;
                int next;

                if (*parts[i] == '\0' || strcmp(parts[i], ".") == 0)
                        continue;
                next = openat(cur, parts[i], (is_last ? O_RDONLY : O_PATH) | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0) {
                        int saved = errno;
                        gboolean ok;

                        if (saved != ENOENT) {
                                ok = fail_component(cur, parts[i], saved, dir, error);
                                (void) close(cur);
                                return ok;
                        }
                        /* Nothing there, so the vendor policy applies: unless
                         * someone else could create the name and choose the
                         * policy. The sticky bit does not stop creating. */
                        if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
                                g_autofree char *path = fd_path(cur);

                                (void) close(cur);
                                return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_IO, dir, 0,
                                                           "does not exist, and others may create it in %s "
                                                           "(mode %04o); refused", path,
                                                           (unsigned) (st.st_mode & 07777));
                        }
                        (void) close(cur);
                        *ret_fd = -1;
                        return TRUE;
                }
                (void) close(cur);
                cur = next;
                if (fstat(cur, &st) < 0) {
                        int saved = errno;
                        (void) close(cur);
                        return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_IO, dir, 0, "%s", g_strerror(saved));
                }
                if (!(is_last ? check_policy_dir(&st, dir, error) : check_ancestor(cur, &st, dir, error))) {
                        (void) close(cur);
                        return FALSE;
                }
        }
        *ret_fd = cur;
        return TRUE;
}

static int line_of(const char *text, const char *at) {
        int line = 1;

        for (const char *p = text; p < at; p++)
                if (*p == '\n')
                        line++;
        return line;
}

static gboolean is_rule_name(const char *s) {
        size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-");

        return n >= 1 && n <= BIOGATE_POLICY_RULE_NAME_MAX && s[n] == '\0';
}

static int find_key(const char *name) {
        for (int k = 0; k < _KEY_MAX; k++)
                if (strcmp(biogate_policy_keys[k].name, name) == 0)
                        return k;
        return -1;
}

/* A group header; checked against the grammar here, so GKeyFile never sees
 * a group it would reject, or merge with an earlier one of the same name. */
static gboolean scan_group(const char *file, int line, const char *s, GPtrArray *groups, GHashTable *by_name,
                           GError **error) {
        size_t n = strlen(s);
        g_autofree char *name = NULL;
        ScanGroup *g, *first;

        if (s[n - 1] != ']')
                return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_SYNTAX, file, line,
                                           "a group header must end with ']'");
        name = g_strndup(s + 1, n - 2);
        if (!g_str_equal(name, "default") && !(g_str_has_prefix(name, "rule ") && is_rule_name(name + 5))) {
                g_autofree char *v = biogate_policy_shown(name);
                return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_SYNTAX, file, line,
                                           "unknown group [%s]: expected [default] or [rule NAME], "
                                           "NAME being 1 to %d of A-Z a-z 0-9 _ . -",
                                           v, BIOGATE_POLICY_RULE_NAME_MAX);
        }
        if (g_str_equal(name, "rule default"))
                return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_INVALID, file, line,
                                           "'default' is the name of the [default] group; "
                                           "choose another rule name");
        first = g_hash_table_lookup(by_name, name);
        if (first)
                return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_INVALID, file, line,
                                           "duplicate [%s] (first at line %d)", name, first->line);

        g = g_new0(ScanGroup, 1);
        g->line = line;
        g->is_default = g_str_equal(name, "default");
        g->keys = g_array_new(FALSE, FALSE, sizeof(ScanKey));
        g->name = g_steal_pointer(&name);
        g_ptr_array_add(groups, g);
        g_hash_table_insert(by_name, g->name, g);
        return TRUE;
}

/* A key=value line: the key must be known in its group and appear once. */
static gboolean scan_key(const char *file, int line, const char *s, ScanGroup *current, GError **error) {
        const char *eq = strchr(s, '=');
        g_autofree char *key = NULL;
        int k;

        if (!eq || eq == s)
                return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_SYNTAX, file, line,
                                           "expected a comment (# or ;), a [group] or key=value");
        key = g_strchomp(g_strndup(s, (gsize) (eq - s)));
        if (!current)
                return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_SYNTAX, file, line,
                                           "'%s=' before the first group", key);

        k = find_key(key);
        if (k < 0) {
                g_autofree char *v = biogate_policy_shown(key);
                return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_INVALID, file, line,
                                           "unknown key '%s' in [%s]", v, current->name);
        }
        if (current->is_default && !biogate_policy_keys[k].in_default)
                return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_INVALID, file, line,
                                           "'%s=' is not allowed in [default], which matches every "
                                           "transaction (allowed: require, approver_group, "
                                           "require_local_session, token_lifetime, display)", key);
        for (guint i = 0; i < current->keys->len; i++) {
                const ScanKey *sk = &g_array_index(current->keys, ScanKey, i);

                if ((int) sk->key == k)
                        return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_INVALID, file, line,
                                                   "duplicate key '%s' in [%s] (first at line %d)", key,
                                                   current->name, sk->line);
        }
        g_array_append_val(current->keys, ((ScanKey) { .key = (PolicyKey) k, .line = line }));
        return TRUE;
}

gboolean biogate_policy_prescan(const char *file, char *text, gsize len, GPtrArray *groups, int *ret_n_lines,
                                GError **error) {
        g_autoptr(GHashTable) by_name = g_hash_table_new(g_str_hash, g_str_equal);
        const char *bad;
        int line = 0;

        bad = memchr(text, '\0', len);
        if (bad)
                return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_SYNTAX, file, line_of(text, bad),
                                           "NUL byte: not a text file");
        if (!g_utf8_validate_len(text, len, &bad))
                return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_SYNTAX, file, line_of(text, bad),
                                           "not valid UTF-8");

        for (char *p = text; p < text + len;) {
                char *eol = memchr(p, '\n', (gsize) (text + len - p));
                gsize n = (gsize) ((eol ? eol : text + len) - p);
                g_autofree char *copy = g_strndup(p, n);
                gboolean ok = TRUE;
                char *s;

                line++;
                /* GKeyFile drops the '\r' of "\r\n" and nothing else. */
                if (n > 0 && copy[n - 1] == '\r')
                        copy[--n] = '\0';
                for (gsize i = 0; i < n; i++) {
                        unsigned char c = (unsigned char) copy[i];

                        if ((c < 0x20 && c != '\t') || c == 0x7f)
                                return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_SYNTAX, file, line,
                                                           "control character 0x%02x: not a text file", c);
                }

                s = copy;
                while (*s == ' ' || *s == '\t')
                        s++;
                g_strchomp(s);
                if (*s == ';')
                        p[s - copy] = '#';
                else if (*s == '[')
                        ok = scan_group(file, line, s, groups, by_name, error);
                else if (*s != '\0' && *s != '#')
                        ok = scan_key(file, line, s, groups->len > 0 ? groups->pdata[groups->len - 1] : NULL,
                                      error);
                if (!ok)
                        return FALSE;

                if (!eol)
                        break;
                p = eol + 1;
        }

        *ret_n_lines = MAX(line, 1);
        return TRUE;
}
