/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogated-config.h"

#include "biogated-sensortime.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_GROUP "daemon"
#define STEPUP_GROUP "stepup"
#define CONSENT_GROUP "consent"
#define CONFIG_MAX_SIZE (64 * 1024)

void biogated_config_init(BiogatedConfig *config) {
        *config = (BiogatedConfig) {
                .idle_exit_seconds = BIOGATED_DEFAULT_IDLE_EXIT_SECONDS,
                .evaluate_audit_burst = BIOGATED_AUDIT_EVALUATE_BURST_DEFAULT,
                .evaluate_audit_window_seconds = BIOGATED_AUDIT_EVALUATE_WINDOW_S_DEFAULT,
                .refusal_audit_burst = BIOGATED_AUDIT_REFUSAL_BURST_DEFAULT,
                .refusal_audit_window_seconds = BIOGATED_AUDIT_REFUSAL_WINDOW_S_DEFAULT,
                .sensor_budget_seconds = BIOGATED_SENSORTIME_DEFAULT_BUDGET_SECONDS,
                .sensor_budget_window_seconds = BIOGATED_SENSORTIME_DEFAULT_WINDOW_SECONDS,
                .login_budget_seconds = BIOGATED_SENSORTIME_DEFAULT_LOGIN_BUDGET_SECONDS,
                .login_budget_window_seconds = BIOGATED_SENSORTIME_DEFAULT_LOGIN_WINDOW_SECONDS,
        };
}

gboolean biogated_config_serves_fprint_api(const BiogatedConfig *config, const char *fprintd_daemon_path) {
        switch (config->fprintd_api) {
        case BIOGATED_FPRINT_API_YES:
                return TRUE;
        case BIOGATED_FPRINT_API_NO:
                return FALSE;
        case BIOGATED_FPRINT_API_AUTO:
                break;
        }
        /* A machine with fprintd installed keeps it for the desktop until
         * the administrator says otherwise: two daemons must not race for
         * the sensor or the name. */
        return !g_file_test(fprintd_daemon_path, G_FILE_TEST_EXISTS);
}

void biogated_config_clear(BiogatedConfig *config) {
        g_clear_pointer(&config->device, g_free);
        g_clear_pointer(&config->audience, g_free);
        g_clear_pointer(&config->controller, g_free);
}

/* An audience is compared byte for byte by every verifier and printed in
 * messages: printable ASCII, no spaces, so that what the administrator
 * typed, what the token carries and what a backend configures cannot
 * differ invisibly. */
static gboolean audience_is_valid(const char *value) {
        size_t n = strlen(value);

        if (n == 0 || n > BIOGATED_MAX_AUDIENCE_LENGTH)
                return FALSE;
        for (const char *p = value; *p; p++)
                if (*p <= ' ' || *p > '~')
                        return FALSE;
        return TRUE;
}

/* The controller's name goes into the notice users consent to, in every
 * language: one line of printable text, nothing that could rewrite the
 * terminal or the agent's window. */
static gboolean controller_is_valid(const char *value) {
        glong n = g_utf8_strlen(value, -1);

        if (n == 0 || n > BIOGATED_MAX_CONTROLLER_LENGTH)
                return FALSE;
        for (const char *p = value; *p; p = g_utf8_next_char(p)) {
                gunichar c = g_utf8_get_char(p);

                if (g_unichar_iscntrl(c) || g_unichar_type(c) == G_UNICODE_FORMAT || c == 0x2028 || c == 0x2029)
                        return FALSE;
        }
        return TRUE;
}

/* A section that holds one string key ([stepup] audience=, [consent]
 * controller=); empty means unset, as without the key. */
typedef struct StringSection {
        const char *group;
        const char *key;
        gboolean (*valid)(const char *value);
        guint max;              /* valid() wants 1 to max... */
        const char *what;       /* ...of these */
} StringSection;

static gboolean load_string_section(GKeyFile *kf, const char *path, const StringSection *section, char **slot,
                                    GError **error) {
        g_auto(GStrv) keys = g_key_file_get_keys(kf, section->group, NULL, error);

        if (!keys)
                return FALSE;
        for (char **k = keys; *k; k++) {
                g_autofree char *value = g_key_file_get_value(kf, section->group, *k, NULL);
                g_strstrip(value);

                if (!g_str_equal(*k, section->key)) {
                        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                                    "%s: unknown key '%s' in [%s]", path, *k, section->group);
                        return FALSE;
                }
                g_clear_pointer(slot, g_free);
                if (*value == '\0')
                        continue;
                if (!section->valid(value)) {
                        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                                    "%s: %s= must be 1 to %u %s", path, section->key, section->max, section->what);
                        return FALSE;
                }
                *slot = g_steal_pointer(&value);
        }
        return TRUE;
}

static const StringSection stepup_section = {
        STEPUP_GROUP, "audience", audience_is_valid, BIOGATED_MAX_AUDIENCE_LENGTH,
        "printable ASCII characters without spaces",
};
static const StringSection consent_section = {
        CONSENT_GROUP, "controller", controller_is_valid, BIOGATED_MAX_CONTROLLER_LENGTH,
        "characters of printable text on one line",
};

gboolean biogated_read_root_file(const char *path, gsize max_size, char **ret_contents, gboolean *ret_missing,
                                 GError **error) {
        g_autoptr(GIOChannel) channel = NULL;
        g_autofree char *contents = NULL;
        struct stat st;
        gsize len = 0;
        int fd;

        /* O_NONBLOCK: opening a FIFO must not hang the start-up; it is
         * refused below as not a regular file. */
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
                if (errno == ENOENT) {
                        *ret_missing = TRUE;
                        return TRUE;
                }
                if (errno == ELOOP) {
                        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_LOOP,
                                    "%s: is a symbolic link; refused (it must be a regular file)", path);
                        return FALSE;
                }
                g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path, g_strerror(errno));
                return FALSE;
        }
        channel = g_io_channel_unix_new(fd);
        g_io_channel_set_close_on_unref(channel, TRUE);
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (guint64) st.st_size > max_size) {
                g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                            "%s: not a regular file of at most %" G_GSIZE_FORMAT " bytes", path, max_size);
                return FALSE;
        }
        /* Only root may be able to change how the daemon behaves. */
        if (st.st_uid != 0 && st.st_uid != geteuid()) {
                g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM, "%s: not owned by root", path);
                return FALSE;
        }
        if ((st.st_mode & 0022) != 0) {
                g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM, "%s: writable by group or others", path);
                return FALSE;
        }
        if (g_io_channel_set_encoding(channel, NULL, error) != G_IO_STATUS_NORMAL ||
            g_io_channel_read_to_end(channel, &contents, &len, error) != G_IO_STATUS_NORMAL) {
                g_prefix_error(error, "%s: ", path);
                return FALSE;
        }
        if (memchr(contents, '\0', len) || !g_utf8_validate(contents, (gssize) len, NULL)) {
                g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: not UTF-8 text", path);
                return FALSE;
        }
        *ret_missing = FALSE;
        *ret_contents = g_steal_pointer(&contents);
        return TRUE;
}

gboolean biogated_config_load(BiogatedConfig *config, const char *path, GError **error) {
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autofree char *contents = NULL;
        g_auto(GStrv) groups = NULL, keys = NULL;
        gboolean missing = FALSE;

        if (!biogated_read_root_file(path, CONFIG_MAX_SIZE, &contents, &missing, error))
                return FALSE;
        if (missing)
                return TRUE;
        if (!g_key_file_load_from_data(kf, contents, (gsize) -1, G_KEY_FILE_NONE, error)) {
                g_prefix_error(error, "%s: ", path);
                return FALSE;
        }
        groups = g_key_file_get_groups(kf, NULL);
        for (char **g = groups; *g; g++)
                if (!g_str_equal(*g, CONFIG_GROUP) && !g_str_equal(*g, STEPUP_GROUP) &&
                    !g_str_equal(*g, CONSENT_GROUP)) {
                        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
                                    "%s: unknown section [%s]", path, *g);
                        return FALSE;
                }
        if (g_key_file_has_group(kf, STEPUP_GROUP) &&
            !load_string_section(kf, path, &stepup_section, &config->audience, error))
                return FALSE;
        if (g_key_file_has_group(kf, CONSENT_GROUP) &&
            !load_string_section(kf, path, &consent_section, &config->controller, error))
                return FALSE;
        if (!g_key_file_has_group(kf, CONFIG_GROUP))
                return TRUE;

        keys = g_key_file_get_keys(kf, CONFIG_GROUP, NULL, error);
        if (!keys)
                return FALSE;
        for (char **k = keys; *k; k++) {
                g_autofree char *value = g_key_file_get_value(kf, CONFIG_GROUP, *k, NULL);
                g_strstrip(value);

                if (g_str_equal(*k, "fprintd_api")) {
                        if (g_str_equal(value, "auto"))
                                config->fprintd_api = BIOGATED_FPRINT_API_AUTO;
                        else if (g_str_equal(value, "yes"))
                                config->fprintd_api = BIOGATED_FPRINT_API_YES;
                        else if (g_str_equal(value, "no"))
                                config->fprintd_api = BIOGATED_FPRINT_API_NO;
                        else {
                                g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                                            "%s: fprintd_api=%s is not one of auto, yes, no", path, value);
                                return FALSE;
                        }
                } else if (g_str_equal(*k, "device")) {
                        g_free(config->device);
                        config->device = *value ? g_strdup(value) : NULL;
                } else if (g_str_equal(*k, "idle_exit_seconds")) {
                        guint64 v;
                        if (!g_ascii_string_to_unsigned(value, 10, 0, BIOGATED_MAX_IDLE_EXIT_SECONDS, &v, NULL)) {
                                g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                                            "%s: idle_exit_seconds=%s is not a number from 0 to %u",
                                            path, value, BIOGATED_MAX_IDLE_EXIT_SECONDS);
                                return FALSE;
                        }
                        config->idle_exit_seconds = (guint) v;
                } else if (g_str_equal(*k, "retention_days")) {
                        guint64 v;
                        if (!g_ascii_string_to_unsigned(value, 10, 0, BIOGATED_MAX_RETENTION_DAYS, &v, NULL)) {
                                g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                                            "%s: retention_days=%s is not a number from 0 to %u",
                                            path, value, BIOGATED_MAX_RETENTION_DAYS);
                                return FALSE;
                        }
                        config->retention_days = (guint) v;
                } else if (g_str_equal(*k, "evaluate_audit_burst") || g_str_equal(*k, "refusal_audit_burst")) {
                        guint64 v;
                        if (!g_ascii_string_to_unsigned(value, 10, 0, BIOGATED_AUDIT_EVALUATE_BURST_MAX, &v, NULL)) {
                                g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                                            "%s: %s=%s is not a number from 0 to %u", path, *k, value,
                                            BIOGATED_AUDIT_EVALUATE_BURST_MAX);
                                return FALSE;
                        }
                        if (g_str_equal(*k, "evaluate_audit_burst"))
                                config->evaluate_audit_burst = (guint) v;
                        else
                                config->refusal_audit_burst = (guint) v;
                } else if (g_str_equal(*k, "evaluate_audit_window_seconds") ||
                           g_str_equal(*k, "refusal_audit_window_seconds")) {
                        guint64 v;
                        if (!g_ascii_string_to_unsigned(value, 10, 1, BIOGATED_AUDIT_EVALUATE_WINDOW_S_MAX, &v, NULL)) {
                                g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                                            "%s: %s=%s is not a number from 1 to %u", path, *k, value,
                                            BIOGATED_AUDIT_EVALUATE_WINDOW_S_MAX);
                                return FALSE;
                        }
                        if (g_str_equal(*k, "evaluate_audit_window_seconds"))
                                config->evaluate_audit_window_seconds = (guint) v;
                        else
                                config->refusal_audit_window_seconds = (guint) v;
                } else if (g_str_equal(*k, "sensor_budget_seconds") ||
                           g_str_equal(*k, "sensor_budget_window_seconds") ||
                           g_str_equal(*k, "login_budget_seconds") ||
                           g_str_equal(*k, "login_budget_window_seconds")) {
                        guint64 v;
                        if (!g_ascii_string_to_unsigned(value, 10, 1, BIOGATED_SENSORTIME_MAX_WINDOW_SECONDS, &v,
                                                        NULL)) {
                                g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                                            "%s: %s=%s is not a number from 1 to %u", path, *k, value,
                                            BIOGATED_SENSORTIME_MAX_WINDOW_SECONDS);
                                return FALSE;
                        }
                        if (g_str_equal(*k, "sensor_budget_seconds"))
                                config->sensor_budget_seconds = (guint) v;
                        else if (g_str_equal(*k, "sensor_budget_window_seconds"))
                                config->sensor_budget_window_seconds = (guint) v;
                        else if (g_str_equal(*k, "login_budget_seconds"))
                                config->login_budget_seconds = (guint) v;
                        else
                                config->login_budget_window_seconds = (guint) v;
                } else {
                        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                                    "%s: unknown key '%s' in [%s]", path, *k, CONFIG_GROUP);
                        return FALSE;
                }
        }
        /* A budget longer than its window would be no budget at all. */
        if (config->sensor_budget_seconds > config->sensor_budget_window_seconds) {
                g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                            "%s: sensor_budget_seconds=%u is longer than sensor_budget_window_seconds=%u", path,
                            config->sensor_budget_seconds, config->sensor_budget_window_seconds);
                return FALSE;
        }
        if (config->login_budget_seconds > config->login_budget_window_seconds) {
                g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                            "%s: login_budget_seconds=%u is longer than login_budget_window_seconds=%u", path,
                            config->login_budget_seconds, config->login_budget_window_seconds);
                return FALSE;
        }
        return TRUE;
}
