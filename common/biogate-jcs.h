/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* RFC 8785 JSON Canonicalization Scheme: object members sorted by their
 * UTF-16 code units, no whitespace, strings escaped minimally, numbers as
 * ECMAScript's Number.prototype.toString. */

#include <json-glib/json-glib.h>

/* NULL with an error for what JCS cannot represent (NaN, infinities). */
char *biogate_jcs_serialize(JsonNode *node, GError **error);
