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

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/sensortime/budget-rolling", test_budget_rolling);
        g_test_add_func("/sensortime/budget-many-holds", test_budget_many_holds);
        g_test_add_func("/sensortime/heat", test_heat);
        return g_test_run();
}
