"""A small run of the benchmark keeps it working (the suite checks correctness, not speed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[2] / "benchmarks" / "bench.py"


@pytest.mark.slow
def test_the_benchmark_runs_and_checks_its_outcomes(tmp_path, db_url):
    args = [sys.executable, str(BENCH), "--n", "2000", "--formats", "csv,xml",
            "--batch-size", "500", "--work-dir", str(tmp_path)]
    if db_url.startswith("postgresql"):
        args += ["--database-url", db_url]
    result = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "import end to end" in out
    assert "\ncsv " in out and "\nxml " in out
    assert "export of 2,000 products to JSON" in out
    assert "Task Manager first page with 100,000 tasks" in out
    if not db_url.startswith("postgresql"):
        assert "floor, plain sqlite3" in out


@pytest.mark.slow
def test_the_prestashop_benchmark_runs_and_checks_its_outcomes(tmp_path, shop_db):
    """The shop benchmark on MariaDB (skipped with the other shop tests when it is not
    there): a shop of 300 products imported by the CLI and by the floor, which must agree."""
    script = BENCH.parent / "prestashop.py"
    tag = f"t{shop_db.name[-12:]}"  # unique per run: sb_bench_TAG_* are dropped after
    result = subprocess.run(
        [sys.executable, str(script), "--products", "300", "--runs", "1", "--tag", tag,
         "--work-dir", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "products {'changed': 140, 'unchanged': 104, 'bad': 13, 'unknown': 13}" in \
        result.stdout
    run = [line for line in lines if line.startswith("1 ")]
    assert len(run) == 1 and len(run[0].split()) >= 8, lines  # its figures, floor and ratio
    assert "peak memory" in lines[-1], lines
