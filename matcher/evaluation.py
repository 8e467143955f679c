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
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from crawler.records import Trial
from matcher.facts import PatientFacts
from matcher.results import CriterionResult, MatchResult, Status, Verdict
from matcher.rules import CHILDBEARING_AGE_LIMIT, Answer, evaluate_age, evaluate_rule, evaluate_sex
from nlp_models.records import AgeRule, Criterion, GroupRule, SexRule

NOT_CONCERNED = "does not apply: "
NOT_PARSED = CriterionResult(
    id="criteria",
    kind="inclusion",
    text="Eligibility criteria (not parsed yet)",
    status="unknown",
    evidence="the trial's criteria have not been parsed",
    question="Review the trial's eligibility criteria with the patient",
)


def evaluate_criteria(
    criteria: Sequence[Criterion], facts: PatientFacts, today: date
) -> list[CriterionResult]:
    by_id = {criterion.id: criterion for criterion in criteria}
    children: dict[str, list[Criterion]] = {}
    for criterion in criteria:
        if criterion.group is not None and criterion.group in by_id:
            children.setdefault(criterion.group, []).append(criterion)
    done: dict[str, CriterionResult] = {}

    def result_of(criterion: Criterion) -> CriterionResult:
        if criterion.id not in done:
            done[criterion.id] = _evaluate_one(criterion, children, result_of, facts, today)
        return done[criterion.id]

    results = [result_of(criterion) for criterion in criteria]
    return [_settled(result, done, by_id) for result in results]


def _settled(
    result: CriterionResult, done: dict[str, CriterionResult], by_id: dict[str, Criterion]
) -> CriterionResult:
    if result.group is None:
        return result
    if result.group not in by_id:  # a child whose parent is missing is judged on its own
        return CriterionResult(**{**vars(result), "group": None})
    parent = done[result.group]
    if parent.evidence.startswith(NOT_CONCERNED):
        # the group does not concern this patient: neither are its parts (no questions)
        return CriterionResult(
            **{
                **vars(result),
                "status": parent.status,
                "evidence": parent.evidence,
                "question": None,
            }
        )
    return result


def _top_level(result: CriterionResult) -> CriterionResult:
    if result.group is None:
        return result
    return CriterionResult(**{**vars(result), "group": None})


def _evaluate_one(
    criterion: Criterion,
    children: dict[str, list[Criterion]],
    result_of: Callable[[Criterion], CriterionResult],
    facts: PatientFacts,
    today: date,
) -> CriterionResult:
    rule = criterion.rule
    if rule is None:
        answer: Answer = ("not_evaluable", criterion.reason or "to be checked by a person")
    elif isinstance(rule, GroupRule):
        kids = [result_of(child) for child in children.get(criterion.id, [])]
        answer = _group(rule, criterion.kind, kids, facts)
    else:
        answer = evaluate_rule(rule, facts, today, criterion)
    status, evidence = answer
    return CriterionResult(
        id=criterion.id,
        kind=criterion.kind,
        text=criterion.text,
        status=status,
        evidence=evidence,
        category=criterion.category,
        group=criterion.group,
        question=_question(criterion.kind, criterion.text, status),
    )


def _group(rule: GroupRule, kind: str, kids: list[CriterionResult], facts: PatientFacts) -> Answer:
    trivially: Status = "met" if kind == "inclusion" else "not_met"
    outside = _outside_scope(rule, facts)
    if outside is not None:
        return trivially, f"{NOT_CONCERNED}{outside}"
    statuses = [kid.status for kid in kids if kid.status != "not_evaluable"]
    if not statuses:
        return "not_evaluable", "every part is checked by a person"
    combined = kleene_all(statuses) if rule.logic == "all" else kleene_any(statuses)
    evidence = "; ".join(f"{kid.id}: {kid.status}" for kid in kids)
    scope_unsure = rule.applies_to is not None and facts.profile.sex is None
    if scope_unsure and combined != trivially:
        return "unknown", evidence + "; sex not recorded, so it may not apply"
    return combined, evidence


def _outside_scope(rule: GroupRule, facts: PatientFacts) -> str | None:
    sex, age = facts.profile.sex, facts.profile.age
    if rule.applies_to in ("women_of_childbearing_potential", "female") and sex == "male":
        return "male"
    if rule.applies_to == "male" and sex == "female":
        return "female"
    is_wocbp_rule = rule.applies_to == "women_of_childbearing_potential"
    if is_wocbp_rule and sex == "female" and age is not None and age > CHILDBEARING_AGE_LIMIT:
        return f"age {age:g}, taken as not of childbearing potential"
    return None


def kleene_all(statuses: Sequence[str]) -> Status:
    if "not_met" in statuses:
        return "not_met"
    return "unknown" if "unknown" in statuses else "met"


def kleene_any(statuses: Sequence[str]) -> Status:
    if "met" in statuses:
        return "met"
    return "unknown" if "unknown" in statuses else "not_met"


def _question(kind: str, text: str, status: str) -> str | None:
    if status == "unknown":
        prefix = "Ask: does the patient meet" if kind == "inclusion" else "Ask: does this apply"
        return f"{prefix} — “{text}”?"
    if status == "not_evaluable":
        prefix = "Verify" if kind == "inclusion" else "Verify it does not apply"
        return f"{prefix}: “{text}”"
    return None


def structured_checks(trial: Trial, facts: PatientFacts) -> list[CriterionResult]:
    """The registry's age range and sex, as implicit inclusion criteria."""
    checks = []
    low, high = trial.minimum_age_years, trial.maximum_age_years
    if low is not None or high is not None:
        status, evidence = evaluate_age(AgeRule(min=low, max=high), facts)
        text = f"Age {_age_range(low, high)} (registry)"
        checks.append(_implicit("registry-age", "age", text, status, evidence))
    if trial.sex in ("FEMALE", "MALE"):
        status, evidence = evaluate_sex(SexRule(allowed=(trial.sex.lower(),)), facts)
        text = f"Sex: {trial.sex.lower()} only (registry)"
        checks.append(_implicit("registry-sex", "sex", text, status, evidence))
    return checks


def _age_range(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{low:g} to {high:g} years"
    return f"at least {low:g} years" if low is not None else f"at most {high:g} years"


def _implicit(
    identifier: str, category: str, text: str, status: Status, evidence: str
) -> CriterionResult:
    return CriterionResult(
        id=identifier,
        kind="inclusion",
        text=text,
        status=status,
        evidence=evidence,
        category=category,
        question=_question("inclusion", text, status),
    )


def verdict_of(results: Sequence[CriterionResult]) -> Verdict:
    top = [item for item in results if item.group is None]
    if any(item.failed for item in top):
        return "ineligible"
    if all(item.favourable or item.status == "not_evaluable" for item in top):
        return "eligible"
    return "possible"


def score_of(verdict: Verdict, unknowns: int, distance_km: float | None) -> float:
    """Eligible in [0.7, 1], possible in [0.3, 0.56], ineligible 0."""
    if verdict == "ineligible":
        return 0.0
    nearness = 0.0 if distance_km is None else 1.0 / (1.0 + distance_km / 50.0)
    if verdict == "eligible":
        return round(0.7 + 0.29 + 0.01 * nearness, 4)
    return round(0.3 + 0.25 / (1 + unknowns) + 0.001 * nearness, 4)


def judge(
    facts: PatientFacts, trial: Trial, criteria: Sequence[Criterion] | None, today: date
) -> tuple[tuple[CriterionResult, ...], Verdict, int]:
    """Every criterion's result (registry checks first), the verdict, the unknown count.

    *criteria* None means the trial's criteria are not parsed yet: the pair
    is at best ``possible``.
    """
    results = structured_checks(trial, facts)
    if criteria is None:
        results.append(NOT_PARSED)
    else:
        results.extend(evaluate_criteria(criteria, facts, today))
    unknowns = sum(1 for item in results if item.status == "unknown" and item.group is None)
    return tuple(results), verdict_of(results), unknowns


def match_pair(
    facts: PatientFacts,
    trial: Trial,
    criteria: Sequence[Criterion] | None,
    today: date,
    distance_km: float | None = None,
    site: str | None = None,
) -> MatchResult:
    """The verdict, score and per-criterion evidence of one (patient, trial) pair."""
    results, verdict, unknowns = judge(facts, trial, criteria, today)
    return MatchResult(
        patient_id=facts.profile.id,
        trial_id=trial.trial_id,
        verdict=verdict,
        score=score_of(verdict, unknowns, distance_km),
        distance_km=None if distance_km is None else round(distance_km, 1),
        criteria=results,
        site=site,
    )
