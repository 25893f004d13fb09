"""Checks the wheel that pip built of the project (e2e_wheel.c):

    python check_wheel.py WHEEL VERSION OUT

Its name is pycache_redirect-VERSION-py3-none-<platform>.whl, its WHEEL file
has that one tag and Root-Is-Purelib false, its METADATA names the project
and VERSION, its RECORD lists every other member with the right sha256 and
size (and itself without), nothing in it goes to site-packages (all of it is
the .data scripts and data, beside the .dist-info), and the command is in
scripts, executable, the library in data/lib/pycache-redirect. The command
and the library are written to OUT (OUT/pycache-redirect,
OUT/libpycache-redirect.so) for the test to read their ELF needs. Prints
"tag <platform>" and "ok N" (N members checked), or the problems, one a line,
and exits 1."""
import base64
import hashlib
import os
import re
import sys
import zipfile

path, version, out = sys.argv[1:4]
bad = []
name = os.path.basename(path)
m = re.fullmatch(r"pycache_redirect-" + re.escape(version) + r"-py3-none-([a-z0-9_]+)\.whl", name)
if not m:
    print("the name is not pycache_redirect-%s-py3-none-<platform>.whl: %s" % (version, name))
    sys.exit(1)
platform = m.group(1)
info = "pycache_redirect-%s.dist-info/" % version
data = "pycache_redirect-%s.data/" % version
command = data + "scripts/pycache-redirect"
library = data + "data/lib/pycache-redirect/libpycache-redirect.so"

with zipfile.ZipFile(path) as wheel:
    members = {i.filename: i for i in wheel.infolist()}
    wheel_file = wheel.read(info + "WHEEL").decode().splitlines()
    tags = [line[5:] for line in wheel_file if line.startswith("Tag: ")]
    if tags != ["py3-none-" + platform]:
        bad.append("WHEEL's tags %s are not the name's py3-none-%s" % (tags, platform))
    if "Root-Is-Purelib: false" not in wheel_file:
        bad.append("WHEEL lacks Root-Is-Purelib: false")
    meta = wheel.read(info + "METADATA").decode().split("\n\n", 1)[0].splitlines()
    for want in ("Name: pycache-redirect", "Version: " + version):
        if want not in meta:
            bad.append("METADATA lacks %r" % want)

    listed = set()
    for line in wheel.read(info + "RECORD").decode().splitlines():
        member, digest, size = line.rsplit(",", 2)
        listed.add(member)
        if member == info + "RECORD":
            if digest or size:
                bad.append("RECORD gives itself a hash: " + line)
            continue
        if member not in members:
            bad.append("RECORD lists a file the wheel lacks: " + member)
            continue
        content = wheel.read(member)
        sha = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
        if digest != "sha256=" + sha or size != str(len(content)):
            bad.append("RECORD's %s,%s for %s: it is sha256=%s,%d" % (digest, size, member, sha,
                                                                      len(content)))
    for member in sorted(set(members) - listed):
        bad.append("not in RECORD: " + member)
    for member in sorted(members):
        if not member.startswith((info, data)):
            bad.append("would go to site-packages: " + member)

    for member, mode, to in ((command, 0o755, "pycache-redirect"),
                             (library, None, "libpycache-redirect.so")):
        if member not in members:
            bad.append("no " + member)
            continue
        got = members[member].external_attr >> 16
        if mode is not None and got & 0o777 != mode:
            bad.append("%s has mode %o, not %o" % (member, got & 0o777, mode))
        with open(os.path.join(out, to), "wb") as f:
            f.write(wheel.read(member))

print("tag " + platform)
for problem in bad:
    print(problem)
if bad:
    sys.exit(1)
print("ok %d" % len(members))
