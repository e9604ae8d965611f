/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Terminal output conventions shared with systemd's tools (machinectl, systemctl). */

#define ANSI_RED "\x1B[0;31m"
#define ANSI_GREEN "\x1B[0;32m"
#define ANSI_YELLOW "\x1B[0;33m"
#define ANSI_HIGHLIGHT "\x1B[0;1;39m"
#define ANSI_NORMAL "\x1B[0m"

/* True if stdout is a terminal other than TERM=dumb and NO_COLOR is unset or empty. Decided once,
 * before a pager replaces stdout, so colors reach the terminal through the pager. */
bool colors_enabled(void);

/* Return the escape sequence when colors are enabled, else "". */
static inline const char *ansi(const char *sequence) {
        return colors_enabled() ? sequence : "";
}

/* Return the color of a machine state as systemd-machined reports it: running green, opening or
 * closing yellow, others none. "" without colors. */
const char *machine_state_color(const char *state);

/* Pipe stdout through a pager when it is a terminal and --no-pager was not given: the first set
 * of $NSPAWN_OVERLAY_PAGER, $SYSTEMD_PAGER and $PAGER, else less. A pager set to "" or "cat"
 * turns paging off. less gets LESS=FRXMK (or $SYSTEMD_LESS), as systemctl sets it, so short
 * output is printed without paging. Waits for the pager at exit. */
void pager_open(bool no_pager);

/* Print compact JSON text as it is or, with pretty, indented by 2 spaces per level. The input
 * must be the output of the json.h helpers (valid JSON). */
void json_print(const char *json, bool pretty);
