/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "output.h"

static int colors_cached = -1;
static pid_t pager_pid = 0;

bool colors_enabled(void) {
        const char *term;

        if (colors_cached >= 0)
                return colors_cached;

        term = getenv("TERM");
        colors_cached = isatty(STDOUT_FILENO) && isempty(getenv("NO_COLOR")) && !(term && streq(term, "dumb"));
        return colors_cached;
}

const char *machine_state_color(const char *state) {
        if (streq(state, "running"))
                return ansi(ANSI_GREEN);
        if (streq(state, "opening") || streq(state, "closing"))
                return ansi(ANSI_YELLOW);
        return "";
}

static const char *pager_command(void) {
        static const char *const variables[] = { "NSPAWN_OVERLAY_PAGER", "SYSTEMD_PAGER", "PAGER" };

        for (size_t i = 0; i < ELEMENTSOF(variables); i++) {
                const char *value = getenv(variables[i]);

                if (!value)
                        continue;
                if (value[0] == '\0' || streq(value, "cat"))
                        return NULL;
                return value;
        }

        return "less";
}

static void pager_close(void) {
        if (pager_pid <= 0)
                return;

        /* The pager ends when it reads end of file: close every copy of the pipe first. */
        (void) fflush(stdout);
        (void) close(STDOUT_FILENO);
        (void) waitpid(pager_pid, NULL, 0);
        pager_pid = 0;
}

void pager_open(bool no_pager) {
        const char *command, *less;
        int fds[2];
        pid_t pid;

        if (no_pager || pager_pid > 0 || !isatty(STDOUT_FILENO))
                return;

        command = pager_command();
        if (!command)
                return;

        /* Decide before stdout becomes a pipe, so colors still pass through to the terminal. */
        (void) colors_enabled();

        if (pipe2(fds, O_CLOEXEC) < 0) {
                log_debug_errno(errno, "Failed to create a pipe for the pager, printing directly: %m");
                return;
        }

        (void) fflush(stdout);
        pid = fork();
        if (pid < 0) {
                log_debug_errno(errno, "Failed to start the pager, printing directly: %m");
                (void) close(fds[0]);
                (void) close(fds[1]);
                return;
        }

        if (pid == 0) {
                if (dup2(fds[0], STDIN_FILENO) < 0)
                        _exit(EXIT_FAILURE);

                less = getenv("SYSTEMD_LESS");
                (void) setenv("LESS", less ?: "FRXMK", 1);

                /* A pager command may carry arguments ("less -S"), so it goes through the shell. */
                execl("/bin/sh", "sh", "-c", command, (char *) NULL);
                _exit(EXIT_FAILURE);
        }

        if (dup2(fds[1], STDOUT_FILENO) < 0) {
                log_debug_errno(errno, "Failed to connect stdout to the pager: %m");
                (void) close(fds[0]);
                (void) close(fds[1]);
                (void) kill(pid, SIGTERM);
                (void) waitpid(pid, NULL, 0);
                return;
        }

        (void) close(fds[0]);
        (void) close(fds[1]);
        pager_pid = pid;
        (void) atexit(pager_close);
}

static void print_indent(unsigned level) {
        for (unsigned i = 0; i < level; i++)
                fputs("  ", stdout);
}

void json_print(const char *json, bool pretty) {
        unsigned level = 0;
        bool in_string = false;

        if (!pretty) {
                fputs(json, stdout);
                return;
        }

        for (const char *p = json; *p; p++) {
                char c = *p;

                if (in_string) {
                        putchar(c);
                        if (c == '\\' && p[1])
                                putchar(*++p);
                        else if (c == '"')
                                in_string = false;
                        continue;
                }

                switch (c) {
                case '"':
                        in_string = true;
                        putchar(c);
                        break;
                case '{':
                case '[':
                        putchar(c);
                        /* Keep an empty object or array on one line. */
                        if (p[1] == (c == '{' ? '}' : ']')) {
                                putchar(*++p);
                                break;
                        }
                        putchar('\n');
                        print_indent(++level);
                        break;
                case '}':
                case ']':
                        putchar('\n');
                        print_indent(level > 0 ? --level : 0);
                        putchar(c);
                        break;
                case ',':
                        putchar(c);
                        putchar('\n');
                        print_indent(level);
                        break;
                case ':':
                        fputs(": ", stdout);
                        break;
                case ' ':
                case '\t':
                        break;
                case '\n':
                        break;
                default:
                        putchar(c);
                }
        }

        putchar('\n');
}
