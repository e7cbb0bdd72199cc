/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pam-biogate-bus.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "biogate-bus.h"
#include "biogate-finger.h"
#include "pam-biogate-util.h"

#define MAX_EARLY_SIGNALS 32

uint64_t pam_biogate_now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * UINT64_C(1000000) + (uint64_t) ts.tv_nsec / 1000;
}

static uint64_t remaining_usec(uint64_t deadline) {
        uint64_t now = pam_biogate_now_usec();
        return deadline > now ? deadline - now : 0;
}

int pam_biogate_bus_open(sd_bus **ret_bus) {
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, PAM_BIOGATE_SYSTEM_BUS_ADDRESS);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, 1);
        /* Anyone on the bus may send us signals; none may push file
         * descriptors into gdm or sudo that way. */
        if (r >= 0)
                r = sd_bus_negotiate_fds(bus, 0);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                sd_bus_unref(bus);
                return r;
        }
        *ret_bus = bus;
        return 0;
}

static PamBiogateResult result_of(PamBiogateOutcome outcome) {
        return (PamBiogateResult) { outcome, 0 };
}

static PamBiogateResult result_from_bus_error(const sd_bus_error *error, int r) {
        if (sd_bus_error_is_set(error))
                return pam_biogate_result_from_error_name(error->name);
        if (r == -ENOMEM)
                return result_of(PAM_BIOGATE_NO_MEMORY);
        if (r == -ETIMEDOUT)
                return result_of(PAM_BIOGATE_TIMED_OUT);
        return result_of(PAM_BIOGATE_DAEMON_UNAVAILABLE);
}

/* ---- one Verify operation ---- */

typedef struct Verification {
        sd_bus *bus;
        const PamBiogateVerify *args;
        char *path;          /* our operation, once the reply told us */
        char *daemon;        /* the daemon's unique name, from that reply */
        bool done;
        bool finished;       /* the daemon said Finished: nothing to cancel */
        PamBiogateResult result;
        sd_bus_slot *properties_call;  /* must not outlive us: v is on our stack */
        sd_bus_message *early[MAX_EARLY_SIGNALS];
        size_t n_early;
} Verification;

static void finish(Verification *v, PamBiogateResult result) {
        if (v->done)
                return;
        v->done = true;
        v->result = result;
}

/* The bitmask of the finger names in an "as" at the current position;
 * names this module does not know are left out. */
static int read_finger_names(sd_bus_message *m, unsigned *ret_mask) {
        const char *name;
        unsigned mask = 0;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "s");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "s", &name)) > 0) {
                BiogateFinger f = biogate_finger_from_name(name);
                if (f != BIOGATE_FINGER_INVALID)
                        mask |= 1u << f;
        }
        if (r < 0)
                return r;
        *ret_mask = mask;
        return sd_bus_message_exit_container(m);
}

/* Reads the keys we use from an a{sv} at the current position; a key with
 * another type than ours is skipped, as unknown keys are. */
static int read_details(sd_bus_message *m, PamBiogateDetails *ret) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *key, *value = NULL;
                const char **target = NULL;

                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;
                if (strcmp(key, "user") == 0)
                        target = &ret->user;
                else if (strcmp(key, "error") == 0)
                        target = &ret->error;
                else if (strcmp(key, "reason") == 0)
                        target = &ret->reason;
                if (sd_bus_message_peek_type(m, NULL, NULL) <= 0)
                        return -EBADMSG;
                if (target && sd_bus_message_enter_container(m, 'v', "s") > 0) {
                        r = sd_bus_message_read(m, "s", &value);
                        if (r < 0)
                                return r;
                        *target = value;
                        r = sd_bus_message_exit_container(m);
                } else if (strcmp(key, "retry-after-ms") == 0 && sd_bus_message_enter_container(m, 'v', "t") > 0) {
                        r = sd_bus_message_read(m, "t", &ret->retry_after_ms);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                } else if (strcmp(key, "fingers") == 0 && sd_bus_message_enter_container(m, 'v', "as") > 0) {
                        r = read_finger_names(m, &ret->fingers);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                } else
                        r = sd_bus_message_skip(m, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static void apply_result(Verification *v, const char *result, const PamBiogateDetails *details) {
        const char *user = details->user, *error = details->error;

        v->finished = true;
        if (strcmp(result, BIOGATE_RESULT_MATCH) == 0) {
                /* A match counts only for the user we asked about. */
                if (user && strcmp(user, v->args->user) == 0)
                        finish(v, result_of(PAM_BIOGATE_MATCH));
                else
                        finish(v, result_of(PAM_BIOGATE_UNEXPECTED));
        } else if (strcmp(result, BIOGATE_RESULT_NO_MATCH) == 0)
                finish(v, result_of(PAM_BIOGATE_NO_MATCH));
        else if (strcmp(result, BIOGATE_RESULT_FAILED) == 0 || strcmp(result, BIOGATE_RESULT_CANCELLED) == 0) {
                PamBiogateResult r = pam_biogate_result_from_error_name(error);

                /* How long the user's fingerprints stay locked, to say so. */
                if (r.outcome == PAM_BIOGATE_DAEMON_ERROR && r.error == BIOGATE_ERROR_LOCKED_OUT)
                        r.retry_after_ms = details->retry_after_ms;
                finish(v, r);
        }
        else
                finish(v, result_of(PAM_BIOGATE_UNEXPECTED));
}

static void handle_operation_signal(Verification *v, sd_bus_message *m) {
        PamBiogateDetails details = {};
        const char *status = NULL;

        /* Anyone may send us a signal; only the daemon that answered our call
         * speaks for our operation. */
        if (!v->path || strcmp(sd_bus_message_get_path(m) ?: "", v->path) != 0 ||
            strcmp(sd_bus_message_get_sender(m) ?: "", v->daemon) != 0)
                return;
        if (sd_bus_message_read(m, "s", &status) < 0 || read_details(m, &details) < 0) {
                finish(v, result_of(PAM_BIOGATE_UNEXPECTED));
                return;
        }
        if (sd_bus_message_is_signal(m, BIOGATE_OPERATION_INTERFACE, "Finished"))
                apply_result(v, status, &details);
        else if (sd_bus_message_is_signal(m, BIOGATE_OPERATION_INTERFACE, "Progress") && v->args->progress &&
                 v->args->progress(v->args->userdata, status, &details) < 0)
                finish(v, result_of(PAM_BIOGATE_CONV_ERROR));
}

static int on_operation_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Verification *v = userdata;

        if (v->done)
                return 0;
        if (!v->path) {
                /* Before the method reply: keep it until we know our path. */
                if (v->n_early < MAX_EARLY_SIGNALS)
                        v->early[v->n_early++] = sd_bus_message_ref(m);
                return 0;
        }
        handle_operation_signal(v, m);
        return 0;
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Verification *v = userdata;
        const char *name, *old_owner, *new_owner;

        if (strcmp(sd_bus_message_get_sender(m) ?: "", "org.freedesktop.DBus") != 0)
                return 0;
        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0)
                return 0;
        if (strcmp(name, BIOGATE_BUS_NAME) != 0 || !v->daemon || strcmp(old_owner, v->daemon) != 0)
                return 0;
        finish(v, result_of(PAM_BIOGATE_DAEMON_VANISHED));
        v->finished = true; /* nobody left to cancel */
        return 0;
}

/* A match the bus refused (its limits) would leave us deaf to the result:
 * the attempt ends, as it did when the match was installed synchronously. */
static int on_match_installed(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Verification *v = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (e)
                finish(v, result_from_bus_error(NULL, -sd_bus_error_get_errno(e)));
        return 0;
}

static int on_properties(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Verification *v = userdata;
        const char *state = NULL, *result = NULL;
        PamBiogateDetails details = {};
        int r;

        if (v->done || sd_bus_message_is_method_error(reply, NULL))
                return 0;
        /* A result that was final before our signal match could see it. */
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key;
                if (sd_bus_message_read(reply, "s", &key) < 0)
                        return 0;
                if (strcmp(key, "State") == 0 || strcmp(key, "Result") == 0)
                        r = sd_bus_message_read(reply, "v", "s", strcmp(key, "State") == 0 ? &state : &result);
                else if (strcmp(key, "ResultDetails") == 0 && sd_bus_message_enter_container(reply, 'v', "a{sv}") > 0) {
                        r = read_details(reply, &details);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                } else
                        r = sd_bus_message_skip(reply, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r < 0)
                return 0;
        if (state && strcmp(state, "done") == 0 && result && *result)
                apply_result(v, result, &details);
        return 0;
}

static int on_verify_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Verification *v = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        const char *path;

        if (e) {
                finish(v, pam_biogate_result_from_error_name(e->name));
                v->finished = true;
                return 0;
        }
        if (sd_bus_message_read(reply, "o", &path) < 0 || !sd_bus_message_get_sender(reply) ||
            !(v->path = strdup(path)) || !(v->daemon = strdup(sd_bus_message_get_sender(reply)))) {
                finish(v, result_of(PAM_BIOGATE_UNEXPECTED));
                return 0;
        }
        for (size_t i = 0; i < v->n_early; i++) {
                if (!v->done)
                        handle_operation_signal(v, v->early[i]);
                v->early[i] = sd_bus_message_unref(v->early[i]);
        }
        v->n_early = 0;
        if (!v->done)
                (void) sd_bus_call_method_async(v->bus, &v->properties_call, v->daemon, v->path,
                                                "org.freedesktop.DBus.Properties",
                                                "GetAll", on_properties, v, "s", BIOGATE_OPERATION_INTERFACE);
        return 0;
}

static int start_verify(Verification *v, sd_bus_slot **ret_slot) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        uint64_t left = remaining_usec(v->args->deadline);
        uint32_t timeout_ms = (uint32_t) (left / 1000 > 600000 ? 600000 : left / 1000);
        int r;

        if (timeout_ms == 0)
                return -ETIMEDOUT;
        r = sd_bus_message_new_method_call(v->bus, &m, BIOGATE_BUS_NAME, BIOGATE_OBJECT_PATH,
                                           BIOGATE_MANAGER_INTERFACE, "Verify");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", v->args->user);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0)
                r = sd_bus_message_append(m, "{sv}", "timeout-ms", "u", timeout_ms);
        if (r >= 0 && v->args->service)
                r = sd_bus_message_append(m, "{sv}", "service", "s", v->args->service);
        if (r >= 0 && v->args->finger)
                r = sd_bus_message_append(m, "{sv}", "fingers", "as", 1, v->args->finger);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        return sd_bus_call_async(v->bus, ret_slot, m, on_verify_reply, v, left);
}

static bool interrupted(int fd) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        return fd >= 0 && poll(&p, 1, 0) > 0;
}

static int wait_for_event(Verification *v) {
        struct pollfd fds[2] = {
                { .fd = sd_bus_get_fd(v->bus), .events = (short) sd_bus_get_events(v->bus) },
                { .fd = v->args->interrupt_fd, .events = POLLIN },
        };
        uint64_t left = remaining_usec(v->args->deadline), bus_timeout = UINT64_MAX;
        int timeout_ms, r;

        if (fds[0].fd < 0 || (int) fds[0].events < 0)
                return -ENOTCONN;
        if (sd_bus_get_timeout(v->bus, &bus_timeout) >= 0 && bus_timeout != UINT64_MAX) {
                uint64_t now = pam_biogate_now_usec();
                uint64_t until = bus_timeout > now ? bus_timeout - now : 0;
                if (until < left)
                        left = until;
        }
        /* Round up so we never spin on a sub-millisecond remainder. */
        timeout_ms = (int) ((left + 999) / 1000);
        r = poll(fds, v->args->interrupt_fd >= 0 ? 2 : 1, timeout_ms);
        if (r < 0 && errno != EINTR)
                return -errno;
        return 0;
}

PamBiogateResult pam_biogate_verify(sd_bus *bus, const PamBiogateVerify *args) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *call = NULL, *signals = NULL, *owner = NULL;
        Verification v = { .bus = bus, .args = args };
        char match[256];
        int r;

        /* Both matches are in place before the call, so nothing the daemon
         * says about the operation, or its exit, can slip past: the bus
         * handles one connection's messages in order, so AddMatch sent
         * before Verify is in force before the daemon sees Verify. Not
         * waiting for their replies saves two round trips per login. */
        r = sd_bus_match_signal_async(bus, &owner, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                      "org.freedesktop.DBus", "NameOwnerChanged", on_name_owner_changed,
                                      on_match_installed, &v);
        if (r >= 0) {
                snprintf(match, sizeof match, "type='signal',sender='%s',interface='%s'", BIOGATE_BUS_NAME,
                         BIOGATE_OPERATION_INTERFACE);
                r = sd_bus_add_match_async(bus, &signals, match, on_operation_signal, on_match_installed, &v);
        }
        if (r >= 0)
                r = start_verify(&v, &call);
        if (r < 0)
                finish(&v, r == -ETIMEDOUT ? result_of(PAM_BIOGATE_TIMED_OUT) : result_from_bus_error(NULL, r));

        while (!v.done) {
                /* Checked on every pass: a stream of messages (anyone may
                 * send us signals) must not keep the host past its deadline. */
                if (interrupted(args->interrupt_fd)) {
                        finish(&v, result_of(PAM_BIOGATE_INTERRUPTED));
                        break;
                }
                if (remaining_usec(args->deadline) == 0) {
                        finish(&v, result_of(PAM_BIOGATE_TIMED_OUT));
                        break;
                }
                r = sd_bus_process(bus, NULL);
                if (r < 0) {
                        finish(&v, result_of(PAM_BIOGATE_DAEMON_UNAVAILABLE));
                        break;
                }
                if (r > 0)
                        continue;
                r = wait_for_event(&v);
                if (r < 0)
                        finish(&v, result_of(PAM_BIOGATE_DAEMON_UNAVAILABLE));
        }

        /* Give the sensor back now rather than when the connection closes:
         * the next try of this call uses the same connection. No reply is
         * awaited, so a hung daemon cannot hold us. */
        if (v.path && v.daemon && v.result.outcome != PAM_BIOGATE_DAEMON_VANISHED) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
                if (sd_bus_message_new_method_call(bus, &m, v.daemon, v.path, BIOGATE_OPERATION_INTERFACE,
                                                   "Release") >= 0 &&
                    sd_bus_message_set_expect_reply(m, 0) >= 0)
                        (void) sd_bus_send(bus, m, NULL);
                (void) sd_bus_flush(bus);
        }
        for (size_t i = 0; i < v.n_early; i++)
                sd_bus_message_unref(v.early[i]);
        sd_bus_slot_unref(v.properties_call);
        free(v.path);
        free(v.daemon);
        return v.result;
}
