/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "biogated-audit.h"

/* biogate.conf(5). A missing file means defaults; anything we do not
 * understand is an error, so a typo never silently weakens the setup. */
/* Whether biogated serves fprintd's API, net.reactivated.Fprint. */
typedef enum BiogatedFprintApi {
        BIOGATED_FPRINT_API_AUTO,       /* unless fprintd's daemon is installed */
        BIOGATED_FPRINT_API_YES,
        BIOGATED_FPRINT_API_NO,
} BiogatedFprintApi;

/* Where Debian installs fprintd's daemon: its presence makes "auto" mean no. */
#define BIOGATED_FPRINTD_DAEMON_PATH "/usr/libexec/fprintd"

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
        BiogatedFprintApi fprintd_api;
        char *audience;           /* [stepup] audience=: the tokens' aud claim; NULL = none */
        char *controller;         /* [consent] controller=: the notice's data controller; NULL = unset */
} BiogatedConfig;

#define BIOGATED_DEFAULT_IDLE_EXIT_SECONDS 30u
#define BIOGATED_MAX_IDLE_EXIT_SECONDS 86400u
#define BIOGATED_MAX_RETENTION_DAYS 36500u
#define BIOGATED_MAX_AUDIENCE_LENGTH 256u
#define BIOGATED_MAX_CONTROLLER_LENGTH 200u

void biogated_config_init(BiogatedConfig *config);
void biogated_config_clear(BiogatedConfig *config);
/* fprintd_api resolved: auto is yes unless fprintd_daemon_path exists. */
gboolean biogated_config_serves_fprint_api(const BiogatedConfig *config, const char *fprintd_daemon_path);
gboolean biogated_config_load(BiogatedConfig *config, const char *path, GError **error);

/* Reads a file only root may have written: a regular file (no symbolic
 * link, FIFO or device), owned by root (or the daemon's user), writable by
 * nobody else, of at most max_size bytes of UTF-8 text without NUL. A file
 * that does not exist sets *ret_missing, and is no error. */
gboolean biogated_read_root_file(const char *path, gsize max_size, char **ret_contents, gboolean *ret_missing,
                                 GError **error);
