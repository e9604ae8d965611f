/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Maximum length of a unit name in systemd, suffix included. */
#define UNIT_NAME_MAX 255

/* Build the unit name systemd uses for a normalized absolute path, as "systemd-escape --path
 * --suffix=SUFFIX" does. Returns -ENAMETOOLONG when the name would exceed UNIT_NAME_MAX,
 * because systemd 252 then replaces it with a hashed name no unit file can match. */
int unit_name_from_path(const char *path, const char *suffix, char **ret);
