/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "biogated-audit.h"

/* biogate.conf(5). A missing file means defaults; anything we do not
 * understand is an error, so a typo never silently weakens the setup. */
typedef struct BiogatedConfig {
        char *device;             /* libfprint device id or driver; NULL = first sensor */
        guint idle_exit_seconds;  /* 0 = never */
        guint retention_days;     /* templates unused this long are erased; 0 = never */
        guint evaluate_audit_burst;          /* Evaluate events per caller uid per window */
        guint evaluate_audit_window_seconds; /* then one summary per uid per window */
        guint refusal_audit_burst;           /* events that decide nothing, per event and caller uid... */
        guint refusal_audit_window_seconds;  /* ...per window, then one audit-suppressed */
        guint sensor_budget_seconds;        /* per uid, within... */
        guint sensor_budget_window_seconds; /* ...this rolling window */
        guint login_budget_seconds;         /* logins per target uid, within... */
        guint login_budget_window_seconds;  /* ...this rolling window */
} BiogatedConfig;

#define BIOGATED_DEFAULT_IDLE_EXIT_SECONDS 30u
#define BIOGATED_MAX_IDLE_EXIT_SECONDS 86400u
#define BIOGATED_MAX_RETENTION_DAYS 36500u

void biogated_config_init(BiogatedConfig *config);
void biogated_config_clear(BiogatedConfig *config);
gboolean biogated_config_load(BiogatedConfig *config, const char *path, GError **error);
