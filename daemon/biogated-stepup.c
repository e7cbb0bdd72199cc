/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.biogate1.StepUp: Evaluate, Authorize, GetPublicKeys; and loading the
 * step-up policy they follow. What an Authorize operation does once it
 * runs is in biogated-authorize.c. */
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "biogate-bus.h"
#include "biogated-agent.h"
#include "biogated-args.h"
#include "biogated-audit.h"
#include "biogated-authorize.h"
#include "biogated-caller.h"
#include "biogated-daemon.h"
#include "biogated-error.h"
#include "biogated-limits.h"
#include "biogated-operation.h"
#include "biogated-prints.h"
#include "biogated-session.h"
#include "biogated-stepup.h"

#define AUTHORIZE_TIMEOUT_MS_DEFAULT 60000u

typedef struct StepUpCall {
        BiogatedDaemon *daemon;
        BiogateTx *tx;
        guint timeout_ms;
} StepUpCall;

static void step_up_call_free(StepUpCall *call) {
        g_clear_pointer(&call->tx, biogate_tx_free);
        g_free(call);
}

gboolean biogated_stepup_reload_policy(BiogatedDaemon *daemon, uid_t caller_uid, GError **error) {
        g_autoptr(BiogatePolicy) policy = biogate_policy_load(daemon->policy_dir, daemon->vendor_policy, error);

        if (!policy) {
                /* The last good policy stays; without one every step-up is denied. */
                biogated_audit(daemon->audit, BIOGATED_AUDIT_POLICY_REJECTED,
                               &(BiogatedAuditInfo) { .uid = BIOGATED_AUDIT_NO_UID, .caller_uid = caller_uid,
                                                      .reason = (*error)->message },
                               "Step-up policy rejected, %s: %s",
                               daemon->policy ? "keeping the previous one" : "denying every step-up", (*error)->message);
                return FALSE;
        }
        biogated_audit(daemon->audit, BIOGATED_AUDIT_POLICY_LOADED,
                       &(BiogatedAuditInfo) { .uid = BIOGATED_AUDIT_NO_UID, .caller_uid = caller_uid,
                                              .reason = biogate_policy_describe_sources(policy) },
                       "Step-up policy loaded from %s", biogate_policy_describe_sources(policy));
        g_clear_pointer(&daemon->policy, biogate_policy_free);
        daemon->policy = g_steal_pointer(&policy);
        return TRUE;
}

/* Parses and checks a transaction against what this policy knows. */
static BiogateTx *parse_tx(BiogatedDaemon *daemon, GVariant *dict, GError **error) {
        g_autoptr(GError) local_error = NULL;
        g_autoptr(BiogateTx) tx = biogate_tx_from_variant(dict, &local_error);

        if (!tx) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INVALID_TRANSACTION, "%s", local_error->message);
                return NULL;
        }
        if (!biogate_tx_kind_is_builtin(tx->kind) && !(daemon->policy && biogate_policy_knows_kind(daemon->policy, tx->kind))) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INVALID_TRANSACTION,
                            "Unknown transaction kind '%s'", tx->kind);
                return NULL;
        }
        return g_steal_pointer(&tx);
}

/* The machine's time zone, read again at most once a minute. GLib 2.74's
 * g_time_zone_new_local() re-reads and parses /etc/localtime on every call
 * when TZ is unset (a stat, a readlink and the zone file), and Evaluate asks
 * for the local time on every call; the policy's time windows are in
 * minutes, so a zone change is seen as soon as it can matter. Kept with the
 * StepUp object, which lives as long as the daemon. */
#define LOCAL_ZONE_MAX_AGE_US (60 * G_USEC_PER_SEC)

typedef struct LocalZone {
        GTimeZone *zone;
        gint64 read_at;         /* monotonic */
} LocalZone;

static void local_zone_free(gpointer data) {
        LocalZone *z = data;

        g_clear_pointer(&z->zone, g_time_zone_unref);
        g_free(z);
}

static GDateTime *local_now(BiogatedDaemon *daemon) {
        LocalZone *z = g_object_get_data(G_OBJECT(daemon->stepup), "biogated-local-zone");
        gint64 now = g_get_monotonic_time();

        if (!z) {
                z = g_new0(LocalZone, 1);
                g_object_set_data_full(G_OBJECT(daemon->stepup), "biogated-local-zone", z, local_zone_free);
        }
        if (!z->zone || now - z->read_at >= LOCAL_ZONE_MAX_AGE_US) {
                g_clear_pointer(&z->zone, g_time_zone_unref);
                z->zone = g_time_zone_new_local();
                z->read_at = now;
        }
        return g_date_time_new_now(z->zone);
}

static const BiogatePolicyRule *match_rule(BiogatedDaemon *daemon, const BiogateTx *tx, GError **error) {
        g_autoptr(GDateTime) now = local_now(daemon);

        if (!daemon->policy) {
                g_set_error_literal(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_POLICY_UNAVAILABLE,
                                    "No valid step-up policy is loaded; every step-up is denied");
                return NULL;
        }
        return biogate_policy_match(daemon->policy, tx, now);
}

/* ---- Evaluate ---- */

/* Evaluate needs no permission, but its event names who asked: the uid
 * the bus reports for the caller's unique name, asked once per connection
 * (biogated_caller_credentials()). */

typedef struct EvaluateCall {
        GDBusMethodInvocation *invocation;      /* the handler's reference */
        BiogatedAudit *audit;                   /* the daemon's, which outlives its calls */
        GVariant *reply;
        char *digest, *kind, *amount, *currency, *rule, *requirement;
} EvaluateCall;

static void evaluate_call_free(EvaluateCall *c) {
        g_clear_pointer(&c->reply, g_variant_unref);
        g_free(c->digest);
        g_free(c->kind);
        g_free(c->amount);
        g_free(c->currency);
        g_free(c->rule);
        g_free(c->requirement);
        g_free(c);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EvaluateCall, evaluate_call_free)

/* The answer goes out once its audit event is sent (biogated_audit_then),
 * or at once when the event is only counted (biogated_audit_evaluate). */
static void evaluate_reply_send(gpointer data) {
        g_autoptr(EvaluateCall) c = data;

        /* Not floating: the invocation takes a reference of its own. */
        g_dbus_method_invocation_return_value(c->invocation, c->reply);
}

static void evaluate_audit(EvaluateCall *c, uid_t uid) {
        /* Limited per caller: a flood of these by one uid must not push the
         * login and approval events out of the journal (biogated-audit.h).
         * The user's name is looked up only for an event that is sent. */
        biogated_audit_evaluate(c->audit, &(BiogatedAuditInfo) { .uid = uid, .caller_uid = uid,
                                                       .tx_digest = c->digest, .tx_kind = c->kind,
                                                       .amount = c->amount, .currency = c->currency,
                                                       .rule = c->rule, .reason = c->requirement },
                                evaluate_reply_send, c, "Step-up evaluated for uid %u: rule %s requires %s",
                                (unsigned) uid, c->rule, c->requirement);
}

static void on_evaluate_caller(GDBusMethodInvocation *invocation, const BiogatedCredentials *creds,
                               const GError *error, gpointer user_data) {
        g_autoptr(EvaluateCall) c = user_data;

        if (!creds) {
                /* Gone, or the bus would not say: no anonymous event. */
                g_dbus_method_invocation_return_error_literal(c->invocation, BIOGATE_DBUS_ERROR,
                                                              BIOGATE_ERROR_PERMISSION_DENIED,
                                                              "Cannot determine the caller's identity");
                return;
        }
        evaluate_audit(g_steal_pointer(&c), creds->uid);
}

static gboolean handle_evaluate(BiogateStepUp *iface, GDBusMethodInvocation *invocation, GVariant *dict,
                                BiogatedDaemon *daemon) {
        g_autoptr(GError) error = NULL;
        g_autoptr(BiogateTx) tx = NULL;
        g_autofree char *text = NULL;
        const BiogatePolicyRule *rule;
        GVariantBuilder details;
        EvaluateCall *c;

        biogated_daemon_touch(daemon);
        tx = parse_tx(daemon, dict, &error);
        rule = tx ? match_rule(daemon, tx, &error) : NULL;
        if (!rule) {
                g_dbus_method_invocation_return_gerror(invocation, error);
                return TRUE;
        }
        c = g_new0(EvaluateCall, 1);
        c->invocation = invocation;
        c->audit = daemon->audit;
        text = biogate_tx_render_text(tx);
        c->digest = biogate_tx_digest_string(tx);
        c->kind = g_strdup(tx->kind);
        c->amount = g_strdup(tx->amount);
        c->currency = g_strdup(tx->currency);
        c->rule = g_strdup(rule->name);
        c->requirement = g_strdup(biogate_requirement_to_string(rule->requirement));
        g_variant_builder_init(&details, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&details, "{sv}", "text", g_variant_new_string(text));
        g_variant_builder_add(&details, "{sv}", "tx-digest", g_variant_new_string(c->digest));
        if (rule->approver_group)
                g_variant_builder_add(&details, "{sv}", "approver-group", g_variant_new_string(rule->approver_group));
        g_variant_builder_add(&details, "{sv}", "require-local-session",
                              g_variant_new_boolean(rule->require_local_session));
        g_variant_builder_add(&details, "{sv}", "token-lifetime", g_variant_new_uint32(rule->token_lifetime_s));
        g_variant_builder_add(&details, "{sv}", "display", g_variant_new_string(rule->display_agent ? "agent" : "any"));
        c->reply = g_variant_ref_sink(g_variant_new("(ss@a{sv})", rule->name, c->requirement,
                                                    g_variant_builder_end(&details)));
        /* Evaluate is the call a backend makes for every transaction: its
         * events share one state write per main-loop iteration
         * (docs/performance.md), and the caller's uid is asked of the bus
         * once per connection. */
        biogated_caller_credentials(invocation, on_evaluate_caller, c);
        return TRUE;
}

/* ---- Authorize ---- */

static gboolean user_in_group(uid_t uid, gid_t group) {
        struct passwd pw, *result = NULL;
        char buf[4096];
        gid_t groups[256];
        int n = G_N_ELEMENTS(groups);

        if (getpwuid_r(uid, &pw, buf, sizeof buf, &result) != 0 || !result)
                return FALSE;
        if (result->pw_gid == group)
                return TRUE;
        if (getgrouplist(result->pw_name, result->pw_gid, groups, &n) < 0)
                return FALSE;
        for (int i = 0; i < n; i++)
                if (groups[i] == group)
                        return TRUE;
        return FALSE;
}

/* Prints of every enrolled member of the group except the maker, then
 * the maker's own (so that the maker touching twice is recognised). */
static GPtrArray *approver_gallery(BiogatedDaemon *daemon, const char *group_name, uid_t maker, GPtrArray *maker_prints) {
        GPtrArray *gallery = g_ptr_array_new_with_free_func(g_object_unref);
        g_autoptr(GArray) uids = biogated_store_list_uids(daemon->store, NULL);
        struct group gr, *result = NULL;
        char buf[8192];

        if (getgrnam_r(group_name, &gr, buf, sizeof buf, &result) == 0 && result && uids) {
                for (guint i = 0; i < uids->len; i++) {
                        uid_t uid = g_array_index(uids, guint32, i);
                        g_autoptr(GPtrArray) prints = NULL;
                        guint mask = 0;

                        if (uid == maker || !user_in_group(uid, result->gr_gid))
                                continue;
                        if (!biogated_store_list_fingers(daemon->store, uid, &mask, NULL) || mask == 0)
                                continue;
                        prints = biogated_prints_load(daemon->store, daemon->audit, uid, mask, maker, NULL);
                        for (guint j = 0; prints && j < prints->len; j++)
                                g_ptr_array_add(gallery, g_object_ref(g_ptr_array_index(prints, j)));
                }
        } else {
                g_warning("Approver group '%s' does not exist", group_name);
        }
        for (guint j = 0; j < maker_prints->len; j++)
                g_ptr_array_add(gallery, g_object_ref(g_ptr_array_index(maker_prints, j)));
        return gallery;
}

/* agent: the approval agent of the caller's session, or NULL. call stays
 * the caller's. */
static void authorize_start(StepUpCall *call, GDBusMethodInvocation *invocation, const BiogatedCaller *caller,
                            BiogatedAgent *agent) {
        BiogatedDaemon *daemon = call->daemon;
        g_autoptr(BiogatedAuthorizeData) data = g_new0(BiogatedAuthorizeData, 1);
        g_autoptr(GPtrArray) prints = NULL;
        g_autoptr(BiogatedOperation) op = NULL;
        g_autoptr(GError) error = NULL;
        const BiogatePolicyRule *rule;
        BiogatedOperationTarget target = { 0 };
        guint64 retry_after_ms = 0;
        guint mask = 0;

        rule = match_rule(daemon, call->tx, &error);
        if (!rule)
                goto fail;
        if (rule->requirement == BIOGATE_REQUIRE_DENY) {
                g_set_error(&error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_POLICY_DENIED,
                            "Rule '%s' denies this transaction", rule->name);
                goto fail;
        }
        if (rule->require_local_session) {
                g_autofree char *reason = NULL;
                if (!biogated_session_is_local_active(caller->pid, &reason)) {
                        g_set_error(&error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_NOT_LOCAL_SESSION,
                                    "Rule '%s' requires a local, active session: %s", rule->name, reason);
                        goto fail;
                }
        }
        if (rule->display_agent && !agent) {
                g_set_error(&error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_NO_AGENT,
                            "Rule '%s' shows the transaction only in the approval agent (display=agent), and the "
                            "caller's session has no biogate-agent", rule->name);
                goto fail;
        }
        /* The window shows one approval, the sensor serves the oldest: a
         * second Authorize of the session (a hostile client's, just before
         * the trading app's) would put the other's words on the screen
         * while the touch approves the first. */
        if (agent && biogated_agent_is_showing(agent)) {
                g_set_error_literal(&error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_DEVICE_BUSY,
                                    "The session's approval agent is showing another approval; ask again when it "
                                    "has finished");
                goto fail;
        }
        if (!biogated_limits_check(daemon->limits, caller->uid, g_get_real_time(), &retry_after_ms, &error))
                goto fail;
        if (rule->requirement == BIOGATE_REQUIRE_FINGERPRINT_APPROVER) {
                /* Both refused before anyone touches; the operation checks
                 * again on the sensor it gets. */
                error = biogated_authorize_check_four_eyes_device(biogated_devices_get_default(daemon->devices),
                                                                  rule->name);
                if (error)
                        goto fail;
                if (!biogated_limits_check_counter(daemon->limits, BIOGATED_LIMITS_APPROVALS, caller->uid,
                                                   g_get_real_time(), &retry_after_ms, &error))
                        goto fail;
        }
        if (rule->requirement != BIOGATE_REQUIRE_NONE) {
                if (!biogated_store_list_fingers(daemon->store, caller->uid, &mask, &error))
                        goto fail;
                if (mask == 0) {
                        g_set_error_literal(&error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_NO_ENROLLED_PRINTS,
                                            "No fingerprints are enrolled");
                        goto fail;
                }
                prints = biogated_prints_load(daemon->store, daemon->audit, caller->uid, mask, caller->uid, &error);
                if (!prints)
                        goto fail;
        }

        data->tx = g_steal_pointer(&call->tx);
        data->text = biogate_tx_render_text(data->tx);
        data->rule = g_strdup(rule->name);
        data->requirement = rule->requirement;
        data->token_lifetime_s = rule->token_lifetime_s;
        data->audience = g_strdup(daemon->config.audience);
        data->signing_key = daemon->signing_key;
        if (rule->requirement == BIOGATE_REQUIRE_FINGERPRINT_APPROVER)
                data->approver_gallery = approver_gallery(daemon, rule->approver_group, caller->uid, prints);

        target = (BiogatedOperationTarget) {
                .uid = caller->uid,
                .user = caller->target_user,
                .prints = prints,
                .timeout_ms = call->timeout_ms,
                .text = data->text,
                .no_sensor = rule->requirement == BIOGATE_REQUIRE_NONE,
                /* display=agent: no touch is asked for before the agent
                 * has shown the approval (biogated_agent_show() lets go). */
                .held = agent && rule->display_agent && rule->requirement != BIOGATE_REQUIRE_NONE,
                .kind_data = g_steal_pointer(&data),
                .kind_data_free = (GDestroyNotify) biogated_authorize_data_free,
        };
        op = biogated_operation_start(daemon->operations, g_dbus_method_invocation_get_connection(invocation),
                                      g_dbus_method_invocation_get_sender(invocation), caller->uid,
                                      BIOGATED_OPERATION_AUTHORIZE, &target, daemon->devices, daemon->store,
                                      daemon->limits, &error);
        if (!op)
                goto fail;
        /* Whatever display= says: where the session has an agent, the
         * person sees the daemon's words there. The reply goes out after,
         * so the agent's window is on its way before the client can
         * announce anything of its own. */
        if (agent) {
                const BiogatedAuthorizeData *shown = biogated_operation_get_target(op)->kind_data;

                biogated_agent_show(agent, op, shown->tx, shown->text, rule->name,
                                    biogate_requirement_to_string(rule->requirement), rule->display_agent);
        }
        g_dbus_method_invocation_return_value(invocation, g_variant_new("(o)", biogated_operation_get_path(op)));
        return;

fail:
        /* Refused before any touch: the caller may ask again at once. */
        if (error->domain == BIOGATE_DBUS_ERROR)
                biogated_authorize_audit_refusal(daemon->audit, caller->target_user, caller->uid,
                                                 call->tx ? call->tx : (data ? data->tx : NULL),
                                                 rule ? rule->name : NULL,
                                                 biogate_error_info((BiogateError) error->code)->dbus_name,
                                                 error->message);
        /* After its event, as every audited answer. */
        biogated_daemon_return_error_durable(daemon->writer, invocation, error);
}

/* ---- Which session's agent shows it ---- */

typedef struct AgentLookup {
        StepUpCall *call;
        GDBusMethodInvocation *invocation;
        BiogatedCaller caller;          /* target_user owned */
} AgentLookup;

static void agent_lookup_free(AgentLookup *l) {
        step_up_call_free(l->call);
        g_object_unref(l->invocation);
        g_free(l->caller.target_user);
        g_free(l);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AgentLookup, agent_lookup_free)

static void on_caller_session(const BiogatedSessionInfo *session, const GError *error, gpointer user_data) {
        g_autoptr(AgentLookup) l = user_data;
        BiogatedAgent *agent = NULL;

        /* No answer from logind: no agent is known to be the caller's, so
         * none is used (and display=agent refuses). */
        if (session && session->found)
                agent = biogated_agents_lookup(l->call->daemon->agents, session->path);
        else if (!session)
                g_message("Cannot ask logind for the session of pid %d: %s", (int) l->caller.pid, error->message);
        authorize_start(l->call, l->invocation, &l->caller, agent);
}

static void authorize_authorized(GDBusMethodInvocation *invocation, const BiogatedCaller *caller, gpointer user_data) {
        StepUpCall *call = user_data;
        BiogatedDaemon *daemon = call->daemon;
        const BiogatePolicyRule *rule = match_rule(daemon, call->tx, NULL);
        AgentLookup *l;

        /* logind is asked only where its answer can matter. */
        if (!(rule && rule->display_agent) && biogated_agents_count(daemon->agents) == 0) {
                authorize_start(call, invocation, caller, NULL);
                return;
        }
        l = g_new0(AgentLookup, 1);
        l->call = g_new0(StepUpCall, 1);
        *l->call = (StepUpCall) { .daemon = daemon, .tx = g_steal_pointer(&call->tx), .timeout_ms = call->timeout_ms };
        l->invocation = g_object_ref(invocation);
        l->caller = *caller;
        l->caller.target_user = g_strdup(caller->target_user);
        biogated_session_lookup(g_dbus_method_invocation_get_connection(invocation), caller->pid, on_caller_session, l);
}

static const BiogatedOption authorize_options[] = {
        { "timeout-ms", biogated_option_timeout_ms, G_STRUCT_OFFSET(StepUpCall, timeout_ms) },
        { NULL },
};

static gboolean handle_authorize(BiogateStepUp *iface, GDBusMethodInvocation *invocation, GVariant *dict,
                                 GVariant *options, BiogatedDaemon *daemon) {
        g_autoptr(GError) error = NULL;
        StepUpCall *call = g_new0(StepUpCall, 1);

        biogated_daemon_touch(daemon);
        call->daemon = daemon;
        call->tx = parse_tx(daemon, dict, &error);
        if (call->tx && !call->tx->challenge)
                g_set_error_literal(&error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_INVALID_TRANSACTION,
                                    "Authorize needs the backend's challenge (ay, 16 to 64 bytes)");
        call->timeout_ms = AUTHORIZE_TIMEOUT_MS_DEFAULT;
        if (!error)
                (void) biogated_options_parse(options, authorize_options, call, &error);
        if (error) {
                step_up_call_free(call);
                g_dbus_method_invocation_return_gerror(invocation, error);
                return TRUE;
        }
        /* "" = the caller: nobody approves a transaction for someone else. */
        biogated_caller_authorize(invocation, "", BIOGATED_ACTION_APPROVE, authorize_authorized, call, (GDestroyNotify) step_up_call_free);
        return TRUE;
}

static gboolean handle_get_public_keys(BiogateStepUp *iface, GDBusMethodInvocation *invocation, BiogatedDaemon *daemon) {
        biogated_daemon_touch(daemon);
        biogated_signing_key_retire_expired(daemon->signing_key, g_get_real_time() / G_USEC_PER_SEC);
        biogate_step_up_complete_get_public_keys(iface, invocation, biogated_signing_key_get_jwks(daemon->signing_key));
        return TRUE;
}

typedef struct RotateCall {
        BiogatedDaemon *daemon;
        GDBusMethodInvocation *invocation;
} RotateCall;

static void on_rotated(const GError *error, const char *kid, gpointer user_data) {
        RotateCall *call = user_data;

        /* Both after what the rotation wrote, and after its audit event. */
        if (error)
                biogated_daemon_return_error_durable(call->daemon->writer, call->invocation, error);
        else
                biogated_daemon_return_durable(call->daemon->writer, call->invocation, g_variant_new("(s)", kid));
        g_object_unref(call->invocation);
        g_free(call);
}

static void rotate_authorized(GDBusMethodInvocation *invocation, const BiogatedCaller *caller, gpointer user_data) {
        BiogatedDaemon *daemon = user_data;
        RotateCall *call;

        /* The gate asked for manage on oneself: root, or polkit said yes. */
        if (!caller->may_manage) {
                g_dbus_method_invocation_return_error_literal(invocation, BIOGATE_DBUS_ERROR,
                                                              BIOGATE_ERROR_PERMISSION_DENIED,
                                                              "Only an administrator may rotate the signing key");
                return;
        }
        call = g_new0(RotateCall, 1);
        *call = (RotateCall) { .daemon = daemon, .invocation = g_object_ref(invocation) };
        biogated_signing_key_rotate(daemon->signing_key, caller->uid, on_rotated, call);
}

static gboolean handle_rotate_signing_key(BiogateStepUp *iface, GDBusMethodInvocation *invocation,
                                          BiogatedDaemon *daemon) {
        biogated_daemon_touch(daemon);
        biogated_caller_authorize(invocation, "", BIOGATED_ACTION_MANAGE, rotate_authorized, daemon, NULL);
        return TRUE;
}

gboolean biogated_stepup_export(BiogatedDaemon *daemon, GError **error) {
        daemon->stepup = biogate_step_up_skeleton_new();
        g_signal_connect(daemon->stepup, "handle-evaluate", G_CALLBACK(handle_evaluate), daemon);
        g_signal_connect(daemon->stepup, "handle-authorize", G_CALLBACK(handle_authorize), daemon);
        g_signal_connect(daemon->stepup, "handle-get-public-keys", G_CALLBACK(handle_get_public_keys), daemon);
        g_signal_connect(daemon->stepup, "handle-rotate-signing-key", G_CALLBACK(handle_rotate_signing_key), daemon);
        return g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(daemon->stepup), daemon->connection,
                                                BIOGATE_OBJECT_PATH, error);
}
