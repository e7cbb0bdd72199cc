/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sensor-time bookkeeping with an injected clock: the rolling budget,
 * when a refused uid may come back, and the heat model against the
 * figures docs/design.md quotes (one uid at its budget never comes near
 * HOT; two together would, and the reserve stops them). */
#include "biogated-sensortime.h"

#define S(x) ((gint64) (x) * G_USEC_PER_SEC)
#define MS(x) ((gint64) (x) * 1000)

static void hold(BiogatedSensorTime *st, uid_t uid, gint64 from, gint64 to) {
        biogated_sensortime_begin(st, uid, from);
        biogated_sensortime_end(st, to);
}

static void test_budget_rolling(void) {
        g_autoptr(BiogatedSensorTime) st = biogated_sensortime_new(S(20), S(60), 0);
        gint64 retry = 0;

        g_assert_true(biogated_sensortime_may_start(st, 7, 0, &retry));
        hold(st, 7, S(0), S(15));
        g_assert_cmpint(biogated_sensortime_used(st, 7, S(15)), ==, S(15));
        g_assert_cmpint(biogated_sensortime_left(st, 7, S(15)), ==, S(5));
        /* Others are not charged. */
        g_assert_cmpint(biogated_sensortime_used(st, 8, S(15)), ==, 0);

        /* The current hold counts while it lasts. */
        biogated_sensortime_begin(st, 7, S(30));
        g_assert_cmpint(biogated_sensortime_used(st, 7, MS(34500)), ==, MS(19500));
        g_assert_false(biogated_sensortime_may_start(st, 7, MS(34500), &retry));
        biogated_sensortime_end(st, S(35));
        g_assert_cmpint(biogated_sensortime_used(st, 7, S(35)), ==, S(20));

        /* Refused until enough of the oldest use left the window: at least
         * one second must be free, so 1 s of the hold that began at 0 must
         * be out, at 61 s. */
        g_assert_false(biogated_sensortime_may_start(st, 7, S(35), &retry));
        g_assert_cmpint(retry, ==, S(61) - S(35));
        g_assert_false(biogated_sensortime_may_start(st, 7, S(60), &retry));
        g_assert_cmpint(retry, ==, S(1));
        g_assert_true(biogated_sensortime_may_start(st, 7, S(61), &retry));
        /* Gone entirely once out of the window. */
        g_assert_cmpint(biogated_sensortime_used(st, 7, S(200)), ==, 0);
}

static void test_budget_many_holds(void) {
        g_autoptr(BiogatedSensorTime) st = biogated_sensortime_new(S(20), S(60), 0);
        gint64 t = 0;

        /* A flood of short holds: memory stays bounded (merging counts more
         * use, never less). */
        for (guint i = 0; i < 10000; i++, t += MS(5))
                hold(st, 7, t, t + MS(1));
        g_assert_cmpint(biogated_sensortime_used(st, 7, t), >=, MS(1) * 1000);
        g_assert_cmpint(biogated_sensortime_used(st, 7, t), <=, S(60));
}

/* The modelled heat after hours of: on seconds held, off seconds rested. */
static double peak_heat(gint64 on, gint64 off, guint users) {
        g_autoptr(BiogatedSensorTime) st = biogated_sensortime_new(S(20), S(60), 0);
        double peak = 0;
        gint64 t = 0;

        while (t < S(4 * 3600)) {
                for (guint u = 0; u < users; u++) {
                        hold(st, 100 + u, t, t + on);
                        t += on;
                        peak = MAX(peak, biogated_sensortime_heat(st, t));
                }
                t += off;
        }
        return peak;
}

static void test_heat(void) {
        g_autoptr(BiogatedSensorTime) st = biogated_sensortime_new(S(20), S(60), 0);
        double one = peak_heat(S(20), S(40), 1), two = peak_heat(S(20), S(20), 2);
        gint64 retry = 0;

        g_test_message("peak heat: one uid at 20 s in 60 s: %.3f; two uids: %.3f (reserve %.2f, HOT %.3f)", one, two,
                       BIOGATED_SENSORTIME_RESERVE_RATIO, BIOGATED_SENSORTIME_HOT_RATIO);
        /* 20 s on, 40 s off settles at (1 - a) / (1 - a c) = 0.622. */
        g_assert_cmpfloat(one, <, 0.63);
        g_assert_cmpfloat(one, <, BIOGATED_SENSORTIME_RESERVE_RATIO);
        g_assert_cmpfloat(two, >, BIOGATED_SENSORTIME_HOT_RATIO);

        /* Continuous use from cold: libfprint's HOT after one time constant
         * from its start ratio, 180 s; our reserve well before. */
        biogated_sensortime_begin(st, 7, 0);
        g_assert_true(biogated_sensortime_is_cool(st, S(100), &retry));
        g_assert_false(biogated_sensortime_is_cool(st, S(170), &retry));
        g_assert_cmpfloat(biogated_sensortime_heat(st, S(179)), <, BIOGATED_SENSORTIME_HOT_RATIO);
        g_assert_cmpfloat(biogated_sensortime_heat(st, S(181)), >, BIOGATED_SENSORTIME_HOT_RATIO);
        biogated_sensortime_end(st, S(200));
        /* Resting: cool again when it said. */
        g_assert_false(biogated_sensortime_is_cool(st, S(200), &retry));
        g_assert_cmpint(retry, >, 0);
        g_assert_true(biogated_sensortime_is_cool(st, S(200) + retry, &retry));
}

/* The figures of the sensor sharing after the hostile pass: one uid at the
 * default budget (40 s in 120 s) stays below the reserve; its logins alone
 * (30 s in 120 s) far below; a hold that ends at the reserve, then a
 * holder's 10 s of grace, then a full 30 s login stay below HOT. */
static void test_heat_ceiling(void) {
        g_autoptr(BiogatedSensorTime) st = biogated_sensortime_new(S(40), S(120), 0);
        double one = peak_heat(S(40), S(80), 1), logins = peak_heat(S(30), S(90), 1);
        gint64 until, t;
        double after;

        g_test_message("peak heat: one uid at 40 s in 120 s: %.3f; logins at 30 s in 120 s: %.3f", one, logins);
        g_assert_cmpfloat(one, <, BIOGATED_SENSORTIME_RESERVE_RATIO);
        g_assert_cmpfloat(logins, <, BIOGATED_SENSORTIME_RESERVE_RATIO);

        /* From cold: the reserve comes after about 140 s of continuous use. */
        biogated_sensortime_begin(st, 7, 0);
        until = biogated_sensortime_until_warm(st, 0);
        g_assert_cmpfloat(biogated_sensortime_heat(st, until - MS(10)), <, BIOGATED_SENSORTIME_RESERVE_RATIO);
        g_assert_cmpfloat(biogated_sensortime_heat(st, until + MS(10)), >=, BIOGATED_SENSORTIME_RESERVE_RATIO);
        g_assert_cmpint(biogated_sensortime_until_warm(st, until + MS(10)), ==, 0);
        /* Ended there (a person mid-way gets 10 s more), then a login of
         * 30 s: still below HOT. */
        t = until + S(10);
        biogated_sensortime_end(st, t);
        biogated_sensortime_begin(st, 8, t);
        after = biogated_sensortime_heat(st, t + S(30));
        biogated_sensortime_end(st, t + S(30));
        g_test_message("reserve at %.1f s of use; after 10 s of grace and a 30 s login: %.3f (HOT %.3f)",
                       until / 1e6, after, BIOGATED_SENSORTIME_HOT_RATIO);
        g_assert_cmpfloat(after, <, BIOGATED_SENSORTIME_HOT_RATIO);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/sensortime/budget-rolling", test_budget_rolling);
        g_test_add_func("/sensortime/budget-many-holds", test_budget_many_holds);
        g_test_add_func("/sensortime/heat", test_heat);
        g_test_add_func("/sensortime/heat-ceiling", test_heat_ceiling);
        return g_test_run();
}
