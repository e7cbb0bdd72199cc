/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

#include "biogate-finger.h"
#include "biogated-daemon.h"
#include "biogated-operation.h"

/* The privacy side of biogated: what GetMyData, GetUserData and EraseUser
 * (biogated-manager.c) return and do; what the start-up does for the sealed store (sealing
 * plain templates, finishing interrupted erasures, retention); consent at
 * enrolment; the last successful use of each finger. */

/* What an enrolment was consented to: the notice version the client says
 * the user was shown (checked against the loaded notice's version before
 * the operation starts), and who asked. An enrol operation's kind_data. */
typedef struct BiogatedConsent {
        char *notice_version;
        uid_t recorded_by;
        /* The user's standing consent, given ahead (fprintd's EnrollStart
         * carries none): it may be withdrawn while they touch the sensor,
         * so it must still stand when the template is written. */
        gboolean standing;
} BiogatedConsent;

BiogatedConsent *biogated_consent_new(const char *notice_version, uid_t recorded_by);
void biogated_consent_free(BiogatedConsent *consent);

/* Standing consent: consent to the notice given ahead of enrolment
 * (Manager.RecordConsent), for enrolment through an API that has no way to
 * carry consent (net.reactivated.Fprint's EnrollStart). */

/* TRUE, with the version in ret_notice_version (may be NULL; freed by the
 * caller), when uid's record holds a standing consent to current_version,
 * the notice's version now (NULL while no notice loads: never). FALSE without an error when it
 * holds none, or one to another version: a new notice needs consent
 * again. FALSE with an error (StoreCorrupted, Internal...) when the record
 * cannot be read. Reads the record on the calling thread, as
 * GetMyData does; ret_notice_version is untouched unless TRUE. */
gboolean biogated_privacy_standing_consent(BiogatedStore *store, uid_t uid, const char *current_version,
                                           char **ret_notice_version, GError **error);

/* The consent notice (biogated-notice.h): loads it into daemon->notice, at
 * start, on SIGHUP and on Manager.Reload (at the request of caller_uid;
 * reload: read biogate.conf's controller= again). Logs and audits either
 * way (consent-notice-loaded, consent-notice-rejected). On failure no
 * notice stays loaded, not even the previous one: the site changed it, and
 * nobody may consent to words it no longer stands by. */
gboolean biogated_privacy_load_notice(BiogatedDaemon *daemon, uid_t caller_uid, gboolean reload, GError **error);

/* The loaded notice, or NULL with ConsentNotice saying why there is none. */
const BiogatedNotice *biogated_privacy_get_notice(BiogatedDaemon *daemon, GError **error);

/* The loaded notice's version, or NULL while none loads. */
const char *biogated_privacy_notice_version(BiogatedDaemon *daemon);

/* Records uid's standing consent to notice_version at now (seconds since
 * the epoch), replacing an older one; the record (and the user's key) are
 * created when there are none. With notice_version NULL, withdraws it
 * instead; prints stay. *ret_changed says whether the record changed (a
 * withdrawal with none recorded does not). Blocks on disk: writer thread. */
gboolean biogated_privacy_write_standing_consent(BiogatedStore *store, uid_t uid, const char *notice_version,
                                                 gint64 now, gboolean *ret_changed, GError **error);

/* Everything held about uid (user is its name), never template bytes: the
 * a{sv} of GetMyData, floating. Each template is opened (and dropped at
 * once) to tell the user which ones are damaged; a record that does not
 * open is reported in it, not as an error. */
GVariant *biogated_privacy_collect_user_data(BiogatedDaemon *daemon, uid_t uid, const char *user, GError **error);

/* Erases everything held about uid (user is its name) at the request of
 * by, in a worker thread; callback runs in the thread-default context of
 * the caller. The finish audits the outcome and returns the a{sv} of
 * EraseUser (what was erased, never what it was), floating. */
void biogated_privacy_erase_user_async(BiogatedStore *store, BiogatedAudit *audit, uid_t uid, const char *user, uid_t by,
                                       GAsyncReadyCallback callback, gpointer user_data);
GVariant *biogated_privacy_erase_user_finish(GAsyncResult *res, GError **error);

/* Before the daemon takes its bus name: logs where the master key came
 * from, seals plain templates left by an older biogated (once), finishes
 * erasures a crash interrupted, and starts retention (daemon->retention_id).
 * Nothing here stops the daemon: problems are logged. */
void biogated_privacy_start(BiogatedDaemon *daemon);

/* Ends a verification with "match" once the finger's last use is recorded
 * (in a worker thread; a failure to record is logged, the match stands). */
void biogated_privacy_finish_match(BiogatedOperation *op, BiogateFinger finger);

/* Records a successful match of finger of uid at now (seconds since the
 * epoch). Does nothing for a finger without a record entry. Blocks on disk:
 * call from a worker thread. */
gboolean biogated_privacy_record_use(BiogatedStore *store, uid_t uid, BiogateFinger finger, gint64 now,
                                     GError **error);

/* Records a successful match for retention without holding up the
 * operation (a step-up goes on to the approver or the token). */
void biogated_privacy_note_use(BiogatedOperation *op, BiogateFinger finger);
