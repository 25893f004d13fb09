#!/usr/bin/env python3
"""bench/run's report: reads the data directory bench/run filled and writes
RESULTS.md.

    report.py DATA_DIR OUT.md

Times come from hyperfine's JSON exports (every run's time, merged over the
rounds); medians, quartiles and a bootstrap 95% interval of each ratio of
medians (resampling the runs of both conditions; a fixed seed, so that the
same data give the same report).
"""
import glob
import json
import math
import os
import random
import re
import statistics
import sys

BOOT = 2000
SEED = 20240601


# --- statistics ---------------------------------------------------------------

def med(xs):
    return statistics.median(xs)


def quartiles(xs):
    if len(xs) < 2:
        return xs[0], xs[0]
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[0], q[2]


def boot_ci(xs, ys, combine):
    """95% interval of combine(median(xs*), median(ys*)) over resamples."""
    rng = random.Random(SEED)
    vals = []
    for _ in range(BOOT):
        a = med(rng.choices(xs, k=len(xs)))
        b = med(rng.choices(ys, k=len(ys)))
        vals.append(combine(a, b))
    vals.sort()
    return vals[int(0.025 * BOOT)], vals[int(0.975 * BOOT) - 1]


def ratio_ci(xs, ys):
    return boot_ci(xs, ys, lambda a, b: a / b)


def diff_ci(xs, ys):
    return boot_ci(xs, ys, lambda a, b: a - b)


def verdict(value, lo, hi, limit, what="limit"):
    """Words for `value <= limit`, given its 95%% interval [lo, hi]."""
    if hi <= limit:
        return "**met** (the whole 95%% interval is within the %s)" % what
    if lo > limit:
        return "**MISSED** (the whole 95%% interval is beyond the %s)" % what
    if value <= limit:
        return ("**met by the median, not beyond the noise**: the 95%% interval "
                "reaches past the %s" % what)
    return ("**MISSED by the median, but within the noise**: the 95%% interval "
            "reaches back within the %s" % what)


def fmt_ms(v):
    if v >= 100:
        return "%.1f" % v
    if v >= 10:
        return "%.2f" % v
    return "%.3f" % v


def fmt_ratio(r):
    return "%.3f" % r


# --- reading --------------------------------------------------------------------

def read_json(data, *path):
    """One JSON file of the data directory (bench/README.md, "The data")."""
    with open(os.path.join(data, *path), encoding="utf-8") as f:
        return json.load(f)


def read_jsonl(data, *path):
    """A JSON lines file of the data directory: its objects, in order; [] when
    the file is not there (a part or a benchmark left out)."""
    try:
        with open(os.path.join(data, *path), encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def read_meta(data):
    return read_json(data, "meta.json")


def package(meta, name):
    """The version of a Debian package the run used, or ""."""
    return meta.get("packages", {}).get(name) or ""


def read_times(data, part, workload, cond):
    """Every run's time in ms, merged over the rounds' JSON files."""
    times = []
    files = sorted(glob.glob(os.path.join(data, part, workload, cond, "r*.json")))
    for path in files:
        with open(path) as f:
            for result in json.load(f)["results"]:
                times.extend(t * 1000.0 for t in result["times"])
    return times


def read_rounds(data, part, workload, cond):
    """{round number: that round's times in ms}."""
    rounds = {}
    for path in glob.glob(os.path.join(data, part, workload, cond, "r*.json")):
        r = int(os.path.basename(path)[1:-len(".json")])
        with open(path) as f:
            rounds[r] = [t * 1000.0 for res in json.load(f)["results"] for t in res["times"]]
    return rounds


def paired_ratios(data, part, workload, cond, ref):
    """The ratio of the two conditions' medians in each round: a slow spell
    of the machine hits both sides of a pair alike."""
    xs, ys = read_rounds(data, part, workload, cond), read_rounds(data, part, workload, ref)
    return [med(xs[r]) / med(ys[r]) for r in sorted(set(xs) & set(ys))]


def sign_crit(n):
    """The largest c with P(X <= c) <= 2.5% for X ~ Binomial(n, 1/2), or -1."""
    c, cum = -1, 0.0
    for i in range(n + 1):
        cum += math.comb(n, i) / 2 ** n
        if cum > 0.025:
            break
        c = i
    return c


def paired_verdict(ratios, limit, overall, lo, hi):
    """The verdict on `ratio <= limit` from the rounds (a sign test: in how
    many rounds the pair's ratio is beyond the limit), with the words for the
    line; the bootstrap interval when there are too few rounds."""
    n = len(ratios)
    k = sum(r > limit for r in ratios)
    c = sign_crit(n)
    detail = ("per round, paired: median %s, %s – %s, beyond %.2f in %d of %d rounds"
              % (fmt_ratio(med(ratios)), fmt_ratio(min(ratios)), fmt_ratio(max(ratios)),
                 limit, k, n))
    if c < 0:
        return detail, verdict(overall, lo, hi, limit, "target") + (
            " (%d round(s) only: too few for a verdict from the rounds)" % n)
    if k <= c:
        return detail, "**met** (within the target in nearly every round)"
    if k >= n - c:
        return detail, "**MISSED** (beyond the target in nearly every round)"
    return detail, ("**not resolved: the noise is larger than the effect** (the rounds "
                    "fall on both sides of the target)")


def read_native(data):
    """b)'s native runs: {(case, op): [ns per call, a round each]}."""
    native = {}
    for row in read_jsonl(data, "b", "native.jsonl"):
        native.setdefault((row["case"], row["op"]), []).append(float(row["ns"]))
    return native


CHECK_KEYS = ("cond", "workload", "case")


def read_checks(data, part):
    """{(check, cond, workload, case): value} of a part's checks, in the
    order bench/run wrote them; a key the check has not is None."""
    return {(row["check"],) + tuple(row.get(k) for k in CHECK_KEYS): row["value"]
            for row in read_jsonl(data, part, "checks.jsonl")}


PROFILE_LINE = re.compile(r"^\s*([\d,]+)\s+\([^)]*\)\s+(.*?)(?:\s+\[[^\]]*\])?\s*$")


def read_profile(path):
    """callgrind_annotate --inclusive=no --auto=no: {"function (file)": Ir}.
    The file tells inlined code apart (the hook's stat in hooks.def, its
    inlined fast path in state.h, glibc's stat in stat64.c)."""
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


# --- the report ------------------------------------------------------------------

A_CONDS = [
    ("intree", "in-tree `__pycache__` (baseline)"),
    ("prefix", "`PYTHONPYCACHEPREFIX=<tmp>/prefix`"),
    ("redirect", "**redirect, warm** (`LD_PRELOAD`, `PYCACHE_REDIRECT_DIR=<tmp>/cache-warm`)"),
    ("nobc", "`PYTHONDONTWRITEBYTECODE=1`, no caches anywhere"),
    ("cold", "redirect, cold (the cache root deleted before every run)"),
    ("intree-cold", "in-tree, cold (the tree's `__pycache__` directories deleted before every run)"),
]
FUSE_CONDS = [
    ("fuse-intree", "in-tree `__pycache__`, written through FUSE (baseline)"),
    ("fuse-prefix", "`PYTHONPYCACHEPREFIX` on the local disk"),
    ("fuse-redirect", "**redirect, warm**, its cache on the local disk"),
]
# (id, title, how it runs): the titles and texts take the run's figures.
A_NAMES = {"gen": "Generated package", "sample": "The bundled sample", "sympy": "sympy",
           "django": "Django"}
D_NAMES = dict(A_NAMES, **{"pass": "`python3 -c pass`"})
A_WORKLOADS = [
    ("gen", "Generated package: {gen_count:,} modules in {gen_subpackages} subpackages",
     "`python3 -c 'import bigpkg.entry'` (bench/genpkg.py; the entry module imports every module)"),
    ("sample", "The bundled sample", "`python3 -m app` in a copy of tests/sample/"),
    ("sympy", "sympy (Debian's python3-sympy {pkg_python3-sympy})",
     "`python3 -c 'import sympy'` on a copy of Debian's tree ({copied}), first on `PYTHONPATH`"),
    ("django", "Django (Debian's python3-django {pkg_python3-django}): a small site starting",
     "`python3 -c 'import djangoapp'` (bench/djangoapp.py: settings in code, `django.setup()` with "
     "the contrib applications, then the ORM, forms, URLs, generic views, templates and the test "
     "client) on a copy of Debian's tree ({copied}), first on `PYTHONPATH`"),
]
B_CASES = [
    ("plain-none", "plain path, no library", "plain"),
    ("plain-lib", "plain path, library preloaded", "plain"),
    ("intree-none", "`__pycache__` path, no library (the in-tree file)", "pyc"),
    ("hit-lib", "`__pycache__` path, library preloaded (a central hit)", "pyc"),
    ("central-none", "the central path itself, no library (the syscall of a hit)", "central"),
    ("stdlib-none", "Debian's stdlib pyc, no library (in-tree)", "stdlib"),
    ("stdlib-lib", "Debian's stdlib pyc, library preloaded (central miss, then in-tree)", "stdlib"),
]
B_REFS = {"plain-lib": "plain-none", "hit-lib": "intree-none", "stdlib-lib": "stdlib-none"}
C_CONDS = [
    ("st-none", "no preload"),
    ("st-empty", "`LD_PRELOAD` of an empty .so (reference)"),
    ("st-lib", "`LD_PRELOAD=libpycache-redirect.so`"),
]
C_WORKLOADS = [("true", "`/bin/true`"), ("pass", "`python3 -c pass`")]


def spread_cells(xs):
    q1, q3 = quartiles(xs)
    return "%s – %s" % (fmt_ms(q1), fmt_ms(q3)), "%s – %s" % (fmt_ms(min(xs)), fmt_ms(max(xs)))


def time_table(out, times, conds, ref, ref_name):
    """The table of a), d) and e): a row per condition, the ratio to ref."""
    base = times[ref]
    out.append("| condition | median (ms) | ratio to %s | 95%% interval of the ratio | IQR (ms) | min – max (ms) | runs |" % ref_name)
    out.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for c, label in conds:
        xs = times[c]
        iqr, mm = spread_cells(xs)
        if c == ref:
            r, ci = "1", "–"
        else:
            lo, hi = ratio_ci(xs, base)
            r, ci = fmt_ratio(med(xs) / med(base)), "%s – %s" % (fmt_ratio(lo), fmt_ratio(hi))
        out.append("| %s | %s | %s | %s | %s | %s | %d |" % (label, fmt_ms(med(xs)), r, ci, iqr, mm, len(xs)))
    out.append("")


def target_line(data, part, wl, name, cond, ref, ref_label, times, limit, what):
    """One line against a target `cond / ref <= limit`: the ratio over all
    runs, the rounds' paired ratios and the verdict from them."""
    xs, ys = times[cond], times[ref]
    r = med(xs) / med(ys)
    lo, hi = ratio_ci(xs, ys)
    detail, words = paired_verdict(paired_ratios(data, part, wl, cond, ref), limit, r, lo, hi)
    return ("- %s, %s / %s: %s over all runs (bootstrap 95%% interval %s – %s); %s. Target %s: %s."
            % (name, COND_SHORT.get(cond, cond), ref_label, fmt_ratio(r), fmt_ratio(lo), fmt_ratio(hi),
               detail, what, words))


COND_SHORT = {"redirect": "redirect warm", "pt-redirect": "redirect", "many-redirect": "redirect",
              "cold": "redirect cold", "fuse-redirect": "redirect warm"}


def read_skips(data):
    """{"PART-WHAT": why} of the benchmarks bench/run left out, in order."""
    return {"%s-%s" % (row["part"], row["what"]): row["why"]
            for row in read_jsonl(data, "skips.jsonl")}


def read_trees(data):
    """{workload: (module imported, .py files, [top-level entries copied])}
    for Debian's packages."""
    return {row["workload"]: (row["module"], row["py_files"], row["entries"])
            for row in read_jsonl(data, "a", "trees.jsonl")}


def workload_titles(data, meta):
    """[(id, title, how)] of the workloads a) ran, with the run's figures."""
    trees = read_trees(data)
    fields = dict(meta)
    fields["gen_count"] = meta["gen_subpackages"] * meta["gen_modules"]
    for name in ("python3-sympy", "python3-django"):
        fields["pkg_" + name] = package(meta, name)
    rows = []
    for wl, title, how in A_WORKLOADS:
        if not glob.glob(os.path.join(data, "a", wl, "intree", "r*.json")):
            continue
        module, n, entries = trees.get(wl, ("", 0, []))
        fields["copied"] = "%s: %s `.py` files, without Debian's `__pycache__`" % (
            ", ".join(entries), "{:,}".format(n))
        how = how.format(**fields)
        if module and module not in ("sympy", "djangoapp"):
            # --quick's smaller import of the same packages
            how = "`python3 -c 'import %s'` (`--quick`: less than the full run imports) on %s" % (
                module, how.split(" on ", 1)[1])
        rows.append((wl, title.format(**fields), how))
    return rows


def part_a(data, meta, out):
    out.append("## a) Warm imports")
    out.append("")
    out.append(
        "Each condition has its own copy of the tree (and its own cache), so no condition "
        "reads another's pycs; for Debian's packages the copies hold the packages the import "
        "loads (bench/pkgdeps.py) without Debian's in-tree pycs, and the checks below confirm "
        "that nothing was loaded from /usr/lib/python3/dist-packages. In-tree, "
        "`PYTHONPYCACHEPREFIX` and the warm redirect were "
        "warmed once before timing. hyperfine `-N` ran each condition in its own "
        "environment (`env -i ... hyperfine -N ...`, with `PYTHONDONTWRITEBYTECODE` and "
        "`PYTHONPYCACHEPREFIX` unset unless the condition sets them), %s round(s) of %s "
        "runs (warm-up %s per round), the conditions taking turns in an order that rotates "
        "and turns round from round to round, so that no condition always follows the same one. "
        "Spread: the interquartile range and min – max of the runs; the ratio's 95%% "
        "interval is a bootstrap of the ratio of medians. Those intervals describe the "
        "scatter of the runs, not a slow spell of this shared machine, which the rounds "
        "spread over every condition; so the verdicts against the targets come from the "
        "rounds: the ratio of the two conditions' medians within each round (runs close "
        "in time), and a sign test on the number of rounds beyond the target (nearly "
        "every round on one side, at the 2.5%% level, or not resolved)."
        % (meta["a_rounds"], meta["a_runs"], meta["a_warmup"]))
    out.append("")
    skips = read_skips(data)
    for wl, _, _ in A_WORKLOADS:
        if "a-" + wl in skips:
            out.append("**%s: skipped**: %s." % (wl, skips["a-" + wl]))
            out.append("")
    targets = []
    for wl, title, how in workload_titles(data, meta):
        times = {c: read_times(data, "a", wl, c) for c, _ in A_CONDS}
        base = times["intree"]
        out.append("### %s" % title)
        out.append("")
        out.append(how + ", /usr/bin/python3.")
        out.append("")
        time_table(out, times, A_CONDS, "intree", "in-tree")
        red, pre = times["redirect"], times["prefix"]
        name = A_NAMES[wl]
        targets.append(target_line(data, "a", wl, name, "redirect", "intree", "in-tree", times,
                                   1.03, "≤ 1.03"))
        targets.append(target_line(data, "a", wl, name, "redirect", "prefix", "`PYTHONPYCACHEPREFIX`",
                                   times, 1.0, "≤ 1.00 (no slower)"))
        if times["intree-cold"] and times["cold"]:
            targets.append(target_line(data, "a", wl, name, "cold", "intree-cold", "in-tree cold",
                                       times, 1.02, "≤ 1.02 (a cold start, the first CI run)"))
        if wl == "sympy":
            # "Several times faster": redirect / no caches <= 1/3.
            r = med(red) / med(times["nobc"])
            lo, hi = ratio_ci(red, times["nobc"])
            detail, words = paired_verdict(paired_ratios(data, "a", wl, "redirect", "nobc"),
                                           1 / 3, r, lo, hi)
            targets.append(
                "- %s, redirect warm / `PYTHONDONTWRITEBYTECODE`: %s, the redirect %.1f times as "
                "fast (bootstrap 95%% interval of the ratio %s – %s); %s. Target: several times "
                "faster, taken as a ratio ≤ 0.33 (3 times): %s."
                % (name, fmt_ratio(r), 1 / r, fmt_ratio(lo), fmt_ratio(hi), detail, words))
        noise = max((quartiles(x)[1] - quartiles(x)[0]) / med(x) for x in (red, base, pre))
        targets.append("  Spread of the runs: the largest IQR of the three is %.1f%% of its median; "
                       "the difference measured is %+.1f%% against in-tree."
                       % (100 * noise, 100 * (med(red) / med(base) - 1)))
        own = library_own_cost(data, wl)
        if own is not None:
            us, hits, fallbacks = own
            targets.append("  What the library's own work should cost: %d central hits and %d "
                           "fallbacks (counted below) at part b's added ns per `open` make "
                           "about %.0f µs per run, %.2f%% of the in-tree median, plus the fast "
                           "path (tens of ns) on the other file calls. A difference much larger "
                           "than that is the machine, or a cost part b does not see."
                           % (hits, fallbacks, us, 100 * us / 1000 / med(base)))
    fuse = {c: read_times(data, "a", "fuse", c) for c, _ in FUSE_CONDS}
    if "a-fuse" in skips:
        out.append("**Behind FUSE: skipped**: %s." % skips["a-fuse"])
        out.append("")
    elif all(fuse.values()):
        out.append("### The generated package behind FUSE")
        out.append("")
        out.append("`python3 -c 'import bigpkg.entry'` in a copy of the generated package mounted "
                   "with bindfs (FUSE: every metadata call a round trip through the daemon, as on "
                   "NFS or a container's shared folder), warm, each condition on its own mount; "
                   "the same rounds as above. The library keys each directory once a process "
                   "(no round trip a module).")
        out.append("")
        time_table(out, fuse, FUSE_CONDS, "fuse-intree", "in-tree")
        targets.append(target_line(data, "a", "fuse", "Behind FUSE", "fuse-redirect", "fuse-intree",
                                   "in-tree", fuse, 0.665, "≤ 0.665 (what it was before the "
                                   "directory identity)"))
        targets.append(target_line(data, "a", "fuse", "Behind FUSE", "fuse-redirect", "fuse-prefix",
                                   "`PYTHONPYCACHEPREFIX`", fuse, 1.0, "≤ 1.00 (no slower)"))
    out.append("### Against DESIGN.md's targets")
    out.append("")
    out += targets
    out.append("")


def count_calls(data, wl):
    """From the logged warm run: (rewritten, fallbacks, fallbacks to the
    stdlib, {hook: rewritten}, lookups sent straight to a tree that ships its
    pycs), or None."""
    path = os.path.join(data, "a", "calls-%s.log" % wl)
    if not os.path.exists(path):
        return None
    rewritten, fallback, fb_stdlib, by_hook, direct = 0, 0, 0, {}, 0
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.startswith("pycache-redirect: "):
                continue
            hook, _, rest = line[len("pycache-redirect: "):].partition(" ")
            if " -> " in rest:
                rewritten += 1
                by_hook[hook] = by_hook.get(hook, 0) + 1
            elif ": not in the cache, using " in rest:
                fallback += 1
                if rest.split(": not in the cache, using ", 1)[1].startswith("/usr/lib/python3"):
                    fb_stdlib += 1
            elif rest.endswith(": the tree's, which ships its pycs (no entry in the cache)"):
                direct += 1
    return rewritten, fallback, fb_stdlib, by_hook, direct


def library_own_cost(data, wl):
    """µs per run the library's mapped calls should cost, from part b's
    added ns per open (a central hit, a fallback) and the logged counts."""
    counts = count_calls(data, wl)
    native = read_native(data)
    if counts is None or not native:
        return None
    try:
        hit = med(native[("hit-lib", "open")]) - med(native[("intree-none", "open")])
        fb = med(native[("stdlib-lib", "open")]) - med(native[("stdlib-none", "open")])
    except KeyError:
        return None
    rewritten, fallbacks = counts[0], counts[1]
    hits = rewritten - fallbacks
    return (hits * hit + fallbacks * fb) / 1000.0, hits, fallbacks


def part_a_calls(data, out):
    out.append("### What the library did in one warm run")
    out.append("")
    out.append(
        "One more run of each workload with the warm redirect and `PYCACHE_REDIRECT_LOG=2` "
        "(not timed): the `__pycache__` calls it rewrote, how many found the central file, "
        "and how many fell back to an in-tree pyc after a central miss.")
    out.append("")
    out.append("| workload | calls rewritten | by call | central hits | fallbacks to in-tree | of which in /usr/lib/python3* | straight to a tree that ships its pycs |")
    out.append("| --- | ---: | --- | ---: | ---: | ---: | ---: |")
    labels = {"gen": "generated package", "sample": "the sample", "sympy": "sympy",
              "django": "Django", "pass": "`python3 -c pass`"}
    for wl in ("gen", "sample", "sympy", "django", "pass"):
        counts = count_calls(data, wl)
        if counts is None:
            continue
        rewritten, fallback, fb_stdlib, by_hook, direct = counts
        hooks = ", ".join("%s %d" % kv for kv in sorted(by_hook.items(), key=lambda kv: -kv[1])) or "–"
        out.append("| %s | %d | %s | %d | %d | %d | %d |" % (labels[wl], rewritten, hooks, rewritten - fallback, fallback, fb_stdlib, direct))
    out.append("")


def part_b(data, meta, out):
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

    memset = 0.0
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
        if id_ == "hit-lib":
            memset = sum(v for f, v in per.items() if "memset" in f)
            if memset > 1000:
                out.append(
                    "**Note.** %.0f of these %.0f instructions are `memset`, one per byte: at "
                    "the time of writing `pcr_call_begin` clears the whole `struct pcr_call` "
                    "(`*c = (struct pcr_call){...}`), which holds two `PATH_MAX` buffers "
                    "(`central`, `source`): about 8 KB zeroed on every mapped call. glibc "
                    "clears a block that large with `rep stosb`, and callgrind counts each "
                    "byte it stores as one instruction, so the count overstates the time "
                    "(natively `rep stosb` stores tens of bytes per cycle, so the 8 KB are "
                    "likely some 100 to 300 cycles: an estimate, there are no cycle counters "
                    "here), and the table above has the measured time of the whole hook. "
                    "Initialising only the scalar fields would remove it: a central "
                    "hit would then add about %.0f instructions instead of %.0f."
                    % (memset, total, total - memset - ir_per_call("intree-none", "stat"),
                       total - ir_per_call("intree-none", "stat")))
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


def part_c(data, meta, out):
    out.append("## c) Start-up")
    out.append("")
    out.append(
        "hyperfine `-N`, %s round(s), the three preloads taking turns; the same environment "
        "in all three (`PYCACHE_REDIRECT_DIR=<tmp>/cache-start`) but for `LD_PRELOAD`. "
        "Ratio to the empty preload; the verdicts come from the rounds, as in a)."
        % meta["c_rounds"])
    out.append("")
    out.append("| program | preload | median (ms) | ratio to the empty preload | 95% interval of the ratio | IQR (ms) | min – max (ms) | runs |")
    out.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    targets = []
    for wl, wlabel in C_WORKLOADS:
        times = {c: read_times(data, "c", wl, c) for c, _ in C_CONDS}
        ref = times["st-empty"]
        for c, label in C_CONDS:
            xs = times[c]
            iqr, mm = spread_cells(xs)
            if c == "st-empty":
                r, ci = "1", "–"
            else:
                lo, hi = ratio_ci(xs, ref)
                r, ci = fmt_ratio(med(xs) / med(ref)), "%s – %s" % (fmt_ratio(lo), fmt_ratio(hi))
            out.append("| %s | %s | %s | %s | %s | %s | %s | %d |" % (wlabel, label, fmt_ms(med(xs)), r, ci, iqr, mm, len(xs)))
        lib = times["st-lib"]
        r = med(lib) / med(ref)
        lo, hi = ratio_ci(lib, ref)
        dlib = (med(lib) - med(ref)) * 1000
        dempty = (med(ref) - med(times["st-none"])) * 1000
        detail, words = paired_verdict(paired_ratios(data, "c", wl, "st-lib", "st-empty"), 1.02, r, lo, hi)
        targets.append("- %s: library / empty preload = %s over all runs (bootstrap 95%% interval "
                       "%s – %s), %+.0f µs; %s. Target ≤ 1.02: %s. (The empty preload itself "
                       "costs %+.0f µs over none.)"
                       % (wlabel, fmt_ratio(r), fmt_ratio(lo), fmt_ratio(hi), dlib, detail, words, dempty))
    out.append("")
    out.append("### Against DESIGN.md's targets")
    out.append("")
    out += targets
    out.append("")


def part_d(data, meta, out):
    rows = [(row["workload"], row["cond"], row["ir"], row["seconds"])
            for row in read_jsonl(data, "d", "callgrind.jsonl")]
    if not rows:
        return
    out.append("## d) The warm imports in instructions")
    out.append("")
    out.append(
        "Where the noise of a) is larger than the effect: `valgrind --tool=callgrind`, the "
        "total instructions of the whole process (callgrind's `totals`: user space only, the "
        "kernel's side of the syscalls is not counted), one run of each condition on the "
        "trees and caches a) warmed, with `PYTHONHASHSEED=0` in all; the conditions of a "
        "workload ran at the same time (a count does not depend on the load).%s"
        % (" In-tree ran on a second copy of the tree too, warmed the same way: a count "
           "varies with the tree's path (the paths' lengths, their hashes, the dictionaries' "
           "layouts), and the difference between the two in-tree counts shows by how much; "
           "the verdicts count a difference within it as not resolved."
           if any(r[1] == "intree-copy" for r in rows) else ""))
    out.append("")
    skips = read_skips(data)
    if "d-callgrind" in skips:
        out.append("**%s**." % skips["d-callgrind"])
        out.append("")
    labels = {"intree": "in-tree `__pycache__` (baseline)", "prefix": "`PYTHONPYCACHEPREFIX`",
              "redirect": "**redirect, warm**", "intree-copy": "in-tree, a second copy of the tree"}
    out.append("| workload | condition | instructions | ratio to in-tree | difference | seconds under callgrind |")
    out.append("| --- | --- | ---: | ---: | ---: | ---: |")
    ir, secs, order = {}, {}, []
    for w, c, n, t in rows:
        ir[(w, c)], secs[(w, c)] = int(n), int(t)
        if w not in order:
            order.append(w)
    for w in order:
        base = ir[(w, "intree")]
        for c in ("intree", "prefix", "redirect", "intree-copy"):
            if (w, c) not in ir:
                continue
            v = ir[(w, c)]
            cells = ("1", "–") if c == "intree" else ("%.4f" % (v / base), "{:+,}".format(v - base))
            out.append("| %s | %s | {:,} | %s | %s | %d |".format(v)
                       % (D_NAMES.get(w, w), labels[c], cells[0], cells[1], secs[(w, c)]))
    out.append("")
    start = None
    if ("pass", "redirect") in ir:
        start = ir[("pass", "redirect")] - ir[("pass", "intree")]
        out.append("`python3 -c pass`: the library adds %s instructions to the interpreter's "
                   "start-up (loading it, reading its environment, and the stdlib's few pycs "
                   "it looks up centrally first); the imports include that."
                   % "{:+,}".format(start))
        out.append("")
    out.append("### Against DESIGN.md's targets")
    out.append("")
    for w in order:
        if w == "pass":
            continue
        base, red = ir[(w, "intree")], ir[(w, "redirect")]
        again = ir.get((w, "intree-copy"), base)
        noise = abs(again - base) / base

        def words(r, limit):
            if r + noise <= limit:
                return "**met**"
            if r - noise > limit:
                return "**MISSED**"
            return "**not resolved: within the count's own variation**"
        line = ("- %s: redirect / in-tree %.4f (%s instructions)%s. Target ≤ 1.005 (the "
                "instructions of a warm import, DESIGN.md): %s."
                % (A_NAMES[w], red / base, "{:+,}".format(red - base),
                   "; the two copies in-tree differ by %.4f%%" % (100 * noise)
                   if (w, "intree-copy") in ir else "", words(red / base, 1.005)))
        if (w, "prefix") in ir:
            pre = ir[(w, "prefix")]
            line += (" Redirect / `PYTHONPYCACHEPREFIX` %.4f: no slower: %s."
                     % (red / pre, words(red / pre, 1.0)))
        counts, counts_pass = count_calls(data, w), count_calls(data, "pass")
        if start is not None and counts and counts_pass and counts[0] > counts_pass[0]:
            calls = counts[0] - counts_pass[0]
            line += (" Without the start-up's share, %s instructions over the %d `__pycache__` "
                     "calls more that the library rewrote in a)'s logged run: %s a call (the "
                     "mapping, which b) counts alone, and the fast path of every other file "
                     "call)%s."
                     % ("{:+,}".format(red - base - start), calls,
                        "{:+,.0f}".format((red - base - start) / calls),
                        ", give or take the %s instructions between the two in-tree copies"
                        % "{:,}".format(abs(again - base)) if again != base else ""))
        out.append(line)
    out.append("  Instructions are not time: a fallback's second, failing syscall costs the "
               "kernel's time, which callgrind does not see, and a) and b) measure.")
    out.append("")


def part_e(data, meta, out):
    conc = glob.glob(os.path.join(data, "e", "conc", "*", "r*.json"))
    skips = read_skips(data)
    if not conc and "e-pytest" not in skips:
        return
    out.append("## e) Many processes")
    out.append("")
    procs = meta["e_procs"]
    if conc:
        conds = [("many-intree", "in-tree, into one tree (its `__pycache__` directories deleted before every run)"),
                 ("many-redirect", "**redirect**, into one cache (deleted before every run)")]
        times = {c: read_times(data, "e", "conc", c) for c, _ in conds}
        out.append("### %d concurrent cold imports of the generated package" % procs)
        out.append("")
        out.append(
            "`bench/concurrent.sh %d python3 -c 'import bigpkg.entry'`: %d processes started at "
            "once, each compiling and writing the same pycs, and the time until the last has "
            "finished; on %s cores. %s round(s) of %s run(s), the two taking turns, the "
            "deletion done by hyperfine's `--prepare` (not timed)."
            % (procs, procs, meta["cores"], meta["e_conc_rounds"], meta["e_conc_runs"]))
        out.append("")
        time_table(out, times, conds, "many-intree", "in-tree")
        r = med(times["many-redirect"]) / med(times["many-intree"])
        lo, hi = ratio_ci(times["many-redirect"], times["many-intree"])
        rounds = paired_ratios(data, "e", "conc", "many-redirect", "many-intree")
        out.append("- Redirect / in-tree: %s over all runs (bootstrap 95%% interval %s – %s); per "
                   "round, paired: %s – %s. No target in DESIGN.md: a cold start, where the "
                   "library also makes the entry directories and their records; the checks "
                   "below say whether every pyc arrived and no writer left a temporary file."
                   % (fmt_ratio(r), fmt_ratio(lo), fmt_ratio(hi),
                      fmt_ratio(min(rounds)), fmt_ratio(max(rounds))))
        out.append("")
    out.append("### pytest, warm")
    out.append("")
    if "e-pytest" in skips:
        out.append("**Skipped**: %s." % skips["e-pytest"])
        out.append("")
        return
    summary = {row["cond"]: row["summary"] for row in read_jsonl(data, "e", "pytest-summary.jsonl")}
    conds = [("pt-intree", "in-tree `__pycache__` (baseline)"),
             ("pt-redirect", "**redirect, warm**")]
    times = {c: read_times(data, "e", "pytest", c) for c, _ in conds}
    out.append(
        "`python3 -m pytest -q -p no:cacheprovider tests` over %s generated test files "
        "(bench/gentests.py; %s), Debian's pytest %s, warmed once: pytest caches each test "
        "module, rewritten for its asserts, in `__pycache__` under a name of its own "
        "(`*-pytest-*.pyc`), through the redirect in the cache. pytest itself and the stdlib "
        "are Debian's, with their in-tree pycs, in both. %s round(s) of %s runs, taking turns."
        % (meta["e_files"], summary.get("pt-intree", "?"), package(meta, "python3-pytest"),
           meta["e_pt_rounds"], meta["e_pt_runs"]))
    out.append("")
    time_table(out, times, conds, "pt-intree", "in-tree")
    out.append(target_line(data, "e", "pytest", "pytest", "pt-redirect", "pt-intree", "in-tree",
                           times, 1.03, "≤ 1.03 (a warm import's)"))
    out.append("")


def sanity(data, meta, out):
    out.append("## Checks")
    out.append("")
    lines = []

    def check(text, v, want, ok):
        lines.append("- %s: %s (expected %s)%s" % (text, v, want, "" if ok else " **UNEXPECTED**"))

    gen_pycs = meta["gen_subpackages"] * (meta["gen_modules"] + 1) + 2
    for part in ("a", "b", "c", "e"):
        s = read_checks(data, part)
        for (kind, cond, wl, case), v in s.items():
            if kind == "tree_pycache":
                if cond.endswith("intree") or cond == "intree-cold":
                    check("`__pycache__` directories in the %s tree of %s" % (wl, cond), v, "> 0", v > 0)
                else:
                    check("`__pycache__` directories in the %s tree of %s" % (wl, cond), v, "0", v == 0)
            elif kind == "central_entries":
                want = s.get(("tree_pycache", "intree", wl, None), "?")
                check("central entries of the warm redirect for the %s tree" % wl, v,
                      "%s, as many as in-tree's `__pycache__` directories" % want, v == want)
            elif kind == "central_pycs_of":
                want = s.get(("intree_pycs", None, wl, None), "?")
                check("pycs in those entries", v, "%s, as many as in-tree wrote" % want, v == want)
            elif kind == "foreign_packages":
                check("packages the %s workload loaded from /usr/lib/python3/dist-packages instead of "
                      "its copy" % wl, v, "0", v == 0)
            elif kind == "central_pycs":
                lines.append("- pycs in the central cache of %s after its last run: %s"
                             % ("%s-%s" % (cond, wl) if wl else cond, v))
            elif kind == "prefix_pycs":
                lines.append("- pycs under the `PYTHONPYCACHEPREFIX` prefix: %s" % v)
            elif kind == "prefix_pycs_stdlib":
                lines.append("- of which the interpreter's own, under /usr (the prefix caches those too): %s" % v)
            elif kind == "mapped_calls":
                want = 0 if case == "plain-lib" else 1
                check("calls the library rewrote in one call of case %s (log on)" % case, v, want, v == want)
            elif kind == "startup_root_created":
                lines.append("- the start-up runs created the cache root (made on the first `__pycache__` call): %s"
                             % ("yes" if v else "no"))
            elif kind == "conc_pycs":
                check("pycs after the last of the concurrent runs, %s" % cond, v, gen_pycs, v == gen_pycs)
            elif kind == "conc_stray":
                check("other files beside them (a writer's temporary file), %s" % cond, v, "0", v == 0)
            elif kind == "pytest_pycs":
                want = meta["e_files"]
                check("pytest's rewritten pycs, %s" % cond, v, want, v == want)
    out += lines
    out.append("")


def part_f(data, out):
    """The syscall budgets: bench/syscalls' rows, as bench/run saved them."""
    rows = read_jsonl(data, "f", "syscalls.jsonl")
    if not rows:
        return
    out.append("## f) Syscall budgets")
    out.append("")
    out.append("`bench/syscalls` (run by bench/run): `strace -f -c` of the whole process, which the "
               "machine's load does not change, without and with the library, Debian's python3. "
               "The budgets (DESIGN.md for warm, issue 13 for the rest): 2 a directory more than "
               "in-tree (warm, shipped pycs), and 2 a compiled module and 2 a directory more cold. "
               "The directories keyed are the library's `name_to_handle_at` calls (the stdlib's "
               "few included); the rest of the difference, about 18 a process, is loading the "
               "library (10), checking its root (an lstat a component and an access), a geteuid "
               "and a statfs.")
    out.append("")
    # The table bench/syscalls prints without --json.
    out.append("| workload | without | with the library | difference | directories keyed | per directory |")
    out.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        diff, keyed = row["with"] - row["without"], row["keyed"]
        out.append("| %s | %d | %d | %+d | %d | %s |"
                   % (row["workload"], row["without"], row["with"], diff, keyed,
                      "%+.2f" % (diff / keyed) if keyed > 0 else "-"))
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
    out = [
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
    part_a(data, meta, out)
    part_a_calls(data, out)
    part_b(data, meta, out)
    part_c(data, meta, out)
    part_d(data, meta, out)
    part_e(data, meta, out)
    part_f(data, out)
    sanity(data, meta, out)
    kept = kept_sections(dest)
    out += [MARKER, ""]
    if kept:
        out += [kept, ""]
    with open(dest, "w", encoding="utf-8") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
