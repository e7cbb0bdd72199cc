/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "synth-finger.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* ---- the image ---------------------------------------------------------- */

/* Everything below is integer arithmetic, so an image is the same bit for
 * bit whatever the compiler, FPU or libm: a test that passes here passes
 * everywhere. Angles are uint32 "binary turns" (2^32 = one full turn), so
 * phase sums wrap around exactly like angles do. Positions are in 1/16 px. */

#define SUB 16
#define N_SINGULARITIES 40
#define MARGIN_PX 14         /* keep minutiae off the border, where NBIS drops them */
#define MIN_SPACING_PX 22    /* ~2.5 ridge periods: neighbours stay separate minutiae */
#define CORDIC_STEPS 18

/* atan(2^-i) in binary turns. */
static const uint32_t cordic_atan[CORDIC_STEPS] = {
        536870912, 316933406, 167458907, 85004756, 42667331, 21354465,
        10679838, 5340245, 2670163, 1335087, 667544, 333772,
        166886, 83443, 41722, 20861, 10430, 5215,
};
/* 1 / CORDIC gain, scaled by 2^30. */
#define CORDIC_INV_GAIN 652032874

/* Arithmetic right shift without relying on implementation-defined >> of
 * negative numbers: rounds towards minus infinity. */
static int64_t asr(int64_t v, unsigned n) {
        return v < 0 ? ~(~v >> n) : v >> n;
}

/* splitmix64: tiny, good enough, and fully specified. */
static uint64_t rng_next(uint64_t *state) {
        uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        return z ^ (z >> 31);
}

/* Uniform-ish in [lo, hi]; the modulo bias is irrelevant here. */
static int32_t rng_range(uint64_t *state, int32_t lo, int32_t hi) {
        return lo + (int32_t) (rng_next(state) % (uint64_t) (hi - lo + 1));
}

/* atan2(y, x) in binary turns, CORDIC vectoring. */
static uint32_t turn_atan2(int64_t y, int64_t x) {
        uint32_t angle = 0;

        if (x < 0) {
                /* Rotate by half a turn so CORDIC's ±99° range covers it. */
                x = -x;
                y = -y;
                angle = UINT32_C(0x80000000);
        }
        for (unsigned i = 0; i < CORDIC_STEPS; i++) {
                int64_t nx;

                if (y > 0) {
                        nx = x + asr(y, i);
                        y -= asr(x, i);
                        angle += cordic_atan[i];
                } else {
                        nx = x - asr(y, i);
                        y += asr(x, i);
                        angle -= cordic_atan[i];
                }
                x = nx;
        }
        return angle;
}

/* cos(angle) scaled by 2^30, CORDIC rotation. */
static int64_t turn_cos(uint32_t angle) {
        int64_t x = CORDIC_INV_GAIN, y = 0, sign = 1;
        int32_t z = (int32_t) angle;

        if (z > INT32_MAX / 2 || z < INT32_MIN / 2) {
                /* cos(a) = -cos(a - half turn): bring it into ±quarter turn. */
                z = (int32_t) (angle + UINT32_C(0x80000000));
                sign = -1;
        }
        for (unsigned i = 0; i < CORDIC_STEPS; i++) {
                int64_t nx;

                if (z >= 0) {
                        nx = x - asr(y, i);
                        y += asr(x, i);
                        z -= (int32_t) cordic_atan[i];
                } else {
                        nx = x + asr(y, i);
                        y -= asr(x, i);
                        z += (int32_t) cordic_atan[i];
                }
                x = nx;
        }
        return sign * x;
}

static uint64_t isqrt(uint64_t v) {
        uint64_t r = 0, bit = UINT64_C(1) << 62;

        while (bit > v)
                bit >>= 2;
        for (; bit; bit >>= 2) {
                if (v >= r + bit) {
                        v -= r + bit;
                        r = (r >> 1) + bit;
                } else
                        r >>= 1;
        }
        return r;
}

typedef struct Finger {
        int32_t cx, cy;           /* whorl centre, 1/16 px */
        int32_t aspect;           /* vertical squeeze of the whorl, /256 */
        uint32_t period;          /* ridge period, 1/256 px */
        uint32_t phase0;          /* phase offset, binary turns */
        int n;
        int32_t sx[N_SINGULARITIES], sy[N_SINGULARITIES]; /* 1/16 px, odd */
        int charge[N_SINGULARITIES];
} Finger;

static void finger_init(Finger *f, uint64_t seed) {
        uint64_t rng = seed ^ UINT64_C(0x5eed0f1f1ae7f00d);
        const int32_t min2 = MIN_SPACING_PX * MIN_SPACING_PX * SUB * SUB;

        /* The whorl differs per finger too, so that no two fingers share
         * even the minutiae the carrier itself may produce near its core. */
        f->cx = rng_range(&rng, 96, 160) * SUB;
        f->cy = rng_range(&rng, 130, 230) * SUB;
        f->aspect = rng_range(&rng, 190, 256);
        f->period = (uint32_t) rng_range(&rng, 8 * 256 + 128, 9 * 256 + 128);
        f->phase0 = (uint32_t) rng_next(&rng);

        /* Rejection sampling with a bounded number of tries; at this density
         * it practically always places all of them. */
        f->n = 0;
        for (int tries = 0; f->n < N_SINGULARITIES && tries < 20000; tries++) {
                /* Odd sub-pixel coordinates never coincide with a pixel
                 * centre (multiples of SUB), so no pixel sits on a pole. */
                int32_t x = rng_range(&rng, MARGIN_PX * SUB, (SYNTH_FINGER_WIDTH - MARGIN_PX) * SUB) | 1;
                int32_t y = rng_range(&rng, MARGIN_PX * SUB, (SYNTH_FINGER_HEIGHT - MARGIN_PX) * SUB) | 1;
                int charge = (rng_next(&rng) & 1) ? 1 : -1;
                int ok = 1;

                for (int j = 0; ok && j < f->n; j++) {
                        int32_t dx = x - f->sx[j], dy = y - f->sy[j];

                        ok = dx * dx + dy * dy >= min2;
                }
                {
                        int32_t dx = x - f->cx, dy = y - f->cy;

                        ok = ok && dx * dx + dy * dy >= min2;
                }
                if (!ok)
                        continue;
                f->sx[f->n] = x;
                f->sy[f->n] = y;
                f->charge[f->n] = charge;
                f->n++;
        }
}

void synth_finger_render(uint64_t seed, uint8_t *pixels) {
        Finger f;

        finger_init(&f, seed);
        for (int32_t py = 0; py < SYNTH_FINGER_HEIGHT; py++)
                for (int32_t px = 0; px < SYNTH_FINGER_WIDTH; px++) {
                        int64_t x = (int64_t) px * SUB, y = (int64_t) py * SUB;
                        int64_t dx = x - f.cx, dy = (y - f.cy) * f.aspect / 256;
                        uint64_t r = isqrt((uint64_t) (dx * dx + dy * dy) << 8); /* 1/256 px */
                        uint32_t phase = f.phase0 + (uint32_t) ((r << 32) / f.period);
                        int64_t re = INT64_C(1) << 29, im = 0;
                        int64_t c;

                        /* Σ ±atan2 around each pole is the argument of the
                         * product of (z - pole) or its conjugate: one atan2
                         * per pixel instead of forty. Renormalise after each
                         * factor so the product stays within 2^30. */
                        for (int j = 0; j < f.n; j++) {
                                int64_t ex = x - f.sx[j], ey = (y - f.sy[j]) * f.charge[j];
                                int64_t nre = re * ex - im * ey, nim = re * ey + im * ex;
                                uint64_t m = (uint64_t) (nre < 0 ? -nre : nre) | (uint64_t) (nim < 0 ? -nim : nim);
                                unsigned shift = m >= (UINT64_C(1) << 30) ? 34 - (unsigned) __builtin_clzll(m) : 0;

                                re = asr(nre, shift);
                                im = asr(nim, shift);
                        }
                        phase += turn_atan2(im, re);

                        c = turn_cos(phase);
                        pixels[py * SYNTH_FINGER_WIDTH + px] = (uint8_t) (128 + asr(c * 100, 30));
                }
}

/* ---- the sender --------------------------------------------------------- */

static int fail(char **error_message, int r, const char *format, ...) __attribute__((format(printf, 3, 4)));

static int fail(char **error_message, int r, const char *format, ...) {
        va_list ap;

        if (!error_message)
                return r;
        free(*error_message);
        *error_message = NULL;
        va_start(ap, format);
        if (vasprintf(error_message, format, ap) < 0)
                *error_message = NULL;
        va_end(ap);
        return r;
}

static int64_t now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int synth_finger_connect(const char *socket_path, char **error_message) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct timeval tv = { .tv_sec = SYNTH_FINGER_TIMEOUT_MS / 1000,
                              .tv_usec = (SYNTH_FINGER_TIMEOUT_MS % 1000) * 1000 };
        int fd;

        if (strlen(socket_path) >= sizeof(sa.sun_path))
                return fail(error_message, -ENAMETOOLONG, "socket path too long: %s", socket_path);
        strcpy(sa.sun_path, socket_path);

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return fail(error_message, -errno, "socket(): %s", strerror(errno));

        /* The driver listens with a backlog of 1: a connect() can block until
         * it accepted the previous one. SO_SNDTIMEO bounds that wait. */
        if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
            connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int r = -errno;

                close(fd);
                if (r == -ENOENT)
                        return fail(error_message, r, "%s does not exist: is the virtual_image device open?",
                                    socket_path);
                if (r == -ECONNREFUSED)
                        return fail(error_message, r,
                                    "nothing listens on %s: a stale socket of a device that was closed?",
                                    socket_path);
                if (r == -EAGAIN || r == -EINPROGRESS)
                        return fail(error_message, -ETIMEDOUT, "connecting to %s timed out", socket_path);
                return fail(error_message, r, "connect(%s): %s", socket_path, strerror(-r));
        }
        return fd;
}

/* Writes all of @buf before a deadline. MSG_DONTWAIT + poll() rather than a
 * blocking send(): a driver that stops reading must not hang the caller, and
 * MSG_NOSIGNAL turns a vanished driver into -EPIPE instead of SIGPIPE. */
static int write_all(int fd, const void *buf, size_t len, int64_t deadline, char **error_message) {
        const uint8_t *p = buf;

        while (len > 0) {
                ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

                if (n >= 0) {
                        p += n;
                        len -= (size_t) n;
                        continue;
                }
                if (errno == EINTR)
                        continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                        struct pollfd pfd = { .fd = fd, .events = POLLOUT };
                        int64_t left = deadline - now_ms();
                        int r;

                        if (left <= 0)
                                return fail(error_message, -ETIMEDOUT,
                                            "the driver did not read the image within %d ms "
                                            "(is the device open and waiting for a finger?)",
                                            SYNTH_FINGER_TIMEOUT_MS);
                        r = poll(&pfd, 1, (int) left);
                        if (r < 0 && errno != EINTR)
                                return fail(error_message, -errno, "poll(): %s", strerror(errno));
                        continue;
                }
                return fail(error_message, -errno, "send(): %s", strerror(errno));
        }
        return 0;
}

int synth_finger_write_image(int fd, const uint8_t *pixels, int32_t width, int32_t height,
                             char **error_message) {
        int32_t header[2] = { width, height };
        int64_t deadline = now_ms() + SYNTH_FINGER_TIMEOUT_MS;
        int r;

        /* The driver disconnects on anything above 5000 either way. */
        if (width <= 0 || height <= 0 || width > 5000 || height > 5000)
                return fail(error_message, -EINVAL, "bad image size %dx%d", width, height);
        r = write_all(fd, header, sizeof(header), deadline, error_message);
        if (r < 0)
                return r;
        return write_all(fd, pixels, (size_t) width * (size_t) height, deadline, error_message);
}

int synth_finger_write_control(int fd, SynthFingerControl command, int32_t argument,
                               char **error_message) {
        int32_t msg[2] = { (int32_t) command, argument };

        if (msg[0] >= 0)
                return fail(error_message, -EINVAL, "control commands are negative, not %d", msg[0]);
        return write_all(fd, msg, sizeof(msg), now_ms() + SYNTH_FINGER_TIMEOUT_MS, error_message);
}

int synth_finger_send(const char *socket_path, uint64_t seed, char **error_message) {
        uint8_t *pixels = malloc(SYNTH_FINGER_WIDTH * SYNTH_FINGER_HEIGHT);
        int fd, r;

        if (!pixels)
                return fail(error_message, -ENOMEM, "out of memory");
        synth_finger_render(seed, pixels);

        fd = synth_finger_connect(socket_path, error_message);
        if (fd < 0) {
                free(pixels);
                return fd;
        }
        r = synth_finger_write_image(fd, pixels, SYNTH_FINGER_WIDTH, SYNTH_FINGER_HEIGHT, error_message);
        close(fd);
        free(pixels);
        return r;
}

int synth_finger_send_control(const char *socket_path, SynthFingerControl command,
                              int32_t argument, char **error_message) {
        int fd = synth_finger_connect(socket_path, error_message);
        int r;

        if (fd < 0)
                return fd;
        r = synth_finger_write_control(fd, command, argument, error_message);
        close(fd);
        return r;
}
