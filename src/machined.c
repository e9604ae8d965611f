/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <string.h>

#include "log.h"
#include "machined.h"
#include "strbuf.h"

#define MACHINED_SERVICE "org.freedesktop.machine1"
#define MACHINED_PATH "/org/freedesktop/machine1"
#define SYSTEMD_SERVICE "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"

sd_bus *system_bus_open(void) {
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0) {
                log_debug_errno(r, "Failed to connect to the system bus: %m");
                return NULL;
        }

        return bus;
}

char *machine_state(sd_bus *bus, const char *name) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *path;
        char *state = NULL;
        int r;

        if (!bus)
                return strdup("unknown");

        r = sd_bus_call_method(bus, MACHINED_SERVICE, MACHINED_PATH, "org.freedesktop.machine1.Manager",
                               "GetMachine", &error, &reply, "s", name);
        if (r < 0) {
                bool missing = sd_bus_error_has_name(&error, "org.freedesktop.machine1.NoSuchMachine");

                log_debug("Failed to look up machine %s: %s", name, error.message ?: strerror(-r));
                sd_bus_error_free(&error);
                return strdup(missing ? "stopped" : "unknown");
        }

        r = sd_bus_message_read(reply, "o", &path);
        if (r >= 0)
                r = sd_bus_get_property_string(bus, MACHINED_SERVICE, path, "org.freedesktop.machine1.Machine",
                                               "State", &error, &state);
        sd_bus_message_unref(reply);
        sd_bus_error_free(&error);

        return r < 0 ? strdup("unknown") : state;
}

static int get_unit_path(sd_bus *bus, const char *unit, char **ret) {
        sd_bus_message *reply = NULL;
        const char *path;
        int r;

        r = sd_bus_call_method(bus, SYSTEMD_SERVICE, SYSTEMD_PATH, "org.freedesktop.systemd1.Manager",
                               "LoadUnit", NULL, &reply, "s", unit);
        if (r < 0)
                return r;

        r = sd_bus_message_read(reply, "o", &path);
        if (r >= 0) {
                *ret = strdup(path);
                r = *ret ? 0 : -ENOMEM;
        }

        sd_bus_message_unref(reply);
        return r;
}

/* ExecStart is an array of (path, argv, ignore-failure, timestamps…, pid, status). */
static int append_exec_commands(sd_bus_message *m, StrBuf *b) {
        int r;

        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "(sasbttttuii)");
        if (r < 0)
                return r;

        while ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_STRUCT, "sasbttttuii")) > 0) {
                char **argv = NULL;
                const char *path;

                r = sd_bus_message_read(m, "s", &path);
                if (r >= 0)
                        r = sd_bus_message_read_strv(m, &argv);
                if (r < 0)
                        return r;

                if (b->len > 0)
                        strbuf_append(b, " ; ");
                for (char **a = argv; a && *a; a++) {
                        if (a != argv)
                                strbuf_append_char(b, ' ');
                        strbuf_append(b, *a);
                        free(*a);
                }
                free(argv);

                r = sd_bus_message_skip(m, "bttttuii");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;

        return sd_bus_message_exit_container(m);
}

char *unit_exec_start(sd_bus *bus, const char *unit) {
        _cleanup_free_ char *path = NULL;
        _cleanup_(strbuf_done) StrBuf b = {};
        sd_bus_message *reply = NULL;
        int r;

        if (!bus || get_unit_path(bus, unit, &path) < 0)
                return NULL;

        r = sd_bus_get_property(bus, SYSTEMD_SERVICE, path, "org.freedesktop.systemd1.Service", "ExecStart",
                                NULL, &reply, "a(sasbttttuii)");
        if (r < 0)
                return NULL;

        r = append_exec_commands(reply, &b);
        sd_bus_message_unref(reply);
        if (r < 0 || !strbuf_ok(&b))
                return NULL;

        return b.data ? TAKE_PTR(b.data) : strdup("");
}

char *unit_dropin_paths(sd_bus *bus, const char *unit) {
        _cleanup_free_ char *path = NULL;
        _cleanup_(strbuf_done) StrBuf b = {};
        char **paths = NULL;
        int r;

        if (!bus || get_unit_path(bus, unit, &path) < 0)
                return NULL;

        r = sd_bus_get_property_strv(bus, SYSTEMD_SERVICE, path, "org.freedesktop.systemd1.Unit", "DropInPaths",
                                     NULL, &paths);
        if (r < 0)
                return NULL;

        for (char **p = paths; *p; p++) {
                if (p != paths)
                        strbuf_append_char(&b, ' ');
                strbuf_append(&b, *p);
                free(*p);
        }
        free(paths);

        if (!strbuf_ok(&b))
                return NULL;

        return b.data ? TAKE_PTR(b.data) : strdup("");
}
