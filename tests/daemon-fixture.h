/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the integration tests share: a private bus, the real biogated on a
 * virtual sensor (one of each per test), and helpers that drive the API
 * and the sensor. */
#include "biogate-bus.h"
#include "biogate-test-fixture.h"

#define NOBODY 65534
#define OTHER_USER "daemon" /* uid 1, in every Debian passwd */
#define T BTF_TIMEOUT_DEFAULT

typedef struct {
        char *driver;
        char *tmp;
        char *state;
        char *vdev;
        BtfBus *bus;
        BtfDaemon *daemon;
        GDBusConnection *conn;
} Fixture;

/* data: the libfprint driver to run, NULL for virtual_device. */
void fixture_setup(Fixture *f, gconstpointer data);
/* The two halves of fixture_setup(), for tests that write files (a policy)
 * before the daemon starts, or restart it: a temp dir and the bus... */
void fixture_prepare(Fixture *f, const char *driver);
/* The same on a bus that also includes the configuration directories
 * @bus_include_dirs (NULL-terminated; NULL: none). */
void fixture_prepare_full(Fixture *f, const char *driver, const char *const *bus_include_dirs);
/* ...with these bus policy files instead of biogate's alone. */
void fixture_prepare_with_policies(Fixture *f, const char *driver, const char *const *bus_policies,
                                   const char *const *bus_include_dirs);
/* ...and biogated on it (stopping is btf_daemon_stop(f->daemon)). */
void fixture_start_daemon(Fixture *f, const char *const *extra_args);
/* The same with more environment ("KEY=VALUE"; "KEY" unsets). */
void fixture_start_daemon_full(Fixture *f, const char *const *extra_env, const char *const *extra_args);
/* The same through a command that execs it in the same process (e.g.
 * valgrind), with a start-up deadline of timeout_ms (0: the default). */
void fixture_start_daemon_wrapped(Fixture *f, const char *const *command_prefix, int timeout_ms,
                                  const char *const *extra_env, const char *const *extra_args);
void fixture_teardown(Fixture *f, gconstpointer data);
/* Writes text as NAME (0644) in the test's policy directory, for
 * --policy-dir; returns the directory. */
char *fixture_write_policy(Fixture *f, const char *name, const char *text);
/* Starts biogated with @text as the site policy (50-test.conf) and no vendor
 * policy, so that only @text decides; @extra_args (NULL: none) go first. */
void fixture_start_daemon_with_policy(Fixture *f, const char *text, const char *const *extra_args);
/* A method of the object at path of bus name @name (no auto-start,
 * 20 s); call_on() is the same on org.biogate1. */
GVariant *call_name(GDBusConnection *conn, const char *name, const char *path, const char *iface,
                    const char *method, GVariant *params, const char *reply_type, GError **error);
GVariant *call_on(GDBusConnection *conn, const char *path, const char *iface, const char *method,
                 GVariant *params, const char *reply_type, GError **error);
GVariant *manager_call(GDBusConnection *conn, const char *method, GVariant *params, const char *reply_type,
                       GError **error);
void assert_dbus_error(const GError *error, const char *name);
/* A systemd credential @name of @size bytes, derived from @seed, in the
 * directory @dir of the test's temp dir (mode 0400, as systemd leaves it);
 * returns "CREDENTIALS_DIRECTORY=..." for the daemon's environment. */
char *fixture_write_credential(Fixture *f, const char *dir, const char *name, guint8 seed, gsize size);
/* How often needle occurs in the running daemon's log. */
guint fixture_log_count(Fixture *f, const char *needle);
/* StepUp.GetPublicKeys: the JWK set the daemon serves. */
char *get_public_keys(GDBusConnection *conn);
/* Everything want has, got has too: each method with its argument
 * signatures, each signal, each property with its type and access. */
void assert_same_interface(GDBusInterfaceInfo *want, GDBusInterfaceInfo *got);
/* Manager.Verify or Manager.Enroll, run by libbiogate (btf_op_start()):
 * NULL with the call's error. */
BtfOp *start_op(GDBusConnection *conn, const char *method, GVariant *params, GError **error);
/* A transaction (floating a{sv}) with reference T-1001 and a fixed 32-byte
 * challenge; NULL leaves a field out. */
GVariant *tx_new(const char *kind, const char *amount, const char *currency, const char *payee);
/* StepUp.Authorize of tx (floating), no options. */
BtfOp *start_authorize(GDBusConnection *conn, GVariant *tx, GError **error);
BtfOp *start_verify(GDBusConnection *conn, const char *user);
/* The operation's State property, as conn's client reads it. */
char *get_state(GDBusConnection *conn, BtfOp *op);
/* Enroll options with consent to the notice this build ships (floating). */
GVariant *consent_options(void);
BtfOp *start_enroll(GDBusConnection *conn, const char *user, const char *finger);
void wait_finger_needed(BtfOp *op);
void touch(Fixture *f, const char *id);
void sensor(Fixture *f, const char *command);
char *wait_finished(BtfOp *op, GVariant **ret_details);
const char *detail_string(GVariant *details, const char *key);
void release(GDBusConnection *conn, BtfOp *op);
void enroll(Fixture *f, const char *user, const char *finger, const char *id);
char *verify_with(Fixture *f, GDBusConnection *conn, const char *user, const char *id, GVariant **ret_details);
char **list_fingers(GDBusConnection *conn, const char *user);
