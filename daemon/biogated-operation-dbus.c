/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* BiogatedOperation, part: what its owner sees on the bus. Cancel and
 * Release, the properties (Get and GetAll answered here, not by GDBus, so
 * anyone else gets PermissionDenied rather than an empty answer), the
 * signals and PropertiesChanged, each sent to the owner alone. */
#include "biogated-operation-private.h"

#include "biogate-bus.h"
#include "biogated-error.h"

void operation_emit_to_owner(BiogatedOperation *op, const char *interface, const char *member, GVariant *params) {
        g_autoptr(GError) error = NULL;

        if (op->registration_id == 0 || op->target.observer) {
                g_variant_unref(g_variant_ref_sink(params));
                return;
        }
        /* Unicast: a destination makes dbus-daemon deliver it to the owner
         * only, so nobody else can watch who touches the sensor. */
        if (!g_dbus_connection_emit_signal(op->connection, op->owner, op->path, interface, member, params, &error))
                g_debug("Cannot signal %s on %s: %s", member, op->path, error->message);
}

void operation_emit_properties_changed(BiogatedOperation *op, GVariant *changed) {
        operation_emit_to_owner(op, "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                g_variant_new("(s@a{sv}as)", BIOGATE_OPERATION_INTERFACE, changed, NULL));
}

static const char *const property_names[] = {
        "Kind", "State", "Stage", "Stages", "Text", "Result", "ResultDetails",
};

/* A property's value, or NULL for a name that is not one. The caller owns
 * the reference: ResultDetails is the operation's own (non-floating) value,
 * so a floating one for the others would leave the callers no single rule. */
static GVariant *property_value(BiogatedOperation *op, const char *property) {
        GVariant *v = NULL;

        if (g_str_equal(property, "Kind"))
                v = g_variant_new_string(operation_kind_name(op->kind));
        else if (g_str_equal(property, "State"))
                v = g_variant_new_string(op->state);
        else if (g_str_equal(property, "Stage"))
                v = g_variant_new_uint32(op->stage);
        else if (g_str_equal(property, "Stages"))
                v = g_variant_new_uint32(op->stages);
        else if (g_str_equal(property, "Text"))
                v = g_variant_new_string(op->target_text ? op->target_text : "");
        else if (g_str_equal(property, "Result"))
                v = g_variant_new_string(op->result);
        else if (g_str_equal(property, "ResultDetails"))
                v = op->result_details;
        return v ? g_variant_ref_sink(v) : NULL;
}

/* org.freedesktop.DBus.Properties on an operation, for its owner only (the
 * caller checked). Handled here rather than through get_property: GDBus
 * answers GetAll itself and drops the properties whose getter failed, so
 * another client would get an empty dictionary instead of PermissionDenied
 * and learn that the operation exists. */
typedef struct PropertiesCall {
        BiogatedOperation *op;
        char *method;
        GVariant *parameters;
        GDBusMethodInvocation *invocation;
} PropertiesCall;

static void properties_call(BiogatedOperation *op, const char *method, GVariant *parameters,
                            GDBusMethodInvocation *invocation);

static void on_result_sent(const GError *error, gpointer user_data) {
        PropertiesCall *pc = user_data;

        properties_call(pc->op, pc->method, pc->parameters, pc->invocation);
        g_object_unref(pc->op);
        g_free(pc->method);
        g_variant_unref(pc->parameters);
        g_free(pc);
}

static void properties_call(BiogatedOperation *op, const char *method, GVariant *parameters,
                            GDBusMethodInvocation *invocation) {
        if (operation_is_done(op) && !op->result_sent) {
                /* The result is decided but its writes (the audit event,
                 * the failure count) are not durable yet: nobody reads it
                 * before they are, by a property any more than by Finished.
                 * The writer reports in order: this comes after Finished. */
                PropertiesCall *pc = g_new0(PropertiesCall, 1);

                *pc = (PropertiesCall) { .op = g_object_ref(op), .method = g_strdup(method),
                                         .parameters = g_variant_ref(parameters), .invocation = invocation };
                biogated_writer_then(biogated_store_get_writer(op->store), on_result_sent, pc);
                return;
        }
        if (g_str_equal(method, "Get")) {
                const char *interface, *property;
                g_autoptr(GVariant) value = NULL;

                g_variant_get(parameters, "(&s&s)", &interface, &property);
                value = g_str_equal(interface, BIOGATE_OPERATION_INTERFACE) ? property_value(op, property) : NULL;
                if (!value) {
                        g_dbus_method_invocation_return_error(invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY,
                                                              "No property %s.%s", interface, property);
                        return;
                }
                g_dbus_method_invocation_return_value(invocation, g_variant_new("(v)", value));
                if (g_str_equal(property, "Result"))
                        operation_note_result_read(op);
        } else if (g_str_equal(method, "GetAll")) {
                const char *interface;
                GVariantBuilder b;

                g_variant_get(parameters, "(&s)", &interface);
                g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
                if (g_str_equal(interface, BIOGATE_OPERATION_INTERFACE))
                        for (gsize i = 0; i < G_N_ELEMENTS(property_names); i++) {
                                g_autoptr(GVariant) value = property_value(op, property_names[i]);

                                g_variant_builder_add(&b, "{sv}", property_names[i], value);
                        }
                g_dbus_method_invocation_return_value(invocation, g_variant_new("(a{sv})", &b));
                if (g_str_equal(interface, BIOGATE_OPERATION_INTERFACE))
                        operation_note_result_read(op);
        } else {
                g_dbus_method_invocation_return_error(invocation, G_DBUS_ERROR, G_DBUS_ERROR_PROPERTY_READ_ONLY,
                                                      "The properties of an operation are read-only");
        }
}

static void method_call(GDBusConnection *connection, const char *sender, const char *path,
                        const char *interface, const char *method, GVariant *parameters,
                        GDBusMethodInvocation *invocation, gpointer user_data) {
        g_autoptr(BiogatedOperation) op = g_object_ref(BIOGATED_OPERATION(user_data));

        if (g_strcmp0(sender, op->owner) != 0) {
                g_dbus_method_invocation_return_error_literal(invocation, BIOGATE_DBUS_ERROR,
                                                              BIOGATE_ERROR_PERMISSION_DENIED,
                                                              "This operation belongs to another client");
                return;
        }
        if (g_str_equal(interface, "org.freedesktop.DBus.Properties")) {
                properties_call(op, method, parameters, invocation);
                return;
        }
        if (g_str_equal(method, "Cancel")) {
                operation_cancel(op);
        } else if (g_str_equal(method, "Release")) {
                biogated_operation_release(op);
        } else {
                g_dbus_method_invocation_return_error(invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                                      "No method %s", method);
                return;
        }
        g_dbus_method_invocation_return_value(invocation, NULL);
}

/* No get_property: GDBus then hands the Properties calls to method_call. */
const GDBusInterfaceVTable operation_vtable = {
        .method_call = method_call,
};

void biogated_operation_set_state(BiogatedOperation *op, const char *state) {
        GVariantBuilder changed;

        if (operation_is_done(op) || g_str_equal(op->state, state))
                return;
        op->state = state;
        g_variant_builder_init(&changed, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&changed, "{sv}", "State", g_variant_new_string(state));
        operation_emit_properties_changed(op, g_variant_builder_end(&changed));
}

void biogated_operation_set_stage(BiogatedOperation *op, guint stage, guint stages) {
        GVariantBuilder changed;

        op->stage = stage;
        op->stages = stages;
        if (op->target.observer && op->target.observer->stage)
                op->target.observer->stage(op, stage, stages, op->target.observer_data);
        g_variant_builder_init(&changed, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&changed, "{sv}", "Stage", g_variant_new_uint32(stage));
        g_variant_builder_add(&changed, "{sv}", "Stages", g_variant_new_uint32(stages));
        operation_emit_properties_changed(op, g_variant_builder_end(&changed));
}

void biogated_operation_emit_progress(BiogatedOperation *op, const char *status, GVariant *details) {
        g_autoptr(GVariant) sunk = g_variant_ref_sink(details ? details : g_variant_new("a{sv}", NULL));

        if (op->watcher && op->watcher->progress)
                op->watcher->progress(op, status, sunk, op->watcher_data);
        if (op->target.observer && op->target.observer->progress) {
                op->target.observer->progress(op, status, sunk, op->target.observer_data);
                return;
        }
        operation_emit_to_owner(op, BIOGATE_OPERATION_INTERFACE, "Progress",
                                g_variant_new("(s@a{sv})", status, sunk));
}
