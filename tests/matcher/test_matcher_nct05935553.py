"""NCT05935553 against profiles that pass or fail one criterion at a time.

Runs on the hand-written criteria (`conftest.hand_written_criteria`) and,
once the parser exists, on the criteria `nlp_models.parse_eligibility` gives
for the registry text (the end-to-end path of the acceptance test).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from matcher.evaluation import match_pair
from matcher.facts import prepare
from matcher.loaders import read_profile
from trialmatch.core.criteria import Criterion
from trialmatch.core.match import MatchResult
from trialmatch.core.trial import Trial

TODAY = date(2026, 11, 24)


def _med(text: str, dose: float | None = None, since: str | None = "2021-01") -> dict[str, Any]:
    item: dict[str, Any] = {"text": text}
    if dose is not None:
        item.update(dose=dose, unit="mg/day")
    if since is not None:
        item["since"] = since
    return item


def _condition(text: str, **extra: Any) -> dict[str, Any]:
    return {"text": text, **extra}


BUD = _condition("benzodiazepine use disorder")
LORAZEPAM_6 = _med("lorazepam", 6)

CASES: list[tuple[str, dict[str, Any], str]] = [
    ("baseline", {}, "eligible"),
    ("age-17", {"age": 17}, "ineligible"),
    ("age-18", {"age": 18}, "eligible"),
    ("age-65", {"age": 65}, "eligible"),
    ("age-66", {"age": 66}, "ineligible"),
    ("age-missing", {"age": None}, "possible"),
    ("dose-40-below", {"medications": [_med("lorazepam", 4)]}, "ineligible"),
    ("dose-50-lower-bound", {"medications": [_med("lorazepam", 5)]}, "eligible"),
    ("dose-200-upper-bound", {"medications": [_med("diazepam", 200)]}, "eligible"),
    ("dose-210-above", {"medications": [_med("lorazepam", 21)]}, "ineligible"),
    ("dose-brand-xanax", {"medications": [_med("Xanax", 3)]}, "eligible"),
    ("dose-unknown", {"medications": [_med("lorazepam")]}, "possible"),
    (
        "z-drug-summed-reaches-range",
        {"medications": [_med("lorazepam", 4), _med("zolpidem", 20)]},
        "eligible",
    ),
    (
        "z-drug-summed-exceeds-range",
        {"medications": [_med("clonazepam", 9), _med("zopiclone", 45)]},
        "ineligible",
    ),
    ("no-benzodiazepine", {"medications": []}, "ineligible"),
    ("medications-missing", {"medications": None}, "possible"),
    ("started-3-weeks-ago", {"medications": [_med("lorazepam", 6, "2026-11-01")]}, "ineligible"),
    ("start-date-missing", {"medications": [_med("lorazepam", 6, None)]}, "possible"),
    (
        "antipsychotic-quetiapine",
        {"medications": [LORAZEPAM_6, _med("quetiapine", 100)]},
        "ineligible",
    ),
    (
        "antipsychotic-brand-seroquel",
        {"medications": [LORAZEPAM_6, _med("Seroquel", 50)]},
        "ineligible",
    ),
    (
        "tricyclic-amitriptyline",
        {"medications": [LORAZEPAM_6, _med("amitriptyline", 25)]},
        "ineligible",
    ),
    ("named-pregabalin", {"medications": [LORAZEPAM_6, _med("pregabalin", 150)]}, "ineligible"),
    ("named-paroxetine", {"medications": [LORAZEPAM_6, _med("paroxetine", 20)]}, "ineligible"),
    (
        "named-valproate",
        {"medications": [LORAZEPAM_6, _med("sodium valproate", 500)]},
        "ineligible",
    ),
    ("allowed-sertraline", {"medications": [LORAZEPAM_6, _med("sertraline", 50)]}, "eligible"),
    ("no-bud", {"conditions": []}, "ineligible"),
    ("conditions-missing", {"conditions": None}, "possible"),
    ("bud-as-icd-code-only", {"conditions": [{"code": "F13.20", "system": "icd10cm"}]}, "eligible"),
    ("bud-as-dependence", {"conditions": [_condition("Benzodiazepine dependence")]}, "eligible"),
    ("cirrhosis", {"conditions": [BUD, _condition("liver cirrhosis")]}, "ineligible"),
    ("cancer", {"conditions": [BUD, _condition("breast cancer")]}, "ineligible"),
    ("hiv-code", {"conditions": [BUD, {"code": "B20", "system": "icd10cm"}]}, "ineligible"),
    ("epilepsy", {"conditions": [BUD, _condition("epilepsy")]}, "ineligible"),
    ("renal-failure", {"conditions": [BUD, _condition("chronic renal failure")]}, "ineligible"),
    ("schizophrenia", {"conditions": [BUD, _condition("schizophrenia")]}, "ineligible"),
    ("bipolar", {"conditions": [BUD, _condition("bipolar disorder")]}, "ineligible"),
    ("autism", {"conditions": [BUD, _condition("autism spectrum disorder")]}, "ineligible"),
    ("suicidal", {"conditions": [BUD, _condition("suicidal state")]}, "ineligible"),
    ("alcohol-dependence", {"conditions": [BUD, _condition("alcohol use disorder")]}, "ineligible"),
    ("opioid-dependence", {"conditions": [BUD, _condition("opioid dependence")]}, "ineligible"),
    ("nicotine-excepted", {"conditions": [BUD, _condition("nicotine dependence")]}, "eligible"),
    ("tobacco-excepted", {"conditions": [BUD, _condition("tobacco use disorder")]}, "eligible"),
    (
        "past-cancer-not-active",
        {"conditions": [BUD, _condition("breast cancer", active=False)]},
        "eligible",
    ),
    ("pregnant", {"pregnant": True}, "ineligible"),
    ("pregnancy-missing", {"pregnant": None}, "possible"),
    ("lactating", {"lactating": True}, "ineligible"),
    ("male", {"sex": "male", "pregnant": None}, "eligible"),
    ("past-baclofen", {"past_medications": [{"text": "baclofen", "until": "2018"}]}, "ineligible"),
    ("current-baclofen", {"medications": [LORAZEPAM_6, _med("baclofen", 30)]}, "ineligible"),
    ("past-medications-missing", {"past_medications": None}, "possible"),
    (
        "past-other-drug",
        {"past_medications": [{"text": "sertraline", "until": "2020"}]},
        "eligible",
    ),
    ("baclofen-allergy", {"allergies": [{"text": "baclofen"}]}, "ineligible"),
    (
        "baclofen-hypersensitivity-as-condition",
        {"conditions": [BUD, _condition("Hypersensitivity to baclofen")]},
        "ineligible",
    ),
    ("other-allergy", {"allergies": [{"text": "penicillin"}]}, "eligible"),
]


def _match(trial: Trial, criteria: list[Criterion], data: dict[str, Any]) -> MatchResult:
    return match_pair(prepare(read_profile(data)), trial, criteria, TODAY, 3.0, "Lyon")


@pytest.mark.parametrize(("changes", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_verdict(
    example_trial: Trial,
    nct_criteria: list[Criterion],
    baseline: Callable[..., dict[str, Any]],
    changes: dict[str, Any],
    expected: str,
) -> None:
    result = _match(example_trial, nct_criteria, baseline(**changes))
    assert result.verdict == expected, [(c.id, c.status, c.evidence) for c in result.criteria]


def test_failing_criterion_is_named_with_evidence(
    example_trial: Trial, criteria: list[Criterion], baseline: Callable[..., dict[str, Any]]
) -> None:
    changes = {"medications": [LORAZEPAM_6, _med("quetiapine", 100)]}
    result = _match(example_trial, criteria, baseline(**changes))
    assert [reason.id for reason in result.reasons] == ["E7"]
    assert "quetiapine" in result.reasons[0].evidence


def test_summed_dose_evidence(
    example_trial: Trial, criteria: list[Criterion], baseline: Callable[..., dict[str, Any]]
) -> None:
    changes = {"medications": [_med("lorazepam", 4), _med("zolpidem", 20)]}
    result = _match(example_trial, criteria, baseline(**changes))
    dose = next(item for item in result.criteria if item.id == "I4")
    assert dose.status == "met"
    assert "total 50 mg/day diazepam-equivalent" in dose.evidence


def test_checklist_holds_unknowns_and_not_evaluables(
    example_trial: Trial, criteria: list[Criterion], baseline: Callable[..., dict[str, Any]]
) -> None:
    result = _match(example_trial, criteria, baseline(pregnant=None))
    asked = {item.id: item.status for item in result.checklist}
    assert asked["E8"] == "unknown"
    assert asked["I6"] == "not_evaluable"
    assert all(item.question for item in result.checklist)


def test_scores_rank_eligible_then_fewer_unknowns(
    example_trial: Trial, criteria: list[Criterion], baseline: Callable[..., dict[str, Any]]
) -> None:
    eligible = _match(example_trial, criteria, baseline())
    one_unknown = _match(example_trial, criteria, baseline(pregnant=None))
    two_unknowns = _match(example_trial, criteria, baseline(pregnant=None, conditions=None))
    assert eligible.score > one_unknown.score > two_unknowns.score > 0
