/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

/* The daemon's one writer: a thread that makes every durable write (the
 * store, the user records, the failure counters, the audit chain state,
 * keys) in the order they were submitted, so that the main loop never
 * waits for the disk.
 *
 * A job is an atomic file write (temp file, fsync, rename), a removal, or
 * a function that runs on the writer thread (the store's work, which reads
 * and writes several files under its own rules). Each reports back with
 * done(error, user_data) on the writer's main context, once what it wrote
 * is durable, directory included; jobs complete in submission order. A
 * reply that must wait for a write is sent from done, or from the done of
 * biogated_writer_then().
 *
 * Jobs submitted in one main-loop iteration go to the thread together
 * after it, and the thread takes every job handed over when it wakes up as
 * one batch.
 * Consecutive file jobs in one directory share one fsync of it, and a file
 * written (or removed) more than once in a batch, with no function job in
 * between, is written once, with the newest content: each write replaces
 * the whole file, and none of those jobs reports done before the newest
 * one is durable. A crash in the middle of a batch may leave a later file
 * of the batch written without an older one's superseded content, never a
 * file half written, and no reply was sent for any of them.
 *
 * Errors: G_FILE_ERROR for file jobs, what the function set for function
 * jobs. The previous content of a file stays when its write fails.
 *
 * Writes at start-up, before the main loop runs, may call
 * biogated_write_file_atomic() (biogated-storeio.h) instead: the same
 * biogated_storeio_replace() and biogated_storeio_sync_dir() the writer
 * calls, on the calling thread. */

typedef struct BiogatedWriter BiogatedWriter;

/* error is NULL on success and owned by the writer. */
typedef void (*BiogatedWriterDone)(const GError *error, gpointer user_data);
/* Runs on the writer thread. */
typedef gboolean (*BiogatedWriterFunc)(gpointer data, GError **error);

/* Starts the thread; done callbacks run in context (NULL: the global
 * default context). */
BiogatedWriter *biogated_writer_new(GMainContext *context);
/* Waits for every job (biogated_writer_drain()), then stops the thread. */
void biogated_writer_free(BiogatedWriter *writer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BiogatedWriter, biogated_writer_free)

/* Replaces name in dir_fd (the writer keeps a copy of the fd) with data,
 * created with mode. */
void biogated_writer_write(BiogatedWriter *writer, int dir_fd, const char *name, GBytes *data, mode_t mode,
                           BiogatedWriterDone done, gpointer user_data);
/* Removes name from dir_fd; a name that is not there is no error. */
void biogated_writer_remove(BiogatedWriter *writer, int dir_fd, const char *name, BiogatedWriterDone done,
                            gpointer user_data);
/* Runs func(data) on the writer thread after every job before it, then
 * destroy(data) and done (error: what func set). */
void biogated_writer_run(BiogatedWriter *writer, BiogatedWriterFunc func, gpointer data, GDestroyNotify destroy,
                         BiogatedWriterDone done, gpointer user_data);
/* done(NULL, user_data) once every job submitted before is durable and
 * has reported back: for replies that must wait for them. */
void biogated_writer_then(BiogatedWriter *writer, BiogatedWriterDone done, gpointer user_data);

/* Jobs submitted whose done has not run yet. Writer's context only. */
guint biogated_writer_pending(BiogatedWriter *writer);

/* Runs the writer's context until no job is pending: at shutdown, after
 * the main loop stopped, and in tests. The caller must be able to acquire
 * the context. */
void biogated_writer_drain(BiogatedWriter *writer);

/* For tests: what the thread did. */
typedef struct BiogatedWriterStats {
        guint batches;
        guint files_written;
        guint files_removed;
        guint dir_syncs;
} BiogatedWriterStats;
void biogated_writer_get_stats(BiogatedWriter *writer, BiogatedWriterStats *ret_stats);
