"""Criteria that state several checks: one child criterion per check under a group.

"ALT and AST ≤ 2.5 x ULN" used to keep only AST; "age outside the range of
18 to 65 years" in an exclusion section used to exclude everyone inside it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from matcher.evaluation import evaluate_criteria, verdict_of
from matcher.facts import prepare
from matcher.loaders import read_profile
from trialmatch.core.criteria import Criterion, criteria_from_document, criteria_to_document
from trialmatch.core.rules import AgeRule, GroupRule, MeasurementRule, PregnancyRule, SexRule

TODAY = date(2026, 11, 25)


def _parse(parse, text: str, kind: str = "inclusion") -> list[Criterion]:  # type: ignore[no-untyped-def]
    header = "Inclusion Criteria:" if kind == "inclusion" else "Exclusion Criteria:"
    return list(parse(f"{header}\n\n* {text}\n"))


def _children(criteria: list[Criterion], parent: str) -> list[Criterion]:
    return [criterion for criterion in criteria if criterion.group == parent]


def _statuses(criteria: list[Criterion], **profile: Any) -> dict[str, str]:
    facts = prepare(read_profile({"id": "P-1", **profile}))
    return {result.id: result.status for result in evaluate_criteria(criteria, facts, TODAY)}


def test_two_labs_sharing_one_threshold_get_a_rule_each(parse) -> None:  # type: ignore[no-untyped-def]
    criteria = _parse(parse, "ALT and AST ≤ 2.5 x ULN")
    parent, *children = criteria
    assert parent.rule == GroupRule(logic="all")
    assert parent.category == "measurement"
    assert {e.normalized for e in parent.entities if e.type == "measurement"} == {"alt", "ast"}
    assert [child.id for child in children] == ["I1.r1", "I1.r2"]
    assert [child.rule for child in children] == [
        MeasurementRule("alt", "<=", 2.5, "x ULN"),
        MeasurementRule("ast", "<=", 2.5, "x ULN"),
    ]
    text = "Inclusion Criteria:\n\n* ALT and AST ≤ 2.5 x ULN\n"
    for child in children:
        assert child.group == "I1" and child.kind == "inclusion"
        assert parent.start <= child.start < child.end <= parent.end
        assert text[child.start : child.end] == child.text
        assert child.entities == ()  # the parent keeps the entities: none is counted twice


@pytest.mark.parametrize(
    "written",
    [
        "ALT/AST < 3 x ULN",
        "AST (SGOT) and ALT (SGPT) < 3 x ULN",
        "Aspartate aminotransferase (AST) and alanine aminotransferase (ALT) < 3 x ULN",
    ],
)
def test_labs_written_as_a_pair(parse, written: str) -> None:  # type: ignore[no-untyped-def]
    criteria = _parse(parse, written)
    names = {c.rule.name for c in criteria if isinstance(c.rule, MeasurementRule)}
    assert names == {"alt", "ast"}
    assert all(not c.text.startswith(("(", ")")) and c.text[0] != " " for c in criteria)
    assert not any(")" in c.text[:4] for c in criteria)  # never "AST) and …"


def test_each_lab_keeps_its_own_threshold_and_unit(parse) -> None:  # type: ignore[no-untyped-def]
    text = "ANC ≥ 1500/mm3, platelets ≥ 100,000/mm3 and hemoglobin ≥ 9 g/dL"
    criteria = _parse(parse, text)
    assert criteria[0].rule == GroupRule(logic="all")
    rules = [c.rule for c in _children(criteria, "I1")]
    assert rules == [
        MeasurementRule("anc", ">=", 1500, "/mm3"),
        MeasurementRule("platelets", ">=", 100_000, "/mm3"),
        MeasurementRule("hemoglobin", ">=", 9, "g/dL"),
    ]
    assert [c.text for c in _children(criteria, "I1")] == [
        "ANC ≥ 1500/mm3",
        "platelets ≥ 100,000/mm3",
        "hemoglobin ≥ 9 g/dL",
    ]


def test_alternatives_in_an_inclusion_and_thresholds_in_an_exclusion_are_any(parse) -> None:  # type: ignore[no-untyped-def]
    either = _parse(parse, "Serum creatinine ≤ 1.5 mg/dL or creatinine clearance ≥ 60 mL/min")
    assert either[0].rule == GroupRule(logic="any")
    assert [c.rule.name for c in either[1:]] == ["creatinine", "creatinine_clearance"]  # type: ignore[union-attr]
    exclusion = _parse(parse, "AST and ALT > 3 x ULN", kind="exclusion")
    assert exclusion[0].rule == GroupRule(logic="any")  # each raised enzyme excludes alone


def test_one_lab_stays_one_criterion(parse) -> None:  # type: ignore[no-untyped-def]
    assert len(_parse(parse, "Hemoglobin ≥ 9 g/dL (≥ 5.6 mmol/L)")) == 1
    assert len(_parse(parse, "ECOG performance status 0, 1 or 2")) == 1


def test_labs_combine_as_the_criterion_says_when_matched(parse) -> None:  # type: ignore[no-untyped-def]
    criteria = _parse(parse, "ANC ≥ 1500/mm3 and platelets ≥ 100,000/mm3")

    def lab(name: str, value: float) -> dict[str, Any]:
        return {"text": name, "value": value, "unit": "/mm3", "date": "2026-11-20"}

    both = _statuses(criteria, observations=[lab("ANC", 2000), lab("platelets", 150_000)])
    assert both["I1"] == "met"
    low_platelets = _statuses(criteria, observations=[lab("ANC", 2000), lab("platelets", 50_000)])
    assert low_platelets["I1"] == "not_met"
    assert low_platelets["I1.r2"] == "not_met"


@pytest.mark.parametrize(
    ("text", "below", "above"),
    [
        ("Age outside the range of 18 to 65 years", AgeRule(max=18, max_inclusive=False),
         AgeRule(min=65, min_inclusive=False)),
        ("Age not between 18 and 65 years", AgeRule(max=18, max_inclusive=False),
         AgeRule(min=65, min_inclusive=False)),
        ("Younger than 18 or older than 75 years", AgeRule(max=18, max_inclusive=False),
         AgeRule(min=75, min_inclusive=False)),
        ("Age < 18 or > 70 years", AgeRule(max=18, max_inclusive=False),
         AgeRule(min=70, min_inclusive=False)),
    ],
)  # fmt: skip
def test_ages_outside_a_range(parse, text: str, below: AgeRule, above: AgeRule) -> None:  # type: ignore[no-untyped-def]
    criteria = _parse(parse, text, kind="exclusion")
    assert criteria[0].rule == GroupRule(logic="any")
    assert criteria[0].category == "age"
    assert [c.rule for c in criteria[1:]] == [below, above]
    assert _statuses(criteria, age=40)["E1"] == "not_met"
    assert _statuses(criteria, age=16)["E1"] == "met"
    assert _statuses(criteria, age=80)["E1"] == "met"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Age greater than to or equal 18 years at the time of signing informed consent",
         AgeRule(min=18)),
        ("Healthy adults under age 60", AgeRule(min=18, max=60, max_inclusive=False)),
        ("Children under 12 years", AgeRule(max=12, max_inclusive=False)),
        ("Aged over 18 years", AgeRule(min=18, min_inclusive=False)),
        ("At least 18 years old", AgeRule(min=18)),
    ],
)  # fmt: skip
def test_age_phrasings(parse, text: str, expected: AgeRule) -> None:  # type: ignore[no-untyped-def]
    assert _parse(parse, text)[0].rule == expected


def test_sex_and_age_in_one_inclusion(parse) -> None:  # type: ignore[no-untyped-def]
    criteria = _parse(parse, "Adult females 18 years old or older.")
    assert criteria[0].rule == GroupRule(logic="all")
    assert [c.rule for c in criteria[1:]] == [SexRule(allowed=("female",)), AgeRule(min=18)]
    assert _statuses(criteria, sex="male", age=30)["I1"] == "not_met"
    assert _statuses(criteria, sex="female", age=30)["I1"] == "met"
    assert _statuses(criteria, sex="female", age=16)["I1"] == "not_met"


def test_pregnancy_and_age_in_one_inclusion(parse) -> None:  # type: ignore[no-untyped-def]
    text = "Male, non-pregnant and non-lactating female subjects (20-65 years of age, inclusive)."
    criteria = _parse(parse, text)
    assert [c.rule for c in criteria[1:]] == [
        PregnancyRule(states=("pregnant", "lactating"), negated=True),
        AgeRule(min=20, max=65),
    ]


def test_a_parent_keeps_its_own_age_limit(parse) -> None:  # type: ignore[no-untyped-def]
    text = (
        "Inclusion Criteria:\n\n"
        "1. A man or woman, 20 years of age or above with type 2 diabetes who meets all the "
        "following criteria:\n"
        "   1. HbA1c < 9% at screening\n"
        "   2. Hepatic steatosis on MRI\n"
    )
    criteria = {c.id: c for c in parse(text)}
    assert criteria["I1"].rule == GroupRule(logic="all")
    assert criteria["I1.r1"].rule == AgeRule(min=20)
    assert criteria["I1.r1"].group == "I1"
    assert {"I1.1", "I1.2"} <= set(criteria)
    observations = [{"text": "HbA1c", "value": 7, "unit": "%", "date": "2026-11-01"}]
    young = _statuses(list(criteria.values()), age=19, observations=observations)
    assert young["I1"] == "not_met"


def test_male_or_female_is_no_male_only_group(parse) -> None:  # type: ignore[no-untyped-def]
    text = (
        "Inclusion Criteria:\n\n"
        "1. Male/female participants at least 18 years of age with bladder cancer:\n"
        "   1. Note: mixed histology is allowed\n"
    )
    parent = parse(text)[0]
    assert isinstance(parent.rule, GroupRule)
    assert parent.rule.applies_to is None


def test_split_criteria_survive_storage(parse) -> None:  # type: ignore[no-untyped-def]
    criteria = _parse(parse, "Age outside the range of 18 to 65 years", kind="exclusion")
    stored = criteria_to_document(criteria, "test")
    assert criteria_from_document(stored) == criteria
    assert verdict_of(evaluate_criteria(criteria, prepare(read_profile(
        {"id": "P-1", "age": 70})), TODAY)) == "ineligible"  # fmt: skip


def test_or_inside_a_comparator_is_no_alternative(parse) -> None:  # type: ignore[no-untyped-def]
    text = "Body mass index (BMI) from 18.5 to 25.0 and a body weight of 40.0 kg or over"
    criteria = _parse(parse, text)
    assert criteria[0].rule == GroupRule(logic="all")
    assert [c.rule.name for c in criteria[1:]] == ["bmi", "weight"]  # type: ignore[union-attr]
    assert criteria[1].text == "Body mass index (BMI) from 18.5 to 25.0"  # not "BMI) from …"


def test_numbers_of_a_formula_are_no_thresholds(parse) -> None:  # type: ignore[no-untyped-def]
    text = (
        "Creatinine clearance ≥ 30 mL/min, as calculated using the Cockcroft-Gault equation "
        "(CLcr = [140 - age] × weight (kg) / (72 × serum creatinine))"
    )
    criteria = _parse(parse, text)
    assert len(criteria) == 1
    assert criteria[0].rule == MeasurementRule("creatinine_clearance", ">=", 30, "mL/min")


def test_a_split_criterion_explains_itself(parse) -> None:  # type: ignore[no-untyped-def]
    criteria = _parse(parse, "ANC ≥ 1500/mm3 and platelets ≥ 100,000/mm3")
    facts = prepare(read_profile({"id": "P-1", "observations": [
        {"text": "ANC", "value": 2000, "unit": "/mm3", "date": "2026-11-20"}]}))  # fmt: skip
    parent = evaluate_criteria(criteria, facts, TODAY)[0]
    assert parent.status == "unknown"
    assert "I1.r2 unknown: no platelets recorded" in parent.evidence


def test_two_age_groups_either_of_which_includes(parse) -> None:  # type: ignore[no-untyped-def]
    criteria = _parse(parse, "Children under 12 or adults over 65 years")
    assert criteria[0].rule == GroupRule(logic="any")
    assert _statuses(criteria, age=8)["I1"] == "met"
    assert _statuses(criteria, age=40)["I1"] == "not_met"


def test_an_age_limit_and_its_exception_keep_the_limit(parse) -> None:  # type: ignore[no-untyped-def]
    text = "Age ≥ 18 years; participants under 18 years need the consent of a parent"
    assert _parse(parse, text)[0].rule == AgeRule(min=18)


def test_a_heading_asks_the_coordinator_nothing(parse) -> None:  # type: ignore[no-untyped-def]
    text = "Exclusion Criteria:\n\n* Medical Conditions\n* Active hepatitis B\n"
    facts = prepare(read_profile({"id": "P-1", "conditions": [{"text": "asthma"}]}))
    results = {r.id: r for r in evaluate_criteria(list(parse(text)), facts, TODAY)}
    assert results["E1"].status == "not_evaluable"
    assert results["E1"].question is None
    assert results["E2"].status == "not_met"


@pytest.mark.parametrize(
    "text",
    [
        "Have a self-reported change in body weight >5 kg (11 pounds) within 90 days",
        "Weight loss of more than 10% in the last 6 months",
        "Weight must be stable within 5% for 3 months prior to the first visit",
        "Urine protein-creatinine ratio ≥ 3.5 g/gCr at screening",
        "Urine Albumin-to-Creatinine Ratio (UACR) greater than or equal (≥) 100 mg/g",
    ],
)
def test_a_ratio_or_a_change_is_no_level_of_the_lab(parse, text: str) -> None:  # type: ignore[no-untyped-def]
    # read as "weight > 5 kg" or "creatinine ≥ 3.5 g" such a rule excluded everyone
    criteria = _parse(parse, text, "exclusion")
    assert not [c for c in criteria if isinstance(c.rule, MeasurementRule)], text


def test_a_grade_is_no_threshold_of_the_next_lab(parse) -> None:  # type: ignore[no-untyped-def]
    text = "CTCAE grade ≥2 cardiac dysrhythmias, or QTc > 470 ms"
    criteria = _parse(parse, text, "exclusion")
    rules = [c.rule for c in criteria if isinstance(c.rule, MeasurementRule)]
    assert [(r.name, r.comparator, r.value) for r in rules] == [("qtc", ">", 470)]


@pytest.mark.parametrize(
    "text",
    [
        "FEV1/FVC <0.7",
        "Weight and height measurements should fall within the percentile range 3-97%",
        "Current height less than 5th percentile",
        "Subjects taking any medication affecting level of LDL (Fenofibrate, Omega 3 fatty acid)",
    ],
)
def test_numbers_that_are_no_threshold_of_the_lab(parse, text: str) -> None:  # type: ignore[no-untyped-def]
    # a ratio over another quantity, a percentile, a number inside a name ("Omega 3")
    criteria = _parse(parse, text)
    assert not [c for c in criteria if isinstance(c.rule, MeasurementRule)], text


def test_an_ejection_fraction_written_as_a_fraction(parse) -> None:  # type: ignore[no-untyped-def]
    criteria = _parse(parse, "Left ventricular ejection fraction (EF) < 0.4", "exclusion")
    assert criteria[0].rule == MeasurementRule("lvef", "<", 40, "%")


def test_a_count_of_medications_is_no_blood_pressure(parse) -> None:  # type: ignore[no-untyped-def]
    # "2 or fewer antihypertensive medications" was "blood pressure <= 2"
    text = (
        "Blood pressure is not well controlled (with 2 or fewer antihypertensive medications, "
        "systolic blood pressure > 150 mmHg)"
    )
    rules = [c.rule for c in _parse(parse, text, "exclusion")]
    assert rules == [MeasurementRule("systolic_bp", ">", 150, "mmHg")]
    visit = _parse(parse, "ECOG <= 1 at the screening visit")
    assert visit[0].rule == MeasurementRule("ecog", "<=", 1, None)
