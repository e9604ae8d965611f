/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "strbuf.h"

/* Per-container state that lives while the host runs: the prepare unit's lower-layer mounts,
 * the environment file read by systemd-nspawn@NAME.service and the chosen user namespace. */
#define RUNTIME_DIR "/run/nspawn-overlay-runtime"

#define RUNTIME_ENVIRONMENT_FILE "environment"
#define RUNTIME_USERNS_FILE "user-namespace"

/* Return RUNTIME_DIR/NAME, or RUNTIME_DIR/NAME/LEAF when leaf is not NULL. */
char *runtime_path(const char *name, const char *leaf);

/* Return the mount point of the index-th lower layer (0 is the top-most). */
char *runtime_lower_path(const char *name, size_t index);

/* Append the same path as runtime_lower_path() to b. */
void runtime_append_lower_path(StrBuf *b, const char *name, size_t index);
