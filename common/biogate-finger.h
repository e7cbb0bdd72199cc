/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The ten finger names biogate accepts (the same names fprintd uses). The
 * numbering matches libfprint's FpFinger, so the daemon can cast. */

typedef enum BiogateFinger {
        BIOGATE_FINGER_INVALID = 0,
        BIOGATE_FINGER_LEFT_THUMB = 1,
        BIOGATE_FINGER_LEFT_INDEX,
        BIOGATE_FINGER_LEFT_MIDDLE,
        BIOGATE_FINGER_LEFT_RING,
        BIOGATE_FINGER_LEFT_LITTLE,
        BIOGATE_FINGER_RIGHT_THUMB,
        BIOGATE_FINGER_RIGHT_INDEX,
        BIOGATE_FINGER_RIGHT_MIDDLE,
        BIOGATE_FINGER_RIGHT_RING,
        BIOGATE_FINGER_RIGHT_LITTLE,
        _BIOGATE_FINGER_MAX,
} BiogateFinger;

#define BIOGATE_FINGER_FIRST BIOGATE_FINGER_LEFT_THUMB

/* BIOGATE_FINGER_INVALID for anything but an exact, known name. */
BiogateFinger biogate_finger_from_name(const char *name);

/* NULL for an invalid finger. */
const char *biogate_finger_to_name(BiogateFinger finger);

/* "right index finger", for prompts. NULL for an invalid finger. */
const char *biogate_finger_to_text(BiogateFinger finger);
