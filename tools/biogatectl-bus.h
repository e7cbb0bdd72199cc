/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>
#include <sys/types.h>

#include "biogate.h"

/* What every command gets: the options that apply to all of them and the
 * libbiogate client, made only once a command's arguments are known good. */
typedef struct Ctl {
        bool json;
        bool no_ask_password;
        BiogateClient *client;
        pid_t agent_pid;        /* pkttyagent we started, or 0 */
} Ctl;

/* Makes the client on the system bus (DBUS_SYSTEM_BUS_ADDRESS is honoured). */
bool ctl_connect(Ctl *ctl, GError **error);

/* ctl_connect() for a command whose call polkit may want a password for
 * (managing others, unlock, reload, enrolment, consent): first, on a terminal and
 * unless --no-ask-password, a textual polkit agent for us
 * (biogatectl-polkit.c). */
bool ctl_connect_interactive(Ctl *ctl, GError **error);
/* For a command on @user's fingerprints: interactive when @user names
 * someone (acting on another user needs org.biogate1.manage), else plain
 * (one's own need no password). */
bool ctl_connect_for_user(Ctl *ctl, const char *user, GError **error);

/* A method for administrators' tools (Unlock, Reload, RotateSigningKey),
 * kept out of libbiogate's API: called on its client's connection after
 * ctl_connect_interactive(), with interactive authorization allowed, and
 * without GDBus's 25 s limit while an agent we started asks for the
 * password. NULL with @error set when it failed. */
GVariant *ctl_call_administrative(Ctl *ctl, const char *interface, const char *method, GVariant *args,
                                  const GVariantType *reply_type, GError **error);

/* biogatectl-polkit.c: starts "pkttyagent --notify-fd N [--fallback]" when
 * stdin is a terminal and we are not root, and waits until it has
 * registered (or failed to). In a logind session --fallback: an agent the
 * session already has (a desktop's) stays the one that asks. */
void ctl_polkit_agent_open(Ctl *ctl);
/* Stops the agent, if one was started. */
void ctl_polkit_agent_close(Ctl *ctl);

/* The name to show for @user: itself, or the caller's login name for "". */
const char *ctl_user_display_name(const char *user);

/* "right index finger" for a known finger name, else the name itself (which
 * may come from the daemon: sanitize it before printing). */
const char *ctl_finger_display_name(const char *finger);
