/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-start.h"

#include "biogate-bus.h"
#include "biogated-args.h"
#include "biogated-audit.h"
#include "biogated-error.h"
#include "biogated-prints.h"
#include "biogated-privacy.h"
#include "biogated-session.h"

typedef struct Start {
        BiogatedDaemon *daemon;
        GDBusMethodInvocation *invocation;
        BiogatedCaller caller;          /* target_user owned */
        BiogatedStartRequest request;   /* service and notice_version owned */
        GPtrArray *prints;
        GError *refusal;                /* audited, reported once durable */
        BiogatedStarted started;
        gpointer user_data;
        GDestroyNotify destroy;
} Start;

static void start_free(Start *s) {
        if (s->destroy)
                s->destroy(s->user_data);
        g_object_unref(s->invocation);
        g_free(s->caller.target_user);
        g_free((char *) s->request.service);
        g_free((char *) s->request.notice_version);
        g_clear_pointer(&s->prints, g_ptr_array_unref);
        g_clear_error(&s->refusal);
        g_free(s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Start, start_free)

static void report(Start *s, BiogatedOperation *op, const GError *error) {
        s->started(s->invocation, op, error, s->user_data);
        start_free(s);
}

/* Whose sensor share a root caller's request counts against, and whether
 * it is a login (served first, may take the sensor from another user's
 * operation: biogated-device.h). session is the caller's logind session, or
 * NULL when logind would not say.
 *
 * A login is a PAM host asking for a user's fingerprint to let them in
 * (gdm, login, sudo, su, polkit's agent helper): only root runs those, so
 * only a root caller naming its PAM service can be one; any user can pass
 * service=, and a screen locker that runs as the user gets no priority.
 * But setuid su and pkexec run as root for any user: from one's own
 * session, "su other" would be a login for other and could take the
 * sensor from everyone. So where the caller runs in a session whose user
 * is not the target, the request is that session user's own, ordinary one
 * (their queue places, their budget, no priority). Where it runs in no
 * session (getty's login or gdm's worker before pam_systemd, sshd before
 * authentication) or in the target's own (sudo, a screen locker's helper,
 * the polkit agent helper authenticating the user themself), it is a
 * login; a remote session never is: a person at the desk is not pushed
 * aside for someone elsewhere (the PAM module refuses remote hosts anyway
 * unless allowed).
 *
 * Root's requests without a service (biogatectl run by root) are root's
 * own and exempt from the budget, but only from no session or root's own:
 * from a user's session (sudo biogatectl ...) they are that user's. When
 * logind would not answer, nothing is assumed: an ordinary request of the
 * target user. */
static BiogatedLeaseRequest root_request(const Start *s, const BiogatedSessionInfo *session) {
        const BiogatedCaller *caller = &s->caller;
        const char *service = s->request.service;
        BiogatedLeaseRequest ordinary = { .uid = caller->target_uid };

        if (!session)
                return ordinary;
        if (session->found && session->owner != (service ? caller->target_uid : 0))
                return (BiogatedLeaseRequest) { .uid = session->owner };
        if (!service)
                return (BiogatedLeaseRequest) { .uid = caller->target_uid, .exempt = TRUE };
        if (session->found && session->remote)
                return ordinary;
        return (BiogatedLeaseRequest) { .uid = caller->target_uid, .login = TRUE };
}

static void launch(Start *s, const BiogatedLeaseRequest *request) {
        BiogatedDaemon *daemon = s->daemon;
        const BiogatedStartRequest *r = &s->request;
        g_autoptr(BiogatedOperation) op = NULL;
        g_autoptr(GError) error = NULL;
        BiogatedOperationTarget target = {
                .uid = s->caller.target_uid,
                .user = s->caller.target_user,
                .finger = r->finger,
                .prints = s->prints,
                .timeout_ms = r->timeout_ms,
                .service = r->service,
                .login = r->kind == BIOGATED_OPERATION_VERIFY && request && request->login,
                .request_set = request != NULL,
                .observer = r->observer,
                .observer_data = r->observer_data,
        };

        if (request) {
                target.request = *request;
                /* Enrolment is never a login. */
                target.request.login = target.login;
        }
        /* Recorded with the template once it is stored. */
        if (r->kind == BIOGATED_OPERATION_ENROLL) {
                BiogatedConsent *consent = biogated_consent_new(r->notice_version, s->caller.uid);

                consent->standing = r->standing_consent;
                target.kind_data = consent;
                target.kind_data_free = (GDestroyNotify) biogated_consent_free;
        }
        op = biogated_operation_start(daemon->operations, g_dbus_method_invocation_get_connection(s->invocation),
                                      g_dbus_method_invocation_get_sender(s->invocation), s->caller.uid, r->kind,
                                      &target, daemon->devices, daemon->store, daemon->limits, &error);
        report(s, op, error);
}

static void on_root_session(const BiogatedSessionInfo *session, const GError *error, gpointer user_data) {
        Start *s = user_data;
        BiogatedLeaseRequest request = root_request(s, session);

        if (!session)
                g_message("Cannot ask logind for the session of pid %d: %s; the request of root for uid %u is "
                          "treated as that user's own, without priority", (int) s->caller.pid, error->message,
                          (unsigned) s->caller.target_uid);
        else if (s->request.service && !request.login)
                g_message("The %s request of root for uid %u runs in a%s session of uid %u: counted as an "
                          "ordinary request of uid %u, not a login", s->request.service,
                          (unsigned) s->caller.target_uid, session->remote ? " remote" : "",
                          (unsigned) session->owner, (unsigned) request.uid);
        launch(s, &request);
}

static void on_refusal_durable(const GError *error, gpointer user_data) {
        Start *s = user_data;

        report(s, NULL, s->refusal);
}

/* A verification refused before it reaches the sensor decides nothing,
 * and any user may repeat it (no prints: about 250 a second): logged
 * within the per-caller limit of biogated_audit_refusal(), and reported
 * once that is durable. */
static void refuse_verify(Start *s, GError *error) {
        biogated_audit_refusal(s->daemon->audit, BIOGATED_AUDIT_VERIFY_ERROR,
                               &(BiogatedAuditInfo) { .user = s->caller.target_user, .uid = s->caller.target_uid,
                                                      .caller_uid = s->caller.uid, .service = s->request.service,
                                                      .reason = biogate_error_info((BiogateError) error->code)->dbus_name },
                               "verify for %s (uid %u) refused: %s", s->caller.target_user,
                               (unsigned) s->caller.target_uid, error->message);
        s->refusal = error;
        biogated_writer_then(s->daemon->writer, on_refusal_durable, s);
}

/* FALSE with the start reported (and s gone) when it cannot go on. */
static gboolean load_prints(Start *s) {
        g_autoptr(GError) error = NULL;
        guint mask = 0;

        if (!biogated_store_list_fingers(s->daemon->store, s->caller.target_uid, &mask, &error)) {
                if (s->request.kind == BIOGATED_OPERATION_VERIFY)
                        refuse_verify(s, g_steal_pointer(&error));
                else
                        report(s, NULL, error);
                return FALSE;
        }
        if (s->request.kind == BIOGATED_OPERATION_ENROLL) {
                if (mask & (1u << s->request.finger)) {
                        error = biogated_error_new(BIOGATE_ERROR_ALREADY_ENROLLED,
                                                   "This finger is already enrolled; delete it first to enrol it again");
                        report(s, NULL, error);
                        return FALSE;
                }
                s->prints = biogated_prints_load_others(s->daemon->store, s->daemon->audit, s->caller.target_uid,
                                                        s->caller.uid);
                return TRUE;
        }
        if (s->request.finger_mask)
                mask &= s->request.finger_mask;
        if (mask == 0) {
                refuse_verify(s, biogated_error_new(BIOGATE_ERROR_NO_ENROLLED_PRINTS, "No fingerprints are enrolled"));
                return FALSE;
        }
        s->prints = biogated_prints_load(s->daemon->store, s->daemon->audit, s->caller.target_uid, mask, s->caller.uid,
                                         &error);
        if (!s->prints) {
                refuse_verify(s, g_steal_pointer(&error));
                return FALSE;
        }
        return TRUE;
}

void biogated_start_operation(BiogatedDaemon *daemon, GDBusMethodInvocation *invocation, const BiogatedCaller *caller,
                              const BiogatedStartRequest *request, BiogatedStarted started, gpointer user_data,
                              GDestroyNotify destroy) {
        Start *s = g_new0(Start, 1);

        *s = (Start) { .daemon = daemon, .invocation = g_object_ref(invocation), .caller = *caller,
                       .request = *request, .started = started, .user_data = user_data, .destroy = destroy };
        s->caller.target_user = g_strdup(caller->target_user);
        s->request.service = g_strdup(request->service);
        s->request.notice_version = g_strdup(request->notice_version);
        if (!load_prints(s))
                return;
        if (caller->uid != 0) {
                launch(s, NULL);
                return;
        }
        biogated_session_lookup(g_dbus_method_invocation_get_connection(invocation), caller->pid, on_root_session, s);
}
