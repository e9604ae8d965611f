/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_ __attribute__((noreturn))

#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define MIN(a, b) ((a) < (b) ? (a) : (b))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define streq(a, b) (strcmp((a), (b)) == 0)
#define strneq(a, b, n) (strncmp((a), (b), (n)) == 0)

static inline bool isempty(const char *s) {
        return !s || s[0] == '\0';
}

static inline const char *strempty(const char *s) {
        return s ?: "";
}

/* Hand a pointer over to a new owner and clear the old variable, so its cleanup handler does nothing. */
#define TAKE_PTR(p)                                     \
        ({                                              \
                __typeof__(p) _taken = (p);             \
                (p) = NULL;                             \
                _taken;                                 \
        })

#define TAKE_FD(fd)                                     \
        ({                                              \
                int _taken_fd = (fd);                   \
                (fd) = -EBADF;                          \
                _taken_fd;                              \
        })

static inline void freep(void *p) {
        free(*(void **) p);
}

static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved_errno = errno;
                (void) close(*fd);
                errno = saved_errno;
        }
}

/* Close fd if it is open and return -EBADF, for "fd = safe_close(fd);". */
static inline int safe_close(int fd) {
        if (fd >= 0) {
                int saved_errno = errno;
                (void) close(fd);
                errno = saved_errno;
        }
        return -EBADF;
}

static inline void fclosep(FILE **f) {
        if (*f)
                (void) fclose(*f);
}

static inline void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)

/* Store a negative errno as the function result, keeping errno itself intact for %m. */
static inline int negative_errno(void) {
        assert(errno > 0);
        return -errno;
}

#define RET_NERRNO(expr)                                \
        ({                                              \
                int _r = (expr);                        \
                _r < 0 ? negative_errno() : _r;         \
        })
