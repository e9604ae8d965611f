/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* True if s contains an ASCII control character (0x01–0x1f or 0x7f). */
bool string_has_control_chars(const char *s);

bool utf8_is_valid(const char *s);

/* Return the length of the initial part of s that has only ASCII letters, digits and bytes of
 * extra. Like strspn() with the alphabet spelled out, but without building a byte table on
 * every call. */
size_t strspn_alnum(const char *s, const char *extra);

/* Parse a boolean as systemd does: 1/yes/y/true/t/on and 0/no/n/false/f/off, any case. */
int parse_boolean(const char *s);

/* A NULL-terminated list of owned strings. */
typedef char **strv;

void strv_free(char **l);
size_t strv_length(char *const *l);
/* Append a copy of s. */
int strv_extend(char ***l, const char *s);
/* Append s itself, which the list then owns. On failure s is freed. */
int strv_consume(char ***l, char *s);
bool strv_contains(char *const *l, const char *s);

static inline void strv_freep(char ***l) {
        strv_free(*l);
}
#define _cleanup_strv_free_ __attribute__((cleanup(strv_freep)))
