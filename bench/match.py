"""Benchmark of `trialmatch match`, the whole command, at hospital-network scale.

The data is shaped like real use:

* trials: real ClinicalTrials.gov records (drawn, seeded, from the 1,881
  judged studies of ``shared/data/judged_matching`` and the recruiting
  studies bundled with the demo), each copied ``--copies`` times (15, as in
  the case the issue measured) with new ids until there are ``--trials`` of
  them; each copy has its own stored criteria (no two trials share an
  evaluation) and a real recruiting-site list drawn from the bundled studies.
  Copies are what make candidates as dense as in real use: a patient with a
  condition is a candidate for every trial about it;
* patients: ``--patients`` profiles generated around those trials
  (`matcher.synthetic`: conditions taken from the trials' records, ages,
  sexes, drugs, labs, a location near a site and a travel limit), stored as
  ``trialmatch patients import`` stores them.

Each distinct eligibility text is parsed once with the real parser, and its
criteria stored for every copy as the parse step stores them; none of this is
timed. Timed is ``trialmatch match --db … --out …`` run as a user runs it, in
a fresh process (start, loading, candidates, evaluation in worker processes,
storing, every output file), three times:

1. the first run over the new database;
2. again with nothing changed;
3. a nightly run after 2% of the trials and 2% of the patients changed.

Peak memory is the largest sum, sampled every 50 ms, of the proportional set
size (PSS: shared pages counted once across processes) of the command and its
worker processes. Prints one JSON object per size; ``--sweep`` runs a
quarter, a half and the whole of the size, to show how time grows with the
number of pairs.

    .venv/bin/python bench/match.py                     # 10,000 patients x 5,000 trials
    .venv/bin/python bench/match.py --sweep
    .venv/bin/python bench/match.py --patients 2000 --trials 1000
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.sources.ctgov import parse as parse_ctgov  # noqa: E402
from db.connection import open_database  # noqa: E402
from db.criteria import criteria_to_row  # noqa: E402
from db.patients import store_patients  # noqa: E402
from db.trials import store_trials  # noqa: E402
from matcher.synthetic import generate_patients  # noqa: E402
from nlp_models.parser import parse_texts  # noqa: E402
from nlp_models.version import PARSER_VERSION  # noqa: E402
from trialmatch.core.clock import utc_now  # noqa: E402
from trialmatch.core.criteria import Criterion  # noqa: E402
from trialmatch.core.patient import PatientProfile  # noqa: E402
from trialmatch.core.trial import Trial  # noqa: E402
from trialmatch.demo_data.ctgov import load_snapshot_studies  # noqa: E402

JUDGED = ROOT.parent / "shared" / "data" / "judged_matching" / "trec2022" / "studies.json"
URL = "https://clinicaltrials.gov/api/v2/studies"
COMMAND = ROOT / ".venv" / "bin" / "trialmatch"


def real_trials() -> tuple[list[Trial], list[tuple[Any, ...]]]:
    """The real records to copy, and the real recruiting-site lists to give the copies."""
    bundled: dict[str, Trial] = {}
    for study in load_snapshot_studies():
        for trial in parse_ctgov(study, URL):
            bundled[trial.trial_id] = trial
    records = list(bundled.values())
    if JUDGED.is_file():
        records += list(parse_ctgov(JUDGED.read_bytes(), URL))
    with_text = [trial for trial in records if trial.eligibility_text and trial.conditions]
    site_lists = [trial.sites for trial in bundled.values() if trial.sites]
    return with_text, site_lists


def copies(base: Sequence[Trial], site_lists: Sequence[tuple[Any, ...]], count: int) -> list[Trial]:
    """*count* recruiting trials copied from *base* with new registry ids, each with its
    own site list (no secondary ids: copies must not link into one study)."""
    made = []
    for number in range(count):
        trial = base[number % len(base)]
        made.append(
            dataclasses.replace(
                trial,
                trial_id=f"NCT9{number:07d}",
                overall_status="RECRUITING",
                secondary_ids=(),
                sites=site_lists[number % len(site_lists)],
                source_url=f"{URL}/NCT9{number:07d}",
            )
        )
    return made


def parsed_texts(trials: Sequence[Trial]) -> dict[str, list[Criterion]]:
    texts = sorted({trial.eligibility_text or "" for trial in trials} - {""})
    found: dict[str, list[Criterion]] = {}
    for start in range(0, len(texts), 200):
        chunk = texts[start : start + 200]
        for text, criteria in zip(chunk, parse_texts(chunk), strict=True):
            if isinstance(criteria, list):
                found[text] = criteria
    return found


def build(
    folder: Path,
    trials: Sequence[Trial],
    patients: Sequence[PatientProfile],
    parsed: dict[str, list[Criterion]],
) -> Path:
    path = folder / "trialmatch.db"
    now = utc_now()
    with open_database(path) as database:
        for start in range(0, len(trials), 1000):
            store_trials(database, trials[start : start + 1000])
        rows = [
            criteria_to_row(
                trial.trial_id,
                [dataclasses.replace(c) for c in parsed[trial.eligibility_text or ""]],
                PARSER_VERSION,
                now=now,
            )
            for trial in trials
            if (trial.eligibility_text or "") in parsed
        ]
        with database.conn:
            database.table("criteria").upsert_all(rows, pk="trial_id")
            database.execute("UPDATE trials SET needs_parse = 0")
        for start in range(0, len(patients), 2000):
            store_patients(database, patients[start : start + 2000], source="bench")
    return path


class _PeakMemory:
    """The largest sum of PSS over a process and its descendants, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_kb, self._done = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.is_set():
            total = sum(_pss_kb(pid) for pid in _tree(self.pid))
            self.peak_kb = max(self.peak_kb, total)
            time.sleep(0.05)

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return self.peak_kb / 1024


def _tree(root: int) -> list[int]:
    found, frontier = [root], [root]
    while frontier:
        pid = frontier.pop()
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            continue
        found += [int(child) for child in children]
        frontier += [int(child) for child in children]
    return found


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_match(database: Path, out: Path) -> dict[str, Any]:
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(COMMAND), "match", "--db", str(database), "--out", str(out), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    memory = _PeakMemory(process.pid)
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - started
    peak = memory.stop()
    if process.returncode != 0:
        raise SystemExit(f"trialmatch match failed:\n{stderr[-2000:]}")
    counts = json.loads(stdout)["counts"]
    html = [out / "referrals.html", *(out / "sites").iterdir()]
    return {
        "seconds": round(wall, 1),
        "peak_memory_mb": round(peak),
        "candidate_pairs": counts.get("candidate_pairs"),
        "pairs_per_second": round(counts.get("candidate_pairs", 0) / wall),
        "evaluated": counts.get("evaluated"),
        "unchanged": counts.get("unchanged"),
        "listed": counts.get("listed"),
        "new": counts.get("new"),
        "workers": counts.get("workers"),
        "referrals_json_mb": round((out / "referrals.json").stat().st_size / 2**20, 1),
        "referrals_csv_mb": round((out / "referrals.csv").stat().st_size / 2**20, 1),
        "site_pages": len(html) - 1,
        "largest_html_mb": round(max(path.stat().st_size for path in html) / 2**20, 2),
        "database_mb": round(database.stat().st_size / 2**20),
    }


def change_some(
    database: Path, trials: Sequence[Trial], patients: Sequence[PatientProfile], seed: int
) -> None:
    """2% of the trials get a new title (a new content hash), 2% of the patients a year more."""
    rng = random.Random(seed)
    changed_trials = [
        dataclasses.replace(trial, brief_title=f"{trial.brief_title} (amended)")
        for trial in rng.sample(list(trials), max(1, len(trials) // 50))
    ]
    changed_patients = [
        dataclasses.replace(profile, age=(profile.age or 40) + 1)
        for profile in rng.sample(list(patients), max(1, len(patients) // 50))
    ]
    with open_database(database) as opened:
        store_trials(opened, changed_trials)
        opened.execute("UPDATE trials SET needs_parse = 0")
        opened.conn.commit()
        store_patients(opened, changed_patients, source="bench")


def measure(
    patients_count: int,
    trials_count: int,
    base: Sequence[Trial],
    site_lists: Sequence[tuple[Any, ...]],
    parsed: dict[str, list[Criterion]],
    seed: int,
) -> dict[str, Any]:
    trials = copies(base, site_lists, trials_count)
    patients = generate_patients(trials, patients_count, seed)
    folder = Path(tempfile.mkdtemp(prefix="trialmatch-bench-match-"))
    try:
        database = build(folder, trials, patients, parsed)
        out = folder / "referrals"
        first = run_match(database, out)
        again = run_match(database, out)
        change_some(database, trials, patients, seed)
        nightly = run_match(database, out)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "patients": patients_count,
        "trials": trials_count,
        "distinct_real_records": len(base),
        "candidates_per_patient": round((first["candidate_pairs"] or 0) / patients_count, 1),
        "cores": os.cpu_count(),
        "first_run": first,
        "nothing_changed": again,
        "two_percent_changed": nightly,
    }


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--patients", type=int, default=10_000)
    options.add_argument("--trials", type=int, default=5_000)
    options.add_argument("--copies", type=int, default=15, help="copies of each real record")
    options.add_argument("--seed", type=int, default=7)
    options.add_argument("--sweep", action="store_true", help="a quarter, a half and the whole")
    args = options.parse_args()
    base, site_lists = real_trials()
    started = time.perf_counter()
    needed = min(len(base), -(-args.trials // args.copies))
    base = random.Random(args.seed).sample(base, needed)
    parsed = parsed_texts(base)
    print(
        f"parsed {len(parsed)} distinct texts in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    fractions = (0.25, 0.5, 1.0) if args.sweep else (1.0,)
    for fraction in fractions:
        trials = int(args.trials * fraction)
        summary = measure(
            int(args.patients * fraction),
            trials,
            base[: -(-trials // args.copies)],  # as many copies of each record at every size
            site_lists,
            parsed,
            args.seed,
        )
        print(json.dumps(summary, indent=2), flush=True)


if __name__ == "__main__":
    main()
