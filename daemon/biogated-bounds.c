/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-bounds.h"

#include <malloc.h>

#include "biogate-bus.h"
#include "biogated-error.h"
#include "biogated-loglimit.h"

/* Refusals are logged, but a flood of them must not become a flood of the
 * journal: one line per interval, counting the others. */
#define REFUSAL_LOG_INTERVAL_USEC (10 * G_USEC_PER_SEC)

static gboolean is_fixed_number(const GVariantType *type) {
        /* What an array can hold many of in few bytes without a GVariant
         * per element worth counting: the body bound covers them. */
        return g_variant_type_is_basic(type) && !g_variant_type_equal(type, G_VARIANT_TYPE_STRING) &&
               !g_variant_type_equal(type, G_VARIANT_TYPE_OBJECT_PATH) &&
               !g_variant_type_equal(type, G_VARIANT_TYPE_SIGNATURE);
}

static gboolean check_value(GVariant *value, guint depth, GError **error) {
        const GVariantType *type = g_variant_get_type(value);
        gsize n;

        if (depth > BIOGATED_DEPTH_MAX) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_ARGUMENT_TOO_LARGE,
                            "Arguments are nested more than %u deep", BIOGATED_DEPTH_MAX);
                return FALSE;
        }
        if (g_variant_type_is_basic(type)) {
                if (g_variant_type_equal(type, G_VARIANT_TYPE_STRING) ||
                    g_variant_type_equal(type, G_VARIANT_TYPE_OBJECT_PATH) ||
                    g_variant_type_equal(type, G_VARIANT_TYPE_SIGNATURE)) {
                        (void) g_variant_get_string(value, &n);
                        if (n > BIOGATED_STRING_MAX) {
                                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_ARGUMENT_TOO_LARGE,
                                            "A string argument is longer than %u bytes", BIOGATED_STRING_MAX);
                                return FALSE;
                        }
                }
                return TRUE;
        }
        n = g_variant_n_children(value);
        if (g_variant_type_is_array(type)) {
                if (is_fixed_number(g_variant_type_element(type)))
                        return TRUE;
                if (n > BIOGATED_ITEMS_MAX) {
                        g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_ARGUMENT_TOO_LARGE,
                                    "An array or dictionary argument has more than %u entries", BIOGATED_ITEMS_MAX);
                        return FALSE;
                }
        }
        for (gsize i = 0; i < n; i++) {
                g_autoptr(GVariant) child = g_variant_get_child_value(value, i);

                if (!check_value(child, depth + 1, error))
                        return FALSE;
        }
        return TRUE;
}

gboolean biogated_bounds_check(GVariant *body, GError **error) {
        if (!body)
                return TRUE;
        /* First, as it costs no allocation: the walk below then only ever
         * sees a small value. */
        if (g_variant_get_size(body) > BIOGATED_BODY_MAX) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_ARGUMENT_TOO_LARGE,
                            "The call's arguments are larger than %u bytes", BIOGATED_BODY_MAX);
                return FALSE;
        }
        return check_value(body, 0, error);
}

static const char *or_unknown(const char *s) {
        return s ? s : "?";
}

/* The filter's state, one per connection it is installed on. The filter
 * (GDBus's reading thread) and the trim timer (main loop) each hold a
 * reference: GDBus may still be running the filter after it was removed. */
typedef struct BoundsFilter {
        /* Refusals logged: the last report and how many went unlogged since. */
        GMutex log_lock;
        BiogatedLogLimit log_limit;
        /* Set when a refused message's memory is to be given back, and
         * while the timer that gives it back for certain is scheduled. */
        gint trim_pending;
        gint trim_timer_scheduled;
        guint trims_left;       /* main loop only: the timer's rounds still to run */
} BoundsFilter;

static BoundsFilter *bounds_filter_ref(BoundsFilter *b) {
        return g_atomic_rc_box_acquire(b);
}

static void bounds_filter_clear(BoundsFilter *b) {
        g_mutex_clear(&b->log_lock);
}

static void bounds_filter_unref(gpointer b) {
        g_atomic_rc_box_release_full(b, (GDestroyNotify) bounds_filter_clear);
}

static void log_refusal(BoundsFilter *b, GDBusMessage *message, const GError *error) {
        g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&b->log_lock);
        guint left_out;

        if (!biogated_log_limit_pass(&b->log_limit, &left_out))
                return;
        /* The sender's unique name only: its uid would take a bus round
         * trip from this thread, and the bound applies to root as well. */
        g_message("Refused %s.%s from %s: %s (%u more refused since the last report)",
                  or_unknown(g_dbus_message_get_interface(message)), or_unknown(g_dbus_message_get_member(message)),
                  or_unknown(g_dbus_message_get_sender(message)), error->message, left_out);
}

/* GDBus frees a message only after the filters return: the memory goes
 * back at the next message (in its reading thread, before that message is
 * looked at), and again each second for TRIM_ROUNDS seconds after the
 * refusal from the main loop, since GDBus may still have been freeing parts
 * of it when the next message came (seen under load: 140 MiB left after
 * the first trim). */
static void trim_if_pending(BoundsFilter *b) {
        if (g_atomic_int_compare_and_exchange(&b->trim_pending, TRUE, FALSE))
                (void) malloc_trim(0);
}

/* Rounds of malloc_trim() a second apart after a refusal. */
#define TRIM_ROUNDS 3

static gboolean on_trim_timeout(gpointer user_data) {
        BoundsFilter *b = user_data;

        g_atomic_int_set(&b->trim_pending, FALSE);
        (void) malloc_trim(0);
        /* GDBus frees a 200 MiB message in many small blocks on its own
         * thread; on a loaded machine that may outlast the first round
         * (seen: 90 to 200 MiB left after it). Later rounds find them free. */
        if (b->trims_left > 0 && --b->trims_left > 0)
                return G_SOURCE_CONTINUE;
        g_atomic_int_set(&b->trim_timer_scheduled, FALSE);
        return G_SOURCE_REMOVE;
}

static gboolean on_trim_timer_start(gpointer user_data) {
        BoundsFilter *b = user_data;

        b->trims_left = TRIM_ROUNDS;
        g_timeout_add_seconds_full(G_PRIORITY_DEFAULT, 1, on_trim_timeout, bounds_filter_ref(b), bounds_filter_unref);
        return G_SOURCE_REMOVE;
}

/* Runs in GDBus's worker thread, for every message in and out. */
static GDBusMessage *filter(GDBusConnection *connection, GDBusMessage *message, gboolean incoming,
                            gpointer user_data) {
        BoundsFilter *b = user_data;
        g_autoptr(GDBusMessage) reply = NULL;
        g_autoptr(GError) error = NULL;
        GDBusMessageType type;

        if (!incoming)
                return message;
        trim_if_pending(b);
        type = g_dbus_message_get_message_type(message);
        /* Replies answer calls we made; the bus driver is trusted. */
        if ((type != G_DBUS_MESSAGE_TYPE_METHOD_CALL && type != G_DBUS_MESSAGE_TYPE_SIGNAL) ||
            g_strcmp0(g_dbus_message_get_sender(message), "org.freedesktop.DBus") == 0)
                return message;
        if (biogated_bounds_check(g_dbus_message_get_body(message), &error))
                return message;

        log_refusal(b, message, error);
        if (type == G_DBUS_MESSAGE_TYPE_METHOD_CALL &&
            !(g_dbus_message_get_flags(message) & G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED)) {
                g_autoptr(GError) send_error = NULL;

                reply = g_dbus_message_new_method_error_literal(message, biogate_error_info((BiogateError) error->code)->dbus_name,
                                                                error->message);
                if (!g_dbus_connection_send_message(connection, reply, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL,
                                                    &send_error))
                        g_debug("Cannot refuse an oversized call: %s", send_error->message);
        }
        /* Dropped here: it never reaches a handler or the dispatch queue. */
        g_object_unref(message);
        /* GDBus unmarshalled all of it into small blocks (a 400,000-key
         * dictionary takes some 200 MiB): give them back to the system
         * rather than leave the peak in the daemon's RSS. */
        g_atomic_int_set(&b->trim_pending, TRUE);
        if (g_atomic_int_compare_and_exchange(&b->trim_timer_scheduled, FALSE, TRUE))
                g_idle_add_full(G_PRIORITY_DEFAULT, on_trim_timer_start, bounds_filter_ref(b), bounds_filter_unref);
        return NULL;
}

void biogated_bounds_install(GDBusConnection *connection) {
        BoundsFilter *b = g_atomic_rc_box_new0(BoundsFilter);

        g_mutex_init(&b->log_lock);
        b->log_limit.interval_usec = REFUSAL_LOG_INTERVAL_USEC;
        /* Fixed thresholds (the defaults, but no longer adjusted upwards
         * by every large block freed): big buffers are mapped on their own
         * and unmapped when freed, and a thread's heap gives back its free
         * top instead of keeping up to 64 MiB of it. */
        (void) mallopt(M_MMAP_THRESHOLD, 128 * 1024);
        (void) mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
        (void) g_dbus_connection_add_filter(connection, filter, b, bounds_filter_unref);
}
