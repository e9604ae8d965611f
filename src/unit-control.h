/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

/* Starting and stopping units through systemd's D-Bus API, waiting for the result. */

/* Return the unit's ActiveState ("active", "inactive", "failed", …) in *ret (to be freed). */
int unit_get_active_state(sd_bus *bus, const char *unit, char **ret);

/* True for the states in which a start was requested and not yet undone. */
bool unit_state_is_up(const char *state);

/* Queue a start ("StartUnit") or stop ("StopUnit") of unit with mode "replace" and wait until the
 * job is gone, at most timeout_usec. Returns -ETIMEDOUT, or -EIO when the unit ended up failed
 * (for a start) or still active (for a stop). */
int unit_start_and_wait(sd_bus *bus, const char *unit, uint64_t timeout_usec);
int unit_stop_and_wait(sd_bus *bus, const char *unit, uint64_t timeout_usec);

/* Ask systemd to reload its units (daemon-reload) and wait for it to finish. */
int manager_reload(sd_bus *bus);
