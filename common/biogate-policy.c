/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The step-up policy: rules from the files that biogate-policy-file.c has
 * read and pre-scanned, their values taken from GKeyFile and checked key by
 * key with the pre-scan's line index, and first-match evaluation. Rules keep
 * their selectors here, behind the public part the daemon sees. */
#include "biogate-policy-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KIND_MAX 32
#define GROUP_NAME_MAX 32
#define PATTERN_MAX 256
#define TOKEN_LIFETIME_DEFAULT 120
#define TOKEN_LIFETIME_MIN 10
#define TOKEN_LIFETIME_MAX BIOGATE_POLICY_TOKEN_LIFETIME_MAX_S

G_DEFINE_QUARK(biogate-policy-error-quark, biogate_policy_error)

static const char *const requirement_names[] = {
        [BIOGATE_REQUIRE_NONE]                 = "none",
        [BIOGATE_REQUIRE_FINGERPRINT]          = "fingerprint",
        [BIOGATE_REQUIRE_FINGERPRINT_APPROVER] = "fingerprint+approver",
        [BIOGATE_REQUIRE_DENY]                 = "deny",
};

typedef struct PolicyRule {
        BiogatePolicyRule pub;     /* first, so a PolicyRule * is a BiogatePolicyRule * */
        char **kinds;              /* NULL: any kind */
        char *currency;            /* NULL: any currency */
        int minor_units;
        gboolean has_min, has_max;
        gint64 amount_min;         /* minor units, inclusive */
        gint64 amount_max;         /* minor units, exclusive */
        /* g_pattern_match_simple() globs, or NULL; each one is matched
         * against the transaction field of its own name and nothing else. */
        char *payee, *counterparty, *account, *instrument;
        gboolean has_time;
        int time_start, time_end;  /* minutes after midnight; the end is exclusive */
} PolicyRule;

struct BiogatePolicy {
        GPtrArray *rules;          /* PolicyRule *, in order; [default] last */
        char *sources;
};

static void policy_rule_free(PolicyRule *r) {
        if (!r)
                return;
        g_free(r->pub.name);
        g_free(r->pub.file);
        g_free(r->pub.approver_group);
        g_strfreev(r->kinds);
        g_free(r->currency);
        g_free(r->payee);
        g_free(r->counterparty);
        g_free(r->account);
        g_free(r->instrument);
        g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PolicyRule, policy_rule_free)

void biogate_policy_free(BiogatePolicy *policy) {
        if (!policy)
                return;
        g_ptr_array_unref(policy->rules);
        g_free(policy->sources);
        g_free(policy);
}

static gboolean invalid(GError **error, const char *file, int line, const char *format, ...)
        G_GNUC_PRINTF(4, 5);
static gboolean invalid(GError **error, const char *file, int line, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        biogate_policy_failv(error, BIOGATE_POLICY_ERROR_INVALID, file, line, format, ap);
        va_end(ap);
        return FALSE;
}

static gboolean is_kind(const char *s) {
        size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_");
        return g_ascii_islower(s[0]) && n <= KIND_MAX && s[n] == '\0';
}

static gboolean is_group_name(const char *s) {
        size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-");
        return (g_ascii_isalpha(s[0]) || s[0] == '_') && n <= GROUP_NAME_MAX && s[n] == '\0';
}

static gboolean parse_kinds(const char *file, int line, const char *value, char ***ret_kinds, GError **error) {
        g_auto(GStrv) items = g_strsplit(value, ";", -1);
        g_autoptr(GPtrArray) kinds = g_ptr_array_new_with_free_func(g_free);
        guint n = g_strv_length(items);

        for (guint i = 0; i < n; i++) {
                const char *item = g_strstrip(items[i]);

                /* GKeyFile lists may end with ';'. */
                if (*item == '\0' && i == n - 1 && i > 0)
                        break;
                if (!is_kind(item)) {
                        g_autofree char *v = biogate_policy_shown(item);
                        return invalid(error, file, line,
                                       "kind '%s' is not a valid kind ([a-z][a-z0-9_]{0,%d}, separated "
                                       "by ';')", v, KIND_MAX - 1);
                }
                if (g_ptr_array_find_with_equal_func(kinds, item, g_str_equal, NULL))
                        return invalid(error, file, line, "kind '%s' listed twice", item);
                g_ptr_array_add(kinds, g_strdup(item));
        }
        g_ptr_array_add(kinds, NULL);
        *ret_kinds = (char **) g_ptr_array_free(g_steal_pointer(&kinds), FALSE);
        return TRUE;
}

/* "HH:MM", exactly two digits each. */
static gboolean parse_clock(const char *s, int *ret_minutes) {
        int h, m;

        if (!g_ascii_isdigit(s[0]) || !g_ascii_isdigit(s[1]) || s[2] != ':' ||
            !g_ascii_isdigit(s[3]) || !g_ascii_isdigit(s[4]))
                return FALSE;
        h = (s[0] - '0') * 10 + (s[1] - '0');
        m = (s[3] - '0') * 10 + (s[4] - '0');
        if (h > 23 || m > 59)
                return FALSE;
        *ret_minutes = h * 60 + m;
        return TRUE;
}

static gboolean parse_time_window(const char *value, int *ret_start, int *ret_end) {
        int start, end;

        if (strlen(value) != 11 || value[5] != '-' || !parse_clock(value, &start) ||
            !parse_clock(value + 6, &end) || start == end)
                return FALSE;
        *ret_start = start;
        *ret_end = end;
        return TRUE;
}

gboolean biogate_requirement_from_string(const char *s, BiogateRequirement *ret_requirement) {
        for (size_t i = 0; i < G_N_ELEMENTS(requirement_names); i++)
                if (s && strcmp(s, requirement_names[i]) == 0) {
                        *ret_requirement = (BiogateRequirement) i;
                        return TRUE;
                }
        return FALSE;
}

const char *biogate_requirement_to_string(BiogateRequirement requirement) {
        if ((size_t) requirement >= G_N_ELEMENTS(requirement_names))
                return NULL;
        return requirement_names[requirement];
}

/* Where the pattern of a glob selector lives: one member per key, so a
 * selector can only ever be compared with the field it names. */
static char **rule_pattern(PolicyRule *r, PolicyKey key) {
        switch (key) {
        case KEY_PAYEE:
                return &r->payee;
        case KEY_COUNTERPARTY:
                return &r->counterparty;
        case KEY_ACCOUNT:
                return &r->account;
        case KEY_INSTRUMENT:
                return &r->instrument;
        default:
                g_assert_not_reached();
        }
}

/* One key of @r; amounts are only remembered, as they need the currency. */
static gboolean parse_value(const char *file, const ScanKey *sk, const char *value, PolicyRule *r,
                            char **amounts, GError **error) {
        const char *key = biogate_policy_keys[sk->key].name;
        g_autofree char *v = biogate_policy_shown(value);
        guint64 u;

        switch (sk->key) {
        case KEY_KIND:
                return parse_kinds(file, sk->line, value, &r->kinds, error);
        case KEY_CURRENCY:
                r->minor_units = biogate_currency_minor_units(value);
                if (r->minor_units < 0)
                        return invalid(error, file, sk->line,
                                       "currency=%s is not an ISO 4217 currency code", v);
                r->currency = g_strdup(value);
                return TRUE;
        case KEY_AMOUNT_MIN:
        case KEY_AMOUNT_MAX:
                amounts[sk->key == KEY_AMOUNT_MAX] = g_strdup(value);
                return TRUE;
        case KEY_PAYEE:
        case KEY_COUNTERPARTY:
        case KEY_ACCOUNT:
        case KEY_INSTRUMENT:
                if (strlen(value) > PATTERN_MAX)
                        return invalid(error, file, sk->line,
                                       "%s= pattern longer than %d bytes", key, PATTERN_MAX);
                *rule_pattern(r, sk->key) = g_strdup(value);
                return TRUE;
        case KEY_TIME:
                if (!parse_time_window(value, &r->time_start, &r->time_end))
                        return invalid(error, file, sk->line,
                                       "time=%s is not a window HH:MM-HH:MM of two different times "
                                       "(00:00 to 23:59)", v);
                r->has_time = TRUE;
                return TRUE;
        case KEY_REQUIRE:
                if (!biogate_requirement_from_string(value, &r->pub.requirement))
                        return invalid(error, file, sk->line,
                                       "require=%s is not one of none, fingerprint, fingerprint+approver, "
                                       "deny", v);
                return TRUE;
        case KEY_APPROVER_GROUP:
                if (!is_group_name(value))
                        return invalid(error, file, sk->line,
                                       "approver_group=%s is not a valid unix group name", v);
                r->pub.approver_group = g_strdup(value);
                return TRUE;
        case KEY_LOCAL_SESSION:
                if (!g_str_equal(value, "true") && !g_str_equal(value, "false"))
                        return invalid(error, file, sk->line,
                                       "require_local_session=%s is not true or false", v);
                r->pub.require_local_session = g_str_equal(value, "true");
                return TRUE;
        case KEY_TOKEN_LIFETIME:
                if (!g_ascii_isdigit(value[0]) ||
                    !g_ascii_string_to_unsigned(value, 10, TOKEN_LIFETIME_MIN, TOKEN_LIFETIME_MAX, &u, NULL))
                        return invalid(error, file, sk->line,
                                       "token_lifetime=%s is not a number of seconds from %d to %d", v,
                                       TOKEN_LIFETIME_MIN, TOKEN_LIFETIME_MAX);
                r->pub.token_lifetime_s = (guint) u;
                return TRUE;
        case KEY_DISPLAY:
                if (!g_str_equal(value, "agent") && !g_str_equal(value, "any"))
                        return invalid(error, file, sk->line,
                                       "display=%s is not agent or any", v);
                r->pub.display_agent = g_str_equal(value, "agent");
                return TRUE;
        case _KEY_MAX:
                break;
        }
        g_assert_not_reached();
}

static int key_line(const ScanGroup *g, PolicyKey key) {
        for (guint i = 0; i < g->keys->len; i++)
                if (g_array_index(g->keys, ScanKey, i).key == key)
                        return g_array_index(g->keys, ScanKey, i).line;
        return 0;
}

/* The checks that involve more than one key. */
static gboolean check_rule(const char *file, const ScanGroup *g, PolicyRule *r, char **amounts,
                           GError **error) {
        int require_line = key_line(g, KEY_REQUIRE);
        int approver_line = key_line(g, KEY_APPROVER_GROUP);

        if (require_line == 0)
                return invalid(error, file, g->line,
                               "[%s] has no require= (none, fingerprint, fingerprint+approver or deny)",
                               g->name);
        if (r->pub.requirement == BIOGATE_REQUIRE_FINGERPRINT_APPROVER && approver_line == 0)
                return invalid(error, file, require_line,
                               "require=fingerprint+approver needs approver_group= "
                               "(the unix group of the approvers)");
        if (r->pub.requirement != BIOGATE_REQUIRE_FINGERPRINT_APPROVER && approver_line != 0)
                return invalid(error, file, approver_line,
                               "approver_group= is only allowed with require=fingerprint+approver");

        for (int i = 0; i < 2; i++) {
                PolicyKey key = i == 0 ? KEY_AMOUNT_MIN : KEY_AMOUNT_MAX;
                g_autoptr(GError) local = NULL;
                g_autofree char *v = NULL;
                gint64 minor;

                if (!amounts[i])
                        continue;
                if (!r->currency)
                        return invalid(error, file, key_line(g, key),
                                       "%s= needs currency= (amounts compare in one currency's minor units)",
                                       biogate_policy_keys[key].name);
                if (!biogate_amount_parse(amounts[i], r->minor_units, &minor, &local)) {
                        v = biogate_policy_shown(amounts[i]);
                        return invalid(error, file, key_line(g, key),
                                       "%s=%s is not a valid %s amount: %s", biogate_policy_keys[key].name, v,
                                       r->currency, local->message);
                }
                if (i == 0) {
                        r->has_min = TRUE;
                        r->amount_min = minor;
                } else {
                        r->has_max = TRUE;
                        r->amount_max = minor;
                }
        }
        if (r->has_min && r->has_max && r->amount_min >= r->amount_max)
                return invalid(error, file, key_line(g, KEY_AMOUNT_MAX),
                               "amount_min=%s is not below amount_max=%s", amounts[0], amounts[1]);
        return TRUE;
}

static PolicyRule *parse_group(const char *file, GKeyFile *kf, const ScanGroup *g, GError **error) {
        g_autoptr(PolicyRule) r = g_new0(PolicyRule, 1);
        char *amounts[2] = { NULL, NULL };
        gboolean ok = TRUE;

        r->pub.name = g_strdup(g->is_default ? "default" : g->name + strlen("rule "));
        r->pub.file = g_strdup(file);
        r->pub.line = g->line;
        r->pub.token_lifetime_s = TOKEN_LIFETIME_DEFAULT;
        r->minor_units = -1;

        for (guint i = 0; ok && i < g->keys->len; i++) {
                const ScanKey *sk = &g_array_index(g->keys, ScanKey, i);
                const char *key = biogate_policy_keys[sk->key].name;
                g_autoptr(GError) local = NULL;
                g_autofree char *value = g_key_file_get_string(kf, g->name, key, &local);

                /* GKeyFile may return a value and an error for a bad escape. */
                if (!value || local) {
                        ok = biogate_policy_fail(error, BIOGATE_POLICY_ERROR_SYNTAX, file, sk->line,
                                                 "%s=: invalid backslash escape (GKeyFile knows \\s \\n \\t "
                                                 "\\r \\\\)", key);
                        break;
                }
                g_strstrip(value);
                for (const char *c = value; *c; c++)
                        if ((unsigned char) *c < 0x20 || *c == 0x7f) {
                                ok = invalid(error, file, sk->line, "%s= contains a control character", key);
                                break;
                        }
                if (ok && *value == '\0')
                        ok = invalid(error, file, sk->line, "%s= has no value", key);
                if (ok)
                        ok = parse_value(file, sk, value, r, amounts, error);
        }
        if (ok)
                ok = check_rule(file, g, r, amounts, error);

        g_free(amounts[0]);
        g_free(amounts[1]);
        return ok ? g_steal_pointer(&r) : NULL;
}

typedef struct PolicyBuilder {
        BiogatePolicy *policy;
        GHashTable *names;         /* rule name → PolicyRule *, borrowed */
        GString *sources;
} PolicyBuilder;

/* Adds the rules of one file; the last file of a policy ends with [default]
 * and no other file has one. */
static gboolean add_file(PolicyBuilder *b, int dir_fd, const char *name, const char *file, gboolean is_last,
                         GError **error) {
        g_autoptr(GPtrArray) groups =
                g_ptr_array_new_with_free_func((GDestroyNotify) biogate_policy_scan_group_free);
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(GError) local = NULL;
        g_autofree char *text = NULL;
        gboolean have_default = FALSE;
        int n_lines = 1;
        gsize len = 0;

        if (!biogate_policy_read_file(dir_fd, name, file, &text, &len, error) ||
            !biogate_policy_prescan(file, text, len, groups, &n_lines, error))
                return FALSE;
        /* The pre-scan let through only lines GKeyFile accepts, so this is
         * not expected to fail; GKeyFile knows no line numbers if it does. */
        if (!g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, &local))
                return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_SYNTAX, file, 1, "%s", local->message);

        g_string_append_printf(b->sources, "%s%s", b->sources->len > 0 ? ", " : "", file);

        for (guint i = 0; i < groups->len; i++) {
                const ScanGroup *g = groups->pdata[i];
                PolicyRule *r, *first;

                if (g->is_default && !is_last)
                        return invalid(error, file, g->line,
                                       "[default] is only allowed in the last file of the policy");
                if (g->is_default && i + 1 < groups->len)
                        return invalid(error, file,
                                       ((const ScanGroup *) groups->pdata[i + 1])->line,
                                       "[%s] after [default] (line %d): [default] must be the last group",
                                       ((const ScanGroup *) groups->pdata[i + 1])->name, g->line);

                r = parse_group(file, kf, g, error);
                if (!r)
                        return FALSE;
                g_ptr_array_add(b->policy->rules, r);
                if (g->is_default) {
                        have_default = TRUE;
                        continue;
                }

                first = g_hash_table_lookup(b->names, r->pub.name);
                if (first)
                        return invalid(error, file, g->line,
                                       "duplicate rule '%s' (first defined at %s:%d)", r->pub.name,
                                       first->pub.file, first->pub.line);
                g_hash_table_insert(b->names, r->pub.name, r);
        }

        if (is_last && !have_default)
                return invalid(error, file, n_lines,
                               "no [default] group: the policy must end with [default] and its require=");
        return TRUE;
}

/* @names are file names relative to @dir_fd, or paths when it is -1; @dir is
 * what to prefix them with in messages. */
static BiogatePolicy *load_list(int dir_fd, const char *dir, const char *const *names, guint n,
                                GError **error) {
        g_autoptr(GHashTable) by_name = g_hash_table_new(g_str_hash, g_str_equal);
        g_autoptr(GString) sources = g_string_new(NULL);
        g_autoptr(BiogatePolicy) policy = g_new0(BiogatePolicy, 1);
        PolicyBuilder b = { .policy = policy, .names = by_name, .sources = sources };

        policy->rules = g_ptr_array_new_with_free_func((GDestroyNotify) policy_rule_free);
        if (n == 0) {
                g_set_error(error, BIOGATE_POLICY_ERROR, BIOGATE_POLICY_ERROR_NO_RULES, "no policy files given");
                return NULL;
        }

        for (guint i = 0; i < n; i++) {
                g_autofree char *file = dir ? g_build_filename(dir, names[i], NULL) : g_strdup(names[i]);

                if (!add_file(&b, dir_fd, names[i], file, i + 1 == n, error))
                        return NULL;
        }

        policy->sources = g_string_free(g_steal_pointer(&sources), FALSE);
        return g_steal_pointer(&policy);
}

BiogatePolicy *biogate_policy_load_files(const char *const *paths, GError **error) {
        return load_list(-1, NULL, paths, paths ? g_strv_length((char **) paths) : 0, error);
}

BiogatePolicy *biogate_policy_load_file(const char *path, GError **error) {
        const char *paths[] = { path, NULL };

        return biogate_policy_load_files(paths, error);
}

static int compare_names(gconstpointer a, gconstpointer b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* The *.conf names in @dir_fd, sorted bytewise (not by locale, so every
 * machine loads them in the same order). */
static gboolean list_conf_files(int dir_fd, const char *dir, GPtrArray *names, GError **error) {
        DIR *d;
        int fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);

        if (fd < 0 || !(d = fdopendir(fd))) {
                int saved = errno;
                if (fd >= 0)
                        (void) close(fd);
                return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_IO, dir, 0, "%s", g_strerror(saved));
        }
        for (;;) {
                struct dirent *de;

                errno = 0;
                de = readdir(d);
                if (!de)
                        break;
                if (de->d_name[0] != '.' && g_str_has_suffix(de->d_name, ".conf"))
                        g_ptr_array_add(names, g_strdup(de->d_name));
        }
        if (errno != 0) {
                int saved = errno;
                (void) closedir(d);
                return biogate_policy_fail(error, BIOGATE_POLICY_ERROR_IO, dir, 0, "%s", g_strerror(saved));
        }
        (void) closedir(d);
        g_ptr_array_sort(names, compare_names);
        return TRUE;
}

BiogatePolicy *biogate_policy_load(const char *local_dir, const char *vendor_file, GError **error) {
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        BiogatePolicy *policy;
        int dir_fd = -1;

        if (local_dir) {
                /* A missing directory means the vendor policy, so who could
                 * have removed it, or could create it, matters as much as
                 * who may write it. */
                if (!biogate_policy_open_dir(local_dir, &dir_fd, error))
                        return NULL;
        }
        if (dir_fd >= 0) {
                gboolean ok = list_conf_files(dir_fd, local_dir, names, error);

                policy = ok && names->len > 0 ?
                        load_list(dir_fd, local_dir, (const char *const *) names->pdata, names->len, error) : NULL;
                (void) close(dir_fd);
                if (!ok || names->len > 0)
                        return policy;
        }

        if (!vendor_file || (access(vendor_file, F_OK) < 0 && errno == ENOENT)) {
                g_set_error(error, BIOGATE_POLICY_ERROR, BIOGATE_POLICY_ERROR_NO_RULES,
                            "no policy: no *.conf in %s and no vendor policy %s", local_dir ? local_dir : "(none)",
                            vendor_file ? vendor_file : "(none)");
                return NULL;
        }
        return biogate_policy_load_file(vendor_file, error);
}

static gboolean tx_amount_matches(const PolicyRule *r, const BiogateTx *tx) {
        if (!r->has_min && !r->has_max)
                return TRUE;
        /* No amount never meets a bound; rule and tx share the currency here. */
        if (!tx->amount || !tx->currency || tx->minor_units != r->minor_units)
                return FALSE;
        if (r->has_min && tx->amount_minor < r->amount_min)
                return FALSE;
        if (r->has_max && tx->amount_minor >= r->amount_max)
                return FALSE;
        return TRUE;
}

/* No pattern: the rule does not look at the field. A pattern and no field:
 * no match, even for "*", because a rule that relaxes the requirement for
 * some payees must not also relax it for a transaction that names none. */
static gboolean glob_matches(const char *pattern, const char *value) {
        return !pattern || (value && g_pattern_match_simple(pattern, value));
}

static gboolean rule_matches(const PolicyRule *r, const BiogateTx *tx, int minute) {
        if (r->kinds && (!tx->kind || !g_strv_contains((const char *const *) r->kinds, tx->kind)))
                return FALSE;
        if (r->currency && (!tx->currency || strcmp(r->currency, tx->currency) != 0))
                return FALSE;
        if (!tx_amount_matches(r, tx))
                return FALSE;
        /* Each selector looks at its own field only: a payee= rule that also
         * accepted a matching counterparty let a "require=none" rule for the
         * house's payees approve money sent to anyone, by naming a house
         * account as the counterparty. */
        if (!glob_matches(r->payee, tx->payee) || !glob_matches(r->counterparty, tx->counterparty) ||
            !glob_matches(r->account, tx->account) || !glob_matches(r->instrument, tx->instrument))
                return FALSE;
        if (r->has_time) {
                gboolean inside = r->time_start < r->time_end ?
                        minute >= r->time_start && minute < r->time_end :
                        minute >= r->time_start || minute < r->time_end; /* wraps midnight */
                if (!inside)
                        return FALSE;
        }
        return TRUE;
}

const BiogatePolicyRule *biogate_policy_match(const BiogatePolicy *policy, const BiogateTx *tx, GDateTime *now) {
        g_autoptr(GDateTime) local_now = NULL;
        int minute;

        g_return_val_if_fail(policy, NULL);
        g_return_val_if_fail(tx, NULL);

        if (!now)
                now = local_now = g_date_time_new_now_local();
        minute = g_date_time_get_hour(now) * 60 + g_date_time_get_minute(now);

        for (guint i = 0; i < policy->rules->len; i++) {
                const PolicyRule *r = policy->rules->pdata[i];
                if (rule_matches(r, tx, minute))
                        return &r->pub;
        }
        /* A loaded policy ends with [default], which has no selectors. */
        g_return_val_if_reached(NULL);
}

gboolean biogate_policy_knows_kind(const BiogatePolicy *policy, const char *kind) {
        g_return_val_if_fail(policy, FALSE);

        if (!kind)
                return FALSE;
        for (guint i = 0; i < policy->rules->len; i++) {
                const PolicyRule *r = policy->rules->pdata[i];
                if (r->kinds && g_strv_contains((const char *const *) r->kinds, kind))
                        return TRUE;
        }
        return FALSE;
}

const char *biogate_policy_describe_sources(const BiogatePolicy *policy) {
        g_return_val_if_fail(policy, NULL);
        return policy->sources;
}

guint biogate_policy_get_n_rules(const BiogatePolicy *policy) {
        g_return_val_if_fail(policy, 0);
        return policy->rules->len;
}
