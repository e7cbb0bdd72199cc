/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-sensortime.h"

#include <math.h>

/* A flooder makes many short holds; past this many in one window the two
 * oldest merge into one that also spans the gap between them. That counts
 * more use than there was, never less, and keeps memory bounded. */
#define SEGMENTS_MAX 64u

typedef struct {
        gint64 start;
        gint64 end;
} Segment;

struct BiogatedSensorTime {
        gint64 budget;
        gint64 window;
        GHashTable *uses;       /* uid → GQueue of Segment*, oldest first */

        gboolean holding;
        uid_t holder;
        gint64 hold_start;

        double heat;            /* libfprint's ratio, as we model it */
        gint64 heat_time;
        gboolean active;
};

static void segments_free(gpointer data) {
        g_queue_free_full(data, g_free);
}

BiogatedSensorTime *biogated_sensortime_new(gint64 budget_us, gint64 window_us, gint64 now) {
        BiogatedSensorTime *st = g_new0(BiogatedSensorTime, 1);

        g_return_val_if_fail(budget_us > 0 && window_us >= budget_us, NULL);
        st->budget = budget_us;
        st->window = window_us;
        st->uses = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, segments_free);
        /* Where libfprint starts a device it has just found. */
        st->heat = BIOGATED_SENSORTIME_START_RATIO;
        st->heat_time = now;
        return st;
}

void biogated_sensortime_free(BiogatedSensorTime *st) {
        if (!st)
                return;
        g_hash_table_unref(st->uses);
        g_free(st);
}

gint64 biogated_sensortime_get_budget(BiogatedSensorTime *st) {
        return st->budget;
}

gint64 biogated_sensortime_get_window(BiogatedSensorTime *st) {
        return st->window;
}

/* libfprint's update rule, from heat_time to now. */
static double heat_at(BiogatedSensorTime *st, gint64 now) {
        double seconds = MAX(0, now - st->heat_time) / (double) G_USEC_PER_SEC;

        if (st->active)
                return 1.0 - (1.0 - st->heat) * exp(-seconds / BIOGATED_SENSORTIME_HOT_SECONDS);
        return st->heat * exp(-seconds / BIOGATED_SENSORTIME_COLD_SECONDS);
}

static void heat_update(BiogatedSensorTime *st, gboolean active, gint64 now) {
        st->heat = heat_at(st, now);
        st->heat_time = now;
        st->active = active;
}

/* The uid's holds, without those that left the window; NULL if none. */
static GQueue *uid_segments(BiogatedSensorTime *st, uid_t uid, gint64 now) {
        GQueue *q = g_hash_table_lookup(st->uses, GUINT_TO_POINTER(uid));
        Segment *s;

        if (!q)
                return NULL;
        while ((s = g_queue_peek_head(q)) && s->end <= now - st->window)
                g_free(g_queue_pop_head(q));
        if (g_queue_is_empty(q)) {
                g_hash_table_remove(st->uses, GUINT_TO_POINTER(uid));
                return NULL;
        }
        return q;
}

void biogated_sensortime_begin(BiogatedSensorTime *st, uid_t uid, gint64 now) {
        g_return_if_fail(!st->holding);
        st->holding = TRUE;
        st->holder = uid;
        st->hold_start = now;
        heat_update(st, TRUE, now);
}

void biogated_sensortime_end(BiogatedSensorTime *st, gint64 now) {
        GQueue *q;
        Segment *s;

        g_return_if_fail(st->holding);
        st->holding = FALSE;
        heat_update(st, FALSE, now);

        q = uid_segments(st, st->holder, now);
        if (!q) {
                q = g_queue_new();
                g_hash_table_insert(st->uses, GUINT_TO_POINTER(st->holder), q);
        }
        s = g_new(Segment, 1);
        *s = (Segment) { .start = st->hold_start, .end = MAX(now, st->hold_start) };
        g_queue_push_tail(q, s);
        if (g_queue_get_length(q) > SEGMENTS_MAX) {
                Segment *oldest = g_queue_pop_head(q);
                ((Segment *) g_queue_peek_head(q))->start = oldest->start;
                g_free(oldest);
        }
}

/* Calls f for each hold of uid clipped to the window, oldest first, the
 * current one last; stops when f returns TRUE. */
static void foreach_hold(BiogatedSensorTime *st, uid_t uid, gint64 now,
                         gboolean (*f)(gint64 start, gint64 end, gpointer data), gpointer data) {
        gint64 from = now - st->window;
        GQueue *q = uid_segments(st, uid, now);

        for (GList *l = q ? q->head : NULL; l; l = l->next) {
                Segment *s = l->data;
                if (f(MAX(s->start, from), MIN(s->end, now), data))
                        return;
        }
        if (st->holding && st->holder == uid)
                (void) f(MAX(st->hold_start, from), now, data);
}

static gboolean add_length(gint64 start, gint64 end, gpointer data) {
        *(gint64 *) data += MAX(0, end - start);
        return FALSE;
}

gint64 biogated_sensortime_used(BiogatedSensorTime *st, uid_t uid, gint64 now) {
        gint64 used = 0;

        foreach_hold(st, uid, now, add_length, &used);
        return used;
}

gint64 biogated_sensortime_left(BiogatedSensorTime *st, uid_t uid, gint64 now) {
        return MAX(0, st->budget - biogated_sensortime_used(st, uid, now));
}

typedef struct {
        gint64 to_free;         /* use that must leave the window */
        gint64 at;              /* the moment the window's start must pass */
} FreeWalk;

static gboolean walk_free(gint64 start, gint64 end, gpointer data) {
        FreeWalk *w = data;
        gint64 len = MAX(0, end - start);

        if (len >= w->to_free) {
                w->at = start + w->to_free;
                return TRUE;
        }
        w->to_free -= len;
        return FALSE;
}

gboolean biogated_sensortime_may_start(BiogatedSensorTime *st, uid_t uid, gint64 now, gint64 *ret_retry_after_us) {
        gint64 min_grant = MIN(BIOGATED_SENSORTIME_MIN_GRANT_US, st->budget);
        gint64 used = biogated_sensortime_used(st, uid, now);
        FreeWalk w;

        if (st->budget - used >= min_grant)
                return TRUE;
        /* The window's start slides over the oldest use first: the uid may
         * start again once that much of it is out. */
        w = (FreeWalk) { .to_free = used - (st->budget - min_grant), .at = now };
        foreach_hold(st, uid, now, walk_free, &w);
        *ret_retry_after_us = MAX(1, w.at - (now - st->window));
        return FALSE;
}

double biogated_sensortime_heat(BiogatedSensorTime *st, gint64 now) {
        return heat_at(st, now);
}

gboolean biogated_sensortime_is_cool(BiogatedSensorTime *st, gint64 now, gint64 *ret_retry_after_us) {
        double heat = heat_at(st, now);

        if (heat < BIOGATED_SENSORTIME_RESERVE_RATIO)
                return TRUE;
        /* Resting from now on: heat * exp(-t / cold) = reserve. */
        *ret_retry_after_us = (gint64) (BIOGATED_SENSORTIME_COLD_SECONDS * log(heat / BIOGATED_SENSORTIME_RESERVE_RATIO) *
                                        G_USEC_PER_SEC) + 1000;
        return FALSE;
}

gint64 biogated_sensortime_until_warm(BiogatedSensorTime *st, gint64 now) {
        double heat = heat_at(st, now);

        g_return_val_if_fail(st->holding, 0);
        if (heat >= BIOGATED_SENSORTIME_RESERVE_RATIO)
                return 0;
        /* Heating from now on: 1 - (1 - heat) * exp(-t / hot) = reserve. */
        return (gint64) (BIOGATED_SENSORTIME_HOT_SECONDS * log((1.0 - heat) / (1.0 - BIOGATED_SENSORTIME_RESERVE_RATIO)) *
                         G_USEC_PER_SEC);
}
