/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "idmap.h"
#include "log.h"
#include "userns-plan.h"

#define SHIFT_OF(uid) ((uid) & ~(CHILD_UID_RANGE - 1))

uid_t child_uid_range_preferred(const char *name) {
        uint64_t hash = UINT64_C(0xcbf29ce484222325);
        uid_t slots = (CHILD_UID_MAX - CHILD_UID_MIN) / CHILD_UID_RANGE;

        /* FNV-1a: stable across versions and architectures, unlike anything seeded. */
        for (const unsigned char *p = (const unsigned char *) name; *p; p++) {
                hash ^= *p;
                hash *= UINT64_C(0x100000001b3);
        }

        return CHILD_UID_MIN + (uid_t) (hash % slots) * CHILD_UID_RANGE;
}

/* Find the range all lower layers' root directories are owned in. Returns -EBADSLT if they differ. */
static int lowers_shift(const Container *c, uid_t *ret) {
        bool first = true;
        uid_t shift = 0;

        for (char **l = c->lowers; *l; l++) {
                struct stat st;

                if (stat(*l, &st) < 0)
                        return log_error_errno(errno, "Failed to read base %s of container %s: %m", *l, c->name);

                if (!first && SHIFT_OF(st.st_uid) != shift)
                        return log_error_errno(EBADSLT,
                                               "The bases of container %s are owned in different UID ranges (%s: %u, others: %u). "
                                               "Shift them into one range with 'nspawn-overlay shift-base', or set PrivateUsers=no.",
                                               c->name, *l, (unsigned) SHIFT_OF(st.st_uid), (unsigned) shift);

                shift = SHIFT_OF(st.st_uid);
                first = false;
        }

        *ret = shift;
        return 0;
}

static int lowers_support_idmap(const Container *c, const char **ret_unsupported) {
        for (char **l = c->lowers; *l; l++) {
                int r = idmapped_mount_supported(*l);

                if (r < 0)
                        return log_error_errno(r, "Failed to check idmapped mount support for %s: %m", *l);
                if (r == 0) {
                        *ret_unsupported = *l;
                        return 0;
                }
        }

        return 1;
}

static int plan_idmap(const Container *c, bool required, UsernsPlan *ret) {
        const char *unsupported = NULL;
        int r;

        r = lowers_support_idmap(c, &unsupported);
        if (r < 0)
                return r;
        if (r == 0)
                return log_error_errno(EOPNOTSUPP,
                                       "The file system of base %s does not support idmapped mounts, so container %s cannot "
                                       "get a private UID range%s. Shift the base once with 'nspawn-overlay shift-base' (its "
                                       "children then share one range), or set PrivateUsers=no in %s.",
                                       unsupported, c->name, required ? " (PrivateUsers=idmap)" : "", c->path);

        ret->mode = PRIVATE_USERS_IDMAP;
        (void) snprintf(ret->reason, sizeof(ret->reason),
                        "the bases are owned by root and their file systems support idmapped mounts");
        return 0;
}

int userns_plan_make(const Container *c, UsernsPlan *ret) {
        int r;

        *ret = (UsernsPlan) { .mode = c->private_users };

        switch (c->private_users) {
        case PRIVATE_USERS_NO:
                (void) snprintf(ret->reason, sizeof(ret->reason), "PrivateUsers=no: the guest's root is the host's root");
                return 0;
        case PRIVATE_USERS_PICK:
                (void) snprintf(ret->reason, sizeof(ret->reason),
                                "PrivateUsers=pick: nspawn chowns the tree on first boot, copying every file up");
                return 0;
        case PRIVATE_USERS_FIXED:
                (void) snprintf(ret->reason, sizeof(ret->reason), "PrivateUsers=%u:%u", c->uid_shift, c->uid_range);
                return 0;
        default:
                break;
        }

        r = lowers_shift(c, &ret->base_shift);
        if (r < 0)
                return r;

        if (ret->base_shift != 0) {
                if (c->private_users == PRIVATE_USERS_IDMAP)
                        return log_error_errno(EINVAL,
                                               "PrivateUsers=idmap needs bases owned by root, but the bases of %s are shifted to UID %u. "
                                               "Use PrivateUsers=shared (or auto).", c->name, (unsigned) ret->base_shift);

                ret->mode = PRIVATE_USERS_SHARED;
                (void) snprintf(ret->reason, sizeof(ret->reason),
                                "the bases are shifted to UID range %u, which their children share", (unsigned) ret->base_shift);
                return 0;
        }

        if (c->private_users == PRIVATE_USERS_SHARED)
                return log_error_errno(EINVAL,
                                       "PrivateUsers=shared needs a base shifted into a UID range, but %s is owned by root. "
                                       "Run 'nspawn-overlay shift-base %s' once, or use PrivateUsers=auto.",
                                       c->lowers[0], c->lowers[0]);

        return plan_idmap(c, c->private_users == PRIVATE_USERS_IDMAP, ret);
}

uid_t child_lower_id_shift(const Container *c) {
        struct stat upper, lower;
        uid_t shift;

        if (!container_uses_layer_mounts(c) || stat(c->upper, &upper) < 0 || stat(c->lowers[0], &lower) < 0)
                return 0;

        /* Only an unshifted base is idmapped; a shifted one is shared as it is. */
        if (SHIFT_OF(lower.st_uid) != 0 || upper.st_uid < CHILD_UID_MIN)
                return 0;

        shift = SHIFT_OF(upper.st_uid);
        return upper.st_uid - lower.st_uid == shift ? shift : 0;
}
