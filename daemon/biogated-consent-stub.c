/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* TEMPORARY until the standing-consent branch lands: nobody has consented. */
#include "biogated-privacy.h"

gboolean biogated_privacy_standing_consent(BiogatedStore *store, uid_t uid, char **ret_notice_version, GError **error) {
        return FALSE;
}
