/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Between the two halves of the policy code: biogate-policy-file.c reads a
 * file safely and pre-scans it into groups and keys with their lines;
 * biogate-policy.c turns those into rules and matches them. */

#include <stdarg.h>

#include "biogate-policy.h"

#define BIOGATE_POLICY_MAX_SIZE (1024 * 1024)
#define BIOGATE_POLICY_RULE_NAME_MAX 64

typedef enum PolicyKey {
        KEY_KIND,
        KEY_CURRENCY,
        KEY_AMOUNT_MIN,
        KEY_AMOUNT_MAX,
        KEY_PAYEE,
        KEY_COUNTERPARTY,
        KEY_ACCOUNT,
        KEY_INSTRUMENT,
        KEY_TIME,
        KEY_REQUIRE,
        KEY_APPROVER_GROUP,
        KEY_LOCAL_SESSION,
        KEY_TOKEN_LIFETIME,
        KEY_DISPLAY,
        _KEY_MAX,
} PolicyKey;

typedef struct PolicyKeyInfo {
        const char *name;
        gboolean in_default; /* the default matches everything: no selectors */
} PolicyKeyInfo;

extern const PolicyKeyInfo biogate_policy_keys[_KEY_MAX];

/* The pre-scan's index: each group and each key with its line. */
typedef struct ScanKey {
        PolicyKey key;
        int line;
} ScanKey;

typedef struct ScanGroup {
        char *name;                /* as GKeyFile knows it: "rule NAME" or "default" */
        int line;
        gboolean is_default;
        GArray *keys;              /* ScanKey, in file order */
} ScanGroup;

void biogate_policy_scan_group_free(ScanGroup *g);

/* Sets "FILE:LINE: reason", or "FILE: reason" for line 0; returns FALSE. */
void biogate_policy_failv(GError **error, BiogatePolicyError code, const char *file, int line,
                          const char *format, va_list ap) G_GNUC_PRINTF(5, 0);
gboolean biogate_policy_fail(GError **error, BiogatePolicyError code, const char *file, int line,
                             const char *format, ...) G_GNUC_PRINTF(5, 6);

/* @value shortened for a message. */
char *biogate_policy_shown(const char *value);

/* Opens @name (relative to @dir_fd when >= 0) without following a symlink
 * and reads it if it is a regular file of at most 1 MiB owned by root or
 * the running uid and writable by nobody else. @file names it in errors. */
gboolean biogate_policy_read_file(int dir_fd, const char *name, const char *file, char **ret_text,
                                  gsize *ret_len, GError **error);

/* Opens the policy directory @dir one component at a time from "/" (or,
 * for a relative path, from the working directory, whose own ancestors are
 * checked too), never through a symbolic link and never through "..".
 * Every directory on the way must be owned by root or the running uid and
 * writable by group or others only with the sticky bit (as /tmp), so that
 * nobody else can rename, remove or replace what lies below; @dir itself
 * must be owned by root or the running uid and writable by nobody else,
 * the way read_file() checks a file. When @dir does not exist, *ret_fd is
 * -1 and the call succeeds only if nobody else could create it (the
 * directory where it would be made is writable by its owner alone). */
gboolean biogate_policy_open_dir(const char *dir, int *ret_fd, GError **error);

/* Checks that @text is UTF-8 text whose every line is blank, a comment, a
 * [group] header or key=value with a known key, and appends a ScanGroup
 * per group to @groups. Rewrites ';' comments to '#' in place, the only
 * comment sign GKeyFile knows. */
gboolean biogate_policy_prescan(const char *file, char *text, gsize len, GPtrArray *groups, int *ret_n_lines,
                                GError **error);
