/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdint.h>

#include "child-machine-id.h"
#include "macro.h"

/* Identifies nspawn-overlay's derived IDs; sd_id128_get_machine_app_specific() keys an HMAC of
 * the host's machine ID with it. */
#define APP_ID SD_ID128_MAKE(5b,1c,0e,94,37,a8,4f,22,b6,6d,91,0a,c3,7e,f1,48)

static uint64_t fnv1a64(const char *s, uint64_t basis) {
        uint64_t hash = basis;

        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                hash ^= *p;
                hash *= UINT64_C(0x100000001b3);
        }

        return hash;
}

int child_machine_id(const char *name, sd_id128_t *ret) {
        sd_id128_t app = APP_ID;
        uint64_t a, b;

        /* Mix the name into the application ID; the HMAC then makes the result unpredictable
         * without the host's machine ID. */
        a = fnv1a64(name, UINT64_C(0xcbf29ce484222325));
        b = fnv1a64(name, UINT64_C(0x84222325cbf29ce4));
        app.qwords[0] ^= a;
        app.qwords[1] ^= b;

        return sd_id128_get_machine_app_specific(app, ret);
}
