/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

/* Size bounds on what anyone may send biogated, checked once per incoming
 * message before it is dispatched, whatever the method:
 * - the body, serialised, at most BIOGATED_BODY_MAX bytes;
 * - each string (s, o, g) at most BIOGATED_STRING_MAX bytes;
 * - each array or dictionary at most BIOGATED_ITEMS_MAX elements (arrays
 *   of fixed-size numbers, such as a transaction's challenge "ay", are
 *   bounded by the body limit alone);
 * - containers nested at most BIOGATED_DEPTH_MAX deep.
 * The API's largest honest call (an Authorize with every transaction field
 * at its longest) is about 3 KiB with 12 keys; the bounds leave room above
 * that and none for a flood of memory.
 *
 * A method call over a bound is answered with
 * org.biogate1.Error.ArgumentTooLarge and dropped; a signal is dropped. The
 * bus driver (org.freedesktop.DBus) and replies to our own calls are not
 * checked. */

#define BIOGATED_BODY_MAX (64u * 1024u)
#define BIOGATED_STRING_MAX 4096u
#define BIOGATED_ITEMS_MAX 32u
#define BIOGATED_DEPTH_MAX 16u

/* FALSE with ArgumentTooLarge (the message names the bound) when body, a
 * message's body (may be NULL), exceeds a bound. */
gboolean biogated_bounds_check(GVariant *body, GError **error);

/* Installs the check on connection as a message filter: it runs in GDBus's
 * reading thread, so an oversized message is refused before it is queued
 * for the handlers, and one is alive at a time at most. The filter's own
 * state (the refusal log's rate, a pending trim) lives with it, one per
 * connection, and goes when the connection drops the filter. */
void biogated_bounds_install(GDBusConnection *connection);
