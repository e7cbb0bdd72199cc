/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Retention sweeps with an injected clock: biogated-retention.c on a real
 * (temporary) store. */
#include <glib/gstdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "biogated-error.h"
#include "biogated-record.h"
#include "biogated-retention.h"
#include "biogated-store.h"
#include "store-fixture.h"

#define DAY 86400
#define T0 1700000000 /* an arbitrary enrolment time */

typedef struct {
        BiogateFinger finger;
        gint64 enrolled;
        gint64 used; /* 0: never */
} Times;

static gboolean set_times(GVariantDict *record, gpointer user_data) {
        const Times *t = user_data;

        biogated_record_set_enrolled(record, t->finger, t->enrolled);
        if (t->used)
                g_assert_true(biogated_record_set_last_used(record, t->finger, t->used));
        return TRUE;
}

/* Enrolled at t.enrolled, last matched at t.used: as the daemon records it. */
static void enrol(StoreFixture *f, uid_t uid, Times t) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) data = g_bytes_new_static("template", 8);

        g_assert_true(biogated_store_edit_record(f->store, uid, TRUE, set_times, &t, &error));
        g_assert_true(biogated_store_write_print(f->store, uid, t.finger, "virtual_device", "0", data, &error));
        g_assert_no_error(error);
}

static guint fingers_of(StoreFixture *f, uid_t uid) {
        g_autoptr(GError) error = NULL;
        guint mask = 0;

        g_assert_true(biogated_store_list_fingers(f->store, uid, &mask, &error));
        g_assert_no_error(error);
        return mask;
}

static GArray *sweep(StoreFixture *f, guint days, gint64 now) {
        GArray *expiries = biogated_retention_sweep(f->store, days, now);

        for (guint i = 0; i < expiries->len; i++)
                g_assert_no_error(g_array_index(expiries, BiogatedExpiry, i).error);
        return expiries;
}

#define BIT(f) (1u << (f))

/* The last successful match counts, else the enrolment; the boundary is
 * "more than N days"; a user left with nothing is erased entirely. */
static void test_sweep(StoreFixture *f, gconstpointer data) {
        g_autofree char *key = g_strdup_printf("%s/keys/1000", f->dir);
        g_autoptr(GVariant) record = NULL;
        g_autoptr(GError) error = NULL;
        GArray *e;

        enrol(f, 1000, (Times) { BIOGATE_FINGER_LEFT_THUMB, T0, 0 });
        enrol(f, 1000, (Times) { BIOGATE_FINGER_RIGHT_INDEX, T0, T0 + 20 * DAY });
        enrol(f, 1001, (Times) { BIOGATE_FINGER_LEFT_THUMB, T0 + 5 * DAY, 0 });

        e = sweep(f, 30, T0 + 30 * DAY); /* exactly 30 days: kept */
        g_assert_cmpuint(e->len, ==, 0);
        g_array_unref(e);

        e = sweep(f, 30, T0 + 30 * DAY + 1);
        g_assert_cmpuint(e->len, ==, 1);
        g_assert_cmpuint(g_array_index(e, BiogatedExpiry, 0).uid, ==, 1000);
        g_assert_cmpuint(g_array_index(e, BiogatedExpiry, 0).fingers, ==, BIT(BIOGATE_FINGER_LEFT_THUMB));
        g_assert_false(g_array_index(e, BiogatedExpiry, 0).user_erased);
        g_array_unref(e);
        g_assert_cmpuint(fingers_of(f, 1000), ==, BIT(BIOGATE_FINGER_RIGHT_INDEX));
        g_assert_cmpuint(fingers_of(f, 1001), ==, BIT(BIOGATE_FINGER_LEFT_THUMB));
        record = biogated_store_read_record(f->store, 1000, &error);
        g_assert_no_error(error);
        g_assert_false(biogated_record_get_times(record, BIOGATE_FINGER_LEFT_THUMB, NULL, NULL));

        e = sweep(f, 30, T0 + 50 * DAY + 1);
        g_assert_cmpuint(e->len, ==, 2);
        for (guint i = 0; i < e->len; i++)
                g_assert_true(g_array_index(e, BiogatedExpiry, i).user_erased);
        g_array_unref(e);
        g_assert_cmpuint(fingers_of(f, 1000), ==, 0);
        g_assert_cmpuint(fingers_of(f, 1001), ==, 0);
        g_assert_false(g_file_test(key, G_FILE_TEST_EXISTS));
}

static void test_disabled(StoreFixture *f, gconstpointer data) {
        GArray *e;

        enrol(f, 1000, (Times) { BIOGATE_FINGER_LEFT_THUMB, T0, 0 });
        e = sweep(f, 0, T0 + 100000 * (gint64) DAY);
        g_assert_cmpuint(e->len, ==, 0);
        g_array_unref(e);
        g_assert_cmpuint(fingers_of(f, 1000), ==, BIT(BIOGATE_FINGER_LEFT_THUMB));
}

/* A template without a record entry (none is ever written that way) is
 * kept rather than guessed about; a damaged record is reported. */
static void test_unknown_and_damaged(StoreFixture *f, gconstpointer data) {
        g_autoptr(GBytes) tdata = g_bytes_new_static("template", 8);
        g_autoptr(GError) error = NULL;
        g_autofree char *record = g_strdup_printf("%s/prints/1001/record", f->dir);
        GArray *e;

        g_assert_true(biogated_store_write_print(f->store, 1000, BIOGATE_FINGER_LEFT_THUMB, "d", "0", tdata, &error));
        enrol(f, 1001, (Times) { BIOGATE_FINGER_LEFT_THUMB, T0, 0 });
        g_assert_true(g_file_set_contents(record, "garbage", -1, NULL));
        g_assert_cmpint(chmod(record, 0600), ==, 0);

        e = biogated_retention_sweep(f->store, 1, T0 + 10 * DAY);
        g_assert_cmpuint(e->len, ==, 1);
        g_assert_cmpuint(g_array_index(e, BiogatedExpiry, 0).uid, ==, 1001);
        g_assert_error(g_array_index(e, BiogatedExpiry, 0).error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED);
        g_array_unref(e);
        g_assert_cmpuint(fingers_of(f, 1000), ==, BIT(BIOGATE_FINGER_LEFT_THUMB));
        g_assert_cmpuint(fingers_of(f, 1001), ==, BIT(BIOGATE_FINGER_LEFT_THUMB));
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        (void) biogated_error_quark();
        g_test_add("/retention/sweep", StoreFixture, NULL, store_fixture_setup, test_sweep, store_fixture_teardown);
        g_test_add("/retention/disabled", StoreFixture, NULL, store_fixture_setup, test_disabled, store_fixture_teardown);
        g_test_add("/retention/unknown-and-damaged", StoreFixture, NULL, store_fixture_setup, test_unknown_and_damaged,
                   store_fixture_teardown);
        return g_test_run();
}
