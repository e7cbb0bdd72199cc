/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* net.reactivated.Fprint, fprintd's API, served by biogated: the Manager,
 * the Device and its claims. Each call goes through the same gate as
 * org.biogate1 (biogated-caller.c, with fprintd's polkit ids), each
 * verification or enrolment is a biogate operation started by
 * biogated-start.c, each deletion is biogated-delete.c's. Only the names
 * and the words are fprintd's (biogated-fprint-status.c).
 *
 * Claims are per client, not per device: fprintd lets one client at a time
 * hold the sensor, which a login at gdm would wait behind while the
 * Settings panel is open; here each client holds its own claim and the
 * operations queue for the sensor as org.biogate1's do. The objects are
 * dispatched by hand rather than through generated skeletons, because a
 * skeleton broadcasts its signals and property changes, and ours go to the
 * claiming client alone. */
#include "config.h"

#include "biogated-fprint.h"

#include "biogate-bus.h"
#include "biogated-agent.h"
#include "biogated-args.h"
#include "biogated-caller.h"
#include "biogated-delete.h"
#include "biogated-error.h"
#include "biogated-fprint-dbus.h"
#include "biogated-fprint-status.h"
#include "biogated-privacy.h"
#include "biogated-session.h"
#include "biogated-start.h"

#define FPRINT_DEVICE_INTERFACE "net.reactivated.Fprint.Device"
#define FPRINT_MANAGER_INTERFACE "net.reactivated.Fprint.Manager"

typedef enum ClaimAction {
        CLAIM_IDLE,
        CLAIM_VERIFY,
        CLAIM_ENROLL,
        CLAIM_DELETE,
} ClaimAction;

/* One client's claim of the device, for one user. Reference counted: a
 * call in flight (the gate, logind, the start) and an operation's observer
 * may outlive the claim's place in the table; gone says it has ended. */
typedef struct Claim {
        gint refs;
        BiogatedFprint *fprint;
        char *sender;
        BiogatedCaller caller;          /* target_user owned */
        guint watch_id;                 /* the client leaving the bus */
        gboolean gone;
        ClaimAction action;             /* until the matching Stop, as fprintd */
        guint serial;                   /* of the action; a Stop moves it on */
        BiogatedOperation *op;          /* the running or ended operation of action */
        gboolean finger_needed;
} Claim;

struct BiogatedFprint {
        BiogatedDaemon *daemon;
        GDBusConnection *connection;
        guint manager_id;
        guint device_id;
        guint name_id;
        GHashTable *claims;             /* sender → Claim (a reference) */
};

static Claim *claim_ref(Claim *c) {
        c->refs++;
        return c;
}

static void claim_unref(Claim *c) {
        if (!c || --c->refs > 0)
                return;
        g_assert(!c->op);
        g_free(c->sender);
        g_free(c->caller.target_user);
        g_free(c);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Claim, claim_unref)

/* ---- replies and signals ---- */

static void return_fprint_error(GDBusMethodInvocation *invocation, BiogatedFprintError code, const char *message) {
        g_dbus_method_invocation_return_error_literal(invocation, BIOGATED_FPRINT_ERROR, code, message);
}

static void return_mapped_error(GDBusMethodInvocation *invocation, const GError *error) {
        g_autoptr(GError) mapped = biogated_fprint_error_from_biogate(error);

        g_dbus_method_invocation_return_gerror(invocation, mapped);
}

/* Unicast: fprintd broadcasts these, which tells every process on the bus
 * when someone touches the sensor and whether it matched. */
static void emit_to_claimer(Claim *c, const char *member, GVariant *params) {
        g_autoptr(GError) error = NULL;

        if (c->gone) {
                g_variant_unref(g_variant_ref_sink(params));
                return;
        }
        if (!g_dbus_connection_emit_signal(c->fprint->connection, c->sender, BIOGATED_FPRINT_DEVICE_PATH,
                                           FPRINT_DEVICE_INTERFACE, member, params, &error))
                g_debug("Cannot send %s to %s: %s", member, c->sender, error->message);
}

static void set_finger_needed(Claim *c, gboolean needed) {
        GVariantBuilder changed;

        if (c->finger_needed == needed || c->gone)
                return;
        c->finger_needed = needed;
        g_variant_builder_init(&changed, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add(&changed, "{sv}", "finger-needed", g_variant_new_boolean(needed));
        (void) g_dbus_connection_emit_signal(c->fprint->connection, c->sender, BIOGATED_FPRINT_DEVICE_PATH,
                                             "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                             g_variant_new("(sa{sv}as)", FPRINT_DEVICE_INTERFACE, &changed, NULL),
                                             NULL);
}

/* ---- the operations of a claim ---- */

static const char *status_signal(ClaimAction action) {
        return action == CLAIM_ENROLL ? "EnrollStatus" : "VerifyStatus";
}

static BiogatedOperationKind operation_kind(ClaimAction action) {
        return action == CLAIM_ENROLL ? BIOGATED_OPERATION_ENROLL : BIOGATED_OPERATION_VERIFY;
}

static void on_op_progress(BiogatedOperation *op, const char *status, GVariant *details, gpointer user_data) {
        Claim *c = user_data;
        const char *reason = NULL;

        if (c->gone || c->op != op)
                return;
        /* finger-needed is TRUE while the sensor waits for a touch, FALSE
         * while one is being read and checked, as libfprint's finger status
         * makes it for fprintd: a client can tell when to ask again. */
        if (g_str_equal(status, "finger-needed"))
                set_finger_needed(c, TRUE);
        else if (g_str_equal(status, "retry-scan") || g_str_equal(status, "stage-passed") ||
                 g_str_equal(status, "checking-duplicates"))
                set_finger_needed(c, FALSE);

        if (g_str_equal(status, "retry-scan")) {
                (void) g_variant_lookup(details, "reason", "&s", &reason);
                emit_to_claimer(c, status_signal(c->action),
                                g_variant_new("(sb)", biogated_fprint_retry_status(operation_kind(c->action), reason),
                                              FALSE));
        } else if (g_str_equal(status, "stage-passed") && c->action == CLAIM_ENROLL) {
                guint32 stage = 0, stages = 0;

                /* As fprintd: the last stage is told by enroll-completed alone,
                 * so that clients counting stages (GNOME Settings' progress
                 * bar, KDE's) reach the end with it, not a touch before. */
                (void) g_variant_lookup(details, "stage", "u", &stage);
                (void) g_variant_lookup(details, "stages", "u", &stages);
                if (stage < stages)
                        emit_to_claimer(c, "EnrollStatus", g_variant_new("(sb)", "enroll-stage-passed", FALSE));
        }
}

static void claim_drop_op(Claim *c) {
        g_autoptr(BiogatedOperation) op = g_steal_pointer(&c->op);

        if (!op)
                return;
        biogated_operation_detach_observer(op);
        /* Cancelled if it still runs; gone from the bus either way. */
        biogated_operation_release(op);
}

static void on_op_finished(BiogatedOperation *op, const char *result, GVariant *details, gpointer user_data) {
        Claim *c = user_data;
        const char *error_name = NULL, *status;

        if (c->gone || c->op != op)
                return;
        set_finger_needed(c, FALSE);
        (void) g_variant_lookup(details, "error", "&s", &error_name);
        status = biogated_fprint_result_status(operation_kind(c->action), result, error_name);
        if (status)
                emit_to_claimer(c, status_signal(c->action), g_variant_new("(sb)", status, TRUE));
        /* The action stays until the client's Stop, as with fprintd. */
        claim_drop_op(c);
}

static const BiogatedOperationObserver claim_observer = {
        .progress = on_op_progress,
        .finished = on_op_finished,
};

/* ---- the claims ---- */

static Claim *claim_of(BiogatedFprint *fprint, const char *sender) {
        return sender ? g_hash_table_lookup(fprint->claims, sender) : NULL;
}

/* Ends a claim: its operation cancelled, its place in the table gone. */
static void claim_end(Claim *c) {
        BiogatedFprint *fprint = c->fprint;
        g_autoptr(Claim) self = claim_ref(c);

        if (c->gone)
                return;
        claim_drop_op(c);
        c->gone = TRUE;
        g_clear_handle_id(&c->watch_id, g_bus_unwatch_name);
        g_hash_table_remove(fprint->claims, c->sender);
        biogated_daemon_touch(fprint->daemon);
}

static void on_claimer_vanished(GDBusConnection *connection, const char *name, gpointer user_data) {
        Claim *c = user_data;

        g_debug("Client %s left the bus: its claim ends", name);
        claim_end(c);
}

/* The calling client's claim, or NULL with the call refused. */
static Claim *claimed_or_refuse(BiogatedFprint *fprint, GDBusMethodInvocation *invocation) {
        Claim *c = claim_of(fprint, g_dbus_method_invocation_get_sender(invocation));

        if (!c)
                return_fprint_error(invocation, BIOGATED_FPRINT_ERROR_CLAIM_DEVICE,
                                    "Claim the device first (Claim), for the user to act on");
        return c;
}

/* The finger named by the call's only argument, or INVALID with the call
 * refused. */
static BiogateFinger finger_or_refuse(GDBusMethodInvocation *invocation, GVariant *parameters) {
        const char *finger_name;
        BiogateFinger finger;

        g_variant_get(parameters, "(&s)", &finger_name);
        finger = biogate_finger_from_name(finger_name);
        if (finger == BIOGATE_FINGER_INVALID)
                return_fprint_error(invocation, BIOGATED_FPRINT_ERROR_INVALID_FINGERNAME,
                                    "Unknown finger name; use e.g. right-index-finger");
        return finger;
}

static gboolean refuse_if_busy(Claim *c, GDBusMethodInvocation *invocation) {
        if (c->action == CLAIM_IDLE)
                return FALSE;
        return_fprint_error(invocation, BIOGATED_FPRINT_ERROR_ALREADY_IN_USE,
                            "An action of this claim has not been stopped yet");
        return TRUE;
}

/* A call that went through the gate for a claim: the claim and the action
 * it was made for, to see on return whether both still stand. */
typedef struct ClaimCall {
        Claim *claim;
        guint serial;
        BiogateFinger finger;
        guint finger_mask;
} ClaimCall;

static ClaimCall *claim_call_new(Claim *c) {
        ClaimCall *call = g_new0(ClaimCall, 1);

        call->claim = claim_ref(c);
        call->serial = c->serial;
        return call;
}

static void claim_call_free(ClaimCall *call) {
        claim_unref(call->claim);
        g_free(call);
}

/* The gate frees its call when it returns; what goes on asynchronously
 * (the start, the deletion) takes a copy. */
static ClaimCall *claim_call_copy(const ClaimCall *call) {
        ClaimCall *copy = g_memdup2(call, sizeof *call);

        claim_ref(copy->claim);
        return copy;
}

static gboolean claim_call_stands(const ClaimCall *call) {
        return !call->claim->gone && call->claim->serial == call->serial;
}

/* The action a call started is over before it began (refused, or the
 * claim ended or was stopped meanwhile). */
static void claim_action_failed(ClaimCall *call, GDBusMethodInvocation *invocation, const GError *error) {
        if (claim_call_stands(call)) {
                call->claim->action = CLAIM_IDLE;
                call->claim->serial++;
        }
        return_mapped_error(invocation, error);
}

static void on_claim_call_denied(GDBusMethodInvocation *invocation, const GError *error, gpointer user_data) {
        claim_action_failed(user_data, invocation, error);
}

/* ---- Claim, Release ---- */

static guint claims_of_uid(BiogatedFprint *fprint, uid_t uid) {
        GHashTableIter iter;
        gpointer value;
        guint n = 0;

        g_hash_table_iter_init(&iter, fprint->claims);
        while (g_hash_table_iter_next(&iter, NULL, &value))
                if (((Claim *) value)->caller.uid == uid)
                        n++;
        return n;
}

static void on_claim_authorized(GDBusMethodInvocation *invocation, const BiogatedCaller *caller, gpointer user_data) {
        BiogatedFprint *fprint = user_data;
        const char *sender = g_dbus_method_invocation_get_sender(invocation);
        Claim *c;

        /* Two Claim calls of one client may have passed the gate together. */
        if (claim_of(fprint, sender)) {
                return_fprint_error(invocation, BIOGATED_FPRINT_ERROR_ALREADY_IN_USE,
                                    "This client holds a claim already");
                return;
        }
        /* Counted here, after the gate: claims of one uid may pass it together. */
        if (caller->uid != 0 && claims_of_uid(fprint, caller->uid) >= BIOGATED_FPRINT_CLAIMS_MAX_PER_UID) {
                g_dbus_method_invocation_return_error(invocation, BIOGATED_FPRINT_ERROR,
                                                      BIOGATED_FPRINT_ERROR_ALREADY_IN_USE,
                                                      "Other clients of this user hold %u claims already; release "
                                                      "one first", BIOGATED_FPRINT_CLAIMS_MAX_PER_UID);
                return;
        }
        c = g_new0(Claim, 1);
        *c = (Claim) { .refs = 1, .fprint = fprint, .sender = g_strdup(sender), .caller = *caller };
        c->caller.target_user = g_strdup(caller->target_user);
        g_hash_table_insert(fprint->claims, c->sender, c);
        c->watch_id = g_bus_watch_name_on_connection(fprint->connection, sender, G_BUS_NAME_WATCHER_FLAGS_NONE, NULL,
                                                     on_claimer_vanished, c, NULL);
        g_debug("%s (uid %u) claimed the device for %s", sender, (unsigned) caller->uid, caller->target_user);
        biogated_daemon_touch(fprint->daemon);
        g_dbus_method_invocation_return_value(invocation, NULL);
}

static void on_plain_denied(GDBusMethodInvocation *invocation, const GError *error, gpointer user_data) {
        return_mapped_error(invocation, error);
}

static void handle_claim(BiogatedFprint *fprint, GDBusMethodInvocation *invocation, GVariant *parameters) {
        const char *username;

        g_variant_get(parameters, "(&s)", &username);
        if (claim_of(fprint, g_dbus_method_invocation_get_sender(invocation))) {
                return_fprint_error(invocation, BIOGATED_FPRINT_ERROR_ALREADY_IN_USE,
                                    "This client holds a claim already");
                return;
        }
        if (!biogated_devices_get_default(fprint->daemon->devices)) {
                return_fprint_error(invocation, BIOGATED_FPRINT_ERROR_NO_SUCH_DEVICE, "No fingerprint sensor is present");
                return;
        }
        biogated_caller_authorize_full(invocation, username, BIOGATED_ACTION_FPRINT_VERIFY, on_claim_authorized,
                                       on_plain_denied, fprint, NULL);
}

static void handle_release(BiogatedFprint *fprint, GDBusMethodInvocation *invocation) {
        Claim *c = claimed_or_refuse(fprint, invocation);

        if (!c)
                return;
        claim_end(c);
        g_dbus_method_invocation_return_value(invocation, NULL);
}

/* ---- VerifyStart, EnrollStart, the Stops ---- */

static void on_started(GDBusMethodInvocation *invocation, BiogatedOperation *op, const GError *error,
                       gpointer user_data) {
        ClaimCall *call = user_data;
        Claim *c = call->claim;

        if (!op) {
                claim_action_failed(call, invocation, error);
                return;
        }
        if (!claim_call_stands(call)) {
                /* Stopped or released while it was being started. */
                biogated_operation_detach_observer(op);
                biogated_operation_release(op);
                return_fprint_error(invocation, BIOGATED_FPRINT_ERROR_NO_ACTION_IN_PROGRESS,
                                    "The action was stopped before it started");
                return;
        }
        c->op = g_object_ref(op);
        g_dbus_method_invocation_return_value(invocation, NULL);
        if (c->action == CLAIM_VERIFY)
                /* Every finger named is compared at once: "any" unless one was. */
                emit_to_claimer(c, "VerifyFingerSelected",
                                g_variant_new("(s)", call->finger_mask ? biogate_finger_to_name(call->finger) : "any"));
}

/* standing: the consent was recorded beforehand (RecordConsent), not
 * given for this enrolment. */
static void start_claim_operation(GDBusMethodInvocation *invocation, const BiogatedCaller *caller, ClaimCall *call,
                                  const char *notice_version, gboolean standing) {
        Claim *c = call->claim;
        BiogatedStartRequest request = {
                .kind = operation_kind(c->action),
                .finger = call->finger,
                .finger_mask = call->finger_mask,
                .timeout_ms = BIOGATED_OPERATION_USER_TIMEOUT_MS_MAX,
                /* fprintd's API does not say which PAM service asks; root's
                 * verifications through it are pam_fprintd's (gdm, sudo,
                 * login), so they are logins with this service name in the
                 * audit trail (biogated-start.c decides from the session). */
                .service = c->action == CLAIM_VERIFY && caller->uid == 0 ? "fprintd-api" : NULL,
                .notice_version = notice_version,
                .standing_consent = c->action == CLAIM_ENROLL && standing,
                .observer = &claim_observer,
                .observer_data = c,
        };

        /* The observer borrows the claim: the call's reference keeps it
         * until on_started, and claim_drop_op() detaches it after. */
        biogated_start_operation(c->fprint->daemon, invocation, caller, &request, on_started, call,
                                 (GDestroyNotify) claim_call_free);
}

static void on_verify_authorized(GDBusMethodInvocation *invocation, const BiogatedCaller *caller,
                                 gpointer user_data) {
        ClaimCall *call = user_data;

        if (!claim_call_stands(call)) {
                return_fprint_error(invocation, BIOGATED_FPRINT_ERROR_NO_ACTION_IN_PROGRESS,
                                    "The action was stopped before it started");
                return;
        }
        start_claim_operation(invocation, caller, claim_call_copy(call), NULL, FALSE);
}

static void handle_verify_start(BiogatedFprint *fprint, GDBusMethodInvocation *invocation, GVariant *parameters) {
        Claim *c = claimed_or_refuse(fprint, invocation);
        const char *finger_name;
        ClaimCall *call;

        if (!c || refuse_if_busy(c, invocation))
                return;
        g_variant_get(parameters, "(&s)", &finger_name);
        call = claim_call_new(c);
        if (finger_name[0] && !g_str_equal(finger_name, "any")) {
                call->finger = biogate_finger_from_name(finger_name);
                if (call->finger == BIOGATE_FINGER_INVALID) {
                        return_fprint_error(invocation, BIOGATED_FPRINT_ERROR_INVALID_FINGERNAME,
                                            "Unknown finger name; use e.g. right-index-finger, or any");
                        claim_call_free(call);
                        return;
                }
                call->finger_mask = 1u << call->finger;
        }
        c->action = CLAIM_VERIFY;
        call->serial = ++c->serial;
        /* The gate again: a claim is no permission for what follows, and
         * polkit's answer may have changed (fprintd asks per call too). */
        biogated_caller_authorize_full(invocation, c->caller.target_user, BIOGATED_ACTION_FPRINT_VERIFY,
                                       on_verify_authorized, on_claim_call_denied, call,
                                       (GDestroyNotify) claim_call_free);
}

/* ---- Consent in the session's approval agent ---- */

/* An EnrollStart without consent on record, from a session whose approval
 * agent runs as the user to enrol: the agent shows the daemon's notice and
 * the person agrees there or not. */
typedef struct AgentConsent {
        ClaimCall *call;
        GDBusMethodInvocation *invocation;
        BiogatedCaller caller;          /* target_user owned */
        char *notice_version;           /* the one the agent shows */
} AgentConsent;

static void agent_consent_free(AgentConsent *a) {
        claim_call_free(a->call);
        g_free(a->notice_version);
        g_object_unref(a->invocation);
        g_free(a->caller.target_user);
        g_free(a);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AgentConsent, agent_consent_free)

static GError *consent_required(BiogatedDaemon *daemon, const BiogatedCaller *caller) {
        const char *current = biogated_privacy_notice_version(daemon);
        GError *error = NULL;

        if (!current) {
                (void) biogated_privacy_get_notice(daemon, &error);
                return error;
        }
        return biogated_error_new(BIOGATE_ERROR_CONSENT_REQUIRED,
                                  "%s has not recorded consent to enrolment from the desktop under the current "
                                  "biometric consent notice (version %s); they can read it and agree with "
                                  "\"biogatectl consent\", then enrol again",
                                  caller->target_user, current);
}

static void on_agent_consent(gboolean agreed, const GError *error, gpointer user_data) {
        g_autoptr(AgentConsent) a = user_data;
        BiogatedDaemon *daemon = a->call->claim->fprint->daemon;
        g_autoptr(GError) refusal = NULL;

        if (!claim_call_stands(a->call)) {
                return_fprint_error(a->invocation, BIOGATED_FPRINT_ERROR_NO_ACTION_IN_PROGRESS,
                                    "The action was stopped before it started");
                return;
        }
        if (error)
                g_message("The approval agent did not answer the consent notice for %s: %s", a->caller.target_user,
                          error->message);
        if (!agreed) {
                refusal = error ? consent_required(daemon, &a->caller)
                                : biogated_error_new(BIOGATE_ERROR_CONSENT_REQUIRED,
                                                     "%s declined the biometric consent notice (version %s)",
                                                     a->caller.target_user, a->notice_version);
                claim_action_failed(a->call, a->invocation, refusal);
                return;
        }
        /* Agreed to what the agent showed: only that version counts, and a
         * reload while the window was open may have replaced it. */
        if (g_strcmp0(biogated_privacy_notice_version(daemon), a->notice_version) != 0) {
                refusal = consent_required(daemon, &a->caller);
                claim_action_failed(a->call, a->invocation, refusal);
                return;
        }
        /* Recorded with the template, as consent given with an enrolment. */
        start_claim_operation(a->invocation, &a->caller, claim_call_copy(a->call), a->notice_version, FALSE);
}

static void on_consent_session(const BiogatedSessionInfo *session, const GError *error, gpointer user_data) {
        g_autoptr(AgentConsent) a = user_data;
        BiogatedDaemon *daemon = a->call->claim->fprint->daemon;
        const BiogatedNotice *notice;
        BiogatedAgent *agent = NULL;
        g_autoptr(GError) refusal = NULL;
        const char *text, *version;

        if (session && session->found)
                agent = biogated_agents_lookup(a->call->claim->fprint->daemon->agents, session->path);
        /* Only the person whose finger it is agrees: the agent of their own
         * session. */
        if (!agent || biogated_agent_get_uid(agent) != a->caller.target_uid || !claim_call_stands(a->call)) {
                refusal = consent_required(daemon, &a->caller);
                claim_action_failed(a->call, a->invocation, refusal);
                return;
        }
        notice = biogated_privacy_get_notice(daemon, &refusal);
        if (!notice) {
                claim_action_failed(a->call, a->invocation, refusal);
                return;
        }
        /* In the language of the agent's person, who is the one asked. */
        text = biogated_notice_lookup(notice, biogated_agent_get_language(agent), NULL);
        a->notice_version = g_strdup(biogated_notice_get_version(notice));
        version = a->notice_version;
        biogated_agent_ask_consent(agent, version, text, on_agent_consent, g_steal_pointer(&a));
}

static void on_enroll_authorized(GDBusMethodInvocation *invocation, const BiogatedCaller *caller,
                                 gpointer user_data) {
        ClaimCall *call = user_data;
        g_autofree char *notice_version = NULL;
        g_autoptr(GError) error = NULL;

        if (!claim_call_stands(call)) {
                return_fprint_error(invocation, BIOGATED_FPRINT_ERROR_NO_ACTION_IN_PROGRESS,
                                    "The action was stopped before it started");
                return;
        }
        /* fprintd's EnrollStart carries no consent: the person whose finger
         * it is must have recorded theirs to the current notice before. */
        if (!biogated_privacy_standing_consent(call->claim->fprint->daemon->store, caller->target_uid,
                                               biogated_privacy_notice_version(call->claim->fprint->daemon),
                                               &notice_version, &error)) {
                /* None on record: the session's approval agent may ask. */
                if (!error && biogated_agents_count(call->claim->fprint->daemon->agents) > 0) {
                        AgentConsent *a = g_new0(AgentConsent, 1);

                        *a = (AgentConsent) { .call = claim_call_copy(call), .invocation = g_object_ref(invocation),
                                              .caller = *caller };
                        a->caller.target_user = g_strdup(caller->target_user);
                        biogated_session_lookup(g_dbus_method_invocation_get_connection(invocation), caller->pid,
                                                on_consent_session, a);
                        return;
                }
                if (!error)
                        error = consent_required(call->claim->fprint->daemon, caller);
                claim_action_failed(call, invocation, error);
                return;
        }
        start_claim_operation(invocation, caller, claim_call_copy(call), notice_version, TRUE);
}

static void handle_enroll_start(BiogatedFprint *fprint, GDBusMethodInvocation *invocation, GVariant *parameters) {
        Claim *c = claimed_or_refuse(fprint, invocation);
        BiogateFinger finger;
        ClaimCall *call;

        if (!c || refuse_if_busy(c, invocation))
                return;
        finger = finger_or_refuse(invocation, parameters);
        if (finger == BIOGATE_FINGER_INVALID)
                return;
        c->action = CLAIM_ENROLL;
        call = claim_call_new(c);
        call->serial = ++c->serial;
        call->finger = finger;
        biogated_caller_authorize_full(invocation, c->caller.target_user, BIOGATED_ACTION_FPRINT_ENROLL,
                                       on_enroll_authorized, on_claim_call_denied, call,
                                       (GDestroyNotify) claim_call_free);
}

static void handle_stop(BiogatedFprint *fprint, GDBusMethodInvocation *invocation, ClaimAction action) {
        Claim *c = claimed_or_refuse(fprint, invocation);

        if (!c)
                return;
        if (c->action != action) {
                if (c->action == CLAIM_IDLE)
                        return_fprint_error(invocation, BIOGATED_FPRINT_ERROR_NO_ACTION_IN_PROGRESS,
                                            "No such action was started");
                else
                        return_fprint_error(invocation, BIOGATED_FPRINT_ERROR_ALREADY_IN_USE,
                                            "Another action of this claim is in progress");
                return;
        }
        claim_drop_op(c);
        set_finger_needed(c, FALSE);
        c->action = CLAIM_IDLE;
        c->serial++;
        g_dbus_method_invocation_return_value(invocation, NULL);
}

/* ---- ListEnrolledFingers, the deletions ---- */

static void on_list_authorized(GDBusMethodInvocation *invocation, const BiogatedCaller *caller, gpointer user_data) {
        BiogatedFprint *fprint = user_data;
        g_autoptr(GError) error = NULL;
        guint mask = 0;

        if (!biogated_store_list_fingers(fprint->daemon->store, caller->target_uid, &mask, &error)) {
                return_mapped_error(invocation, error);
                return;
        }
        if (mask == 0) {
                return_fprint_error(invocation, BIOGATED_FPRINT_ERROR_NO_ENROLLED_PRINTS, "No fingerprints are enrolled");
                return;
        }
        g_dbus_method_invocation_return_value(invocation, g_variant_new("(@as)", biogated_finger_names(mask)));
}

static void handle_list_enrolled_fingers(BiogatedFprint *fprint, GDBusMethodInvocation *invocation,
                                         GVariant *parameters) {
        const char *username;

        g_variant_get(parameters, "(&s)", &username);
        biogated_caller_authorize_full(invocation, username, BIOGATED_ACTION_FPRINT_VERIFY, on_list_authorized,
                                       on_plain_denied, fprint, NULL);
}

static void on_deleted(GDBusMethodInvocation *invocation, const GError *error, gpointer user_data) {
        ClaimCall *call = user_data;

        if (claim_call_stands(call)) {
                call->claim->action = CLAIM_IDLE;
                call->claim->serial++;
        }
        if (error) {
                g_autoptr(GError) mapped = g_error_new(BIOGATED_FPRINT_ERROR, BIOGATED_FPRINT_ERROR_PRINTS_NOT_DELETED,
                                                       "Not every fingerprint was deleted: %s", error->message);

                g_dbus_method_invocation_return_gerror(invocation, mapped);
        } else {
                biogated_daemon_return_durable(call->claim->fprint->daemon->writer, invocation, NULL);
        }
        claim_call_free(call);
}

static void on_delete_authorized(GDBusMethodInvocation *invocation, const BiogatedCaller *caller, gpointer user_data) {
        ClaimCall *call = user_data;
        BiogatedDaemon *daemon = call->claim->fprint->daemon;
        g_autoptr(GError) error = NULL;
        guint mask = 0, wanted;

        if (!claim_call_stands(call)) {
                return_fprint_error(invocation, BIOGATED_FPRINT_ERROR_CLAIM_DEVICE, "The claim ended");
                return;
        }
        if (!biogated_store_list_fingers(daemon->store, caller->target_uid, &mask, &error)) {
                claim_action_failed(call, invocation, error);
                return;
        }
        wanted = call->finger_mask ? call->finger_mask : mask;
        if (mask == 0 || (wanted & mask) != wanted) {
                error = biogated_error_new(BIOGATE_ERROR_NO_ENROLLED_PRINTS,
                                           call->finger_mask ? "This finger is not enrolled" : "No fingerprints are enrolled");
                claim_action_failed(call, invocation, error);
                return;
        }
        biogated_delete_fingers(daemon, invocation, caller, wanted, on_deleted, claim_call_copy(call));
}

/* For a claim (DeleteEnrolledFinger, DeleteEnrolledFingers2), or for
 * username with a claim made for this one call (the deprecated
 * DeleteEnrolledFingers); mask 0 = every finger. */
static void delete_for(Claim *c, GDBusMethodInvocation *invocation, const char *username, guint mask) {
        ClaimCall *call;

        if (refuse_if_busy(c, invocation))
                return;
        c->action = CLAIM_DELETE;
        call = claim_call_new(c);
        call->serial = ++c->serial;
        call->finger_mask = mask;
        biogated_caller_authorize_full(invocation, username, BIOGATED_ACTION_FPRINT_ENROLL, on_delete_authorized,
                                       on_claim_call_denied, call, (GDestroyNotify) claim_call_free);
}

static void handle_delete_enrolled_finger(BiogatedFprint *fprint, GDBusMethodInvocation *invocation,
                                          GVariant *parameters) {
        Claim *c = claimed_or_refuse(fprint, invocation);
        BiogateFinger finger;

        if (!c)
                return;
        finger = finger_or_refuse(invocation, parameters);
        if (finger == BIOGATE_FINGER_INVALID)
                return;
        delete_for(c, invocation, c->caller.target_user, 1u << finger);
}

static void handle_delete_enrolled_fingers2(BiogatedFprint *fprint, GDBusMethodInvocation *invocation) {
        Claim *c = claimed_or_refuse(fprint, invocation);

        if (c)
                delete_for(c, invocation, c->caller.target_user, 0);
}

static void handle_delete_enrolled_fingers(BiogatedFprint *fprint, GDBusMethodInvocation *invocation,
                                           GVariant *parameters) {
        Claim *c = claim_of(fprint, g_dbus_method_invocation_get_sender(invocation));
        g_autoptr(Claim) once = NULL;
        const char *username;

        g_variant_get(parameters, "(&s)", &username);
        if (c) {
                /* The user it names ("" the caller), through the gate, as
                 * fprintd: never the claim's user in place of another. */
                delete_for(c, invocation, username, 0);
                return;
        }
        /* No claim: one that lives for this call alone, outside the table. */
        once = g_new0(Claim, 1);
        *once = (Claim) { .refs = 1, .fprint = fprint, .sender = g_strdup("") };
        delete_for(once, invocation, username, 0);
}

/* ---- dispatch ---- */

static void device_method_call(GDBusConnection *connection, const char *sender, const char *path,
                               const char *interface, const char *method, GVariant *parameters,
                               GDBusMethodInvocation *invocation, gpointer user_data) {
        BiogatedFprint *fprint = user_data;

        biogated_daemon_touch(fprint->daemon);
        if (g_str_equal(method, "Claim"))
                handle_claim(fprint, invocation, parameters);
        else if (g_str_equal(method, "Release"))
                handle_release(fprint, invocation);
        else if (g_str_equal(method, "VerifyStart"))
                handle_verify_start(fprint, invocation, parameters);
        else if (g_str_equal(method, "VerifyStop"))
                handle_stop(fprint, invocation, CLAIM_VERIFY);
        else if (g_str_equal(method, "EnrollStart"))
                handle_enroll_start(fprint, invocation, parameters);
        else if (g_str_equal(method, "EnrollStop"))
                handle_stop(fprint, invocation, CLAIM_ENROLL);
        else if (g_str_equal(method, "ListEnrolledFingers"))
                handle_list_enrolled_fingers(fprint, invocation, parameters);
        else if (g_str_equal(method, "DeleteEnrolledFinger"))
                handle_delete_enrolled_finger(fprint, invocation, parameters);
        else if (g_str_equal(method, "DeleteEnrolledFingers2"))
                handle_delete_enrolled_fingers2(fprint, invocation);
        else if (g_str_equal(method, "DeleteEnrolledFingers"))
                handle_delete_enrolled_fingers(fprint, invocation, parameters);
        else
                g_dbus_method_invocation_return_error(invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                                      "No method %s", method);
}

static GVariant *device_get_property(GDBusConnection *connection, const char *sender, const char *path,
                                     const char *interface, const char *property, GError **error,
                                     gpointer user_data) {
        BiogatedFprint *fprint = user_data;
        FpDevice *device = biogated_devices_get_default(fprint->daemon->devices);
        Claim *c;

        if (g_str_equal(property, "name"))
                return g_variant_new_string(device ? fp_device_get_name(device) : "");
        if (g_str_equal(property, "num-enroll-stages"))
                /* The sensor's own: biogate's extra touch for the duplicate
                 * check happens on some sensors only, for some users
                 * (net.reactivated.Fprint.xml). */
                return g_variant_new_int32(device ? fp_device_get_nr_enroll_stages(device) : -1);
        if (g_str_equal(property, "scan-type"))
                return g_variant_new_string(device && fp_device_get_scan_type(device) == FP_SCAN_TYPE_SWIPE ? "swipe"
                                                                                                             : "press");
        if (g_str_equal(property, "finger-present"))
                return g_variant_new_boolean(FALSE);
        if (g_str_equal(property, "finger-needed")) {
                c = claim_of(fprint, sender);
                return g_variant_new_boolean(c && c->finger_needed);
        }
        g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "No property %s", property);
        return NULL;
}

static const GDBusInterfaceVTable device_vtable = {
        .method_call = device_method_call,
        .get_property = device_get_property,
};

static void manager_method_call(GDBusConnection *connection, const char *sender, const char *path,
                                const char *interface, const char *method, GVariant *parameters,
                                GDBusMethodInvocation *invocation, gpointer user_data) {
        BiogatedFprint *fprint = user_data;
        gboolean present = biogated_devices_get_default(fprint->daemon->devices) != NULL;

        biogated_daemon_touch(fprint->daemon);
        if (g_str_equal(method, "GetDevices")) {
                GVariantBuilder devices;

                g_variant_builder_init(&devices, G_VARIANT_TYPE("ao"));
                if (present)
                        g_variant_builder_add(&devices, "o", BIOGATED_FPRINT_DEVICE_PATH);
                g_dbus_method_invocation_return_value(invocation, g_variant_new("(ao)", &devices));
        } else if (g_str_equal(method, "GetDefaultDevice")) {
                if (!present)
                        return_fprint_error(invocation, BIOGATED_FPRINT_ERROR_NO_SUCH_DEVICE,
                                            "No fingerprint sensor is present");
                else
                        g_dbus_method_invocation_return_value(invocation,
                                                              g_variant_new("(o)", BIOGATED_FPRINT_DEVICE_PATH));
        } else {
                g_dbus_method_invocation_return_error(invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                                      "No method %s", method);
        }
}

static const GDBusInterfaceVTable manager_vtable = {
        .method_call = manager_method_call,
};

/* ---- the objects and the name ---- */

static void unexport(BiogatedFprint *fprint) {
        GHashTableIter iter;
        gpointer c;

        /* claim_end() removes from the table: take them out first. */
        while (g_hash_table_size(fprint->claims) > 0) {
                g_hash_table_iter_init(&iter, fprint->claims);
                if (g_hash_table_iter_next(&iter, NULL, &c))
                        claim_end(c);
        }
        if (fprint->device_id)
                g_dbus_connection_unregister_object(fprint->connection, fprint->device_id);
        if (fprint->manager_id)
                g_dbus_connection_unregister_object(fprint->connection, fprint->manager_id);
        fprint->device_id = fprint->manager_id = 0;
}

static void on_name_acquired(GDBusConnection *connection, const char *name, gpointer user_data) {
        g_message("Serving fprintd's API as %s", name);
}

static void on_name_lost(GDBusConnection *connection, const char *name, gpointer user_data) {
        BiogatedFprint *fprint = user_data;

        /* Never fight for it: whoever has it (fprintd) keeps it. */
        if (fprint->manager_id)
                g_message("%s is owned by another process (fprintd?) or may not be owned by biogated: "
                          "serving org.biogate1 only", name);
        unexport(fprint);
}

BiogatedFprint *biogated_fprint_start(BiogatedDaemon *daemon, GError **error) {
        BiogatedFprint *fprint = g_new0(BiogatedFprint, 1);

        (void) biogated_fprint_error_quark(); /* register the D-Bus error names */
        fprint->daemon = daemon;
        fprint->connection = g_object_ref(daemon->connection);
        fprint->claims = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) claim_unref);
        fprint->manager_id = g_dbus_connection_register_object(
                fprint->connection, BIOGATED_FPRINT_MANAGER_PATH,
                (GDBusInterfaceInfo *) biogated_fprint_manager_interface_info(), &manager_vtable, fprint, NULL, error);
        if (fprint->manager_id)
                fprint->device_id = g_dbus_connection_register_object(
                        fprint->connection, BIOGATED_FPRINT_DEVICE_PATH,
                        (GDBusInterfaceInfo *) biogated_fprint_device_interface_info(), &device_vtable, fprint, NULL,
                        error);
        if (!fprint->device_id) {
                biogated_fprint_stop(fprint);
                return NULL;
        }
        fprint->name_id = g_bus_own_name_on_connection(fprint->connection, BIOGATED_FPRINT_BUS_NAME,
                                                       G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE, on_name_acquired,
                                                       on_name_lost, fprint, NULL);
        return fprint;
}

void biogated_fprint_stop(BiogatedFprint *fprint) {
        if (!fprint)
                return;
        if (fprint->name_id)
                g_bus_unown_name(fprint->name_id);
        unexport(fprint);
        g_hash_table_unref(fprint->claims);
        g_object_unref(fprint->connection);
        g_free(fprint);
}

guint biogated_fprint_claims(BiogatedFprint *fprint) {
        return fprint ? g_hash_table_size(fprint->claims) : 0;
}
