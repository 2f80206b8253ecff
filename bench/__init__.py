"""Benchmark suite for interop-bot (``make bench`` / ``python -m bench``).

It generates a realistic synthetic store (cached under ``bench/.cache/``), measures the figures
the performance issue asks for against honest baselines run on the same data in the same
process, prints a table and writes ``bench/results.json``. Nothing in ``bot/`` depends on it.
"""
