/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-authorize.h"

#include <pwd.h>
#include <sodium.h>
#include <unistd.h>
#include <systemd/sd-id128.h>

#include "biogate-bus.h"
#include "biogated-audit.h"
#include "biogated-caller.h"
#include "biogated-error.h"
#include "biogated-limits.h"
#include "biogated-match.h"
#include "biogated-operation.h"
#include "biogated-prints.h"
#include "biogated-privacy.h"
#include "biogated-scan.h"

/* A step-up approval: a fresh touch by the maker (the caller) matched
 * against their own prints, then, for four-eyes rules, a touch by a
 * different enrolled user of the approver group; then a signed token that
 * binds user, transaction digest, displayed text and rule. Nothing is
 * cached: every Authorize needs its own touch. */

#define AUTHORIZE_RESULT_APPROVED "approved"
#define AUTHORIZE_RESULT_DENIED "denied"

void biogated_authorize_data_free(BiogatedAuthorizeData *data) {
        if (!data)
                return;
        g_clear_pointer(&data->tx, biogate_tx_free);
        g_free(data->text);
        g_free(data->rule);
        g_free(data->audience);
        g_clear_pointer(&data->approver_gallery, g_ptr_array_unref);
        g_free(data);
}

static BiogatedAuthorizeData *data_of(BiogatedOperation *op) {
        return biogated_operation_get_target(op)->kind_data;
}

static char *machine_id(void) {
        sd_id128_t id;
        char s[SD_ID128_STRING_MAX];

        /* Without /etc/machine-id (some containers) the host name is the best
         * stable name we have. */
        if (sd_id128_get_machine(&id) < 0)
                return g_strdup(g_get_host_name());
        return g_strdup(sd_id128_to_string(id, s));
}

static char *random_id(void) {
        guint8 bytes[16];

        randombytes_buf(bytes, sizeof bytes);
        return biogate_base64url_encode(bytes, sizeof bytes);
}

static char *text_digest(const char *text) {
        guint8 digest[crypto_hash_sha256_BYTES];

        crypto_hash_sha256(digest, (const guint8 *) text, strlen(text));
        return biogate_base64url_encode(digest, sizeof digest);
}

static void authorize_audit(BiogatedAudit *audit, BiogatedAuditEvent event, gboolean refusal, const char *user, uid_t uid,
                            const BiogateTx *tx, const char *rule, const char *outcome, const char *reason,
                            const char *message) {
        g_autofree char *digest = tx ? biogate_tx_digest_string(tx) : NULL;
        BiogatedAuditInfo info = {
                .outcome = outcome,
                .user = user,
                .uid = uid,
                .caller_uid = uid, /* nobody approves for someone else */
                .tx_digest = digest,
                .tx_kind = tx ? tx->kind : NULL,
                .amount = tx ? tx->amount : NULL,
                .currency = tx ? tx->currency : NULL,
                .rule = rule,
                .reason = reason,
        };

        if (refusal)
                biogated_audit_refusal(audit, event, &info, "Step-up for %s%s%s%s%s%s: %s", user, tx ? " (" : "",
                                       tx ? tx->kind : "", rule ? ", rule " : "", rule ? rule : "", tx ? ")" : "",
                                       message);
        else
                biogated_audit(audit, event, &info, "Step-up for %s%s%s%s%s%s: %s", user, tx ? " (" : "",
                               tx ? tx->kind : "", rule ? ", rule " : "", rule ? rule : "", tx ? ")" : "", message);
}

void biogated_authorize_audit(BiogatedAudit *audit, BiogatedAuditEvent event, const char *user, uid_t uid, const BiogateTx *tx,
                              const char *rule, const char *outcome, const char *reason, const char *message) {
        authorize_audit(audit, event, FALSE, user, uid, tx, rule, outcome, reason, message);
}

void biogated_authorize_audit_refusal(BiogatedAudit *audit, const char *user, uid_t uid, const BiogateTx *tx, const char *rule,
                                      const char *reason, const char *message) {
        authorize_audit(audit, BIOGATED_AUDIT_STEPUP_DENY, TRUE, user, uid, tx, rule, "denied", reason, message);
}

static void fail(BiogatedOperation *op, const GError *error) {
        const BiogatedOperationTarget *target = biogated_operation_get_target(op);
        g_autoptr(GError) mapped = biogated_error_from_gerror(error);

        if (!g_error_matches(mapped, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_CANCELLED))
                biogated_authorize_audit(biogated_operation_get_audit(op), BIOGATED_AUDIT_STEPUP_DENY, target->user, target->uid, data_of(op)->tx,
                                         data_of(op)->rule, "error",
                                         biogate_error_info((BiogateError) mapped->code)->dbus_name, mapped->message);
        biogated_operation_finish_error(op, error);
}

static void deny(BiogatedOperation *op, const char *reason, const char *message) {
        const BiogatedOperationTarget *target = biogated_operation_get_target(op);
        GVariantBuilder details;

        biogated_authorize_audit(biogated_operation_get_audit(op), BIOGATED_AUDIT_STEPUP_DENY, target->user, target->uid, data_of(op)->tx,
                                 data_of(op)->rule, "denied", reason, message);
        g_variant_builder_init(&details, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&details, "{sv}", "reason", g_variant_new_string(reason));
        g_variant_builder_add(&details, "{sv}", "message", g_variant_new_string(message));
        g_variant_builder_add(&details, "{sv}", "rule", g_variant_new_string(data_of(op)->rule));
        biogated_operation_finish(op, AUTHORIZE_RESULT_DENIED, g_variant_builder_end(&details));
}

static void approve(BiogatedOperation *op, gboolean with_fingerprint, const char *approver) {
        const BiogatedOperationTarget *target = biogated_operation_get_target(op);
        BiogatedAuthorizeData *data = data_of(op);
        g_autoptr(JsonObject) claims = json_object_new();
        g_autoptr(JsonArray) amr = json_array_new(), approvers = json_array_new();
        g_autoptr(GError) error = NULL;
        g_autofree char *token = NULL, *iss = machine_id(), *jti = random_id(), *digest = NULL, *shown = NULL;
        g_autofree char *nonce = biogate_base64url_encode(g_bytes_get_data(data->tx->challenge, NULL),
                                                          g_bytes_get_size(data->tx->challenge));
        gint64 now = g_get_real_time() / G_USEC_PER_SEC;
        GVariantBuilder details;
        const char *approver_list[] = { approver, NULL };

        if (with_fingerprint)
                json_array_add_string_element(amr, "fpt");
        if (approver)
                json_array_add_string_element(approvers, approver);
        digest = biogate_tx_digest_string(data->tx);
        shown = text_digest(data->text);
        json_object_set_string_member(claims, "iss", iss);
        json_object_set_string_member(claims, "sub", target->user);
        json_object_set_int_member(claims, "uid", target->uid);
        json_object_set_int_member(claims, "iat", now);
        json_object_set_int_member(claims, "exp", now + data->token_lifetime_s);
        if (data->audience)
                json_object_set_string_member(claims, "aud", data->audience);
        json_object_set_string_member(claims, "jti", jti);
        json_object_set_string_member(claims, "nonce", nonce);
        json_object_set_member(claims, "tx", biogate_tx_to_json(data->tx));
        json_object_set_string_member(claims, "tx_digest", digest);
        json_object_set_string_member(claims, "display_digest", shown);
        json_object_set_array_member(claims, "amr", g_steal_pointer(&amr));
        json_object_set_string_member(claims, "rule", data->rule);
        json_object_set_array_member(claims, "approvers", g_steal_pointer(&approvers));

        token = biogated_signing_key_sign(data->signing_key, claims, &error);
        if (!token) {
                fail(op, error);
                return;
        }
        biogated_authorize_audit(biogated_operation_get_audit(op), BIOGATED_AUDIT_STEPUP_APPROVE, target->user, target->uid, data->tx, data->rule,
                                 "success", approver ? approver : (with_fingerprint ? "fingerprint" : "no touch required"),
                                 approver ? "approved with a second person" : "approved");
        g_variant_builder_init(&details, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&details, "{sv}", "token", g_variant_new_string(token));
        g_variant_builder_add(&details, "{sv}", "rule", g_variant_new_string(data->rule));
        g_variant_builder_add(&details, "{sv}", "user", g_variant_new_string(target->user));
        g_variant_builder_add(&details, "{sv}", "approvers", g_variant_new_strv(approver_list, approver ? 1 : 0));
        biogated_operation_finish(op, AUTHORIZE_RESULT_APPROVED, g_variant_builder_end(&details));
}

static void start_approver_try(BiogatedOperation *op);

/* FALSE (and the operation finished with LockedOut and "retry-after-ms")
 * when the requester's four-eyes approvals are delayed or locked. */
static gboolean check_approval_limits(BiogatedOperation *op) {
        const BiogatedOperationTarget *target = biogated_operation_get_target(op);
        BiogatedLimits *limits = biogated_operation_get_limits(op);
        g_autoptr(GError) error = NULL;
        guint64 retry_after_ms = 0;

        if (biogated_limits_check_counter(limits, BIOGATED_LIMITS_APPROVALS, target->uid, g_get_real_time(),
                                          &retry_after_ms, &error))
                return TRUE;
        biogated_authorize_audit(biogated_operation_get_audit(op), BIOGATED_AUDIT_STEPUP_DENY, target->user, target->uid, data_of(op)->tx,
                                 data_of(op)->rule, "denied", biogate_error_info(BIOGATE_ERROR_LOCKED_OUT)->dbus_name,
                                 error->message);
        biogated_operation_finish_error_details(op, error, "retry-after-ms", g_variant_new_uint64(retry_after_ms));
        return FALSE;
}

/* A touch that found no eligible approver: nobody was identified, so it
 * is charged to the requester (biogated-limits.h), and audited, every one. */
static void count_approver_failure(BiogatedOperation *op, const char *reason) {
        const BiogatedOperationTarget *target = biogated_operation_get_target(op);
        BiogatedAuthorizeData *data = data_of(op);
        BiogatedLimits *limits = biogated_operation_get_limits(op);
        g_autofree char *message = NULL;

        data->approver_failures++;
        message = g_strdup_printf("approver touch %u of %u found no eligible approver", data->approver_failures,
                                  BIOGATED_AUTHORIZE_APPROVER_TRIES);
        biogated_authorize_audit(biogated_operation_get_audit(op), BIOGATED_AUDIT_STEPUP_DENY, target->user, target->uid, data->tx, data->rule,
                                 "failure", reason, message);
        biogated_limits_record_counter(limits, BIOGATED_LIMITS_APPROVALS, target->uid, FALSE,
                                       biogated_operation_get_owner_uid(op), g_get_real_time());
}

/* The next approver try, announced with "approver-retry". That says the
 * touch found no approver, so, like the result of an operation
 * (biogated_operation_finish()), it waits until the failure it counted is
 * durable: a client must not learn of a failed touch that a crash could
 * still leave uncounted. */
typedef struct ApproverRetry {
        BiogatedOperation *op;
        const char *reason;     /* static */
} ApproverRetry;

static void on_approver_failure_counted(const GError *error, gpointer user_data) {
        g_autofree ApproverRetry *retry = user_data;
        g_autoptr(BiogatedOperation) op = retry->op;
        BiogatedAuthorizeData *data = data_of(op);
        g_autoptr(GError) cancelled = NULL;
        GVariantBuilder details;

        /* Cancelled (by its owner, its timeout or the exit) while it waited:
         * nothing runs on the sensor that would report it, so end it here. */
        if (g_cancellable_is_cancelled(biogated_operation_get_cancellable(op))) {
                cancelled = biogated_error_new(BIOGATE_ERROR_CANCELLED, "Cancelled");
                biogated_operation_finish_error(op, cancelled);
                return;
        }
        g_variant_builder_init(&details, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&details, "{sv}", "reason", g_variant_new_string(retry->reason));
        g_variant_builder_add(&details, "{sv}", "tries-left",
                              g_variant_new_uint32(BIOGATED_AUTHORIZE_APPROVER_TRIES - data->approver_failures));
        biogated_operation_emit_progress(op, "approver-retry", g_variant_builder_end(&details));
        start_approver_try(op);
}

static void on_approver_matched(BiogatedOperation *op, FpPrint *match, const GError *error, gpointer user_data) {
        const BiogatedOperationTarget *target = biogated_operation_get_target(op);
        BiogatedAuthorizeData *data = data_of(op);
        BiogatedLimits *limits = biogated_operation_get_limits(op);
        g_autofree char *approver = NULL;
        ApproverRetry *retry;
        const char *reason;
        uid_t uid;

        if (error) {
                fail(op, error);
                return;
        }
        if (match && biogated_print_get_uid(match, &uid) && uid != target->uid) {
                biogated_limits_record_counter(limits, BIOGATED_LIMITS_APPROVALS, target->uid, TRUE,
                                               biogated_operation_get_owner_uid(op), g_get_real_time());
                /* The token's approvers claim names a user even without a
                 * passwd entry (a deleted account that still has prints). */
                approver = biogated_user_name(uid);
                if (!approver)
                        approver = g_strdup_printf("uid:%u", (unsigned) uid);
                approve(op, TRUE, approver);
                return;
        }
        /* The maker's own finger again is no second person either. */
        reason = match ? "approver-not-eligible" : "approver-no-match";
        count_approver_failure(op, reason);
        if (data->approver_failures >= BIOGATED_AUTHORIZE_APPROVER_TRIES) {
                g_autofree char *message = g_strdup_printf(
                        "No eligible approver matched in %u touches%s", data->approver_failures,
                        match ? "; the approver must be a different person than the requester" : "");
                deny(op, reason, message);
                return;
        }
        retry = g_new0(ApproverRetry, 1);
        *retry = (ApproverRetry) { .op = g_object_ref(op), .reason = reason };
        biogated_writer_then(biogated_store_get_writer(biogated_operation_get_store(op)), on_approver_failure_counted,
                             retry);
}

static gboolean has_other_user(GPtrArray *prints, uid_t maker) {
        for (guint i = 0; i < prints->len; i++) {
                uid_t uid;
                if (biogated_print_get_uid(g_ptr_array_index(prints, i), &uid) && uid != maker)
                        return TRUE;
        }
        return FALSE;
}

/* The gallery for this touch: compatible prints of approvers whose own
 * biometrics are not delayed or locked (a locked user's finger must not be
 * guessable through someone else's step-up either), plus the maker's. */
static GPtrArray *eligible_approvers(BiogatedOperation *op) {
        const BiogatedOperationTarget *target = biogated_operation_get_target(op);
        BiogatedLimits *limits = biogated_operation_get_limits(op);
        g_autoptr(GPtrArray) compatible = biogated_prints_filter_compatible(data_of(op)->approver_gallery,
                                                                            biogated_operation_get_device(op));
        GPtrArray *eligible = g_ptr_array_new_with_free_func(g_object_unref);
        gint64 now = g_get_real_time();

        for (guint i = 0; i < compatible->len; i++) {
                FpPrint *print = g_ptr_array_index(compatible, i);
                guint64 retry_after_ms;
                uid_t uid;

                if (!biogated_print_get_uid(print, &uid))
                        continue;
                if (uid != target->uid && !biogated_limits_check(limits, uid, now, &retry_after_ms, NULL))
                        continue;
                g_ptr_array_add(eligible, g_object_ref(print));
        }
        return eligible;
}

static void start_approver_try(BiogatedOperation *op) {
        const BiogatedOperationTarget *target = biogated_operation_get_target(op);
        g_autoptr(GPtrArray) approvers = NULL;

        /* The failure just counted may have reached the delay: then this
         * Authorize ends, as a login would. */
        if (!check_approval_limits(op))
                return;
        approvers = eligible_approvers(op);
        /* The gallery also holds the maker's own prints (to recognise and
         * refuse them); with nobody else in it there is no one to approve. */
        if (!has_other_user(approvers, target->uid)) {
                deny(op, "approver-not-eligible", "No eligible approver has enrolled a fingerprint");
                return;
        }
        biogated_operation_touch_timeout(op);
        biogated_match_run(op, approvers, on_approver_matched, NULL);
}

static void on_maker_matched(BiogatedOperation *op, FpPrint *match, const GError *error, gpointer user_data) {
        const BiogatedOperationTarget *target = biogated_operation_get_target(op);
        BiogatedAuthorizeData *data = data_of(op);
        BiogatedLimits *limits = biogated_operation_get_limits(op);

        if (error) {
                fail(op, error);
                return;
        }
        biogated_limits_record(limits, target->uid, match != NULL, biogated_operation_get_owner_uid(op),
                               g_get_real_time());
        if (!match) {
                deny(op, "no-match", "The finger did not match");
                return;
        }
        /* Approvals are use too: a finger used only to approve must not
         * expire under retention_days. */
        biogated_privacy_note_use(op, biogated_print_get_finger(match));
        if (data->requirement != BIOGATE_REQUIRE_FINGERPRINT_APPROVER) {
                approve(op, TRUE, NULL);
                return;
        }
        biogated_operation_set_state(op, "waiting-for-approver");
        biogated_operation_emit_progress(op, "approver-needed", NULL);
        start_approver_try(op);
}

/* NULL when the operation's sensor can do four eyes. Only a sensor that
 * identifies (one touch against the whole gallery) can check at enrolment
 * that a finger is not already someone else's; on a verify-only sensor one
 * person can enrol one finger under two accounts and would then be maker
 * and checker at once (biogate-policy(5)). */
GError *biogated_authorize_check_four_eyes_device(FpDevice *device, const char *rule) {
        if (!device || fp_device_has_feature(device, FP_DEVICE_FEATURE_IDENTIFY))
                return NULL;
        return biogated_error_new(BIOGATE_ERROR_DEVICE_CANNOT_IDENTIFY,
                                  "Rule '%s' needs a second person (fingerprint+approver), but the sensor (%s) "
                                  "can only verify: it cannot tell that the approver is not the requester "
                                  "enrolled twice. Use a sensor that can identify, or change the rule to "
                                  "require=fingerprint or deny", rule, fp_device_get_driver(device));
}

void biogated_authorize_run(BiogatedOperation *op) {
        const BiogatedOperationTarget *target = biogated_operation_get_target(op);
        BiogatedAuthorizeData *data = data_of(op);
        g_autoptr(GPtrArray) prints = NULL;
        g_autoptr(GError) error = NULL;

        if (data->requirement == BIOGATE_REQUIRE_NONE) {
                approve(op, FALSE, NULL);
                return;
        }
        if (data->requirement == BIOGATE_REQUIRE_FINGERPRINT_APPROVER) {
                error = biogated_authorize_check_four_eyes_device(biogated_operation_get_device(op), data->rule);
                if (error) {
                        fail(op, error);
                        return;
                }
                /* No touch for a request nobody can approve now. */
                if (!check_approval_limits(op))
                        return;
        }
        prints = biogated_prints_filter_compatible(target->prints, biogated_operation_get_device(op));
        if (prints->len == 0) {
                error = biogated_error_new(BIOGATE_ERROR_NO_ENROLLED_PRINTS,
                                           "No fingerprints are enrolled on this sensor");
                fail(op, error);
                return;
        }
        if (!biogated_scan_check_limits(op, target->uid))
                return;
        biogated_match_run(op, prints, on_maker_matched, NULL);
}
