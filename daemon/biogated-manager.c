/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.biogate1.Manager, every method of it: each handler checks its
 * arguments, asks biogated-caller.c who may do what, and calls the logic
 * (the store, biogated-privacy.c, biogated-limits.c, the step-up policy of
 * biogated-stepup.c, operations of biogated-operation.c). */
#include "config.h"

#include "biogate-bus.h"
#include "biogated-args.h"
#include "biogated-audit.h"
#include "biogated-caller.h"
#include "biogated-daemon.h"
#include "biogated-error.h"
#include "biogated-operation.h"
#include "biogated-prints.h"
#include "biogated-privacy.h"
#include "biogated-delete.h"
#include "biogated-start.h"
#include "biogated-stepup.h"

#define VERIFY_TIMEOUT_MS_DEFAULT 30000u
#define ENROLL_TIMEOUT_MS_DEFAULT 60000u

/* Arguments are checked before the caller's identity is even looked up, so
 * malformed calls cost nothing and never reach the store. */

typedef struct CallArgs {
        BiogatedDaemon *daemon;
        BiogateFinger finger;   /* Enroll */
        guint finger_mask;      /* Verify "fingers", DeleteFingers; 0 = all */
        guint timeout_ms;
        char *service;
        gboolean consent;       /* Enroll */
        char *notice_version;   /* Enroll */
} CallArgs;

static void call_args_free(CallArgs *args) {
        g_free(args->service);
        g_free(args->notice_version);
        g_free(args);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CallArgs, call_args_free)

static CallArgs *call_args_new(BiogatedDaemon *daemon) {
        CallArgs *args = g_new0(CallArgs, 1);
        args->daemon = daemon;
        return args;
}

static const BiogatedOption enroll_options[] = {
        { "timeout-ms", biogated_option_timeout_ms, G_STRUCT_OFFSET(CallArgs, timeout_ms) },
        { "consent", biogated_option_boolean, G_STRUCT_OFFSET(CallArgs, consent) },
        { "notice-version", biogated_option_string, G_STRUCT_OFFSET(CallArgs, notice_version) },
        { NULL },
};

static const BiogatedOption verify_options[] = {
        { "timeout-ms", biogated_option_timeout_ms, G_STRUCT_OFFSET(CallArgs, timeout_ms) },
        { "fingers", biogated_option_fingers, G_STRUCT_OFFSET(CallArgs, finger_mask) },
        { "service", biogated_option_service, G_STRUCT_OFFSET(CallArgs, service) },
        { NULL },
};

static gboolean return_error(GDBusMethodInvocation *invocation, BiogateError code, const char *message) {
        g_dbus_method_invocation_return_error_literal(invocation, BIOGATE_DBUS_ERROR, code, message);
        return TRUE;
}

/* Manager.Enroll and Manager.Verify answer with the operation's path. */
static void reply_started(GDBusMethodInvocation *invocation, BiogatedOperation *op, const GError *error,
                          gpointer user_data) {
        if (!op) {
                g_dbus_method_invocation_return_gerror(invocation, error);
                return;
        }
        g_dbus_method_invocation_return_value(invocation, g_variant_new("(o)", biogated_operation_get_path(op)));
}

static void start_operation(GDBusMethodInvocation *invocation, CallArgs *args, const BiogatedCaller *caller,
                            BiogatedOperationKind kind) {
        BiogatedStartRequest request = {
                .kind = kind,
                .finger = args->finger,
                .finger_mask = args->finger_mask,
                .timeout_ms = args->timeout_ms,
                .service = args->service,
                .notice_version = args->notice_version,
        };

        biogated_start_operation(args->daemon, invocation, caller, &request, reply_started, NULL, NULL);
}

/* ---- ListDevices ---- */

static GVariant *device_details(FpDevice *device, gboolean is_default) {
        GVariantBuilder details, features;
        static const struct {
                FpDeviceFeature feature;
                const char *name;
        } feature_names[] = {
                { FP_DEVICE_FEATURE_IDENTIFY, "identify" },
                { FP_DEVICE_FEATURE_VERIFY, "verify" },
                { FP_DEVICE_FEATURE_CAPTURE, "capture" },
                { FP_DEVICE_FEATURE_STORAGE, "storage" },
                { FP_DEVICE_FEATURE_DUPLICATES_CHECK, "duplicates-check" },
        };

        g_variant_builder_init(&features, G_VARIANT_TYPE("as"));
        for (gsize i = 0; i < G_N_ELEMENTS(feature_names); i++)
                if (fp_device_has_feature(device, feature_names[i].feature))
                        g_variant_builder_add(&features, "s", feature_names[i].name);
        g_variant_builder_init(&details, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&details, "{sv}", "driver", g_variant_new_string(fp_device_get_driver(device)));
        g_variant_builder_add(&details, "{sv}", "scan-type",
                              g_variant_new_string(fp_device_get_scan_type(device) == FP_SCAN_TYPE_SWIPE ? "swipe" : "press"));
        g_variant_builder_add(&details, "{sv}", "enroll-stages",
                              g_variant_new_int32(fp_device_get_nr_enroll_stages(device)));
        g_variant_builder_add(&details, "{sv}", "features", g_variant_builder_end(&features));
        g_variant_builder_add(&details, "{sv}", "default", g_variant_new_boolean(is_default));
        return g_variant_builder_end(&details);
}

static gboolean handle_list_devices(BiogateManager *manager, GDBusMethodInvocation *invocation, BiogatedDaemon *daemon) {
        GPtrArray *all = biogated_devices_list(daemon->devices);
        FpDevice *used = biogated_devices_get_default(daemon->devices);
        GVariantBuilder list;

        biogated_daemon_touch(daemon);
        g_variant_builder_init(&list, G_VARIANT_TYPE("a(ssa{sv})"));
        for (guint i = 0; all && i < all->len; i++) {
                FpDevice *d = g_ptr_array_index(all, i);
                if (biogated_device_is_unplugged(d))
                        continue;
                g_variant_builder_add(&list, "(ss@a{sv})", fp_device_get_device_id(d), fp_device_get_name(d),
                                      device_details(d, d == used));
        }
        biogate_manager_complete_list_devices(manager, invocation, g_variant_builder_end(&list));
        return TRUE;
}

/* ---- ListFingers ---- */

static void list_fingers_authorized(GDBusMethodInvocation *invocation, const BiogatedCaller *caller, gpointer user_data) {
        CallArgs *args = user_data;
        g_autoptr(GError) error = NULL;
        guint mask = 0;

        if (!biogated_store_list_fingers(args->daemon->store, caller->target_uid, &mask, &error)) {
                g_dbus_method_invocation_return_gerror(invocation, error);
                return;
        }
        g_dbus_method_invocation_return_value(invocation, g_variant_new("(@as)", biogated_finger_names(mask)));
}

static gboolean handle_list_fingers(BiogateManager *manager, GDBusMethodInvocation *invocation, const char *user,
                                    BiogatedDaemon *daemon) {
        biogated_daemon_touch(daemon);
        biogated_caller_authorize(invocation, user, BIOGATED_ACTION_OWN_DATA, list_fingers_authorized, call_args_new(daemon), (GDestroyNotify) call_args_free);
        return TRUE;
}

/* ---- Enroll ---- */

static void enroll_authorized(GDBusMethodInvocation *invocation, const BiogatedCaller *caller, gpointer user_data) {
        CallArgs *args = user_data;

        /* A reload while polkit asked may have replaced the notice the
         * person agreed to: that consent is not to the one in force. */
        if (g_strcmp0(biogated_privacy_notice_version(args->daemon), args->notice_version) != 0) {
                g_dbus_method_invocation_return_error_literal(invocation, BIOGATE_DBUS_ERROR,
                                                              BIOGATE_ERROR_CONSENT_REQUIRED,
                                                              "The consent notice changed; show the current one "
                                                              "and ask again");
                return;
        }
        start_operation(invocation, args, caller, BIOGATED_OPERATION_ENROLL);
}

/* Without a notice nobody can consent: refused after the gate, so that
 * the refusal is audited with who asked, and the administrator sees
 * enrolments failing, not only the notice's own rejection. */
static void refuse_without_notice(GDBusMethodInvocation *invocation, BiogatedDaemon *daemon,
                                  const BiogatedCaller *caller, BiogatedAuditEvent event, const char *what) {
        g_autoptr(GError) error = NULL;
        g_autofree char *name = NULL;

        if (biogated_privacy_get_notice(daemon, &error))
                /* It loaded meanwhile: not the text the caller showed. */
                error = biogated_error_new(BIOGATE_ERROR_CONSENT_REQUIRED,
                                           "The consent notice changed; show the current one and ask again");
        name = g_dbus_error_encode_gerror(error);
        biogated_audit_refusal(daemon->audit, event,
                               &(BiogatedAuditInfo) { .outcome = "error", .user = caller->target_user,
                                                      .uid = caller->target_uid, .caller_uid = caller->uid,
                                                      .reason = name },
                               "%s of %s (uid %u) refused: %s", what, caller->target_user,
                               (unsigned) caller->target_uid, error->message);
        biogated_daemon_return_error_durable(daemon->writer, invocation, error);
}

static void enroll_refused_authorized(GDBusMethodInvocation *invocation, const BiogatedCaller *caller,
                                      gpointer user_data) {
        CallArgs *args = user_data;

        refuse_without_notice(invocation, args->daemon, caller, BIOGATED_AUDIT_ENROLL_FAILED, "Enrolment");
}

static gboolean handle_enroll(BiogateManager *manager, GDBusMethodInvocation *invocation, const char *user,
                              const char *finger, GVariant *options, BiogatedDaemon *daemon) {
        g_autoptr(CallArgs) args = call_args_new(daemon);
        g_autoptr(GError) error = NULL;
        const char *current;

        biogated_daemon_touch(daemon);
        args->finger = biogate_finger_from_name(finger);
        if (args->finger == BIOGATE_FINGER_INVALID)
                return return_error(invocation, BIOGATE_ERROR_INVALID_FINGER,
                                    "Unknown finger name; use e.g. right-index-finger");
        args->timeout_ms = ENROLL_TIMEOUT_MS_DEFAULT;
        if (!biogated_options_parse(options, enroll_options, args, &error)) {
                g_dbus_method_invocation_return_gerror(invocation, error);
                return TRUE;
        }
        current = biogated_privacy_notice_version(daemon);
        if (!current) {
                biogated_caller_authorize(invocation, user, BIOGATED_ACTION_ENROLL, enroll_refused_authorized,
                                          g_steal_pointer(&args), (GDestroyNotify) call_args_free);
                return TRUE;
        }
        /* No consent, no scan: checked before anything else happens. */
        if (!args->consent || !args->notice_version) {
                g_dbus_method_invocation_return_error(invocation, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_CONSENT_REQUIRED,
                                                      "Enrolment needs the options consent=true and notice-version "
                                                      "(the current notice is version %s)", current);
                return TRUE;
        }
        if (!g_str_equal(args->notice_version, current)) {
                g_dbus_method_invocation_return_error(invocation, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_CONSENT_REQUIRED,
                                                      "Consent was given to another version of the notice; show "
                                                      "the current one (version %s) and ask again", current);
                return TRUE;
        }
        biogated_caller_authorize(invocation, user, BIOGATED_ACTION_ENROLL, enroll_authorized, g_steal_pointer(&args), (GDestroyNotify) call_args_free);
        return TRUE;
}

/* ---- Verify ---- */

static void verify_authorized(GDBusMethodInvocation *invocation, const BiogatedCaller *caller, gpointer user_data) {
        start_operation(invocation, user_data, caller, BIOGATED_OPERATION_VERIFY);
}

static gboolean handle_verify(BiogateManager *manager, GDBusMethodInvocation *invocation, const char *user,
                              GVariant *options, BiogatedDaemon *daemon) {
        g_autoptr(CallArgs) args = call_args_new(daemon);
        g_autoptr(GError) error = NULL;

        biogated_daemon_touch(daemon);
        args->timeout_ms = VERIFY_TIMEOUT_MS_DEFAULT;
        if (!biogated_options_parse(options, verify_options, args, &error)) {
                g_dbus_method_invocation_return_gerror(invocation, error);
                return TRUE;
        }
        biogated_caller_authorize(invocation, user, BIOGATED_ACTION_VERIFY, verify_authorized, g_steal_pointer(&args), (GDestroyNotify) call_args_free);
        return TRUE;
}

/* ---- DeleteFingers ---- */

/* Answered once the deletion and its audit events are durable. */
static void on_fingers_deleted(GDBusMethodInvocation *invocation, const GError *error, gpointer user_data) {
        BiogatedDaemon *daemon = user_data;

        if (error)
                g_dbus_method_invocation_return_gerror(invocation, error);
        else
                biogated_daemon_return_durable(daemon->writer, invocation, NULL);
}

static void delete_authorized(GDBusMethodInvocation *invocation, const BiogatedCaller *caller, gpointer user_data) {
        CallArgs *args = user_data;
        g_autoptr(GError) error = NULL;
        guint mask = 0, wanted;

        if (!biogated_store_list_fingers(args->daemon->store, caller->target_uid, &mask, &error)) {
                g_dbus_method_invocation_return_gerror(invocation, error);
                return;
        }
        wanted = args->finger_mask ? args->finger_mask : mask;
        /* All or nothing: a typo must not leave half the list deleted. */
        if ((wanted & mask) != wanted) {
                return_error(invocation, BIOGATE_ERROR_NO_ENROLLED_PRINTS, "A named finger is not enrolled");
                return;
        }
        biogated_delete_fingers(args->daemon, invocation, caller, wanted, on_fingers_deleted, args->daemon);
}

static gboolean handle_delete_fingers(BiogateManager *manager, GDBusMethodInvocation *invocation, const char *user,
                                      const char *const *fingers, BiogatedDaemon *daemon) {
        g_autoptr(CallArgs) args = call_args_new(daemon);
        g_autoptr(GError) error = NULL;

        biogated_daemon_touch(daemon);
        if (!biogated_finger_mask_from_names(fingers, &args->finger_mask, &error)) {
                g_dbus_method_invocation_return_gerror(invocation, error);
                return TRUE;
        }
        biogated_caller_authorize(invocation, user, BIOGATED_ACTION_OWN_DATA, delete_authorized, g_steal_pointer(&args), (GDestroyNotify) call_args_free);
        return TRUE;
}

/* ---- GetMyData, GetUserData ---- */

static void user_data_authorized(GDBusMethodInvocation *invocation, const BiogatedCaller *caller, gpointer user_data) {
        BiogatedDaemon *daemon = user_data;
        g_autoptr(GError) error = NULL;
        GVariant *data = biogated_privacy_collect_user_data(daemon, caller->target_uid, caller->target_user, &error);

        if (!data) {
                g_dbus_method_invocation_return_gerror(invocation, error);
                return;
        }
        /* It reads the failure counters as the next check does, with
         * records not yet durable: a failed touch that brought a delay
         * shows as locked-out here. Like the result of that touch, the
         * answer waits until what it says is durable. */
        biogated_daemon_return_durable(daemon->writer, invocation, g_variant_new("(@a{sv})", data));
}

static gboolean handle_get_my_data(BiogateManager *manager, GDBusMethodInvocation *invocation, BiogatedDaemon *daemon) {
        biogated_daemon_touch(daemon);
        biogated_caller_authorize(invocation, "", BIOGATED_ACTION_OWN_DATA, user_data_authorized, daemon, NULL);
        return TRUE;
}

static gboolean handle_get_user_data(BiogateManager *manager, GDBusMethodInvocation *invocation, const char *user,
                                     BiogatedDaemon *daemon) {
        biogated_daemon_touch(daemon);
        biogated_caller_authorize(invocation, user, BIOGATED_ACTION_OWN_DATA, user_data_authorized, daemon, NULL);
        return TRUE;
}

/* ---- EraseUser ---- */

typedef struct EraseCall {
        BiogatedDaemon *daemon;
        GDBusMethodInvocation *invocation;
} EraseCall;

static void on_erased(GObject *source, GAsyncResult *res, gpointer user_data) {
        g_autofree EraseCall *call = user_data;
        g_autoptr(GDBusMethodInvocation) invocation = call->invocation;
        g_autoptr(GError) error = NULL;
        GVariant *erased = biogated_privacy_erase_user_finish(res, &error);

        /* After the erasure's audit event is saved and sent. */
        if (!erased) {
                biogated_daemon_return_error_durable(call->daemon->writer, invocation, error);
                return;
        }
        biogated_daemon_return_durable(call->daemon->writer, invocation, g_variant_new("(@a{sv})", erased));
}

static void erase_authorized(GDBusMethodInvocation *invocation, const BiogatedCaller *caller, gpointer user_data) {
        BiogatedDaemon *daemon = user_data;
        EraseCall *call = g_new0(EraseCall, 1);

        *call = (EraseCall) { .daemon = daemon, .invocation = g_object_ref(invocation) };
        biogated_privacy_erase_user_async(daemon->store, daemon->audit, caller->target_uid, caller->target_user, caller->uid,
                                          on_erased, call);
}

static gboolean handle_erase_user(BiogateManager *manager, GDBusMethodInvocation *invocation, const char *user,
                                  BiogatedDaemon *daemon) {
        biogated_daemon_touch(daemon);
        biogated_caller_authorize(invocation, user, BIOGATED_ACTION_OWN_DATA, erase_authorized, daemon, NULL);
        return TRUE;
}

/* ---- RecordConsent, WithdrawConsent ---- */

/* A standing consent on its way through the writer: consent the person
 * gives themself ahead of an enrolment through an API that cannot carry it
 * (biogated-privacy.h). */
typedef struct ConsentCall {
        BiogatedDaemon *daemon;
        GDBusMethodInvocation *invocation;
        uid_t uid;
        char *user;
        char *notice_version;   /* NULL: a withdrawal */
        gint64 now;
        gboolean changed;       /* written on the writer thread, read in done */
} ConsentCall;

static void consent_call_free(ConsentCall *c) {
        g_clear_object(&c->invocation);
        g_free(c->user);
        g_free(c->notice_version);
        g_free(c);
}

/* On the writer thread. */
static gboolean write_standing_consent(gpointer data, GError **error) {
        ConsentCall *c = data;

        return biogated_privacy_write_standing_consent(c->daemon->store, c->uid, c->notice_version, c->now,
                                                       &c->changed, error);
}

static void on_standing_consent_written(const GError *error, gpointer user_data) {
        ConsentCall *c = user_data;
        BiogatedAudit *audit = c->daemon->audit;
        BiogatedAuditInfo info = { .user = c->user, .uid = c->uid, .caller_uid = c->uid };

        if (error) {
                info.outcome = "error";
                info.reason = error->message;
                biogated_audit(audit, c->notice_version ? BIOGATED_AUDIT_STANDING_CONSENT
                                                        : BIOGATED_AUDIT_CONSENT_WITHDRAWN,
                               &info, "Cannot %s the standing consent of %s (uid %u): %s",
                               c->notice_version ? "record" : "withdraw", c->user, (unsigned) c->uid, error->message);
                biogated_daemon_return_error_durable(c->daemon->writer, c->invocation, error);
        } else if (c->notice_version) {
                info.reason = c->notice_version;
                biogated_audit(audit, BIOGATED_AUDIT_STANDING_CONSENT, &info,
                               "Standing consent of %s (uid %u) to notice version %s recorded, given by the user "
                               "for enrolments to come", c->user, (unsigned) c->uid, c->notice_version);
                biogated_daemon_return_durable(c->daemon->writer, c->invocation, NULL);
        } else if (c->changed) {
                biogated_audit(audit, BIOGATED_AUDIT_CONSENT_WITHDRAWN, &info,
                               "Standing consent of %s (uid %u) withdrawn by the user; enrolled prints stay",
                               c->user, (unsigned) c->uid);
                biogated_daemon_return_durable(c->daemon->writer, c->invocation, NULL);
        } else {
                /* Nothing changed, and anyone may ask again at once. */
                info.reason = "nothing to withdraw";
                biogated_audit_refusal(audit, BIOGATED_AUDIT_CONSENT_WITHDRAWN, &info,
                                       "No standing consent of %s (uid %u) to withdraw", c->user, (unsigned) c->uid);
                biogated_daemon_return_durable(c->daemon->writer, c->invocation, NULL);
        }
        consent_call_free(c);
}

static void write_consent(GDBusMethodInvocation *invocation, BiogatedDaemon *daemon, const BiogatedCaller *caller,
                          const char *notice_version) {
        ConsentCall *c = g_new0(ConsentCall, 1);

        *c = (ConsentCall) { .daemon = daemon, .invocation = g_object_ref(invocation), .uid = caller->target_uid,
                             .user = g_strdup(caller->target_user), .notice_version = g_strdup(notice_version),
                             .now = g_get_real_time() / G_USEC_PER_SEC };
        biogated_writer_run(daemon->writer, write_standing_consent, c, NULL, on_standing_consent_written, c);
}

static void record_consent_authorized(GDBusMethodInvocation *invocation, const BiogatedCaller *caller,
                                      gpointer user_data) {
        CallArgs *args = user_data;
        const char *current = biogated_privacy_notice_version(args->daemon);

        if (!current) {
                refuse_without_notice(invocation, args->daemon, caller, BIOGATED_AUDIT_STANDING_CONSENT,
                                      "Standing consent");
                return;
        }
        /* Checked here, not before the gate: a refusal is audited, and the
         * audit names who asked. The version the caller sent stays out of
         * the event: it is any string. */
        if (!g_str_equal(args->notice_version, current)) {
                g_autoptr(GError) error = biogated_error_new(BIOGATE_ERROR_CONSENT_REQUIRED,
                                                             "Consent was given to another version of the notice; "
                                                             "show the current one (version %s) and ask again",
                                                             current);

                biogated_audit_refusal(args->daemon->audit, BIOGATED_AUDIT_STANDING_CONSENT,
                                       &(BiogatedAuditInfo) { .outcome = "denied", .user = caller->target_user,
                                                              .uid = caller->target_uid, .caller_uid = caller->uid,
                                                              .reason = "org.biogate1.Error.ConsentRequired" },
                                       "Standing consent of %s (uid %u) refused: not to the current notice "
                                       "(version %s)", caller->target_user, (unsigned) caller->target_uid, current);
                biogated_daemon_return_error_durable(args->daemon->writer, invocation, error);
                return;
        }
        write_consent(invocation, args->daemon, caller, args->notice_version);
}

static gboolean handle_get_consent_notice(BiogateManager *manager, GDBusMethodInvocation *invocation,
                                          const char *language, BiogatedDaemon *daemon) {
        g_autoptr(GError) error = NULL;
        const BiogatedNotice *notice;
        const char *served = NULL, *text;

        biogated_daemon_touch(daemon);
        if (strlen(language) > 64)
                return return_error(invocation, BIOGATE_ERROR_INVALID_ARGUMENT,
                                    "The language is a locale name of at most 64 bytes");
        notice = biogated_privacy_get_notice(daemon, &error);
        if (!notice) {
                g_dbus_method_invocation_return_gerror(invocation, error);
                return TRUE;
        }
        text = biogated_notice_lookup(notice, language, &served);
        biogate_manager_complete_get_consent_notice(manager, invocation, biogated_notice_get_version(notice), served,
                                                    text);
        return TRUE;
}

static gboolean handle_record_consent(BiogateManager *manager, GDBusMethodInvocation *invocation,
                                      const char *notice_version, BiogatedDaemon *daemon) {
        g_autoptr(CallArgs) args = call_args_new(daemon);

        biogated_daemon_touch(daemon);
        args->notice_version = g_strdup(notice_version);
        /* Always "": consent is given by the person, for themself; nobody
         * records it for someone else, root included. */
        biogated_caller_authorize(invocation, "", BIOGATED_ACTION_ENROLL, record_consent_authorized,
                                  g_steal_pointer(&args), (GDestroyNotify) call_args_free);
        return TRUE;
}

static void withdraw_consent_authorized(GDBusMethodInvocation *invocation, const BiogatedCaller *caller,
                                        gpointer user_data) {
        write_consent(invocation, user_data, caller, NULL);
}

static gboolean handle_withdraw_consent(BiogateManager *manager, GDBusMethodInvocation *invocation,
                                        BiogatedDaemon *daemon) {
        biogated_daemon_touch(daemon);
        /* One's own data: withdrawing never needs a permission. */
        biogated_caller_authorize(invocation, "", BIOGATED_ACTION_OWN_DATA, withdraw_consent_authorized, daemon,
                                  NULL);
        return TRUE;
}

/* ---- Unlock, Reload (org.biogate1.manage) ---- */

/* TRUE, with the call refused, unless the gate found the caller may
 * manage. */
static gboolean refused_unless_manager(GDBusMethodInvocation *invocation, const BiogatedCaller *caller,
                                       const char *message) {
        if (caller->may_manage)
                return FALSE;
        return return_error(invocation, BIOGATE_ERROR_PERMISSION_DENIED, message);
}

typedef struct UnlockCall {
        BiogatedDaemon *daemon;
        GDBusMethodInvocation *invocation;
        uid_t uid, by;
        char *user;
} UnlockCall;

static void on_unlocked(const GError *error, gpointer user_data) {
        UnlockCall *call = user_data;

        if (error) {
                g_dbus_method_invocation_return_gerror(call->invocation, error);
        } else {
                biogated_audit(call->daemon->audit, BIOGATED_AUDIT_UNLOCK,
                               &(BiogatedAuditInfo) { .user = call->user, .uid = call->uid, .caller_uid = call->by,
                                                      .reason = "administrator" },
                               "Biometrics of %s (uid %u) unlocked by uid %u", call->user, (unsigned) call->uid,
                               (unsigned) call->by);
                biogated_daemon_return_durable(call->daemon->writer, call->invocation, NULL);
        }
        g_object_unref(call->invocation);
        g_free(call->user);
        g_free(call);
}

static void unlock_authorized(GDBusMethodInvocation *invocation, const BiogatedCaller *caller, gpointer user_data) {
        BiogatedDaemon *daemon = user_data;
        UnlockCall *call;

        /* The gate asked for manage; a lockout is never lifted without it. */
        if (refused_unless_manager(invocation, caller, "Only an administrator may unlock biometrics"))
                return;
        call = g_new0(UnlockCall, 1);
        *call = (UnlockCall) { .daemon = daemon, .invocation = g_object_ref(invocation), .uid = caller->target_uid,
                               .by = caller->uid, .user = g_strdup(caller->target_user) };
        biogated_limits_unlock(daemon->limits, caller->target_uid, on_unlocked, call);
}

static gboolean handle_unlock(BiogateManager *manager, GDBusMethodInvocation *invocation, const char *user,
                              BiogatedDaemon *daemon) {
        biogated_daemon_touch(daemon);
        if (!*user)
                return return_error(invocation, BIOGATE_ERROR_INVALID_ARGUMENT, "Name the user to unlock");
        biogated_caller_authorize(invocation, user, BIOGATED_ACTION_MANAGE, unlock_authorized, daemon, NULL);
        return TRUE;
}

static void reload_authorized(GDBusMethodInvocation *invocation, const BiogatedCaller *caller, gpointer user_data) {
        BiogatedDaemon *daemon = user_data;
        g_autoptr(GError) error = NULL, notice_error = NULL;
        gboolean policy_ok, notice_ok;

        if (refused_unless_manager(invocation, caller, "Only an administrator may reload the policy"))
                return;
        /* Both, whatever the other does; either way after their audit
         * events (policy-loaded or -rejected, consent-notice-loaded or
         * -rejected). The policy's error first: it is the older contract. */
        policy_ok = biogated_stepup_reload_policy(daemon, caller->uid, &error);
        notice_ok = biogated_privacy_load_notice(daemon, caller->uid, TRUE, &notice_error);
        if (!policy_ok) {
                g_autoptr(GError) unavailable = g_error_new(BIOGATE_DBUS_ERROR, BIOGATE_ERROR_POLICY_UNAVAILABLE,
                                                            "%s", error->message);

                biogated_daemon_return_error_durable(daemon->writer, invocation, unavailable);
                return;
        }
        if (!notice_ok) {
                g_autoptr(GError) unavailable = g_error_new(BIOGATE_DBUS_ERROR, BIOGATE_ERROR_CONSENT_NOTICE,
                                                            "The step-up policy was reloaded, but the consent notice "
                                                            "was not, so enrolment is refused: %s",
                                                            notice_error->message);

                biogated_daemon_return_error_durable(daemon->writer, invocation, unavailable);
                return;
        }
        biogated_daemon_return_durable(daemon->writer, invocation, NULL);
}

static gboolean handle_reload(BiogateManager *manager, GDBusMethodInvocation *invocation, BiogatedDaemon *daemon) {
        biogated_daemon_touch(daemon);
        biogated_caller_authorize(invocation, "", BIOGATED_ACTION_MANAGE, reload_authorized, daemon, NULL);
        return TRUE;
}

gboolean biogated_manager_export(BiogatedDaemon *daemon, GError **error) {
        daemon->manager = biogate_manager_skeleton_new();
        biogate_manager_set_version(daemon->manager, BIOGATE_API_VERSION);
        g_signal_connect(daemon->manager, "handle-list-devices", G_CALLBACK(handle_list_devices), daemon);
        g_signal_connect(daemon->manager, "handle-list-fingers", G_CALLBACK(handle_list_fingers), daemon);
        g_signal_connect(daemon->manager, "handle-enroll", G_CALLBACK(handle_enroll), daemon);
        g_signal_connect(daemon->manager, "handle-verify", G_CALLBACK(handle_verify), daemon);
        g_signal_connect(daemon->manager, "handle-delete-fingers", G_CALLBACK(handle_delete_fingers), daemon);
        g_signal_connect(daemon->manager, "handle-get-my-data", G_CALLBACK(handle_get_my_data), daemon);
        g_signal_connect(daemon->manager, "handle-get-user-data", G_CALLBACK(handle_get_user_data), daemon);
        g_signal_connect(daemon->manager, "handle-erase-user", G_CALLBACK(handle_erase_user), daemon);
        g_signal_connect(daemon->manager, "handle-record-consent", G_CALLBACK(handle_record_consent), daemon);
        g_signal_connect(daemon->manager, "handle-get-consent-notice", G_CALLBACK(handle_get_consent_notice),
                         daemon);
        g_signal_connect(daemon->manager, "handle-withdraw-consent", G_CALLBACK(handle_withdraw_consent), daemon);
        g_signal_connect(daemon->manager, "handle-unlock", G_CALLBACK(handle_unlock), daemon);
        g_signal_connect(daemon->manager, "handle-reload", G_CALLBACK(handle_reload), daemon);
        return g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(daemon->manager), daemon->connection,
                                                BIOGATE_OBJECT_PATH, error);
}
