"""The build back end (PEP 517) that pyproject.toml names for pip and pipx.

It builds the library and the command with the project's own CMake, in a
temporary directory (never in the source tree), installs them there with
`cmake --install`, and packs what that installed into a wheel: the command
as a script (pip puts it in <venv>/bin), everything else under the data
scheme (<venv>/lib/pycache-redirect/libpycache-redirect.so, share/man, ...),
the layout in which the command finds its library (cli/library.c).

Standard library only, and build-system.requires is empty: pip's build
isolation then has nothing to download, so `pip install .`, `pip wheel .`
and `pipx install .` work offline. Written for this project alone: no
editable installs (nothing in the wheel is Python).
"""

import base64
import hashlib
import io
import os
import re
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile

SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME = "pycache-redirect"
DIST = "pycache_redirect"  # the name in file names (PEP 427, PEP 625)
SUMMARY = "Python's bytecode cache in one per-user place, for every interpreter"

# Libraries that glibc itself provides: a program that needs nothing else
# runs wherever a glibc that new runs (PEP 600's manylinux_2_X).
GLIBC_LIBRARIES = {
    "libc.so.6",
    "libm.so.6",
    "libdl.so.2",
    "libpthread.so.0",
    "librt.so.1",
    "ld-linux-x86-64.so.2",
    "ld-linux-aarch64.so.1",
    "ld-linux.so.2",
}

# ELF e_machine: the architecture in a platform tag.
MACHINES = {3: "i686", 62: "x86_64", 183: "aarch64", 243: "riscv64", 22: "s390x"}

NEEDS = (
    "pycache-redirect builds with CMake (3.18 or newer), a C compiler, "
    "xxHash's header xxhash.h and jemalloc (on Debian and Ubuntu: apt-get "
    "install cmake gcc libxxhash-dev libjemalloc-dev; on Fedora: dnf install "
    "cmake gcc xxhash-devel jemalloc-devel)"
)


class BuildError(Exception):
    pass


def _version():
    with open(os.path.join(SOURCE, "CMakeLists.txt"), encoding="utf-8") as f:
        m = re.search(r"project\(\s*pycache-redirect\s+VERSION\s+([0-9.]+)", f.read())
    if not m:
        raise BuildError("CMakeLists.txt: no project(pycache-redirect VERSION x.y.z)")
    return m.group(1)


def _metadata():
    with open(os.path.join(SOURCE, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    return (
        "Metadata-Version: 2.1\n"
        f"Name: {NAME}\n"
        f"Version: {_version()}\n"
        f"Summary: {SUMMARY}\n"
        "Platform: Linux\n"
        "Description-Content-Type: text/markdown\n"
        "\n" + readme
    )


def _dist_info():
    return f"{DIST}-{_version()}.dist-info"


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    info = os.path.join(metadata_directory, _dist_info())
    os.makedirs(info, exist_ok=True)
    with open(os.path.join(info, "METADATA"), "w", encoding="utf-8") as f:
        f.write(_metadata())
    return _dist_info()


# ---- reading the built ELF files: which libraries and glibc versions ----


def _elf_needs(path):
    """(machine, DT_NEEDED names, GLIBC_x.y versions required) of an ELF file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] not in (1, 2) or data[5] not in (1, 2):
        raise BuildError(f"{path}: not an ELF file")
    wide = data[4] == 2
    e = "<" if data[5] == 1 else ">"
    (machine,) = struct.unpack_from(e + "H", data, 18)
    if wide:
        shoff, = struct.unpack_from(e + "Q", data, 0x28)
        shentsize, shnum = struct.unpack_from(e + "HH", data, 0x3A)
        shdr, dyn = e + "IIQQQQIIQQ", e + "qQ"
    else:
        shoff, = struct.unpack_from(e + "I", data, 0x20)
        shentsize, shnum = struct.unpack_from(e + "HH", data, 0x2E)
        shdr, dyn = e + "IIIIIIIIII", e + "iI"
    # (type, offset, size, link, info) of every section
    sections = []
    for i in range(shnum):
        s = struct.unpack_from(shdr, data, shoff + i * shentsize)
        sections.append((s[1], s[4], s[5], s[6], s[7]))

    def string(table, at):
        start = sections[table][1] + at
        return data[start : data.index(b"\0", start)].decode()

    needed, versions = [], set()
    for kind, offset, size, link, info in sections:
        if kind == 6:  # SHT_DYNAMIC
            step = struct.calcsize(dyn)
            for at in range(offset, offset + size, step):
                tag, value = struct.unpack_from(dyn, data, at)
                if tag == 0:
                    break
                if tag == 1:  # DT_NEEDED
                    needed.append(string(link, value))
        elif kind == 0x6FFFFFFE:  # SHT_GNU_verneed
            at = offset
            for _ in range(info):
                _, count, _, aux, following = struct.unpack_from(e + "HHIII", data, at)
                entry = at + aux
                for _ in range(count):
                    _, _, _, name, next_aux = struct.unpack_from(e + "IHHII", data, entry)
                    versions.add(string(link, name))
                    entry += next_aux
                at += following
    glibc = {
        tuple(int(n) for n in v[len("GLIBC_") :].split("."))
        for v in versions
        if re.fullmatch(r"GLIBC_[0-9]+(\.[0-9]+)*", v)
    }
    return MACHINES.get(machine), needed, glibc


def _platform_tag(binaries):
    """manylinux_2_X_<arch> (PEP 600) when the binaries need nothing but
    glibc, X its newest version they need; else linux_<arch>: they need a
    library of this machine's (jemalloc) that a manylinux wheel may not
    assume. Also the words that say why, for the build's log."""
    arches, needed, glibc = set(), set(), set()
    for path in binaries:
        machine, n, g = _elf_needs(path)
        arches.add(machine)
        needed.update(n)
        glibc.update(g)
    if len(arches) != 1 or None in arches:
        raise BuildError(f"the built files are of no single known architecture: {arches}")
    arch = arches.pop()
    newest = max(glibc, default=(2, 17))
    others = sorted(needed - GLIBC_LIBRARIES)
    glibc_words = f"glibc {newest[0]}.{newest[1]}"
    if others:
        return f"linux_{arch}", f"needs {glibc_words} and {', '.join(others)}"
    return f"manylinux_{newest[0]}_{newest[1]}_{arch}", f"needs {glibc_words} only"


# ---- building ----


def _run(argv, **kwargs):
    print("pycache-redirect:", " ".join(argv), file=sys.stderr, flush=True)
    try:
        subprocess.run(argv, check=True, stdout=sys.stderr, **kwargs)
    except FileNotFoundError:
        raise BuildError(f"{argv[0]} is not installed: {NEEDS}") from None
    except subprocess.CalledProcessError as err:
        raise BuildError(f"{' '.join(argv)} failed (exit {err.returncode}): {NEEDS}") from None


def _build(work):
    """Builds and installs into work/stage; returns the stage."""
    build, stage = os.path.join(work, "build"), os.path.join(work, "stage")
    # Configured for /usr/local (cmake's default prefix), which the command
    # looks in last, and a libdir of lib: the venv's lib/pycache-redirect.
    _run(["cmake", "-S", SOURCE, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
          "-DPCR_TESTS=OFF", "-DCMAKE_INSTALL_PREFIX=/usr/local",
          "-DCMAKE_INSTALL_LIBDIR=lib", "-DCMAKE_INSTALL_BINDIR=bin"])
    # cmake --build reads CMAKE_BUILD_PARALLEL_LEVEL itself; else every core.
    jobs = [] if os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL") else ["-j", str(os.cpu_count() or 1)]
    targets = ["pcr_cli", "pcr_preload", "pcr_compressed"]
    _run(["cmake", "--build", build, "--target"] + targets + jobs)
    _run(["cmake", "--install", build, "--prefix", stage, "--strip"])
    return stage


def _files(stage):
    """(path in stage, path in the wheel) of everything installed: bin/ as
    scripts, the rest as data under the install's prefix."""
    data = f"{DIST}-{_version()}.data"
    found = []
    for top, dirs, names in os.walk(stage):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(top, name)
            rel = os.path.relpath(path, stage).replace(os.sep, "/")
            if rel.startswith("bin/"):
                found.append((path, f"{data}/scripts/{rel[len('bin/'):]}"))
            else:
                found.append((path, f"{data}/data/{rel}"))
    return found


def _date():
    """The files' date in the archive: SOURCE_DATE_EPOCH's, else a fixed one,
    so that the same source gives the same wheel."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return time.gmtime(max(int(epoch), 315532800))[:6]
    return (1980, 1, 1, 0, 0, 0)


def _record_line(name, content):
    digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=")
    return f"{name},sha256={digest.decode()},{len(content)}\n"


def _write_wheel(path, entries):
    """entries: (name in the wheel, bytes, unix mode). RECORD goes last."""
    date, record = _date(), ""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, content, mode in entries:
            info = zipfile.ZipInfo(name, date)
            info.external_attr = (0o100000 | mode) << 16  # a regular file, mode
            info.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(info, content)
            record += _record_line(name, content)
        name = f"{_dist_info()}/RECORD"
        info = zipfile.ZipInfo(name, date)
        info.external_attr = 0o100644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        wheel.writestr(info, record + f"{name},,\n")


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    try:
        with tempfile.TemporaryDirectory(prefix="pycache-redirect-wheel-") as work:
            stage = _build(work)
            files = _files(stage)
            binaries = [
                os.path.join(stage, "bin", "pycache-redirect"),
                os.path.join(stage, "lib", "pycache-redirect", "libpycache-redirect.so"),
            ]
            for path in binaries:
                if not os.path.isfile(path):
                    raise BuildError(f"cmake --install did not install {path}")
            platform, why = _platform_tag(binaries)
            tag = f"py3-none-{platform}"
            print(f"pycache-redirect: wheel tag {tag}: the built files {why}",
                  file=sys.stderr, flush=True)
            entries = []
            for path, name in files:
                with open(path, "rb") as f:
                    content = f.read()
                executable = os.stat(path).st_mode & 0o111
                entries.append((name, content, 0o755 if executable else 0o644))
            wheel_meta = (
                "Wheel-Version: 1.0\n"
                "Generator: pycache-redirect (cli/pip_backend.py)\n"
                "Root-Is-Purelib: false\n"
                f"Tag: {tag}\n"
            )
            entries.append((f"{_dist_info()}/METADATA", _metadata().encode(), 0o644))
            entries.append((f"{_dist_info()}/WHEEL", wheel_meta.encode(), 0o644))
            filename = f"{DIST}-{_version()}-{tag}.whl"
            _write_wheel(os.path.join(wheel_directory, filename), entries)
            return filename
    except BuildError as err:
        print(f"pycache-redirect: error: {err}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None


# ---- the source distribution ----


def _source_files():
    """The files git tracks in the checkout: an sdist of a tree that is not
    a git checkout would take whatever lies around in it."""
    try:
        out = subprocess.run(["git", "-C", SOURCE, "ls-files", "-z", "--cached"],
                             check=True, stdout=subprocess.PIPE).stdout
    except (FileNotFoundError, subprocess.CalledProcessError):
        raise BuildError("an sdist is made from a git checkout (git ls-files); "
                         "this tree is not one") from None
    names = out.decode().split("\0")
    return sorted(p for p in names if p and os.path.isfile(os.path.join(SOURCE, p)))


def build_sdist(sdist_directory, config_settings=None):
    try:
        base = f"{DIST}-{_version()}"
        mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))
        filename = f"{base}.tar.gz"

        def add(tar, name, content, mode):
            info = tarfile.TarInfo(f"{base}/{name}")
            info.size, info.mode, info.mtime = len(content), mode, mtime
            tar.addfile(info, io.BytesIO(content))

        with tarfile.open(os.path.join(sdist_directory, filename), "w:gz",
                          format=tarfile.PAX_FORMAT) as tar:
            for rel in _source_files():
                path = os.path.join(SOURCE, rel)
                with open(path, "rb") as f:
                    content = f.read()
                add(tar, rel, content, 0o755 if os.stat(path).st_mode & 0o111 else 0o644)
            add(tar, "PKG-INFO", _metadata().encode(), 0o644)
        return filename
    except BuildError as err:
        print(f"pycache-redirect: error: {err}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None
