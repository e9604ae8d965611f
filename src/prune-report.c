/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <string.h>

#include "disk-usage.h"
#include "entry-compare.h"
#include "json.h"
#include "prune-report.h"

#define MIB (1024.0 * 1024.0)

static double per_second(double amount, double seconds) {
        return seconds > 0 ? amount / seconds : 0;
}

static const char *entry_reason(const PruneReport *r, uint32_t i, char *buf, size_t size) {
        if (r->notes[i])
                return r->notes[i];

        return layer_entry_reason(&r->diff.entries[i], buf, size);
}

static void append_differences(StrBuf *b, unsigned mask) {
        static const char *const names[] = {
                "type", "size", "content", "target", "rdev", "mode", "owner", "mtime", "xattrs",
        };
        bool first = true;

        strbuf_append(b, ",\"differences\":[");
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (mask & (1u << i)) {
                        if (!first)
                                strbuf_append_char(b, ',');
                        json_append_string(b, names[i]);
                        first = false;
                }
        strbuf_append_char(b, ']');
}

void prune_report_append_json(StrBuf *b, const PruneReport *r, const char *upper) {
        const LayerDiff *d = &r->diff;

        strbuf_append_char(b, '{');
        json_append_member_string(b, true, "upper", upper);
        json_append_member_bool(b, false, "dry_run", r->dry_run);

        strbuf_append(b, ",\"counts\":{");
        json_append_member_uint(b, true, "entries", d->n);
        json_append_member_uint(b, false, "pruned_files", r->removed_files);
        json_append_member_uint(b, false, "pruned_directories", r->removed_directories);
        json_append_member_uint(b, false, "pruned_whiteouts", r->removed_whiteouts);
        json_append_member_uint(b, false, "pruned_index_entries", r->removed_index_entries);
        json_append_member_uint(b, false, "moved", r->moved);
        json_append_member_uint(b, false, "kept", r->kept);
        json_append_member_uint(b, false, "failed", r->failed);
        strbuf_append_char(b, '}');

        json_append_member_uint(b, false, "bytes_freed", r->bytes_freed);
        json_append_member_uint(b, false, "bytes_moved", r->bytes_moved);
        json_append_member_uint(b, false, "files_compared", d->files_compared);
        json_append_member_uint(b, false, "bytes_read", d->bytes_read);
        strbuf_appendf(b, ",\"seconds\":%.6f,\"entries_per_second\":%.1f,\"mib_per_second\":%.1f",
                       r->seconds, per_second(d->n, r->seconds), per_second(d->bytes_read / MIB, r->seconds));

        strbuf_append(b, ",\"entries\":[");
        for (uint32_t i = 0; i < d->n; i++) {
                _cleanup_free_ char *path = layer_entry_path(d, i);
                char buf[128];

                if (i > 0)
                        strbuf_append_char(b, ',');
                strbuf_append_char(b, '{');
                json_append_member_string(b, true, "path", path);
                json_append_member_string(b, false, "action", prune_action_to_string(r->actions[i]));
                json_append_member_string(b, false, "change", change_kind_to_string(d->entries[i].change));
                json_append_member_string(b, false, "reason", entry_reason(r, i, buf, sizeof(buf)));
                strbuf_append_char(b, '}');
        }
        strbuf_append(b, "]}\n");
}

void prune_report_print(FILE *f, const PruneReport *r, const char *upper, const char *backup_dir) {
        const LayerDiff *d = &r->diff;
        uint64_t kept_by_change[_CHANGE_MAX] = {};
        char size[16];
        bool first = true;

        for (uint32_t i = 0; i < d->n; i++)
                if (r->actions[i] == PRUNE_KEEP)
                        kept_by_change[d->entries[i].change]++;

        fprintf(f, "%s %" PRIu64 " of %" PRIu32 " entries in %s (%" PRIu64 " files, %" PRIu64 " directories, %" PRIu64 " whiteouts)%s %s.\n",
                r->dry_run ? "Would prune" : "Pruned",
                r->removed_files + r->removed_directories + r->removed_whiteouts, d->n, upper,
                r->removed_files, r->removed_directories, r->removed_whiteouts,
                r->dry_run ? ", which would free" : ", freed", format_bytes(size, r->bytes_freed));

        if (r->removed_index_entries > 0)
                fprintf(f, "Removed %" PRIu64 " index entries of pruned files.\n", r->removed_index_entries);

        fprintf(f, "Kept %" PRIu64 " entries", r->kept);
        for (ChangeKind k = 0; k < _CHANGE_MAX; k++) {
                if (kept_by_change[k] == 0)
                        continue;
                fprintf(f, "%s %" PRIu64 " %s", first ? ":" : ",", kept_by_change[k],
                        k == CHANGE_NONE ? "unchanged (directories holding kept entries, hard links)" : change_kind_to_string(k));
                first = false;
        }
        fputs(".\n", f);

        if (r->moved > 0) {
                fprintf(f, "%s %" PRIu64 " files (%s) at paths the base changed, judged by %s, %s %s:\n",
                        r->dry_run ? "Would move" : "Moved", r->moved, format_bytes(size, r->bytes_moved),
                        r->change_record_used ? "its change record" : "mtime (no change record)",
                        r->dry_run ? "into" : "to", backup_dir ? backup_dir : "the backup directory");
                for (uint32_t i = 0; i < d->n; i++)
                        if (r->actions[i] == PRUNE_MOVE) {
                                _cleanup_free_ char *path = layer_entry_path(d, i);
                                fprintf(f, "  %s\n", strempty(path));
                        }
                if (!r->dry_run)
                        fputs("Put them back with 'nspawn-overlay restore'.\n", f);
        }

        if (r->failed > 0)
                fprintf(f, "Failed to remove or move %" PRIu64 " entries; they are still in the upper layer (see the warnings above).\n", r->failed);

        fprintf(f, "Walked %" PRIu32 " entries in %.2f s (%.0f files/s); compared the contents of %" PRIu64 " files, read %.1f MiB (%.1f MiB/s).\n",
                d->n, r->seconds, per_second(d->n, r->seconds), d->files_compared,
                d->bytes_read / MIB, per_second(d->bytes_read / MIB, r->seconds));
}

bool layer_diff_lists(const LayerDiff *d, uint32_t index) {
        const LayerEntry *e = &d->entries[index];

        return e->change != CHANGE_NONE;
}

void layer_diff_print(FILE *f, const LayerDiff *d) {
        for (uint32_t i = 0; i < d->n; i++) {
                const LayerEntry *e = &d->entries[i];
                _cleanup_free_ char *path = NULL;
                char list[96];

                if (!layer_diff_lists(d, i))
                        continue;

                path = layer_entry_path(d, i);
                fprintf(f, "%-9s %s", change_kind_to_string(e->change), strempty(path));
                if (e->change == CHANGE_MODIFIED || e->change == CHANGE_METADATA) {
                        entry_difference_to_string(e->differences, list, sizeof(list));
                        fprintf(f, " (%s)", list);
                } else if (e->change == CHANGE_UNCHECKED)
                        fprintf(f, " (%s)", layer_entry_reason(e, list, sizeof(list)));
                fputc('\n', f);
        }
}

void layer_diff_append_json(StrBuf *b, const LayerDiff *d) {
        uint64_t counts[_CHANGE_MAX] = {};
        bool first = true;

        for (uint32_t i = 0; i < d->n; i++)
                counts[d->entries[i].change]++;

        strbuf_append(b, "{\"counts\":{");
        for (ChangeKind k = 0; k < _CHANGE_MAX; k++)
                json_append_member_uint(b, k == 0, change_kind_to_string(k), counts[k]);
        strbuf_append(b, "},\"entries\":[");

        for (uint32_t i = 0; i < d->n; i++) {
                const LayerEntry *e = &d->entries[i];
                _cleanup_free_ char *path = NULL;
                char buf[128];

                if (!layer_diff_lists(d, i))
                        continue;

                path = layer_entry_path(d, i);
                if (!first)
                        strbuf_append_char(b, ',');
                first = false;

                strbuf_append_char(b, '{');
                json_append_member_string(b, true, "path", path);
                json_append_member_string(b, false, "change", change_kind_to_string(e->change));
                append_differences(b, e->differences);
                json_append_member_string(b, false, "reason", layer_entry_reason(e, buf, sizeof(buf)));
                strbuf_append_char(b, '}');
        }
        strbuf_append(b, "]}\n");
}
