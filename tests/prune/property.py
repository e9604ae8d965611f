# SPDX-License-Identifier: LGPL-2.1-or-later
"""Property test of prune on random layers, checked against the real overlayfs.

For each seed: random lower layers, random guest changes through a mounted overlay, the merged
view recorded, prune run on the unmounted layers, the merged view recorded again. It must be
the same, and no upper entry that the merged view does not need may be left.

Usage: property.py CLI SEEDS [FIRST_SEED]
"""

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

import layers


def run_seed(cli, seed, scratch):
    rng = random.Random(seed)
    work_dir = tempfile.mkdtemp(prefix="seed%d." % seed, dir=scratch)
    # Every fourth seed mounts with userxattr, so user.overlay.* markers are covered too.
    layers.USERXATTR = seed % 4 == 0
    layers.INDEX = seed % 4 == 1
    try:
        lowers, upper, work, merged = layers.build_case(rng, work_dir)
        before = layers.merged_view(lowers, upper, work, merged)

        options = [] if rng.random() < 0.8 else ["--threads=1"]
        if layers.USERXATTR:
            options.append("--userxattr")
        result = subprocess.run([cli, "prune", "--lower=" + ":".join(lowers), "--upper=" + upper, "--work=" + work] + options,
                                capture_output=True, text=True)
        if result.returncode != 0:
            return ["prune failed with exit status %d:\n%s%s" % (result.returncode, result.stdout, result.stderr)]

        after = layers.merged_view(lowers, upper, work, merged)
        problems = ["merged view changed: " + line for line in layers.describe_difference(before, after)]
        problems += ["not pruned: " + line for line in layers.prunable_leftovers(upper, lowers, work, merged, after)]
        return problems
    finally:
        shutil.rmtree(work_dir)


def main():
    cli, seeds = sys.argv[1], int(sys.argv[2])
    first = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    scratch = tempfile.mkdtemp(prefix="nspawn-overlay-prune-property.")
    failed = 0
    start = time.monotonic()
    try:
        for seed in range(first, first + seeds):
            problems = run_seed(cli, seed, scratch)
            if problems:
                failed += 1
                print("FAIL: seed %d" % seed)
                for line in problems[:20]:
                    print("    " + line)
            else:
                print("PASS: seed %d" % seed)
    finally:
        shutil.rmtree(scratch)

    print("\n%d passed, %d failed (%.1f s)" % (seeds - failed, failed, time.monotonic() - start))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
