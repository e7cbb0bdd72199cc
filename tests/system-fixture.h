/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The system around biogated, for the system-integration tests: a real
 * polkitd on the private bus, and a stand-in for logind (a system component,
 * not one of ours) that hands out sleep inhibitors and announces sleep. */
#include "daemon-fixture.h"

#define LOGIN1_NAME "org.freedesktop.login1"
#define LOGIN1_PATH "/org/freedesktop/login1"
#define LOGIN1_MANAGER "org.freedesktop.login1.Manager"

/* A bus whose configuration also includes /usr/share/dbus-1/system.d, as the
 * real system bus does: polkitd's policy (only user polkitd owns
 * org.freedesktop.PolicyKit1) and logind's (only root owns
 * org.freedesktop.login1) apply. Sets f->tmp, f->state, f->vdev, f->bus,
 * f->conn like fixture_prepare(). */
void system_prepare(Fixture *f);

/* ---- polkitd ---- */

typedef struct Polkitd Polkitd;

/* Starts /usr/lib/polkit-1/polkitd in a private mount namespace in which
 * /usr/share/polkit-1/actions holds only the shipped org.biogate1.policy
 * and /etc/polkit-1/rules.d only @rules (JavaScript; NULL: none), owned by
 * polkitd and mode 0700 as polkitd demands. Waits until it owns
 * org.freedesktop.PolicyKit1. */
Polkitd *polkitd_start(Fixture *f, const char *rules);
/* SIGTERM to its PID, wait, free. Accepts NULL. */
void polkitd_stop(Polkitd *polkitd);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Polkitd, polkitd_stop)

/* ---- logind stand-in ---- */

typedef struct FakeLogind FakeLogind;

/* Owns org.freedesktop.login1 on its own connection and serves
 * Manager.Inhibit: each call gets the write end of a new pipe, the test keeps
 * the read end and so sees when the daemon lets go. */
FakeLogind *fake_logind_start(Fixture *f);
void fake_logind_free(FakeLogind *logind);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FakeLogind, fake_logind_free)
/* From now on GetSessionByPID(pid) answers session @id (once per pid; a
 * session may have several pids, all with the same owner and remote),
 * whose User is @owner and Remote @remote, as logind does for a process in
 * that session; a pid without one gets logind's NoSessionForPID. The
 * answers come from the test's main context: a caller must iterate it
 * (call the daemon asynchronously) while the daemon asks. */
void fake_logind_add_session(FakeLogind *logind, const char *id, pid_t pid, uid_t owner, gboolean remote);
/* GetSessionByPID calls so far. */
guint fake_logind_count_session_lookups(FakeLogind *logind);
const char *fake_logind_get_unique_name(FakeLogind *logind);
/* Waits until Inhibit was called @count times in all; ret_args: the last
 * call's "what who why mode", space separated (may be NULL). */
void fake_logind_wait_inhibit(FakeLogind *logind, guint count, char **ret_args);
/* Broadcasts Manager.PrepareForSleep(@start) from logind's connection. */
void fake_logind_prepare_for_sleep(FakeLogind *logind, gboolean start);
/* A call to biogated from logind's connection: when it returns, biogated
 * has handled every signal logind sent before. */
void fake_logind_round_trip(FakeLogind *logind);
/* Waits until the daemon closed the inhibitor of the @index-th (0-based)
 * Inhibit call. */
void fake_logind_wait_released(FakeLogind *logind, guint index);
/* Whether it has been closed already (no wait). */
gboolean fake_logind_is_released(FakeLogind *logind, guint index);

/* Whether libfprint's virtual_device has the sensor open: its socket file
 * stays after closing, but nobody listens on it any more. */
gboolean vdev_is_listening(const char *path);

/* ---- clients ---- */

/* Runs argv as uid/gid 65534 and returns the raw wait status; output
 * parameters may be NULL. */
int run_as_nobody(const char *const *argv, char **ret_stdout, char **ret_stderr);
/* Runs argv as root (this process's credentials), the same way. */
int run_as_root(const char *const *argv, char **ret_stdout, char **ret_stderr);
/* Asserts the exit code and that stdout or stderr contains @text (NULL:
 * anything). */
void assert_run(int wait_status, const char *out, const char *err, int exit_code, const char *text);
