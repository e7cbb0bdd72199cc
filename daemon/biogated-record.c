/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-record.h"

#include "biogated-error.h"

#define SECONDS_PER_DAY 86400

GVariant *biogated_record_new_empty(void) {
        return g_variant_ref_sink(g_variant_new("a{sv}", NULL));
}

GVariant *biogated_record_parse(GBytes *data, GError **error) {
        g_autoptr(GVariant) v = g_variant_ref_sink(g_variant_new_from_bytes(G_VARIANT_TYPE_VARDICT, data, FALSE));

        /* Authenticated by the seal, but a bug or an old format must not
         * reach code that assumes a well-formed value. */
        if (!g_variant_is_normal_form(v)) {
                g_set_error_literal(error, BIOGATE_DBUS_ERROR, BIOGATE_ERROR_STORE_CORRUPTED,
                                    "The user record is not well-formed");
                return NULL;
        }
        return g_steal_pointer(&v);
}

/* The entry of finger as a dict (empty when there is none). */
static GVariantDict *finger_entry(GVariant *fingers, const char *name) {
        g_autoptr(GVariant) entry = fingers ? g_variant_lookup_value(fingers, name, G_VARIANT_TYPE_VARDICT) : NULL;

        return g_variant_dict_new(entry);
}

static void put_finger_entry(GVariantDict *record, const char *name, GVariantDict *entry) {
        g_autoptr(GVariant) fingers = g_variant_dict_lookup_value(record, "fingers", G_VARIANT_TYPE_VARDICT);
        g_autoptr(GVariantDict) all = g_variant_dict_new(fingers);

        if (entry)
                g_variant_dict_insert_value(all, name, g_variant_dict_end(entry));
        else
                g_variant_dict_remove(all, name);
        g_variant_dict_insert_value(record, "fingers", g_variant_dict_end(all));
}

void biogated_record_add_consent(GVariantDict *record, gint64 now, const char *notice_version,
                                 BiogateFinger finger, uid_t recorded_by) {
        g_autoptr(GVariant) old = g_variant_dict_lookup_value(record, "consent", G_VARIANT_TYPE("aa{sv}"));
        const char *fingers[] = { biogate_finger_to_name(finger), NULL };
        gsize n = old ? g_variant_n_children(old) : 0, first;
        GVariantBuilder list, entry;

        g_variant_builder_init(&list, G_VARIANT_TYPE("aa{sv}"));
        first = n >= BIOGATED_RECORD_MAX_CONSENTS ? n - BIOGATED_RECORD_MAX_CONSENTS + 1 : 0;
        for (gsize i = first; i < n; i++) {
                g_autoptr(GVariant) child = g_variant_get_child_value(old, i);
                g_variant_builder_add_value(&list, child);
        }
        g_variant_builder_init(&entry, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add(&entry, "{sv}", "time", g_variant_new_int64(now));
        g_variant_builder_add(&entry, "{sv}", "notice-version", g_variant_new_string(notice_version));
        g_variant_builder_add(&entry, "{sv}", "fingers", g_variant_new_strv(fingers, -1));
        g_variant_builder_add(&entry, "{sv}", "recorded-by", g_variant_new_uint32((guint32) recorded_by));
        g_variant_builder_add_value(&list, g_variant_builder_end(&entry));
        g_variant_dict_insert_value(record, "consent", g_variant_builder_end(&list));
}

#define STANDING_CONSENT "standing-consent"

void biogated_record_set_standing_consent(GVariantDict *record, const char *notice_version, gint64 now) {
        GVariantBuilder entry;

        g_variant_builder_init(&entry, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add(&entry, "{sv}", "notice-version", g_variant_new_string(notice_version));
        g_variant_builder_add(&entry, "{sv}", "time", g_variant_new_int64(now));
        g_variant_dict_insert_value(record, STANDING_CONSENT, g_variant_builder_end(&entry));
}

gboolean biogated_record_clear_standing_consent(GVariantDict *record) {
        return g_variant_dict_remove(record, STANDING_CONSENT);
}

gboolean biogated_record_has_standing_consent_to(GVariantDict *record, const char *notice_version) {
        g_autoptr(GVariant) entry = g_variant_dict_lookup_value(record, STANDING_CONSENT, G_VARIANT_TYPE_VARDICT);
        const char *version = NULL;

        return entry && g_variant_lookup(entry, "notice-version", "&s", &version) &&
               g_str_equal(version, notice_version);
}

gboolean biogated_record_get_standing_consent(GVariant *record, char **ret_notice_version, gint64 *ret_time) {
        g_autoptr(GVariant) entry = g_variant_lookup_value(record, STANDING_CONSENT, G_VARIANT_TYPE_VARDICT);
        const char *version = NULL;
        gint64 when = 0;

        /* Without its version it is not consent to anything. */
        if (!entry || !g_variant_lookup(entry, "notice-version", "&s", &version))
                return FALSE;
        (void) g_variant_lookup(entry, "time", "x", &when);
        if (ret_notice_version)
                *ret_notice_version = g_strdup(version);
        if (ret_time)
                *ret_time = when;
        return TRUE;
}

void biogated_record_set_enrolled(GVariantDict *record, BiogateFinger finger, gint64 now) {
        g_autoptr(GVariantDict) entry = g_variant_dict_new(NULL);

        g_variant_dict_insert_value(entry, "enrolled", g_variant_new_int64(now));
        put_finger_entry(record, biogate_finger_to_name(finger), entry);
}

gboolean biogated_record_set_last_used(GVariantDict *record, BiogateFinger finger, gint64 now) {
        g_autoptr(GVariant) fingers = g_variant_dict_lookup_value(record, "fingers", G_VARIANT_TYPE_VARDICT);
        const char *name = biogate_finger_to_name(finger);
        g_autoptr(GVariantDict) entry = NULL;
        g_autoptr(GVariant) old = fingers ? g_variant_lookup_value(fingers, name, G_VARIANT_TYPE_VARDICT) : NULL;
        gint64 stored;

        if (!old)
                return FALSE;
        if (g_variant_lookup(old, "last-used", "x", &stored) && stored == now)
                return FALSE; /* unchanged: nothing to write */
        entry = finger_entry(fingers, name);
        g_variant_dict_insert_value(entry, "last-used", g_variant_new_int64(now));
        put_finger_entry(record, name, entry);
        return TRUE;
}

gboolean biogated_record_has_finger(GVariantDict *record, BiogateFinger finger) {
        g_autoptr(GVariant) fingers = g_variant_dict_lookup_value(record, "fingers", G_VARIANT_TYPE_VARDICT);
        g_autoptr(GVariant) entry = NULL;

        entry = fingers ? g_variant_lookup_value(fingers, biogate_finger_to_name(finger), G_VARIANT_TYPE_VARDICT)
                        : NULL;
        return entry != NULL;
}

gboolean biogated_record_forget_finger(GVariantDict *record, BiogateFinger finger) {
        g_autoptr(GVariant) fingers = g_variant_dict_lookup_value(record, "fingers", G_VARIANT_TYPE_VARDICT);
        g_autoptr(GVariant) entry = NULL;
        const char *name = biogate_finger_to_name(finger);

        entry = fingers ? g_variant_lookup_value(fingers, name, NULL) : NULL;
        if (!entry)
                return FALSE;
        put_finger_entry(record, name, NULL);
        return TRUE;
}

gboolean biogated_record_get_times(GVariant *record, BiogateFinger finger, gint64 *ret_enrolled,
                                   gint64 *ret_last_used) {
        g_autoptr(GVariant) fingers = g_variant_lookup_value(record, "fingers", G_VARIANT_TYPE_VARDICT);
        g_autoptr(GVariant) entry = NULL;
        gint64 enrolled = 0, last_used = 0;

        entry = fingers ? g_variant_lookup_value(fingers, biogate_finger_to_name(finger), G_VARIANT_TYPE_VARDICT)
                        : NULL;
        if (!entry || !g_variant_lookup(entry, "enrolled", "x", &enrolled))
                return FALSE;
        (void) g_variant_lookup(entry, "last-used", "x", &last_used);
        if (ret_enrolled)
                *ret_enrolled = enrolled;
        if (ret_last_used)
                *ret_last_used = last_used;
        return TRUE;
}

GVariant *biogated_record_get_consents(GVariant *record) {
        GVariant *consents = g_variant_lookup_value(record, "consent", G_VARIANT_TYPE("aa{sv}"));

        return consents ? consents : g_variant_ref_sink(g_variant_new("aa{sv}", NULL));
}

gboolean biogated_record_is_expired(GVariant *record, BiogateFinger finger, guint retention_days, gint64 now) {
        gint64 enrolled = 0, last_used = 0, since;

        if (retention_days == 0 || !biogated_record_get_times(record, finger, &enrolled, &last_used))
                return FALSE;
        since = MAX(enrolled, last_used);
        return now - since > (gint64) retention_days * SECONDS_PER_DAY;
}
