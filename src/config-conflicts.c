/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config-conflicts.h"
#include "log.h"
#include "macro.h"

/* A path in the table: Directory=, Upper= or Work= of a container that was added, or a prefix
 * of such a path that ends before a "/" (its parent directories up to the root). The key is
 * the first length bytes of path. */
typedef struct PathEntry {
        const char *path;
        size_t length;
        uint64_t hash;
        bool is_prefix;
        const char *key;          /* "Directory=", "Upper=" or "Work=" */
        const char *owner_name;
        const char *owner_path;   /* the owner's config file */
} PathEntry;

/* The strings of added containers, copied, because the containers may be freed once added. */
typedef struct StringBlock {
        struct StringBlock *next;
        size_t used, size;
        char data[];
} StringBlock;

/* A slot carries the upper half of its entry's hash, so that probing past other keys reads only
 * the slot array. With tens of thousands of paths the entries do not stay in the CPU cache. */
typedef struct Slot {
        uint32_t tag;
        uint32_t index;           /* index into entries plus one; zero marks an empty slot */
} Slot;

/* An open-addressing hash table of paths and their prefixes. A new path finds every path that
 * contains it by looking up its own prefixes, and every path inside it by looking up itself
 * among the prefixes, so each container costs a few lookups per path component. */
struct PathTable {
        PathEntry *entries;
        size_t n, allocated;
        Slot *slots;
        size_t mask;
        StringBlock *strings;
};

#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)
#define STRING_BLOCK_SIZE (64 * 1024)

static uint64_t hash_byte(uint64_t hash, unsigned char c) {
        return (hash ^ c) * FNV_PRIME;
}

PathTable *path_table_free(PathTable *t) {
        if (!t)
                return NULL;

        while (t->strings) {
                StringBlock *next = t->strings->next;

                free(t->strings);
                t->strings = next;
        }

        free(t->entries);
        free(t->slots);
        free(t);
        return NULL;
}

PathTable *path_table_new(void) {
        PathTable *t = calloc(1, sizeof(PathTable));

        if (!t)
                return NULL;

        t->mask = 255;
        t->slots = calloc(t->mask + 1, sizeof(Slot));
        if (!t->slots)
                return path_table_free(t);

        return t;
}

static const char *copy_string(PathTable *t, const char *s) {
        size_t n = strlen(s) + 1;
        StringBlock *b = t->strings;
        char *p;

        if (!b || b->size - b->used < n) {
                size_t size = n > STRING_BLOCK_SIZE ? n : STRING_BLOCK_SIZE;

                b = malloc(sizeof(StringBlock) + size);
                if (!b)
                        return NULL;

                *b = (StringBlock) {
                        .next = t->strings,
                        .size = size,
                };
                t->strings = b;
        }

        p = memcpy(b->data + b->used, s, n);
        b->used += n;
        return p;
}

static uint32_t hash_tag(uint64_t hash) {
        return (uint32_t) (hash >> 32);
}

static void insert_slot(Slot *slots, size_t mask, uint64_t hash, size_t index) {
        size_t slot = (size_t) hash & mask;

        while (slots[slot].index != 0)
                slot = (slot + 1) & mask;

        slots[slot] = (Slot) {
                .tag = hash_tag(hash),
                .index = (uint32_t) (index + 1),
        };
}

/* Keep at most half of the slots used, so that probe chains stay short. */
static int reserve(PathTable *t, size_t extra) {
        size_t needed = t->n + extra;

        if (needed > t->allocated) {
                size_t size = t->allocated ? t->allocated * 2 : 64;
                PathEntry *e;

                while (size < needed)
                        size *= 2;

                e = realloc(t->entries, size * sizeof(PathEntry));
                if (!e)
                        return -ENOMEM;

                t->entries = e;
                t->allocated = size;
        }

        /* Slots hold 32-bit indices. */
        if (needed >= UINT32_MAX)
                return -ENOMEM;

        if (needed * 2 > t->mask + 1) {
                size_t size = (t->mask + 1) * 2;
                Slot *slots;

                while (needed * 2 > size)
                        size *= 2;

                slots = calloc(size, sizeof(Slot));
                if (!slots)
                        return -ENOMEM;

                for (size_t i = 0; i < t->n; i++)
                        insert_slot(slots, size - 1, t->entries[i].hash, i);

                free(t->slots);
                t->slots = slots;
                t->mask = size - 1;
        }

        return 0;
}

/* Return the entry whose key is the first length bytes of path, or NULL. A key is in the
 * table at most once: a path equal to, inside or around an added one is rejected, a prefix is
 * added only when it is missing, and config_finalize() rejects a container whose own paths
 * nest. */
static const PathEntry *lookup(const PathTable *t, const char *path, size_t length, uint64_t hash) {
        uint32_t tag = hash_tag(hash);

        for (size_t slot = (size_t) hash & t->mask; t->slots[slot].index != 0; slot = (slot + 1) & t->mask) {
                const PathEntry *e;

                if (t->slots[slot].tag != tag)
                        continue;

                e = &t->entries[t->slots[slot].index - 1];
                if (e->hash == hash && e->length == length && memcmp(e->path, path, length) == 0)
                        return e;
        }

        return NULL;
}

static void add_entry(PathTable *t, const PathEntry *e) {
        t->entries[t->n] = *e;
        insert_slot(t->slots, t->mask, e->hash, t->n);
        t->n++;
}

/* Return an added path that equals path, contains it or lies inside it, or NULL. Sets
 * *ret_new_prefixes if some prefix of path is not in the table yet. */
static const PathEntry *find_overlap(const PathTable *t, const char *path, uint64_t *ret_hash, bool *ret_new_prefixes) {
        uint64_t hash = hash_byte(FNV_OFFSET, '/');
        size_t length = strlen(path);
        const PathEntry *e;

        *ret_new_prefixes = false;

        /* The root (the first byte) and every parent directory (up to a "/"): an added path
         * there contains this one. */
        for (size_t i = 1; i < length; i++) {
                if (i == 1 || path[i] == '/') {
                        e = lookup(t, path, i, hash);
                        if (e && !e->is_prefix)
                                return e;
                        if (!e)
                                *ret_new_prefixes = true;
                }
                hash = hash_byte(hash, (unsigned char) path[i]);
        }

        /* The path itself: an equal added path, or the prefix entry of one inside it. */
        *ret_hash = hash;
        return lookup(t, path, length, hash);
}

static void add_prefix(PathTable *t, PathEntry *e, size_t length, uint64_t hash) {
        if (lookup(t, e->path, length, hash))
                return;

        e->length = length;
        e->hash = hash;
        e->is_prefix = true;
        add_entry(t, e);
}

/* Add path, whose hash find_overlap() computed, and, if new_prefixes, those of its prefixes
 * that are not in the table yet. */
static int add_path(PathTable *t, const char *path, uint64_t hash, bool new_prefixes,
                    const char *key, const char *name, const char *config_path) {
        size_t length = strlen(path);
        PathEntry e = {
                .key = key,
                .owner_name = name,
                .owner_path = config_path,
        };

        e.path = copy_string(t, path);
        if (!e.path || reserve(t, new_prefixes ? length + 1 : 1) < 0)
                return -ENOMEM;

        if (new_prefixes) {
                uint64_t h = hash_byte(FNV_OFFSET, '/');

                add_prefix(t, &e, 1, h);
                for (size_t i = 1; i < length; i++) {
                        if (path[i] == '/')
                                add_prefix(t, &e, i, h);
                        h = hash_byte(h, (unsigned char) path[i]);
                }
        }

        e.length = length;
        e.hash = hash;
        e.is_prefix = false;
        add_entry(t, &e);
        return 0;
}

int path_table_add_container(PathTable *t, Container *c) {
        const struct {
                const char *path, *key;
        } owned[] = {
                { c->directory, "Directory=" },
                { c->upper, "Upper=" },
                { c->work, "Work=" },
        };
        uint64_t hashes[ELEMENTSOF(owned)];
        bool new_prefixes[ELEMENTSOF(owned)];
        const char *name, *config_path;

        assert(t);
        assert(!c->invalid);

        for (size_t i = 0; i < ELEMENTSOF(owned); i++) {
                const PathEntry *e = find_overlap(t, owned[i].path, &hashes[i], &new_prefixes[i]);

                if (!e)
                        continue;

                c->invalid = true;
                log_syntax(c->path, 0, LOG_ERR, EINVAL,
                           "%s%s overlaps %s%s of container %s (%s): two containers may not share or nest these directories, ignoring container %s.",
                           owned[i].key, owned[i].path, e->key, e->path, e->owner_name, e->owner_path, c->name);
                return 0;
        }

        name = copy_string(t, c->name);
        config_path = copy_string(t, c->path);
        if (!name || !config_path)
                return log_oom();

        for (size_t i = 0; i < ELEMENTSOF(owned); i++)
                if (add_path(t, owned[i].path, hashes[i], new_prefixes[i], owned[i].key, name, config_path) < 0)
                        return log_oom();

        return 0;
}
