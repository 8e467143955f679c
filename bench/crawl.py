"""Crawl benchmark: studies/s parsed and stored, and peak memory, as the crawl grows.

For each size N a loopback snapshot server (its own process, so its memory
and CPU are not the crawler's) serves N studies: the bundled real records
repeated with new NCT ids. A fresh crawler process then runs a full crawl
through the real code path (client, fetcher, parser, store, checkpoints)
into a new database, with no politeness delay and robots.txt still read.
Each crawl runs in its own process so its peak RSS is its own.

    .venv/bin/python bench/crawl.py                 # 2,500 / 5,000 / 10,000 studies
    .venv/bin/python bench/crawl.py --sizes 20000
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

TARGET_STUDIES_PER_SECOND = 1000
TARGET_PEAK_MB = 500


def bench_entries(count: int) -> list[Any]:
    """*count* RECRUITING studies: the snapshot's real records, renumbered."""
    from trialmatch.demo_data.ctgov import load_snapshot_studies
    from trialmatch.snapshot_server import StudyEntry

    templates = []
    for study in load_snapshot_studies():
        study["protocolSection"].setdefault("statusModule", {})["overallStatus"] = "RECRUITING"
        templates.append(StudyEntry.of(study))
    entries = []
    for index in range(count):
        template = templates[index % len(templates)]
        nct_id = f"NCT9{index:07d}"
        old_id = f'"nctId":"{template.nct_id}"'.encode()
        body = template.body.replace(old_id, f'"nctId":"{nct_id}"'.encode(), 1)
        entries.append(StudyEntry(nct_id, "RECRUITING", template.last_update, body))
    return entries


def serve(count: int, pipe: Connection) -> None:
    """Server process: build the studies, send the base URL, serve until told to stop."""
    from trialmatch.snapshot_server import SnapshotServer

    with SnapshotServer() as server:
        server.set_entries(bench_entries(count))
        pipe.send(server.base_url)
        pipe.recv()


def crawl_once(base_url: str, db_path: str) -> dict[str, Any]:
    """Crawler process: one full crawl; returns counts, seconds and peak RSS."""
    from trialmatch.core.settings import Settings
    from trialmatch.steps.crawl_step import crawl

    settings = Settings(
        db=Path(db_path), ctgov_base_url=base_url, request_delay=0.0, contact="bench"
    )
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    run = crawl(settings, full=True, quiet=True)
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return {
        "status": run.status,
        "studies": run.studies_new,
        "pages": run.pages,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_mb": peak_kb / 1024,
    }


def _cpu_seconds() -> float:
    # On a shared machine wall time depends on the neighbours; CPU time does not.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(count: int) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=serve, args=(count, child), daemon=True)
    server.start()
    try:
        base_url = parent.recv()
        with tempfile.TemporaryDirectory() as folder:
            command = [sys.executable, __file__, "--crawl-once", base_url, f"{folder}/bench.db"]
            output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            result: dict[str, Any] = json.loads(output)
            result["db_mb"] = sum(p.stat().st_size for p in Path(folder).iterdir()) / 2**20
    finally:
        parent.send("stop")
        server.join(timeout=10)
        parent.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2500, 5000, 10000])
    parser.add_argument("--crawl-once", nargs=2, metavar=("BASE_URL", "DB"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.crawl_once:
        print(json.dumps(crawl_once(*arguments.crawl_once)))
        return
    print(
        f"{'studies':>8} {'pages':>6} {'wall s':>7} {'studies/s':>10} "
        f"{'crawler CPU s':>14} {'studies/CPU-s':>14} {'peak RSS MB':>12} {'db MB':>6}"
    )
    for count in arguments.sizes:
        result = measure(count)
        print(
            f"{result['studies']:>8} {result['pages']:>6} {result['seconds']:>7.2f} "
            f"{result['studies'] / result['seconds']:>10.0f} {result['cpu_seconds']:>14.2f} "
            f"{result['studies'] / result['cpu_seconds']:>14.0f} {result['peak_mb']:>12.0f} "
            f"{result['db_mb']:>6.0f}",
            flush=True,
        )
        if result["status"] != "succeeded" or result["studies"] != count:
            sys.exit(f"crawl of {count} studies ended {result['status']}")
    print(f"targets: >= {TARGET_STUDIES_PER_SECOND} studies/s, < {TARGET_PEAK_MB} MB, flat")
    print(f"load average while measuring: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
