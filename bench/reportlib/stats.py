"""The statistics of the report: medians and quartiles of the runs, a
bootstrap 95% interval of a ratio (or a difference) of two medians, the
rounds' paired ratios and the critical count of a sign test on them. Numbers
only: the words of the verdicts are text.py's, the data data.py's.

The bootstrap resamples the runs of both conditions BOOT times with a fixed
seed, so that the same data give the same report."""
import math
import random
import statistics


BOOT = 2000
SEED = 20240601


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


def paired_ratios(xs, ys):
    """The ratio of the two conditions' medians in each round, from their
    {round: times}: a slow spell of the machine hits both sides of a pair
    alike."""
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
