"""e) Many processes: concurrent cold imports into one cache, and pytest warm;
the verdict, and e)'s checks."""
import glob
import os

from .data import package, read_checks, read_jsonl, read_skips, read_times
from .stats import med, ratio_ci
from .text import check_line, fmt_ratio, paired, target_line, time_table, tree_pycache_line


def section(data, meta, out):
    """## e) Many processes."""
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
        rounds = paired(data, "e", "conc", "many-redirect", "many-intree")
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


def checks(data, meta, lines):
    """e)'s lines of the Checks section: every pyc arrived, no writer left a
    temporary file, only in-tree wrote into its tree."""
    gen_pycs = meta["gen_subpackages"] * (meta["gen_modules"] + 1) + 2
    for (kind, cond, wl, _), v in read_checks(data, "e").items():
        if kind == "tree_pycache":
            tree_pycache_line(lines, cond, wl, v)
        elif kind == "conc_pycs":
            check_line(lines, "pycs after the last of the concurrent runs, %s" % cond, v, gen_pycs,
                       v == gen_pycs)
        elif kind == "conc_stray":
            check_line(lines, "other files beside them (a writer's temporary file), %s" % cond, v,
                       "0", v == 0)
        elif kind == "pytest_pycs":
            want = meta["e_files"]
            check_line(lines, "pytest's rewritten pycs, %s" % cond, v, want, v == want)
