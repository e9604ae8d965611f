# SPDX-License-Identifier: LGPL-2.1-or-later
"""Random overlay layers and a record of the merged view, for the prune tests.

Run as root in a private mount namespace: the overlays are mounted with mount(8).
"""

import hashlib
import os
import random
import stat
import subprocess

PINNED_OPTIONS = "redirect_dir=off,index=off,xino=off,metacopy=off"

# With userxattr, overlayfs keeps its markers (opaque directories and so on) in user.overlay.*
# instead of trusted.overlay.*. A test sets this before it builds a case.
USERXATTR = False

# With INDEX, the overlay is mounted with index=on, so copy-ups get entries under WORK/index
# that prune must remove with the files it prunes.
INDEX = False


def overlay_xattr_prefix():
    return "user.overlay." if USERXATTR else "trusted.overlay."


def mount_overlay(lowers, upper, work, merged):
    options = "lowerdir=%s,upperdir=%s,workdir=%s,%s" % (":".join(lowers), upper, work, PINNED_OPTIONS)
    if INDEX:
        options = options.replace("index=off", "index=on")
    if USERXATTR:
        # The kernel rejects userxattr with redirect_dir=off, as the product's mount units know.
        options = options.replace("redirect_dir=off", "redirect_dir=nofollow") + ",userxattr"
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o", options, merged], check=True)


def umount(path):
    subprocess.run(["umount", path], check=True)


def xattrs_of(path, skip_overlay=True):
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return ()
    result = []
    for name in sorted(names):
        if skip_overlay and name.startswith(overlay_xattr_prefix()):
            continue
        result.append((name, os.getxattr(path, name, follow_symlinks=False)))
    return tuple(result)


def entry_record(path):
    """Return what a reader of the merged view gets at path, without link counts, inode numbers, atime or ctime."""
    st = os.lstat(path)
    kind = stat.S_IFMT(st.st_mode)
    record = {
        "type": kind,
        "mode": stat.S_IMODE(st.st_mode),
        "uid": st.st_uid,
        "gid": st.st_gid,
        "mtime": st.st_mtime_ns,
        "xattrs": xattrs_of(path),
    }
    if stat.S_ISREG(st.st_mode):
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        record["size"] = st.st_size
        record["sha256"] = digest.hexdigest()
    elif stat.S_ISLNK(st.st_mode):
        record["target"] = os.readlink(path)
    elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        record["rdev"] = st.st_rdev
    return record


def record_tree(root):
    """Map each relative path ("" for the root) to its entry record."""
    records = {"": entry_record(root)}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(directory, name)
            records[os.path.relpath(path, root)] = entry_record(path)
    return records


def describe_difference(before, after):
    lines = []
    for path in sorted(set(before) | set(after)):
        if before.get(path) != after.get(path):
            lines.append("/%s: before %s, after %s" % (path, before.get(path), after.get(path)))
    return lines


# A version-2 file capability (cap_net_bind_service, permitted and effective).
CAPABILITY = bytes.fromhex("01000002" "00040000" "00000000" "00000000" "00000000")
# A POSIX ACL (version 2) granting user 1000 read access besides the owner, group and other bits.
ACL = bytes.fromhex("02000000" "0100 0600 ffffffff" "0200 0400 e8030000" "0400 0400 ffffffff"
                    "1000 0400 ffffffff" "2000 0400 ffffffff".replace(" ", ""))


class TreeMaker:
    def __init__(self, rng):
        self.rng = rng

    def random_bytes(self, size):
        return bytes(self.rng.getrandbits(8) for _ in range(min(size, 64))) * (size // 64 + 1)

    def set_times(self, path):
        ns = self.rng.randrange(10**9, 2 * 10**18)
        os.utime(path, ns=(ns, ns), follow_symlinks=False)

    def make_file(self, path):
        rng = self.rng
        kind = rng.random()
        with open(path, "wb") as f:
            if kind < 0.1:
                pass
            elif kind < 0.2:
                # Sparse: a hole, some data, a hole at the end.
                f.seek(rng.randrange(1, 3 << 20))
                f.write(self.random_bytes(rng.randrange(1, 5000)))
                f.truncate(f.tell() + rng.randrange(0, 1 << 20))
            elif kind < 0.3:
                f.write(self.random_bytes(rng.randrange(1 << 20, 3 << 20)))
            else:
                f.write(self.random_bytes(rng.randrange(1, 9000)))
        os.chmod(path, rng.choice([0o644, 0o600, 0o755, 0o4755, 0o2755, 0o1777, 0o444]))
        if rng.random() < 0.3:
            os.chown(path, rng.choice([0, 1, 1000]), rng.choice([0, 5, 1000]))
        if rng.random() < 0.15:
            os.setxattr(path, "user.note", self.random_bytes(rng.randrange(1, 40)))
        if rng.random() < 0.05:
            os.setxattr(path, "security.capability", CAPABILITY)
        if rng.random() < 0.05:
            os.setxattr(path, "system.posix_acl_access", ACL)
        self.set_times(path)

    def make_tree(self, root, depth=0, max_entries=12):
        rng = self.rng
        os.makedirs(root, exist_ok=True)
        for i in range(rng.randrange(1, max_entries)):
            name = rng.choice(["a", "b", "c", "d", "etc", "usr", "x y", "lib", "n%d" % i])
            path = os.path.join(root, name)
            if os.path.lexists(path):
                continue
            kind = rng.random()
            if kind < 0.55:
                self.make_file(path)
            elif kind < 0.75 and depth < 3:
                self.make_tree(path, depth + 1, max_entries)
                os.chmod(path, rng.choice([0o755, 0o700, 0o1777]))
                self.set_times(path)
            elif kind < 0.85:
                os.symlink(rng.choice(["a", "../b", "/etc/passwd", "nonexistent"]), path)
                self.set_times(path)
            elif kind < 0.9:
                os.mkfifo(path)
                self.set_times(path)
            elif kind < 0.93:
                os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3))
                self.set_times(path)
            else:
                files = [n for n in os.listdir(root) if os.path.isfile(os.path.join(root, n))
                         and not os.path.islink(os.path.join(root, n))]
                if files:
                    os.link(os.path.join(root, rng.choice(files)), path)


def all_paths(root):
    paths = []
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            paths.append(os.path.relpath(os.path.join(directory, name), root))
    return sorted(paths)


class Guest:
    """Random changes made through the merged view, as a guest would make them."""

    def __init__(self, rng, merged):
        self.rng = rng
        self.merged = merged
        self.maker = TreeMaker(rng)

    def pick(self, predicate):
        candidates = [p for p in all_paths(self.merged) if predicate(os.path.join(self.merged, p))]
        return os.path.join(self.merged, self.rng.choice(candidates)) if candidates else None

    def regular(self, p):
        return os.path.isfile(p) and not os.path.islink(p)

    def directory(self, p):
        return os.path.isdir(p) and not os.path.islink(p)

    def step(self):
        rng = self.rng
        actions = [
            self.chown_same, self.chown_same, self.chmod_same, self.chmod_other, self.touch,
            self.rewrite_same, self.rewrite_same, self.rewrite_other, self.remove, self.replace_dir,
            self.create, self.xattr_set, self.xattr_roundtrip, self.link, self.grow_sparse,
            self.recreate_same, self.rename, self.chown_dir_same, self.remove_and_recreate_dir,
        ]
        try:
            rng.choice(actions)()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError, FileExistsError, OSError):
            pass

    def chown_same(self):
        p = self.pick(lambda p: not os.path.islink(p) and os.path.exists(p))
        if p:
            st = os.lstat(p)
            os.chown(p, st.st_uid, st.st_gid, follow_symlinks=False)

    def chown_dir_same(self):
        p = self.pick(self.directory)
        if p:
            st = os.lstat(p)
            os.chown(p, st.st_uid, st.st_gid)

    def chmod_same(self):
        p = self.pick(self.regular)
        if p:
            os.chmod(p, stat.S_IMODE(os.lstat(p).st_mode))

    def chmod_other(self):
        p = self.pick(self.regular)
        if p:
            os.chmod(p, stat.S_IMODE(os.lstat(p).st_mode) ^ 0o040)

    def touch(self):
        p = self.pick(lambda p: os.path.lexists(p))
        if p:
            os.utime(p, follow_symlinks=False)

    def rewrite_same(self):
        p = self.pick(self.regular)
        if p:
            st = os.lstat(p)
            with open(p, "rb") as f:
                data = f.read()
            with open(p, "r+b") as f:
                f.write(data)
            os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))

    def rewrite_other(self):
        p = self.pick(self.regular)
        if p:
            st = os.lstat(p)
            with open(p, "r+b") as f:
                f.seek(self.rng.randrange(0, max(st.st_size, 1)))
                f.write(b"changed")
            if self.rng.random() < 0.5:
                os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))

    def remove(self):
        p = self.pick(lambda p: os.path.lexists(p) and not self.directory(p))
        if p:
            os.unlink(p)

    def replace_dir(self):
        p = self.pick(self.directory)
        if p:
            subprocess.run(["rm", "-rf", p], check=True)
            os.mkdir(p)
            if self.rng.random() < 0.5:
                self.maker.make_file(os.path.join(p, "a"))

    def remove_and_recreate_dir(self):
        p = self.pick(lambda p: self.directory(p) and not os.listdir(p))
        if p:
            st = os.lstat(p)
            os.rmdir(p)
            os.mkdir(p, stat.S_IMODE(st.st_mode))
            os.chown(p, st.st_uid, st.st_gid)
            os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))

    def create(self):
        d = self.pick(self.directory) or self.merged
        path = os.path.join(d, "new%d" % self.rng.randrange(100))
        kind = self.rng.random()
        if kind < 0.5:
            self.maker.make_file(path)
        elif kind < 0.8:
            os.mkdir(path)
        else:
            os.symlink("a", path)

    def xattr_set(self):
        p = self.pick(self.regular)
        if p:
            os.setxattr(p, "user.guest", b"1")

    def xattr_roundtrip(self):
        p = self.pick(self.regular)
        if p:
            os.setxattr(p, "user.guest", b"1")
            os.removexattr(p, "user.guest")

    def link(self):
        p = self.pick(self.regular)
        if p:
            os.link(p, p + ".link")

    def grow_sparse(self):
        p = self.pick(self.regular)
        if p:
            st = os.lstat(p)
            os.truncate(p, st.st_size + (1 << 20))

    def recreate_same(self):
        p = self.pick(self.regular)
        if p:
            st = os.lstat(p)
            with open(p, "rb") as f:
                data = f.read()
            xattrs = xattrs_of(p)
            os.unlink(p)
            with open(p, "wb") as f:
                f.write(data)
            for name, value in xattrs:
                os.setxattr(p, name, value)
            os.chown(p, st.st_uid, st.st_gid)
            os.chmod(p, stat.S_IMODE(st.st_mode))
            os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))

    def rename(self):
        p = self.pick(self.regular)
        if p:
            os.rename(p, p + ".moved")


class Lowers:
    """Lookups in a stack of plain lower directories, as overlayfs merges them."""

    def __init__(self, lowers):
        self.lowers = lowers

    def resolve(self, relpath):
        """Return the lower path that shows at relpath, or None."""
        layers = list(self.lowers)
        parts = [p for p in relpath.split("/") if p]
        for i, part in enumerate(parts):
            found = []
            for layer in layers:
                path = os.path.join(layer, *parts[: i + 1])
                if os.path.lexists(path):
                    found.append(layer)
                    if not (os.path.isdir(path) and not os.path.islink(path)):
                        break
            if not found:
                return None
            top = os.path.join(found[0], *parts[: i + 1])
            if i == len(parts) - 1:
                return top
            if not (os.path.isdir(top) and not os.path.islink(top)):
                return None
            layers = [l for l in found if os.path.isdir(os.path.join(l, *parts[: i + 1]))]
        return self.lowers[0]


def view_without(path, lowers, upper, work, merged):
    """Record the merged view with the upper entry at path moved out of the upper layer."""
    aside = os.path.join(os.path.dirname(upper), "aside")
    os.rename(path, aside)
    try:
        return merged_view(lowers, upper, work, merged)
    finally:
        os.rename(aside, path)


def prunable_leftovers(upper, lowers, work, merged, merged_records):
    """List upper entries that prune kept although the merged view is the same without them.

    A simple rule finds the candidates, and the real overlay confirms each one. It covers cases
    the rule misses, such as an upper file copied up from the candidate's lower file, which
    overlayfs shows at both paths."""
    lower = Lowers(lowers)
    missed = []
    for directory, dirs, files in os.walk(upper):
        for name in dirs + files:
            path = os.path.join(directory, name)
            rel = os.path.relpath(path, upper)
            st = os.lstat(path)
            below = lower.resolve(rel)
            if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
                if below is None:
                    missed.append("/%s: whiteout without a lower entry" % rel)
                continue
            if below is None or rel not in merged_records:
                continue
            if stat.S_ISDIR(st.st_mode):
                opaque = dict(xattrs_of(path, skip_overlay=False)).get(overlay_xattr_prefix() + "opaque") == b"y"
                if os.listdir(path) or opaque:
                    continue
            elif st.st_nlink > 1:
                continue
            if entry_record(below) == merged_records[rel] and \
                    view_without(path, lowers, upper, work, merged) == merged_records:
                missed.append("/%s: identical to the lower entry %s" % (rel, below))
    return missed


def build_case(rng, work_dir):
    """Make lower layers, mount them with an empty upper and let a guest change them."""
    n_lowers = rng.choice([1, 1, 2])
    lowers = [os.path.join(work_dir, "lower%d" % i) for i in range(n_lowers)]
    maker = TreeMaker(rng)
    for lower in lowers:
        maker.make_tree(lower)
    upper, work, merged = (os.path.join(work_dir, n) for n in ("upper", "work", "merged"))
    for d in (upper, work, merged):
        os.mkdir(d)
    st = os.lstat(lowers[0])
    os.chown(upper, st.st_uid, st.st_gid)
    os.chmod(upper, stat.S_IMODE(st.st_mode))
    os.utime(upper, ns=(st.st_atime_ns, st.st_mtime_ns))

    mount_overlay(lowers, upper, work, merged)
    guest = Guest(rng, merged)
    for _ in range(rng.randrange(5, 40)):
        guest.step()
    umount(merged)
    return lowers, upper, work, merged


def merged_view(lowers, upper, work, merged):
    mount_overlay(lowers, upper, work, merged)
    try:
        return record_tree(merged)
    finally:
        umount(merged)
