/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "biogate-finger.h"

#include <stddef.h>
#include <string.h>

static const struct {
        const char *name;
        const char *text;
} finger_table[_BIOGATE_FINGER_MAX] = {
        [BIOGATE_FINGER_LEFT_THUMB]   = { "left-thumb",          "left thumb" },
        [BIOGATE_FINGER_LEFT_INDEX]   = { "left-index-finger",   "left index finger" },
        [BIOGATE_FINGER_LEFT_MIDDLE]  = { "left-middle-finger",  "left middle finger" },
        [BIOGATE_FINGER_LEFT_RING]    = { "left-ring-finger",    "left ring finger" },
        [BIOGATE_FINGER_LEFT_LITTLE]  = { "left-little-finger",  "left little finger" },
        [BIOGATE_FINGER_RIGHT_THUMB]  = { "right-thumb",         "right thumb" },
        [BIOGATE_FINGER_RIGHT_INDEX]  = { "right-index-finger",  "right index finger" },
        [BIOGATE_FINGER_RIGHT_MIDDLE] = { "right-middle-finger", "right middle finger" },
        [BIOGATE_FINGER_RIGHT_RING]   = { "right-ring-finger",   "right ring finger" },
        [BIOGATE_FINGER_RIGHT_LITTLE] = { "right-little-finger", "right little finger" },
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

const char *biogate_finger_to_text(BiogateFinger finger) {
        if (finger < BIOGATE_FINGER_FIRST || finger >= _BIOGATE_FINGER_MAX)
                return NULL;
        return finger_table[finger].text;
}
