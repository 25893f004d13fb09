"""The report of bench/run, part by part: bench/report.py assembles it."""
