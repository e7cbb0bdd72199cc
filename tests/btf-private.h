/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between the parts of the integration fixture (btf-*.c); tests use
 * biogate-test-fixture.h only. Deadlines, child processes and the bus are
 * in btf-proc.c and btf-bus.c; btf-daemon.c needs their insides. */

#include "biogate-test-fixture.h"

#define BTF_LOG_TAIL_LINES 60

/* A child process we reap through a child watch on @ctx. */
typedef struct BtfChild {
        GMainContext *ctx;
        GPid pid;
        GSource *watch;
        gboolean exited;
        int wait_status;
} BtfChild;

/* Tracks the owner of one name: subscribe to NameOwnerChanged first, then an
 * asynchronous GetNameOwner. Signals and the reply are dispatched on the
 * context in the order their messages arrived, so once the reply is in,
 * `owner` is exact. Reference-counted: the pending reply and the
 * subscription hold references. */
typedef struct BtfNameWatch {
        GDBusConnection *connection;
        char *name;
        char *owner;            /* NULL: no owner */
        guint subscription;
        gboolean queried;       /* GetNameOwner answered */
        GError *query_error;    /* GetNameOwner failed for another reason */
        GCancellable *cancellable;
} BtfNameWatch;

struct BtfBus {
        char *tmpdir;
        char *config_path;
        char *socket_path;
        char *log_path;
        char *address;
        BtfChild child;
        GDBusConnection *connection;
        char *saved_address;    /* DBUS_SYSTEM_BUS_ADDRESS before us */
        gboolean env_set;
        guint n_daemons;
};

/* ---- btf-proc.c --------------------------------------------------------- */

/* Monotonic deadline in microseconds; a negative @timeout_ms is the default. */
gint64 btf_deadline_in(int timeout_ms);
/* Milliseconds left, rounded up, never negative. */
int btf_deadline_remaining_ms(gint64 deadline);
/* The context waits iterate and sources are attached to. */
GMainContext *btf_current_context(void);
/* Iterates @ctx until @cond holds or @deadline passes. Returns @cond. */
gboolean btf_iterate_until(GMainContext *ctx, gint64 deadline, BtfCondFunc cond, gpointer user_data);
/* Prints the last @n_lines of @path with g_test_message(). */
void btf_test_message_file_tail(const char *path, const char *prefix, guint n_lines);
int btf_fd_move_high(int fd);
char **btf_environ_apply(char **envp, const char *const *extra);
gboolean btf_spawn_child(const char *const *argv, const char *const *envp,
                         int stdout_fd, int stderr_fd, int map_fd, int map_target,
                         GPid *ret_pid, int *ret_stdout_pipe, int *ret_stderr_pipe,
                         GError **error);
void btf_child_watch(BtfChild *child, GMainContext *ctx, GPid pid);
gboolean btf_child_wait(BtfChild *child, gint64 deadline);
void btf_child_kill(BtfChild *child, int sig);
void btf_child_clear(BtfChild *child);

/* ---- btf-bus.c ---------------------------------------------------------- */

BtfNameWatch *btf_name_watch_new(GDBusConnection *connection, const char *name);
void btf_name_watch_free(BtfNameWatch *w);
