/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "macro.h"
#include "unit-control.h"

#define SYSTEMD_SERVICE "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define MANAGER_INTERFACE "org.freedesktop.systemd1.Manager"

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

int unit_get_active_state(sd_bus *bus, const char *unit, char **ret) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *path;
        int r;

        r = sd_bus_call_method(bus, SYSTEMD_SERVICE, SYSTEMD_PATH, MANAGER_INTERFACE, "LoadUnit", &error, &reply,
                               "s", unit);
        if (r < 0) {
                log_debug("Failed to load unit %s: %s", unit, error.message ?: strerror(-r));
                sd_bus_error_free(&error);
                return r;
        }

        r = sd_bus_message_read(reply, "o", &path);
        if (r >= 0)
                r = sd_bus_get_property_string(bus, SYSTEMD_SERVICE, path, "org.freedesktop.systemd1.Unit",
                                               "ActiveState", &error, ret);
        sd_bus_message_unref(reply);
        sd_bus_error_free(&error);
        return r;
}

bool unit_state_is_up(const char *state) {
        return streq(state, "active") || streq(state, "activating") || streq(state, "reloading");
}

static int job_exists(sd_bus *bus, const char *job) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char *state = NULL;
        int r;

        r = sd_bus_get_property_string(bus, SYSTEMD_SERVICE, job, "org.freedesktop.systemd1.Job", "State", &error, &state);
        free(state);
        sd_bus_error_free(&error);

        /* A finished job's object is gone from the bus. */
        return r >= 0;
}

static int queue_job_and_wait(sd_bus *bus, const char *method, const char *unit, uint64_t timeout_usec) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        _cleanup_free_ char *job = NULL;
        const char *path;
        uint64_t deadline = now_usec() + timeout_usec;
        int r;

        r = sd_bus_call_method(bus, SYSTEMD_SERVICE, SYSTEMD_PATH, MANAGER_INTERFACE, method, &error, &reply,
                               "ss", unit, "replace");
        if (r < 0) {
                r = log_error_errno(r, "Failed to %s %s: %s", streq(method, "StartUnit") ? "start" : "stop", unit,
                                    error.message ?: strerror(-r));
                sd_bus_error_free(&error);
                return r;
        }

        r = sd_bus_message_read(reply, "o", &path);
        if (r >= 0)
                job = strdup(path);
        sd_bus_message_unref(reply);
        if (!job)
                return log_oom();

        /* Polling the job keeps this free of signal subscriptions; jobs here take seconds. */
        while (job_exists(bus, job)) {
                if (now_usec() >= deadline)
                        return log_error_errno(ETIMEDOUT, "Timed out waiting for %s to %s.", unit,
                                               streq(method, "StartUnit") ? "start" : "stop");
                (void) usleep(50 * 1000);
        }

        return 0;
}

/* Run a start or stop job and check that the unit ended up up (start) or down (stop). */
static int run_job(sd_bus *bus, bool start, const char *unit, uint64_t timeout_usec) {
        _cleanup_free_ char *state = NULL;
        int r;

        r = queue_job_and_wait(bus, start ? "StartUnit" : "StopUnit", unit, timeout_usec);
        if (r < 0)
                return r;

        r = unit_get_active_state(bus, unit, &state);
        if (r < 0)
                return log_error_errno(r, "Failed to read the state of %s: %m", unit);
        if (unit_state_is_up(state) != start)
                return log_error_errno(EIO, "Unit %s is %s after its %s. See: systemctl status %s", unit, state,
                                       start ? "start" : "stop", unit);

        return 0;
}

int unit_start_and_wait(sd_bus *bus, const char *unit, uint64_t timeout_usec) {
        return run_job(bus, true, unit, timeout_usec);
}

int unit_stop_and_wait(sd_bus *bus, const char *unit, uint64_t timeout_usec) {
        return run_job(bus, false, unit, timeout_usec);
}

int manager_reload(sd_bus *bus) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        /* Reload replies only once the manager has reloaded. */
        r = sd_bus_call_method(bus, SYSTEMD_SERVICE, SYSTEMD_PATH, MANAGER_INTERFACE, "Reload", &error, NULL, NULL);
        if (r < 0)
                r = log_error_errno(r, "Failed to reload systemd: %s", error.message ?: strerror(-r));

        sd_bus_error_free(&error);
        return r;
}
