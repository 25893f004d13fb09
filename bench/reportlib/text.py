"""How the report writes what more than one part has: figures, the verdicts'
words, the table of times by condition, the line against a target, and the
lines of the Checks section."""
from .data import read_rounds
from .stats import med, paired_ratios, quartiles, ratio_ci, sign_crit


def fmt_ms(v):
    if v >= 100:
        return "%.1f" % v
    if v >= 10:
        return "%.2f" % v
    return "%.3f" % v


def fmt_ratio(r):
    return "%.3f" % r


def verdict(value, lo, hi, limit, what="limit"):
    """Words for `value <= limit`, given its 95% interval [lo, hi]."""
    if hi <= limit:
        return "**met** (the whole 95%% interval is within the %s)" % what
    if lo > limit:
        return "**MISSED** (the whole 95%% interval is beyond the %s)" % what
    if value <= limit:
        return ("**met by the median, not beyond the noise**: the 95%% interval "
                "reaches past the %s" % what)
    return ("**MISSED by the median, but within the noise**: the 95%% interval "
            "reaches back within the %s" % what)


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


def paired(data, part, workload, cond, ref):
    """paired_ratios of two conditions of a workload, from their rounds."""
    return paired_ratios(read_rounds(data, part, workload, cond), read_rounds(data, part, workload, ref))


def spread_cells(xs):
    q1, q3 = quartiles(xs)
    return "%s – %s" % (fmt_ms(q1), fmt_ms(q3)), "%s – %s" % (fmt_ms(min(xs)), fmt_ms(max(xs)))


def time_table(out, times, conds, ref, ref_name):
    """The table of a) and e): a row per condition, the ratio to ref."""
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


COND_SHORT = {"redirect": "redirect warm", "pt-redirect": "redirect", "many-redirect": "redirect",
              "cold": "redirect cold", "fuse-redirect": "redirect warm", "py315-redirect": "redirect warm"}


def target_line(data, part, wl, name, cond, ref, ref_label, times, limit, what):
    """One line against a target `cond / ref <= limit`: the ratio over all
    runs, the rounds' paired ratios and the verdict from them."""
    xs, ys = times[cond], times[ref]
    r = med(xs) / med(ys)
    lo, hi = ratio_ci(xs, ys)
    detail, words = paired_verdict(paired(data, part, wl, cond, ref), limit, r, lo, hi)
    return ("- %s, %s / %s: %s over all runs (bootstrap 95%% interval %s – %s); %s. Target %s: %s."
            % (name, COND_SHORT.get(cond, cond), ref_label, fmt_ratio(r), fmt_ratio(lo), fmt_ratio(hi),
               detail, what, words))


def check_line(lines, text, value, want, ok):
    """A line of the Checks section: what was counted, the count, what was
    expected, and a mark when it is not that."""
    lines.append("- %s: %s (expected %s)%s" % (text, value, want, "" if ok else " **UNEXPECTED**"))


def tree_pycache_line(lines, cond, workload, n):
    """The check that only in-tree conditions leave `__pycache__` directories
    in their tree (a) and e) count them)."""
    text = "`__pycache__` directories in the %s tree of %s" % (workload, cond)
    if cond.endswith("intree") or cond == "intree-cold":
        check_line(lines, text, n, "> 0", n > 0)
    else:
        check_line(lines, text, n, "0", n == 0)
