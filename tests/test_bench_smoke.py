"""The benchmark suite runs (a --quick smoke run on SQLite): one ratio line per benchmark.
No timing is asserted."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_quick_suite_prints_a_ratio_for_every_benchmark():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "bench", "all", "--db", "sqlite", "--quick"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
                            check=False)
    assert result.returncode == 0, result.stderr
    ratios = [line.split(":")[0] for line in result.stdout.splitlines() if ": ratio " in line]
    assert [name.split()[0] for name in ratios] == ["inbound", "dispatch", "broadcast", "close",
                                                 "digest"]
    assert result.stdout.count("peak RSS") == 5
