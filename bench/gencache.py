#!/usr/bin/env python3
"""Generate a cache for bench/store: what the cache-management commands scan.

    gencache.py OUTDIR --files N [--per-entry 20]

writes OUTDIR/trees/ (the source directories) and OUTDIR/cache/ (a cache
root, mode 0700, in the layout the README describes: cache/v2/<k0k1>/<key>/
with PER_ENTRY files, and cache/v2/<k0k1>/<key>.src holding the source
directory and a newline; key = XXH3-128 of the source directory's identity,
from the system's libxxhash). N / PER_ENTRY entries, in trees of 250: trees/tNNN,
then triples trees/tNNN/pGGG, pGGG/sub and pGGG-b. About 5% of the entries
are orphans (a pGGG-b whose directory is never made), 2% have no record.
Each entry directory's mtime is a distinct time within the last 90 days (a
fixed shuffle), its files a second apart below it; file sizes are 200 to
3,999 bytes (one 4 KiB block each), real bytes, not holes.

Prints one line: entries, files, bytes, orphans, unrecorded.
The content is a function of the counts and of the time it runs alone.
"""
import argparse
import ctypes
import os
import random
import struct
import sys
import time

PER_TREE = 250
SPAN = 90 * 86400


class XXH128(ctypes.Structure):
    _fields_ = [("low64", ctypes.c_uint64), ("high64", ctypes.c_uint64)]


class FileHandle(ctypes.Structure):
    _fields_ = [("handle_bytes", ctypes.c_uint), ("handle_type", ctypes.c_int),
                ("f_handle", ctypes.c_ubyte * 128)]


AT_FDCWD, AT_SYMLINK_FOLLOW, AT_HANDLE_FID = -100, 0x400, 0x200


def key_function():
    """The key of a source directory, as core/ident.h documents it: the
    XXH3-128 of its file handle and its file system's fsid (and its spelling
    where the fsid is 0); of the spelling alone for one that does not exist
    (an orphan's)."""
    try:
        lib = ctypes.CDLL("libxxhash.so.0")
    except OSError:
        sys.exit("gencache.py: libxxhash.so.0 is missing (apt-get install libxxhash0)")
    libc = ctypes.CDLL(None, use_errno=True)
    fn = lib.XXH3_128bits
    fn.restype = XXH128
    fn.argtypes = [ctypes.c_char_p, ctypes.c_size_t]

    def identity(source):
        fh, mnt = FileHandle(handle_bytes=128), ctypes.c_int()
        path = os.fsencode(source) + b"/"
        if libc.name_to_handle_at(AT_FDCWD, path, ctypes.byref(fh), ctypes.byref(mnt),
                                  AT_SYMLINK_FOLLOW | AT_HANDLE_FID) != 0:
            return None
        fsid = os.statvfs(source).f_fsid
        data = (b"H" + struct.pack("<I", fh.handle_type & 0xFFFFFFFF)
                + bytes(fh.f_handle[:fh.handle_bytes]) + b"F" + struct.pack("<Q", fsid))
        return data + b"P" + os.fsencode(source) if fsid == 0 else data

    def key(source):
        b = identity(source) if os.path.isdir(source) else None
        b = b if b is not None else os.fsencode(source)
        h = fn(b, len(b))
        return "%016x%016x" % (h.high64, h.low64)  # the canonical (big-endian) form

    return key


def source_of(trees, i):
    t, l = divmod(i, PER_TREE)
    if l == 0:
        return os.path.join(trees, "t%03d" % t), False
    g, k = divmod(l - 1, 3)
    name = "t%03d/p%03d%s" % (t, g, ("", "/sub", "-b")[k])
    return os.path.join(trees, name), k == 2 and g % 7 == 3


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--files", type=int, required=True)
    ap.add_argument("--per-entry", type=int, default=20)
    args = ap.parse_args()
    if args.files < args.per_entry or not 1 <= args.per_entry <= 1000:
        sys.exit("gencache.py: --files must be at least --per-entry, which is 1..1000")
    key = key_function()
    out = os.path.abspath(args.outdir)
    trees, root = os.path.join(out, "trees"), os.path.join(out, "cache")
    layout = os.path.join(root, "v2")
    os.makedirs(trees)
    os.makedirs(layout, mode=0o700)
    os.chmod(root, 0o700)

    entries = args.files // args.per_entry
    ranks = list(range(entries))
    random.Random(entries).shuffle(ranks)
    now = int(time.time())
    fill = bytes(range(256)) * 16
    total = orphans = unrecorded = 0
    for i in range(entries):
        source, missing = source_of(trees, i)
        if not missing:
            os.makedirs(source, exist_ok=True)
        k = key(source)
        shard = os.path.join(layout, k[:2])
        os.makedirs(shard, mode=0o700, exist_ok=True)
        entry = os.path.join(shard, k)
        os.mkdir(entry, 0o700)
        mtime = now - SPAN * (ranks[i] + 1) // entries
        for j in range(args.per_entry):
            size = 200 + (i * 131 + j * 977) % 3800
            fd = os.open(os.path.join(entry, "m%03d.cpython-311.pyc" % j),
                         os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, fill[:size])
            os.utime(fd, (mtime - j, mtime - j))
            os.close(fd)
            total += size
        os.utime(entry, (mtime, mtime))  # last: the files' creation moved it
        if i % PER_TREE % 50 == 12:
            unrecorded += 1
        else:
            fd = os.open(entry + ".src", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, os.fsencode(source) + b"\n")
            os.close(fd)
            orphans += missing
    print("entries=%d files=%d bytes=%d orphans=%d unrecorded=%d"
          % (entries, entries * args.per_entry, total, orphans, unrecorded))


if __name__ == "__main__":
    main()
