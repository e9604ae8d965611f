/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "machine-name.h"
#include "macro.h"
#include "string-util.h"

static bool char_is_ldh(char c) {
        return (c >= 'a' && c <= 'z') ||
               (c >= 'A' && c <= 'Z') ||
               (c >= '0' && c <= '9') ||
               c == '-';
}

bool machine_name_is_valid(const char *s, const char **ret_reason) {
        const char *reason = NULL;
        size_t n;

        assert(s);

        n = strlen(s);
        if (n == 0)
                reason = "it is empty";
        else if (n > MACHINE_NAME_MAX)
                reason = "it is longer than 64 characters";
        else if (strspn_alnum(s, "-.") != n)
                reason = "only letters, digits, \"-\" and \".\" are allowed";
        else if (s[0] == '-' || s[0] == '.' || s[n - 1] == '-' || s[n - 1] == '.')
                reason = "it may not start or end with \"-\" or \".\"";
        else if (strstr(s, ".."))
                reason = "it may not contain \"..\"";

        if (ret_reason)
                *ret_reason = reason;

        return !reason;
}

char *machine_name_suggest(const char *s) {
        _cleanup_free_ char *t = NULL;
        size_t n = 0;

        assert(s);

        t = malloc(strlen(s) + 1);
        if (!t)
                return NULL;

        for (const char *p = s; *p && n < MACHINE_NAME_MAX; p++) {
                char c = char_is_ldh(*p) || *p == '.' ? *p : '-';

                /* Collapse runs of separators, which would otherwise make "..". */
                if ((c == '-' || c == '.') && (n == 0 || t[n - 1] == '-' || t[n - 1] == '.'))
                        continue;

                t[n++] = c;
        }

        while (n > 0 && (t[n - 1] == '-' || t[n - 1] == '.'))
                n--;
        t[n] = '\0';

        if (!machine_name_is_valid(t, NULL))
                return NULL;

        return TAKE_PTR(t);
}
