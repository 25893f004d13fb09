"""a) Warm imports: the tables of times by condition for each workload, behind
FUSE, the verdicts against DESIGN.md's targets, what the library did in one
logged warm run, and a)'s checks."""
import glob
import os

from .data import count_calls, package, read_checks, read_jsonl, read_native, read_skips, read_times
from .stats import med, quartiles, ratio_ci
from .text import check_line, fmt_ratio, paired, paired_verdict, target_line, time_table, tree_pycache_line


A_CONDS = [
    ("intree", "in-tree `__pycache__` (baseline)"),
    ("prefix", "`PYTHONPYCACHEPREFIX=<tmp>/prefix`"),
    ("redirect", "**redirect, warm** (`LD_PRELOAD`, `PYCACHE_REDIRECT_DIR=<tmp>/cache-warm`)"),
    ("nobc", "`PYTHONDONTWRITEBYTECODE=1`, no caches anywhere"),
    ("cold", "redirect, cold (the cache root deleted before every run)"),
    ("intree-cold", "in-tree, cold (the tree's `__pycache__` directories deleted before every run)"),
]
PY315_CONDS = [
    ("py315-intree", "in-tree `__pycache__` (baseline)"),
    ("py315-prefix", "`PYTHONPYCACHEPREFIX`"),
    ("py315-redirect", "**redirect, warm**"),
]

FUSE_CONDS = [
    ("fuse-intree", "in-tree `__pycache__`, written through FUSE (baseline)"),
    ("fuse-prefix", "`PYTHONPYCACHEPREFIX` on the local disk"),
    ("fuse-redirect", "**redirect, warm**, its cache on the local disk"),
]


A_NAMES = {"gen": "Generated package", "sample": "The bundled sample", "sympy": "sympy",
           "django": "Django"}
# (id, title, how it runs): the titles and texts take the run's figures.
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


def section(data, meta, out):
    """## a) Warm imports, and what the library did in one warm run."""
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
            detail, words = paired_verdict(paired(data, "a", wl, "redirect", "nobc"),
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
    # The three-condition workloads: (id, name, title, how, conditions, the
    # target against in-tree).
    three = [
        ("fuse", "Behind FUSE", "The generated package behind FUSE",
         "`python3 -c 'import bigpkg.entry'` in a copy of the generated package mounted "
         "with bindfs (FUSE: every metadata call a round trip through the daemon, as on "
         "NFS or a container's shared folder), warm, each condition on its own mount; "
         "the same rounds as above. The library keys each directory once a process "
         "(no round trip a module).",
         FUSE_CONDS, (0.665, "≤ 0.665 (what it was before the directory identity)")),
        ("py315", "CPython 3.15", "The generated package with CPython 3.15",
         "`python3.15 -c 'import bigpkg.entry'` of the Debian sid root that "
         "`tests/setup --newest` makes (CPython 3.15 on glibc 2.43, the library built "
         "here), warm, each condition on its own copy; the same rounds as above. Every "
         "run goes through the root's launcher (tests/in_root: a mount namespace and a "
         "chroot), in all three conditions alike.",
         PY315_CONDS, (1.03, "≤ 1.03")),
    ]
    for wl, name, title, how, conds, (limit, words) in three:
        times = {c: read_times(data, "a", wl, c) for c, _ in conds}
        intree, prefix, redirect = (c for c, _ in conds)
        if "a-" + wl in skips:
            out.append("**%s: skipped**: %s." % (name, skips["a-" + wl]))
            out.append("")
            continue
        if not all(times.values()):
            continue
        out.append("### " + title)
        out.append("")
        out.append(how)
        out.append("")
        time_table(out, times, conds, intree, "in-tree")
        targets.append(target_line(data, "a", wl, name, redirect, intree, "in-tree", times,
                                   limit, words))
        targets.append(target_line(data, "a", wl, name, redirect, prefix,
                                   "`PYTHONPYCACHEPREFIX`", times, 1.0, "≤ 1.00 (no slower)"))
    out.append("### Against DESIGN.md's targets")
    out.append("")
    out += targets
    out.append("")
    calls_section(data, out)


def calls_section(data, out):
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


def checks(data, meta, lines):
    """a)'s lines of the Checks section: each copy imported, nothing written
    into a tree but in-tree's, the warm cache holding what in-tree wrote."""
    s = read_checks(data, "a")
    for (kind, cond, wl, _), v in s.items():
        if kind == "tree_pycache":
            tree_pycache_line(lines, cond, wl, v)
        elif kind == "central_entries":
            want = s.get(("tree_pycache", "intree", wl, None), "?")
            check_line(lines, "central entries of the warm redirect for the %s tree" % wl, v,
                       "%s, as many as in-tree's `__pycache__` directories" % want, v == want)
        elif kind == "central_pycs_of":
            want = s.get(("intree_pycs", None, wl, None), "?")
            check_line(lines, "pycs in those entries", v, "%s, as many as in-tree wrote" % want, v == want)
        elif kind == "foreign_packages":
            check_line(lines, "packages the %s workload loaded from /usr/lib/python3/dist-packages "
                       "instead of its copy" % wl, v, "0", v == 0)
        elif kind == "central_pycs":
            lines.append("- pycs in the central cache of %s after its last run: %s"
                         % ("%s-%s" % (cond, wl) if wl else cond, v))
        elif kind == "prefix_pycs":
            lines.append("- pycs under the `PYTHONPYCACHEPREFIX` prefix: %s" % v)
        elif kind == "prefix_pycs_stdlib":
            lines.append("- of which the interpreter's own, under /usr (the prefix caches those too): %s" % v)
