/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Real PAM applications (tests/pam-host, pamtester) through pam_wrapper,
 * against the test's private bus. Shared by the tests of pam_biogate.so
 * and of Debian's pam_fprintd.so. */
#include <sys/types.h>

#include "daemon-fixture.h"

/* Writes the service NAME with these lines into the test's own PAM
 * directory, with "other" denying everything; returns the directory. */
char *pam_fixture_write_service(Fixture *f, const char *name, const char *lines);
/* Starts HOST... as uid (0 = root) with pam_wrapper, in a private mount
 * namespace where /run/dbus/system_bus_socket is the test's bus: the path
 * both modules use in production. */
BtfProc *pam_fixture_run_host(Fixture *f, const char *pam_dir, uid_t uid, const char *const *host_argv,
                              const char *const *extra_env);
