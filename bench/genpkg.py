#!/usr/bin/env python3
"""Generate the import benchmark's package: bench/run's generated package.

    genpkg.py OUTDIR [--subpackages 100] [--modules 20]

writes OUTDIR/bigpkg/: SUBPACKAGES subpackages s000, s001, ... of MODULES
modules m00, m01, ... each (2,000 modules by default, plus the __init__ files
and the entry module). Every module has a few constants, functions and
classes, and imports its two previous siblings; bigpkg/entry.py imports every
module, so that `python3 -c "import bigpkg.entry"` in OUTDIR imports them all.

The content is a function of the two counts alone (no randomness, no dates):
two runs write the same bytes.
"""
import argparse
import os
import sys

PACKAGE = "bigpkg"


def module_source(sub, mod):
    n = sub * 1000 + mod
    lines = [
        f'"""Generated module {PACKAGE}.s{sub:03d}.m{mod:02d} (pycache-redirect import benchmark)."""',
        "import functools",
    ]
    if mod >= 1:
        lines.append(f"from . import m{mod - 1:02d}")
    if mod >= 2:
        lines.append(f"from .m{mod - 2:02d} import Shape{sub * 1000 + mod - 2}, scale_{sub * 1000 + mod - 2}")
    lines += [
        "",
        f"CONSTANT = {n}",
        f"NAMES = {tuple(f'name_{n}_{k}' for k in range(6))!r}",
        f"TABLE = {{{', '.join(f'{k!r}: {n * 7 + k}' for k in range(8))}}}",
        "",
        "",
        f"def scale_{n}(x, factor=3):",
        '    """Scale x, with a branch and a loop."""',
        "    total = 0",
        "    for i in range(x):",
        "        if i % factor == 0:",
        "            total += i * CONSTANT",
        "        else:",
        "            total -= i",
        "    return total",
        "",
        "",
        f"def describe_{n}(items):",
        '    """A comprehension, a join and an f-string."""',
        "    words = [str(item).upper() for item in items if item]",
        f"    return f\"{{len(words)}} items: {{', '.join(words)}} ({n})\"",
        "",
        "",
        f"def safe_div_{n}(a, b):",
        "    try:",
        "        return a / b",
        "    except ZeroDivisionError:",
        "        return float('nan')",
        "    finally:",
        "        pass",
        "",
        "",
        "@functools.lru_cache(maxsize=None)",
        f"def fib_{n}(k):",
        f"    return k if k < 2 else fib_{n}(k - 1) + fib_{n}(k - 2)",
        "",
        "",
        f"class Base{n}:",
        f'    """A small class with state, a property and a classmethod."""',
        "",
        "    kind = 'base'",
        "",
        "    def __init__(self, value, label=None):",
        "        self.value = value",
        "        self.label = label or NAMES[value % len(NAMES)]",
        "",
        "    def __repr__(self):",
        "        return f'{type(self).__name__}({self.value!r}, {self.label!r})'",
        "",
        "    @property",
        "    def double(self):",
        "        return self.value * 2",
        "",
        "    @classmethod",
        "    def from_table(cls, key):",
        "        return cls(TABLE.get(key, 0), label=key)",
        "",
        "",
        f"class Shape{n}(Base{n}):",
        "    kind = 'shape'",
        "",
        "    def area(self, other=None):",
        "        side = self.value if other is None else other",
        f"        return scale_{n}(side % 7) + side * side",
        "",
        "    def __eq__(self, other):",
        "        return isinstance(other, Base" + str(n) + ") and self.value == other.value",
        "",
        "    __hash__ = Base" + str(n) + ".__hash__",
        "",
    ]
    if mod >= 1:
        prev = sub * 1000 + mod - 1
        lines += [
            "",
            f"class Derived{n}(m{mod - 1:02d}.Shape{prev}):",
            "    kind = 'derived'",
            "",
            "    def area(self, other=None):",
            "        return super().area(other) + CONSTANT",
            "",
        ]
    if mod >= 2:
        prev2 = sub * 1000 + mod - 2
        lines += [
            "",
            f"def combined_{n}(x):",
            f"    return Shape{prev2}(x).area() + scale_{prev2}(x % 5)",
            "",
        ]
    return "\n".join(lines)


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--subpackages", type=int, default=100)
    ap.add_argument("--modules", type=int, default=20)
    args = ap.parse_args()
    if not (1 <= args.subpackages <= 1000 and 1 <= args.modules <= 100):
        sys.exit("genpkg.py: --subpackages must be 1..1000 and --modules 1..100")

    root = os.path.join(args.outdir, PACKAGE)
    os.makedirs(root)
    write(os.path.join(root, "__init__.py"),
          f'"""The pycache-redirect import benchmark: {args.subpackages} subpackages '
          f'of {args.modules} modules."""\n')
    entry = ['"""Imports every module of the benchmark package."""']
    for sub in range(args.subpackages):
        subdir = os.path.join(root, f"s{sub:03d}")
        os.makedirs(subdir)
        write(os.path.join(subdir, "__init__.py"),
              f'"""Subpackage s{sub:03d} of the benchmark package."""\n'
              f"SUBPACKAGE = {sub}\n")
        for mod in range(args.modules):
            write(os.path.join(subdir, f"m{mod:02d}.py"), module_source(sub, mod))
        names = ", ".join(f"m{mod:02d}" for mod in range(args.modules))
        entry.append(f"from {PACKAGE}.s{sub:03d} import {names}")
    entry.append(f"MODULES = {args.subpackages * args.modules}")
    write(os.path.join(root, "entry.py"), "\n".join(entry) + "\n")


if __name__ == "__main__":
    main()
