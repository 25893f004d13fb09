"""Checks a cache root after a test, run by the interpreter that wrote it,
without the library:

    python check_cache.py ROOT [--records] [--pycs N]

Every file under ROOT must be the growth counter v2/usage, the counts
v2/stats (whole 32-byte records: writers append each in one write), an entry's
<key>.src, or a pyc of this interpreter inside an entry directory: its magic
is this interpreter's, marshal reads its body as a code object, and a
timestamp pyc carries its source's mtime and size (when the entry's record
says where the source is). --records: every entry must have its record, one
line naming its source. --pycs N: exactly N pycs. Prints "ok N" (N pycs
checked), or the problems, one a line, and exits 1."""
import importlib.util
import marshal
import os
import struct
import sys
import types

root = sys.argv[1]
records = "--records" in sys.argv
want = int(sys.argv[sys.argv.index("--pycs") + 1]) if "--pycs" in sys.argv else None
head = 16 if sys.version_info >= (3, 7) else 12
suffix = "." + sys.implementation.cache_tag + ".pyc"
bad, pycs = [], 0


def check_pyc(path, source_dir):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != importlib.util.MAGIC_NUMBER:
        return "bad magic %r: %s" % (data[:4], path)
    try:
        code = marshal.loads(data[head:])
    except Exception as e:
        return "cut short (%d bytes, %r): %s" % (len(data), e, path)
    if not isinstance(code, types.CodeType):
        return "not code: " + path
    flags = 0 if head == 12 else struct.unpack("<I", data[4:8])[0]
    if source_dir is not None and flags == 0:
        name = os.path.basename(path)[:-len(suffix)] + ".py"
        st = os.stat(os.path.join(source_dir, name))
        stamp = struct.unpack("<II", data[head - 8:head])
        if stamp != (int(st.st_mtime) & 0xFFFFFFFF, st.st_size):
            return "stale %r: %s" % (stamp, path)
    return None


for n in os.listdir(root):
    if n not in ("v2", "config"):
        bad.append("stray " + os.path.join(root, n))
layout = os.path.join(root, "v2")
for shard in sorted(os.listdir(layout)) if os.path.isdir(layout) else []:
    sdir = os.path.join(layout, shard)
    if shard == "usage" and os.path.isfile(sdir):
        continue
    if shard == "stats" and os.path.isfile(sdir) and not os.path.islink(sdir):
        if os.path.getsize(sdir) % 32:
            bad.append("a torn record in " + sdir)
        continue
    names = os.listdir(sdir)
    entries = [n for n in names if not os.path.islink(os.path.join(sdir, n))
               and os.path.isdir(os.path.join(sdir, n))]
    for n in names:
        if n not in entries and not (n.endswith(".src") and n[:-4] in entries):
            bad.append("stray " + os.path.join(sdir, n))
    for e in entries:
        try:
            with open(os.path.join(sdir, e + ".src")) as f:
                record = f.read()
        except OSError as err:
            record = None
            if records:
                bad.append("no record of %s: %s" % (e, err))
        if record is not None and (not record.endswith("\n") or "\n" in record[:-1]):
            bad.append("record of %s: %r" % (e, record))
            record = None
        source_dir = record[:-1] if record is not None else None
        for n in sorted(os.listdir(os.path.join(sdir, e))):
            path = os.path.join(sdir, e, n)
            problem = "stray " + path if not n.endswith(suffix) else check_pyc(path, source_dir)
            if problem:
                bad.append(problem)
            else:
                pycs += 1
if want is not None and pycs != want:
    bad.append("%d pycs, expected %d" % (pycs, want))
print("\n".join(bad[:20]) if bad else "ok %d" % pycs)
sys.exit(1 if bad else 0)
