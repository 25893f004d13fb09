#!/usr/bin/env python3
"""bench/run's report: reads the data directory bench/run filled and writes
RESULTS.md.

    report.py DATA_DIR OUT.md

The work is in bench/reportlib/: data.py reads the data directory (its
files and fields: bench/README.md, "The data"), stats.py has the numbers
(medians, quartiles, bootstrap intervals, the rounds' paired ratios),
text.py the words and tables the parts share, and part_a.py to part_f.py
each write one part's section and their lines of the Checks section. This
file writes the header and assembles the sections in part order.
"""
import re
import sys

sys.dont_write_bytecode = True  # no bench/reportlib/__pycache__ in the tree

from reportlib import part_a, part_b, part_c, part_d, part_e, part_f  # noqa: E402
from reportlib.data import package, read_meta, read_skips  # noqa: E402

PARTS = (part_a, part_b, part_c, part_d, part_e, part_f)


def header(data, meta, out):
    """The title, the run's machine and tools, and what it left out."""
    out += [
        "# Benchmarks",
        "",
        "Written by `%s` (bench/run: the commands, bench/report.py: these tables). "
        "Do not edit by hand: run it again." % meta["command"],
        "",
    ]
    if meta.get("quick"):
        out += ["**A `--quick` smoke run**: smaller workloads, one round of one or two runs; "
                "these figures measure nothing.", ""]
    out += [
        "| | |",
        "| --- | --- |",
        "| date | %s |" % meta["date"],
        "| command | `%s` |" % meta["command"],
        "| machine | %s, %s cores; %s; load average %s at the start, %s at the end |"
        % (meta["cpu"], meta["cores"], meta["kernel"], meta["load_start"], meta.get("load_end", "?")),
        "| python | %s |" % meta["python"],
        "| glibc | %s |" % meta["glibc"],
        "| compiler | %s; build type %s |" % (meta["cc"], meta["build_type"]),
        "| tools | %s; %s |" % (meta["hyperfine"], meta["valgrind"]),
        "| Debian packages | %s |" % "; ".join(
            "%s %s" % (p, package(meta, p) or "not installed")
            for p in ("python3-sympy", "python3-django", "python3-pytest")),
        "| project | %s |" % meta["revision"],
        "",
    ]
    skips = read_skips(data)
    if skips:
        out.append("## Left out of this run")
        out.append("")
        out += ["- %s: %s" % (what.replace("-", ") ", 1), why) for what, why in skips.items()]
        out.append("")


def checks(data, meta, out):
    """## Checks: the parts' lines, in part order."""
    out.append("## Checks")
    out.append("")
    for part in PARTS:
        if hasattr(part, "checks"):
            part.checks(data, meta, out)
    out.append("")


# Sections of RESULTS.md that other scripts write (bench/store's "Cache
# management on large caches") survive a run: report.py writes this line
# after its own sections and copies everything after it from the file it
# replaces, and, before it or in a file without it, every level-2 section
# that is not one of its own.
MARKER = ("<!-- The sections above are bench/report.py's; it keeps the ones below "
          "(other scripts', such as bench/store's) when it runs again. -->")
OWN_SECTION = re.compile(r"## (?:[a-z]\) |Checks\b|Left out\b)")


def kept_sections(dest):
    try:
        with open(dest, encoding="utf-8") as f:
            old = f.read()
    except FileNotFoundError:
        return ""
    head, _, tail = old.partition(MARKER)
    # Below the marker too: an own section there is a stale copy (bench/run
    # once appended part f after the marker).
    sections = re.split(r"(?m)^(?=## )", head)[1:] + re.split(r"(?m)^(?=## )", tail)[1:]
    kept = [sec.strip("\n") for sec in sections if not OWN_SECTION.match(sec)]
    return "\n\n".join(kept)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: report.py DATA_DIR OUT.md")
    data, dest = sys.argv[1], sys.argv[2]
    meta = read_meta(data)
    out = []
    header(data, meta, out)
    for part in PARTS:
        part.section(data, meta, out)
    checks(data, meta, out)
    kept = kept_sections(dest)
    out += [MARKER, ""]
    if kept:
        out += [kept, ""]
    with open(dest, "w", encoding="utf-8") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
