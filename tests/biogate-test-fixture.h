/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Integration-test fixtures: a private system bus (real dbus-daemon), the real
 * biogated, libfprint's virtual_device sensor socket, child processes (run as
 * another user or in the background) and a recorder for org.biogate1.Operation
 * signals.
 *
 * Rules every function here follows:
 * - No sleeping. Waits block on events (a pipe, inotify, a child watch, a
 *   D-Bus signal) and every wait has a deadline. On a missed deadline the
 *   function returns FALSE with G_IO_ERROR_TIMED_OUT; the test asserts with
 *   g_assert_no_error(), so a hang becomes a failure, never a stuck run.
 * - Waits that need D-Bus or child watches iterate the thread-default
 *   GMainContext that was current when the object was created (usually the
 *   global default context). Use the library from one thread.
 * - Children are started with PR_SET_PDEATHSIG=SIGKILL: if the test process
 *   dies (an assertion aborts it), its dbus-daemon and biogated die with it.
 *   A child started through setpriv loses that (the kernel clears it on a
 *   credential change), so btf_proc_free() kills such children itself.
 * - Stopping is by PID: exactly the process that was started is signalled.
 * - Wait statuses are raw waitpid() statuses: use WIFEXITED()/WEXITSTATUS()
 *   or btf_assert_exit_code() / btf_assert_signaled().
 *
 * One file per part, all with the btf_ prefix: btf-proc.c (deadlines, the
 * temporary directory, child processes), btf-bus.c (the private bus and
 * name tracking), btf-daemon.c (biogated), btf-vdev.c (the sensor socket),
 * btf-op.c (the Operation recorder), biogate-test-journald.c (journald);
 * btf-private.h declares what the parts share with each other only.
 */

#include <gio/gio.h>
#include <sys/types.h>
#include <sys/wait.h>

G_BEGIN_DECLS

/* Pass as timeout_ms to get the default deadline: 20 s, multiplied by the
 * integer in $BIOGATE_TEST_TIMEOUT_FACTOR (for valgrind runs). */
#define BTF_TIMEOUT_DEFAULT (-1)

/* The default deadline in ms, after applying $BIOGATE_TEST_TIMEOUT_FACTOR. */
int btf_timeout_default_ms(void);

/* "exited with status 0", "killed by signal 9 (Killed)". */
char *btf_wait_status_describe(int wait_status);

typedef gboolean (*BtfCondFunc)(gpointer user_data);

/* Iterates the thread-default main context until @cond holds or
 * @timeout_ms passes (BTF_TIMEOUT_DEFAULT: the default). Returns @cond: a
 * wait for a test's own condition, e.g. a reply to an asynchronous call. */
gboolean btf_wait_until(BtfCondFunc cond, gpointer user_data, int timeout_ms);

/* Holds a thread until the test opens it: btf_gate_pass(), run as a job
 * on a worker thread (it has the signature of a BiogatedWriterFunc), keeps
 * that thread, and every job behind it, waiting until btf_gate_open(). Free
 * it only once opened and passed. */
typedef struct BtfGate BtfGate;
BtfGate *btf_gate_new(void);
gboolean btf_gate_pass(gpointer gate, GError **error);
void btf_gate_open(BtfGate *gate);
void btf_gate_free(BtfGate *gate);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtfGate, btf_gate_free)

#define btf_assert_exit_code(wait_status, code) G_STMT_START {                        \
        int _btf_st = (wait_status);                                                    \
        if (!WIFEXITED(_btf_st) || WEXITSTATUS(_btf_st) != (code)) {                    \
                g_autofree char *_btf_d = btf_wait_status_describe(_btf_st);            \
                g_autofree char *_btf_m = g_strdup_printf(                              \
                        "expected exit status %d, process %s", (int) (code), _btf_d);   \
                g_assertion_message(G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, _btf_m); \
        }                                                                               \
} G_STMT_END

#define btf_assert_signaled(wait_status, sig) G_STMT_START {                          \
        int _btf_st = (wait_status);                                                    \
        if (!WIFSIGNALED(_btf_st) || WTERMSIG(_btf_st) != (sig)) {                      \
                g_autofree char *_btf_d = btf_wait_status_describe(_btf_st);            \
                g_autofree char *_btf_m = g_strdup_printf(                              \
                        "expected death by signal %d, process %s", (int) (sig), _btf_d); \
                g_assertion_message(G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, _btf_m); \
        }                                                                               \
} G_STMT_END

/* ---- temporary directory ------------------------------------------------ */

/* g_dir_make_tmp("biogate-test-XXXXXX"), made 0755 so that clients run as
 * other users can reach the bus socket inside. Never NULL (g_error on
 * failure: nothing can run without it). */
char *btf_tmpdir_new(void);

/* Removes the directory recursively, unless the current test failed or
 * $BIOGATE_TEST_KEEP_TMPDIR is set: then it is kept and its path printed.
 * Accepts NULL. */
void btf_tmpdir_remove(const char *path);

/* ---- private system bus ------------------------------------------------- */

typedef struct BtfBus BtfBus;

/* Writes TMPDIR/bus.conf (system type, unix:path=TMPDIR/system_bus_socket,
 * EXTERNAL auth, servicedir TMPDIR/services, the default-deny policy of the
 * stock system.conf, then <include> of policy_file when not NULL), starts
 * dbus-daemon on it, waits for its address, makes the socket 0666, sets
 * DBUS_SYSTEM_BUS_ADDRESS (restored on stop) and connects. dbus-daemon's
 * own output goes to TMPDIR/dbus-daemon.log. */
BtfBus *btf_bus_start(const char *tmpdir, const char *policy_file, GError **error);

/* Same, with any number of <include> files and <includedir> directories
 * (e.g. /usr/share/dbus-1/system.d when polkitd joins the bus). */
BtfBus *btf_bus_start_full(const char *tmpdir,
                           const char *const *include_files,
                           const char *const *include_dirs,
                           GError **error);

/* The configuration btf_bus_start_full() writes, for TMPDIR (socket
 * TMPDIR/system_bus_socket, services in TMPDIR/services). */
char *btf_bus_config_new(const char *tmpdir, const char *const *include_files, const char *const *include_dirs);

/* SIGTERM to the dbus-daemon PID, wait for it (SIGKILL after the deadline),
 * restore DBUS_SYSTEM_BUS_ADDRESS, free. ret_wait_status may be NULL.
 * FALSE if it did not exit on SIGTERM in time. Accepts NULL (returns TRUE). */
gboolean btf_bus_stop(BtfBus *bus, int *ret_wait_status, GError **error);
/* btf_bus_stop() ignoring the outcome; for g_autoptr and teardown. */
void btf_bus_free(BtfBus *bus);

/* The fixture's own connection (root). Do not close it. */
GDBusConnection *btf_bus_get_connection(BtfBus *bus);
/* A new, separate connection (e.g. a second client that can vanish). Do not
 * use g_bus_get(G_BUS_TYPE_SYSTEM): its process-wide singleton outlives the
 * bus of one test. */
GDBusConnection *btf_bus_connect(BtfBus *bus, GError **error);
const char *btf_bus_get_address(BtfBus *bus);
const char *btf_bus_get_socket_path(BtfBus *bus);
const char *btf_bus_get_tmpdir(BtfBus *bus);
GPid btf_bus_get_pid(BtfBus *bus);

/* Waits until @name has an owner (subscribes to NameOwnerChanged first, then
 * asks GetNameOwner). ret_owner: the unique name; may be NULL. */
gboolean btf_bus_wait_name(BtfBus *bus, const char *name, int timeout_ms,
                           char **ret_owner, GError **error);
/* Waits until @name has no owner. */
gboolean btf_bus_wait_name_gone(BtfBus *bus, const char *name, int timeout_ms, GError **error);

/* ---- child processes ---------------------------------------------------- */

typedef struct BtfProc BtfProc;

typedef enum BtfStream {
        BTF_STDOUT = 1,
        BTF_STDERR = 2,
} BtfStream;

/* Starts argv[0] (looked up in PATH) in the background. stdin is /dev/null;
 * stdout and stderr are captured through pipes into memory (read while
 * waits run). extra_env: "KEY=VALUE" entries set or override, "KEY" alone
 * unsets; the rest is inherited (so DBUS_SYSTEM_BUS_ADDRESS is kept). */
BtfProc *btf_spawn_async(const char *const *argv, const char *const *extra_env, GError **error);
/* The same as uid/gid through setpriv --reuid --regid --clear-groups. */
BtfProc *btf_spawn_async_as(uid_t uid, gid_t gid, const char *const *argv,
                            const char *const *extra_env, GError **error);

GPid btf_proc_get_pid(BtfProc *proc);
/* Everything read so far ("" if nothing). */
const char *btf_proc_get_stdout(BtfProc *proc);
const char *btf_proc_get_stderr(BtfProc *proc);
/* Waits until the captured stream contains @needle. Fails early if the
 * stream reaches EOF without it. */
gboolean btf_proc_wait_output(BtfProc *proc, BtfStream stream, const char *needle,
                              int timeout_ms, GError **error);
/* Sends @sig to exactly this PID (no-op once it has been reaped). */
void btf_proc_kill(BtfProc *proc, int sig);
gboolean btf_proc_has_exited(BtfProc *proc);
/* Waits for the exit and for EOF on both pipes. On a missed deadline the
 * process is left running (kill it or free it). */
gboolean btf_proc_wait(BtfProc *proc, int timeout_ms, int *ret_wait_status, GError **error);
/* SIGKILL if still running, reap, free. Accepts NULL. */
void btf_proc_free(BtfProc *proc);

/* Runs argv synchronously as uid/gid (setpriv --reuid=UID --regid=GID
 * --clear-groups), inheriting the environment (DBUS_SYSTEM_BUS_ADDRESS
 * included), with the default deadline; killed with SIGKILL if it misses it
 * (then FALSE). Output parameters may be NULL. The thread-default main
 * context is iterated meanwhile, so objects the test exports keep answering. */
gboolean btf_run_as(uid_t uid, gid_t gid, const char *const *argv,
                    char **ret_stdout, char **ret_stderr, int *ret_wait_status,
                    GError **error);
/* The same as the current user (no setpriv) and with extra_env. */
gboolean btf_run(const char *const *argv, const char *const *extra_env,
                 char **ret_stdout, char **ret_stderr, int *ret_wait_status,
                 GError **error);

/* ---- biogated ----------------------------------------------------------- */

typedef struct BtfDaemon BtfDaemon;

typedef struct BtfDaemonOptions {
        const char *daemon_path;        /* required: the built biogated */
        /* Run through this first, e.g. btf_journald_get_command_prefix()
         * ({"nsenter", "--mount=/proc/PID/ns/mnt", "--", NULL}). It must
         * exec the daemon in the same process (nsenter without --fork
         * does), or the check that the owner of org.biogate1 is the process
         * started here never succeeds. NULL: none. */
        const char *const *command_prefix;
        const char *state_dir;          /* --state-dir=; NULL: not passed */
        const char *const *extra_env;   /* as for btf_spawn_async() */
        const char *const *extra_args;  /* appended after the standard ones */
        gboolean idle_exit;             /* TRUE: do not pass --no-idle-exit */
        gboolean quiet;                 /* TRUE: do not pass --verbose */
        int timeout_ms;                 /* 0 or BTF_TIMEOUT_DEFAULT: default */
} BtfDaemonOptions;

/* Spawns `daemon_path --no-idle-exit --state-dir=STATE --verbose ARGS...`
 * with DBUS_SYSTEM_BUS_ADDRESS of @bus, FP_DRIVERS_WHITELIST and
 * FP_DRIVERS_ALLOWLIST=virtual_device, FP_VIRTUAL_DEVICE=TMPDIR/vdev.sock,
 * G_DEBUG=fatal-criticals (each overridable by extra_env), output to
 * TMPDIR/biogated-N.log, and waits until org.biogate1 is owned by that very
 * process. Fails (printing the log's tail) if the process exits first or the
 * deadline passes; the process is then killed. */
BtfDaemon *btf_daemon_start(BtfBus *bus, const char *daemon_path, const char *state_dir,
                            const char *const *extra_env, const char *const *extra_args,
                            GError **error);
BtfDaemon *btf_daemon_start_full(BtfBus *bus, const BtfDaemonOptions *options, GError **error);

/* For a daemon that must refuse to start: spawns it like btf_daemon_start()
 * and waits for it to exit. Fails if it takes org.biogate1 instead (it is
 * then killed) or misses the deadline. ret_log: its whole output. */
gboolean btf_daemon_run_expect_exit(BtfBus *bus, const BtfDaemonOptions *options,
                                    int *ret_wait_status, char **ret_log, GError **error);

/* SIGTERM; waits for the exit and for the bus to drop its name; SIGKILL if
 * it misses the deadline (then FALSE). Prints the log tail unless it exited
 * with status 0. The object stays valid (for logs) until btf_daemon_free(). */
gboolean btf_daemon_stop(BtfDaemon *daemon, int *ret_wait_status, GError **error);
/* The same with SIGKILL (a crash). */
gboolean btf_daemon_kill(BtfDaemon *daemon, int *ret_wait_status, GError **error);
/* Waits for an exit the daemon does on its own (idle exit, crash). */
gboolean btf_daemon_wait_exit(BtfDaemon *daemon, int timeout_ms, int *ret_wait_status, GError **error);
gboolean btf_daemon_has_exited(BtfDaemon *daemon);

GPid btf_daemon_get_pid(BtfDaemon *daemon);
/* The unique bus name it owned org.biogate1 with. */
const char *btf_daemon_get_unique_name(BtfDaemon *daemon);
const char *btf_daemon_get_log_path(BtfDaemon *daemon);
/* FP_VIRTUAL_DEVICE as the daemon got it. */
const char *btf_daemon_get_vdev_path(BtfDaemon *daemon);
char *btf_daemon_read_log(BtfDaemon *daemon);
/* Prints the last n_lines of the log with g_test_message(). */
void btf_daemon_dump_log(BtfDaemon *daemon, guint n_lines);
/* SIGKILL if still running, reap, free; dumps the log if the test failed.
 * Accepts NULL. */
void btf_daemon_free(BtfDaemon *daemon);

/* ---- libfprint virtual_device sensor ------------------------------------ */

/* One command per connection: connect to the AF_UNIX stream socket @path,
 * write @command (ASCII, no newline), shutdown(SHUT_WR), read until the
 * driver closes. Only then may the next command be sent. Fails at once if
 * the socket does not exist (wait for it first). */
gboolean btf_vdev_send(const char *path, const char *command, GError **error);
/* ret_reply: what the driver wrote back (LIST); may be NULL. */
gboolean btf_vdev_send_full(const char *path, const char *command, int timeout_ms,
                            char **ret_reply, GError **error);
/* printf-style convenience: btf_vdev_sendf(path, error, "SCAN %s", id). */
gboolean btf_vdev_sendf(const char *path, GError **error, const char *format, ...) G_GNUC_PRINTF(3, 4);

/* Waits until @path exists (the daemon holds the sensor open) / no longer
 * exists (it closed it), with inotify on the parent directory. */
gboolean btf_vdev_wait_socket(const char *path, int timeout_ms, GError **error);
gboolean btf_vdev_wait_gone(const char *path, int timeout_ms, GError **error);

/* For a test that runs libfprint in its own process (the sensor queue, an
 * operation): makes a directory and points this process's libfprint at
 * virtual_device with its socket in it (FP_DRIVERS_WHITELIST/ALLOWLIST,
 * FP_VIRTUAL_DEVICE, read when libfprint's context first enumerates).
 * Call it before any thread starts. Returns the directory. */
char *btf_vdev_in_process_setup(void);
/* Removes the socket and the directory; frees @dir. */
void btf_vdev_in_process_clear(char *dir);

/* ---- systemd-journald ---------------------------------------------------- */

typedef struct BtfJournald BtfJournald;

/* Starts the real systemd-journald in a private mount namespace whose /run
 * is TMPDIR/run, and waits until it reports READY=1 (sd_notify).
 * Only processes in that namespace log to it: start them through
 * btf_journald_get_command_prefix(). The namespace hides the host's /run,
 * so everything they need (bus socket, sensor socket) must live elsewhere,
 * e.g. in TMPDIR. Its journal is TMPDIR/run/log/journal. */
BtfJournald *btf_journald_start(const char *tmpdir, GError **error);

/* {"nsenter", "--mount=/proc/PID/ns/mnt", "--", NULL}: nsenter then execs
 * the command in the same process. */
const char *const *btf_journald_get_command_prefix(BtfJournald *journald);
/* For journalctl -D and sd_journal_open_directory(). */
const char *btf_journald_get_directory(BtfJournald *journald);
GPid btf_journald_get_pid(BtfJournald *journald);

/* Waits until the journal holds at least @count entries matching every
 * "FIELD=value" of @matches (sd_journal_wait(), no polling). */
gboolean btf_journald_wait_entries(BtfJournald *journald, const char *const *matches, guint count,
                                   int timeout_ms, GError **error);

/* SIGTERM to exactly its PID (journald writes out and closes its files),
 * wait for the exit. FALSE if it misses the deadline (then SIGKILL).
 * Accepts NULL. */
gboolean btf_journald_stop(BtfJournald *journald, int *ret_wait_status, GError **error);
/* btf_journald_stop() ignoring the outcome, and free. Accepts NULL. */
void btf_journald_free(BtfJournald *journald);

/* ---- org.biogate1.Operation ------------------------------------------------ */

typedef struct BtfOp BtfOp;

/* Runs an operation with libbiogate on @connection: kind "verify" (@args
 * (sa{sv})), "enroll" ((ssa{sv})) or "authorize" ((a{sv}a{sv})); a floating
 * @args is consumed. Returns once biogated has answered the call, bound to
 * the new object's path, or NULL with the call's error as the bus returned
 * it. As a plain caller would: biogated is not activated, and the operation
 * is not released by itself (Operation.Release is the test's). The waits
 * below see biogated's signals, in order, early ones included; an end that
 * libbiogate reports on its own (biogated left the bus) is no Finished. */
BtfOp *btf_op_start(GDBusConnection *connection, const char *kind, GVariant *args, GError **error);

/* For tests of the protocol itself (the call made by hand, unicast,
 * forgeries): subscribes on @connection to every signal of
 * org.biogate1.Operation from org.biogate1 (any path) and records them.
 * Call it BEFORE Enroll/Verify: the daemon may signal before its method
 * reply. Use the connection that
 * makes the call (the signals are unicast to the operation's owner). */
BtfOp *btf_op_watch_begin(GDBusConnection *connection);
/* From now on waits only consider signals from @object_path (those that
 * arrived before the call are kept and count). Before binding, waits
 * consider every path. */
void btf_op_bind(BtfOp *op, const char *object_path);
const char *btf_op_get_path(BtfOp *op);

/* Waits for the next Progress(@status) this watcher has not consumed yet,
 * and consumes it: the n-th call returns the n-th occurrence. Fails early
 * if Finished arrived and no unconsumed @status is left. ret_details: the
 * a{sv}; may be NULL. */
gboolean btf_op_wait_progress(BtfOp *op, const char *status, int timeout_ms,
                              GVariant **ret_details, GError **error);
/* Waits until @count Progress(@status) have arrived in all (consumed or
 * not); consumes nothing. */
gboolean btf_op_wait_progress_count(BtfOp *op, const char *status, guint count,
                                    int timeout_ms, GError **error);
/* Progress(@status) received so far (NULL: any status). */
guint btf_op_count_progress(BtfOp *op, const char *status);
/* Marks every Progress(@status) received so far as consumed (NULL: any), so
 * the next btf_op_wait_progress() waits for a new one. Returns how many. */
guint btf_op_consume_progress(BtfOp *op, const char *status);

/* Waits for Finished. Output parameters may be NULL. */
gboolean btf_op_wait_finished(BtfOp *op, int timeout_ms, char **ret_result,
                              GVariant **ret_details, GError **error);
gboolean btf_op_is_finished(BtfOp *op);

/* "Progress(finger-needed) Progress(stage-passed) Finished(completed)" for
 * messages; only the bound path once bound. */
char *btf_op_describe(BtfOp *op);

/* Unsubscribes and frees. Accepts NULL. */
void btf_op_free(BtfOp *op);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtfBus, btf_bus_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtfProc, btf_proc_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtfDaemon, btf_daemon_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtfOp, btf_op_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtfJournald, btf_journald_free)

G_END_DECLS
