"""Benchmark of the matcher: synthetic patients against thousands of recruiting trials.

The recruiting trials of the bundled snapshot (`trialmatch/demo_data/ctgov`,
real ClinicalTrials.gov records, NCT05935553 among them) are multiplied with
new ids until there are at least ``--trials`` of them; each distinct
eligibility text is parsed once. Then
``--patients`` synthetic patients are matched in memory, as the match step
does before storing: candidate retrieval, three-valued evaluation, verdict
and score for every candidate pair, and the stored criteria document of each
pair (every criterion of a listed pair, the reasons of an ineligible one).

The headline figure gives every trial copy its own criteria list, as real
registries (unique texts) do, so no evaluation is shared between trials.
Equal rules ("aged 18 or over") are still answered once per patient, which
the copies favour (all their rules recur); ``--no-rule-memo`` measures the
worst case where no two trials share a rule. ``--sharing`` lets copies share
one parsed list, as the engine then shares their evaluation (correct for any
input, but only copies profit).

Prints: trials, patients, candidate pairs, pairs evaluated per second,
distinct evaluations, rule evaluations run, verdict counts, wall and CPU
time of the match (they differ when other processes share the machine), and
peak memory (the process's max RSS before and after the match;
the spaCy parser loaded for the criteria accounts for most of it).

    .venv/bin/python bench/match.py --patients 10000 --trials 5000
    .venv/bin/python bench/match.py --patients 10000 --trials 5000 --no-rule-memo
    .venv/bin/python bench/match.py --patients 10000 --trials 5000 --sharing
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.sources.ctgov import parse as parse_ctgov  # noqa: E402
from matcher.candidates import TrialIndex  # noqa: E402
from matcher.engine import EngineCounts, match_all  # noqa: E402
from matcher.synthetic import generate_patients  # noqa: E402
from trialmatch.core.criteria import Criterion  # noqa: E402
from trialmatch.core.trial import Trial  # noqa: E402
from trialmatch.demo_data.ctgov import load_snapshot_studies  # noqa: E402

URL = "https://clinicaltrials.gov/api/v2/studies"


def bundled_trials() -> list[Trial]:
    found: dict[str, Trial] = {}
    for study in load_snapshot_studies():
        for trial in parse_ctgov(study, URL):
            found[trial.trial_id] = trial
    return [trial for trial in found.values() if trial.is_matchable]


def multiplied(trials: Sequence[Trial], at_least: int, *, share_sites: bool) -> list[Trial]:
    """Copies with new ids; without *share_sites* each has its own site list, so the
    index finds each copy's nearest site anew, as for distinct trials."""
    copies = -(-at_least // len(trials))
    return [
        dataclasses.replace(
            trial,
            trial_id=f"{trial.trial_id}-C{copy:03d}",
            sites=trial.sites if share_sites else tuple(list(trial.sites)),
        )
        for copy in range(copies)
        for trial in trials
    ]


def parse_once(trials: Sequence[Trial]) -> dict[str, Sequence[Criterion] | None]:
    from nlp_models.parser import parse_eligibility

    by_text: dict[str, Sequence[Criterion] | None] = {}
    for trial in trials:
        text = trial.eligibility_text or ""
        if text not in by_text:
            by_text[text] = tuple(parse_eligibility(text)) if text else None
    return {trial.trial_id: by_text[trial.eligibility_text or ""] for trial in trials}


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--patients", type=int, default=10_000)
    options.add_argument("--trials", type=int, default=5_000)
    options.add_argument("--seed", type=int, default=7)
    options.add_argument(
        "--sharing",
        action="store_true",
        help="let trial copies share one criteria list (and so one evaluation per patient)",
    )
    options.add_argument(
        "--no-rule-memo",
        action="store_true",
        help="evaluate every rule of every pair (no per-patient answers for equal rules)",
    )
    args = options.parse_args()

    base = bundled_trials()
    trials = multiplied(base, args.trials, share_sites=args.sharing)
    started = time.perf_counter()
    criteria = parse_once(trials)
    if not args.sharing:
        criteria = {key: None if c is None else tuple(list(c)) for key, c in criteria.items()}
    parse_seconds = time.perf_counter() - started
    patients = generate_patients(base, args.patients, args.seed)

    rss_before = _max_rss_mb()
    started = time.perf_counter()
    cpu_started = time.process_time()
    index = TrialIndex(trials)
    counts = EngineCounts()
    verdicts: Counter[str] = Counter()
    stored_criteria = 0
    outcomes = match_all(
        index,
        patients,
        criteria,
        date(2026, 11, 24),
        counts=counts,
        rule_memo=not args.no_rule_memo,
    )
    for outcome in outcomes:
        if outcome.result is not None:
            verdicts[outcome.result.verdict] += 1
            # what the match step stores for the pair (it then writes it as JSON)
            stored_criteria += len(outcome.result.criteria_document()["criteria"])
    wall = time.perf_counter() - started
    # CPU time too: on a shared machine the wall time also counts other processes' turns
    cpu = time.process_time() - cpu_started
    rss_mb = _max_rss_mb()
    summary = {
        "trials": len(index),
        "distinct_trials": len(base),
        "distinct_texts_parsed": len({trial.eligibility_text for trial in base}),
        "criteria_lists_shared_between_copies": args.sharing,
        "rule_memo": not args.no_rule_memo,
        "parse_seconds": round(parse_seconds, 1),
        "patients": counts.patients,
        "candidate_pairs": counts.candidate_pairs,
        "candidates_per_patient": round(counts.candidate_pairs / max(1, counts.patients), 1),
        "pairs_evaluated": counts.evaluated,
        "distinct_criteria_evaluations": counts.distinct_evaluations,
        "rule_evaluations": counts.rule_evaluations,
        "stored_criterion_records": stored_criteria,
        "pairs_per_second": round(counts.evaluated / wall) if wall else None,
        "failed": counts.failed,
        "verdicts": dict(verdicts),
        "match_wall_seconds": round(wall, 1),
        "match_cpu_seconds": round(cpu, 1),
        "max_rss_before_match_mb": round(rss_before, 1),
        "process_max_rss_mb": round(rss_mb, 1),
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
