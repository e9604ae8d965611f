/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "machine-name.h"
#include "path-util.h"
#include "runtime-dir.h"
#include "time-util.h"
#include "unit-escape.h"
#include "unit-render.h"

#ifndef BINDIR
#define BINDIR "/usr/bin"
#endif

/* Directories in which systemd-machined 252 looks up machine images by name. */
static const char *const machine_image_dirs[] = {
        "/var/lib/machines",
        "/var/lib/container",
        "/usr/local/lib/machines",
        "/usr/lib/machines",
        NULL,
};

static void render_unit_section(StrBuf *b, const Container *c, const char *description) {
        strbuf_append(b, GENERATOR_HEADER "\n[Unit]\n");
        if (description) {
                strbuf_append(b, "Description=");
                strbuf_append(b, description);
                strbuf_append_char(b, ' ');
                strbuf_append(b, c->name);
                strbuf_append_char(b, '\n');
        }
        strbuf_append(b, "Documentation=man:nspawn-overlay.conf(5)\nSourcePath=");
        unit_append_value(b, c->path);
        strbuf_append_char(b, '\n');
}

static void render_layer_mounts(StrBuf *b, const Container *c) {
        strbuf_append(b, "RequiresMountsFor=");
        for (char **l = c->lowers; *l; l++) {
                unit_append_word(b, *l);
                strbuf_append_char(b, ' ');
        }
        unit_append_word(b, c->upper);
        strbuf_append_char(b, ' ');
        unit_append_word(b, c->work);
        strbuf_append_char(b, '\n');
}

void unit_render_mount(StrBuf *b, const Container *c) {
        render_unit_section(b, c, "Overlay root of container");
        strbuf_append(b, "Requires=" PREPARE_UNIT_PREFIX);
        strbuf_append(b, c->name);
        strbuf_append(b, ".service\nAfter=" PREPARE_UNIT_PREFIX);
        strbuf_append(b, c->name);
        strbuf_append(b, ".service\n");
        render_layer_mounts(b, c);

        strbuf_append(b, "\n[Mount]\nWhat=overlay\nWhere=");
        unit_append_value(b, c->directory);
        strbuf_append(b, "\nType=overlay\nOptions=");
        unit_append_value(b, c->mount_options);
        strbuf_append_char(b, '\n');
}

void unit_render_automount(StrBuf *b, const Container *c) {
        render_unit_section(b, c, "Automount for the overlay root of container");

        /* Without autofs in the kernel the automount could only fail and mark the system degraded.
         * The container starts without it, because its service pulls in the mount itself. */
        strbuf_append(b, "ConditionPathExists=/dev/autofs\n");

        strbuf_append(b, "\n[Automount]\nWhere=");
        unit_append_value(b, c->directory);
        strbuf_append_char(b, '\n');

        if (c->idle_timeout_set) {
                strbuf_append(b, "TimeoutIdleSec=");
                strbuf_append_timespan(b, c->idle_timeout_usec);
                strbuf_append_char(b, '\n');
        }
}

static void append_option(StrBuf *b, const char *option, const char *value) {
        strbuf_append_char(b, ' ');
        unit_append_exec_option(b, option, value);
}

static void render_private_users(StrBuf *b, const Container *c) {
        switch (c->private_users) {
        case PRIVATE_USERS_AUTO:
        case PRIVATE_USERS_IDMAP:
        case PRIVATE_USERS_SHARED:
                /* nspawn takes the range from the owner of the merged root directory, which is the
                 * upper layer's root. The prepare unit gave it the child's range, and the lower
                 * layers already show files in that range, so nothing needs chowning. */
                strbuf_append(b, " --private-users=yes --private-users-ownership=off");
                break;
        case PRIVATE_USERS_NO:
                strbuf_append(b, " --private-users=no");
                break;
        case PRIVATE_USERS_PICK:
                strbuf_append(b, " --private-users=pick --private-users-ownership=auto");
                break;
        case PRIVATE_USERS_FIXED:
                strbuf_appendf(b, " --private-users=%u:%u --private-users-ownership=off", c->uid_shift, c->uid_range);
                break;
        }
}

static void render_network(StrBuf *b, const Container *c) {
        switch (c->network) {
        case NETWORK_VETH:
                strbuf_append(b, " --network-veth");
                break;
        case NETWORK_HOST:
                break;
        case NETWORK_NONE:
                strbuf_append(b, " --private-network");
                break;
        case NETWORK_ZONE:
                append_option(b, "--network-zone=", c->network_name);
                break;
        case NETWORK_BRIDGE:
                append_option(b, "--network-bridge=", c->network_name);
                break;
        }
}

void unit_render_nspawn_command(StrBuf *b, const Container *c) {
        /* The stock systemd-nspawn@.service command line, with the root directory, user namespace
         * and network taken from the config. */
        strbuf_append(b, "systemd-nspawn --quiet --keep-unit");
        if (c->boot)
                strbuf_append(b, " --boot");
        strbuf_append(b, " --link-journal=try-guest");
        render_network(b, c);
        render_private_users(b, c);

        /* A machine ID per child, derived by the prepare unit from the host's and the child's. */
        strbuf_append(b, " --uuid=${" MACHINE_ID_VARIABLE "}");
        strbuf_append(b, " --settings=override");
        append_option(b, "--machine=", c->name);
        append_option(b, "--directory=", c->directory);

        for (char **i = c->binds; i && *i; i++)
                append_option(b, "--bind=", *i);
        for (char **i = c->binds_read_only; i && *i; i++)
                append_option(b, "--bind-ro=", *i);
        for (char **i = c->environment; i && *i; i++)
                append_option(b, "--setenv=", *i);
}

void unit_render_nspawn_dropin(StrBuf *b, const Container *c) {
        render_unit_section(b, c, NULL);
        strbuf_append(b, "RequiresMountsFor=");
        unit_append_word(b, c->directory);

        strbuf_append(b, "\n\n[Service]\nEnvironmentFile=" RUNTIME_DIR "/");
        strbuf_append(b, c->name);
        strbuf_append(b, "/" RUNTIME_ENVIRONMENT_FILE "\n");

        /* Once the overlay is mounted it holds private references to its lower layers, so the
         * prepare unit's mounts of the bases can go: no idmapped mount stays visible. */
        if (container_uses_layer_mounts(c)) {
                strbuf_append(b, "ExecStartPre=" BINDIR "/nspawn-overlay release ");
                strbuf_append(b, c->name);
                strbuf_append_char(b, '\n');
        }

        strbuf_append(b, "ExecStart=\nExecStart=");
        unit_render_nspawn_command(b, c);
        strbuf_append_char(b, '\n');
}

void unit_render_prepare_dropin(StrBuf *b, const Container *c) {
        render_unit_section(b, c, NULL);
        render_layer_mounts(b, c);

        /* Restarting the mount must remount the lower layers first. */
        strbuf_append(b, "PartOf=");
        strbuf_append(b, c->mount_unit);
        strbuf_append_char(b, '\n');
}

void unit_render_base_guard(StrBuf *b, const Container *c, const char *base_name) {
        strbuf_append(b, GENERATOR_HEADER
                      "# This image is the base of overlay children (see SourcePath=). Booting it would change\n"
                      "# their lower layer, which overlayfs does not allow while they are mounted, so it can\n"
                      "# only be started as a dependency, and even then only without configured children.\n"
                      "# To change it, stop and unmount the children and use systemd-nspawn -D directly.\n"
                      "\n[Unit]\nDocumentation=man:nspawn-overlay.conf(5)\nSourcePath=");
        unit_append_value(b, c->path);

        /* machinectl start requests a manual start, and refusing that leaves no failed unit behind. */
        strbuf_append(b, "\nRefuseManualStart=yes\n");

        /* A start pulled in by a dependency (the base enabled for machines.target) is checked
         * against the configs as they are when it starts. */
        strbuf_append(b, "\n[Service]\nExecStartPre=" BINDIR "/nspawn-overlay check-base ");
        unit_append_exec_arg(b, base_name);
        strbuf_append_char(b, '\n');
}

const char *lower_machine_name(const char *path) {
        for (const char *const *d = machine_image_dirs; *d; d++) {
                const char *rest = path_startswith(path, *d);

                if (!isempty(rest) && !strchr(rest, '/') && machine_name_is_valid(rest, NULL))
                        return rest;
        }

        return NULL;
}
