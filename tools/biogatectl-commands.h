/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "biogatectl-bus.h"

/* Each command gets argv starting at its own name and returns the exit
 * status (see CtlExit). */
typedef int (*CtlCommandFunc)(Ctl *ctl, int argc, char **argv);

/* biogatectl-manage.c */
int ctl_command_status(Ctl *ctl, int argc, char **argv);
int ctl_command_devices(Ctl *ctl, int argc, char **argv);
int ctl_command_list(Ctl *ctl, int argc, char **argv);
int ctl_command_delete(Ctl *ctl, int argc, char **argv);

/* biogatectl-scan.c */
int ctl_command_enroll(Ctl *ctl, int argc, char **argv);
int ctl_command_verify(Ctl *ctl, int argc, char **argv);

/* biogatectl-privacy.c */
int ctl_command_my_data(Ctl *ctl, int argc, char **argv);
int ctl_command_erase(Ctl *ctl, int argc, char **argv);
int ctl_command_consent(Ctl *ctl, int argc, char **argv);

/* biogatectl-approve.c */
int ctl_command_approve(Ctl *ctl, int argc, char **argv);

/* biogatectl-token.c */
int ctl_command_token(Ctl *ctl, int argc, char **argv);

/* biogatectl-keys.c */
int ctl_command_keys(Ctl *ctl, int argc, char **argv);

/* biogatectl-policy.c */
int ctl_command_policy(Ctl *ctl, int argc, char **argv);

/* biogatectl-audit.c */
int ctl_command_audit(Ctl *ctl, int argc, char **argv);

/* biogatectl-admin.c */
int ctl_command_unlock(Ctl *ctl, int argc, char **argv);
int ctl_command_reload(Ctl *ctl, int argc, char **argv);
