/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogate-finger.h"
#include "biogate-i18n.h"

#include <stddef.h>
#include <string.h>

static const struct {
        const char *name;
        const char *text;
} finger_table[_BIOGATE_FINGER_MAX] = {
        [BIOGATE_FINGER_LEFT_THUMB]   = { "left-thumb",          N_("left thumb") },
        [BIOGATE_FINGER_LEFT_INDEX]   = { "left-index-finger",   N_("left index finger") },
        [BIOGATE_FINGER_LEFT_MIDDLE]  = { "left-middle-finger",  N_("left middle finger") },
        [BIOGATE_FINGER_LEFT_RING]    = { "left-ring-finger",    N_("left ring finger") },
        [BIOGATE_FINGER_LEFT_LITTLE]  = { "left-little-finger",  N_("left little finger") },
        [BIOGATE_FINGER_RIGHT_THUMB]  = { "right-thumb",         N_("right thumb") },
        [BIOGATE_FINGER_RIGHT_INDEX]  = { "right-index-finger",  N_("right index finger") },
        [BIOGATE_FINGER_RIGHT_MIDDLE] = { "right-middle-finger", N_("right middle finger") },
        [BIOGATE_FINGER_RIGHT_RING]   = { "right-ring-finger",   N_("right ring finger") },
        [BIOGATE_FINGER_RIGHT_LITTLE] = { "right-little-finger", N_("right little finger") },
};

BiogateFinger biogate_finger_from_name(const char *name) {
        if (!name)
                return BIOGATE_FINGER_INVALID;
        for (int f = BIOGATE_FINGER_FIRST; f < _BIOGATE_FINGER_MAX; f++)
                if (strcmp(finger_table[f].name, name) == 0)
                        return (BiogateFinger) f;
        return BIOGATE_FINGER_INVALID;
}

const char *biogate_finger_to_name(BiogateFinger finger) {
        if (finger < BIOGATE_FINGER_FIRST || finger >= _BIOGATE_FINGER_MAX)
                return NULL;
        return finger_table[finger].name;
}

/* In English: callers that show it to a person translate it with _(). */
const char *biogate_finger_to_text(BiogateFinger finger) {
        if (finger < BIOGATE_FINGER_FIRST || finger >= _BIOGATE_FINGER_MAX)
                return NULL;
        return finger_table[finger].text;
}
