"""c) Start-up: /bin/true and `python3 -c pass` under no preload, an empty one
and the library; the verdicts, and c)'s check."""
from .data import read_checks, read_times
from .stats import med, ratio_ci
from .text import fmt_ms, fmt_ratio, paired, paired_verdict, spread_cells


C_CONDS = [
    ("st-none", "no preload"),
    ("st-empty", "`LD_PRELOAD` of an empty .so (reference)"),
    ("st-lib", "`LD_PRELOAD=libpycache-redirect.so`"),
]
C_WORKLOADS = [("true", "`/bin/true`"), ("pass", "`python3 -c pass`")]


def section(data, meta, out):
    """## c) Start-up."""
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
        detail, words = paired_verdict(paired(data, "c", wl, "st-lib", "st-empty"), 1.02, r, lo, hi)
        targets.append("- %s: library / empty preload = %s over all runs (bootstrap 95%% interval "
                       "%s – %s), %+.0f µs; %s. Target ≤ 1.02: %s. (The empty preload itself "
                       "costs %+.0f µs over none.)"
                       % (wlabel, fmt_ratio(r), fmt_ratio(lo), fmt_ratio(hi), dlib, detail, words, dempty))
    out.append("")
    out.append("### Against DESIGN.md's targets")
    out.append("")
    out += targets
    out.append("")


def checks(data, meta, lines):
    """c)'s line of the Checks section: whether start-up alone made the root."""
    for (kind, _, _, _), v in read_checks(data, "c").items():
        if kind == "startup_root_created":
            lines.append("- the start-up runs created the cache root (made on the first "
                         "`__pycache__` call): %s" % ("yes" if v else "no"))
