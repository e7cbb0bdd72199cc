/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Names shared by the daemon, the PAM module and biogatectl. The API itself is
 * defined in daemon/org.biogate1.xml. */

#define BIOGATE_BUS_NAME            "org.biogate1"
#define BIOGATE_OBJECT_PATH         "/org/biogate1"
#define BIOGATE_OPERATION_PATH_BASE "/org/biogate1/operation"
#define BIOGATE_MANAGER_INTERFACE   "org.biogate1.Manager"
#define BIOGATE_OPERATION_INTERFACE "org.biogate1.Operation"
#define BIOGATE_STEPUP_INTERFACE    "org.biogate1.StepUp"
#define BIOGATE_ERROR_PREFIX        "org.biogate1.Error."
#define BIOGATE_API_VERSION         1u

/* Operation results, as in the Result property and the Finished signal. */
#define BIOGATE_RESULT_MATCH     "match"
#define BIOGATE_RESULT_NO_MATCH  "no-match"
#define BIOGATE_RESULT_COMPLETED "completed"
#define BIOGATE_RESULT_CANCELLED "cancelled"
#define BIOGATE_RESULT_FAILED    "failed"
