"""A coordinator's answers to open questions, taken as the status of their criteria.

An answer says whether the criterion's fact holds for the patient, as a
status does (`met` means the fact holds, for an exclusion too): *yes* is
``met``, *no* ``not_met``, and *not applicable* whatever lets the patient
through (``met`` for an inclusion, ``not_met`` for an exclusion). The
answer replaces the matcher's own status and is shown as the evidence;
groups are then combined again from their parts, so an answer to one part
can settle the group. An answer applies only while the criterion with its
id still has the text it was given for: a changed criterion asks again.
The registry's implicit checks (``registry-age`` …) are answered the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from matcher.candidates import Candidate, TrialIndex
from matcher.evaluation import Evaluation, evaluate_pair, score_of
from matcher.facts import PatientFacts, prepare
from matcher.plan import CriteriaPlan, PatientMemo
from matcher.relevance import required_conditions
from matcher.rules import Answer
from trialmatch.core.criteria import Criterion
from trialmatch.core.match import MatchResult, Status
from trialmatch.core.patient import (
    ConditionFact,
    Location,
    MedicationFact,
    ObservationFact,
    PatientProfile,
)
from trialmatch.core.review import QuestionAnswer
from trialmatch.core.rules import ConditionRule, GroupRule, MedicationRule
from trialmatch.core.trial import Site, Trial

Answers = Mapping[str, QuestionAnswer]  # by criterion id


def answered(kind: str, given: QuestionAnswer) -> Answer:
    """The status and evidence an answer gives a criterion of *kind*."""
    status: Status
    if given.value == "yes":
        status = "met"
    elif given.value == "no":
        status = "not_met"
    else:
        status = "met" if kind == "inclusion" else "not_met"
    who = f" ({given.by}, {given.at[:10]})" if given.by else ""
    return status, f"answered by the coordinator: {given.label}{who}"


def with_answers(evaluation: Evaluation, facts: PatientFacts, answers: Answers) -> Evaluation:
    """The evaluation with the answers taken as statuses, groups combined again."""
    if not answers:
        return evaluation
    plan = evaluation.plan
    statuses = list(evaluation.answers)
    if plan is not None:
        _override(plan, statuses, answers, groups=False)
        plan.settle_groups(statuses, facts)
        _override(plan, statuses, answers, groups=True)
    checks = []
    for identifier, category, text, answer in evaluation.checks:
        given = answers.get(identifier)
        if given is not None and given.applies_to(identifier, text):
            answer = answered("inclusion", given)
        checks.append((identifier, category, text, answer))
    return Evaluation(plan, statuses, checks)


def _override(
    plan: CriteriaPlan, statuses: list[Answer], answers: Answers, *, groups: bool
) -> None:
    for position, criterion in enumerate(plan.criteria):
        given = answers.get(criterion.id)
        if given is None or not given.applies_to(criterion.id, criterion.text):
            continue
        if isinstance(criterion.rule, GroupRule) == groups:
            statuses[position] = answered(criterion.kind, given)


def evaluate_answered(
    memo: PatientMemo, trial: Trial, plan: CriteriaPlan | None, answers: Answers
) -> Evaluation:
    """`evaluation.evaluate_pair` with the pair's answers applied."""
    return with_answers(evaluate_pair(memo, trial, plan), memo.facts, answers)


def review_pair(
    profile: PatientProfile,
    trial: Trial,
    criteria: Sequence[Criterion] | None,
    today: date,
    answers: Answers,
    *,
    distance_km: float | None,
    site: str | None,
) -> MatchResult:
    """One pair evaluated on the spot, with its answers, as the match step would.

    The trial's relevance to the patient (part of the score) is what candidate
    retrieval gives; a pair it no longer retrieves keeps the lowest relevance.
    """
    facts = prepare(profile)
    plan = None if criteria is None else CriteriaPlan(criteria)
    evaluation = evaluate_answered(PatientMemo(facts, today), trial, plan, answers)
    candidate = _candidate(profile, trial, criteria)
    relevance = 0.0 if candidate is None else candidate.relevance
    return MatchResult(
        patient_id=profile.id,
        trial_id=trial.trial_id,
        verdict=evaluation.verdict,
        score=score_of(evaluation.verdict, evaluation.unknowns, distance_km, relevance),
        distance_km=distance_km,
        criteria=evaluation.criteria(),
        site=site,
    )


def _candidate(
    profile: PatientProfile, trial: Trial, criteria: Sequence[Criterion] | None
) -> Candidate | None:
    index = TrialIndex([trial], {trial.trial_id: required_conditions(criteria or ())})
    found = index.candidates(profile)
    return found[0] if found else None


def warm_up() -> None:
    """Evaluate a made-up pair once, so that the knowledge tables the matcher loads on
    first use are loaded before the first page asks (a server calls this at start)."""
    condition = "type 2 diabetes mellitus"
    profile = PatientProfile(
        id="WARM-UP",
        age=50,
        sex="female",
        conditions=(ConditionFact(condition),),
        medications=(MedicationFact("metformin", 1000, "mg/day"),),
        observations=(ObservationFact("HbA1c", 7.5, "%"),),
        location=Location(45.76, 4.84),
    )
    trial = Trial(
        registry="ctgov",
        trial_id="WARM-UP",
        source_url="http://127.0.0.1/",
        overall_status="RECRUITING",
        conditions=(condition,),
        minimum_age_years=18,
        sites=(Site(facility="site", city="Lyon", latitude=45.75, longitude=4.85),),
    )
    criteria = [
        Criterion(
            "I1", "inclusion", condition, 0, 24, "condition", rule=ConditionRule((condition,))
        ),
        Criterion(
            "E1", "exclusion", "insulin", 25, 32, "medication", rule=MedicationRule(("insulin",))
        ),
    ]
    review_pair(profile, trial, criteria, date.today(), {}, distance_km=1.0, site="site")
