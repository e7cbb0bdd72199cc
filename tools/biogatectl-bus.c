/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogatectl-bus.h"

#include "biogate-bus.h"
#include "biogate-finger.h"
#include "biogate-i18n.h"
#include "biogatectl-error.h"

bool ctl_connect(Ctl *ctl, GError **error) {
        g_autoptr(GError) local = NULL;

        if (ctl->client)
                return true;

        ctl->client = biogate_client_new_sync(NULL, &local);
        if (!ctl->client) {
                g_propagate_error(error, ctl_error_new(CTL_ERROR_NO_SERVER,
                                                       _("Cannot connect to the system bus: %s"), local->message));
                return false;
        }

        /* GDBus would raise SIGTERM on ourselves when the bus goes away; we
         * would rather report it and exit with the right status. */
        g_dbus_connection_set_exit_on_close(biogate_client_get_connection(ctl->client), FALSE);
        return true;
}

bool ctl_connect_interactive(Ctl *ctl, GError **error) {
        ctl_polkit_agent_open(ctl);
        return ctl_connect(ctl, error);
}

bool ctl_connect_for_user(Ctl *ctl, const char *user, GError **error) {
        if (user && *user)
                return ctl_connect_interactive(ctl, error);
        return ctl_connect(ctl, error);
}

GVariant *ctl_call_administrative(Ctl *ctl, const char *interface, const char *method, GVariant *args,
                                  const GVariantType *reply_type, GError **error) {
        if (!ctl_connect_interactive(ctl, error)) {
                if (args)
                        g_variant_unref(g_variant_ref_sink(args));
                return NULL;
        }
        return g_dbus_connection_call_sync(biogate_client_get_connection(ctl->client), BIOGATE_BUS_NAME,
                                           BIOGATE_OBJECT_PATH, interface, method, args, reply_type,
                                           G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION,
                                           /* A person may take longer than that to type the
                                            * password into the agent we started. */
                                           ctl->agent_pid > 0 ? G_MAXINT : -1, NULL, error);
}

const char *ctl_user_display_name(const char *user) {
        /* Display only: the daemon decides who "" is from our credentials. */
        if (user && *user)
                return user;
        return g_get_user_name();
}

const char *ctl_finger_display_name(const char *finger) {
        const char *text = biogate_finger_to_text(biogate_finger_from_name(finger));

        return text ? _(text) : finger;
}
