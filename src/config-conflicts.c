/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config-load.h"
#include "log.h"

/* Directory=, Upper= or Work= of one container. */
typedef struct OwnedPath {
        const char *path;
        size_t length;
        uint64_t hash;
        const char *key;
        size_t owner;             /* index into the container set, which is sorted by name */
} OwnedPath;

/* Every path goes into an open-addressing hash table. A path then finds each path of another
 * container that equals it or contains it by looking up its own prefixes that end before a
 * "/", one lookup per component. This keeps the check linear in the number of containers. */
typedef struct PathTable {
        OwnedPath *paths;
        size_t n;
        size_t *slots;            /* index into paths plus one; zero marks an empty slot */
        size_t mask;
} PathTable;

#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)

static uint64_t hash_byte(uint64_t hash, unsigned char c) {
        return (hash ^ c) * FNV_PRIME;
}

static uint64_t hash_bytes(const char *s, size_t n) {
        uint64_t hash = FNV_OFFSET;

        for (size_t i = 0; i < n; i++)
                hash = hash_byte(hash, (unsigned char) s[i]);

        return hash;
}

static void path_table_insert(PathTable *t, size_t index) {
        size_t slot = (size_t) t->paths[index].hash & t->mask;

        while (t->slots[slot] != 0)
                slot = (slot + 1) & t->mask;

        t->slots[slot] = index + 1;
}

static void report_conflict(ContainerSet *s, const OwnedPath *a, const OwnedPath *b) {
        const OwnedPath *keep = a->owner < b->owner ? a : b;
        const OwnedPath *skip = keep == a ? b : a;
        Container *k = s->containers[keep->owner], *c = s->containers[skip->owner];

        if (c->invalid)
                return;

        c->invalid = true;
        log_syntax(c->path, 0, LOG_ERR, EINVAL,
                   "%s%s overlaps %s%s of container %s (%s): two containers may not share or nest these directories, ignoring container %s.",
                   skip->key, skip->path, keep->key, keep->path, k->name, k->path, c->name);
}

/* Report every path of another container that is exactly the first length bytes of p. */
static void check_prefix(ContainerSet *s, const PathTable *t, const OwnedPath *p, size_t length, uint64_t hash) {
        for (size_t slot = (size_t) hash & t->mask; t->slots[slot] != 0; slot = (slot + 1) & t->mask) {
                const OwnedPath *q = &t->paths[t->slots[slot] - 1];

                if (q->hash == hash && q->length == length && q->owner != p->owner &&
                    memcmp(q->path, p->path, length) == 0)
                        report_conflict(s, p, q);
        }
}

/* Look up the root, every prefix of p that ends before a "/", and p itself. Normalized paths
 * have no trailing "/", except the root. */
static void check_path(ContainerSet *s, const PathTable *t, const OwnedPath *p) {
        uint64_t hash = hash_byte(FNV_OFFSET, '/');

        check_prefix(s, t, p, 1, hash);

        for (size_t i = 1; i < p->length; i++) {
                if (p->path[i] == '/')
                        check_prefix(s, t, p, i, hash);
                hash = hash_byte(hash, (unsigned char) p->path[i]);
        }

        if (p->length > 1)
                check_prefix(s, t, p, p->length, hash);
}

static void add_path(PathTable *t, const char *path, const char *key, size_t owner) {
        size_t length = strlen(path);

        t->paths[t->n] = (OwnedPath) {
                .path = path,
                .length = length,
                .hash = hash_bytes(path, length),
                .key = key,
                .owner = owner,
        };
        path_table_insert(t, t->n++);
}

int config_check_conflicts(ContainerSet *s) {
        _cleanup_free_ OwnedPath *paths = NULL;
        _cleanup_free_ size_t *slots = NULL;
        PathTable t = {};
        size_t size = 16;

        /* At most half of the slots are used, so probe chains stay short. */
        while (size < s->n * 3 * 2)
                size *= 2;

        paths = malloc((s->n * 3 + 1) * sizeof(OwnedPath));
        slots = calloc(size, sizeof(size_t));
        if (!paths || !slots)
                return log_oom();

        t = (PathTable) {
                .paths = paths,
                .slots = slots,
                .mask = size - 1,
        };

        for (size_t i = 0; i < s->n; i++) {
                const Container *c = s->containers[i];

                if (c->invalid)
                        continue;

                add_path(&t, c->directory, "Directory=", i);
                add_path(&t, c->upper, "Upper=", i);
                add_path(&t, c->work, "Work=", i);
        }

        for (size_t i = 0; i < t.n; i++)
                check_path(s, &t, &t.paths[i]);

        return 0;
}
