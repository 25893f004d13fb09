#!/usr/bin/env python3
"""Which of Debian's installed Python packages an import loads.

    pkgdeps.py MODULE [DIR]

Imports MODULE and prints, one a line, the top-level entries of DIR (default
/usr/lib/python3/dist-packages) the import loaded modules from: package
directories and single-file modules (`six.py`, an extension's `.so`). What was
loaded before the import (site's .pth hooks) does not count.

bench/run copies these entries into each condition's tree, so that the
workload imports its own copies; run again with the copy first on sys.path
(PYTHONPATH), it must print nothing.
"""
import os
import sys


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: pkgdeps.py MODULE [DIR]")
    module = sys.argv[1]
    root = os.path.join(sys.argv[2] if len(sys.argv) == 3 else "/usr/lib/python3/dist-packages", "")
    # Not this script's directory: bench/ may hold a module of the same name.
    del sys.path[0]
    before = set(sys.modules)
    __import__(module)
    entries = set()
    for name, mod in list(sys.modules.items()):
        path = getattr(mod, "__file__", None) or ""
        if name not in before and path.startswith(root):
            entries.add(path[len(root):].split(os.sep, 1)[0])
    for entry in sorted(entries):
        print(entry)


if __name__ == "__main__":
    main()
