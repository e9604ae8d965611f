/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config.h"
#include "strbuf.h"

/* The kernel reads the mount options from one page. */
#define OVERLAY_OPTIONS_MAX 4095

/* Overlay features that make offline changes to a lower layer undefined (the kernel's overlayfs
 * documentation, "Changes to underlying filesystems"). Unless a config sets them itself, the
 * generated mount turns each off. */
extern const char *const overlay_pinned_options[];

/* Append a layer path with ":" and "\" escaped as overlayfs's option parser expects. */
void overlay_append_escaped_path(StrBuf *b, const char *path);

/* Build "lowerdir=…,upperdir=…,workdir=…" followed by the pinned and the configured options.
 * With layer_mounts, lowerdir= names the prepare unit's mounts of the bases under RUNTIME_DIR
 * instead of the bases. Sets *ret_unsafe when Options= turns one of the pinned features on. */
int overlay_build_options(const Container *c, bool layer_mounts, char **ret, bool *ret_unsafe);
