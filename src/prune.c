/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "base-changes.h"
#include "log.h"
#include "macro.h"
#include "prune-backup.h"
#include "prune-report.h"
#include "prune.h"
#include "prune-journal.h"
#include "write-file.h"

const char *prune_action_to_string(PruneAction a) {
        static const char *const table[] = {
                [PRUNE_KEEP] = "kept",
                [PRUNE_REMOVE] = "pruned",
                [PRUNE_MOVE] = "moved",
                [PRUNE_FAILED] = "failed",
        };

        return a < ELEMENTSOF(table) ? table[a] : NULL;
}

void prune_report_done(PruneReport *r) {
        layer_diff_done(&r->diff);
        free(r->actions);
        free((void *) r->notes);
        *r = (PruneReport) {};
}

static bool entry_is_dir(const LayerEntry *e) {
        return S_ISDIR(e->mode);
}

/* Decide every non-directory on its own: identical entries go, and with --older-than-base the
 * changed files at paths the base changed are moved. */
static void decide_leaves(PruneReport *rep, const PruneOptions *o, const BaseChanges *changes) {
        LayerDiff *d = &rep->diff;

        for (uint32_t i = 1; i < d->n; i++) {
                LayerEntry *e = &d->entries[i];
                _cleanup_free_ char *path = NULL;
                bool base_changed;

                if (entry_is_dir(e))
                        continue;

                if (e->change == CHANGE_NONE) {
                        rep->actions[i] = PRUNE_REMOVE;
                        continue;
                }

                /* Only a change record can name a file the base removed. Hard links and
                 * metacopy files stay, because moving one name, or a file without its data,
                 * would leave half of it behind. */
                if (!o->older_than_base || e->whiteout || e->metacopy || e->nlink != 1 ||
                    !(S_ISREG(e->mode) || S_ISLNK(e->mode)) ||
                    !(e->change == CHANGE_MODIFIED || e->change == CHANGE_METADATA ||
                      (e->change == CHANGE_ADDED && changes)))
                        continue;

                if (changes) {
                        path = layer_entry_path(d, i);
                        base_changed = path && base_changes_contains(changes, path + 1);
                } else
                        base_changed = e->has_lower &&
                                (e->lower_mtime.tv_sec > e->mtime.tv_sec ||
                                 (e->lower_mtime.tv_sec == e->mtime.tv_sec && e->lower_mtime.tv_nsec > e->mtime.tv_nsec));

                if (base_changed) {
                        rep->actions[i] = PRUNE_MOVE;
                        rep->notes[i] = changes ? "the base changed this path (change record)"
                                                : "the base's file is newer (mtime)";
                }
        }
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Keep a candidate whose lower file is the origin of another upper file, after a link or rename
 * by the guest. overlayfs finds that upper file by its origin and shows it at both paths, so
 * removing the candidate would show the other file's data and metadata there. */
static int decide_shared_origins(PruneReport *rep) {
        LayerDiff *d = &rep->diff;
        _cleanup_free_ char **origins = NULL;
        size_t n = 0;
        int r = 0;

        origins = calloc(MAX(d->n, 1u), sizeof(char *));
        if (!origins)
                return -ENOMEM;

        for (uint32_t i = 1; i < d->n; i++)
                if (d->entries[i].origin_hex) {
                        origins[n] = origin_key(d->entries[i].origin_hex);
                        if (origins[n])
                                n++;
                }
        qsort(origins, n, sizeof(char *), compare_strings);

        for (uint32_t i = 1; i < d->n; i++) {
                const LayerEntry *e = &d->entries[i];
                _cleanup_free_ char *own = NULL;
                char **match;

                if (rep->actions[i] != PRUNE_REMOVE || entry_is_dir(e) || e->whiteout)
                        continue;

                if (!e->lower_handle) {
                        /* Unknown (no file handles on that file system): only a file whose own
                         * origin is unknown too is safe to assume unshared. */
                        if (n == 0)
                                continue;
                        rep->actions[i] = PRUNE_KEEP;
                        rep->notes[i] = "its lower file's handle is unknown, so it may be another upper file's origin";
                        continue;
                }

                match = bsearch(&e->lower_handle, origins, n, sizeof(char *), compare_strings);
                if (!match)
                        continue;

                /* Its own origin is fine; two entries with that origin are not. */
                own = e->origin_hex ? origin_key(e->origin_hex) : NULL;
                if (own && streq(own, e->lower_handle) &&
                    !(match > origins && streq(match[-1], *match)) && !(match + 1 < origins + n && streq(match[1], *match)))
                        continue;

                rep->actions[i] = PRUNE_KEEP;
                rep->notes[i] = "its lower file is the origin of another upper file (a guest link or rename)";
        }

        for (size_t k = 0; k < n; k++)
                free(origins[k]);
        return r;
}

static int compare_by_inode(const void *a, const void *b, void *userdata) {
        const LayerEntry *entries = userdata;
        ino_t x = entries[*(const uint32_t *) a].ino, y = entries[*(const uint32_t *) b].ino;

        return x < y ? -1 : x > y;
}

/* True if the index dir contains the entry name for the inode ino, one more link to count. */
static bool index_entry_links(int index_fd, const char *name, ino_t ino) {
        struct stat st;

        return index_fd >= 0 && name && strlen(name) < 256 &&
                fstatat(index_fd, name, &st, AT_SYMLINK_NOFOLLOW) >= 0 && st.st_ino == ino;
}

/* An upper inode with several names goes only with all of them, and only if the lower layers
 * show all those names as one inode too: otherwise removing them changes which names the
 * merged view shows as hard links. Links from the work dir's index count as names. */
static int decide_hard_links(PruneReport *rep, int index_fd, bool *counts_bytes) {
        LayerDiff *d = &rep->diff;
        _cleanup_free_ uint32_t *linked = NULL;
        size_t n = 0;

        linked = malloc(MAX(d->n, 1u) * sizeof(uint32_t));
        if (!linked)
                return -ENOMEM;

        for (uint32_t i = 1; i < d->n; i++) {
                const LayerEntry *e = &d->entries[i];

                counts_bytes[i] = true;
                if (!entry_is_dir(e) && !e->whiteout && e->nlink > 1)
                        linked[n++] = i;
        }

        qsort_r(linked, n, sizeof(uint32_t), compare_by_inode, d->entries);

        for (size_t start = 0, end; start < n; start = end) {
                const LayerEntry *first = &d->entries[linked[start]];
                bool all_removable = true, same_lower = true;
                uint64_t names;

                for (end = start; end < n && d->entries[linked[end]].ino == first->ino; end++) {
                        const LayerEntry *e = &d->entries[linked[end]];

                        if (rep->actions[linked[end]] != PRUNE_REMOVE)
                                all_removable = false;
                        if (!e->has_lower || e->lower_dev != first->lower_dev || e->lower_ino != first->lower_ino)
                                same_lower = false;
                        if (end > start)
                                counts_bytes[linked[end]] = false;
                }

                names = end - start;
                if (index_entry_links(index_fd, first->origin_hex, first->ino))
                        names++;

                if (all_removable && same_lower && names == first->nlink)
                        continue;

                for (size_t k = start; k < end; k++)
                        if (rep->actions[linked[k]] == PRUNE_REMOVE) {
                                rep->actions[linked[k]] = PRUNE_KEEP;
                                rep->notes[linked[k]] = names != first->nlink
                                        ? "hard link with names outside the upper layer's walk"
                                        : !same_lower ? "hard link whose names are not one inode in the lower layers"
                                                      : "hard link with a name that is kept";
                        }
        }

        return 0;
}

/* A directory goes when it is identical and everything in it goes. Children come after their
 * directory in pre-order, so a backward pass decides them first. */
static int decide_directories(PruneReport *rep) {
        LayerDiff *d = &rep->diff;
        _cleanup_free_ uint32_t *kept_children = calloc(MAX(d->n, 1u), sizeof(uint32_t));

        if (!kept_children)
                return -ENOMEM;

        for (uint32_t i = d->n; i-- > 1;) {
                const LayerEntry *e = &d->entries[i];

                if (entry_is_dir(e) && e->change == CHANGE_NONE) {
                        if (kept_children[i] == 0)
                                rep->actions[i] = PRUNE_REMOVE;
                        else
                                rep->notes[i] = "holds entries that are kept";
                }

                if (rep->actions[i] == PRUNE_KEEP)
                        kept_children[e->parent]++;
        }

        rep->notes[0] = "the upper layer's root";
        return 0;
}

typedef struct ParentCache {
        uint32_t index;
        int fd;
} ParentCache;

static void parent_cache_done(ParentCache *c) {
        if (c->fd >= 0 && c->index != 0)
                (void) close(c->fd);
        *c = (ParentCache) { .index = UINT32_MAX, .fd = -EBADF };
}

/* Open the upper directory of entry index again, by its path and without following symlinks,
 * and make sure it is still the inode the walk saw. */
static int parent_fd(ParentCache *c, const LayerDiff *d, int upper_fd, uint32_t index) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        if (c->index == index)
                return c->fd;

        parent_cache_done(c);
        if (index == 0) {
                c->index = 0;
                c->fd = upper_fd;
                return upper_fd;
        }

        path = layer_entry_path(d, index);
        if (!path)
                return -ENOMEM;

        fd = open_beneath(upper_fd, path + 1, O_RDONLY|O_DIRECTORY);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_ino != d->entries[index].ino)
                return -ESTALE;

        c->index = index;
        c->fd = TAKE_FD(fd);
        return c->fd;
}

/* Check that name is still the inode that was compared, so nothing else is removed. */
static int verify_unchanged(int dir_fd, const LayerEntry *e) {
        struct stat st;

        if (fstatat(dir_fd, e->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;

        if (st.st_ino != e->ino || (st.st_mode & S_IFMT) != (e->mode & S_IFMT))
                return -ESTALE;

        if (!S_ISDIR(st.st_mode) &&
            ((uint64_t) st.st_size != e->size || st.st_mtim.tv_sec != e->mtime.tv_sec || st.st_mtim.tv_nsec != e->mtime.tv_nsec))
                return -ESTALE;

        return 0;
}

static void count_removal(PruneReport *rep, const LayerEntry *e, bool counts_bytes) {
        if (entry_is_dir(e))
                rep->removed_directories++;
        else if (e->whiteout)
                rep->removed_whiteouts++;
        else
                rep->removed_files++;

        if (counts_bytes && !e->whiteout)
                rep->bytes_freed += e->disk_bytes;
}

static int apply_one(PruneReport *rep, const LayerStack *s, Backup *backup, ParentCache *cache, uint32_t i) {
        const LayerEntry *e = &rep->diff.entries[i];
        _cleanup_free_ char *path = NULL;
        int fd, r;

        fd = parent_fd(cache, &rep->diff, s->upper_fd, e->parent);
        if (fd < 0)
                return fd;

        r = verify_unchanged(fd, e);
        if (r < 0)
                return r;

        if (rep->actions[i] == PRUNE_REMOVE)
                return RET_NERRNO(unlinkat(fd, e->name, entry_is_dir(e) ? AT_REMOVEDIR : 0));

        path = layer_entry_path(&rep->diff, i);
        if (!path)
                return -ENOMEM;

        return backup_move(backup, s->upper_fd, fd, path + 1, e->name);
}

/* Put back the mtime of a kept directory that lost entries, which the merged view shows. */
static void restore_directory_mtime(PruneReport *rep, const LayerStack *s, ParentCache *cache, uint32_t i) {
        const LayerEntry *e = &rep->diff.entries[i];
        struct timespec times[2] = { { .tv_nsec = UTIME_OMIT }, e->mtime };
        int fd, r;

        if (i == 0)
                r = RET_NERRNO(futimens(s->upper_fd, times));
        else {
                fd = parent_fd(cache, &rep->diff, s->upper_fd, e->parent);
                r = fd < 0 ? fd : RET_NERRNO(utimensat(fd, e->name, times, AT_SYMLINK_NOFOLLOW));
        }

        if (r < 0) {
                _cleanup_free_ char *path = layer_entry_path(&rep->diff, i);
                log_warning_errno(r, "Failed to restore the modification time of %s: %m", strempty(path));
        }
}

static void remove_index_entries(PruneReport *rep, int index_fd) {
        LayerDiff *d = &rep->diff;

        if (index_fd < 0)
                return;

        /* After the upper names: a crash in between leaves an index entry with no other link,
         * which overlayfs removes as an orphan at the next mount with index=on. */
        for (uint32_t i = 1; i < d->n; i++) {
                const LayerEntry *e = &d->entries[i];

                if (rep->actions[i] != PRUNE_REMOVE || !e->origin_hex || !index_entry_links(index_fd, e->origin_hex, e->ino))
                        continue;

                if (unlinkat(index_fd, e->origin_hex, 0) < 0) {
                        log_warning_errno(errno, "Failed to remove the index entry %s of a pruned file: %m", e->origin_hex);
                        continue;
                }
                rep->removed_index_entries++;
        }
}

/* Remove and move in reverse pre-order: every entry before its directory, so a directory is
 * empty when its turn comes and a crash leaves no directory half-removed. Each step is one
 * unlinkat() or rename() of an entry whose absence the merged view does not show. */
static int apply(PruneReport *rep, const LayerStack *s, Backup *backup, const bool *counts_bytes, int index_fd) {
        _cleanup_(parent_cache_done) ParentCache cache = { .index = UINT32_MAX, .fd = -EBADF };
        LayerDiff *d = &rep->diff;
        _cleanup_free_ uint32_t *changed = calloc(MAX(d->n, 1u), sizeof(uint32_t));

        if (!changed)
                return -ENOMEM;

        for (uint32_t i = d->n; i-- > 0;) {
                const LayerEntry *e = &d->entries[i];
                int r;

                if (rep->actions[i] == PRUNE_REMOVE || rep->actions[i] == PRUNE_MOVE) {
                        r = apply_one(rep, s, backup, &cache, i);
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0) {
                                _cleanup_free_ char *path = layer_entry_path(d, i);

                                log_warning_errno(r, "Failed to %s %s, keeping it: %m",
                                                  rep->actions[i] == PRUNE_MOVE ? "move" : "remove", strempty(path));
                                rep->actions[i] = PRUNE_FAILED;
                                rep->failed++;
                                continue;
                        }

                        changed[e->parent]++;
                        if (rep->actions[i] == PRUNE_MOVE) {
                                rep->moved++;
                                rep->bytes_moved += e->size;
                        } else
                                count_removal(rep, e, counts_bytes[i]);
                        continue;
                }

                if (entry_is_dir(e) && changed[i] > 0)
                        restore_directory_mtime(rep, s, &cache, i);
        }

        remove_index_entries(rep, index_fd);
        return 0;
}

/* Record the mtimes of the directories that apply() will take entries from, before it does. */
static int journal_directories(const PruneReport *rep, const char *upper) {
        const LayerDiff *d = &rep->diff;
        _cleanup_free_ uint32_t *dirs = NULL;
        _cleanup_free_ bool *seen = NULL;
        size_t n = 0;

        dirs = calloc(MAX(d->n, 1u), sizeof(uint32_t));
        seen = calloc(MAX(d->n, 1u), sizeof(bool));
        if (!dirs || !seen)
                return log_oom();

        for (uint32_t i = 1; i < d->n; i++) {
                uint32_t parent = d->entries[i].parent;

                if ((rep->actions[i] != PRUNE_REMOVE && rep->actions[i] != PRUNE_MOVE) || seen[parent])
                        continue;

                seen[parent] = true;
                dirs[n++] = parent;
        }

        if (n == 0)
                return 0;

        return prune_journal_write(upper, d, dirs, n);
}

/* Count what a dry run would do, as apply() counts what it did. */
static void count_planned(PruneReport *rep, const bool *counts_bytes) {
        for (uint32_t i = 1; i < rep->diff.n; i++) {
                const LayerEntry *e = &rep->diff.entries[i];

                if (rep->actions[i] == PRUNE_REMOVE)
                        count_removal(rep, e, counts_bytes[i]);
                else if (rep->actions[i] == PRUNE_MOVE) {
                        rep->moved++;
                        rep->bytes_moved += e->size;
                }
        }
}

static int load_change_records(const PruneOptions *o, BaseChanges *changes, bool *ret_found) {
        bool found = false;
        int r;

        for (char **p = o->change_records; p && *p; p++) {
                r = base_changes_load(changes, *p);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return log_error_errno(r, "Failed to read the change record %s: %m", *p);
                found = true;
        }

        base_changes_finish(changes);
        *ret_found = found;
        return 0;
}

/* Each level of the walk keeps one directory per layer open, and the content threads two
 * files per queued comparison. */
static void raise_open_file_limit(void) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) >= 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = MIN(rl.rlim_max, (rlim_t) 65536);
                (void) setrlimit(RLIMIT_NOFILE, &rl);
        }
}

static double seconds_since(const struct timespec *start) {
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double) (now.tv_sec - start->tv_sec) + (double) (now.tv_nsec - start->tv_nsec) / 1e9;
}

static int open_index_dir(const LayerStack *s) {
        int fd;

        if (s->work_fd < 0)
                return -EBADF;

        fd = open_beneath(s->work_fd, "index", O_RDONLY|O_DIRECTORY);
        return fd < 0 ? -EBADF : fd;
}

static void finish_backup(PruneReport *rep, const PruneOptions *o, Backup *backup) {
        _cleanup_free_ char *path = NULL;
        _cleanup_(strbuf_done) StrBuf json = {};
        int r;

        if (!backup->dir)
                return;

        if (rep->moved == 0) {
                /* Leave no empty backup behind for restore to pick. */
                if (asprintf(&path, "%s/" BACKUP_FILES, backup->dir) >= 0 && rmdir(path) >= 0)
                        (void) rmdir(backup->dir);
                return;
        }

        prune_report_append_json(&json, rep, o->upper);
        if (asprintf(&path, "%s/" BACKUP_REPORT, backup->dir) < 0 || !strbuf_ok(&json)) {
                log_oom();
                return;
        }

        r = write_file_atomic(path, strbuf_str(&json), 0600);
        if (r < 0)
                log_warning_errno(r, "Failed to write the report %s: %m", path);
}

int prune_layers(const PruneOptions *o, PruneReport *ret) {
        _cleanup_(layer_stack_done) LayerStack stack = { .upper_fd = -EBADF, .work_fd = -EBADF };
        _cleanup_(prune_report_done) PruneReport rep = {};
        _cleanup_(base_changes_done) BaseChanges changes = {};
        _cleanup_(backup_done) Backup backup = { .files_fd = -EBADF };
        _cleanup_close_ int index_fd = -EBADF;
        _cleanup_free_ bool *counts_bytes = NULL;
        LayerDiffOptions diff_options = {
                .ignore_mtime = o->ignore_mtime,
                .progress = o->progress,
                .n_threads = o->n_threads,
        };
        struct timespec start;
        int r;

        assert(o);
        assert(o->upper);
        assert(ret);

        clock_gettime(CLOCK_MONOTONIC, &start);
        raise_open_file_limit();

        r = layer_stack_open(o->lowers, o->upper, o->work, o->userxattr, o->lower_id_shift, &stack);
        if (r < 0)
                return log_error_errno(r, "Failed to open the layers of %s: %m", o->upper);

        /* A prune killed earlier may have left directory mtimes changed. */
        r = prune_journal_replay(o->upper, stack.upper_fd);
        if (r < 0)
                return r;

        if (o->older_than_base) {
                r = load_change_records(o, &changes, &rep.change_record_used);
                if (r < 0)
                        return r;

                if (!o->backup_dir)
                        return log_error_errno(EINVAL, "--older-than-base needs a backup directory.");

                if (!o->dry_run) {
                        r = backup_create(o->backup_dir, stack.upper_dev, &backup);
                        if (r == -EXDEV)
                                return log_error_errno(r, "Backup directory %s is not on the file system of the upper layer %s, "
                                                       "so files cannot be moved there. Pass --backup=DIR with a directory on that file system.",
                                                       o->backup_dir, o->upper);
                        if (r < 0)
                                return log_error_errno(r, "Failed to create the backup directory %s: %m", o->backup_dir);
                }
        }

        r = layer_diff_scan(&stack, &diff_options, &rep.diff);
        if (r < 0)
                return log_error_errno(r, "Failed to walk the upper layer %s: %m", o->upper);

        rep.actions = calloc(MAX(rep.diff.n, 1u), sizeof(PruneAction));
        rep.notes = calloc(MAX(rep.diff.n, 1u), sizeof(const char *));
        counts_bytes = calloc(MAX(rep.diff.n, 1u), sizeof(bool));
        if (!rep.actions || !rep.notes || !counts_bytes)
                return log_oom();

        index_fd = open_index_dir(&stack);

        decide_leaves(&rep, o, rep.change_record_used ? &changes : NULL);
        r = decide_shared_origins(&rep);
        if (r >= 0)
                r = decide_hard_links(&rep, index_fd, counts_bytes);
        if (r >= 0)
                r = decide_directories(&rep);
        if (r < 0)
                return log_oom();

        rep.dry_run = o->dry_run;
        if (o->dry_run)
                count_planned(&rep, counts_bytes);
        else {
                r = journal_directories(&rep, o->upper);
                if (r < 0)
                        return r;

                r = apply(&rep, &stack, &backup, counts_bytes, index_fd);
                if (r < 0)
                        return log_oom();

                prune_journal_remove(o->upper);
        }

        for (uint32_t i = 0; i < rep.diff.n; i++)
                if (rep.actions[i] == PRUNE_KEEP)
                        rep.kept++;

        rep.seconds = seconds_since(&start);
        finish_backup(&rep, o, &backup);

        *ret = rep;
        rep = (PruneReport) {};
        return 0;
}
