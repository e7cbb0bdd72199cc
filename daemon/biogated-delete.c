/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-delete.h"

#include "biogated-args.h"
#include "biogated-audit.h"
#include "biogated-record.h"

static gboolean forget_finger(GVariantDict *record, gpointer user_data) {
        return biogated_record_forget_finger(record, (BiogateFinger) GPOINTER_TO_INT(user_data));
}

/* A DeleteFingers call on its way through the writer. */
typedef struct Deletion {
        BiogatedDaemon *daemon;
        GDBusMethodInvocation *invocation;
        BiogatedDeleted done;
        gpointer done_data;
        uid_t uid, by;
        char *user;
        guint wanted;
        guint deleted;          /* written on the writer thread, read in done */
        GError *record_error;   /* likewise */
} Deletion;

static void deletion_free(Deletion *d) {
        g_clear_object(&d->invocation);
        g_free(d->user);
        g_clear_error(&d->record_error);
        g_free(d);
}

/* On the writer thread: fsync after fsync. */
static gboolean delete_fingers(gpointer data, GError **error) {
        Deletion *d = data;

        BIOGATED_FOREACH_FINGER(f, d->wanted) {
                if (!biogated_store_delete_print(d->daemon->store, d->uid, f, error))
                        return FALSE;
                d->deleted |= 1u << f;
                /* Its dates go with it; the consent history stays until EraseUser. */
                if (!d->record_error)
                        (void) biogated_store_edit_record(d->daemon->store, d->uid, FALSE, forget_finger,
                                                          GINT_TO_POINTER(f), &d->record_error);
        }
        return TRUE;
}

static void on_fingers_deleted(const GError *error, gpointer user_data) {
        Deletion *d = user_data;

        BIOGATED_FOREACH_FINGER(f, d->deleted)
                biogated_audit(d->daemon->audit, BIOGATED_AUDIT_DELETE,
                               &(BiogatedAuditInfo) { .user = d->user, .uid = d->uid, .caller_uid = d->by,
                                                      .reason = biogate_finger_to_name(f) },
                               "Deleted %s of %s (uid %u) at the request of uid %u", biogate_finger_to_name(f),
                               d->user, (unsigned) d->uid, (unsigned) d->by);
        if (d->record_error)
                g_warning("Cannot update the record of uid %u: %s", (unsigned) d->uid, d->record_error->message);
        d->done(d->invocation, error, d->done_data);
        deletion_free(d);
}

void biogated_delete_fingers(BiogatedDaemon *daemon, GDBusMethodInvocation *invocation, const BiogatedCaller *caller,
                             guint wanted, BiogatedDeleted done, gpointer user_data) {
        Deletion *d = g_new0(Deletion, 1);

        *d = (Deletion) { .daemon = daemon, .invocation = g_object_ref(invocation), .done = done,
                          .done_data = user_data, .uid = caller->target_uid, .by = caller->uid,
                          .user = g_strdup(caller->target_user), .wanted = wanted };
        biogated_writer_run(daemon->writer, delete_fingers, d, NULL, on_fingers_deleted, d);
}
