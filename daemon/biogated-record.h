/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

#include "biogate-finger.h"

/* The per-user record: what biogated keeps about a user besides the
 * templates, and what GetMyData shows. Never template data. A GVariant
 * a{sv}, sealed like the templates:
 *
 *   "fingers"  a{sv}   finger name -> a{sv} { "enrolled": x, "last-used": x }
 *   "consent"  aa{sv}  one entry per consented enrolment, oldest first:
 *                      { "time": x, "notice-version": s, "fingers": as,
 *                        "recorded-by": u (uid of the caller who enrolled) }
 *   "standing-consent" a{sv}  consent given ahead of any enrolment (RecordConsent),
 *                      for enrolment through an API that cannot carry it (the
 *                      desktop's): { "notice-version": s, "time": x }; the
 *                      newest replaces the older, WithdrawConsent removes it
 *
 * Times are seconds since the epoch (UTC). A finger's entry is written
 * before its template, so every template has one; an entry without a
 * template (an enrolment cut short) means nothing. Functions take "now" so
 * that tests can move the clock. */

#define BIOGATED_RECORD_MAX_SIZE (64u * 1024u)
/* Older consent entries are dropped beyond this, so the record stays small. */
#define BIOGATED_RECORD_MAX_CONSENTS 100u

/* Parses a record; StoreCorrupted when it is not one. */
GVariant *biogated_record_parse(GBytes *data, GError **error);
/* An empty record. */
GVariant *biogated_record_new_empty(void);

/* Consent to enrol finger under notice_version, given at now. */
void biogated_record_add_consent(GVariantDict *record, gint64 now, const char *notice_version,
                                 BiogateFinger finger, uid_t recorded_by);
/* The standing consent to notice_version, given at now, in place of any
 * older one. */
void biogated_record_set_standing_consent(GVariantDict *record, const char *notice_version, gint64 now);
/* Drops the standing consent; FALSE when there was none. */
gboolean biogated_record_clear_standing_consent(GVariantDict *record);
/* FALSE when the record holds no standing consent. ret_notice_version
 * (freed by the caller) and ret_time may be NULL. */
gboolean biogated_record_get_standing_consent(GVariant *record, char **ret_notice_version, gint64 *ret_time);
/* TRUE when the record being edited holds a standing consent to notice_version. */
gboolean biogated_record_has_standing_consent_to(GVariantDict *record, const char *notice_version);

/* finger (re)enrolled at now; it has not been used since. */
void biogated_record_set_enrolled(GVariantDict *record, BiogateFinger finger, gint64 now);
/* A successful match of finger at now. FALSE (and no change) when the
 * record has no entry for it, or already says now. */
gboolean biogated_record_set_last_used(GVariantDict *record, BiogateFinger finger, gint64 now);
/* Whether the record has an entry for finger. */
gboolean biogated_record_has_finger(GVariantDict *record, BiogateFinger finger);
/* Drops the entry of finger; FALSE when there was none. */
gboolean biogated_record_forget_finger(GVariantDict *record, BiogateFinger finger);

/* FALSE when the record has no entry for finger. ret_last_used is 0 for
 * never. Either may be NULL. */
gboolean biogated_record_get_times(GVariant *record, BiogateFinger finger, gint64 *ret_enrolled,
                                   gint64 *ret_last_used);
/* The consent entries (aa{sv}), possibly empty. */
GVariant *biogated_record_get_consents(GVariant *record);

/* TRUE when finger has not matched (or, never matched, was enrolled) for
 * more than retention_days at now. Never for retention_days 0 or a finger
 * without an entry. */
gboolean biogated_record_is_expired(GVariant *record, BiogateFinger finger, guint retention_days, gint64 now);
