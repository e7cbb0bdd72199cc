/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Ownership helpers for the PAM module (no GLib here). */

#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd) {
        if (*fd >= 0)
                (void) close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

/* Hand a pointer on, leaving NULL behind so no cleanup frees it. */
#define TAKE_PTR(p)                         \
        ({                                  \
                __typeof__(p) _ptr_ = (p);  \
                (p) = NULL;                 \
                _ptr_;                      \
        })

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
