/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdio.h>

/* Appends @str as a JSON string literal, quotes included. NULL is "". */
void ctl_json_append_string(GString *out, const char *str);

/* Appends @value as JSON: dictionaries with string keys become objects, other
 * arrays and tuples become arrays, variants are unwrapped. */
void ctl_json_append_variant(GString *out, GVariant *value);

/* Writes @object (usually an a{sv}) as one line of JSON to @stream. Takes
 * ownership of a floating reference. */
void ctl_json_print(FILE *stream, GVariant *object);

/* A copy of @str that is safe to write to a terminal: invalid UTF-8 is
 * repaired and control characters become '?'. */
char *ctl_printable(const char *str);

/* From GetMyData's @data: a line on stdout for each lock on the user's
 * fingerprints (failed matches; four-eyes approvals), saying whether it
 * ends by itself ("for N more seconds") or when an administrator unlocks
 * it ("biogatectl unlock USER", @safe_user). Nothing when none is set. */
void ctl_print_locks(GVariant *data, const char *safe_user);
