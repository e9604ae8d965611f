/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "strbuf.h"

/* Append s as a JSON string literal, with quotes, escapes and invalid UTF-8 bytes replaced by
 * U+FFFD. NULL becomes null. */
void json_append_string(StrBuf *b, const char *s);

/* Append "key":"value" (with a leading comma unless first). */
void json_append_member_string(StrBuf *b, bool first, const char *key, const char *value);
void json_append_member_uint(StrBuf *b, bool first, const char *key, uint64_t value);
void json_append_member_bool(StrBuf *b, bool first, const char *key, bool value);
