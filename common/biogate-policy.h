/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The step-up policy: ordered rules in INI files (GKeyFile syntax), first
 * match wins, an explicit [default] rule last. Parsed by the daemon and by
 * `biogatectl policy check/explain`. See biogate-policy(5). */

#include <glib.h>

#include "biogate-tx.h"

/* The longest token_lifetime= a rule may set: no token the daemon signs
 * is valid longer, which is what tells how long a retired signing key
 * must stay published (biogated-signing.c). */
#define BIOGATE_POLICY_TOKEN_LIFETIME_MAX_S 3600

#define BIOGATE_POLICY_ERROR (biogate_policy_error_quark())
GQuark biogate_policy_error_quark(void);

typedef enum BiogatePolicyError {
        BIOGATE_POLICY_ERROR_IO,
        BIOGATE_POLICY_ERROR_SYNTAX,   /* message is "FILE:LINE: reason" */
        BIOGATE_POLICY_ERROR_INVALID,  /* message is "FILE:LINE: reason" */
        BIOGATE_POLICY_ERROR_NO_RULES,
} BiogatePolicyError;

typedef enum BiogateRequirement {
        BIOGATE_REQUIRE_NONE,
        BIOGATE_REQUIRE_FINGERPRINT,
        BIOGATE_REQUIRE_FINGERPRINT_APPROVER,
        BIOGATE_REQUIRE_DENY,
} BiogateRequirement;

typedef struct BiogatePolicyRule {
        char *name;                    /* group name without "rule ", or "default" */
        char *file;                    /* where it was defined */
        int line;
        BiogateRequirement requirement;
        char *approver_group;          /* with FINGERPRINT_APPROVER: unix group of eligible checkers */
        gboolean require_local_session;
        guint token_lifetime_s;        /* default 120, 10..BIOGATE_POLICY_TOKEN_LIFETIME_MAX_S */
        /* display=agent: the step-up is shown by biogate-agent in the
         * caller's session, and refused (NoAgent) where there is none. */
        gboolean display_agent;
        /* selectors are private to the policy code */
} BiogatePolicyRule;

typedef struct BiogatePolicy BiogatePolicy;

void biogate_policy_free(BiogatePolicy *policy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BiogatePolicy, biogate_policy_free)

/* One file; errors name file and line. */
BiogatePolicy *biogate_policy_load_file(const char *path, GError **error);

/* The policy in force: every *.conf in local_dir (sorted by name), or, when
 * there is none, vendor_file. Exactly one [default] in the whole set, and
 * it must come last. */
BiogatePolicy *biogate_policy_load(const char *local_dir, const char *vendor_file, GError **error);

/* Files in the given order as one policy (as load() does with a directory);
 * for `biogatectl policy check`. */
BiogatePolicy *biogate_policy_load_files(const char *const *paths, GError **error);

/* Number of rules, the default included. */
guint biogate_policy_get_n_rules(const BiogatePolicy *policy);

/* The first rule that matches tx at local time now (its hour and minute
 * are used as they are; NULL: the current local time); never NULL for a
 * loaded policy (the default matches everything). */
const BiogatePolicyRule *biogate_policy_match(const BiogatePolicy *policy, const BiogateTx *tx, GDateTime *now);

/* Whether some rule names this kind; kinds outside the built-in list that
 * no rule names are rejected as unknown. */
gboolean biogate_policy_knows_kind(const BiogatePolicy *policy, const char *kind);

/* Files the policy came from, for logs ("a.conf, b.conf"). */
const char *biogate_policy_describe_sources(const BiogatePolicy *policy);

const char *biogate_requirement_to_string(BiogateRequirement requirement);
gboolean biogate_requirement_from_string(const char *s, BiogateRequirement *ret_requirement);
