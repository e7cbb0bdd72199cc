/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The failure limits (daemon/biogated-limits.c) with an injected clock, on
 * a state directory of their own: the delay after BIOGATED_LIMIT_DELAY_AFTER
 * failures and its doubling up to the cap, the lock after
 * BIOGATED_LIMIT_LOCK_AFTER, what a success resets and what it does not,
 * the two counters apart, Unlock, a restart, and a damaged record failing
 * closed. Until now only the integration tests (stepup/failure-limits,
 * pam/locked-out, review/approver-failures-counted) covered them. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "biogated-limits.h"

#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "biogated-error.h"

#define S(x) ((gint64) (x) * G_USEC_PER_SEC)
#define UID 4242
#define OTHER_UID 4243
#define CALLER 0

typedef struct {
        char *dir;
        BiogatedWriter *writer;
        BiogatedAudit *audit;   /* lockouts are audited */
        BiogatedLimits *limits;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;

        f->dir = g_dir_make_tmp("biogate-limits-XXXXXX", &error);
        g_assert_no_error(error);
        g_assert_cmpint(chmod(f->dir, 0700), ==, 0);
        f->writer = biogated_writer_new(NULL);
        f->audit = biogated_audit_open(f->dir, f->writer, &error);
        g_assert_no_error(error);
        f->limits = biogated_limits_open(f->dir, f->writer, f->audit, &error);
        g_assert_no_error(error);
}

static void fixture_teardown(Fixture *f, gconstpointer data) {
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);

        biogated_limits_free(f->limits);
        biogated_writer_drain(f->writer);
        biogated_audit_free(f->audit);
        biogated_writer_free(f->writer);
        g_assert_cmpint(system(cmd), ==, 0);
        g_free(f->dir);
}

static void on_unlocked(const GError *error, gpointer user_data) {
        GError **ret_error = user_data;

        *ret_error = error ? g_error_copy(error) : NULL;
}

/* Unlock, once it is on disk. */
static gboolean unlock(Fixture *f, uid_t uid, GError **error) {
        biogated_limits_unlock(f->limits, uid, on_unlocked, error);
        biogated_writer_drain(f->writer);
        return *error == NULL;
}

/* TRUE when uid may try at now; *ret_retry_ms the wait the daemon reports. */
static gboolean may_try(Fixture *f, BiogatedLimitsCounter counter, uid_t uid, gint64 now, guint64 *ret_retry_ms) {
        g_autoptr(GError) error = NULL;
        guint64 retry_ms = G_MAXUINT64;
        gboolean ok = biogated_limits_check_counter(f->limits, counter, uid, now, &retry_ms, &error);

        if (ok) {
                g_assert_no_error(error);
                g_assert_cmpuint(retry_ms, ==, 0);
        } else {
                g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_LOCKED_OUT);
        }
        if (ret_retry_ms)
                *ret_retry_ms = retry_ms;
        return ok;
}

static void fail_n(Fixture *f, BiogatedLimitsCounter counter, uid_t uid, guint n, gint64 now) {
        for (guint i = 0; i < n; i++)
                biogated_limits_record_counter(f->limits, counter, uid, FALSE, CALLER, now);
}

static void test_delay_doubles_to_cap(Fixture *f, gconstpointer data) {
        guint64 retry_ms;
        gint64 now = S(1000);

        g_assert_true(may_try(f, BIOGATED_LIMITS_MATCHES, UID, now, NULL));
        /* Below the threshold: no wait at all. */
        fail_n(f, BIOGATED_LIMITS_MATCHES, UID, BIOGATED_LIMIT_DELAY_AFTER - 1, now);
        g_assert_true(may_try(f, BIOGATED_LIMITS_MATCHES, UID, now, NULL));

        /* The DELAY_AFTER-th failure: the first delay, to the millisecond. */
        fail_n(f, BIOGATED_LIMITS_MATCHES, UID, 1, now);
        g_assert_false(may_try(f, BIOGATED_LIMITS_MATCHES, UID, now, &retry_ms));
        g_assert_cmpuint(retry_ms, ==, BIOGATED_LIMIT_FIRST_DELAY_S * 1000);
        g_assert_false(may_try(f, BIOGATED_LIMITS_MATCHES, UID, now + S(BIOGATED_LIMIT_FIRST_DELAY_S) - 1, &retry_ms));
        g_assert_cmpuint(retry_ms, ==, 1);
        g_assert_true(may_try(f, BIOGATED_LIMITS_MATCHES, UID, now + S(BIOGATED_LIMIT_FIRST_DELAY_S), NULL));
        /* Another uid is not charged. */
        g_assert_true(may_try(f, BIOGATED_LIMITS_MATCHES, OTHER_UID, now, NULL));

        /* Each further failure doubles it, up to the cap. */
        for (guint64 expect_s = BIOGATED_LIMIT_FIRST_DELAY_S * 2, i = 0; i < 12; i++) {
                now += S(BIOGATED_LIMIT_MAX_DELAY_S);
                fail_n(f, BIOGATED_LIMITS_MATCHES, UID, 1, now);
                g_assert_false(may_try(f, BIOGATED_LIMITS_MATCHES, UID, now, &retry_ms));
                g_assert_cmpuint(retry_ms, ==, MIN(expect_s, BIOGATED_LIMIT_MAX_DELAY_S) * 1000);
                expect_s *= 2;
        }
        g_assert_cmpuint(retry_ms, ==, BIOGATED_LIMIT_MAX_DELAY_S * 1000);
}

static void test_success_resets_matches(Fixture *f, gconstpointer data) {
        gint64 now = S(1000);

        fail_n(f, BIOGATED_LIMITS_MATCHES, UID, BIOGATED_LIMIT_DELAY_AFTER, now);
        g_assert_false(may_try(f, BIOGATED_LIMITS_MATCHES, UID, now, NULL));
        now += S(BIOGATED_LIMIT_FIRST_DELAY_S);
        biogated_limits_record(f->limits, UID, TRUE, CALLER, now);
        g_assert_true(may_try(f, BIOGATED_LIMITS_MATCHES, UID, now, NULL));
        /* From zero again: DELAY_AFTER - 1 failures cost nothing. */
        fail_n(f, BIOGATED_LIMITS_MATCHES, UID, BIOGATED_LIMIT_DELAY_AFTER - 1, now);
        g_assert_true(may_try(f, BIOGATED_LIMITS_MATCHES, UID, now, NULL));
}

static void test_lock_until_unlock(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        guint64 retry_ms;
        gint64 now = S(1000);

        /* Failures spread out so that each one was allowed. */
        for (guint i = 0; i < BIOGATED_LIMIT_LOCK_AFTER - 1; i++, now += S(BIOGATED_LIMIT_MAX_DELAY_S))
                fail_n(f, BIOGATED_LIMITS_MATCHES, UID, 1, now);
        /* The last of them, at now - MAX_DELAY, waits the cap: until now. */
        g_assert_false(may_try(f, BIOGATED_LIMITS_MATCHES, UID, now - 1, &retry_ms));
        g_assert_cmpuint(retry_ms, ==, 1);
        g_assert_true(may_try(f, BIOGATED_LIMITS_MATCHES, UID, now, NULL));

        /* The LOCK_AFTER-th: locked, no time to wait out, a success changes nothing. */
        fail_n(f, BIOGATED_LIMITS_MATCHES, UID, 1, now);
        g_assert_false(may_try(f, BIOGATED_LIMITS_MATCHES, UID, now, &retry_ms));
        g_assert_cmpuint(retry_ms, ==, 0);
        g_assert_false(may_try(f, BIOGATED_LIMITS_MATCHES, UID, now + S(365 * 24 * 3600), &retry_ms));
        g_assert_cmpuint(retry_ms, ==, 0);
        biogated_limits_record(f->limits, UID, TRUE, CALLER, now);
        g_assert_false(may_try(f, BIOGATED_LIMITS_MATCHES, UID, now, NULL));

        g_assert_true(unlock(f, UID, &error));
        g_assert_no_error(error);
        g_assert_true(may_try(f, BIOGATED_LIMITS_MATCHES, UID, now, NULL));
        fail_n(f, BIOGATED_LIMITS_MATCHES, UID, BIOGATED_LIMIT_DELAY_AFTER - 1, now);
        g_assert_true(may_try(f, BIOGATED_LIMITS_MATCHES, UID, now, NULL));
}

static void test_counters_apart(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        gint64 now = S(1000);

        /* Failed approver touches gate approvals, not the requester's login. */
        fail_n(f, BIOGATED_LIMITS_APPROVALS, UID, BIOGATED_LIMIT_DELAY_AFTER, now);
        g_assert_false(may_try(f, BIOGATED_LIMITS_APPROVALS, UID, now, NULL));
        g_assert_true(may_try(f, BIOGATED_LIMITS_MATCHES, UID, now, NULL));

        /* The requester's own success does not reset them. */
        fail_n(f, BIOGATED_LIMITS_MATCHES, UID, 1, now);
        biogated_limits_record(f->limits, UID, TRUE, CALLER, now);
        g_assert_false(may_try(f, BIOGATED_LIMITS_APPROVALS, UID, now, NULL));

        /* An approved four-eyes step-up does; so does Unlock, both counters. */
        biogated_limits_record_counter(f->limits, BIOGATED_LIMITS_APPROVALS, UID, TRUE, CALLER, now);
        g_assert_true(may_try(f, BIOGATED_LIMITS_APPROVALS, UID, now, NULL));
        fail_n(f, BIOGATED_LIMITS_APPROVALS, UID, BIOGATED_LIMIT_DELAY_AFTER, now);
        fail_n(f, BIOGATED_LIMITS_MATCHES, UID, BIOGATED_LIMIT_DELAY_AFTER, now);
        g_assert_true(unlock(f, UID, &error));
        g_assert_no_error(error);
        g_assert_true(may_try(f, BIOGATED_LIMITS_APPROVALS, UID, now, NULL));
        g_assert_true(may_try(f, BIOGATED_LIMITS_MATCHES, UID, now, NULL));
}

static void test_restart_keeps(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        guint64 retry_ms;
        gint64 now = S(1000);

        fail_n(f, BIOGATED_LIMITS_MATCHES, UID, BIOGATED_LIMIT_DELAY_AFTER, now);
        biogated_limits_free(f->limits);
        f->limits = biogated_limits_open(f->dir, f->writer, f->audit, &error);
        g_assert_no_error(error);
        g_assert_false(may_try(f, BIOGATED_LIMITS_MATCHES, UID, now + S(1), &retry_ms));
        g_assert_cmpuint(retry_ms, ==, (BIOGATED_LIMIT_FIRST_DELAY_S - 1) * 1000);
}

static void write_record(Fixture *f, const char *name, const char *text) {
        g_autofree char *path = g_build_filename(f->dir, "limits", name, NULL);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(write(fd, text, strlen(text)), ==, (gssize) strlen(text));
        g_assert_cmpint(close(fd), ==, 0);
}

/* Someone who resets a counter by damaging its file gains nothing. */
static void test_damaged_fails_closed(Fixture *f, gconstpointer data) {
        static const char *const damaged[] = {
                "", "garbage\n", "consecutive=0\nnot_before=0\nlocked=2\n", "consecutive=0\nnot_before=-1\nlocked=0\n",
        };
        g_autofree char *name = g_strdup_printf("%u", (unsigned) UID);
        gint64 now = S(1000);
        guint64 retry_ms;

        write_record(f, name, "consecutive=0\nnot_before=0\nlocked=0\n");
        g_assert_true(may_try(f, BIOGATED_LIMITS_MATCHES, UID, now, NULL));
        for (gsize i = 0; i < G_N_ELEMENTS(damaged); i++) {
                g_test_message("record: \"%s\"", damaged[i]);
                write_record(f, name, damaged[i]);
                g_test_expect_message("biogated", G_LOG_LEVEL_WARNING, "Failure counter *: treating it as locked");
                g_assert_false(may_try(f, BIOGATED_LIMITS_MATCHES, UID, now, &retry_ms));
                g_test_assert_expected_messages();
                g_assert_cmpuint(retry_ms, ==, 0);
        }
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);

        /* A lockout is an audit event, which goes to the journal: keep the
         * test's events out of the host's (an empty directory over its
         * socket, in a mount namespace of this process). */
        if (unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0)
                (void) mount("tmpfs", "/run/systemd/journal", "tmpfs", 0, "mode=0755");

#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
        ADD("/limits/delay-doubles-to-cap", test_delay_doubles_to_cap);
        ADD("/limits/success-resets-matches", test_success_resets_matches);
        ADD("/limits/lock-until-unlock", test_lock_until_unlock);
        ADD("/limits/counters-apart", test_counters_apart);
        ADD("/limits/restart-keeps", test_restart_keeps);
        ADD("/limits/damaged-fails-closed", test_damaged_fails_closed);
        return g_test_run();
}
