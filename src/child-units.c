/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "child-units.h"
#include "event-log.h"
#include "log.h"
#include "mount-state.h"
#include "unit-control.h"
#include "unit-render.h"

#define STOP_TIMEOUT_USEC (5 * 60 * UINT64_C(1000000))

int child_units_make(const Container *c, ChildUnits *ret) {
        size_t stem = strlen(c->mount_unit) - strlen(".mount");

        *ret = (ChildUnits) {};
        if (asprintf(&ret->service, NSPAWN_UNIT_PREFIX "%s.service", c->name) < 0 ||
            asprintf(&ret->automount, "%.*s.automount", (int) stem, c->mount_unit) < 0 ||
            asprintf(&ret->prepare, PREPARE_UNIT_PREFIX "%s.service", c->name) < 0 ||
            !(ret->mount = strdup(c->mount_unit))) {
                child_units_done(ret);
                return log_oom();
        }

        return 0;
}

void child_units_done(ChildUnits *u) {
        free(u->service);
        free(u->mount);
        free(u->automount);
        free(u->prepare);
        *u = (ChildUnits) {};
}

int child_units_service_is_up(sd_bus *bus, const Container *c, bool *ret) {
        _cleanup_free_ char *state = NULL;
        ChildUnits u;
        int r;

        r = child_units_make(c, &u);
        if (r < 0)
                return r;

        r = unit_get_active_state(bus, u.service, &state);
        if (r < 0)
                log_error_errno(r, "Failed to read the state of %s: %m", u.service);
        else
                *ret = unit_state_is_up(state);

        child_units_done(&u);
        return r < 0 ? r : 0;
}

int child_units_stop(sd_bus *bus, const Container *c, const char *base, bool *ret_was_running) {
        ChildUnits u;
        bool was_running = false;
        int r;

        r = child_units_make(c, &u);
        if (r < 0)
                return r;

        const char *const order[] = { u.service, u.automount, u.mount, u.prepare };

        for (size_t i = 0; i < ELEMENTSOF(order); i++) {
                _cleanup_free_ char *state = NULL;

                r = unit_get_active_state(bus, order[i], &state);
                if (r < 0) {
                        log_error_errno(r, "Failed to read the state of %s: %m", order[i]);
                        goto finish;
                }
                if (streq(state, "inactive") || streq(state, "failed"))
                        continue;
                if (i == 0)
                        was_running = unit_state_is_up(state);

                r = unit_stop_and_wait(bus, order[i], STOP_TIMEOUT_USEC);
                if (r < 0)
                        goto finish;
                event_log(LOG_INFO, c->name, base, "Stopped %s.", order[i]);
        }

        /* The table read before the stops would still show the overlay. */
        mount_state_reload();
        if (mount_state_of(c->directory) != MOUNT_STATE_UNMOUNTED) {
                r = log_error_errno(EBUSY, "Child %s is still mounted at %s. Unmount it (systemctl stop %s) and try again.",
                                    c->name, c->directory, c->mount_unit);
                goto finish;
        }

        if (ret_was_running)
                *ret_was_running = was_running;
        r = 0;

finish:
        child_units_done(&u);
        return r;
}
