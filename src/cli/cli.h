/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config-load.h"
#include "machined.h"
#include "mount-state.h"
#include "strbuf.h"

/* Command line options shared by the verbs. */
extern bool arg_json;
extern bool arg_json_pretty;     /* --json=pretty: indented */
extern bool arg_legend;
extern bool arg_no_pager;

/* Options of create and remove. */
extern char **arg_bases;         /* --base=, in the order given */
extern bool arg_start;
extern bool arg_enable;
extern bool arg_no_reload;
extern bool arg_purge;
extern bool arg_yes;
extern unsigned arg_keep;

/* Exit codes: 0 success, 1 failure, 2 usage error. */
#define EXIT_USAGE 2

/* The runtime state of one container, gathered for list and status. */
typedef struct ContainerInfo {
        const Container *container;
        MountState mount;
        char *machine;            /* machined's state, "stopped" or "unknown" */
        bool upper_known;
        uint64_t upper_bytes;
} ContainerInfo;

int container_info_gather(sd_bus *bus, const Container *c, ContainerInfo *ret);
void container_info_done(ContainerInfo *info);

/* Append the state as one JSON object, the form list --json prints per container. */
void container_info_append_json(StrBuf *b, const ContainerInfo *info);

/* Load all configs without logging their problems, which are for verify to print. */
int load_configs_quietly(ContainerSet *set);

/* Find name in set. Logs an error with what to do next if it is missing or invalid. */
int find_container_or_fail(const ContainerSet *set, const char *name, Container **ret);

/* load_configs_quietly() followed by find_container_or_fail(). */
int load_container_or_fail(ContainerSet *set, const char *name, Container **ret);

int verb_list(int argc, char *argv[]);
int verb_status(int argc, char *argv[]);
int verb_fstab(int argc, char *argv[]);
int verb_verify(int argc, char *argv[]);
int verb_check_base(int argc, char *argv[]);
int verb_prepare(int argc, char *argv[]);
int verb_release(int argc, char *argv[]);
int verb_shift_base(int argc, char *argv[]);
int verb_diff(int argc, char *argv[]);
int verb_prune(int argc, char *argv[]);
int verb_restore(int argc, char *argv[]);
int verb_create(int argc, char *argv[]);
int verb_remove(int argc, char *argv[]);
int verb_update(int argc, char *argv[]);
int verb_rollback(int argc, char *argv[]);
