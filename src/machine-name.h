/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Maximum length of a machine name in systemd-nspawn and systemd-machined (HOST_NAME_MAX). */
#define MACHINE_NAME_MAX 64

/* Check a machine name as systemd-nspawn does: letters, digits, "-" and ".", at most 64 bytes,
 * no leading or trailing "-" or ".", no "..". On failure, *ret_reason names the broken rule. */
bool machine_name_is_valid(const char *s, const char **ret_reason);

/* Return a valid machine name close to s (invalid characters become "-"), or NULL if none
 * can be derived. */
char *machine_name_suggest(const char *s);
