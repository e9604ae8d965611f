/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config-conflicts.h"
#include "config-load.h"
#include "log.h"
#include "machine-name.h"
#include "path-util.h"
#include "string-util.h"

static const char *const default_search_path[] = {
        "/etc/nspawn-overlay",
        "/run/nspawn-overlay",
        "/usr/local/lib/nspawn-overlay",
        "/usr/lib/nspawn-overlay",
        NULL,
};

/* One directory of the search path, opened once. */
typedef struct SearchDir {
        const char *path;
        int fd;
} SearchDir;

/* A NAME.conf file or a NAME.conf.d directory found in one search directory. */
typedef struct Entry {
        const char *name;         /* NAME, or for drop-ins the drop-in's file name; set by entry_list_seal() */
        size_t name_offset;       /* where the name starts in EntryList.names */
        size_t dir;               /* index into the search path: lower wins */
        unsigned char type;       /* DT_REG, DT_CHR (a mask such as /dev/null) or DT_DIR */
        bool is_dropin_dir;
} Entry;

/* The names share one allocation, as a directory can hold thousands of configs. */
typedef struct EntryList {
        Entry *entries;
        size_t n, allocated;
        char *names;              /* every name, each terminated by a NUL */
        size_t names_size, names_allocated;
} EntryList;

static void entry_list_done(EntryList *l) {
        free(l->entries);
        free(l->names);
        *l = (EntryList) {};
}

/* Make room for needed items in *array, doubling its size from initial. */
static int grow(void **array, size_t *allocated, size_t needed, size_t item_size, size_t initial) {
        size_t size = *allocated ?: initial;
        void *p;

        if (needed <= *allocated)
                return 0;

        while (size < needed)
                size *= 2;

        p = realloc(*array, size * item_size);
        if (!p)
                return -ENOMEM;

        *array = p;
        *allocated = size;
        return 0;
}

static int entry_list_add(EntryList *l, const char *name, size_t length, size_t dir, unsigned char type, bool is_dropin_dir) {
        if (grow((void **) &l->entries, &l->allocated, l->n + 1, sizeof(Entry), 64) < 0 ||
            grow((void **) &l->names, &l->names_allocated, l->names_size + length + 1, 1, 4096) < 0)
                return -ENOMEM;

        l->entries[l->n++] = (Entry) {
                .name_offset = l->names_size,
                .dir = dir,
                .type = type,
                .is_dropin_dir = is_dropin_dir,
        };

        memcpy(l->names + l->names_size, name, length);
        l->names[l->names_size + length] = '\0';
        l->names_size += length + 1;
        return 0;
}

/* Point every entry at its name, once no name is added any more. */
static void entry_list_seal(EntryList *l) {
        for (size_t i = 0; i < l->n; i++)
                l->entries[i].name = l->names + l->entries[i].name_offset;
}

/* Order by name, then drop-in directories after files, then by search path priority, so the
 * first of a run of equal names is the one that counts. */
static int entry_compare(const void *a, const void *b) {
        const Entry *x = a, *y = b;
        int r = strcmp(x->name, y->name);

        if (r != 0)
                return r;
        if (x->is_dropin_dir != y->is_dropin_dir)
                return x->is_dropin_dir ? 1 : -1;

        return x->dir < y->dir ? -1 : x->dir > y->dir;
}

static bool has_suffix(const char *s, const char *suffix, size_t *ret_stem) {
        size_t n = strlen(s), m = strlen(suffix);

        if (n <= m || !streq(s + n - m, suffix))
                return false;

        *ret_stem = n - m;
        return true;
}

static unsigned char entry_type(int dir_fd, const char *name, unsigned char d_type) {
        struct stat st;

        if (d_type != DT_UNKNOWN && d_type != DT_LNK)
                return d_type;

        if (fstatat(dir_fd, name, &st, 0) < 0)
                return DT_UNKNOWN;

        return S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : S_ISCHR(st.st_mode) ? DT_CHR : DT_UNKNOWN;
}

/* Add one directory entry if it is a *.conf file (or a symlink to /dev/null, which masks) or
 * a *.conf.d directory. */
static int add_entry(const SearchDir *d, size_t index, const char *name, unsigned char d_type, EntryList *l) {
        unsigned char type;
        size_t stem;
        bool dropin;

        if (name[0] == '.')
                return 0;

        if (has_suffix(name, ".conf", &stem))
                dropin = false;
        else if (has_suffix(name, ".conf.d", &stem))
                dropin = true;
        else
                return 0;

        type = entry_type(d->fd, name, d_type);
        if (dropin ? type != DT_DIR : (type != DT_REG && type != DT_CHR))
                return 0;

        if (entry_list_add(l, name, stem, index, type, dropin) < 0)
                return log_oom();

        return 0;
}

/* Read the directory with getdents64(), which unlike a DIR stream needs no fcntl() and fstat()
 * calls and no allocation. The search directories stay open, and only openat() is used on
 * them later, so reading moves no offset that matters. */
static int scan_directory(const SearchDir *d, size_t index, EntryList *l) {
        _Alignas(struct dirent64) char buffer[32768];

        for (;;) {
                ssize_t n = getdents64(d->fd, buffer, sizeof(buffer));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return log_error_errno(errno, "Failed to read directory %s: %m", d->path);
                if (n == 0)
                        return 0;

                for (ssize_t offset = 0; offset < n;) {
                        const struct dirent64 *de = (const struct dirent64 *) (buffer + offset);
                        int r;

                        r = add_entry(d, index, de->d_name, de->d_type, l);
                        if (r < 0)
                                return r;

                        offset += de->d_reclen;
                }
        }
}

/* The contents of one config file. The caller's buffer is left uninitialized, because zeroing
 * it would cost more than reading a typical config. */
typedef struct ConfigText {
        char *buffer;
        char *data;               /* buffer, or allocated for a larger file */
        char *allocated;
        size_t size;
} ConfigText;

static void config_text_done(ConfigText *t) {
        free(t->allocated);
}

/* Read a config file. Returns 1 with its contents, or 0 if it masks, as for systemd unit files:
 * a character device (a symlink to /dev/null) or an empty file. */
static int read_config(int dir_fd, const char *file, const char *path, unsigned char type, ConfigText *ret) {
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;

        if (type == DT_CHR)
                return 0;

        fd = openat(dir_fd, file, O_RDONLY|O_CLOEXEC|O_NOCTTY|O_NONBLOCK);
        if (fd < 0)
                return log_error_errno(errno, "Failed to open %s: %m", path);

        n = config_read_fd(fd, ret->buffer, CONFIG_READ_BUFFER_SIZE, &ret->data, &ret->allocated);
        if (n < 0)
                return log_error_errno((int) n, "Failed to read %s: %m", path);

        ret->size = (size_t) n;
        return n > 0;
}

/* Collect the *.conf files of every NAME.conf.d directory, as (file name, search dir). */
static int collect_dropins(const SearchDir *dirs, const Entry *first, size_t count, EntryList *ret) {
        for (size_t i = 0; i < count; i++) {
                _cleanup_free_ char *dirname = NULL;
                SearchDir sub;
                int r;

                if (asprintf(&dirname, "%s.conf.d", first[i].name) < 0)
                        return log_oom();

                sub.fd = openat(dirs[first[i].dir].fd, dirname, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
                if (sub.fd < 0) {
                        log_warning_errno(errno, "Failed to open %s/%s: %m, ignoring.", dirs[first[i].dir].path, dirname);
                        continue;
                }

                sub.path = dirname;
                r = scan_directory(&sub, first[i].dir, ret);
                (void) close(sub.fd);
                if (r < 0)
                        return r;
        }

        /* Drop-ins are files, never directories: a "x.conf.d" inside is not ours. */
        for (size_t i = 0; i < ret->n; i++)
                if (ret->entries[i].is_dropin_dir)
                        ret->entries[i--] = ret->entries[--ret->n];

        entry_list_seal(ret);
        qsort(ret->entries, ret->n, sizeof(Entry), entry_compare);
        return 0;
}

static int apply_dropins(Container *c, const SearchDir *dirs, const char *name, const Entry *first, size_t count) {
        EntryList dropins = {};
        int r;

        r = collect_dropins(dirs, first, count, &dropins);
        if (r < 0)
                goto finish;

        for (size_t i = 0; i < dropins.n; i++) {
                _cleanup_free_ char *relative = NULL, *path = NULL;
                char buffer[CONFIG_READ_BUFFER_SIZE];
                _cleanup_(config_text_done) ConfigText text = { .buffer = buffer };

                if (i > 0 && streq(dropins.entries[i].name, dropins.entries[i - 1].name))
                        continue; /* masked by a drop-in of the same name with higher priority */

                if (asprintf(&relative, "%s.conf.d/%s.conf", name, dropins.entries[i].name) < 0) {
                        r = log_oom();
                        goto finish;
                }

                path = path_join(dirs[dropins.entries[i].dir].path, relative);
                if (!path) {
                        r = log_oom();
                        goto finish;
                }

                r = read_config(dirs[dropins.entries[i].dir].fd, relative, path, dropins.entries[i].type, &text);
                if (r < 0) {
                        c->invalid = true;
                        continue;
                }
                if (r == 0)
                        continue;

                if (strv_extend(&c->dropins, path) < 0) {
                        r = log_oom();
                        goto finish;
                }

                config_parse_data(c, path, text.data, text.size);
        }
        r = 0;

finish:
        entry_list_done(&dropins);
        return r;
}

static int check_name(const char *name, const char *path) {
        _cleanup_free_ char *suggestion = NULL;
        const char *reason;

        if (machine_name_is_valid(name, &reason))
                return 0;

        suggestion = machine_name_suggest(name);
        if (suggestion)
                return log_syntax(path, 0, LOG_ERR, EINVAL,
                                  "\"%s\" is not a valid machine name: %s. Rename the file to %s.conf, ignoring.",
                                  name, reason, suggestion);

        return log_syntax(path, 0, LOG_ERR, EINVAL,
                          "\"%s\" is not a valid machine name: %s. Rename the file, ignoring.", name, reason);
}

/* Load one container from the run of entries for its name: the main file first (if any),
 * then its drop-in directories. */
static int load_container(const SearchDir *dirs, const Entry *run, size_t count, Container **ret) {
        char buffer[CONFIG_READ_BUFFER_SIZE];
        _cleanup_(config_text_done) ConfigText text = { .buffer = buffer };
        _cleanup_container_ Container *c = NULL;
        _cleanup_free_ char *path = NULL;
        const char *name = run[0].name;
        char file[NAME_MAX + 1];
        int r;

        *ret = NULL;

        if (run[0].is_dropin_dir) {
                log_debug("Drop-in directory %s/%s.conf.d has no %s.conf, ignoring.", dirs[run[0].dir].path, name, name);
                return 0;
        }

        /* name is a file name with ".conf" removed, so this fits. */
        strcpy(stpcpy(file, name), ".conf");

        path = path_join(dirs[run[0].dir].path, file);
        if (!path)
                return log_oom();

        r = read_config(dirs[run[0].dir].fd, file, path, run[0].type, &text);
        if (r == 0) {
                log_debug("%s is masked.", path);
                return 0;
        }

        c = container_new(name, path);
        if (!c)
                return log_oom();

        if (r < 0)
                c->invalid = true;
        else {
                if (check_name(name, path) < 0)
                        c->invalid = true;

                config_parse_data(c, path, text.data, text.size);
        }

        /* Skip the main files of lower priority that this one masks. */
        while (count > 0 && !run[0].is_dropin_dir) {
                run++;
                count--;
        }

        r = apply_dropins(c, dirs, name, run, count);
        if (r < 0)
                return r;

        if (!c->invalid)
                config_finalize(c);

        *ret = TAKE_PTR(c);
        return 0;
}

char **config_search_path(void) {
        const char *e = getenv(CONFIG_PATH_ENV);
        char **l = NULL;

        if (isempty(e)) {
                for (const char *const *p = default_search_path; *p; p++)
                        if (strv_extend(&l, *p) < 0) {
                                strv_free(l);
                                return NULL;
                        }
                return l;
        }

        for (const char *p = e; *p;) {
                _cleanup_free_ char *dir = strndup(p, strcspn(p, ":"));

                if (!dir || (dir[0] && strv_extend(&l, dir) < 0)) {
                        strv_free(l);
                        return NULL;
                }

                p += strcspn(p, ":");
                if (*p == ':')
                        p++;
        }

        return l;
}

static int open_search_dirs(char **path, SearchDir **ret, size_t *ret_n) {
        size_t n = strv_length(path);
        SearchDir *dirs;

        dirs = calloc(n + 1, sizeof(SearchDir));
        if (!dirs)
                return log_oom();

        for (size_t i = 0; i < n; i++) {
                dirs[i].path = path[i];
                dirs[i].fd = open(path[i], O_RDONLY|O_DIRECTORY|O_CLOEXEC);
                if (dirs[i].fd < 0 && errno != ENOENT)
                        log_warning_errno(errno, "Failed to open %s: %m, ignoring.", path[i]);
        }

        *ret = dirs;
        *ret_n = n;
        return 0;
}

static void close_search_dirs(SearchDir *dirs, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (dirs[i].fd >= 0)
                        (void) close(dirs[i].fd);
        free(dirs);
}

int config_load_each(ContainerHandler handler, void *userdata) {
        _cleanup_strv_free_ char **search_path = NULL;
        PathTable *paths = NULL;
        EntryList entries = {};
        SearchDir *dirs = NULL;
        size_t n_dirs = 0;
        int r;

        assert(handler);

        search_path = config_search_path();
        if (!search_path)
                return log_oom();

        paths = path_table_new();
        if (!paths)
                return log_oom();

        r = open_search_dirs(search_path, &dirs, &n_dirs);
        if (r < 0)
                goto finish;

        for (size_t i = 0; i < n_dirs; i++)
                if (dirs[i].fd >= 0) {
                        r = scan_directory(&dirs[i], i, &entries);
                        if (r == -ENOMEM)
                                goto finish;
                }

        entry_list_seal(&entries);
        qsort(entries.entries, entries.n, sizeof(Entry), entry_compare);

        for (size_t i = 0; i < entries.n;) {
                size_t j = i + 1;
                Container *c;

                while (j < entries.n && streq(entries.entries[j].name, entries.entries[i].name))
                        j++;

                r = load_container(dirs, entries.entries + i, j - i, &c);
                if (r < 0)
                        goto finish;

                i = j;
                if (!c)
                        continue;

                if (!c->invalid) {
                        r = path_table_add_container(paths, c);
                        if (r < 0) {
                                container_free(c);
                                goto finish;
                        }
                }

                r = handler(c, userdata);
                if (r < 0)
                        goto finish;
        }
        r = 0;

finish:
        path_table_free(paths);
        entry_list_done(&entries);
        close_search_dirs(dirs, n_dirs);
        return r;
}

typedef struct SetBuilder {
        ContainerSet set;
        size_t allocated;
} SetBuilder;

/* Keep every container. The array grows by doubling, so that no realloc() copies it per
 * container. */
static int add_to_set(Container *c, void *userdata) {
        SetBuilder *b = userdata;

        if (grow((void **) &b->set.containers, &b->allocated, b->set.n + 1, sizeof(Container *), 64) < 0) {
                container_free(c);
                return log_oom();
        }

        b->set.containers[b->set.n++] = c;
        return 0;
}

int config_load_all(ContainerSet *ret) {
        SetBuilder b = {};
        int r;

        assert(ret);

        r = config_load_each(add_to_set, &b);
        if (r < 0) {
                container_set_done(&b.set);
                return r;
        }

        *ret = b.set;
        return 0;
}

void container_set_done(ContainerSet *s) {
        for (size_t i = 0; i < s->n; i++)
                container_free(s->containers[i]);
        free(s->containers);
        *s = (ContainerSet) {};
}

Container *container_set_find(const ContainerSet *s, const char *name) {
        size_t lo = 0, hi = s->n;

        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int r = strcmp(s->containers[mid]->name, name);

                if (r == 0)
                        return s->containers[mid];
                if (r < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }

        return NULL;
}
