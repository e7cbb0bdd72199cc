/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Proves that synth-finger.c's images work with the real libfprint: its
 * virtual_image driver runs NBIS (mindtct + bozorth3) on them exactly as on a
 * sensor's images. Drives libfprint directly, no daemon involved.
 *
 * Images are fed the way the driver needs them: one per "finger needed"
 * (the rising edge of FP_FINGER_STATUS_NEEDED in notify::finger-status),
 * sent from a worker thread so that a full socket buffer can never block the
 * main loop the driver reads in. No sleeps: every wait runs the main loop
 * against a deadline. */
#include <errno.h>
#include <fprint.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth-finger.h"

#define DEFAULT_TIMEOUT_MS 20000
#define N_SEEDS 10
#define MAX_TOUCHES 16

/* What to put on the sensor the next time it asks for a finger. */
typedef struct Touch {
        gboolean control;
        uint64_t seed;
        SynthFingerControl command;
        int32_t argument;
} Touch;

typedef struct SendJob {
        Touch touch;
        char *socket_path;
        char *error;
        int r;
        gint64 written_us;
} SendJob;

static struct {
        char *tmpdir, *socket_path;
        FpContext *context;
        FpDevice *device;
        gboolean open;
        GMainLoop *loop;

        Touch touches[MAX_TOUCHES];
        unsigned n_touches, next_touch, sends_in_flight;
        gboolean needed;        /* FP_FINGER_STATUS_NEEDED as last seen */
        char *failure;          /* set from callbacks, asserted in the test */
        gint64 written_us;      /* when the last image was in the socket */

        GAsyncResult *result;
        gint64 done_us;
        GHashTable *enrolled;   /* seed → FpPrint */
        GArray *verify_ms;      /* double: last image written → result */
} t;

/* ---- waiting ------------------------------------------------------------ */

static int timeout_ms(void) {
        const char *factor_env = g_getenv("BIOGATE_TEST_TIMEOUT_FACTOR");
        guint64 factor = 1;

        /* valgrind runs stretch every deadline. */
        if (factor_env && !g_ascii_string_to_unsigned(factor_env, 10, 1, 100, &factor, NULL))
                g_error("BIOGATE_TEST_TIMEOUT_FACTOR=%s is not an integer in 1..100", factor_env);
        return (int) (DEFAULT_TIMEOUT_MS * factor);
}

static gboolean on_deadline(gpointer user_data) {
        *(gboolean *) user_data = TRUE;
        g_main_loop_quit(t.loop);
        return G_SOURCE_REMOVE;
}

static void fail_async(char *message) {
        if (!t.failure)
                t.failure = message;
        else
                g_free(message);
        g_main_loop_quit(t.loop);
}

/* Completion callback for every libfprint call. */
static void on_done(G_GNUC_UNUSED GObject *source, GAsyncResult *res, G_GNUC_UNUSED gpointer user_data) {
        t.result = g_object_ref(res);
        t.done_us = g_get_monotonic_time();
        g_main_loop_quit(t.loop);
}

/* Runs the main loop until the operation finished and no image is still
 * being sent (a send must not outlive its test), or the deadline passed. */
static GAsyncResult *wait_result(void) {
        gboolean timed_out = FALSE;
        guint id = g_timeout_add(timeout_ms(), on_deadline, &timed_out);

        while ((!t.result || t.sends_in_flight > 0) && !timed_out && !t.failure)
                g_main_loop_run(t.loop);
        if (!timed_out)
                g_source_remove(id);
        g_assert_cmpstr(t.failure, ==, NULL);
        if (timed_out)
                g_error("no result within %d ms (%u of %u touches sent)",
                        timeout_ms(), t.next_touch, t.n_touches);
        return g_steal_pointer(&t.result);
}

/* ---- the finger --------------------------------------------------------- */

static void send_thread(GTask *task, G_GNUC_UNUSED gpointer source, gpointer task_data,
                        G_GNUC_UNUSED GCancellable *cancellable) {
        SendJob *job = task_data;

        if (job->touch.control)
                job->r = synth_finger_send_control(job->socket_path, job->touch.command,
                                                   job->touch.argument, &job->error);
        else
                job->r = synth_finger_send(job->socket_path, job->touch.seed, &job->error);
        job->written_us = g_get_monotonic_time();
        g_task_return_boolean(task, TRUE);
}

static void send_job_free(SendJob *job) {
        free(job->error); /* malloc()ed by synth-finger.c */
        g_free(job->socket_path);
        g_free(job);
}

static void on_sent(G_GNUC_UNUSED GObject *source, GAsyncResult *res, G_GNUC_UNUSED gpointer user_data) {
        SendJob *job = g_task_get_task_data(G_TASK(res));

        t.sends_in_flight--;
        t.written_us = job->written_us;
        if (job->r < 0)
                fail_async(g_strdup_printf("sending to the sensor: %s (%s)", job->error, g_strerror(-job->r)));
        else if (t.result)
                g_main_loop_quit(t.loop); /* wait_result() waited for this send only */
}

static void touch_next(void) {
        g_autoptr(GTask) task = NULL;
        SendJob *job;

        /* A retry or a dropped image makes the driver ask again: fail now
         * rather than at the deadline. */
        if (t.next_touch >= t.n_touches) {
                fail_async(g_strdup_printf("the sensor asked for a finger %u times, expected %u",
                                           t.next_touch + 1, t.n_touches));
                return;
        }
        job = g_new0(SendJob, 1);
        job->touch = t.touches[t.next_touch++];
        job->socket_path = g_strdup(t.socket_path);
        task = g_task_new(NULL, NULL, on_sent, NULL);
        g_task_set_task_data(task, job, (GDestroyNotify) send_job_free);
        t.sends_in_flight++;
        g_task_run_in_thread(task, send_thread);
}

/* The only safe moment to send: the driver waits for a finger. An image
 * that arrives earlier, e.g. between enrolment stages, is dropped. */
static void on_finger_status(FpDevice *device, G_GNUC_UNUSED GParamSpec *pspec,
                             G_GNUC_UNUSED gpointer user_data) {
        gboolean needed = !!(fp_device_get_finger_status(device) & FP_FINGER_STATUS_NEEDED);

        if (needed && !t.needed)
                touch_next();
        t.needed = needed;
}

static void expect_touches(const Touch *touches, unsigned n) {
        g_assert_cmpuint(n, <=, MAX_TOUCHES);
        memcpy(t.touches, touches, n * sizeof(Touch));
        t.n_touches = n;
        t.next_touch = 0;
}

/* ---- libfprint ------------------------------------------------------------ */

static void device_open(void) {
        g_autoptr(GError) error = NULL;

        if (t.open)
                return;
        if (!t.context) {
                GPtrArray *devices;

                t.context = fp_context_new();
                devices = fp_context_get_devices(t.context);
                for (guint i = 0; i < devices->len; i++)
                        if (g_str_equal(fp_device_get_driver(devices->pdata[i]), "virtual_image"))
                                t.device = g_object_ref(devices->pdata[i]);
                if (!t.device)
                        g_error("libfprint has no virtual_image device (%u devices)", devices->len);
                g_signal_connect(t.device, "notify::finger-status", G_CALLBACK(on_finger_status), NULL);
        }
        fp_device_open(t.device, NULL, on_done, NULL);
        g_assert_true(fp_device_open_finish(t.device, wait_result(), &error));
        g_assert_no_error(error);
        t.open = TRUE;
}

static void device_close(void) {
        g_autoptr(GError) error = NULL;

        if (!t.open)
                return;
        fp_device_close(t.device, NULL, on_done, NULL);
        g_assert_true(fp_device_close_finish(t.device, wait_result(), &error));
        g_assert_no_error(error);
        t.open = FALSE;
}

static FpPrint *enroll(uint64_t seed) {
        g_autoptr(GError) error = NULL;
        Touch touches[MAX_TOUCHES];
        int stages;
        FpPrint *print;

        device_open();
        stages = fp_device_get_nr_enroll_stages(t.device);
        g_assert_cmpint(stages, >, 0);
        for (int i = 0; i < stages; i++)
                touches[i] = (Touch) { .seed = seed };
        expect_touches(touches, (unsigned) stages);

        fp_device_enroll(t.device, fp_print_new(t.device), NULL, NULL, NULL, NULL, on_done, NULL);
        print = fp_device_enroll_finish(t.device, wait_result(), &error);
        g_assert_no_error(error);
        g_assert_cmpuint(t.next_touch, ==, t.n_touches);
        return print;
}

/* Enrolments cost five NBIS runs each: share them between the tests. */
static FpPrint *enrolled(uint64_t seed) {
        FpPrint *print = g_hash_table_lookup(t.enrolled, &seed);
        uint64_t *key;

        if (print)
                return print;
        print = enroll(seed);
        key = g_new(uint64_t, 1);
        *key = seed;
        g_hash_table_insert(t.enrolled, key, print);
        return print;
}

/* Returns whether finger @seed matches @print; records the time NBIS took. */
static gboolean verify(FpPrint *print, uint64_t seed) {
        g_autoptr(GError) error = NULL;
        g_autoptr(FpPrint) scanned = NULL;
        gboolean match = FALSE;
        double ms;

        device_open();
        expect_touches(&(Touch) { .seed = seed }, 1);
        fp_device_verify(t.device, print, NULL, NULL, NULL, NULL, on_done, NULL);
        g_assert_true(fp_device_verify_finish(t.device, wait_result(), &match, &scanned, &error));
        g_assert_no_error(error);
        g_assert_nonnull(scanned);

        ms = (double) (t.done_us - t.written_us) / 1000.0;
        g_array_append_val(t.verify_ms, ms);
        return match;
}

/* ---- tests -------------------------------------------------------------- */

static uint64_t fnv1a(const uint8_t *p, size_t n) {
        uint64_t h = UINT64_C(0xcbf29ce484222325);

        for (size_t i = 0; i < n; i++)
                h = (h ^ p[i]) * UINT64_C(0x100000001b3);
        return h;
}

static void test_render_deterministic(void) {
        enum { N = SYNTH_FINGER_WIDTH * SYNTH_FINGER_HEIGHT };
        g_autofree uint8_t *a = g_malloc(N), *b = g_malloc(N);

        synth_finger_render(1, a);
        synth_finger_render(1, b);
        g_assert_cmpmem(a, N, b, N);
        /* Pinned: integer-only rendering must give these bytes everywhere. */
        g_assert_cmphex(fnv1a(a, N), ==, UINT64_C(0x83794053d7cf49a1));
        synth_finger_render(2, b);
        g_assert_cmpint(memcmp(a, b, N), !=, 0);
}

static void test_same_seed_matches(void) {
        for (uint64_t seed = 1; seed <= N_SEEDS; seed++)
                g_assert_true(verify(enrolled(seed), seed));
}

static void test_other_seed_does_not_match(void) {
        for (uint64_t seed = 1; seed <= N_SEEDS; seed++) {
                uint64_t other = seed % N_SEEDS + 1;

                g_assert_false(verify(enrolled(seed), other));
        }
}

static FpPrint *identify(GPtrArray *gallery, uint64_t seed) {
        g_autoptr(GError) error = NULL;
        g_autoptr(FpPrint) scanned = NULL;
        FpPrint *match = NULL;

        device_open();
        expect_touches(&(Touch) { .seed = seed }, 1);
        fp_device_identify(t.device, gallery, NULL, NULL, NULL, NULL, on_done, NULL);
        g_assert_true(fp_device_identify_finish(t.device, wait_result(), &match, &scanned, &error));
        g_assert_no_error(error);
        return match;
}

static void test_identify_gallery(void) {
        g_autoptr(GPtrArray) gallery = g_ptr_array_new();
        FpPrint *match;

        for (uint64_t seed = 1; seed <= 3; seed++)
                g_ptr_array_add(gallery, enrolled(seed));
        /* Present them in an order that is not the gallery's. */
        for (unsigned k = 0; k < 3; k++) {
                unsigned i = (k + 2) % 3;

                match = identify(gallery, i + 1);
                g_assert_nonnull(match);
                g_assert_true(match == gallery->pdata[i] || fp_print_equal(match, gallery->pdata[i]));
                g_object_unref(match);
        }
        /* A finger that is not in the gallery. */
        g_assert_null(identify(gallery, N_SEEDS + 1));
}

/* A control message instead of an image: -1 (retry) ends the verify with a
 * retry error, without any image. */
static void test_control_retry(void) {
        g_autoptr(GError) error = NULL;
        FpPrint *print = enrolled(1); /* enrols first if needed: before expect_touches() */
        gboolean match = TRUE;

        expect_touches(&(Touch) { .control = TRUE, .command = SYNTH_FINGER_CONTROL_RETRY,
                                  .argument = FP_DEVICE_RETRY_CENTER_FINGER }, 1);
        fp_device_verify(t.device, print, NULL, NULL, NULL, NULL, on_done, NULL);
        g_assert_false(fp_device_verify_finish(t.device, wait_result(), &match, NULL, &error));
        g_assert_error(error, FP_DEVICE_RETRY, FP_DEVICE_RETRY_CENTER_FINGER);
}

/* The socket file outlives the device: a sender must not take its existence
 * for "the device is open". */
static void test_stale_socket(void) {
        char *message = NULL; /* malloc()ed by synth-finger.c */

        device_open();
        g_assert_cmpint(synth_finger_send_control(t.socket_path, SYNTH_FINGER_CONTROL_AUTO_FINGER, 1,
                                                  &message), ==, 0);
        device_close();
        g_assert_true(g_file_test(t.socket_path, G_FILE_TEST_EXISTS));
        g_assert_cmpint(synth_finger_send(t.socket_path, 1, &message), ==, -ECONNREFUSED);
        g_test_message("after close: %s", message);
        free(message);
}

int main(int argc, char *argv[]) {
        double sum = 0, max = 0;
        int r;

        g_test_init(&argc, &argv, NULL);

        t.tmpdir = g_dir_make_tmp("synth-finger-XXXXXX", NULL);
        g_assert_nonnull(t.tmpdir);
        t.socket_path = g_build_filename(t.tmpdir, "virtual-image.socket", NULL);
        /* Read when the context enumerates devices: set before creating it.
         * libfprint < 1.94.7 reads the WHITELIST name, later ones ALLOWLIST. */
        g_setenv("FP_DRIVERS_WHITELIST", "virtual_image", TRUE);
        g_setenv("FP_DRIVERS_ALLOWLIST", "virtual_image", TRUE);
        g_setenv("FP_VIRTUAL_IMAGE", t.socket_path, TRUE);
        t.loop = g_main_loop_new(NULL, FALSE);
        t.enrolled = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_object_unref);
        t.verify_ms = g_array_new(FALSE, FALSE, sizeof(double));

        g_test_add_func("/synth-finger/render/deterministic", test_render_deterministic);
        g_test_add_func("/synth-finger/verify/same-seed", test_same_seed_matches);
        g_test_add_func("/synth-finger/verify/other-seed", test_other_seed_does_not_match);
        g_test_add_func("/synth-finger/identify/gallery", test_identify_gallery);
        g_test_add_func("/synth-finger/protocol/retry", test_control_retry);
        g_test_add_func("/synth-finger/protocol/stale-socket", test_stale_socket);
        r = g_test_run();

        for (guint i = 0; i < t.verify_ms->len; i++) {
                double ms = g_array_index(t.verify_ms, double, i);

                sum += ms;
                max = MAX(max, ms);
        }
        if (t.verify_ms->len > 0)
                g_test_message("NBIS verify: %u runs, mean %.1f ms, max %.1f ms (image written -> result)",
                               t.verify_ms->len, sum / t.verify_ms->len, max);

        g_hash_table_unref(t.enrolled);
        device_close();
        g_clear_object(&t.device);
        g_clear_object(&t.context);
        g_array_unref(t.verify_ms);
        g_main_loop_unref(t.loop);
        /* The driver leaves its socket file behind. */
        (void) g_unlink(t.socket_path);
        (void) g_rmdir(t.tmpdir);
        g_free(t.socket_path);
        g_free(t.tmpdir);
        return r;
}
