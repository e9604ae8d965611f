/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

/* Log a state change of a child or a base (mount stopped, files pruned, base switched): to the
 * terminal like any message, and to the journal with the structured fields
 * NSPAWN_OVERLAY_CHILD= and NSPAWN_OVERLAY_BASE= (each omitted when NULL), so that
 * "journalctl NSPAWN_OVERLAY_CHILD=web1" lists everything done to web1. */
void event_log(int priority, const char *child, const char *base, const char *format, ...) _printf_(4, 5);
