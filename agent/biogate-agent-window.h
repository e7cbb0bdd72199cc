/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gtk/gtk.h>

/* The approval window: a title, the daemon's text in large type, one
 * labelled row per transaction field, the rule, the touch progress, a
 * Cancel button and the result. It shows only what biogated sent. */
typedef struct AgentWindow AgentWindow;

/* cancel is called with the operation's path when the person presses
 * Cancel. */
typedef void (*AgentCancel)(const char *operation, gpointer user_data);

AgentWindow *agent_window_new(GtkApplication *app, AgentCancel cancel, gpointer user_data);
void agent_window_free(AgentWindow *w);

/* display: the a{sv} of org.biogate1.Agent.ShowApproval. */
void agent_window_show(AgentWindow *w, const char *operation, GVariant *display);
/* FALSE when operation is not the one shown (ignored). */
gboolean agent_window_update(AgentWindow *w, const char *operation, const char *state, GVariant *details);
gboolean agent_window_close(AgentWindow *w, const char *operation, const char *result);

/* The consent notice before an enrolment from the desktop. answer gets
 * TRUE for "I agree", FALSE for "Decline" (or closing the window); once. */
typedef void (*AgentConsentAnswer)(gboolean agreed, gpointer user_data);
typedef struct AgentConsent AgentConsent;

AgentConsent *agent_consent_new(GtkApplication *app);
void agent_consent_free(AgentConsent *c);
/* A question still open is answered FALSE first. */
void agent_consent_ask(AgentConsent *c, const char *notice_version, const char *notice, AgentConsentAnswer answer,
                       gpointer user_data);
