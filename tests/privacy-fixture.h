/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Helpers shared by the privacy integration tests (test-privacy*.c), on top
 * of daemon-fixture.h. */
#include "daemon-fixture.h"

#include "biogated-store.h"

/* GetMyData ("" ) or GetUserData(user) on conn. */
GVariant *privacy_user_data(GDBusConnection *conn, const char *user);
/* Verify restricted to finger with one touch of id; returns the result
 * ("match", ...). */
char *privacy_verify_finger(Fixture *f, const char *finger, const char *id);
/* The same for user ("": the caller). */
char *privacy_verify_user_finger(Fixture *f, const char *user, const char *finger, const char *id);
/* The D-Bus error name Verify fails with at once for finger (NULL: any). */
char *privacy_verify_error(Fixture *f, const char *finger);

/* The daemon's store, opened in this process while the daemon is stopped
 * (for what a test must do behind its back: pre-date a record, read a
 * template to search for it). */
BiogatedStore *privacy_open_store(Fixture *f);

/* cp -a / rm -rf, synchronously. */
void privacy_copy_tree(const char *from, const char *to);
void privacy_remove_tree(const char *path);
/* Whether any file of the template store (prints/, keys/, private/) has a
 * name starting with ".#": an interrupted write that was not cleaned up. */
gboolean privacy_has_temp_files(Fixture *f);

/* Reads a whole file; g_error() when it cannot. */
GBytes *privacy_read_file(const char *path);
void privacy_write_file(const char *path, const void *data, gsize size);

/* Number of times needle occurs in the current daemon's log. */
guint privacy_log_count(Fixture *f, const char *needle);
/* A fixture setup that starts the bus but no daemon. */
void privacy_setup_no_daemon(Fixture *f, gconstpointer data);
