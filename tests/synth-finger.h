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
 * Protocol (libfprint 1.94.5 drivers/virtual-image.c, checked against the
 * installed library), all fields native-endian:
 *   image:   int32 width, int32 height, then width*height bytes of grey
 *   control: int32 command (< 0, see SynthFingerControl), int32 argument
 * - One connection may carry any number of messages, and a connection per
 *   message works as well. A new connection makes the driver drop the
 *   previous one (unread bytes included; if that one is still open with a
 *   read pending, libfprint logs a g_warning). Closing right after writing,
 *   as synth_finger_send() does, is clean: the bytes stay queued, the driver
 *   reads them and then sees EOF and closes its end.
 * - Every new connection switches automatic finger reports on: the driver
 *   reports "finger on" before and "finger off" after each image itself, so
 *   -4 is not needed. After -3 0 an image is only used between -4 1 and -4 0.
 * - When to send: while the device waits for a finger, i.e. after
 *   FP_FINGER_STATUS_NEEDED was raised (once per enrolment stage, once per
 *   verify/identify). Once a connection delivered an image the driver keeps
 *   reading it, even between operations and between enrolment stages; an
 *   image read then is dropped with a g_critical() ("image_captured:
 *   assertion ... STATE_CAPTURE failed") and the operation waits forever.
 *   (A connection opened while no operation runs is not read until the next
 *   one starts, so one early image on a fresh connection happens to work;
 *   don't rely on it.) One image per NEEDED edge is always right.
 * - The socket is listened on only while the device is open (from the start
 *   of fp_device_open(), which completes ~100 ms later, until close). Its
 *   file stays behind after close: connect() then fails with ECONNREFUSED,
 *   so existence of the file proves nothing. The next open replaces it.
 * - The kernel buffers about two images (212992-byte default buffer): a
 *   sender running in the thread that iterates libfprint's main context must
 *   not write more than that ahead, or it blocks until its own deadline. */

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
 * bytes, row-major). Thread-safe; ~35 ms at -O2, ~50 ms at -O0. */
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

/* Render/connect, write one message, close. Call once per NEEDED edge. */
int synth_finger_send(const char *socket_path, uint64_t seed, char **error_message);
int synth_finger_send_control(const char *socket_path, SynthFingerControl command,
                              int32_t argument, char **error_message);
