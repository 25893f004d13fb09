"""b) The cost of one call: the hook alone, instructions and ns per call
with the real syscalls, where the instructions go, the verdicts, and b)'s
checks."""
import os
import re

from .data import read_checks, read_json, read_jsonl, read_native
from .stats import diff_ci, med
from .text import check_line, verdict


B_CASES = [
    ("plain-none", "plain path, no library", "plain"),
    ("plain-lib", "plain path, library preloaded", "plain"),
    ("intree-none", "`__pycache__` path, no library (the in-tree file)", "pyc"),
    ("hit-lib", "`__pycache__` path, library preloaded (a central hit)", "pyc"),
    ("central-none", "the central path itself, no library (the syscall of a hit)", "central"),
    ("stdlib-none", "Debian's stdlib pyc, no library (in-tree)", "stdlib"),
    ("stdlib-lib", "Debian's stdlib pyc, library preloaded (central miss, then in-tree)", "stdlib"),
]
# The reference row of a case: what "added" is measured from.
B_REFS = {"plain-lib": "plain-none", "hit-lib": "intree-none", "stdlib-lib": "stdlib-none"}

# A function's line in callgrind_annotate's output: "Ir (share) file:function [object]".
PROFILE_LINE = re.compile(r"^\s*([\d,]+)\s+\([^)]*\)\s+(.*?)(?:\s+\[[^\]]*\])?\s*$")


def read_profile(path):
    """callgrind_annotate --inclusive=no --auto=no: {"function (file)": Ir}.
    The file tells inlined code apart (the hook's stat in hooks.def, its
    inlined fast path in state.h, glibc's stat in stat64.c). b/profile-CASE-
    OP-CALLS.txt, as bench/run saved it."""
    prof = {}
    started = False
    with open(path) as f:
        for line in f:
            if "file:function" in line:
                started = True
                continue
            if not started:
                continue
            if not line.strip():
                if prof:
                    break
                continue
            m = PROFILE_LINE.match(line)
            if not m:
                continue
            ir = int(m.group(1).replace(",", ""))
            file_, _, func = m.group(2).rpartition(":")
            key = "%s (%s)" % (func, os.path.basename(file_)) if file_ else func
            prof[key] = prof.get(key, 0) + ir
    return prof


def section(data, meta, out):
    """## b) The cost of one call."""
    out.append("## b) The cost of one call")
    out.append("")
    paths = read_json(data, "b", "paths.json")
    n1, n2 = meta["cg_calls1"], meta["cg_calls2"]
    cg = {(row["case"], row["op"], row["calls"]): row["ir"]
          for row in read_jsonl(data, "b", "callgrind.jsonl")}
    native = read_native(data)
    present = [c for c in B_CASES if (c[0], "stat", n1) in cg]
    mhz = float(meta.get("mhz") or 0)

    def ir_per_call(id_, op):
        return (cg[(id_, op, n2)] - cg[(id_, op, n1)]) / (n2 - n1)

    def added(id_, ref, op="stat"):
        xs, ys = native[(id_, op)], native[(ref, op)]
        lo, hi = diff_ci(xs, ys)
        return med(xs) - med(ys), lo, hi

    out.append(
        "`bench/hookbench PATH CALLS` calls `stat(PATH)` (with `-o`, `open(PATH, O_RDONLY)` and "
        "`close`) CALLS times in 100 batches and prints the median batch's ns per call. Three "
        "measures, all in this one run:")
    out.append("")
    out.append(
        "- **the hook alone, natively**: `stat` replaced by a no-op in a second preloaded "
        "library (bench/nosys.c), behind the library or behind the empty one, so that no "
        "syscall is made and what differs is the hook's own work; %d calls per run;"
        % (meta["b_calls"] * 10))
    out.append(
        "- **instructions per call**: callgrind's total for %d calls minus its total for %d "
        "calls, over %d (start-up, warm-up and clock reads are equal in both and cancel out); "
        "user-space instructions only: the kernel's side of a syscall is not counted;"
        % (n2, n1, n2 - n1))
    out.append(
        "- **ns per call with the real syscalls**: %s calls per run."
        % meta["b_calls"])
    out.append("")
    out.append(
        "Native runs: %s rounds, the cases taking turns; the tables give the median over the "
        "rounds, their min – max, and the difference from the reference row with a bootstrap "
        "95%% interval. With the library: `PYCACHE_REDIRECT_DIR` under the temporary directory "
        "and `PYCACHE_REDIRECT_SCOPE=all` (hookbench is no Python process)." % meta["b_rounds"])
    out.append("")
    out.append("Paths: plain `%s` (%d bytes); long `%s` (%d bytes, used without the syscall only); "
               "`__pycache__` `%s` (%d bytes); its central file `%s` (%d bytes)%s."
               % (paths["plain"], len(paths["plain"]), paths["long"], len(paths["long"]),
                  paths["pyc"], len(paths["pyc"]), paths["central"], len(paths["central"]),
                  "; stdlib `%s`" % paths["stdlib"] if any(c[0] == "stdlib-lib" for c in present) else ""))
    out.append("")

    # 1. The hook alone.
    out.append("### The hook alone (`stat` without its syscall)")
    out.append("")
    out.append("| path | added instructions | empty preload (ns) | library (ns) | added by the library, ns (95% interval) | min – max, library (ns) | added, fastest rounds (ns) |")
    out.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    nosys = {}
    for key, label in (("plain", "plain (%d bytes): the fast path" % len(paths["plain"])),
                       ("long", "long (%d bytes): the fast path" % len(paths["long"])),
                       ("pyc", "`__pycache__` (%d bytes): mapped to the central path" % len(paths["pyc"]))):
        e, l = "nosys-%s-empty" % key, "nosys-%s-lib" % key
        if (e, "stat") not in native:
            continue
        d, lo, hi = added(l, e)
        ir = ir_per_call(l, "stat") - ir_per_call(e, "stat") if (e, "stat", n1) in cg else float("nan")
        xs = native[(l, "stat")]
        fastest = min(xs) - min(native[(e, "stat")])
        nosys[key] = (d, lo, hi, ir, fastest)
        out.append("| %s | %+.0f | %.1f | %.1f | %+.1f (%+.1f – %+.1f) | %.1f – %.1f | %+.1f |"
                   % (label, ir, med(native[(e, "stat")]), med(xs), d, lo, hi, min(xs), max(xs), fastest))
    out.append("")
    out.append("The last column, the fastest round of each side, is the least disturbed by the "
               "other work on this machine (it can only add time); the verdicts use the medians.")
    out.append("")

    # 2. With the syscalls: instructions and ns.
    results = {}
    for op, title in (("stat", "`stat`"), ("open", "`open` + `close`")):
        out.append("### %s with its syscall" % title)
        out.append("")
        out.append("| case | instructions per call | added instructions | ns per call (median) | min – max (ns) | added ns (95% interval) |")
        out.append("| --- | ---: | ---: | ---: | ---: | ---: |")
        for id_, label, _ in present:
            ir = ir_per_call(id_, op)
            ns = native.get((id_, op), [float("nan")])
            ref = B_REFS.get(id_)
            if ref:
                dir_ = ir - ir_per_call(ref, op)
                d, lo, hi = added(id_, ref, op)
                results[(id_, op)] = (dir_, d, lo, hi)
                cells = "%+.0f" % dir_, "%+.0f (%+.0f – %+.0f)" % (d, lo, hi)
            else:
                cells = "–", "–"
            out.append("| %s | %.0f | %s | %.0f | %.0f – %.0f | %s |"
                       % (label, ir, cells[0], med(ns), min(ns), max(ns), cells[1]))
        ir = ir_per_call("hit-lib", op) - ir_per_call("central-none", op)
        d, lo, hi = added("hit-lib", "central-none", op)
        results[("mapped", op)] = (ir, d, lo, hi)
        out.append("| *a central hit minus the central path's own call: the mapping* | | %+.0f | | | %+.0f (%+.0f – %+.0f) |"
                   % (ir, d, lo, hi))
        out.append("")

    # 3. Where the instructions go.
    def per_call_profile(id_, op):
        p1 = os.path.join(data, "b", "profile-%s-%s-%d.txt" % (id_, op, n1))
        p2 = os.path.join(data, "b", "profile-%s-%s-%d.txt" % (id_, op, n2))
        if not (os.path.exists(p1) and os.path.exists(p2)):
            return {}
        a, b = read_profile(p1), read_profile(p2)
        return {f: (b.get(f, 0) - a.get(f, 0)) / (n2 - n1) for f in set(a) | set(b)}

    for id_, title in (("plain-lib", "the fast path: `stat` of the plain path, library preloaded"),
                       ("hit-lib", "a central hit: `stat` of the `__pycache__` path, library preloaded")):
        per = per_call_profile(id_, "stat")
        if not per:
            continue
        total = ir_per_call(id_, "stat")
        top = sorted(((v, f) for f, v in per.items() if v >= 0.5), reverse=True)[:10]
        out.append("### Where the instructions go: %s" % title)
        out.append("")
        out.append("Self cost per call (callgrind, the difference of the two runs), the file naming the inlined part.")
        out.append("")
        out.append("| function (file) | instructions per call | share |")
        out.append("| --- | ---: | ---: |")
        for v, f in top:
            out.append("| `%s` | %.0f | %.0f%% |" % (f, v, 100 * v / total))
        out.append("")

    # 4. Targets.
    out.append("### Against DESIGN.md's targets")
    out.append("")
    ir = ir_per_call("plain-lib", "stat") - ir_per_call("plain-none", "stat")
    if "plain" in nosys:
        d, lo, hi, _, fast = nosys["plain"]
        line = ("- A non-`__pycache__` call adds under 5 ns: the hook alone adds %+.1f ns "
                "(95%% interval %+.1f – %+.1f; fastest rounds %+.1f) on the %d-byte plain path: %s."
                % (d, lo, hi, fast, len(paths["plain"]), verdict(d, lo, hi, 5.0, "target")))
        if "long" in nosys:
            dl, lol, hil, irl, fastl = nosys["long"]
            line += (" On the %d-byte path %+.1f ns (%+.1f – %+.1f; fastest rounds %+.1f), %+.0f "
                     "instructions: %s." % (len(paths["long"]), dl, lol, hil, fastl, irl,
                                            verdict(dl, lol, hil, 5.0, "target")))
        line += (" callgrind: %+.0f instructions per call on the plain path (the profile "
                 "above says where)" % ir)
        if mhz:
            line += ("; 5 ns is %.0f cycles at the %.0f MHz /proc/cpuinfo reports" % (5e-3 * mhz, mhz))
        line += "."
        out.append(line)
    d, lo, hi = results[("plain-lib", "stat")][1:]
    out.append("  For comparison, with the real syscall the difference is %+.0f ns (95%% interval "
               "%+.0f – %+.0f) on a %.0f ns `stat`%s."
               % (d, lo, hi, med(native[("plain-none", "stat")]),
                  ": **the noise is larger than the effect** there" if hi - lo > 20 else ""))
    if "pyc" in nosys:
        d, lo, hi, irp, fast = nosys["pyc"]
        out.append("- A mapped call under 150 ns plus the syscall: the hook alone adds %+.0f ns "
                   "(95%% interval %+.0f – %+.0f; fastest rounds %+.0f; %+.0f instructions) to a "
                   "`stat` of a `__pycache__` path: %s."
                   % (d, lo, hi, fast, irp, verdict(d, lo, hi, 150.0, "target")))
    for op, title in (("stat", "`stat`"), ("open", "`open` + `close`")):
        ir, d, lo, hi = results[("mapped", op)]
        out.append("  With the real syscalls (%s), a central hit minus the central path's own call: "
                   "%+.0f instructions, %+.0f ns (95%% interval %+.0f – %+.0f)%s."
                   % (title, ir, d, lo, hi,
                      ": **the noise is larger than the effect**" if lo < 0 < hi or hi - lo > 300 else ""))
    if ("stdlib-lib", "stat") in results:
        ir, d, lo, hi = results[("stdlib-lib", "stat")]
        ir_o, d_o, lo_o, hi_o = results[("stdlib-lib", "open")]
        out.append("- Not a target, but the cost of an in-tree pyc (Debian's stdlib lives in-tree "
                   "under /usr/lib/python3.11): with the library, each lookup first misses "
                   "centrally, then calls again in-tree: `stat` %+.0f instructions, %+.0f ns "
                   "(%+.0f – %+.0f); `open` %+.0f instructions, %+.0f ns (%+.0f – %+.0f). That is "
                   "the mapping plus a second, failing syscall, once per stdlib module a process "
                   "imports from a pyc (see the counts under a)."
                   % (ir, d, lo, hi, ir_o, d_o, lo_o, hi_o))
    out.append("")


def checks(data, meta, lines):
    """b)'s lines of the Checks section: each library case mapped as meant."""
    for (kind, _, _, case), v in read_checks(data, "b").items():
        if kind == "mapped_calls":
            want = 0 if case == "plain-lib" else 1
            check_line(lines, "calls the library rewrote in one call of case %s (log on)" % case,
                       v, want, v == want)
