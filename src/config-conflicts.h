/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config.h"

/* The Directory=, Upper= and Work= paths of the containers added so far. */
typedef struct PathTable PathTable;

PathTable *path_table_new(void);
PathTable *path_table_free(PathTable *t);

/* Mark c invalid, with a message naming both containers, if its Directory=, Upper= or Work=
 * equals, contains or lies inside one of a container added before. Otherwise add its paths.
 * Containers are added in name order, so of two conflicting containers the one whose name
 * sorts later is skipped. Returns a negative errno only on allocation failure. */
int path_table_add_container(PathTable *t, Container *c);
