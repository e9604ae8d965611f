/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "config.h"

/* Replaces the configuration search path with a colon-separated list of directories, for tests
 * and for inspecting another root. */
#define CONFIG_PATH_ENV "NSPAWN_OVERLAY_CONFIG_PATH"

typedef struct ContainerSet {
        Container **containers;   /* sorted by name; invalid ones are kept, marked invalid */
        size_t n;
} ContainerSet;

void container_set_done(ContainerSet *s);

/* Called for every container in name order; takes ownership of c. A negative return value
 * stops loading and is returned. */
typedef int (*ContainerHandler)(Container *c, void *userdata);

/* Load every NAME.conf from the search path, highest priority first: /etc, /run,
 * /usr/local/lib, /usr/lib. A file masks same-named files in later directories; a file that
 * is empty or a symlink to /dev/null masks without configuring anything. NAME.conf.d/\*.conf
 * drop-ins from all directories are applied in file name order, a drop-in masking same-named
 * ones of lower priority. Every problem is logged; a container with an error is marked
 * invalid and passed on, and the others are still loaded. A container whose Upper=, Work= or
 * Directory= equals or nests in one of a valid container earlier in name order is marked
 * invalid too. Each container is handed over as soon as it is loaded, so the caller can write
 * and free it while it is still in the CPU cache. Returns a negative errno on allocation
 * failure or from handler. */
int config_load_each(ContainerHandler handler, void *userdata);

/* Load every container as config_load_each() does, into a set sorted by name. */
int config_load_all(ContainerSet *ret);

Container *container_set_find(const ContainerSet *s, const char *name);

/* The search path in force, as a NULL-terminated list. */
char **config_search_path(void);
