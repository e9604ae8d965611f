/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "unit-files.h"

#define SYSTEMD_SERVICE "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define MANAGER_INTERFACE "org.freedesktop.systemd1.Manager"

static void bus_message_unrefp(sd_bus_message **m) {
        sd_bus_message_unref(*m);
}

#define _cleanup_bus_message_ _cleanup_(bus_message_unrefp)
#define _cleanup_bus_error_ _cleanup_(sd_bus_error_free)

/* Count the (type, file, destination) changes an EnableUnitFiles or DisableUnitFiles reply lists. */
static int count_changes(sd_bus_message *reply) {
        const char *type, *file, *destination;
        int n = 0, r;

        r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "(sss)");
        if (r < 0)
                return r;

        while ((r = sd_bus_message_read(reply, "(sss)", &type, &file, &destination)) > 0) {
                log_debug("%s %s → %s", type, file, destination);
                n++;
        }
        if (r < 0)
                return r;

        r = sd_bus_message_exit_container(reply);
        return r < 0 ? r : n;
}

int unit_file_enable(sd_bus *bus, const char *unit) {
        _cleanup_bus_message_ sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int carries_install_info, r;

        r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_SERVICE, SYSTEMD_PATH, MANAGER_INTERFACE, "EnableUnitFiles");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char *[]) { (char *) unit, NULL });
        if (r >= 0)
                r = sd_bus_message_append(m, "bb", 0, 0); /* runtime=false, force=false */
        if (r < 0)
                return log_error_errno(r, "Failed to create the call to enable %s: %m", unit);

        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0)
                return log_error_errno(r, "Failed to enable %s: %s", unit, error.message ?: strerror(-r));

        r = sd_bus_message_read(reply, "b", &carries_install_info);
        if (r >= 0)
                r = count_changes(reply);
        if (r < 0)
                return log_error_errno(r, "Failed to read systemd's reply to enabling %s: %m", unit);

        return r;
}

int unit_file_disable(sd_bus *bus, const char *unit) {
        _cleanup_bus_message_ sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_SERVICE, SYSTEMD_PATH, MANAGER_INTERFACE, "DisableUnitFiles");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char *[]) { (char *) unit, NULL });
        if (r >= 0)
                r = sd_bus_message_append(m, "b", 0); /* runtime=false */
        if (r < 0)
                return log_error_errno(r, "Failed to create the call to disable %s: %m", unit);

        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0)
                return log_error_errno(r, "Failed to disable %s: %s", unit, error.message ?: strerror(-r));

        r = count_changes(reply);
        if (r < 0)
                return log_error_errno(r, "Failed to read systemd's reply to disabling %s: %m", unit);

        return r;
}
