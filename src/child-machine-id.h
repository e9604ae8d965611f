/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-id128.h>

/* Derive a child's machine ID from the host's machine ID and the child's name, so it is stable
 * across reboots, differs between children and between hosts, and reveals neither input. */
int child_machine_id(const char *name, sd_id128_t *ret);
