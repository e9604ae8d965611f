/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "config.h"

/* The units that run one child: its systemd-nspawn@ service, the overlay's mount and
 * automount, and the prepare unit. */
typedef struct ChildUnits {
        char *service;
        char *mount;
        char *automount;          /* named even with Automount=no; systemd then has no such unit */
        char *prepare;
} ChildUnits;

int child_units_make(const Container *c, ChildUnits *ret);
void child_units_done(ChildUnits *u);

/* Store in *ret whether a start of the child's systemd-nspawn@ service was requested and not
 * undone, judged by unit_state_is_up(). */
int child_units_service_is_up(sd_bus *bus, const Container *c, bool *ret);

/* Stop the child's units and wait for each: the machine first, the automount before the mount
 * (it would mount the overlay again on access), the prepare unit last (its stop releases the
 * lower layers). Each stop is logged with event_log() under base. Stores in *ret_was_running
 * whether the service was up. Afterwards checks that nothing is mounted on the child's
 * directory. */
int child_units_stop(sd_bus *bus, const Container *c, const char *base, bool *ret_was_running);
