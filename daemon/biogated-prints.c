/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-prints.h"

#include "biogated-args.h"
#include "biogated-audit.h"
#include "biogated-error.h"
#include "biogated-record.h"
#include "biogated-storeio.h"

/* The print in bytes, if they are one and belong to this slot: a file moved
 * into another user's or finger's slot must not authenticate that user. */
static FpPrint *parse_print(GBytes *data, uid_t uid, BiogateFinger finger, GError **error) {
        g_autoptr(FpPrint) print = NULL;
        uid_t recorded;
        gsize size;
        const guint8 *bytes = g_bytes_get_data(data, &size);

        print = fp_print_deserialize(bytes, size, NULL);
        if (!print) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED,
                            "Stored print %s of uid %u cannot be parsed", biogate_finger_to_name(finger), (unsigned) uid);
                return NULL;
        }
        if (!biogated_print_get_uid(print, &recorded) || recorded != uid ||
            biogated_print_get_finger(print) != finger) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED,
                            "Stored print %s of uid %u belongs to another slot", biogate_finger_to_name(finger),
                            (unsigned) uid);
                return NULL;
        }
        return g_steal_pointer(&print);
}

static FpPrint *load_one(BiogatedStore *store, uid_t uid, BiogateFinger finger, GError **error) {
        g_autofree char *driver = NULL, *device_id = NULL;
        g_autoptr(GBytes) data = NULL;
        g_autoptr(FpPrint) print = NULL;

        data = biogated_store_read_print(store, uid, finger, &driver, &device_id, error);
        if (!data)
                return NULL;
        print = parse_print(data, uid, finger, error);
        if (!print)
                return NULL;
        /* The sensor named in the sealed header is authenticated; the print
         * inside must have been made on that very sensor. */
        if (g_strcmp0(fp_print_get_driver(print), driver) != 0 ||
            g_strcmp0(fp_print_get_device_id(print), device_id) != 0) {
                g_set_error(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED,
                            "Stored print %s of uid %u was sealed for another sensor", biogate_finger_to_name(finger),
                            (unsigned) uid);
                return NULL;
        }
        return g_steal_pointer(&print);
}

GPtrArray *biogated_prints_load(BiogatedStore *store, BiogatedAudit *audit, uid_t uid, guint mask, uid_t caller_uid,
                                GError **error) {
        g_autoptr(GPtrArray) prints = g_ptr_array_new_with_free_func(g_object_unref);
        g_autoptr(GError) last_error = NULL;

        BIOGATED_FOREACH_FINGER(f, mask) {
                g_autoptr(GError) local_error = NULL;
                FpPrint *print;

                print = load_one(store, uid, f, &local_error);
                if (!print) {
                        biogated_audit(audit, BIOGATED_AUDIT_STORE_REJECTED,
                                       &(BiogatedAuditInfo) { .uid = uid, .caller_uid = caller_uid,
                                                              .reason = local_error->message },
                                       "Skipping the unusable print %s of uid %u: %s",
                                       biogate_finger_to_name(f), (unsigned) uid, local_error->message);
                        g_clear_error(&last_error);
                        last_error = g_steal_pointer(&local_error);
                        continue;
                }
                g_ptr_array_add(prints, print);
        }
        if (prints->len == 0 && last_error) {
                g_propagate_error(error, g_steal_pointer(&last_error));
                return NULL;
        }
        return g_steal_pointer(&prints);
}

GPtrArray *biogated_prints_load_others(BiogatedStore *store, BiogatedAudit *audit, uid_t except_uid,
                                       uid_t caller_uid) {
        g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func(g_object_unref);
        g_autoptr(GArray) uids = NULL;
        g_autoptr(GError) error = NULL;

        uids = biogated_store_list_uids(store, &error);
        if (!uids) {
                g_warning("Cannot list enrolled users: %s", error->message);
                return g_steal_pointer(&all);
        }
        for (guint i = 0; i < uids->len; i++) {
                uid_t uid = g_array_index(uids, guint32, i);
                g_autoptr(GPtrArray) prints = NULL;
                guint mask = 0;

                if (uid == except_uid || !biogated_store_list_fingers(store, uid, &mask, NULL) || mask == 0)
                        continue;
                prints = biogated_prints_load(store, audit, uid, mask, caller_uid, NULL);
                for (guint j = 0; prints && j < prints->len; j++)
                        g_ptr_array_add(all, g_object_ref(g_ptr_array_index(prints, j)));
        }
        return g_steal_pointer(&all);
}

GPtrArray *biogated_prints_filter_compatible(GPtrArray *prints, FpDevice *device) {
        GPtrArray *usable = g_ptr_array_new_with_free_func(g_object_unref);

        for (guint i = 0; i < prints->len; i++) {
                FpPrint *print = g_ptr_array_index(prints, i);
                if (fp_print_compatible(print, device))
                        g_ptr_array_add(usable, g_object_ref(print));
        }
        return usable;
}

GBytes *biogated_print_serialize(FpPrint *print, GError **error) {
        guchar *data = NULL;
        gsize size = 0;

        if (!fp_print_serialize(print, &data, &size, error))
                return NULL;
        /* A template in the clear: wiped when the store has sealed it. */
        return biogated_bytes_new_secret(data, size);
}

BiogateFinger biogated_print_get_finger(FpPrint *print) {
        FpFinger f = fp_print_get_finger(print);

        if (f < FP_FINGER_FIRST || f > FP_FINGER_LAST)
                return BIOGATE_FINGER_INVALID;
        return (BiogateFinger) f;
}

gboolean biogated_print_get_uid(FpPrint *print, uid_t *ret_uid) {
        const char *username = fp_print_get_username(print);
        guint64 v;

        if (!username || !g_str_has_prefix(username, "uid:") ||
            !g_ascii_string_to_unsigned(username + 4, 10, 0, G_MAXUINT32 - 1, &v, NULL))
                return FALSE;
        *ret_uid = (uid_t) v;
        return TRUE;
}

void biogated_print_set_owner(FpPrint *print, uid_t uid, BiogateFinger finger) {
        g_autofree char *username = g_strdup_printf("uid:%u", (unsigned) uid);

        /* The uid, not the name: names can be reused for another person. */
        fp_print_set_username(print, username);
        fp_print_set_finger(print, (FpFinger) finger);
}

static gboolean set_enrolled_if_missing(GVariantDict *record, gpointer user_data) {
        const gint64 *args = user_data; /* finger, now */

        if (biogated_record_has_finger(record, (BiogateFinger) args[0]))
                return FALSE;
        biogated_record_set_enrolled(record, (BiogateFinger) args[0], args[1]);
        return TRUE;
}

static gboolean seal_one(BiogatedStore *store, uid_t uid, BiogateFinger finger, gint64 now, gboolean *ret_sealed,
                         GError **error) {
        g_autoptr(GBytes) data = NULL;
        g_autoptr(FpPrint) print = NULL;
        g_autoptr(GError) local_error = NULL;
        gint64 args[2] = { finger, now };

        *ret_sealed = FALSE;
        data = biogated_store_read_unsealed_print(store, uid, finger, &local_error);
        if (!data && !local_error)
                return TRUE; /* sealed already */
        if (!data) {
                g_propagate_error(error, g_steal_pointer(&local_error));
                return FALSE;
        }
        print = parse_print(data, uid, finger, error);
        if (!print)
                return FALSE;
        /* The record first, as at enrolment: every template has an entry.
         * Its enrolment time is unknown; the day it was sealed stands in. */
        if (!biogated_store_edit_record(store, uid, TRUE, set_enrolled_if_missing, args, error) ||
            !biogated_store_write_print(store, uid, finger, fp_print_get_driver(print), fp_print_get_device_id(print),
                                        data, error))
                return FALSE;
        *ret_sealed = TRUE;
        return TRUE;
}

void biogated_prints_seal_plain(BiogatedStore *store, gint64 now, BiogatedPrintsReport report, gpointer user_data) {
        g_autoptr(GArray) uids = biogated_store_list_uids(store, NULL);

        for (guint i = 0; uids && i < uids->len; i++) {
                uid_t uid = g_array_index(uids, guint32, i);
                guint mask = 0;

                if (!biogated_store_list_fingers(store, uid, &mask, NULL))
                        continue;
                BIOGATED_FOREACH_FINGER(f, mask) {
                        g_autoptr(GError) error = NULL;
                        gboolean sealed = FALSE;

                        if (!seal_one(store, uid, f, now, &sealed, &error) || sealed)
                                report(uid, f, error, user_data);
                }
        }
}
