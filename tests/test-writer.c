/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's writer (daemon/biogated-writer.c) with its real thread on
 * real files in a temp dir: jobs report in submission order, and only once
 * what they wrote is on disk; a batch writes a file rewritten in it once
 * and syncs a directory once; a failed write reports its error on the main
 * context and leaves the previous file as it was. */
#include "biogated-writer.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
        char *dir;
        int dir_fd;
        BiogatedWriter *writer;
        GArray *order;          /* job numbers, in the order their done ran */
        GThread *main_thread;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;

        f->dir = g_dir_make_tmp("biogate-writer-XXXXXX", &error);
        g_assert_no_error(error);
        f->dir_fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        g_assert_cmpint(f->dir_fd, >=, 0);
        f->writer = biogated_writer_new(NULL);
        f->order = g_array_new(FALSE, FALSE, sizeof(guint));
        f->main_thread = g_thread_self();
}

static void fixture_teardown(Fixture *f, gconstpointer data) {
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);

        biogated_writer_free(f->writer);
        (void) close(f->dir_fd);
        g_array_unref(f->order);
        g_assert_cmpint(system(cmd), ==, 0);
        g_free(f->dir);
}

static char *read_file(Fixture *f, const char *name) {
        g_autofree char *path = g_build_filename(f->dir, name, NULL);
        char *text = NULL;

        if (!g_file_get_contents(path, &text, NULL, NULL))
                return NULL;
        return text;
}

static void write_text(Fixture *f, int dir_fd, const char *name, const char *text, BiogatedWriterDone done,
                       gpointer user_data) {
        g_autoptr(GBytes) data = g_bytes_new(text, strlen(text));

        biogated_writer_write(f->writer, dir_fd, name, data, 0600, done, user_data);
}

/* A job's done: what it expects on disk when it runs, and its number. */
typedef struct {
        Fixture *f;
        guint number;
        const char *name;
        const char *expected;   /* NULL: expects an error */
        GError *error;
} Expect;

static void on_done(const GError *error, gpointer user_data) {
        Expect *e = user_data;

        /* Reported on the main context, never on the writer's thread. */
        g_assert_true(g_thread_self() == e->f->main_thread);
        g_array_append_val(e->f->order, e->number);
        if (error)
                e->error = g_error_copy(error);
        if (e->expected) {
                g_autofree char *on_disk = read_file(e->f, e->name);

                g_assert_no_error(error);
                g_assert_cmpstr(on_disk, ==, e->expected);
        }
}

static gboolean append_marker(gpointer data, GError **error) {
        Fixture *f = data;

        /* On the writer thread, after the jobs before it. */
        g_assert_false(g_thread_self() == f->main_thread);
        return TRUE;
}

static gboolean fail_func(gpointer data, GError **error) {
        g_set_error_literal(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "no room");
        return FALSE;
}

static void assert_order(Fixture *f, guint n) {
        g_assert_cmpuint(f->order->len, ==, n);
        for (guint i = 0; i < n; i++)
                g_assert_cmpuint(g_array_index(f->order, guint, i), ==, i);
}

/* Jobs of every kind, over several main-loop iterations: each reports in
 * the order it was submitted, and when a write reports, its content is on
 * disk (each writes a file of its own: a later batch may have rewritten a
 * shared one by the time an earlier done runs); a reply sent from
 * biogated_writer_then() finds every write before it there. */
static void test_order(Fixture *f, gconstpointer data) {
        Expect e[] = {
                { f, 0, "a", "one" },
                { f, 1, "b", "two" },
                { f, 2, NULL, NULL },
                { f, 3, "d", "three" },
                { f, 4, "b", "two" },      /* then: b as job 1 left it */
                { f, 5, NULL, NULL },      /* a function that fails */
                { f, 6, "c", "four" },
        };

        write_text(f, f->dir_fd, "a", "one", on_done, &e[0]);
        write_text(f, f->dir_fd, "b", "two", on_done, &e[1]);
        biogated_writer_run(f->writer, append_marker, f, NULL, on_done, &e[2]);
        /* The next ones in later iterations, while the first may be running. */
        g_main_context_iteration(NULL, FALSE);
        write_text(f, f->dir_fd, "d", "three", on_done, &e[3]);
        biogated_writer_then(f->writer, on_done, &e[4]);
        g_main_context_iteration(NULL, FALSE);
        biogated_writer_run(f->writer, fail_func, NULL, NULL, on_done, &e[5]);
        write_text(f, f->dir_fd, "c", "four", on_done, &e[6]);
        g_assert_cmpuint(biogated_writer_pending(f->writer), >, 0);
        biogated_writer_drain(f->writer);

        g_assert_cmpuint(biogated_writer_pending(f->writer), ==, 0);
        assert_order(f, G_N_ELEMENTS(e));
        g_assert_error(e[5].error, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
        g_clear_error(&e[5].error);
        for (guint i = 0; i < G_N_ELEMENTS(e); i++)
                g_assert_no_error(e[i].error);
}

/* Submitted in one iteration: one batch. A file written three times is
 * written once, with the newest content, and every one of the three
 * reports it; one directory, one fsync; a removal in another directory
 * is a second one. */
static void test_batch(Fixture *f, gconstpointer data) {
        g_autofree char *sub = g_build_filename(f->dir, "sub", NULL);
        g_autofree char *old = g_build_filename(sub, "old", NULL);
        BiogatedWriterStats stats;
        int sub_fd;
        Expect e[] = {
                { f, 0, "x", "v3" },
                { f, 1, "y", "y1" },
                { f, 2, "x", "v3" },
                { f, 3, "x", "v3" },
                { f, 4, NULL, NULL },
        };

        g_assert_cmpint(mkdir(sub, 0700), ==, 0);
        sub_fd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        g_assert_cmpint(sub_fd, >=, 0);
        g_assert_true(g_file_set_contents(old, "old", -1, NULL));

        write_text(f, f->dir_fd, "x", "v1", on_done, &e[0]);
        write_text(f, f->dir_fd, "y", "y1", on_done, &e[1]);
        write_text(f, f->dir_fd, "x", "v2", on_done, &e[2]);
        write_text(f, f->dir_fd, "x", "v3", on_done, &e[3]);
        biogated_writer_remove(f->writer, sub_fd, "old", on_done, &e[4]);
        /* The writer keeps its own copy of the directory. */
        (void) close(sub_fd);
        biogated_writer_drain(f->writer);

        assert_order(f, G_N_ELEMENTS(e));
        for (guint i = 0; i < G_N_ELEMENTS(e); i++)
                g_assert_no_error(e[i].error);
        g_assert_false(g_file_test(old, G_FILE_TEST_EXISTS));
        biogated_writer_get_stats(f->writer, &stats);
        g_assert_cmpuint(stats.batches, ==, 1);
        g_assert_cmpuint(stats.files_written, ==, 2);
        g_assert_cmpuint(stats.files_removed, ==, 1);
        g_assert_cmpuint(stats.dir_syncs, ==, 2);

        /* Removing what is not there is no error, and a later batch is one
         * more batch. */
        biogated_writer_remove(f->writer, f->dir_fd, "never-there", on_done, &e[4]);
        biogated_writer_drain(f->writer);
        g_assert_no_error(e[4].error);
        biogated_writer_get_stats(f->writer, &stats);
        g_assert_cmpuint(stats.batches, ==, 2);
}

/* A directory removed under the writer: the write fails, its done gets
 * the error on the main context, and the next job goes on. */
static void test_error_removed_dir(Fixture *f, gconstpointer data) {
        g_autofree char *gone = g_build_filename(f->dir, "gone", NULL);
        int gone_fd;
        Expect e[] = {
                { f, 0, "z", NULL },
                { f, 1, "after", "still written" },
        };

        g_assert_cmpint(mkdir(gone, 0700), ==, 0);
        gone_fd = open(gone, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        g_assert_cmpint(gone_fd, >=, 0);
        g_assert_cmpint(rmdir(gone), ==, 0);

        write_text(f, gone_fd, "z", "lost", on_done, &e[0]);
        write_text(f, f->dir_fd, "after", "still written", on_done, &e[1]);
        (void) close(gone_fd);
        biogated_writer_drain(f->writer);

        assert_order(f, G_N_ELEMENTS(e));
        g_assert_error(e[0].error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
        g_clear_error(&e[0].error);
        g_assert_no_error(e[1].error);
}

/* A write that cannot complete (the file size limit, as a full disk would)
 * leaves the previous content, and no temp file. */
static void test_error_keeps_previous(Fixture *f, gconstpointer data) {
        struct rlimit old, small = { .rlim_cur = 8, .rlim_max = RLIM_INFINITY };
        g_autofree char *before = NULL, *after = NULL;
        g_autoptr(GDir) d = NULL;
        const char *entry;
        guint entries = 0;
        Expect e[] = {
                { f, 0, "kept", "short" },
                { f, 1, "kept", NULL },
        };

        write_text(f, f->dir_fd, "kept", "short", on_done, &e[0]);
        biogated_writer_drain(f->writer);
        before = read_file(f, "kept");

        g_assert_cmpint(getrlimit(RLIMIT_FSIZE, &old), ==, 0);
        small.rlim_max = old.rlim_max;
        (void) signal(SIGXFSZ, SIG_IGN);
        g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &small), ==, 0);
        write_text(f, f->dir_fd, "kept", "far too long for the limit", on_done, &e[1]);
        biogated_writer_drain(f->writer);
        g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &old), ==, 0);

        assert_order(f, G_N_ELEMENTS(e));
        g_assert_nonnull(e[1].error);
        g_assert_true(e[1].error->domain == G_FILE_ERROR);
        g_clear_error(&e[1].error);
        after = read_file(f, "kept");
        g_assert_cmpstr(after, ==, before);
        d = g_dir_open(f->dir, 0, NULL);
        while ((entry = g_dir_read_name(d)))
                entries++;
        g_assert_cmpuint(entries, ==, 1);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
        ADD("/writer/order", test_order);
        ADD("/writer/batch", test_batch);
        ADD("/writer/error-removed-dir", test_error_removed_dir);
        ADD("/writer/error-keeps-previous", test_error_keeps_previous);
#undef ADD
        return g_test_run();
}
