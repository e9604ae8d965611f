/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs-util.h"
#include "layer-stack.h"
#include "log.h"
#include "macro.h"
#include "prune-journal.h"
#include "strbuf.h"
#include "unit-name.h"
#include "write-file.h"

static int journal_path(const char *upper, char **ret) {
        _cleanup_free_ char *escaped = NULL;
        int r;

        r = unit_name_from_path(upper, ".journal", &escaped);
        if (r < 0)
                return r;

        if (asprintf(ret, PRUNE_JOURNAL_DIR "/%s", escaped) < 0)
                return -ENOMEM;

        return 0;
}

int prune_journal_write(const char *upper, const LayerDiff *d, const uint32_t *dirs, size_t n) {
        _cleanup_(strbuf_done) StrBuf b = {};
        _cleanup_free_ char *path = NULL;
        int r;

        r = journal_path(upper, &path);
        if (r < 0)
                return log_error_errno(r, "Failed to name the prune journal of %s: %m", upper);

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *entry = layer_entry_path(d, dirs[i]);
                const LayerEntry *e = &d->entries[dirs[i]];

                if (!entry)
                        return log_oom();

                /* layer_entry_path() starts with "/"; the root itself is "/". */
                strbuf_appendf(&b, "%lld %ld %s", (long long) e->mtime.tv_sec, (long) e->mtime.tv_nsec,
                               entry[1] ? entry + 1 : ".");
                strbuf_append_char(&b, '\0');
        }
        if (!strbuf_ok(&b))
                return log_oom();

        if (mkdir("/var/lib/nspawn-overlay", 0755) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create /var/lib/nspawn-overlay: %m");
        if (mkdir(PRUNE_JOURNAL_DIR, 0700) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create " PRUNE_JOURNAL_DIR ": %m");

        r = write_file_atomic_n(path, b.data ?: "", b.len, 0600);
        if (r < 0)
                return log_error_errno(r, "Failed to write the prune journal %s: %m", path);

        return 0;
}

void prune_journal_remove(const char *upper) {
        _cleanup_free_ char *path = NULL;

        if (journal_path(upper, &path) >= 0 && unlink(path) < 0 && errno != ENOENT)
                log_warning_errno(errno, "Failed to remove the prune journal %s: %m", path);
}

static void restore_one(int upper_fd, const char *record) {
        struct timespec times[2] = { { .tv_nsec = UTIME_OMIT } };
        long long sec;
        long nsec;
        int consumed = 0, fd;

        if (sscanf(record, "%lld %ld %n", &sec, &nsec, &consumed) != 2 || consumed == 0)
                return;
        times[1] = (struct timespec) { .tv_sec = (time_t) sec, .tv_nsec = nsec };

        /* The upper is written by a guest: the path is resolved beneath it, never through a link. */
        fd = streq(record + consumed, ".") ? fcntl(upper_fd, F_DUPFD_CLOEXEC, 3)
                                           : open_beneath(upper_fd, record + consumed, O_RDONLY|O_DIRECTORY);
        if (fd < 0)
                return; /* the directory is gone: nothing shows its mtime */

        if (futimens(fd, times) < 0)
                log_warning_errno(errno, "Failed to restore the modification time of %s: %m", record + consumed);
        (void) close(fd);
}

/* A prune killed while writing its journal leaves the temporary file behind. */
static void remove_stale_temporaries(const char *journal) {
        const char *name = strrchr(journal, '/') + 1;
        _cleanup_closedir_ DIR *d = opendir(PRUNE_JOURNAL_DIR);
        size_t n = strlen(name);
        struct dirent *de;

        if (!d)
                return;

        while ((de = readdir(d)))
                if (strneq(de->d_name, name, n) && de->d_name[n] == '.')
                        (void) unlinkat(dirfd(d), de->d_name, 0);
}

int prune_journal_replay(const char *upper, int upper_fd) {
        _cleanup_free_ char *path = NULL, *data = NULL;
        size_t size = 0;
        int r;

        r = journal_path(upper, &path);
        if (r < 0)
                return log_error_errno(r, "Failed to name the prune journal of %s: %m", upper);

        remove_stale_temporaries(path);

        r = read_full_file(path, &data, &size);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return log_error_errno(r, "Failed to read the prune journal %s: %m", path);

        for (const char *p = data; p < data + size; p += strlen(p) + 1)
                restore_one(upper_fd, p);

        if (unlink(path) < 0 && errno != ENOENT)
                return log_error_errno(errno, "Failed to remove the prune journal %s: %m", path);

        log_info("Restored the directory modification times of %s that an interrupted prune had changed.", upper);
        return 1;
}
