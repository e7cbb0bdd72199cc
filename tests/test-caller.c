/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The authorization table of biogated-caller.c: which polkit action each
 * kind of call needs, and the built-in rule used without polkitd. */
#include "biogated-caller.h"

#define ROOT 0
#define ALICE 1000
#define BOB 1001

static void test_polkit_action(void) {
        static const struct {
                BiogatedAction action;
                uid_t uid, target;
                const char *want;
        } rows[] = {
                /* Root is never asked about. */
                { BIOGATED_ACTION_ENROLL, ROOT, ALICE, NULL },
                { BIOGATED_ACTION_MANAGE, ROOT, ROOT, NULL },
                /* On oneself: the method's own action, none for own data. */
                { BIOGATED_ACTION_OWN_DATA, ALICE, ALICE, NULL },
                { BIOGATED_ACTION_ENROLL, ALICE, ALICE, "org.biogate1.enroll" },
                { BIOGATED_ACTION_VERIFY, ALICE, ALICE, "org.biogate1.verify" },
                { BIOGATED_ACTION_APPROVE, ALICE, ALICE, "org.biogate1.approve" },
                { BIOGATED_ACTION_MANAGE, ALICE, ALICE, "org.biogate1.manage" },
                /* On anyone else, root included: manage, whatever the method. */
                { BIOGATED_ACTION_OWN_DATA, ALICE, BOB, "org.biogate1.manage" },
                { BIOGATED_ACTION_ENROLL, ALICE, BOB, "org.biogate1.manage" },
                { BIOGATED_ACTION_VERIFY, ALICE, ROOT, "org.biogate1.manage" },
                { BIOGATED_ACTION_APPROVE, ALICE, BOB, "org.biogate1.manage" },
        };

        for (gsize i = 0; i < G_N_ELEMENTS(rows); i++)
                g_assert_cmpstr(biogated_caller_polkit_action(rows[i].action, rows[i].uid, rows[i].target), ==,
                                rows[i].want);
}

static void test_builtin_rule(void) {
        for (int a = 0; a < _BIOGATED_ACTION_MAX; a++) {
                g_assert_true(biogated_caller_builtin_allows((BiogatedAction) a, ROOT, ALICE));
                g_assert_true(biogated_caller_builtin_allows((BiogatedAction) a, ROOT, ROOT));
                g_assert_false(biogated_caller_builtin_allows((BiogatedAction) a, ALICE, BOB));
                g_assert_false(biogated_caller_builtin_allows((BiogatedAction) a, ALICE, ROOT));
                g_assert_true(biogated_caller_builtin_allows((BiogatedAction) a, ALICE, ALICE) ==
                              (a != BIOGATED_ACTION_MANAGE));
        }
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/caller/polkit-action", test_polkit_action);
        g_test_add_func("/caller/builtin-rule", test_builtin_rule);
        return g_test_run();
}
