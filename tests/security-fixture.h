/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the security and load tests (test-security.c, test-load.c) share on
 * top of daemon-fixture.h: the API as daemon/org.biogate1.xml declares it,
 * a step-up policy, clients of other uids, and what /proc tells about a
 * process (descriptors, threads, memory). */
#include <sys/types.h>

#include "daemon-fixture.h"

/* A policy with every kind of requirement: withdrawals of 10000 USD and
 * more need a fingerprint, small USD amounts nothing, Sanctioned* payees
 * are denied. */
extern const char security_policy[];

/* The API from BIOGATE_API_XML (g_error() if it does not parse). */
GDBusNodeInfo *security_api_new(void);
/* Whether the method has an in-argument named "user". */
gboolean security_method_names_user(const GDBusMethodInfo *method);

/* fixture_prepare() + biogated with security_policy, and extra_env. */
void security_setup(Fixture *f, gconstpointer data);
void security_start_daemon(Fixture *f, const char *const *extra_env);

/* A new connection to the fixture's bus that the bus (and so the daemon)
 * sees as uid/gid: the effective ids are switched for the connect and the
 * authentication only, which is when the bus takes the peer's credentials
 * (SO_PEERCRED). The process stays root otherwise. */
GDBusConnection *security_connect_as(Fixture *f, uid_t uid, gid_t gid);

/* ---- /proc/PID ---- */

typedef struct {
        guint n_fds;            /* entries of /proc/PID/fd */
        guint n_threads;        /* entries of /proc/PID/task */
        guint64 rss_kib;        /* VmRSS */
} ProcStats;

void proc_stats(pid_t pid, ProcStats *ret);
/* A "Field:   N kB" line of /proc/PID/status in KiB: VmRSS, VmHWM (the
 * peak RSS), RssAnon (heap and other private memory). */
guint64 proc_status_kib(pid_t pid, const char *field);
/* "N -> TARGET (flags 0...)" for each descriptor above 2 without
 * O_CLOEXEC in /proc/PID/fdinfo/N; NULL-terminated, never NULL. */
char **proc_fds_without_cloexec(pid_t pid);
/* Each "N -> TARGET", sorted, for messages. */
char *proc_describe_fds(pid_t pid);

/* Iterates the default main context for about ms milliseconds (for a
 * condition that has no event to wait on, such as a count in /proc). */
void iterate_for(guint ms);
