"""Benchmark of clinic-bot: load against the emulated Bot API, and storage at scale.

Run `python -m bench --help`; see bench/README.md and docs/performance.md.
"""
