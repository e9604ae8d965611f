/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "strbuf.h"

/* Append a value for a unit file directive that expands specifiers: "%" becomes "%%". The
 * value must not contain control characters or end in a backslash (line continuation); the
 * config loader rejects such values. */
void unit_append_value(StrBuf *b, const char *s);

/* Append one word of a space-separated list directive, such as RequiresMountsFor=, that
 * systemd splits with quote and backslash handling and then expands specifiers in. */
void unit_append_word(StrBuf *b, const char *s);

/* Append one argument of an ExecStart= command line: quoted where needed, with C-style
 * backslash escapes, "%" doubled for specifiers and "$" doubled for environment expansion. */
void unit_append_exec_arg(StrBuf *b, const char *s);

/* Append OPTION and VALUE as one ExecStart= argument, such as --bind=VALUE, escaped as
 * unit_append_exec_arg() escapes a whole argument. */
void unit_append_exec_option(StrBuf *b, const char *option, const char *value);
