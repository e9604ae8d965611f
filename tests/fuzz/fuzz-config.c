/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* libFuzzer target for the config loader, the conflict table and the unit renderer. The input is
 * a config file; a form feed splits off a drop-in that is applied after it. The container is
 * checked against the paths of two fixed containers, and every unit the generator would write
 * is rendered and then checked: no value may add a line, a section or a directive of its own. */

#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config-conflicts.h"
#include "config.h"
#include "log.h"
#include "overlay-options.h"
#include "path-util.h"
#include "strbuf.h"
#include "string-util.h"
#include "unit-render.h"

static const char *const allowed_lines[] = {
        "[Unit]", "[Mount]", "[Automount]", "[Service]",
        "Description=", "Documentation=", "SourcePath=", "Requires=", "After=", "PartOf=",
        "RequiresMountsFor=", "ConditionPathExists=", "What=", "Where=", "Type=", "Options=",
        "TimeoutIdleSec=", "EnvironmentFile=", "ExecStartPre=", "ExecStart=", "RefuseManualStart=",
};

static bool line_is_allowed(const char *line, size_t n) {
        /* systemd ignores comment lines, and any other line that a newline in a value would start
         * fails this check. */
        if (n == 0 || line[0] == '#')
                return true;

        for (size_t i = 0; i < ELEMENTSOF(allowed_lines); i++) {
                size_t m = strlen(allowed_lines[i]);

                /* A section header is the whole line, a directive only its start. */
                if (allowed_lines[i][0] == '[' ? (n == m && strneq(line, allowed_lines[i], m))
                                                : (n >= m && strneq(line, allowed_lines[i], m)))
                        return true;
        }

        return false;
}

/* Abort, so libFuzzer records the input, when a rendered unit has a line the renderer never
 * writes itself: a value then escaped its directive. */
static void check_unit(const StrBuf *b) {
        const char *p = strbuf_str(b), *end = p + b->len;

        if (!strbuf_ok(b))
                return;

        if (strlen(p) != b->len || !utf8_is_valid(p))
                abort();

        if (!strneq(p, GENERATOR_HEADER, strlen(GENERATOR_HEADER)))
                abort();
        p += strlen(GENERATOR_HEADER);

        while (p < end) {
                const char *eol = memchr(p, '\n', end - p);
                size_t n;

                if (!eol)
                        abort(); /* every unit ends with a newline */
                n = eol - p;

                if (!line_is_allowed(p, n))
                        abort();
                if (n > 0 && p[n - 1] == '\\')
                        abort(); /* a trailing backslash would join the next line */
                for (size_t i = 0; i < n; i++)
                        if ((unsigned char) p[i] < 0x20 || p[i] == 0x7f)
                                abort();

                p = eol + 1;
        }
}

static int memfd_with(const uint8_t *data, size_t size) {
        int fd = memfd_create("fuzz-config", MFD_CLOEXEC);

        if (fd < 0)
                abort();
        if (size > 0 && write(fd, data, size) != (ssize_t) size)
                abort();
        if (lseek(fd, 0, SEEK_SET) < 0)
                abort();

        return fd;
}

static void render_all(const Container *c) {
        _cleanup_(strbuf_done) StrBuf b = {};
        _cleanup_free_ char *fstab_options = NULL;

        unit_render_mount(&b, c);
        check_unit(&b);

        strbuf_reset(&b);
        unit_render_automount(&b, c);
        check_unit(&b);

        strbuf_reset(&b);
        unit_render_prepare_dropin(&b, c);
        check_unit(&b);

        strbuf_reset(&b);
        unit_render_nspawn_dropin(&b, c);
        check_unit(&b);

        for (char **l = c->lowers; *l; l++) {
                const char *base = lower_machine_name(*l);

                if (!base)
                        continue;
                strbuf_reset(&b);
                unit_render_base_guard(&b, c, base);
                check_unit(&b);
        }

        /* The lines "nspawn-overlay fstab" prints. */
        (void) overlay_build_options(c, false, &fstab_options, NULL);
}

/* Add two neighbours, one in the default image directory and one elsewhere, then the fuzzed
 * container, whose paths may equal, contain or lie inside theirs. */
static void check_conflicts(Container *c) {
        Container neighbours[] = {
                {
                        .name = (char *) "aaa",
                        .path = (char *) "/etc/nspawn-overlay/aaa.conf",
                        .directory = (char *) "/var/lib/machines/aaa",
                        .upper = (char *) "/var/lib/machines/aaa_up",
                        .work = (char *) "/var/lib/machines/aaa_work",
                },
                {
                        .name = (char *) "bbb",
                        .path = (char *) "/etc/nspawn-overlay/bbb.conf",
                        .directory = (char *) "/srv/children/bbb",
                        .upper = (char *) "/srv/layers/bbb/upper",
                        .work = (char *) "/srv/layers/bbb/work",
                },
        };
        const char *const own[] = { c->directory, c->upper, c->work };
        PathTable *t = path_table_new();
        bool invalid = c->invalid, expected = false;

        if (!t)
                return;

        for (size_t i = 0; i < ELEMENTSOF(neighbours); i++) {
                const char *const theirs[] = { neighbours[i].directory, neighbours[i].upper, neighbours[i].work };

                (void) path_table_add_container(t, &neighbours[i]);

                for (size_t j = 0; j < ELEMENTSOF(own); j++)
                        for (size_t k = 0; k < ELEMENTSOF(theirs); k++)
                                expected = expected || path_overlaps(own[j], theirs[k]);
        }
        (void) path_table_add_container(t, c);

        /* The table must agree with comparing every pair of paths. */
        if (c->invalid != expected)
                abort();

        /* A conflict only skips the container, so rendering goes on with the flag as it was. */
        c->invalid = invalid;
        path_table_free(t);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        log_setup("fuzz-config", LOG_TARGET_NULL);
        log_set_max_level(LOG_DEBUG);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_container_ Container *c = NULL;
        const uint8_t *split = memchr(data, '\f', size);
        size_t main_size = split ? (size_t) (split - data) : size;

        c = container_new("fuzz-child", "/etc/nspawn-overlay/fuzz-child.conf");
        if (!c)
                return 0;

        (void) config_parse_file(c, c->path, memfd_with(data, main_size));
        if (split)
                (void) config_parse_file(c, "/etc/nspawn-overlay/fuzz-child.conf.d/50-dropin.conf",
                                         memfd_with(split + 1, size - main_size - 1));

        if (c->invalid)
                return 0;

        config_finalize(c);
        if (c->invalid)
                return 0;

        check_conflicts(c);
        render_all(c);
        return 0;
}
