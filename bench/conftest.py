"""Benchmarks: run with ``python -m pytest bench --benchmark-enable``.

Every benchmark calls its function once before timing (compile time excluded) and
shares a ``group`` with its baseline, so pytest-benchmark's table shows the ratio of
the two, measured side by side in the same process.
"""

import sys
from pathlib import Path

# The slow numpy references in tests/naive.py double as the baselines.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
