"""What a Python program sees of a tree, every way the standard library lists
a directory, printed so that two runs compare byte for byte (e2e_listing
runs it under the library and with in-tree caching):

    python list_tree.py TOP

Each section comes from one way of listing (os.listdir by path and by
descriptor, each name stat'ed and read relative to its directory's
descriptor, os.scandir by path and by descriptor, os.walk top-down and
bottom-up, os.fwalk, glob's '**', pathlib's rglob), names sorted, paths
relative to TOP; the last section is every file os.walk finds, with its
size, mode and a hash of its bytes. Directory modes are left out: the
virtual __pycache__ is its cache entry, 0700 whatever the umask. A way of
listing that this Python lacks (2.7 has no scandir) prints nothing, for
both runs alike. Python 2.7 to the newest."""
from __future__ import print_function

import errno
import glob
import hashlib
import os
import stat
import sys

top = sys.argv[1]


def rel(path):
    return os.path.relpath(path, top) if path != top else "."


def section(name):
    print("== " + name)


def kind(entry):
    if entry.is_symlink():
        return "l"
    return "d" if entry.is_dir() else "f" if entry.is_file() else "?"


dirs = [top]
for d, subdirs, _ in os.walk(top):
    dirs.extend(os.path.join(d, n) for n in subdirs)
dirs = sorted(set(dirs))

section("listdir")
for d in dirs:
    print(rel(d) + ": " + " ".join(sorted(os.listdir(d))))

if hasattr(os, "supports_fd") and os.listdir in os.supports_fd:
    section("listdir by descriptor")
    for d in dirs:
        fd = os.open(d, os.O_RDONLY)
        try:
            print(rel(d) + ": " + " ".join(sorted(os.listdir(fd))))
        finally:
            os.close(fd)

if os.stat in getattr(os, "supports_dir_fd", ()):
    # What os.fwalk before 3.7 does: each listed name stat'ed relative to
    # the directory's descriptor; and a file read through it.
    section("stat by descriptor")
    for d in dirs:
        fd = os.open(d, os.O_RDONLY)
        try:
            names = []
            for n in sorted(os.listdir(d)):
                try:
                    st = os.stat(n, dir_fd=fd, follow_symlinks=False)
                    size = "-"
                    if stat.S_ISREG(st.st_mode):
                        f = os.open(n, os.O_RDONLY, dir_fd=fd)
                        size = len(os.read(f, 1 << 20))
                        os.close(f)
                    names.append("%s/%d/%s" % (n, stat.S_IFMT(st.st_mode) >> 12, size))
                except OSError as e:
                    names.append("%s/%s" % (n, errno.errorcode[e.errno]))
            print(rel(d) + ": " + " ".join(names))
        finally:
            os.close(fd)

if hasattr(os, "scandir"):
    section("scandir")
    for d in dirs:
        it = os.scandir(d)
        print(rel(d) + ": " + " ".join(sorted(e.name + "/" + kind(e) for e in it)))
        if hasattr(it, "close"):
            it.close()
    if os.scandir in getattr(os, "supports_fd", ()):
        section("scandir by descriptor")
        for d in dirs:
            fd = os.open(d, os.O_RDONLY)
            try:
                with os.scandir(fd) as it:
                    names = sorted(e.name + "/" + kind(e) for e in it)
                print(rel(d) + ": " + " ".join(names))
            finally:
                os.close(fd)

for name, topdown in (("walk", True), ("walk bottom-up", False)):
    section(name)
    for d, subdirs, files in sorted(os.walk(top, topdown=topdown)):
        print(rel(d) + ": " + " ".join(sorted(subdirs)) + " | " + " ".join(sorted(files)))

if hasattr(os, "fwalk"):
    section("fwalk")
    for d, subdirs, files, _ in sorted(os.fwalk(top), key=lambda w: w[0]):
        print(rel(d) + ": " + " ".join(sorted(subdirs)) + " | " + " ".join(sorted(files)))

if sys.version_info >= (3, 5):
    section("glob **")
    found = glob.glob(os.path.join(glob.escape(top), "**"), recursive=True)
    print("\n".join(sorted(rel(p) for p in found)))
section("glob */__pycache__/*")
found = glob.glob(os.path.join(top, "*", "__pycache__", "*")) + glob.glob(
    os.path.join(top, "__pycache__", "*")
)
print("\n".join(sorted(rel(p) for p in found)))

if sys.version_info >= (3,):
    import pathlib

    section("rglob")
    base = pathlib.Path(top)
    print("\n".join(sorted(str(p.relative_to(base)) for p in base.rglob("*"))))

section("files")
for d, _, files in sorted(os.walk(top)):
    for n in sorted(files):
        path = os.path.join(d, n)
        st = os.lstat(path)
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()[:16]
        print("%s %d %o %s" % (rel(path), st.st_size, stat.S_IMODE(st.st_mode), digest))
