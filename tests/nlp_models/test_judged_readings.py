"""Readings that decided verdicts of judged patient-trial pairs (``bench/judged.py``)."""

from __future__ import annotations

import pytest

from trialmatch.core.criteria import Criterion
from trialmatch.core.rules import ConditionRule, MedicationRule


def _one(text: str, parse, kind: str = "Inclusion") -> Criterion:  # type: ignore[no-untyped-def]
    criteria = parse(f"{kind} Criteria:\n\n* {text}\n")
    assert len(criteria) == 1, criteria
    return criteria[0]


@pytest.mark.parametrize(
    ("text", "term"),
    [
        (
            "They will not have a positive family history of dementia in their first-degree "
            "relatives",
            "family history of dementia",
        ),
        ("Family history of sudden cardiac death", "family history of sudden cardiac death"),
    ],
)
def test_a_relatives_condition_is_a_family_history_term(  # type: ignore[no-untyped-def]
    parse, text: str, term: str
) -> None:
    rule = _one(text, parse).rule
    assert isinstance(rule, ConditionRule)
    assert rule.any_of == (term,)


def test_own_and_family_conditions_keep_whose_each_is(parse) -> None:  # type: ignore[no-untyped-def]
    rule = _one("History of stroke or family history of aneurysm", parse, "Exclusion").rule
    assert isinstance(rule, ConditionRule)
    assert rule.any_of == ("stroke", "family history of aneurysm")


def test_a_requirement_on_the_controls_is_not_the_patients(  # type: ignore[no-untyped-def]
    parse,
) -> None:
    criterion = _one("Controls should have no signs or symptoms of Sjogren's syndrome", parse)
    assert criterion.rule is None
    assert criterion.reason == "requirement on a subgroup of patients"


def test_a_course_of_treatment_is_a_past_one(parse) -> None:  # type: ignore[no-untyped-def]
    text = (
        "Treatment with at least 1 course of antibiotics that fulfills the Infectious Diseases "
        "Society of America guidelines for the recommended therapy for Lyme disease."
    )
    rule = _one(text, parse).rule
    assert isinstance(rule, MedicationRule)
    assert rule.classes == ("antibacterials",)
    assert rule.timing == "past"


def test_a_degree_of_a_condition_does_not_require_it(parse) -> None:  # type: ignore[no-untyped-def]
    text = (
        "Corrected visual acuity of 6/6 (20/20) or better in each eye, astigmatism less than "
        "0.75 D, anisometropia less than 1 D, and myopia between 1 and 4"
    )
    rule = _one(text, parse).rule
    assert not isinstance(rule, ConditionRule), rule
    rule = _one("Uncontrolled hypertension (>160/100 mmHg)", parse, "Exclusion").rule
    assert isinstance(rule, ConditionRule)
    assert rule.any_of == ("uncontrolled hypertension",)
