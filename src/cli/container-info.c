/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>

#include "cli.h"
#include "disk-usage.h"
#include "json.h"
#include "log.h"

int container_info_gather(sd_bus *bus, const Container *c, ContainerInfo *ret) {
        *ret = (ContainerInfo) {
                .container = c,
                .mount = c->invalid ? MOUNT_STATE_UNKNOWN : mount_state_of(c->directory),
        };

        ret->machine = machine_state(bus, c->name);
        if (!ret->machine)
                return log_oom();

        if (!c->invalid && disk_usage(c->upper, &ret->upper_bytes) >= 0)
                ret->upper_known = true;

        return 0;
}

void container_info_done(ContainerInfo *info) {
        free(info->machine);
        *info = (ContainerInfo) {};
}

void container_info_append_json(StrBuf *b, const ContainerInfo *info) {
        const Container *c = info->container;

        strbuf_append_char(b, '{');
        json_append_member_string(b, true, "name", c->name);
        json_append_member_string(b, false, "config", c->path);
        json_append_member_bool(b, false, "valid", !c->invalid);
        strbuf_append(b, ",\"bases\":[");
        for (char **l = c->lowers; l && *l; l++) {
                if (l != c->lowers)
                        strbuf_append_char(b, ',');
                json_append_string(b, *l);
        }
        strbuf_append_char(b, ']');
        json_append_member_string(b, false, "directory", c->directory);
        json_append_member_string(b, false, "upper", c->upper);
        json_append_member_string(b, false, "work", c->work);
        json_append_member_string(b, false, "mount", mount_state_to_string(info->mount));
        json_append_member_string(b, false, "machine", info->machine);
        if (info->upper_known)
                json_append_member_uint(b, false, "upper_bytes", info->upper_bytes);
        else
                strbuf_append(b, ",\"upper_bytes\":null");
        strbuf_append_char(b, '}');
}

int load_configs_quietly(ContainerSet *set) {
        int saved_level = log_get_max_level(), r;

        /* Problems of other containers are not this command's business: verify prints them. */
        log_set_max_level(LOG_CRIT);
        r = config_load_all(set);
        log_set_max_level(saved_level);

        return r;
}

int find_container_or_fail(const ContainerSet *set, const char *name, Container **ret) {
        _cleanup_strv_free_ char **search = NULL;
        Container *c;

        c = container_set_find(set, name);
        if (!c) {
                search = config_search_path();
                return log_error_errno(ENOENT, "No container \"%s\": there is no %s.conf in %s. Create one, or see 'nspawn-overlay list'.",
                                       name, name, search && search[0] ? search[0] : "the config directories");
        }

        if (c->invalid)
                return log_error_errno(EINVAL, "Container \"%s\" has an invalid config (%s). Run 'nspawn-overlay verify %s' to see the problems.",
                                       name, c->path, name);

        *ret = c;
        return 0;
}

int load_container_or_fail(ContainerSet *set, const char *name, Container **ret) {
        int r;

        r = load_configs_quietly(set);
        if (r < 0)
                return r;

        return find_container_or_fail(set, name, ret);
}
