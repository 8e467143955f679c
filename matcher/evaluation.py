"""Criteria of one trial against one patient: statuses, groups, verdict and score.

* A criterion without a rule is ``not_evaluable``: it goes on the checklist
  and does not block ``eligible``.
* A `GroupRule` parent combines its children (same ``group`` id) with Kleene
  AND ("all") or OR ("any"); ``not_evaluable`` children are left out of the
  combination. ``applies_to`` narrows the group: a man, or a woman over
  `CHILDBEARING_AGE_LIMIT` for "women of childbearing potential", satisfies it
  trivially; when sex is unknown a group that fails becomes unknown.
* Verdict: ``ineligible`` when a top-level inclusion criterion is not met or
  an exclusion criterion is met; ``eligible`` when every evaluable top-level
  criterion is favourable; ``possible`` otherwise. The registry's structured
  age range and sex are checked as implicit inclusion criteria.
* Score in 0..1: eligible above possible above ineligible (0), then fewer
  unknowns, then the nearer site.

The work is done by `matcher.plan` (criteria compiled once per trial, rule
answers memoised per patient); `evaluate_pair` is what the engine calls,
`evaluate_criteria`, `judge` and `match_pair` the same for a single pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cache

from matcher.facts import PatientFacts
from matcher.plan import (
    NOT_CONCERNED,
    STATUS_CODES,
    CriteriaPlan,
    PatientMemo,
    kleene_all,
    kleene_any,
    question_for,
    tally,
)
from matcher.relevance import study_population, takes_healthy
from matcher.rules import Answer
from trialmatch.core.criteria import Category, Criterion
from trialmatch.core.match import CriterionResult, MatchResult, Verdict
from trialmatch.core.patient import Sex
from trialmatch.core.trial import Trial

__all__ = [
    "NOT_CONCERNED",
    "NOT_PARSED",
    "Evaluation",
    "evaluate_criteria",
    "evaluate_pair",
    "judge",
    "kleene_all",
    "kleene_any",
    "match_pair",
    "score_of",
    "structured_checks",
    "verdict_of",
]

NOT_PARSED = CriterionResult(
    id="criteria",
    kind="inclusion",
    text="Eligibility criteria (not parsed yet)",
    status="unknown",
    evidence="the trial's criteria have not been parsed",
    question="Review the trial's eligibility criteria with the patient",
)

# an implicit registry check: id, category, text, answer
_Check = tuple[str, Category, str, Answer]


class Evaluation:
    """One pair's statuses, verdict and unknown count; its records built on demand."""

    __slots__ = ("answers", "checks", "plan", "unknowns", "verdict")

    def __init__(
        self, plan: CriteriaPlan | None, answers: list[Answer], checks: list[_Check]
    ) -> None:
        self.plan = plan
        self.answers = answers
        self.checks = checks
        self.verdict: Verdict
        self.verdict, self.unknowns = tally(plan, answers, [check[3] for check in checks])

    def criteria(self) -> tuple[CriterionResult, ...]:
        results = [_implicit(*check) for check in self.checks]
        if self.plan is None:
            results.append(NOT_PARSED)
        else:
            results.extend(self.plan.results(self.answers))
        return tuple(results)

    def status_codes(self) -> str:
        """Every result's status as a letter, in the order of `criteria` (what is stored)."""
        codes = "".join(STATUS_CODES[check[3][0]] for check in self.checks)
        if self.plan is None:
            return codes + STATUS_CODES[NOT_PARSED.status]
        return codes + self.plan.status_codes(self.answers)

    def failed_ids(self) -> list[str]:
        failed = [check[0] for check in self.checks if check[3][0] == "not_met"]
        if self.plan is not None:
            failed.extend(self.plan.failed_ids(self.answers))
        return failed

    def reasons(self) -> list[CriterionResult]:
        failing = [_implicit(*check) for check in self.checks if check[3][0] == "not_met"]
        if self.plan is not None:
            failing.extend(self.plan.reasons(self.answers))
        return failing


def evaluate_pair(memo: PatientMemo, trial: Trial, plan: CriteriaPlan | None) -> Evaluation:
    """The pair of *memo*'s patient and *trial*; *plan* None: criteria not parsed yet."""
    topics = None if trial.healthy_volunteers else study_population(trial.conditions)
    answers = [] if plan is None else plan.answers(memo, topics)
    return Evaluation(plan, answers, _registry_checks(trial, memo))


def _registry_checks(trial: Trial, memo: PatientMemo) -> list[_Check]:
    checks: list[_Check] = []
    low, high = trial.minimum_age_years, trial.maximum_age_years
    if low is not None or high is not None:
        checks.append(("registry-age", "age", _age_text(low, high), memo.registry_age(low, high)))
    sex = _REGISTRY_SEXES.get(trial.sex)
    if sex is not None:
        checks.append(("registry-sex", "sex", _sex_text(sex), memo.registry_sex(sex)))
    checks.append(_population_check(trial, memo))
    return checks


def _population_check(trial: Trial, memo: PatientMemo) -> _Check:
    """The registry's conditions as an implicit inclusion: the patient has one of them.

    A study that takes healthy volunteers is met by a patient recorded with no
    condition; one that names no disease cannot say whether it is for the
    patient: both are asked about rather than assumed.
    """
    topics = study_population(trial.conditions)
    healthy = takes_healthy(trial)
    if topics is not None:
        answer = memo.registry_population(topics)
        text = _population_text(tuple(topic.text for topic in topics), healthy)
        if answer[0] != "met" and healthy:
            answer = memo.registry_healthy()
    elif healthy:
        text, answer = "Healthy volunteers (registry)", memo.registry_healthy()
    else:
        text = "The study names no condition (registry)"
        answer = ("unknown", "the study names no condition: ask whether it is for the patient")
    return ("registry-conditions", "condition", text, answer)


@cache
def _population_text(conditions: tuple[str, ...], healthy: bool) -> str:
    also = ", or is a healthy volunteer" if healthy else ""
    return f"Has one of the study's conditions: {', '.join(conditions)}{also} (registry)"


@cache
def _age_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"Age {low:g} to {high:g} years (registry)"
    if low is not None:
        return f"Age {low:g} years or older (registry)"
    return f"Age up to {high:g} years (registry)"


_REGISTRY_SEXES: dict[str, Sex] = {"FEMALE": "female", "MALE": "male"}


@cache
def _sex_text(sex: str) -> str:
    return f"Sex: {sex} only (registry)"


def _implicit(identifier: str, category: Category, text: str, answer: Answer) -> CriterionResult:
    status, evidence = answer
    return CriterionResult(
        id=identifier,
        kind="inclusion",
        text=text,
        status=status,
        evidence=evidence,
        category=category,
        question=question_for("inclusion", text, status),
    )


def structured_checks(trial: Trial, facts: PatientFacts) -> list[CriterionResult]:
    """The registry's age range and sex, as implicit inclusion criteria."""
    memo = PatientMemo(facts, date.today())
    return [_implicit(*check) for check in _registry_checks(trial, memo)]


def evaluate_criteria(
    criteria: Sequence[Criterion],
    facts: PatientFacts,
    today: date,
    conditions: tuple[str, ...] = (),
) -> list[CriterionResult]:
    """The criteria's results for one patient; *conditions*: the study's registry conditions."""
    plan = CriteriaPlan(criteria)
    return plan.results(plan.answers(PatientMemo(facts, today), study_population(conditions)))


def verdict_of(results: Sequence[CriterionResult]) -> Verdict:
    top = [item for item in results if item.group is None]
    if any(item.failed for item in top):
        return "ineligible"
    if all(item.favourable or item.status == "not_evaluable" for item in top):
        return "eligible"
    return "possible"


def score_of(
    verdict: Verdict, unknowns: int, distance_km: float | None, relevance: float = 1.0
) -> float:
    """Eligible in [0.7, 1], possible in [0.3, 0.6], ineligible 0.

    Within a verdict: the trial about the patient's main problem first
    (*relevance*, `matcher.relevance`), then fewer open questions, then the
    nearer site.
    """
    if verdict == "ineligible":
        return 0.0
    nearness = 0.0 if distance_km is None else 1.0 / (1.0 + distance_km / 50.0)
    if verdict == "eligible":
        return round(0.7 + 0.28 * relevance + 0.01 * nearness, 4)
    return round(0.3 + 0.28 * relevance + 0.01 / (1 + unknowns) + 0.005 * nearness, 4)


def judge(
    facts: PatientFacts, trial: Trial, criteria: Sequence[Criterion] | None, today: date
) -> tuple[tuple[CriterionResult, ...], Verdict, int]:
    """Every criterion's result (registry checks first), the verdict, the unknown count.

    *criteria* None means the trial's criteria are not parsed yet: the pair
    is at best ``possible``.
    """
    plan = None if criteria is None else CriteriaPlan(criteria)
    evaluation = evaluate_pair(PatientMemo(facts, today), trial, plan)
    return evaluation.criteria(), evaluation.verdict, evaluation.unknowns


def match_pair(
    facts: PatientFacts,
    trial: Trial,
    criteria: Sequence[Criterion] | None,
    today: date,
    distance_km: float | None = None,
    site: str | None = None,
    relevance: float = 1.0,
) -> MatchResult:
    """The verdict, score and per-criterion evidence of one (patient, trial) pair; the
    site and its distance are kept only for a pair that is listed (not ineligible)."""
    results, verdict, unknowns = judge(facts, trial, criteria, today)
    if verdict == "ineligible":
        distance_km, site = None, None
    return MatchResult(
        patient_id=facts.profile.id,
        trial_id=trial.trial_id,
        verdict=verdict,
        score=score_of(verdict, unknowns, distance_km, relevance),
        distance_km=None if distance_km is None else round(distance_km, 1),
        criteria=results,
        site=site,
    )
