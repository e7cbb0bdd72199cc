/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sensor queue (daemon/biogated-device.c) without the bus or the
 * daemon: libfprint's virtual_device opened by the queue itself, leases
 * requested and released by hand. First come first served across uids,
 * the bounds per uid and in total (one uid cannot fill the queue), logins
 * ahead of the others and the running operation asked to give the sensor
 * back for them. Until now only daemon/queue, daemon/queue-fair-share and
 * the load tests covered this, through the whole daemon. */
#include "biogated-device.h"
#include "biogated-error.h"

#include "biogate-test-fixture.h"

#define TIMEOUT_MS 20000

typedef struct {
        BiogatedDevices *devices;
        GPtrArray *served;      /* names, in the order their leases got the sensor */
} Fixture;

typedef struct {
        Fixture *f;
        char *name;
        BiogatedLease *lease;
        gboolean ready;
        guint preempted;
} Client;

static void on_ready(BiogatedLease *lease, FpDevice *device, const GError *error, guint64 retry_after_ms,
                     gpointer user_data) {
        Client *c = user_data;

        g_assert_no_error(error);
        g_assert_nonnull(device);
        g_assert_true(fp_device_is_open(device));
        c->ready = TRUE;
        g_ptr_array_add(c->f->served, g_strdup(c->name));
}

static gboolean on_preempt(BiogatedLease *lease, const GError *reason, guint64 retry_after_ms, gboolean force,
                           gpointer user_data) {
        Client *c = user_data;

        g_assert_error(reason, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_DEVICE_BUSY);
        c->preempted++;
        return FALSE; /* the test releases it when it wants */
}

static Client *client_new(Fixture *f, const char *name) {
        Client *c = g_new0(Client, 1);

        c->f = f;
        c->name = g_strdup(name);
        return c;
}

static void client_free(gpointer data) {
        Client *c = data;

        g_free(c->name);
        g_free(c);
}

/* Queues a request of uid; NULL with the error when refused at once. */
static Client *request(Fixture *f, const char *name, uid_t uid, gboolean login, GError **error) {
        Client *c = client_new(f, name);

        c->lease = biogated_devices_request(f->devices, &(BiogatedLeaseRequest) { .uid = uid, .login = login },
                                            on_ready, on_preempt, c, client_free, error);
        /* On refusal the lease never existed: destroy was not called. */
        if (!c->lease) {
                client_free(c);
                return NULL;
        }
        return c;
}

static Client *request_ok(Fixture *f, const char *name, uid_t uid, gboolean login) {
        g_autoptr(GError) error = NULL;
        Client *c = request(f, name, uid, login, &error);

        g_assert_no_error(error);
        return c;
}

static void request_busy(Fixture *f, const char *name, uid_t uid) {
        g_autoptr(GError) error = NULL;

        g_assert_null(request(f, name, uid, FALSE, &error));
        g_assert_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_DEVICE_BUSY);
}

static gboolean timed_out_cb(gpointer user_data) {
        *(gboolean *) user_data = TRUE;
        return G_SOURCE_REMOVE;
}

/* Iterates until c has the sensor (the queue dispatches from an idle source,
 * the first lease after the sensor opened). */
static void wait_ready(Client *c) {
        gboolean timed_out = FALSE;
        guint id = g_timeout_add(TIMEOUT_MS, timed_out_cb, &timed_out);

        while (!c->ready && !timed_out)
                g_main_context_iteration(NULL, TRUE);
        if (!timed_out)
                g_source_remove(id);
        if (!c->ready)
                g_error("%s did not get the sensor within %d ms", c->name, TIMEOUT_MS);
}

/* Lets every pending dispatch run: after it, a lease that could get the
 * sensor has it. */
static void settle(void) {
        while (g_main_context_iteration(NULL, FALSE))
                ;
}

static void release(Client *c) {
        /* c is freed by the lease's destroy. */
        biogated_lease_release(c->lease);
}

static void fixture_setup(Fixture *f, gconstpointer data) {
        static const BiogatedSensorLimits limits = {
                .budget_seconds = 3600, .window_seconds = 7200,
                .login_budget_seconds = 3600, .login_window_seconds = 7200,
        };
        f->devices = biogated_devices_new(NULL, &limits);
        g_assert_nonnull(biogated_devices_get_default(f->devices));
        f->served = g_ptr_array_new_with_free_func(g_free);
}

static void fixture_teardown(Fixture *f, gconstpointer data) {
        biogated_devices_free(f->devices);
        g_ptr_array_unref(f->served);
}

static char *served(Fixture *f) {
        g_ptr_array_add(f->served, NULL);
        g_ptr_array_set_size(f->served, f->served->len - 1);
        return g_strjoinv(" ", (char **) f->served->pdata);
}

/* Releases the holder, waits for next to get the sensor. */
static void hand_over(Client *holder, Client *next) {
        release(holder);
        wait_ready(next);
}

static void test_fifo_across_uids(Fixture *f, gconstpointer data) {
        g_autofree char *order = NULL;
        Client *a = request_ok(f, "a", 1001, FALSE), *b1, *c1, *b2, *c2;

        wait_ready(a);
        b1 = request_ok(f, "b1", 1002, FALSE);
        c1 = request_ok(f, "c1", 1003, FALSE);
        b2 = request_ok(f, "b2", 1002, FALSE);
        c2 = request_ok(f, "c2", 1003, FALSE);
        settle();
        g_assert_false(b1->ready);
        hand_over(a, b1);
        hand_over(b1, c1);
        hand_over(c1, b2);
        hand_over(b2, c2);
        release(c2);
        order = served(f);
        g_assert_cmpstr(order, ==, "a b1 c1 b2 c2");
}

static void test_bounds(Fixture *f, gconstpointer data) {
        Client *holder = request_ok(f, "holder", 1001, FALSE);
        Client *waiting[BIOGATED_QUEUE_MAX];
        guint n = 0;

        wait_ready(holder);
        /* One uid waits with at most BIOGATED_QUEUE_MAX_PER_UID requests... */
        for (guint i = 0; i < BIOGATED_QUEUE_MAX_PER_UID; i++)
                waiting[n++] = request_ok(f, "flood", 2000, FALSE);
        request_busy(f, "flood-over", 2000);
        /* ...the holder's uid too (its running request does not count)... */
        for (guint i = 0; i < BIOGATED_QUEUE_MAX_PER_UID; i++)
                waiting[n++] = request_ok(f, "holder-again", 1001, FALSE);
        request_busy(f, "holder-over", 1001);
        /* ...and everyone together with at most BIOGATED_QUEUE_MAX. */
        for (uid_t uid = 3000; n < BIOGATED_QUEUE_MAX; uid++)
                waiting[n++] = request_ok(f, "other", uid, FALSE);
        request_busy(f, "one-too-many", 4000);

        /* A login has places of its own: a full queue never turns it away. */
        {
                Client *login = request_ok(f, "login", 5000, TRUE);

                release(login);
        }
        /* Once one leaves, its uid may queue again. */
        release(waiting[0]);
        waiting[0] = request_ok(f, "flood-again", 2000, FALSE);
        for (guint i = 0; i < n; i++)
                release(waiting[i]);
        release(holder);
}

static void test_login_first(Fixture *f, gconstpointer data) {
        g_autofree char *order = NULL;
        Client *a = request_ok(f, "a", 1001, FALSE), *b, *login;

        wait_ready(a);
        b = request_ok(f, "b", 1002, FALSE);
        login = request_ok(f, "login", 1003, TRUE);
        settle();
        /* The holder was asked to give the sensor back for the login. */
        g_assert_cmpuint(a->preempted, ==, 1);
        g_assert_false(login->ready);
        hand_over(a, login);
        hand_over(login, b);
        release(b);
        order = served(f);
        g_assert_cmpstr(order, ==, "a login b");
}

int main(int argc, char **argv) {
        char *vdev_dir;
        int ret;

        g_test_init(&argc, &argv, NULL);
        vdev_dir = btf_vdev_in_process_setup();

#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
        ADD("/device-queue/fifo-across-uids", test_fifo_across_uids);
        ADD("/device-queue/bounds", test_bounds);
        ADD("/device-queue/login-first", test_login_first);
        ret = g_test_run();
        btf_vdev_in_process_clear(vdev_dir);
        return ret;
}
