/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "config.h"

/* The user namespace a child gets, decided from its config, the ownership of its bases and
 * whether their file systems support idmapped mounts. */
typedef struct UsernsPlan {
        PrivateUsersMode mode;    /* never PRIVATE_USERS_AUTO */
        uid_t base_shift;         /* the range the bases' files are owned in (0 if unshifted) */
        char reason[256];
} UsernsPlan;

/* Decide how c runs. Logs and returns a negative errno when no choice works (for example idmapped
 * mounts are unsupported and the base is not shifted), saying what to do. */
int userns_plan_make(const Container *c, UsernsPlan *ret);

/* Return the shift with which c's lower layers appear in its merged view: the child's range when
 * they are idmapped (its upper root is owned that far above the top-most base's root), else 0.
 * Derived from the owners on disk, so it is known while the child is stopped and after a reboot. */
uid_t child_lower_id_shift(const Container *c);

/* Lowest and highest UID ranges handed to children: the same window systemd-nspawn's
 * --private-users=pick uses, so both stay clear of regular users and of each other's locks. */
#define CHILD_UID_MIN ((uid_t) 0x00080000)
#define CHILD_UID_MAX ((uid_t) 0x6FFF0000)
#define CHILD_UID_RANGE ((uid_t) 0x10000)

/* Return the first UID range for name, a slot in CHILD_UID_MIN…CHILD_UID_MAX derived from a
 * hash of the name, so a child keeps the same range when its upper layer is recreated. */
uid_t child_uid_range_preferred(const char *name);
