/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

/* Enable or disable a unit file through org.freedesktop.systemd1.Manager, as "systemctl enable"
 * and "systemctl disable" do (by the unit's [Install] section), without the reload that
 * systemctl adds. Each logs its own error. Returns the number of symlinks created or removed. */
int unit_file_enable(sd_bus *bus, const char *unit);
int unit_file_disable(sd_bus *bus, const char *unit);
