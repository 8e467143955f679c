"""Matching many patients against the trial index: the loop the match step and bench share.

For each patient: its facts are prepared once, candidates are retrieved, and
each candidate pair is evaluated unless *reuse* says its stored result still
holds. Trials that share the very same criteria list object (copies of one
registry text parsed once) and structured fields share one evaluation per
patient; only distance and score differ between them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from crawler.records import Trial
from matcher.candidates import Candidate, TrialIndex
from matcher.evaluation import judge, score_of
from matcher.facts import PatientFacts, prepare
from matcher.profiles import PatientProfile
from matcher.results import CriterionResult, MatchResult, Verdict
from nlp_models.records import Criterion

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class PairOutcome:
    profile: PatientProfile
    candidate: Candidate
    result: MatchResult | None  # None: the stored result still holds (not re-evaluated)


@dataclass
class EngineCounts:
    patients: int = 0
    candidate_pairs: int = 0
    evaluated: int = 0
    distinct_evaluations: int = 0
    reused: int = 0
    failed: int = 0


_Evaluated = tuple[tuple[CriterionResult, ...], Verdict, int]


def match_all(
    index: TrialIndex,
    profiles: Iterable[PatientProfile],
    criteria_of: Mapping[str, Sequence[Criterion] | None],
    today: date,
    *,
    reuse: Callable[[PatientProfile, Trial], bool] | None = None,
    counts: EngineCounts | None = None,
) -> Iterator[PairOutcome]:
    counts = counts if counts is not None else EngineCounts()
    for profile in profiles:
        counts.patients += 1
        facts = prepare(profile)
        shared: dict[tuple[object, ...], _Evaluated] = {}
        for candidate in index.candidates(profile):
            counts.candidate_pairs += 1
            trial = candidate.trial
            if reuse is not None and reuse(profile, trial):
                counts.reused += 1
                yield PairOutcome(profile, candidate, None)
                continue
            try:
                result = _evaluate(
                    facts, candidate, criteria_of.get(trial.trial_id), today, shared, counts
                )
            except Exception as exc:  # one bad pair must not stop the run
                counts.failed += 1
                LOG.error("evaluating trial %s failed: %s", trial.trial_id, exc.__class__.__name__)
                continue
            counts.evaluated += 1
            yield PairOutcome(profile, candidate, result)


def _evaluate(
    facts: PatientFacts,
    candidate: Candidate,
    criteria: Sequence[Criterion] | None,
    today: date,
    shared: dict[tuple[object, ...], _Evaluated],
    counts: EngineCounts,
) -> MatchResult:
    trial = candidate.trial
    key = (id(criteria), trial.minimum_age_years, trial.maximum_age_years, trial.sex)
    evaluated = shared.get(key)
    if evaluated is None:
        counts.distinct_evaluations += 1
        evaluated = shared[key] = judge(facts, trial, criteria, today)
    results, verdict, unknowns = evaluated
    return MatchResult(
        patient_id=facts.profile.id,
        trial_id=trial.trial_id,
        verdict=verdict,
        score=score_of(verdict, unknowns, candidate.distance_km),
        distance_km=None if candidate.distance_km is None else round(candidate.distance_km, 1),
        criteria=results,
        site=candidate.site,
    )
