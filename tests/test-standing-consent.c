/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The standing consent (consent given ahead of enrolment, for the desktop
 * API) on a real (temporary) store: biogated_privacy_standing_consent(),
 * which the net.reactivated.Fprint adapter asks before EnrollStart, and the
 * record edits behind RecordConsent and WithdrawConsent. */
#include "config.h"

#include <glib/gstdio.h>

#include "biogated-error.h"
#include "biogated-privacy.h"
#include "biogated-record.h"
#include "biogated-store.h"
#include "store-fixture.h"

#define UID 1000
#define T0 1700000000

static gboolean check(StoreFixture *f, uid_t uid, char **ret_version, GError **error) {
        return biogated_privacy_standing_consent(f->store, uid, BIOGATE_TEST_NOTICE_VERSION, ret_version, error);
}

static void write_consent(StoreFixture *f, uid_t uid, const char *version, gint64 now, gboolean expect_changed) {
        g_autoptr(GError) error = NULL;
        gboolean changed = !expect_changed;

        g_assert_true(biogated_privacy_write_standing_consent(f->store, uid, version, now, &changed, &error));
        g_assert_no_error(error);
        g_assert_cmpint(changed, ==, expect_changed);
}

/* None, current, replaced, withdrawn: TRUE only for the current notice. */
static void test_current(StoreFixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) record = NULL;
        g_autofree char *version = NULL, *stored = NULL;
        char *untouched = (char *) "untouched";
        gint64 when = 0;

        /* No record at all: no consent, no error, nothing written. */
        g_assert_false(check(f, UID, &untouched, &error));
        g_assert_no_error(error);
        g_assert_cmpstr(untouched, ==, "untouched");

        write_consent(f, UID, BIOGATE_TEST_NOTICE_VERSION, T0, TRUE);
        g_assert_true(check(f, UID, &version, &error));
        g_assert_no_error(error);
        g_assert_cmpstr(version, ==, BIOGATE_TEST_NOTICE_VERSION);
        /* NULL for the version is allowed. */
        g_assert_true(check(f, UID, NULL, &error));
        /* Another user's consent is not this one's. */
        g_assert_false(check(f, UID + 1, NULL, &error));
        g_assert_no_error(error);

        /* The newest replaces the older: one entry, its time. */
        write_consent(f, UID, BIOGATE_TEST_NOTICE_VERSION, T0 + 60, TRUE);
        record = biogated_store_read_record(f->store, UID, &error);
        g_assert_no_error(error);
        g_assert_true(biogated_record_get_standing_consent(record, &stored, &when));
        g_assert_cmpstr(stored, ==, BIOGATE_TEST_NOTICE_VERSION);
        g_assert_cmpint(when, ==, T0 + 60);

        /* Withdrawn: gone; withdrawn again: nothing changes. */
        write_consent(f, UID, NULL, T0 + 120, TRUE);
        g_assert_false(check(f, UID, NULL, &error));
        g_assert_no_error(error);
        write_consent(f, UID, NULL, T0 + 180, FALSE);
        g_assert_false(check(f, UID, NULL, &error));
        g_assert_no_error(error);
}

/* Consent to an older notice does not cover the current one. */
static void test_outdated(StoreFixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        char *untouched = (char *) "untouched";

        write_consent(f, UID, "1999-0", T0, TRUE);
        g_assert_false(check(f, UID, &untouched, &error));
        g_assert_no_error(error);
        g_assert_cmpstr(untouched, ==, "untouched");
        write_consent(f, UID, BIOGATE_TEST_NOTICE_VERSION, T0 + 1, TRUE);
        g_assert_true(check(f, UID, NULL, &error));
        g_assert_no_error(error);
}

/* A withdrawal never creates a record (nor the user's key). */
static void test_withdraw_creates_nothing(StoreFixture *f, gconstpointer data) {
        g_autofree char *key = g_strdup_printf("%s/keys/%u", f->dir, UID);
        g_autofree char *dir = g_strdup_printf("%s/prints/%u", f->dir, UID);

        write_consent(f, UID, NULL, T0, FALSE);
        g_assert_false(g_file_test(key, G_FILE_TEST_EXISTS));
        g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
}

/* A record that does not open is an error, not "no consent": the adapter
 * must tell the two apart. */
static void test_unreadable(StoreFixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        g_autofree char *dir = g_strdup_printf("%s/prints/%u", f->dir, UID);
        g_autoptr(GDir) d = NULL;
        const char *name;
        gboolean damaged = FALSE;

        write_consent(f, UID, BIOGATE_TEST_NOTICE_VERSION, T0, TRUE);
        /* Damage the sealed record: one byte near its end. */
        d = g_dir_open(dir, 0, &error);
        g_assert_no_error(error);
        while ((name = g_dir_read_name(d))) {
                g_autofree char *path = g_build_filename(dir, name, NULL);
                g_autofree char *content = NULL;
                gsize len = 0;

                g_assert_true(g_file_get_contents(path, &content, &len, &error));
                g_assert_cmpuint(len, >, 0);
                content[len - 1] ^= 0x55;
                g_assert_true(g_file_set_contents(path, content, (gssize) len, &error));
                damaged = TRUE;
        }
        g_assert_true(damaged);
        g_assert_false(check(f, UID, NULL, &error));
        g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

#define ADD(path, fn) g_test_add("/standing-consent/" path, StoreFixture, NULL, store_fixture_setup, fn, \
                                 store_fixture_teardown)
        ADD("current", test_current);
        ADD("outdated", test_outdated);
        ADD("withdraw-creates-nothing", test_withdraw_creates_nothing);
        ADD("unreadable", test_unreadable);
        return g_test_run();
}
