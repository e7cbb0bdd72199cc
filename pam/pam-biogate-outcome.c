/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pam-biogate-outcome.h"

#include <security/_pam_types.h>
#include <string.h>

#include "pam-biogate-util.h"

static const struct {
        int pam_code;
        const char *text;
} outcome_table[_PAM_BIOGATE_OUTCOME_MAX] = {
        [PAM_BIOGATE_MATCH]              = { PAM_SUCCESS,          "fingerprint matched" },
        [PAM_BIOGATE_NO_MATCH]           = { PAM_AUTH_ERR,         "no match after the allowed tries" },
        [PAM_BIOGATE_DAEMON_UNAVAILABLE] = { PAM_AUTHINFO_UNAVAIL, "biogated is not available" },
        [PAM_BIOGATE_DAEMON_VANISHED]    = { PAM_AUTHINFO_UNAVAIL, "biogated left the bus during the operation" },
        [PAM_BIOGATE_REMOTE_SESSION]     = { PAM_AUTHINFO_UNAVAIL, "remote session; fingerprint not offered" },
        [PAM_BIOGATE_TIMED_OUT]          = { PAM_AUTHINFO_UNAVAIL, "timed out" },
        [PAM_BIOGATE_INTERRUPTED]        = { PAM_AUTHINFO_UNAVAIL, "interrupted" },
        [PAM_BIOGATE_USER_UNKNOWN]       = { PAM_USER_UNKNOWN,     "unknown user" },
        [PAM_BIOGATE_ACCESS_DENIED]      = { PAM_PERM_DENIED,      "the bus policy denied access to biogated" },
        [PAM_BIOGATE_CONV_ERROR]         = { PAM_CONV_ERR,         "conversation failed" },
        [PAM_BIOGATE_NO_MEMORY]          = { PAM_BUF_ERR,          "out of memory" },
        [PAM_BIOGATE_UNEXPECTED]         = { PAM_SERVICE_ERR,      "unexpected reply from biogated" },
        [PAM_BIOGATE_DAEMON_ERROR]       = { PAM_SERVICE_ERR,      "biogated reported an error" },
};

int pam_biogate_result_to_pam(PamBiogateResult result) {
        if ((unsigned) result.outcome >= _PAM_BIOGATE_OUTCOME_MAX)
                return PAM_SERVICE_ERR;
        if (result.outcome == PAM_BIOGATE_DAEMON_ERROR) {
                const BiogateErrorInfo *info = biogate_error_info(result.error);
                /* A daemon error can never mean success, whatever a table says. */
                if (!info || info->pam_code == PAM_SUCCESS)
                        return PAM_SERVICE_ERR;
                return info->pam_code;
        }
        return outcome_table[result.outcome].pam_code;
}

const char *pam_biogate_result_to_string(PamBiogateResult result) {
        if ((unsigned) result.outcome >= _PAM_BIOGATE_OUTCOME_MAX)
                return "invalid outcome";
        if (result.outcome == PAM_BIOGATE_DAEMON_ERROR) {
                const BiogateErrorInfo *info = biogate_error_info(result.error);
                return info ? info->summary : "unknown daemon error";
        }
        return outcome_table[result.outcome].text;
}

PamBiogateResult pam_biogate_result_from_error_name(const char *name) {
        static const struct {
                const char *name;
                PamBiogateOutcome outcome;
        } bus_errors[] = {
                /* The daemon was there and left mid-call: said apart from
                 * the rest of biogate_bus_error_is_unreachable()'s list. */
                { "org.freedesktop.DBus.Error.NoReply",        PAM_BIOGATE_DAEMON_VANISHED },
                { "org.freedesktop.DBus.Error.AccessDenied",   PAM_BIOGATE_ACCESS_DENIED },
                { "org.freedesktop.DBus.Error.NoMemory",       PAM_BIOGATE_NO_MEMORY },
        };
        const BiogateErrorInfo *info;

        if (!name)
                return (PamBiogateResult) { PAM_BIOGATE_UNEXPECTED, 0 };
        info = biogate_error_info_from_name(name);
        if (info)
                return (PamBiogateResult) { PAM_BIOGATE_DAEMON_ERROR, info->code };
        for (size_t i = 0; i < ELEMENTSOF(bus_errors); i++)
                if (strcmp(bus_errors[i].name, name) == 0)
                        return (PamBiogateResult) { bus_errors[i].outcome, 0 };
        /* Nobody to ask: no bus, no daemon, activation failed. */
        if (biogate_bus_error_is_unreachable(name))
                return (PamBiogateResult) { PAM_BIOGATE_DAEMON_UNAVAILABLE, 0 };
        return (PamBiogateResult) { PAM_BIOGATE_UNEXPECTED, 0 };
}
