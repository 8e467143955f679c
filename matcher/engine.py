"""Matching many patients against the trial index: the loop the match step and bench share.

For each patient: its facts are prepared once, candidates are retrieved, and
each candidate pair is evaluated unless *reuse* says its stored result still
holds. Evaluation goes through `matcher.plan`: each trial's criteria are
compiled once, and a rule's answer is computed once per patient however many
trials state an equal rule (``rule_memo=False`` turns that off, to measure the
worst case of trials that share no rule). The per-criterion records of a
result are built when first read (`DeferredMatchResult`).

A pair a coordinator has answered questions of (*answers*, by pair) is
always evaluated again, with its answers (`matcher.answers`), never reused
nor shared with another trial.

Trials that share the very same criteria list object (copies of one registry
text parsed once) and structured fields also share one evaluation per
patient; only distance and score differ between them. That is correct for
any input (an identical list gives identical answers) but only copies profit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from matcher.answers import Answers, evaluate_answered
from matcher.candidates import Candidate, TrialIndex
from matcher.evaluation import Evaluation, evaluate_pair, score_of
from matcher.facts import prepare
from matcher.plan import CriteriaPlan, PatientMemo
from trialmatch.core.criteria import Criterion
from trialmatch.core.errors import kind_and_place
from trialmatch.core.match import DeferredMatchResult, MatchResult
from trialmatch.core.patient import PatientProfile
from trialmatch.core.trial import Trial

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class PairOutcome:
    profile: PatientProfile
    candidate: Candidate
    result: MatchResult | None  # None: the stored result still holds (not re-evaluated)
    evaluation: Evaluation | None = None  # the statuses behind *result*


@dataclass(frozen=True)
class EvaluationFailure:
    """A pair that raised, recorded by kind and position: never the message, nor the
    patient's pseudonym (a message can quote a fact, and logs outlive the profile)."""

    kind: str  # the exception's class and the line that raised it
    patient_position: int  # the patient's place in this run's order, from 1
    trial_id: str

    def describe(self) -> str:
        return f"{self.kind}, patient #{self.patient_position} of the run, trial {self.trial_id}"


@dataclass
class EngineCounts:
    patients: int = 0
    candidate_pairs: int = 0
    evaluated: int = 0
    distinct_evaluations: int = 0
    rule_evaluations: int = 0  # rules actually evaluated, after the per-patient memo
    reused: int = 0
    failed: int = 0
    failures: list[EvaluationFailure] = field(default_factory=list)


class Engine:
    """Evaluates patients one at a time against the index, keeping what outlives a patient:
    each criteria list compiled once per run, by identity (*criteria_of* keeps them alive)."""

    def __init__(
        self,
        index: TrialIndex,
        criteria_of: Mapping[str, Sequence[Criterion] | None],
        today: date,
        *,
        counts: EngineCounts | None = None,
        rule_memo: bool = True,
    ) -> None:
        self.index = index
        self.criteria_of = criteria_of
        self.today = today
        self.counts = counts if counts is not None else EngineCounts()
        self.rule_memo = rule_memo
        self._plans: dict[int, CriteriaPlan] = {}

    def match(
        self,
        profile: PatientProfile,
        reuse: Callable[[PatientProfile, Trial], bool] | None = None,
        answers: Mapping[str, Answers] | None = None,
    ) -> Iterator[PairOutcome]:
        """Every candidate pair of *profile*; *reuse* says which stored results still hold;
        *answers*: the coordinator's answers for the patient, by trial id. A pair with
        answers is always evaluated again, with them, and shares no evaluation."""
        counts = self.counts
        counts.patients += 1
        memo = PatientMemo(prepare(profile), self.today, enabled=self.rule_memo)
        shared: dict[tuple[object, ...], Evaluation] = {}
        for candidate in self.index.candidates(profile):
            counts.candidate_pairs += 1
            trial = candidate.trial
            given = answers.get(trial.trial_id) if answers else None
            if reuse is not None and not given and reuse(profile, trial):
                counts.reused += 1
                yield PairOutcome(profile, candidate, None)
                continue
            try:
                criteria = self.criteria_of.get(trial.trial_id)
                plan = None if criteria is None else _plan(self._plans, criteria)
                result, evaluation = _evaluate(memo, candidate, plan, shared, counts, given)
            except Exception as exc:  # one bad pair must not stop the run
                counts.failed += 1
                failure = EvaluationFailure(kind_and_place(exc), counts.patients, trial.trial_id)
                counts.failures.append(failure)
                LOG.error("evaluating a pair failed: %s", failure.describe())
                continue
            counts.evaluated += 1
            yield PairOutcome(profile, candidate, result, evaluation)
        counts.rule_evaluations += memo.evaluated


def match_all(
    index: TrialIndex,
    profiles: Iterable[PatientProfile],
    criteria_of: Mapping[str, Sequence[Criterion] | None],
    today: date,
    *,
    reuse: Callable[[PatientProfile, Trial], bool] | None = None,
    counts: EngineCounts | None = None,
    rule_memo: bool = True,
    answers: Mapping[tuple[str, str], Answers] | None = None,
) -> Iterator[PairOutcome]:
    engine = Engine(index, criteria_of, today, counts=counts, rule_memo=rule_memo)
    by_patient = answers_by_patient(answers or {})
    for profile in profiles:
        yield from engine.match(profile, reuse, by_patient.get(profile.id))


def answers_by_patient(
    answers: Mapping[tuple[str, str], Answers],
) -> dict[str, dict[str, Answers]]:
    """Answers by (patient, trial) regrouped by patient, then trial."""
    grouped: dict[str, dict[str, Answers]] = {}
    for (patient_id, trial_id), given in answers.items():
        grouped.setdefault(patient_id, {})[trial_id] = given
    return grouped


def _plan(plans: dict[int, CriteriaPlan], criteria: Sequence[Criterion]) -> CriteriaPlan:
    plan = plans.get(id(criteria))
    if plan is None:
        plan = plans[id(criteria)] = CriteriaPlan(criteria)
    return plan


def _evaluate(
    memo: PatientMemo,
    candidate: Candidate,
    plan: CriteriaPlan | None,
    shared: dict[tuple[object, ...], Evaluation],
    counts: EngineCounts,
    given: Answers | None = None,
) -> tuple[MatchResult, Evaluation]:
    trial = candidate.trial
    key = (
        id(plan),
        trial.minimum_age_years,
        trial.maximum_age_years,
        trial.sex,
        trial.conditions,
        trial.healthy_volunteers,
    )
    evaluation = None if given else shared.get(key)
    if given:
        counts.distinct_evaluations += 1
        evaluation = evaluate_answered(memo, trial, plan, given)
    elif evaluation is None:
        counts.distinct_evaluations += 1
        evaluation = shared[key] = evaluate_pair(memo, trial, plan)
    # the nearest site only for a pair that is listed: most candidates are not
    listed = evaluation.verdict != "ineligible"
    distance = candidate.distance_km if listed else None
    result = DeferredMatchResult.create(
        patient_id=memo.facts.profile.id,
        trial_id=trial.trial_id,
        verdict=evaluation.verdict,
        score=score_of(evaluation.verdict, evaluation.unknowns, distance, candidate.relevance),
        distance_km=None if distance is None else round(distance, 1),
        site=candidate.site if listed else None,
        builder=evaluation,
    )
    return result, evaluation
