"""Start-up benchmark: wall time of the commands a person types to look, not to work.

Each command runs in a fresh process, several times; the median and the
slowest are printed. The database is created (and migrated) once before
timing, as it would be on any machine that has run the pipeline.

    .venv/bin/python bench/startup.py            # 7 runs of each
    .venv/bin/python bench/startup.py --runs 15
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 0.3


def commands(database: Path) -> dict[str, list[str]]:
    return {
        "trialmatch --help": ["--help"],
        "trialmatch runs": ["runs", "--db", str(database)],
        "trialmatch users list": ["users", "list", "--db", str(database)],
    }


def timed(arguments: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "trialmatch.cli", *arguments],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "trialmatch.db"
        subprocess.run(
            [sys.executable, "-m", "trialmatch.cli", "runs", "--db", str(database)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        for name, arguments in commands(database).items():
            try:
                times = [timed(arguments) for _ in range(options.runs)]
            except subprocess.CalledProcessError:
                print(f"{name:<24} not available")
                continue
            median = statistics.median(times)
            verdict = "ok" if median < TARGET_SECONDS else f"over {TARGET_SECONDS} s"
            print(f"{name:<24} median {median:.3f} s, slowest {max(times):.3f} s ({verdict})")


if __name__ == "__main__":
    main()
