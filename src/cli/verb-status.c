/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child-units.h"
#include "cli.h"
#include "disk-usage.h"
#include "json.h"
#include "log.h"
#include "output.h"
#include "strbuf.h"
#include "runtime-dir.h"
#include "unit-render.h"
#include "userns-plan.h"

/* A settings file can replace the command line options we generate (--settings=override). */
static const char *find_nspawn_settings(const char *name, char buf[static 4096]) {
        static const char *const dirs[] = { "/etc/systemd/nspawn", "/run/systemd/nspawn" };

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                (void) snprintf(buf, 4096, "%s/%s.nspawn", dirs[i], name);
                if (access(buf, F_OK) >= 0)
                        return buf;
        }

        return NULL;
}

/* The user namespace the child runs with: what its prepare unit recorded, or, before it ran,
 * what it would choose now. */
typedef struct UsernsStatus {
        char mode[32];
        unsigned shift;
        char reason[256];
        bool recorded;
} UsernsStatus;

static void read_userns_status(const Container *c, UsernsStatus *ret) {
        _cleanup_free_ char *path = runtime_path(c->name, RUNTIME_USERNS_FILE);
        _cleanup_fclose_ FILE *f = NULL;
        char line[512];
        UsernsPlan plan;
        int saved_level = log_get_max_level();

        *ret = (UsernsStatus) {};

        f = path ? fopen(path, "re") : NULL;
        if (f) {
                while (fgets(line, sizeof(line), f)) {
                        line[strcspn(line, "\n")] = '\0';
                        if (strneq(line, "MODE=", 5))
                                (void) snprintf(ret->mode, sizeof(ret->mode), "%.31s", line + 5);
                        else if (strneq(line, "UID_SHIFT=", 10))
                                ret->shift = (unsigned) strtoul(line + 10, NULL, 10);
                        else if (strneq(line, "REASON=", 7))
                                (void) snprintf(ret->reason, sizeof(ret->reason), "%.255s", line + 7);
                }
                ret->recorded = true;
                return;
        }

        log_set_max_level(LOG_CRIT);
        if (userns_plan_make(c, &plan) >= 0) {
                (void) snprintf(ret->mode, sizeof(ret->mode), "%s", private_users_mode_to_string(plan.mode));
                (void) snprintf(ret->reason, sizeof(ret->reason), "%s", plan.reason);
        } else {
                (void) snprintf(ret->mode, sizeof(ret->mode), "%s", "unknown");
                (void) snprintf(ret->reason, sizeof(ret->reason), "%s", "no choice works now; 'nspawn-overlay verify' says why");
        }
        log_set_max_level(saved_level);
}

static void print_status(const ContainerInfo *info, const ChildUnits *u, const UsernsStatus *userns, const char *exec_start,
                         const char *generated, const char *dropins, const char *settings) {
        const Container *c = info->container;
        char size[16];

        printf("%s%s%s\n", ansi(ANSI_HIGHLIGHT), c->name, ansi(ANSI_NORMAL));
        printf("      Config: %s\n", c->path);
        for (char **d = c->dropins; d && *d; d++)
                printf("%s %s\n", d == c->dropins ? "    Drop-ins:" : "             ", *d);
        for (char **l = c->lowers; *l; l++)
                printf("%s %s\n", l == c->lowers ? "        Base:" : "             ", *l);
        printf("   Directory: %s (%s)\n", c->directory, mount_state_to_string(info->mount));
        printf("       Upper: %s (%s)\n", c->upper, info->upper_known ? format_bytes(size, info->upper_bytes) : "missing");
        printf("        Work: %s\n", c->work);
        printf("     Machine: %s%s%s\n", machine_state_color(info->machine), info->machine,
               *machine_state_color(info->machine) ? ansi(ANSI_NORMAL) : "");
        printf("PrivateUsers: %s\n", private_users_mode_to_string(c->private_users));
        if (userns->recorded)
                printf("   User NS: %s, UID range %u (%s)\n", userns->mode, userns->shift, userns->reason);
        else
                printf("   User NS: %s when started (%s)\n", userns->mode, userns->reason);
        printf("       Units: %s\n", u->service);
        printf("              %s\n", u->mount);
        if (info->container->automount)
                printf("              %s\n", u->automount);
        printf("              %s\n", u->prepare);
        if (dropins && *dropins)
                printf(" Unit drop-ins: %s\n", dropins);
        if (exec_start)
                printf("   ExecStart: %s\n", exec_start);
        else
                printf("   ExecStart: %s (generated; systemd could not be asked which one applies)\n", generated);
        if (settings)
                printf("    Settings: %s (its options override the command line)\n", settings);
        if (c->offline_changes_unsafe)
                printf("        Note: Options= enables an overlay feature that forbids changing the base while the child exists.\n");
}

static void append_json_status(StrBuf *b, const ContainerInfo *info, const ChildUnits *u, const UsernsStatus *userns, const char *exec_start,
                               const char *generated, const char *settings) {
        container_info_append_json(b, info);

        /* Reopen the object to add the status-only members. */
        b->len--;
        json_append_member_string(b, false, "private_users", private_users_mode_to_string(info->container->private_users));
        json_append_member_string(b, false, "user_namespace", userns->mode);
        if (userns->recorded)
                json_append_member_uint(b, false, "uid_shift", userns->shift);
        json_append_member_string(b, false, "user_namespace_reason", userns->reason);
        json_append_member_bool(b, false, "user_namespace_recorded", userns->recorded);
        json_append_member_string(b, false, "service_unit", u->service);
        json_append_member_string(b, false, "mount_unit", u->mount);
        json_append_member_string(b, false, "automount_unit", info->container->automount ? u->automount : NULL);
        json_append_member_string(b, false, "prepare_unit", u->prepare);
        json_append_member_string(b, false, "exec_start", exec_start ?: generated);
        json_append_member_bool(b, false, "exec_start_from_systemd", exec_start != NULL);
        json_append_member_string(b, false, "settings_file", settings);
        strbuf_append(b, "}\n");
}

int verb_status(int argc, char *argv[]) {
        _cleanup_(strbuf_done) StrBuf generated = {}, out = {};
        _cleanup_free_ char *exec_start = NULL, *dropins = NULL;
        ContainerSet set = {};
        ContainerInfo info = {};
        ChildUnits units = {};
        UsernsStatus userns;
        Container *c;
        sd_bus *bus = NULL;
        char settings_buf[4096];
        const char *settings;
        int r;

        r = load_container_or_fail(&set, argv[1], &c);
        if (r < 0)
                goto finish;

        r = child_units_make(c, &units);
        if (r < 0)
                goto finish;

        bus = system_bus_open();
        r = container_info_gather(bus, c, &info);
        if (r < 0)
                goto finish;

        unit_render_nspawn_command(&generated, c);
        exec_start = unit_exec_start(bus, units.service);
        dropins = unit_dropin_paths(bus, units.service);
        settings = find_nspawn_settings(c->name, settings_buf);
        read_userns_status(c, &userns);

        if (arg_json) {
                append_json_status(&out, &info, &units, &userns, exec_start, strbuf_str(&generated), settings);
                pager_open(arg_no_pager);
                json_print(strbuf_str(&out), arg_json_pretty);
        } else {
                pager_open(arg_no_pager);
                print_status(&info, &units, &userns, exec_start, strbuf_str(&generated), dropins, settings);
        }
        r = 0;

finish:
        container_info_done(&info);
        child_units_done(&units);
        sd_bus_flush_close_unref(bus);
        container_set_done(&set);
        return r;
}
