/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Synthetic fingerprints for libfprint's virtual_image driver, and a sender
 * for that driver's socket ($FP_VIRTUAL_IMAGE).
 *
 * The images are 8-bit grey, 256x360, ~9 px ridge period: ridges follow a
 * whorl carrier disturbed by ~40 phase singularities of charge ±1 at random
 * points, and each singularity is a ridge ending or bifurcation that NBIS
 * (mindtct) reports as a minutia. The seed picks the finger: the same seed
 * gives the same image bit for bit on every machine (integer arithmetic
 * only, own PRNG, no libm), different seeds give unrelated minutiae sets.
 *
 * The generator needs only libc; the sender plain POSIX sockets. Functions
 * return 0 (or an fd) on success and a negative errno on failure; if
 * @error_message is not NULL it then receives a malloc()ed explanation
 * (free() it).
 *
 * Protocol (libfprint 1.94.x drivers/virtual-image.c), all native-endian:
 *   image:   int32 width, int32 height, width*height bytes of grey
 *   control: int32 command (< 0), int32 argument; see SynthFingerControl
 * One connection can carry any number of messages. A new connection makes
 * the driver drop the previous one, unread data included. Every new
 * connection turns automatic finger reports on: the driver itself reports
 * "finger on" before and "finger off" after each image, so no -4 messages
 * are needed. The driver reads only while the device is open, and an image
 * is used only if it arrives while the device waits for a finger
 * (FP_FINGER_STATUS_NEEDED): an image read at any other moment, e.g. the
 * next enrolment stage's sent before NEEDED came back, is dropped with a
 * g_critical() inside the process using libfprint. So send exactly one
 * image per NEEDED. */

#include <stdint.h>

#define SYNTH_FINGER_WIDTH 256
#define SYNTH_FINGER_HEIGHT 360

/* Deadline for connecting and for the driver to drain what we write. */
#define SYNTH_FINGER_TIMEOUT_MS 5000

/* Negative "width" values. */
typedef enum SynthFingerControl {
        SYNTH_FINGER_CONTROL_RETRY = -1,       /* argument: FpDeviceRetry */
        SYNTH_FINGER_CONTROL_ERROR = -2,       /* argument: FpDeviceError */
        SYNTH_FINGER_CONTROL_AUTO_FINGER = -3, /* argument: 0 off, 1 on */
        SYNTH_FINGER_CONTROL_FINGER = -4,      /* argument: 0 off, 1 on */
        SYNTH_FINGER_CONTROL_UNPLUG = -5,      /* argument: ignored */
} SynthFingerControl;

/* Renders finger @seed into @pixels (SYNTH_FINGER_WIDTH * SYNTH_FINGER_HEIGHT
 * bytes, row-major). Thread-safe, ~10 ms. */
void synth_finger_render(uint64_t seed, uint8_t *pixels);

/* Connects to the driver's socket. Returns the fd or -errno: -ENOENT when
 * the device is not open, -ECONNREFUSED when only a stale socket file is
 * left from a device that was closed. */
int synth_finger_connect(const char *socket_path, char **error_message);

/* Write one message on a connected fd, waiting at most
 * SYNTH_FINGER_TIMEOUT_MS for the driver to take the bytes. */
int synth_finger_write_image(int fd, const uint8_t *pixels, int32_t width, int32_t height,
                             char **error_message);
int synth_finger_write_control(int fd, SynthFingerControl command, int32_t argument,
                               char **error_message);

/* Connect, write one message, close. Enough for tests: after close the bytes
 * stay queued for the driver, and the next connection only replaces this
 * one after the driver has read it (if the caller waits for NEEDED). */
int synth_finger_send(const char *socket_path, uint64_t seed, char **error_message);
int synth_finger_send_control(const char *socket_path, SynthFingerControl command,
                              int32_t argument, char **error_message);
