/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-writer.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "biogated-storeio.h"

typedef enum JobKind {
        JOB_WRITE,
        JOB_REMOVE,
        JOB_RUN,
        JOB_THEN,
} JobKind;

typedef struct Job {
        JobKind kind;
        int dir_fd;                     /* a copy; file jobs only */
        dev_t dev;                      /* which directory dir_fd is */
        ino_t ino;
        char *name;
        GBytes *data;
        mode_t mode;
        BiogatedWriterFunc func;
        gpointer func_data;
        GDestroyNotify destroy;
        BiogatedWriterDone done;
        gpointer done_data;
        GError *error;
        struct Job *superseded_by;      /* written by a newer job of the batch */
} Job;

struct BiogatedWriter {
        GMainContext *context;
        GThread *thread;
        GMutex lock;
        GCond wake;
        GQueue queue;                   /* handed over, not taken yet: under lock */
        gboolean stopping;              /* under lock */
        BiogatedWriterStats stats;      /* under lock */
        /* The context's thread only: */
        guint pending;                  /* submitted, done not run yet */
        GPtrArray *staged;              /* submitted in this main-loop iteration */
        GSource *hand_over;             /* hands them to the thread after it */
};

static void job_free(Job *job) {
        if (job->dir_fd >= 0)
                (void) close(job->dir_fd);
        g_free(job->name);
        g_clear_pointer(&job->data, g_bytes_unref);
        if (job->destroy)
                job->destroy(job->func_data);
        g_clear_error(&job->error);
        g_free(job);
}

static gboolean same_file(const Job *a, const Job *b) {
        return a->dev == b->dev && a->ino == b->ino && g_str_equal(a->name, b->name);
}

static gboolean is_file_job(const Job *job) {
        return job->kind == JOB_WRITE || job->kind == JOB_REMOVE;
}

/* A file job followed in the batch by another on the same file, with no
 * function job between them (it might read the file), is left out. */
static void mark_superseded(GPtrArray *batch) {
        for (guint i = 0; i < batch->len; i++) {
                Job *job = batch->pdata[i];

                if (!is_file_job(job))
                        continue;
                for (guint j = i + 1; j < batch->len; j++) {
                        Job *later = batch->pdata[j];

                        if (later->kind == JOB_RUN)
                                break;
                        if (is_file_job(later) && same_file(job, later)) {
                                job->superseded_by = later;
                                break;
                        }
                }
        }
}

/* The group of file jobs whose renames wait for one fsync of their
 * directory. */
typedef struct DirGroup {
        BiogatedWriter *writer;
        Job *first;                     /* NULL: no group */
        GPtrArray *members;
} DirGroup;

static void group_sync(DirGroup *g) {
        g_autoptr(GError) error = NULL;
        int r;

        if (!g->first)
                return;
        r = biogated_storeio_sync_dir(g->first->dir_fd);
        g_mutex_lock(&g->writer->lock);
        g->writer->stats.dir_syncs++;
        g_mutex_unlock(&g->writer->lock);
        if (r < 0)
                biogated_storeio_set_file_error(&error, r, "sync the directory of", g->first->name);
        for (guint i = 0; i < g->members->len; i++) {
                Job *job = g->members->pdata[i];

                if (error && !job->error)
                        job->error = g_error_copy(error);
        }
        g_ptr_array_set_size(g->members, 0);
        g->first = NULL;
}

static void run_file_job(BiogatedWriter *writer, Job *job, DirGroup *g) {
        int r;

        if (g->first && (g->first->dev != job->dev || g->first->ino != job->ino))
                group_sync(g);
        if (job->kind == JOB_WRITE) {
                r = biogated_storeio_replace(job->dir_fd, job->name, g_bytes_get_data(job->data, NULL),
                                             g_bytes_get_size(job->data), job->mode);
                if (r < 0) {
                        biogated_storeio_set_file_error(&job->error, r, "write", job->name);
                        return;
                }
        } else {
                if (unlinkat(job->dir_fd, job->name, 0) < 0) {
                        if (errno != ENOENT)
                                biogated_storeio_set_file_error(&job->error, -errno, "remove", job->name);
                        return;
                }
        }
        g_mutex_lock(&writer->lock);
        if (job->kind == JOB_WRITE)
                writer->stats.files_written++;
        else
                writer->stats.files_removed++;
        g_mutex_unlock(&writer->lock);
        if (!g->first)
                g->first = job;
        g_ptr_array_add(g->members, job);
}

static void run_batch(BiogatedWriter *writer, GPtrArray *batch) {
        g_autoptr(GPtrArray) members = g_ptr_array_new();
        DirGroup g = { .writer = writer, .members = members };

        mark_superseded(batch);
        for (guint i = 0; i < batch->len; i++) {
                Job *job = batch->pdata[i];

                if (is_file_job(job) && !job->superseded_by) {
                        run_file_job(writer, job, &g);
                } else if (job->kind == JOB_RUN) {
                        /* It may depend on what came before being durable. */
                        group_sync(&g);
                        if (!job->func(job->func_data, &job->error) && !job->error)
                                g_set_error_literal(&job->error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                                                    "A write failed");
                }
        }
        group_sync(&g);
        /* Newest first: a chain of superseded jobs takes its newest's
         * outcome. */
        for (guint i = batch->len; i-- > 0;) {
                Job *job = batch->pdata[i];

                if (job->superseded_by && job->superseded_by->error)
                        job->error = g_error_copy(job->superseded_by->error);
        }
}

typedef struct BatchDone {
        BiogatedWriter *writer;
        GPtrArray *batch;
} BatchDone;

static void batch_done_free(gpointer data) {
        BatchDone *d = data;

        g_ptr_array_unref(d->batch);
        g_free(d);
}

static gboolean on_batch_dispatch(gpointer user_data) {
        BatchDone *d = user_data;

        for (guint i = 0; i < d->batch->len; i++) {
                Job *job = d->batch->pdata[i];

                d->writer->pending--;
                if (job->done)
                        job->done(job->error, job->done_data);
        }
        return G_SOURCE_REMOVE;
}

static gpointer writer_thread(gpointer user_data) {
        BiogatedWriter *writer = user_data;

        for (;;) {
                GPtrArray *batch;
                BatchDone *d;
                GSource *source;

                g_mutex_lock(&writer->lock);
                while (!writer->stopping && g_queue_is_empty(&writer->queue))
                        g_cond_wait(&writer->wake, &writer->lock);
                if (g_queue_is_empty(&writer->queue)) {
                        g_mutex_unlock(&writer->lock);
                        break;
                }
                batch = g_ptr_array_new_full(writer->queue.length, (GDestroyNotify) job_free);
                while (!g_queue_is_empty(&writer->queue))
                        g_ptr_array_add(batch, g_queue_pop_head(&writer->queue));
                writer->stats.batches++;
                g_mutex_unlock(&writer->lock);

                run_batch(writer, batch);

                d = g_new0(BatchDone, 1);
                *d = (BatchDone) { .writer = writer, .batch = batch };
                source = g_idle_source_new();
                /* Before the calls waiting in the same round: their
                 * replies may wait for this batch. */
                g_source_set_priority(source, G_PRIORITY_DEFAULT);
                g_source_set_callback(source, on_batch_dispatch, d, batch_done_free);
                g_source_attach(source, writer->context);
                g_source_unref(source);
        }
        return NULL;
}

BiogatedWriter *biogated_writer_new(GMainContext *context) {
        BiogatedWriter *writer = g_new0(BiogatedWriter, 1);

        writer->context = g_main_context_ref(context ? context : g_main_context_default());
        g_mutex_init(&writer->lock);
        g_cond_init(&writer->wake);
        g_queue_init(&writer->queue);
        writer->staged = g_ptr_array_new();
        writer->thread = g_thread_new("biogated-writer", writer_thread, writer);
        return writer;
}

void biogated_writer_free(BiogatedWriter *writer) {
        if (!writer)
                return;
        biogated_writer_drain(writer);
        g_mutex_lock(&writer->lock);
        writer->stopping = TRUE;
        g_cond_signal(&writer->wake);
        g_mutex_unlock(&writer->lock);
        g_thread_join(writer->thread);
        g_mutex_clear(&writer->lock);
        g_cond_clear(&writer->wake);
        g_ptr_array_unref(writer->staged);
        g_main_context_unref(writer->context);
        g_free(writer);
}

static gboolean on_hand_over(gpointer user_data) {
        BiogatedWriter *writer = user_data;

        g_clear_pointer(&writer->hand_over, g_source_unref);
        g_mutex_lock(&writer->lock);
        for (guint i = 0; i < writer->staged->len; i++)
                g_queue_push_tail(&writer->queue, writer->staged->pdata[i]);
        g_cond_signal(&writer->wake);
        g_mutex_unlock(&writer->lock);
        g_ptr_array_set_size(writer->staged, 0);
        return G_SOURCE_REMOVE;
}

/* Jobs go to the thread together once the main-loop iteration that
 * submitted them is through: what one callback writes (an event, the
 * failure count, the next event) lands in one batch, whenever the thread
 * happens to wake, so that a crash test finds the same steps every time. */
static void submit(BiogatedWriter *writer, Job *job) {
        writer->pending++;
        g_ptr_array_add(writer->staged, job);
        if (writer->hand_over)
                return;
        writer->hand_over = g_idle_source_new();
        g_source_set_priority(writer->hand_over, G_PRIORITY_DEFAULT);
        g_source_set_callback(writer->hand_over, on_hand_over, writer, NULL);
        g_source_attach(writer->hand_over, writer->context);
}

static Job *job_new(JobKind kind, BiogatedWriterDone done, gpointer user_data) {
        Job *job = g_new0(Job, 1);

        job->kind = kind;
        job->dir_fd = -1;
        job->done = done;
        job->done_data = user_data;
        return job;
}

/* A file job on a copy of dir_fd; a directory that cannot be copied
 * fails the job, in order, like a failed write. */
static void submit_file_job(BiogatedWriter *writer, Job *job, int dir_fd, const char *name) {
        struct stat st;

        job->name = g_strdup(name);
        job->dir_fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
        if (job->dir_fd < 0 || fstat(job->dir_fd, &st) < 0) {
                /* Turned into a function job that only reports the error. */
                biogated_storeio_set_file_error(&job->error, -errno, "open the directory of", name);
                job->kind = JOB_THEN;
        } else {
                job->dev = st.st_dev;
                job->ino = st.st_ino;
        }
        submit(writer, job);
}

void biogated_writer_write(BiogatedWriter *writer, int dir_fd, const char *name, GBytes *data, mode_t mode,
                           BiogatedWriterDone done, gpointer user_data) {
        Job *job = job_new(JOB_WRITE, done, user_data);

        job->data = g_bytes_ref(data);
        job->mode = mode;
        submit_file_job(writer, job, dir_fd, name);
}

void biogated_writer_remove(BiogatedWriter *writer, int dir_fd, const char *name, BiogatedWriterDone done,
                            gpointer user_data) {
        submit_file_job(writer, job_new(JOB_REMOVE, done, user_data), dir_fd, name);
}

void biogated_writer_run(BiogatedWriter *writer, BiogatedWriterFunc func, gpointer data, GDestroyNotify destroy,
                         BiogatedWriterDone done, gpointer user_data) {
        Job *job = job_new(JOB_RUN, done, user_data);

        job->func = func;
        job->func_data = data;
        job->destroy = destroy;
        submit(writer, job);
}

void biogated_writer_then(BiogatedWriter *writer, BiogatedWriterDone done, gpointer user_data) {
        submit(writer, job_new(JOB_THEN, done, user_data));
}

guint biogated_writer_pending(BiogatedWriter *writer) {
        return writer->pending;
}

void biogated_writer_drain(BiogatedWriter *writer) {
        while (writer->pending > 0)
                (void) g_main_context_iteration(writer->context, TRUE);
}

void biogated_writer_get_stats(BiogatedWriter *writer, BiogatedWriterStats *ret_stats) {
        g_mutex_lock(&writer->lock);
        *ret_stats = writer->stats;
        g_mutex_unlock(&writer->lock);
}
