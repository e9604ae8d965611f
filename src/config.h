/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "string-util.h"

#define DEFAULT_IMAGE_DIRECTORY "/var/lib/machines"

typedef enum NetworkMode {
        NETWORK_VETH,
        NETWORK_HOST,
        NETWORK_NONE,
        NETWORK_ZONE,
        NETWORK_BRIDGE,
} NetworkMode;

typedef enum PrivateUsersMode {
        PRIVATE_USERS_AUTO,       /* idmap where the base is unshifted, shared where it is shifted */
        PRIVATE_USERS_IDMAP,      /* a private range per child, through idmapped lower layers */
        PRIVATE_USERS_SHARED,     /* the range the base was shifted into, shared by its children */
        PRIVATE_USERS_NO,         /* no user namespace: the guest's root is the host's root */
        PRIVATE_USERS_PICK,       /* nspawn picks a range and chowns the tree: copies every file up */
        PRIVATE_USERS_FIXED,      /* an explicit UID base and range, for a base shifted into it */
} PrivateUsersMode;

/* One overlay child, as read from NAME.conf and its drop-ins. Paths are normalized and
 * absolute once config_finalize() has run. */
typedef struct Container {
        char *name;
        char *path;               /* the main config file */
        char **dropins;           /* drop-in files, in the order they were applied */

        /* [Overlay] */
        char **bases;             /* Base= values as written: names or absolute paths */
        char **lowers;            /* Base= resolved to directories, top-most first */
        char *image_directory;
        char *directory;
        char *upper;
        char *work;
        bool automount;
        bool idle_timeout_set;
        uint64_t idle_timeout_usec;
        char **options;           /* extra overlay mount options, one per entry */

        /* [Container] */
        bool boot;
        NetworkMode network;
        char *network_name;       /* zone or bridge name */
        PrivateUsersMode private_users;
        uint32_t uid_shift;
        uint32_t uid_range;
        char **binds;
        char **binds_read_only;
        char **environment;

        /* Derived by config_finalize() */
        char *mount_unit;         /* unit name of Directory, with ".mount" */
        char *mount_options;      /* the complete overlay option string */

        bool offline_changes_unsafe; /* Options= turned on an overlay feature that forbids them */
        bool invalid;             /* a value was rejected: the container is skipped */
} Container;

Container *container_free(Container *c);
static inline void container_freep(Container **c) {
        container_free(*c);
}
#define _cleanup_container_ __attribute__((cleanup(container_freep)))

Container *container_new(const char *name, const char *path);

/* True if the overlay's lower layers are mounted by the prepare unit under RUNTIME_DIR (an
 * idmapped or plain read-only bind mount of each base) rather than used directly. */
bool container_uses_layer_mounts(const Container *c);

/* Config files are small, so most fit a buffer of this size on the stack. */
#define CONFIG_READ_BUFFER_SIZE 16384

/* Read fd to its end into buffer, or into a new allocation (returned in *ret_allocated) if it
 * does not fit. Returns the length, or a negative errno. */
ssize_t config_read_fd(int fd, char *buffer, size_t size, char **ret_data, char **ret_allocated);

/* Parse one file's contents (main config or drop-in) into c. Problems are logged with
 * file:line, and an invalid value marks c invalid. */
void config_parse_data(Container *c, const char *path, const char *data, size_t size);

/* Read and parse one file, and close fd. Returns a negative errno only when the file cannot be
 * read. */
int config_parse_file(Container *c, const char *path, int fd);

/* Fill in defaults, resolve base names and check the values that depend on each other.
 * Logs every problem and marks c invalid on the first error. */
void config_finalize(Container *c);

const char *network_mode_to_string(NetworkMode m);
const char *private_users_mode_to_string(PrivateUsersMode m);
