/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "machine-name.h"
#include "path-util.h"
#include "strbuf.h"
#include "string-util.h"
#include "time-util.h"

/* inih reads lines into a fixed buffer of this many bytes (INI_MAX_LINE in Debian's libinih 55).
 * It passes the buffer size to our reader, which rejects a longer line instead of letting
 * inih split it and parse the tail as a line of its own. */
#define INI_LINE_OVERHEAD 3 /* "\r\n" and the terminating NUL */

typedef struct ParseState {
        Container *container;
        const char *path;
        const char *next;         /* the unread rest of the file, which is read into memory at once */
        const char *end;
        unsigned line_number;
        int section;              /* the current section: a ConfigSection, or -1 if unknown */
        bool has_nul;             /* the file contains a NUL byte somewhere */
        bool section_seen;
} ParseState;

typedef enum ConfigSection {
        SECTION_OVERLAY,
        SECTION_CONTAINER,
        _SECTION_MAX,
} ConfigSection;

typedef int (*ValueParser)(Container *c, const ParseState *s, const char *key, const char *value);

typedef struct ConfigItem {
        ConfigSection section;
        const char *key;
        ValueParser parse;
} ConfigItem;

static const char *const known_sections[_SECTION_MAX] = {
        [SECTION_OVERLAY] = "Overlay",
        [SECTION_CONTAINER] = "Container",
};

/* Show control characters and bytes of invalid UTF-8 as C escapes, so the log stays readable. */
static char *escape_for_log(const char *value) {
        _cleanup_(strbuf_done) StrBuf b = {};
        bool valid_utf8 = utf8_is_valid(value);

        for (const unsigned char *p = (const unsigned char *) value; *p; p++) {
                if (*p == '\t')
                        strbuf_append(&b, "\\t");
                else if (*p == '\\')
                        strbuf_append(&b, "\\\\");
                else if (*p < 0x20 || *p == 0x7f || (*p >= 0x80 && !valid_utf8))
                        strbuf_appendf(&b, "\\x%02x", *p);
                else
                        strbuf_append_char(&b, (char) *p);
        }

        return strbuf_ok(&b) && b.data ? TAKE_PTR(b.data) : strdup("");
}

static int invalid_value(const ParseState *s, const char *key, const char *value, const char *expected) {
        _cleanup_free_ char *shown = escape_for_log(value);

        s->container->invalid = true;
        return log_syntax(s->path, s->line_number, LOG_ERR, EINVAL,
                          "Invalid value for %s=: \"%s\". %s", key, strempty(shown), expected);
}

/* Every value ends up in a unit file or on a command line, so none may carry control
 * characters (a newline would start a new directive) or invalid UTF-8. */
static int check_printable(const ParseState *s, const char *key, const char *value) {
        const unsigned char *p = (const unsigned char *) value;

        /* Most values are printable ASCII, which needs no closer look. */
        while (*p >= 0x20 && *p < 0x7f)
                p++;
        if (*p == '\0')
                return 0;

        if (!utf8_is_valid(value))
                return invalid_value(s, key, value, "The value is not valid UTF-8.");

        if (string_has_control_chars(value))
                return invalid_value(s, key, value, "Control characters (such as tabs) are not allowed.");

        return 0;
}

static int parse_path(const ParseState *s, const char *key, const char *value, char **ret) {
        _cleanup_free_ char *normalized = NULL;
        int r;

        r = check_printable(s, key, value);
        if (r < 0)
                return r;

        r = path_normalize(value, &normalized);
        if (r == -EINVAL)
                return invalid_value(s, key, value, "Expected an absolute path.");
        if (r == -EBADMSG)
                return invalid_value(s, key, value, "\"..\" is not allowed in paths.");
        if (r < 0)
                return log_oom();

        /* A trailing backslash would continue the line in the generated unit file. */
        if (normalized[strlen(normalized) - 1] == '\\')
                return invalid_value(s, key, value, "A path may not end in a backslash.");

        *ret = TAKE_PTR(normalized);
        return 0;
}

static int replace_path(const ParseState *s, const char *key, const char *value, char **field) {
        char *p = NULL;
        int r;

        /* An empty assignment restores the default. */
        if (!isempty(value)) {
                r = parse_path(s, key, value, &p);
                if (r < 0)
                        return r;
        }

        free(*field);
        *field = p;
        return 0;
}

static int parse_base(Container *c, const ParseState *s, const char *key, const char *value) {
        _cleanup_free_ char *normalized = NULL;
        int r;

        if (isempty(value)) {
                strv_free(c->bases);
                c->bases = NULL;
                return 0;
        }

        if (strchr(value, '/')) {
                r = parse_path(s, key, value, &normalized);
                if (r < 0)
                        return r;
        } else {
                r = check_printable(s, key, value);
                if (r < 0)
                        return r;
                if (streq(value, ".") || streq(value, ".."))
                        return invalid_value(s, key, value, "Expected an image name or an absolute path.");
                normalized = strdup(value);
                if (!normalized)
                        return log_oom();
        }

        if (strv_consume(&c->bases, TAKE_PTR(normalized)) < 0)
                return log_oom();

        return 0;
}

static int parse_image_directory(Container *c, const ParseState *s, const char *key, const char *value) {
        return replace_path(s, key, value, &c->image_directory);
}

static int parse_directory(Container *c, const ParseState *s, const char *key, const char *value) {
        return replace_path(s, key, value, &c->directory);
}

static int parse_upper(Container *c, const ParseState *s, const char *key, const char *value) {
        return replace_path(s, key, value, &c->upper);
}

static int parse_work(Container *c, const ParseState *s, const char *key, const char *value) {
        return replace_path(s, key, value, &c->work);
}

static int parse_bool_value(const ParseState *s, const char *key, const char *value, bool *ret) {
        int b = parse_boolean(value);

        if (b < 0)
                return invalid_value(s, key, value, "Expected a boolean (yes or no).");

        *ret = b;
        return 0;
}

static int parse_automount(Container *c, const ParseState *s, const char *key, const char *value) {
        return parse_bool_value(s, key, value, &c->automount);
}

static int parse_idle_timeout(Container *c, const ParseState *s, const char *key, const char *value) {
        uint64_t usec;

        if (isempty(value)) {
                c->idle_timeout_set = false;
                return 0;
        }

        if (parse_timespan(value, &usec) < 0)
                return invalid_value(s, key, value, "Expected a time span such as \"5min\", or empty for never.");

        /* systemd treats 0 as "never unmount", and so does an infinite timeout. */
        c->idle_timeout_set = usec != 0 && usec != USEC_INFINITY;
        c->idle_timeout_usec = usec;
        return 0;
}

static bool overlay_option_is_layer(const char *name, size_t n) {
        static const char *const layer_options[] = { "lowerdir", "upperdir", "workdir", "lowerdir+", "datadir+" };

        for (size_t i = 0; i < ELEMENTSOF(layer_options); i++)
                if (strlen(layer_options[i]) == n && strneq(name, layer_options[i], n))
                        return true;

        return false;
}

static int parse_options(Container *c, const ParseState *s, const char *key, const char *value) {
        const char *p = value;

        if (isempty(value)) {
                strv_free(c->options);
                c->options = NULL;
                return 0;
        }

        for (;;) {
                _cleanup_free_ char *option = NULL;
                size_t n = strcspn(p, ",");

                option = strndup(p, n);
                if (!option)
                        return log_oom();

                if (n == 0)
                        return invalid_value(s, key, value, "Empty mount option (\",,\" or a comma at either end).");

                /* Quotes and backslashes change how libmount splits the option string. */
                if (strpbrk(option, " \"\\") || string_has_control_chars(option) || !utf8_is_valid(option))
                        return invalid_value(s, key, value, "Mount options may not contain spaces, quotes, backslashes or control characters.");

                if (overlay_option_is_layer(option, strcspn(option, "=")))
                        return invalid_value(s, key, value, "Layers are set with Base=, Upper= and Work=, not with Options=.");

                if (strv_extend(&c->options, option) < 0)
                        return log_oom();

                p += n;
                if (*p == '\0')
                        break;
                p++;
        }

        return 0;
}

static int parse_boot(Container *c, const ParseState *s, const char *key, const char *value) {
        return parse_bool_value(s, key, value, &c->boot);
}

static bool interface_name_is_valid(const char *s, size_t max) {
        size_t n = strlen(s);

        return n > 0 && n <= max && !streq(s, ".") && !streq(s, "..") &&
               strspn_alnum(s, "-_.") == n;
}

static int parse_network(Container *c, const ParseState *s, const char *key, const char *value) {
        static const char expected[] = "Expected veth, host, none, zone:NAME or bridge:IFACE.";
        const char *arg = NULL;
        char *name;

        if (streq(value, "veth") || isempty(value))
                c->network = NETWORK_VETH;
        else if (streq(value, "host"))
                c->network = NETWORK_HOST;
        else if (streq(value, "none"))
                c->network = NETWORK_NONE;
        else if ((arg = strneq(value, "zone:", 5) ? value + 5 : NULL)) {
                /* nspawn prefixes the zone with "vz-", and interface names have at most 15 bytes. */
                if (!interface_name_is_valid(arg, 12))
                        return invalid_value(s, key, value, "A zone name has 1 to 12 letters, digits, \"-\", \"_\" or \".\".");
                c->network = NETWORK_ZONE;
        } else if ((arg = strneq(value, "bridge:", 7) ? value + 7 : NULL)) {
                if (!interface_name_is_valid(arg, 15))
                        return invalid_value(s, key, value, "A bridge name has 1 to 15 letters, digits, \"-\", \"_\" or \".\".");
                c->network = NETWORK_BRIDGE;
        } else
                return invalid_value(s, key, value, expected);

        name = arg ? strdup(arg) : NULL;
        if (arg && !name)
                return log_oom();

        free(c->network_name);
        c->network_name = name;
        return 0;
}

static int parse_uid(const char *s, uint32_t *ret) {
        char *end;
        unsigned long long v;

        if (!isdigit((unsigned char) s[0]))
                return -EINVAL;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || *end != '\0' || v >= UINT32_MAX)
                return -EINVAL;

        *ret = (uint32_t) v;
        return 0;
}

static int parse_private_users(Container *c, const ParseState *s, const char *key, const char *value) {
        static const struct {
                const char *name;
                PrivateUsersMode mode;
        } modes[] = {
                { "",       PRIVATE_USERS_AUTO },
                { "auto",   PRIVATE_USERS_AUTO },
                { "idmap",  PRIVATE_USERS_IDMAP },
                { "shared", PRIVATE_USERS_SHARED },
                { "pick",   PRIVATE_USERS_PICK },
        };
        _cleanup_free_ char *shift = NULL;
        const char *colon;
        uint32_t base, range = 65536;
        int b;

        for (size_t i = 0; i < ELEMENTSOF(modes); i++)
                if (streq(value, modes[i].name)) {
                        c->private_users = modes[i].mode;
                        return 0;
                }

        b = parse_boolean(value);
        if (b >= 0) {
                c->private_users = b ? PRIVATE_USERS_AUTO : PRIVATE_USERS_NO;
                return 0;
        }

        colon = strchr(value, ':');
        shift = colon ? strndup(value, colon - value) : strdup(value);
        if (!shift)
                return log_oom();

        if (parse_uid(shift, &base) < 0 || (colon && parse_uid(colon + 1, &range) < 0) ||
            range == 0 || (uint64_t) base + range > UINT32_MAX)
                return invalid_value(s, key, value, "Expected auto, idmap, shared, no, pick, or UID[:RANGE].");

        /* nspawn rounds a base that is not a multiple of 65536 down, so the guest would see its own
         * files owned by the wrong users. */
        if (base % 65536 != 0)
                return invalid_value(s, key, value, "The UID base must be a multiple of 65536.");

        c->private_users = PRIVATE_USERS_FIXED;
        c->uid_shift = base;
        c->uid_range = range;
        return 0;
}

static bool absolute_or_empty(const char *s, size_t n) {
        return n == 0 || s[0] == '/';
}

/* Return the length of s up to its first ":" that no backslash escapes. systemd-nspawn reads
 * "\:" as a colon and "\\" as a backslash inside the paths of --bind=. */
static size_t unescaped_colon(const char *s) {
        size_t i = 0;

        while (s[i] && s[i] != ':')
                i += s[i] == '\\' && s[i + 1] ? 2 : 1;

        return i;
}

/* SOURCE[:DESTINATION[:OPTIONS]] as systemd-nspawn's --bind= takes it. */
static int parse_bind_value(const ParseState *s, const char *key, const char *value, char ***list) {
        const char *source = value, *destination, *options = NULL;
        size_t source_len, destination_len;
        int r;

        if (isempty(value)) {
                strv_free(*list);
                *list = NULL;
                return 0;
        }

        r = check_printable(s, key, value);
        if (r < 0)
                return r;

        /* nspawn treats a leading "+" as "relative to the container's root". */
        if (source[0] == '+')
                source++;

        source_len = unescaped_colon(source);
        destination = source[source_len] == ':' ? source + source_len + 1 : NULL;
        destination_len = destination ? unescaped_colon(destination) : 0;
        if (destination && destination[destination_len] == ':')
                options = destination + destination_len + 1;

        if (source_len == 0 || !absolute_or_empty(source, source_len) ||
            !absolute_or_empty(destination ?: "", destination_len))
                return invalid_value(s, key, value, "Expected SOURCE[:DESTINATION[:OPTIONS]] with absolute paths.");

        if (options && (isempty(options) || strspn(options, "abcdefghijklmnopqrstuvwxyz,") != strlen(options)))
                return invalid_value(s, key, value, "Bind options are a comma-separated list such as rbind, norbind or idmap.");

        if (strv_extend(list, value) < 0)
                return log_oom();

        return 0;
}

static int parse_bind(Container *c, const ParseState *s, const char *key, const char *value) {
        return parse_bind_value(s, key, value, &c->binds);
}

static int parse_bind_read_only(Container *c, const ParseState *s, const char *key, const char *value) {
        return parse_bind_value(s, key, value, &c->binds_read_only);
}

static int parse_environment(Container *c, const ParseState *s, const char *key, const char *value) {
        size_t name_len;
        int r;

        if (isempty(value)) {
                strv_free(c->environment);
                c->environment = NULL;
                return 0;
        }

        r = check_printable(s, key, value);
        if (r < 0)
                return r;

        name_len = strspn_alnum(value, "_");
        if (name_len == 0 || value[name_len] != '=' || (value[0] >= '0' && value[0] <= '9'))
                return invalid_value(s, key, value, "Expected NAME=VALUE, with a NAME of letters, digits and \"_\".");

        if (strv_extend(&c->environment, value) < 0)
                return log_oom();

        return 0;
}

static const ConfigItem config_items[] = {
        { SECTION_OVERLAY,   "Base",           parse_base },
        { SECTION_OVERLAY,   "ImageDirectory", parse_image_directory },
        { SECTION_OVERLAY,   "Directory",      parse_directory },
        { SECTION_OVERLAY,   "Upper",          parse_upper },
        { SECTION_OVERLAY,   "Work",           parse_work },
        { SECTION_OVERLAY,   "Automount",      parse_automount },
        { SECTION_OVERLAY,   "IdleTimeoutSec", parse_idle_timeout },
        { SECTION_OVERLAY,   "Options",        parse_options },
        { SECTION_CONTAINER, "Boot",           parse_boot },
        { SECTION_CONTAINER, "Network",        parse_network },
        { SECTION_CONTAINER, "PrivateUsers",   parse_private_users },
        { SECTION_CONTAINER, "Bind",           parse_bind },
        { SECTION_CONTAINER, "BindReadOnly",   parse_bind_read_only },
        { SECTION_CONTAINER, "Environment",    parse_environment },
};

static int handle_assignment(void *userdata, const char *section, const char *key, const char *value) {
        ParseState *s = userdata;

        if (s->section < 0)
                return 1; /* already reported when the section header was read */

        /* check_section_header() saw the same header as inih, so s->section names section. */
        for (size_t i = 0; i < ELEMENTSOF(config_items); i++)
                if ((int) config_items[i].section == s->section && streq(config_items[i].key, key)) {
                        (void) config_items[i].parse(s->container, s, key, value);
                        return 1;
                }

        log_syntax(s->path, s->line_number, LOG_WARNING, 0,
                   "Unknown key \"%s\" in section [%s], ignoring.", key, section);
        return 1;
}

static void reject_line(ParseState *s, const char *message) {
        s->container->invalid = true;
        log_syntax(s->path, s->line_number, LOG_ERR, EINVAL, "%s", message);
}

static void check_section_header(ParseState *s, const char *line) {
        const char *end = strchr(line, ']');
        size_t n;

        if (!end) {
                reject_line(s, "Section header is missing its closing \"]\".");
                s->section = -1;
                return;
        }

        n = end - line - 1;
        s->section_seen = true;
        s->section = -1;
        for (size_t i = 0; i < ELEMENTSOF(known_sections); i++)
                if (strlen(known_sections[i]) == n && strneq(line + 1, known_sections[i], n))
                        s->section = (int) i;

        if (s->section < 0)
                log_syntax(s->path, s->line_number, LOG_WARNING, 0,
                           "Unknown section [%.*s], ignoring its keys.", (int) n, line + 1);
}

/* Check one physical line for the things inih would silently get wrong. line is NUL-terminated
 * only when the line fits the buffer. Returns false if the line must not reach inih. */
static bool check_line(ParseState *s, const char *line, size_t length, int buffer_size) {
        const char *start;
        size_t content = length;

        if (s->has_nul && memchr(line, '\0', length)) {
                reject_line(s, "Line contains a NUL byte.");
                return false;
        }

        while (content > 0 && (line[content - 1] == '\n' || line[content - 1] == '\r'))
                content--;

        if (content + INI_LINE_OVERHEAD > (size_t) buffer_size) {
                s->container->invalid = true;
                log_syntax(s->path, s->line_number, LOG_ERR, E2BIG,
                           "Line is %zu bytes long, but at most %d are supported (the INI parser would split it). "
                           "Use a shorter path or value.", content, buffer_size - INI_LINE_OVERHEAD);
                return false;
        }

        /* inih skips a UTF-8 byte order mark at the start of the file itself. */
        if (s->line_number == 1 && strneq(line, "\xef\xbb\xbf", 3))
                line += 3;

        start = line;
        while (*start == ' ' || *start == '\t')
                start++;
        switch (*start) {
        case '\0':
        case '\n':
        case '\r':
        case ';':
        case '#':
                return true;
        }

        /* inih joins an indented line to the previous value, which is never what a systemd-style
         * config means. */
        if (start != line) {
                reject_line(s, "Line is indented; the INI parser would append it to the previous value. Remove the leading whitespace.");
                return false;
        }

        if (*start == '[') {
                check_section_header(s, start);
                return true;
        }

        /* inih splits at the first "=" or ":". */
        if (start[strcspn(start, "=:")] != '=') {
                reject_line(s, "Expected \"Key=Value\" or a \"[Section]\" header.");
                return false;
        }

        if (!s->section_seen) {
                log_syntax(s->path, s->line_number, LOG_WARNING, 0, "Assignment outside of a section, ignoring.");
                return false;
        }

        return true;
}

static char *read_line(char *buffer, int size, void *userdata) {
        ParseState *s = userdata;
        const char *line = s->next, *newline;
        size_t n;

        if (line >= s->end)
                return NULL;

        newline = memchr(line, '\n', s->end - line);
        n = newline ? (size_t) (newline - line) + 1 : (size_t) (s->end - line);
        s->next = line + n;
        s->line_number++;

        /* A line that does not fit is rejected by check_line() as too long. */
        if (n < (size_t) size) {
                memcpy(buffer, line, n);
                buffer[n] = '\0';
                line = buffer;
        }

        if (!check_line(s, line, n, size)) {
                /* Hand inih an empty line, so it neither parses nor splits this one. */
                buffer[0] = '\n';
                buffer[1] = '\0';
        }

        return buffer;
}

ssize_t config_read_fd(int fd, char *buffer, size_t size, char **ret_data, char **ret_allocated) {
        char *data = buffer, *allocated = NULL;
        size_t n = 0;

        for (;;) {
                ssize_t k;

                if (n == size) {
                        char *p = realloc(allocated, size * 2);

                        if (!p) {
                                free(allocated);
                                return -ENOMEM;
                        }
                        if (!allocated)
                                memcpy(p, buffer, n);
                        data = allocated = p;
                        size *= 2;
                }

                k = read(fd, data + n, size - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        free(allocated);
                        return -errno;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
        }

        *ret_data = data;
        *ret_allocated = allocated;
        return (ssize_t) n;
}

void config_parse_data(Container *c, const char *path, const char *data, size_t size) {
        ParseState s = {
                .container = c,
                .path = path,
                .next = data,
                .end = data + size,
                .section = -1,
                .has_nul = memchr(data, '\0', size) != NULL,
        };
        int r;

        assert(c);
        assert(path);

        r = ini_parse_stream(read_line, &s, handle_assignment, &s);
        if (r > 0) {
                s.line_number = (unsigned) r;
                reject_line(&s, "The INI parser rejected this line.");
        }
}

int config_parse_file(Container *c, const char *path, int fd) {
        _cleanup_free_ char *allocated = NULL;
        char buffer[CONFIG_READ_BUFFER_SIZE], *data = NULL;
        ssize_t n;

        assert(c);
        assert(path);
        assert(fd >= 0);

        n = config_read_fd(fd, buffer, sizeof(buffer), &data, &allocated);
        (void) close(fd);
        if (n < 0) {
                c->invalid = true;
                return log_error_errno((int) n, "Failed to read %s: %m", path);
        }

        config_parse_data(c, path, data, (size_t) n);
        return 0;
}
