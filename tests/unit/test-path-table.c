/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Compares the conflict table with a pairwise check over random Directory=, Upper= and Work=
 * paths: a container is valid if none of its paths equals, contains or lies inside a path of a
 * valid container before it. The paths come from a small alphabet, so that equal and nested
 * paths are common. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-conflicts.h"
#include "log.h"
#include "path-util.h"
#include "test-macros.h"

#define CONTAINERS 60
#define ROUNDS 300

static void random_path(char *buffer, size_t size, unsigned *seed) {
        static const char *const components[] = { "a", "b", "ab", "a_up", "srv", "x" };
        size_t n = 0, depth = 1 + rand_r(seed) % 4;

        for (size_t i = 0; i < depth; i++)
                n += (size_t) snprintf(buffer + n, size - n, "/%s", components[rand_r(seed) % 6]);
}

static bool overlaps_any(char paths[][3][64], const bool *valid, size_t count, char owned[3][64]) {
        for (size_t i = 0; i < count; i++) {
                if (!valid[i])
                        continue;

                for (size_t j = 0; j < 3; j++)
                        for (size_t k = 0; k < 3; k++)
                                if (path_overlaps(paths[i][j], owned[k]))
                                        return true;
        }

        return false;
}

static bool own_paths_separate(char owned[3][64]) {
        return !path_overlaps(owned[0], owned[1]) && !path_overlaps(owned[0], owned[2]) &&
               !path_overlaps(owned[1], owned[2]);
}

static void test_round(unsigned round) {
        static char paths[CONTAINERS][3][64];
        unsigned seed = round;
        bool expected[CONTAINERS];
        PathTable *t = path_table_new();
        size_t count = 0;

        CHECK(t != NULL);
        if (!t)
                return;

        while (count < CONTAINERS) {
                Container c = { .name = (char *) "child", .path = (char *) "/etc/nspawn-overlay/child.conf" };

                for (size_t j = 0; j < 3; j++)
                        random_path(paths[count][j], sizeof(paths[count][j]), &seed);

                /* The loader rejects a container whose own paths nest before this check. */
                if (!own_paths_separate(paths[count]))
                        continue;

                expected[count] = !overlaps_any(paths, expected, count, paths[count]);

                c.directory = paths[count][0];
                c.upper = paths[count][1];
                c.work = paths[count][2];
                CHECK_INTEQ(path_table_add_container(t, &c), 0);
                if (c.invalid == expected[count])
                        fprintf(stderr, "round %u, container %zu (%s %s %s): table says %s\n", round, count,
                                c.directory, c.upper, c.work, c.invalid ? "invalid" : "valid");
                CHECK(c.invalid != expected[count]);

                count++;
        }

        path_table_free(t);
}

int main(void) {
        log_set_max_level(LOG_CRIT);

        for (unsigned round = 1; round <= ROUNDS; round++)
                test_round(round);

        return test_exit_status();
}
