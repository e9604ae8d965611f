# SPDX-License-Identifier: LGPL-2.1-or-later
"""Crash test of prune: SIGKILL at random points must leave an upper layer that mounts and
shows the same merged view. Removing an entry sets its directory's mtime, which prune puts
back once the directory is done. After a kill, the next prune (a dry run here) or the prepare
unit replays the journal of the old mtimes, so directory mtimes are compared after that.

Usage: crash.py CLI KILLS
"""

import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

import layers


def make_case(rng, work_dir):
    lowers, upper, work, merged = layers.build_case(rng, work_dir)
    # A fully copied-up tree besides the guest's changes: thousands of entries to prune.
    bulk = os.path.join(lowers[0], "bulk")
    os.makedirs(bulk)
    maker = layers.TreeMaker(rng)
    for i in range(30):
        d = os.path.join(bulk, "d%d" % i)
        os.mkdir(d)
        for j in range(30):
            with open(os.path.join(d, "f%d" % j), "wb") as f:
                f.write(maker.random_bytes(rng.randrange(1, 20000)))
    subprocess.run(["cp", "-a", bulk, os.path.join(upper, "bulk")], check=True)
    with open(os.path.join(upper, "bulk", "d7", "f3"), "ab") as f:
        f.write(b"guest change")
    return lowers, upper, work, merged


def prune_command(cli, lowers, upper, work):
    return [cli, "prune", "--lower=" + ":".join(lowers), "--upper=" + upper, "--work=" + work]


def main():
    cli, kills = sys.argv[1], int(sys.argv[2])
    rng = random.Random(int(os.environ.get("SEED", "1")))
    scratch = tempfile.mkdtemp(prefix="nspawn-overlay-prune-crash.")
    failed = 0
    try:
        lowers, upper, work, merged = make_case(rng, scratch)
        pristine = os.path.join(scratch, "pristine")
        subprocess.run(["cp", "-a", upper, pristine], check=True)
        before = layers.merged_view(lowers, upper, work, merged)

        start = time.monotonic()
        subprocess.run(prune_command(cli, lowers, upper, work) + ["--dry-run"], check=True, capture_output=True)
        duration = time.monotonic() - start

        for kill in range(kills):
            shutil.rmtree(upper)
            subprocess.run(["cp", "-a", pristine, upper], check=True)
            # Kill points past the end of the run check that a finished prune is right too.
            delay = rng.uniform(0, 1.5 * duration)
            process = subprocess.Popen(prune_command(cli, lowers, upper, work), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay)
            process.send_signal(signal.SIGKILL)
            status = process.wait()

            subprocess.run(prune_command(cli, lowers, upper, work) + ["--dry-run"], check=True, capture_output=True)
            try:
                after = layers.merged_view(lowers, upper, work, merged)
            except subprocess.CalledProcessError as e:
                print("FAIL: kill %d after %.3f s: the upper layer no longer mounts: %s" % (kill, delay, e))
                failed += 1
                continue

            differences = layers.describe_difference(before, after)
            if differences:
                failed += 1
                print("FAIL: kill %d after %.3f s changed the merged view:" % (kill, delay))
                for line in differences[:10]:
                    print("    " + line)
            else:
                print("PASS: kill %d after %.3f s (%s)" % (kill, delay, "killed" if status < 0 else "finished"))

        # Resuming after a kill finishes the job.
        subprocess.run(prune_command(cli, lowers, upper, work), check=True, capture_output=True)
        after = layers.merged_view(lowers, upper, work, merged)
        if layers.describe_difference(before, after):
            failed += 1
            print("FAIL: prune after the last kill changed the merged view")
        else:
            print("PASS: prune after the last kill keeps the merged view")
        if os.path.exists(os.path.join(upper, "bulk", "d0")):
            failed += 1
            print("FAIL: prune after the last kill left the identical directory /bulk/d0")
        else:
            print("PASS: prune after the last kill removed the identical directories")
    finally:
        shutil.rmtree(scratch)

    print("\n%d failed" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
