/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Privacy against the real daemon and virtual sensor: consent, what a user
 * can see about themselves, sealed and tampered files, crypto-erasure,
 * retention, migration of plain templates, the master key credential. Crash
 * safety and leak scans are in test-privacy-crash.c. */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "biogated-record.h"
#include "privacy-fixture.h"

#define ERR "org.biogate1.Error."

static char *state_file(Fixture *f, const char *rel) {
        return g_build_filename(f->state, rel, NULL);
}

static gboolean strv_has(GVariant *dict, const char *key, const char *value) {
        g_autoptr(GVariant) v = g_variant_lookup_value(dict, key, G_VARIANT_TYPE("as"));
        g_autofree const char **strv = v ? g_variant_get_strv(v, NULL) : NULL;

        return strv && g_strv_contains(strv, value);
}

static gsize n_children(GVariant *dict, const char *key) {
        g_autoptr(GVariant) v = g_variant_lookup_value(dict, key, NULL);

        return v ? g_variant_n_children(v) : 0;
}

static gint64 now_s(void) {
        return g_get_real_time() / G_USEC_PER_SEC;
}

/* Runs biogatectl in a pseudo-terminal (script(1)), answering its question. */
static char *ctl_on_terminal(const char *answer, const char *args, int *ret_status) {
        g_autofree char *cmd = g_strdup_printf("printf '%s\\n' | script -q -e -c '%s %s' /dev/null", answer,
                                               BIOGATECTL_PATH, args);
        g_autoptr(BtfProc) proc = NULL;
        g_autoptr(GError) error = NULL;

        proc = btf_spawn_async((const char *[]) { "sh", "-c", cmd, NULL }, NULL, &error);
        g_assert_no_error(error);
        g_assert_true(btf_proc_wait(proc, T, ret_status, &error));
        g_assert_no_error(error);
        return g_strdup(btf_proc_get_stdout(proc));
}

static void run_ctl(uid_t uid, const char *const *argv, int expected_exit, const char *expected_text) {
        g_autoptr(GError) error = NULL;
        g_autofree char *out = NULL, *err = NULL;
        int status = 0;

        if (uid == 0)
                g_assert_true(btf_run(argv, NULL, &out, &err, &status, &error));
        else
                g_assert_true(btf_run_as(uid, uid, argv, &out, &err, &status, &error));
        g_assert_no_error(error);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != expected_exit)
                g_error("%s %s: expected exit %d, got 0x%x; stdout: %s stderr: %s", argv[1], argv[2] ? argv[2] : "",
                        expected_exit, (unsigned) status, out, err);
        if (expected_text && !strstr(out, expected_text) && !strstr(err, expected_text))
                g_error("%s: '%s' not in stdout: %s stderr: %s", argv[1], expected_text, out, err);
}

/* ---- consent ---- */

/* No consent, no scan, nothing stored; biogatectl asks on a terminal. */
static void test_consent_required(Fixture *f, gconstpointer data) {
        g_autofree char *udir = state_file(f, "prints/0"), *key = state_file(f, "keys/0");
        g_autofree char *out = NULL;
        g_auto(GStrv) fingers = NULL;
        g_autoptr(GVariant) my = NULL;
        struct {
                const char *options;
                const char *error;
        } rows[] = {
                { "@a{sv} {}", ERR "ConsentRequired" },
                { "{'consent': <false>, 'notice-version': <'" BIOGATE_TEST_NOTICE_VERSION "'>}", ERR "ConsentRequired" },
                { "{'consent': <true>}", ERR "ConsentRequired" },
                { "{'notice-version': <'" BIOGATE_TEST_NOTICE_VERSION "'>}", ERR "ConsentRequired" },
                { "{'consent': <true>, 'notice-version': <'1999-0'>}", ERR "ConsentRequired" },
                { "{'consent': <'yes'>, 'notice-version': <'" BIOGATE_TEST_NOTICE_VERSION "'>}", ERR "InvalidArgument" },
                { "{'consent': <true>, 'notice-version': <1>}", ERR "InvalidArgument" },
        };
        int status = 0;

        for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
                g_autoptr(GError) error = NULL;
                g_autofree char *text = g_strdup_printf("('', 'left-thumb', %s)", rows[i].options);
                g_autoptr(GVariant) r = manager_call(f->conn, "Enroll", g_variant_new_parsed(text), "(o)", &error);

                assert_dbus_error(error, rows[i].error);
        }
        /* Not on a terminal and no --yes-i-consent: refused before any call. */
        run_ctl(NOBODY, (const char *[]) { BIOGATECTL_PATH, "--json", "enroll", NULL }, 3, ERR "ConsentRequired");

        /* On a terminal: the notice is shown; "n" stops everything. */
        out = ctl_on_terminal("n", "enroll --finger left-thumb", &status);
        btf_assert_exit_code(status, 6);
        g_assert_nonnull(strstr(out, "Notice-Version: " BIOGATE_TEST_NOTICE_VERSION));
        g_assert_nonnull(strstr(out, "No consent was given"));

        fingers = list_fingers(f->conn, "");
        g_assert_cmpuint(g_strv_length(fingers), ==, 0);
        g_assert_false(g_file_test(udir, G_FILE_TEST_EXISTS));
        g_assert_false(g_file_test(key, G_FILE_TEST_EXISTS));

        /* "y": enrolled, and the consent is on record. */
        unlink(f->vdev);
        {
                g_autofree char *cmd = g_strdup_printf("printf 'y\\n' | script -q -e -c '%s enroll --finger left-thumb' "
                                                       "/dev/null", BIOGATECTL_PATH);
                g_autoptr(GError) error = NULL;
                g_autoptr(BtfProc) proc = btf_spawn_async((const char *[]) { "sh", "-c", cmd, NULL }, NULL, &error);

                g_assert_no_error(error);
                g_assert_true(btf_vdev_wait_socket(f->vdev, T, &error));
                g_assert_no_error(error);
                for (int i = 0; i < 5; i++)
                        touch(f, "consenting-thumb");
                g_assert_true(btf_proc_wait(proc, T, &status, &error));
                btf_assert_exit_code(status, 0);
                g_assert_nonnull(strstr(btf_proc_get_stdout(proc), "consent to notice version " BIOGATE_TEST_NOTICE_VERSION));
        }
        my = privacy_user_data(f->conn, NULL);
        g_assert_true(strv_has(my, "fingers", "left-thumb"));
        g_assert_cmpuint(n_children(my, "consent"), ==, 1);
}

/* ---- GetMyData ---- */

static void assert_consent_entry(GVariant *my, gsize i, const char *finger, gint64 from, gint64 to) {
        g_autoptr(GVariant) consents = g_variant_lookup_value(my, "consent", G_VARIANT_TYPE("aa{sv}"));
        g_autoptr(GVariant) entry = g_variant_get_child_value(consents, i);
        const char *version = NULL;
        gint64 when = 0;
        guint32 by = 99;

        g_assert_true(g_variant_lookup(entry, "time", "x", &when));
        g_assert_cmpint(when, >=, from);
        g_assert_cmpint(when, <=, to);
        g_assert_true(g_variant_lookup(entry, "notice-version", "&s", &version));
        g_assert_cmpstr(version, ==, BIOGATE_TEST_NOTICE_VERSION);
        g_assert_true(g_variant_lookup(entry, "recorded-by", "u", &by));
        g_assert_cmpuint(by, ==, 0);
        g_assert_true(strv_has(entry, "fingers", finger));
}

/* Fingers, enrolment times, consent, last use; for oneself only; never a
 * template byte. */
static void test_my_data(Fixture *f, gconstpointer data) {
        g_autoptr(GVariant) my = NULL, enrolled = NULL, used = NULL, theirs = NULL;
        g_autofree char *result = NULL, *printed = NULL;
        const char *one[] = { "left-thumb", NULL };
        gint64 t0 = now_s(), t1, t2, when = 0;
        const char *user = NULL;
        guint32 uid = 99, days = 99;

        enroll(f, "", "right-index-finger", "md-index");
        enroll(f, "", "left-thumb", "md-thumb");
        t1 = now_s();

        my = privacy_user_data(f->conn, NULL);
        g_assert_true(g_variant_lookup(my, "user", "&s", &user));
        g_assert_cmpstr(user, ==, "root");
        g_assert_true(g_variant_lookup(my, "uid", "u", &uid));
        g_assert_cmpuint(uid, ==, 0);
        g_assert_cmpuint(n_children(my, "fingers"), ==, 2);
        enrolled = g_variant_lookup_value(my, "enrolled", G_VARIANT_TYPE("a{sx}"));
        g_assert_true(g_variant_lookup(enrolled, "right-index-finger", "x", &when));
        g_assert_cmpint(when, >=, t0);
        g_assert_cmpint(when, <=, t1);
        g_assert_cmpuint(n_children(my, "last-used"), ==, 0);
        g_assert_cmpuint(n_children(my, "unusable"), ==, 0);
        g_assert_cmpuint(n_children(my, "consent"), ==, 2);
        assert_consent_entry(my, 0, "right-index-finger", t0, t1);
        assert_consent_entry(my, 1, "left-thumb", t0, t1);
        g_assert_true(g_variant_lookup(my, "retention-days", "u", &days));
        g_assert_cmpuint(days, ==, 0);
        printed = g_variant_print(my, FALSE);
        g_assert_null(strstr(printed, "md-index"));

        /* A successful match is the finger's last use. */
        result = privacy_verify_finger(f, "right-index-finger", "md-index");
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
        t2 = now_s();
        g_clear_pointer(&my, g_variant_unref);
        my = privacy_user_data(f->conn, NULL);
        used = g_variant_lookup_value(my, "last-used", G_VARIANT_TYPE("a{sx}"));
        g_assert_true(g_variant_lookup(used, "right-index-finger", "x", &when));
        /* Only the day is kept: its UTC midnight. */
        g_assert_cmpint(when % 86400, ==, 0);
        g_assert_cmpint(when, >=, t1 - t1 % 86400);
        g_assert_cmpint(when, <=, t2);
        g_assert_false(g_variant_lookup(used, "left-thumb", "x", &when));

        /* Another match the same day writes nothing: the record is the
         * same file (an atomic rewrite would be a new inode). */
        {
                g_autofree char *record = g_build_filename(f->state, "prints", "0", "record", NULL);
                g_autofree char *again = NULL;
                struct stat before, after;

                g_assert_cmpint(stat(record, &before), ==, 0);
                again = privacy_verify_finger(f, "right-index-finger", "md-index");
                g_assert_cmpstr(again, ==, BIOGATE_RESULT_MATCH);
                g_assert_cmpint(stat(record, &after), ==, 0);
                if (now_s() / 86400 == t2 / 86400)
                        g_assert_cmpuint(after.st_ino, ==, before.st_ino);
        }

        /* GetUserData("root") is the same for root; others get their own
         * (empty) data and are refused anyone else's. */
        theirs = privacy_user_data(f->conn, "root");
        g_assert_cmpuint(n_children(theirs, "consent"), ==, 2);
        run_ctl(NOBODY, (const char *[]) { BIOGATECTL_PATH, "--json", "my-data", NULL }, 0, "\"fingers\":[]");
        run_ctl(NOBODY, (const char *[]) { BIOGATECTL_PATH, "my-data", "--user", "root", NULL }, 3,
                ERR "PermissionDenied");
        run_ctl(0, (const char *[]) { BIOGATECTL_PATH, "my-data", NULL }, 0,
                "notice version " BIOGATE_TEST_NOTICE_VERSION);

        /* Deleting a finger drops its dates; the consent history stays. */
        {
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) r = manager_call(f->conn, "DeleteFingers", g_variant_new("(s^as)", "", one), NULL,
                                                     &error);
                g_assert_no_error(error);
        }
        g_clear_pointer(&my, g_variant_unref);
        my = privacy_user_data(f->conn, NULL);
        g_assert_cmpuint(n_children(my, "fingers"), ==, 1);
        g_assert_cmpuint(n_children(my, "enrolled"), ==, 1);
        g_assert_cmpuint(n_children(my, "consent"), ==, 2);
}

/* ---- sealed and tampered files ---- */

/* On disk: sealed (no print id, no finger name in the record), root-only,
 * the master key 0400; its creation is logged. */
static void test_sealed_files(Fixture *f, gconstpointer data) {
        g_autofree char *print = state_file(f, "prints/0/right-index-finger"), *record = state_file(f, "prints/0/record");
        g_autofree char *key = state_file(f, "keys/0"), *master = state_file(f, "private/master.key");
        g_autoptr(GBytes) p = NULL, r = NULL;
        struct stat st;
        gsize size;
        const char *bytes;

        enroll(f, "", "right-index-finger", "sealed-print-id-4711");
        p = privacy_read_file(print);
        bytes = g_bytes_get_data(p, &size);
        g_assert_cmpmem(bytes, 8, "BIOGATE\x1a", 8);
        g_assert_null(memmem(bytes, size, "sealed-print-id-4711", 20));
        r = privacy_read_file(record);
        g_assert_null(memmem(g_bytes_get_data(r, NULL), g_bytes_get_size(r), "right-index-finger", 18));
        g_assert_null(memmem(g_bytes_get_data(r, NULL), g_bytes_get_size(r), BIOGATE_TEST_NOTICE_VERSION,
                             strlen(BIOGATE_TEST_NOTICE_VERSION)));
        g_assert_cmpint(lstat(key, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 07777, ==, 0600);
        g_assert_cmpint(lstat(master, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 07777, ==, 0400);
        g_assert_cmpint(st.st_size, ==, 32);
        g_assert_cmpuint(privacy_log_count(f, "Created a new master key"), ==, 1);
}

typedef enum { SWAP_FINGER, SWAP_USER, EDIT, TRUNCATE } Mutation;

/* A template copied to another finger's or user's slot, edited or
 * truncated: that finger is unusable (StoreCorrupted, logged, reported by
 * GetMyData), the others keep working. */
static void test_tampered_files(Fixture *f, gconstpointer data) {
        g_autofree char *index = state_file(f, "prints/0/right-index-finger"), *thumb = state_file(f, "prints/0/left-thumb");
        g_autofree char *other = state_file(f, "prints/1/left-thumb");
        g_autoptr(GBytes) index_saved = NULL, thumb_saved = NULL;
        const struct {
                Mutation how;
                const char *bad, *bad_id, *good, *good_id;
        } rows[] = {
                { SWAP_FINGER, "right-index-finger", "tp-index", "left-thumb", "tp-thumb" },
                { SWAP_USER, "left-thumb", "tp-thumb", "right-index-finger", "tp-index" },
                { EDIT, "right-index-finger", "tp-index", "left-thumb", "tp-thumb" },
                { TRUNCATE, "right-index-finger", "tp-index", "left-thumb", "tp-thumb" },
        };

        enroll(f, "", "right-index-finger", "tp-index");
        enroll(f, "", "left-thumb", "tp-thumb");
        enroll(f, OTHER_USER, "left-thumb", "tp-other");
        index_saved = privacy_read_file(index);
        thumb_saved = privacy_read_file(thumb);

        for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
                g_autofree char *err = NULL, *good = NULL, *again = NULL;
                g_autofree char *skipped = g_strdup_printf("Skipping the unusable print %s of uid 0", rows[i].bad);
                g_autoptr(GVariant) my = NULL;
                g_autoptr(GBytes) from = NULL;
                guint logged = privacy_log_count(f, skipped);
                gsize size;
                guint8 *copy;

                switch (rows[i].how) {
                case SWAP_FINGER:
                        from = privacy_read_file(thumb);
                        privacy_write_file(index, g_bytes_get_data(from, NULL), g_bytes_get_size(from));
                        break;
                case SWAP_USER:
                        from = privacy_read_file(other);
                        privacy_write_file(thumb, g_bytes_get_data(from, NULL), g_bytes_get_size(from));
                        break;
                case EDIT:
                case TRUNCATE:
                        copy = g_bytes_unref_to_data(g_bytes_ref(index_saved), &size);
                        if (rows[i].how == EDIT)
                                copy[size - 20] ^= 0x04;
                        privacy_write_file(index, copy, rows[i].how == TRUNCATE ? size - 7 : size);
                        g_free(copy);
                        break;
                }
                err = privacy_verify_error(f, rows[i].bad);
                g_assert_cmpstr(err, ==, ERR "StoreCorrupted");
                good = privacy_verify_finger(f, NULL, rows[i].good_id);
                g_assert_cmpstr(good, ==, BIOGATE_RESULT_MATCH);
                g_assert_cmpuint(privacy_log_count(f, skipped), >, logged);
                my = privacy_user_data(f->conn, NULL);
                g_assert_true(strv_has(my, "unusable", rows[i].bad));
                g_assert_false(strv_has(my, "unusable", rows[i].good));

                privacy_write_file(index, g_bytes_get_data(index_saved, NULL), g_bytes_get_size(index_saved));
                privacy_write_file(thumb, g_bytes_get_data(thumb_saved, NULL), g_bytes_get_size(thumb_saved));
                again = privacy_verify_finger(f, rows[i].bad, rows[i].bad_id);
                g_assert_cmpstr(again, ==, BIOGATE_RESULT_MATCH);
        }
        {
                g_autofree char *theirs = verify_with(f, f->conn, OTHER_USER, "tp-other", NULL);
                g_assert_cmpstr(theirs, ==, BIOGATE_RESULT_MATCH);
        }
}

/* ---- erasure ---- */

/* EraseUser destroys the key, the templates, the record and the directory;
 * a copy of the directory taken before opens no more when put back, and the
 * next start clears it away. */
static void test_erase(Fixture *f, gconstpointer data) {
        g_autofree char *udir = state_file(f, "prints/0"), *key = state_file(f, "keys/0");
        g_autofree char *backup = g_build_filename(f->tmp, "backup-of-prints-0", NULL);
        g_autofree char *out = NULL, *err = NULL;
        g_autoptr(GVariant) reply = NULL, erased = NULL, my = NULL;
        g_autoptr(GError) error = NULL;
        g_auto(GStrv) fingers = NULL;
        gboolean key_destroyed = FALSE, record = FALSE;
        guint32 files = 0;
        int status = 0;

        enroll(f, "", "right-index-finger", "er-index");
        enroll(f, "", "left-thumb", "er-thumb");
        privacy_copy_tree(udir, backup);

        /* Confirmation first; nobody else's data. */
        run_ctl(0, (const char *[]) { BIOGATECTL_PATH, "erase", NULL }, 2, "--yes");
        out = ctl_on_terminal("n", "erase", &status);
        btf_assert_exit_code(status, 6);
        run_ctl(NOBODY, (const char *[]) { BIOGATECTL_PATH, "erase", "--yes", "--user", "root", NULL }, 3,
                ERR "PermissionDenied");
        fingers = list_fingers(f->conn, "");
        g_assert_cmpuint(g_strv_length(fingers), ==, 2);
        g_clear_pointer(&fingers, g_strfreev);

        reply = manager_call(f->conn, "EraseUser", g_variant_new("(s)", ""), "(a{sv})", &error);
        g_assert_no_error(error);
        g_variant_get(reply, "(@a{sv})", &erased);
        g_assert_true(strv_has(erased, "fingers", "right-index-finger"));
        g_assert_true(strv_has(erased, "fingers", "left-thumb"));
        g_assert_true(g_variant_lookup(erased, "key", "b", &key_destroyed));
        g_assert_true(key_destroyed);
        g_assert_true(g_variant_lookup(erased, "record", "b", &record));
        g_assert_true(record);
        g_assert_true(g_variant_lookup(erased, "files", "u", &files));
        g_assert_cmpuint(files, ==, 3);
        g_assert_false(g_file_test(udir, G_FILE_TEST_EXISTS));
        g_assert_false(g_file_test(key, G_FILE_TEST_EXISTS));
        g_assert_cmpuint(privacy_log_count(f, "Erased root (uid 0) at the request of uid 0"), ==, 1);
        fingers = list_fingers(f->conn, "");
        g_assert_cmpuint(g_strv_length(fingers), ==, 0);
        g_clear_pointer(&fingers, g_strfreev);
        my = privacy_user_data(f->conn, NULL);
        g_assert_cmpuint(n_children(my, "consent"), ==, 0);
        g_assert_cmpuint(n_children(my, "enrolled"), ==, 0);

        /* The backup comes back: its files are there, and useless. */
        privacy_copy_tree(backup, udir);
        fingers = list_fingers(f->conn, "");
        g_assert_cmpuint(g_strv_length(fingers), ==, 2);
        err = privacy_verify_error(f, NULL);
        g_assert_cmpstr(err, ==, ERR "StoreCorrupted");
        g_clear_pointer(&err, g_free);
        err = privacy_verify_error(f, "left-thumb");
        g_assert_cmpstr(err, ==, ERR "StoreCorrupted");

        /* Files without a key are what an interrupted erasure leaves: the
         * next start removes them. */
        g_assert_true(btf_daemon_stop(f->daemon, &status, &error));
        fixture_start_daemon(f, NULL);
        g_assert_false(g_file_test(udir, G_FILE_TEST_EXISTS));
        g_assert_cmpuint(privacy_log_count(f, "Removed the leftover files of uid 0"), ==, 1);

        /* And biogatectl: a report, in JSON too; erasing nothing is fine. */
        enroll(f, "", "left-thumb", "er-thumb");
        run_ctl(0, (const char *[]) { BIOGATECTL_PATH, "--json", "erase", "--yes", NULL }, 0, "\"key\":true");
        run_ctl(0, (const char *[]) { BIOGATECTL_PATH, "erase", "--yes", NULL }, 0, "Nothing was stored");
}

/* ---- retention ---- */

typedef struct {
        BiogateFinger finger;
        gint64 enrolled;
        gint64 used; /* 0: never */
} Dates;

static gboolean set_dates(GVariantDict *record, gpointer user_data) {
        const Dates *d = user_data;

        biogated_record_set_enrolled(record, d->finger, d->enrolled);
        if (d->used)
                biogated_record_set_last_used(record, d->finger, d->used);
        return TRUE;
}

/* Behind the stopped daemon's back: as if the dates were long ago. */
static void predate(Fixture *f, Dates d) {
        g_autoptr(GError) error = NULL;
        int status = 0;

        if (!btf_daemon_has_exited(f->daemon))
                g_assert_true(btf_daemon_stop(f->daemon, &status, &error));
        {
                g_autoptr(BiogatedStore) store = privacy_open_store(f);
                g_assert_true(biogated_store_edit_record(store, 0, FALSE, set_dates, &d, &error));
                g_assert_no_error(error);
        }
}

/* Templates not used for retention_days are erased at start-up, with a log
 * line naming user and fingers; the last one takes key and record along. */
static void test_retention(Fixture *f, gconstpointer data) {
        g_autofree char *conf = g_build_filename(f->tmp, "biogate.conf", NULL);
        g_autofree char *conf_arg = g_strdup_printf("--config=%s", conf);
        g_autofree char *bad_arg = g_strdup_printf("--config=%s/bad.conf", f->tmp), *bad = NULL;
        g_autofree char *key = state_file(f, "keys/0");
        const char *args[] = { conf_arg, NULL };
        g_auto(GStrv) fingers = NULL;
        gint64 day = 86400, now = now_s();

        g_assert_true(g_file_set_contents(conf, "[daemon]\nretention_days=30\n", -1, NULL));
        enroll(f, "", "right-index-finger", "rt-index");
        enroll(f, "", "left-thumb", "rt-thumb");
        predate(f, (Dates) { BIOGATE_FINGER_RIGHT_INDEX, now - 40 * day, 0 });
        predate(f, (Dates) { BIOGATE_FINGER_LEFT_THUMB, now - 40 * day, now - 1 * day });

        fixture_start_daemon(f, args);
        g_assert_cmpuint(privacy_log_count(f, "Retention: erased right-index-finger of root (uid 0), unused for more "
                                              "than 30 days"), ==, 1);
        fingers = list_fingers(f->conn, "");
        g_assert_cmpuint(g_strv_length(fingers), ==, 1);
        g_assert_cmpstr(fingers[0], ==, "left-thumb");
        g_assert_true(g_file_test(key, G_FILE_TEST_EXISTS));
        g_clear_pointer(&fingers, g_strfreev);

        predate(f, (Dates) { BIOGATE_FINGER_LEFT_THUMB, now - 40 * day, now - 31 * day });
        fixture_start_daemon(f, args);
        g_assert_cmpuint(privacy_log_count(f, "Retention: erased left-thumb of root (uid 0)"), ==, 1);
        g_assert_cmpuint(privacy_log_count(f, "the key and record were erased too"), ==, 1);
        fingers = list_fingers(f->conn, "");
        g_assert_cmpuint(g_strv_length(fingers), ==, 0);
        g_assert_false(g_file_test(key, G_FILE_TEST_EXISTS));

        /* Out of range: the daemon refuses to start. */
        bad = g_build_filename(f->tmp, "bad.conf", NULL);
        g_assert_true(g_file_set_contents(bad, "[daemon]\nretention_days=36501\n", -1, NULL));
        {
                const char *bad_args[] = { bad_arg, NULL };
                g_autoptr(GError) error = NULL;
                g_autofree char *log = NULL;
                g_autofree char *state = g_build_filename(f->tmp, "state2", NULL);
                BtfDaemonOptions options = { .daemon_path = BIOGATED_PATH, .state_dir = state, .extra_args = bad_args };
                int status = 0;

                g_assert_true(btf_daemon_run_expect_exit(f->bus, &options, &status, &log, &error));
                btf_assert_exit_code(status, 1);
                g_assert_nonnull(strstr(log, "retention_days"));
        }
}

/* ---- migration ---- */

/* A plain template of an older biogated is sealed at the first start, and
 * only then: one that turns up later is refused. */
static void test_migration(Fixture *f, gconstpointer data) {
        g_autofree char *print = state_file(f, "prints/0/right-index-finger"), *check = state_file(f, "private/store.check");
        g_autofree char *record = state_file(f, "prints/0/record"), *key = state_file(f, "keys/0");
        g_autoptr(GBytes) plain = NULL, sealed = NULL;
        g_autoptr(GVariant) my = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *result = NULL, *err = NULL;
        int status = 0;

        enroll(f, "", "right-index-finger", "mg-index");
        g_assert_true(btf_daemon_stop(f->daemon, &status, &error));
        {
                g_autoptr(BiogatedStore) store = privacy_open_store(f);
                plain = biogated_store_read_print(store, 0, BIOGATE_FINGER_RIGHT_INDEX, NULL, NULL, &error);
                g_assert_no_error(error);
        }
        /* What the foundation left: a plain print, no key, record or check. */
        privacy_write_file(print, g_bytes_get_data(plain, NULL), g_bytes_get_size(plain));
        g_assert_cmpint(unlink(record), ==, 0);
        g_assert_cmpint(unlink(key), ==, 0);
        g_assert_cmpint(unlink(check), ==, 0);

        fixture_start_daemon(f, NULL);
        g_assert_cmpuint(privacy_log_count(f, "Sealed the plain template right-index-finger of uid 0"), ==, 1);
        sealed = privacy_read_file(print);
        g_assert_cmpmem(g_bytes_get_data(sealed, NULL), 8, "BIOGATE\x1a", 8);
        g_assert_true(g_file_test(check, G_FILE_TEST_EXISTS));
        result = privacy_verify_finger(f, NULL, "mg-index");
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
        my = privacy_user_data(f->conn, NULL);
        g_assert_cmpuint(n_children(my, "enrolled"), ==, 1);
        g_assert_cmpuint(n_children(my, "consent"), ==, 0); /* enrolled before consent existed */

        g_assert_true(btf_daemon_stop(f->daemon, &status, &error));
        privacy_write_file(print, g_bytes_get_data(plain, NULL), g_bytes_get_size(plain));
        fixture_start_daemon(f, NULL);
        g_assert_cmpuint(privacy_log_count(f, "Sealed the plain template"), ==, 0);
        err = privacy_verify_error(f, NULL);
        g_assert_cmpstr(err, ==, ERR "StoreCorrupted");
}

/* ---- the master key as a systemd credential ---- */

static char *write_credential(Fixture *f, const char *name, guint8 seed, gsize size) {
        return fixture_write_credential(f, name, "biogate.master-key", seed, size);
}

/* From $CREDENTIALS_DIRECTORY: no key file is written; another key opens
 * nothing (and says so); a malformed one stops the daemon. */
static void test_master_key_credential(Fixture *f, gconstpointer data) {
        g_autofree char *env1 = write_credential(f, "creds1", 1, 32), *env2 = write_credential(f, "creds2", 2, 32);
        g_autofree char *env3 = write_credential(f, "creds3", 3, 31);
        g_autofree char *master = state_file(f, "private/master.key");
        g_autofree char *result = NULL, *err = NULL;
        g_autoptr(GError) error = NULL;
        int status = 0;

        fixture_start_daemon_full(f, (const char *[]) { env1, NULL }, NULL);
        g_assert_cmpuint(privacy_log_count(f, "Master key from the credential biogate.master-key"), ==, 1);
        enroll(f, "", "right-index-finger", "mk-index");
        result = privacy_verify_finger(f, NULL, "mk-index");
        g_assert_cmpstr(result, ==, BIOGATE_RESULT_MATCH);
        g_assert_false(g_file_test(master, G_FILE_TEST_EXISTS));

        g_assert_true(btf_daemon_stop(f->daemon, &status, &error));
        fixture_start_daemon_full(f, (const char *[]) { env2, NULL }, NULL);
        g_assert_cmpuint(privacy_log_count(f, "sealed under another master key"), ==, 1);
        err = privacy_verify_error(f, NULL);
        g_assert_cmpstr(err, ==, ERR "StoreCorrupted");

        g_assert_true(btf_daemon_stop(f->daemon, &status, &error));
        {
                g_autofree char *log = NULL;
                BtfDaemonOptions options = { .daemon_path = BIOGATED_PATH, .state_dir = f->state,
                                             .extra_env = (const char *[]) { env3, NULL } };

                g_assert_true(btf_daemon_run_expect_exit(f->bus, &options, &status, &log, &error));
                g_assert_no_error(error);
                btf_assert_exit_code(status, 1);
                g_assert_nonnull(strstr(log, "not exactly 32 bytes"));
        }
}

/* Review finding 7: root erasing another user's data was asked about, and
 * told the result for, root. The real biogatectl on a terminal, against
 * the real daemon: the question and the result name the target. */
static void test_erase_prompt_names_target(Fixture *f, gconstpointer data) {
        g_autofree char *out = NULL, *question = NULL;
        g_auto(GStrv) target = NULL, mine = NULL;
        int status = 0;

        enroll(f, OTHER_USER, "right-index-finger", "target-index");
        enroll(f, "", "left-thumb", "root-thumb");

        /* "n": the question is about the target, and nothing is erased. */
        question = g_strdup_printf("Erase every fingerprint of %s,", OTHER_USER);
        out = ctl_on_terminal("n", "erase --user " OTHER_USER, &status);
        btf_assert_exit_code(status, 6);
        if (!strstr(out, question) || strstr(out, "of root"))
                g_error("erase --user %s asked: %s", OTHER_USER, out);
        target = list_fingers(f->conn, OTHER_USER);
        g_assert_cmpuint(g_strv_length(target), ==, 1);
        g_clear_pointer(&target, g_strfreev);

        /* "y": the target's data goes, the result says whose, root's stays. */
        g_clear_pointer(&out, g_free);
        out = ctl_on_terminal("y", "erase --user " OTHER_USER, &status);
        btf_assert_exit_code(status, 0);
        if (!strstr(out, question) || !strstr(out, "Erased for " OTHER_USER ": fingerprints: right index finger") ||
            strstr(out, "root"))
                g_error("erase --user %s said: %s", OTHER_USER, out);
        target = list_fingers(f->conn, OTHER_USER);
        g_assert_cmpuint(g_strv_length(target), ==, 0);
        mine = list_fingers(f->conn, "");
        g_assert_cmpuint(g_strv_length(mine), ==, 1);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

#define ADD(path, fn) g_test_add("/privacy/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
        ADD("consent-required", test_consent_required);
        ADD("my-data", test_my_data);
        ADD("sealed-files", test_sealed_files);
        ADD("tampered-files", test_tampered_files);
        ADD("erase", test_erase);
        ADD("erase-prompt-names-target", test_erase_prompt_names_target);
        ADD("retention", test_retention);
        ADD("migration", test_migration);
        g_test_add("/privacy/master-key-credential", Fixture, NULL, privacy_setup_no_daemon,
                   test_master_key_credential, fixture_teardown);
        return g_test_run();
}
