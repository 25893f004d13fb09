#!/usr/bin/env python3
"""Generate the pytest benchmark's test directory: bench/run's pytest run.

    gentests.py OUTDIR [--files 200]

writes OUTDIR/pytest.ini (empty: it makes OUTDIR pytest's root, so that no
configuration file above it counts) and OUTDIR/tests/test_NNN.py, FILES small
test modules of five tests each: plain asserts (which pytest rewrites, and
caches the rewritten module in __pycache__ under a name of its own), a
parametrized test, a fixture and a test class. Every test passes.

Like genpkg.py, the content depends on FILES alone.
"""
import argparse
import os
import sys


def test_source(n):
    return "\n".join([
        f'"""Generated test module {n:03d} (pycache-redirect pytest benchmark)."""',
        "import pytest",
        "",
        "",
        "@pytest.fixture",
        "def numbers():",
        f"    return list(range({n % 7 + 3}))",
        "",
        "",
        "def test_sum(numbers):",
        f"    assert sum(numbers) == {sum(range(n % 7 + 3))}",
        "    assert numbers[0] == 0 and numbers[-1] == len(numbers) - 1",
        "",
        "",
        '@pytest.mark.parametrize("word, length", [("alpha", 5), ("' + "x" * (n % 5 + 1) + f'", {n % 5 + 1})])',
        "def test_length(word, length):",
        "    assert len(word) == length",
        "",
        "",
        "def test_text():",
        f"    text = 'module {n:03d}'",
        f"    assert text.split() == ['module', '{n:03d}']",
        "    assert text.upper().startswith('MODULE')",
        "",
        "",
        f"class TestShape{n:03d}:",
        "    def test_dict(self):",
        f"        table = {{k: k * {n} for k in range(4)}}",
        f"        assert table[3] == {3 * n}",
        "",
    ])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--files", type=int, default=200)
    args = ap.parse_args()
    if not 1 <= args.files <= 1000:
        sys.exit("gentests.py: --files must be 1..1000")
    tests = os.path.join(args.outdir, "tests")
    os.makedirs(tests)
    with open(os.path.join(args.outdir, "pytest.ini"), "w", encoding="utf-8") as f:
        f.write("[pytest]\n")
    for n in range(args.files):
        with open(os.path.join(tests, f"test_{n:03d}.py"), "w", encoding="utf-8") as f:
            f.write(test_source(n))


if __name__ == "__main__":
    main()
