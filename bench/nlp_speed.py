"""Parsing throughput over real eligibility texts: trials/s and criteria/s.

Run::

    .venv/bin/python bench/nlp_speed.py [--min-texts 1000] [--workers 1 2]

The texts are every ClinicalTrials.gov eligibility section under
``$TRIALMATCH_SHARED/data`` (default: ``shared/`` beside the repository; API v2
records and exports) plus every Chia trial (inclusion and exclusion files
joined under their headers), repeated until there are at least
``--min-texts``. The pipeline is built before timing; the figures are
wall-clock for `nlp_models.batch.parse_many` (the path of ``trialmatch
parse``) on every text, with ``--workers`` processes. Each line carries the
1-minute load average before and after it: on a shared machine the wall-clock
figure is only comparable between runs at similar load; "per CPU-second" is
less sensitive to it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# $TRIALMATCH_SHARED, else shared/ beside the repository (as CI's fresh clone has it)
from shared_data import SHARED

from nlp_models.batch import parse_many
from nlp_models.pipeline import get_pipeline
from nlp_models.version import PARSER_VERSION

DATA = SHARED / "data"
CHIA = DATA / "annotated_criteria" / "chia" / "chia_without_scope"


def ctgov_texts() -> list[str]:
    texts: dict[str, str] = {}
    for path in sorted((DATA / "ctgov_v2").glob("**/*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        studies = data if isinstance(data, list) else data.get("studies", [data])
        for study in studies:
            protocol = study.get("protocolSection", {}) if isinstance(study, dict) else {}
            text = protocol.get("eligibilityModule", {}).get("eligibilityCriteria")
            if text:
                texts[protocol.get("identificationModule", {}).get("nctId", path.stem)] = text
    return list(texts.values())


def chia_texts() -> list[str]:
    texts = []
    for inclusion in sorted(CHIA.glob("*_inc.txt")):
        exclusion = inclusion.with_name(inclusion.name.replace("_inc", "_exc"))
        body = "Inclusion Criteria:\n" + inclusion.read_text(encoding="utf-8")
        if exclusion.exists():
            body += "\nExclusion Criteria:\n" + exclusion.read_text(encoding="utf-8")
        texts.append(body)
    return texts


def _cpu_seconds() -> float:
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _load() -> float:
    return os.getloadavg()[0]


def measure(label: str, texts: list[str], workers: int) -> None:
    load_before = _load()
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    outcomes = parse_many(texts, workers=workers)
    elapsed = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_started
    criteria = sum(len(o) for o in outcomes if isinstance(o, list))
    failures = sum(1 for o in outcomes if not isinstance(o, list))
    print(
        f"{label:<28} workers={workers}  {len(texts):>5} trials  {criteria:>6} criteria  "
        f"{elapsed:6.2f} s  {len(texts) / elapsed:7.1f} trials/s  "
        f"{criteria / elapsed:8.1f} criteria/s  failures={failures}  "
        f"(CPU {cpu:.2f} s: {len(texts) / cpu:.1f} trials per CPU-second)  "
        f"load {load_before:.2f} -> {_load():.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--min-texts", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    ctgov, chia = ctgov_texts(), chia_texts()
    if not ctgov or not chia:
        sys.exit(f"no eligibility texts under {DATA}: set TRIALMATCH_SHARED to the shared folder")
    mixed = ctgov + chia
    repeated = (mixed * (args.min_texts // len(mixed) + 1))[: max(args.min_texts, len(mixed))]
    print(f"parser {PARSER_VERSION}; {os.cpu_count()} CPUs; {len(ctgov)} ClinicalTrials.gov "
          f"texts, {len(chia)} Chia trials")  # fmt: skip
    started = time.perf_counter()
    get_pipeline()
    parse_many(mixed[:5])
    print(f"pipeline built and warmed in {time.perf_counter() - started:.1f} s")
    for workers in args.workers:
        measure("ClinicalTrials.gov only", ctgov * 3, workers)
        measure("mixed (ctgov + Chia)", repeated, workers)


if __name__ == "__main__":
    main()
