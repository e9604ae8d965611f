/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

/* Connect to the system bus. Returns NULL (and logs at debug level) when there is none, so
 * callers can report states as "unknown" instead of failing. */
sd_bus *system_bus_open(void);

/* Return the state of machine name as systemd-machined reports it ("running", "opening",
 * "closing"), "stopped" if machined does not know it, or "unknown" without a bus or machined.
 * The caller frees the result; NULL means out of memory. */
char *machine_state(sd_bus *bus, const char *name);

/* Return the ExecStart= command line that systemd applies to unit, or NULL if it cannot tell. */
char *unit_exec_start(sd_bus *bus, const char *unit);

/* Return the unit's drop-in paths as systemd loaded them, space-separated, or NULL. */
char *unit_dropin_paths(sd_bus *bus, const char *unit);
