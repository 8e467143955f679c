"""Parsing throughput as a user sees it: ``trialmatch parse-text`` over many distinct texts.

Run::

    .venv/bin/python bench/nlp_speed.py [--texts 1200] [--workers 1 2] [--runs 3]

The texts are distinct real eligibility texts, each given once: every
ClinicalTrials.gov eligibility section under ``$TRIALMATCH_SHARED/data``
(``ctgov_v2`` and the judged set's ``studies.json``) and every Chia trial
(inclusion and exclusion files joined under their headers), duplicates
removed, in a fixed order, the first ``--texts`` of them. Each is written to
its own file; each setting runs ``trialmatch parse-text FILE...
--workers N`` as a fresh process, so the wall-clock time includes the
process start (imports, loading the pipeline) and writing the JSON lines.
Nothing is cached between runs: each process parses every text once.

Each line gives trials/s, criteria/s, the CPU seconds of the process and its
workers, and the 1-minute load average before and after: on a shared
machine the wall-clock figure is only comparable between runs at similar
load. Every run's output must be the same, byte for byte, whatever the
number of workers; the script says so and fails otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# $TRIALMATCH_SHARED, else shared/ beside the repository (as CI's fresh clone has it)
from shared_data import SHARED

DATA = SHARED / "data"
CHIA = DATA / "annotated_criteria" / "chia" / "chia_without_scope"
JUDGED_STUDIES = DATA / "judged_matching" / "trec2022" / "studies.json"
TRIALMATCH = Path(sys.executable).parent / "trialmatch"


def _studies(path: Path) -> list[dict[str, object]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    studies = data if isinstance(data, list) else data.get("studies", [data])
    return [study for study in studies if isinstance(study, dict)]


def ctgov_texts() -> list[str]:
    """Eligibility texts of the ClinicalTrials.gov records under the shared data, by NCT ID."""
    texts: dict[str, str] = {}
    for path in [*sorted((DATA / "ctgov_v2").glob("**/*.json")), JUDGED_STUDIES]:
        if not path.exists():
            continue
        for study in _studies(path):
            protocol = study.get("protocolSection", {})
            assert isinstance(protocol, dict)
            text = protocol.get("eligibilityModule", {}).get("eligibilityCriteria")
            if text:
                texts.setdefault(protocol.get("identificationModule", {}).get("nctId", ""), text)
    return [texts[trial] for trial in sorted(texts)]


def chia_texts() -> list[str]:
    texts = []
    for inclusion in sorted(CHIA.glob("*_inc.txt")):
        exclusion = inclusion.with_name(inclusion.name.replace("_inc", "_exc"))
        body = "Inclusion Criteria:\n" + inclusion.read_text(encoding="utf-8")
        if exclusion.exists():
            body += "\nExclusion Criteria:\n" + exclusion.read_text(encoding="utf-8")
        texts.append(body)
    return texts


def distinct_texts(count: int) -> list[str]:
    """The first `count` distinct texts, Chia and ClinicalTrials.gov interleaved."""
    chia, ctgov = chia_texts(), ctgov_texts()
    mixed = [text for pair in zip(ctgov, chia, strict=False) for text in pair]
    mixed += ctgov[len(chia) :] + chia[len(ctgov) :]
    unique = list(dict.fromkeys(text for text in mixed if text.strip()))
    if len(unique) < count:
        sys.exit(f"only {len(unique)} distinct texts under {DATA}; asked for {count}")
    return unique[:count]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(files: list[Path], workers: int) -> tuple[float, float, bytes]:
    """(wall seconds, CPU seconds, output) of one fresh ``parse-text`` process."""
    command = [str(TRIALMATCH), "parse-text", "--workers", str(workers), *map(str, files)]
    cpu_before = _children_cpu()
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if completed.returncode not in (0, 1):  # 1: some input could not be parsed
        sys.exit(f"parse-text failed ({completed.returncode}): {completed.stderr.decode()[-2000:]}")
    return elapsed, _children_cpu() - cpu_before, completed.stdout


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--texts", type=int, default=1200, help="distinct texts (at least)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per setting")
    args = parser.parse_args()
    texts = distinct_texts(args.texts)
    print(f"{len(texts)} distinct texts ({sum(map(len, texts)):,} characters); "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    outputs: set[str] = set()
    with tempfile.TemporaryDirectory() as scratch:
        files = []
        for number, text in enumerate(texts):
            path = Path(scratch) / f"{number:05d}.txt"
            path.write_text(text, encoding="utf-8", newline="")
            files.append(path)
        for workers in args.workers:
            for run in range(1, args.runs + 1):
                load_before = os.getloadavg()[0]
                elapsed, cpu, output = run_once(files, workers)
                lines = output.decode("utf-8").splitlines()
                criteria = sum(len(json.loads(line)["criteria"]) for line in lines)
                outputs.add(hashlib.sha256(output).hexdigest())
                print(
                    f"workers={workers} run {run}: {len(lines)} trials  {criteria} criteria  "
                    f"{elapsed:6.2f} s  {len(lines) / elapsed:6.1f} trials/s  "
                    f"{criteria / elapsed:7.1f} criteria/s  (CPU {cpu:.1f} s)  "
                    f"load {load_before:.2f} -> {os.getloadavg()[0]:.2f}",
                    flush=True,
                )
    if len(outputs) != 1:
        sys.exit(f"outputs differ between settings: {len(outputs)} distinct outputs")
    print("every run wrote the same output, byte for byte")


if __name__ == "__main__":
    main()
