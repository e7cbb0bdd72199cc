/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogate-agent-window.h"

#include "biogate-i18n.h"

/* Field keys as biogated sends them, with the label a person reads, in
 * the order shown. The labels are translated; the values (and the approval
 * text above them) are biogated's, bound into the token: never. */
static const struct {
        const char *key;
        const char *label;
} field_rows[] = {
        { "kind", N_("Kind") },
        { "amount", N_("Amount") },
        { "payee", N_("Payee") },
        { "counterparty", N_("Counterparty") },
        { "account", N_("Account") },
        { "instrument", N_("Instrument") },
        { "reference", N_("Reference") },
};

struct AgentWindow {
        GtkWindow *window;
        GtkLabel *text;
        GtkLabel *values[G_N_ELEMENTS(field_rows)];
        GtkWidget *keys[G_N_ELEMENTS(field_rows)];
        GtkLabel *rule;
        GtkLabel *step;
        GtkWidget *step_key;
        GtkLabel *status;
        GtkLabel *result;
        GtkButton *cancel;
        char *operation;        /* shown, or NULL */
        gboolean approver_step; /* four eyes: the maker has touched */
        AgentCancel on_cancel;
        gpointer user_data;
};

static GtkLabel *value_label(GtkGrid *grid, int row, const char *name, GtkWidget **ret_key) {
        GtkWidget *key = gtk_label_new(name);
        GtkWidget *value = gtk_label_new("");

        gtk_widget_add_css_class(key, "dim-label");
        gtk_label_set_xalign(GTK_LABEL(key), 1.0f);
        gtk_label_set_xalign(GTK_LABEL(value), 0.0f);
        gtk_label_set_selectable(GTK_LABEL(value), FALSE);
        gtk_label_set_wrap(GTK_LABEL(value), TRUE);
        /* A screen reader says "Amount: 250000.00 USD". */
        gtk_accessible_update_relation(GTK_ACCESSIBLE(value), GTK_ACCESSIBLE_RELATION_LABELLED_BY, key, NULL, -1);
        gtk_grid_attach(grid, key, 0, row, 1, 1);
        gtk_grid_attach(grid, value, 1, row, 1, 1);
        if (ret_key)
                *ret_key = key;
        return GTK_LABEL(value);
}

/* A translation is text, not markup: escaped into the heading's. */
static void label_set_heading(GtkLabel *label, const char *text) {
        g_autofree char *markup = g_markup_printf_escaped("<span size='large' weight='bold'>%s</span>", text);

        gtk_label_set_markup(label, markup);
}

static void on_cancel_clicked(GtkButton *button, gpointer user_data) {
        AgentWindow *w = user_data;

        if (!w->operation)
                return;
        gtk_widget_set_sensitive(GTK_WIDGET(w->cancel), FALSE);
        gtk_label_set_text(w->status, _("Cancelling…"));
        w->on_cancel(w->operation, w->user_data);
}

AgentWindow *agent_window_new(GtkApplication *app, AgentCancel cancel, gpointer user_data) {
        AgentWindow *w = g_new0(AgentWindow, 1);
        GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
        GtkWidget *grid = gtk_grid_new();
        GtkWidget *heading = gtk_label_new(NULL);
        int row = 0;

        w->on_cancel = cancel;
        w->user_data = user_data;
        w->window = GTK_WINDOW(gtk_application_window_new(app));
        gtk_window_set_title(w->window, _("Approve this transaction?"));
        gtk_window_set_default_size(w->window, 560, -1);
        /* Closing the window hides it; the agent stays for the next one. */
        gtk_window_set_hide_on_close(w->window, TRUE);

        gtk_widget_set_margin_top(box, 24);
        gtk_widget_set_margin_bottom(box, 24);
        gtk_widget_set_margin_start(box, 24);
        gtk_widget_set_margin_end(box, 24);

        label_set_heading(GTK_LABEL(heading), _("Approve this transaction?"));
        gtk_label_set_xalign(GTK_LABEL(heading), 0.0f);
        gtk_box_append(GTK_BOX(box), heading);

        /* The daemon's words, large: what the touch approves. */
        w->text = GTK_LABEL(gtk_label_new(""));
        gtk_label_set_wrap(w->text, TRUE);
        gtk_label_set_xalign(w->text, 0.0f);
        gtk_label_set_max_width_chars(w->text, 40);
        gtk_box_append(GTK_BOX(box), GTK_WIDGET(w->text));

        gtk_grid_set_row_spacing(GTK_GRID(grid), 6);
        gtk_grid_set_column_spacing(GTK_GRID(grid), 12);
        for (gsize i = 0; i < G_N_ELEMENTS(field_rows); i++)
                w->values[i] = value_label(GTK_GRID(grid), row++, _(field_rows[i].label), &w->keys[i]);
        w->rule = value_label(GTK_GRID(grid), row++, _("Rule"), NULL);
        w->step = value_label(GTK_GRID(grid), row++, _("Step"), &w->step_key);
        gtk_box_append(GTK_BOX(box), grid);

        w->status = GTK_LABEL(gtk_label_new(""));
        gtk_label_set_xalign(w->status, 0.0f);
        gtk_accessible_update_property(GTK_ACCESSIBLE(w->status), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                       _("Touch progress"), -1);
        gtk_box_append(GTK_BOX(box), GTK_WIDGET(w->status));

        w->result = GTK_LABEL(gtk_label_new(""));
        gtk_label_set_xalign(w->result, 0.0f);
        gtk_accessible_update_property(GTK_ACCESSIBLE(w->result), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, "Result", -1);
        gtk_box_append(GTK_BOX(box), GTK_WIDGET(w->result));

        w->cancel = GTK_BUTTON(gtk_button_new_with_label(_("Cancel")));
        gtk_widget_set_halign(GTK_WIDGET(w->cancel), GTK_ALIGN_END);
        gtk_accessible_update_property(GTK_ACCESSIBLE(w->cancel), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                       _("Cancel this approval: the transaction is not approved"), -1);
        g_signal_connect(w->cancel, "clicked", G_CALLBACK(on_cancel_clicked), w);
        gtk_box_append(GTK_BOX(box), GTK_WIDGET(w->cancel));

        gtk_window_set_child(w->window, box);
        return w;
}

void agent_window_free(AgentWindow *w) {
        if (!w)
                return;
        gtk_window_destroy(w->window);
        g_free(w->operation);
        g_free(w);
}

static void set_row(GtkLabel *value, GtkWidget *key, const char *text) {
        gtk_label_set_text(value, text ? text : "");
        gtk_widget_set_visible(GTK_WIDGET(value), text != NULL);
        if (key)
                gtk_widget_set_visible(key, text != NULL);
}

void agent_window_show(AgentWindow *w, const char *operation, GVariant *display) {
        g_autoptr(GVariant) fields = g_variant_lookup_value(display, "fields", G_VARIANT_TYPE("a{ss}"));
        g_autofree char *markup = NULL;
        const char *text = "", *rule = NULL, *step = NULL, *currency = NULL;

        (void) g_variant_lookup(display, "text", "&s", &text);
        (void) g_variant_lookup(display, "rule", "&s", &rule);
        (void) g_variant_lookup(display, "step", "&s", &step);
        if (fields)
                (void) g_variant_lookup(fields, "currency", "&s", &currency);

        g_free(w->operation);
        w->operation = g_strdup(operation);
        w->approver_step = step && g_str_equal(step, "approver");
        markup = g_markup_printf_escaped("<span size='xx-large' weight='bold'>%s</span>", text);
        gtk_label_set_markup(w->text, markup);
        for (gsize i = 0; i < G_N_ELEMENTS(field_rows); i++) {
                const char *value = NULL;
                g_autofree char *shown = NULL;

                if (fields)
                        (void) g_variant_lookup(fields, field_rows[i].key, "&s", &value);
                /* The amount with its currency: "250000.00 USD". */
                if (value && currency && g_str_equal(field_rows[i].key, "amount"))
                        value = shown = g_strdup_printf("%s %s", value, currency);
                set_row(w->values[i], w->keys[i], value);
        }
        set_row(w->rule, NULL, rule);
        /* Four eyes only. */
        set_row(w->step, w->step_key,
                step ? (g_str_equal(step, "approver") ? _("Second approver") : _("Initiator")) : NULL);
        /* "Touch" only once the daemon says this operation's sensor
         * waits for a finger: before, another operation (one never shown
         * here) may hold the sensor, and a touch would go to it. */
        gtk_label_set_text(w->status, _("Waiting for the fingerprint sensor"));
        gtk_label_set_text(w->result, "");
        gtk_widget_set_visible(GTK_WIDGET(w->result), FALSE);
        gtk_widget_set_sensitive(GTK_WIDGET(w->cancel), TRUE);
        gtk_window_present(w->window);
}

static const struct {
        const char *state;
        const char *status;
} states[] = {
        { "finger-needed", N_("Touch the fingerprint sensor") },
        { "retry-scan", N_("Try again: touch the sensor once more") },
        { "waiting-for-approver", N_("Waiting for the second approver to touch the sensor") },
        { "approver-retry", N_("No eligible approver matched: second approver, try again") },
};

gboolean agent_window_update(AgentWindow *w, const char *operation, const char *state, GVariant *details) {
        if (!w->operation || !g_str_equal(w->operation, operation))
                return FALSE;
        if (g_str_equal(state, "waiting-for-approver"))
                w->approver_step = TRUE;
        /* The sensor waits again, now for the second person. */
        if (w->approver_step && g_str_equal(state, "finger-needed"))
                state = "waiting-for-approver";
        for (gsize i = 0; i < G_N_ELEMENTS(states); i++)
                if (g_str_equal(states[i].state, state)) {
                        gtk_label_set_text(w->status, _(states[i].status));
                        if (g_str_equal(state, "waiting-for-approver"))
                                set_row(w->step, w->step_key, _("Second approver"));
                        return TRUE;
                }
        /* Other progress (the sensor was acquired...) changes nothing a
         * person needs to read. */
        return TRUE;
}

static const struct {
        const char *result;
        const char *text;
} results[] = {
        { "approved", N_("Approved") },
        { "denied", N_("Not approved") },
        { "cancelled", N_("Cancelled: nothing was approved") },
        { "failed", N_("Failed: nothing was approved") },
};

gboolean agent_window_close(AgentWindow *w, const char *operation, const char *result) {
        const char *text = _("Ended: nothing was approved");

        if (!w->operation || !g_str_equal(w->operation, operation))
                return FALSE;
        for (gsize i = 0; i < G_N_ELEMENTS(results); i++)
                if (g_str_equal(results[i].result, result))
                        text = _(results[i].text);
        gtk_label_set_text(w->result, text);
        gtk_widget_set_visible(GTK_WIDGET(w->result), TRUE);
        gtk_label_set_text(w->status, "");
        gtk_widget_set_sensitive(GTK_WIDGET(w->cancel), FALSE);
        g_clear_pointer(&w->operation, g_free);
        return TRUE;
}

/* ---- The consent notice ---- */

struct AgentConsent {
        GtkWindow *window;
        GtkLabel *version;
        GtkLabel *notice;
        AgentConsentAnswer answer;      /* NULL: no question open */
        gpointer user_data;
};

static void consent_answer(AgentConsent *c, gboolean agreed) {
        AgentConsentAnswer answer = c->answer;

        if (!answer)
                return;
        c->answer = NULL;
        gtk_widget_set_visible(GTK_WIDGET(c->window), FALSE);
        answer(agreed, c->user_data);
}

static void on_agree(GtkButton *button, gpointer user_data) {
        consent_answer(user_data, TRUE);
}

static void on_decline(GtkButton *button, gpointer user_data) {
        consent_answer(user_data, FALSE);
}

static gboolean on_consent_close(GtkWindow *window, gpointer user_data) {
        consent_answer(user_data, FALSE);
        return FALSE; /* hide-on-close hides it */
}

AgentConsent *agent_consent_new(GtkApplication *app) {
        AgentConsent *c = g_new0(AgentConsent, 1);
        GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
        GtkWidget *heading = gtk_label_new(NULL);
        GtkWidget *scroll = gtk_scrolled_window_new();
        GtkWidget *buttons = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
        GtkWidget *agree = gtk_button_new_with_label(_("I agree"));
        GtkWidget *decline = gtk_button_new_with_label(_("Decline"));

        c->window = GTK_WINDOW(gtk_application_window_new(app));
        gtk_window_set_title(c->window, _("Consent to fingerprint enrolment"));
        gtk_window_set_default_size(c->window, 640, 520);
        gtk_window_set_hide_on_close(c->window, TRUE);
        g_signal_connect(c->window, "close-request", G_CALLBACK(on_consent_close), c);

        gtk_widget_set_margin_top(box, 24);
        gtk_widget_set_margin_bottom(box, 24);
        gtk_widget_set_margin_start(box, 24);
        gtk_widget_set_margin_end(box, 24);
        label_set_heading(GTK_LABEL(heading), _("Consent to fingerprint enrolment"));
        gtk_label_set_xalign(GTK_LABEL(heading), 0.0f);
        gtk_box_append(GTK_BOX(box), heading);
        c->version = GTK_LABEL(gtk_label_new(""));
        gtk_label_set_xalign(c->version, 0.0f);
        gtk_box_append(GTK_BOX(box), GTK_WIDGET(c->version));

        /* The daemon's notice, as it sent it. */
        c->notice = GTK_LABEL(gtk_label_new(""));
        gtk_label_set_wrap(c->notice, TRUE);
        gtk_label_set_xalign(c->notice, 0.0f);
        gtk_label_set_yalign(c->notice, 0.0f);
        gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), GTK_WIDGET(c->notice));
        gtk_widget_set_vexpand(scroll, TRUE);
        gtk_box_append(GTK_BOX(box), scroll);

        gtk_widget_set_halign(buttons, GTK_ALIGN_END);
        gtk_accessible_update_property(GTK_ACCESSIBLE(decline), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                       _("Do not enrol a fingerprint"), -1);
        gtk_accessible_update_property(GTK_ACCESSIBLE(agree), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                       _("Agree to the notice and enrol a fingerprint"), -1);
        g_signal_connect(decline, "clicked", G_CALLBACK(on_decline), c);
        g_signal_connect(agree, "clicked", G_CALLBACK(on_agree), c);
        gtk_box_append(GTK_BOX(buttons), decline);
        gtk_box_append(GTK_BOX(buttons), agree);
        gtk_box_append(GTK_BOX(box), buttons);
        gtk_window_set_child(c->window, box);
        return c;
}

void agent_consent_free(AgentConsent *c) {
        if (!c)
                return;
        consent_answer(c, FALSE);
        gtk_window_destroy(c->window);
        g_free(c);
}

void agent_consent_ask(AgentConsent *c, const char *notice_version, const char *notice, AgentConsentAnswer answer,
                       gpointer user_data) {
        g_autofree char *version = g_strdup_printf(_("Notice version %s"), notice_version);

        consent_answer(c, FALSE);
        gtk_label_set_text(c->version, version);
        gtk_label_set_text(c->notice, notice);
        c->answer = answer;
        c->user_data = user_data;
        gtk_window_present(c->window);
}
