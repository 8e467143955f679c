"""Therapy classes named in criteria become drug-class rules the matcher can decide.

"Prior anticancer therapy", "chemotherapy", "immunosuppressants", "systemic
corticosteroids", "antibiotics" … used to be read as a procedure with no
rule ("check with the patient") or as a class the matcher did not know.
"""

from __future__ import annotations

from datetime import date

import pytest

from knowledge.drugs import class_members, drug_classes, known_classes
from matcher.facts import prepare
from matcher.loaders import read_profile
from matcher.rules import evaluate_rule
from trialmatch.core.criteria import Criterion
from trialmatch.core.rules import MedicationRule


def _one(text: str, parse) -> Criterion:  # type: ignore[no-untyped-def]
    criteria = parse(f"Exclusion Criteria:\n\n* {text}\n")
    assert len(criteria) == 1, criteria
    return criteria[0]


@pytest.mark.parametrize(
    ("text", "classes", "timing", "within_days"),
    [
        ("Prior anticancer therapy within 4 weeks", ("anticancer_therapy",), "past", 28),
        ("Prior systemic anti-cancer treatment", ("anticancer_therapy",), "past", None),
        ("Any antineoplastic therapy within 28 days before enrolment", ("anticancer_therapy",),
         None, 28),
        ("Chemotherapy within the last 6 months", ("chemotherapy",), None, 180),
        ("Current use of immunosuppressants", ("immunosuppressants",), "current", None),
        ("Ongoing immunosuppressive therapy", ("immunosuppressants",), "current", None),
        ("Treatment with systemic corticosteroids within 14 days", ("systemic_corticosteroids",),
         None, 14),
        ("Previous treatment with antiandrogens", ("endocrine_therapy",), "past", None),
        ("Concurrent use of antibiotics", ("antibacterials",), "current", None),
        ("Endocrine therapy within 2 weeks", ("endocrine_therapy",), None, 14),
    ],
)  # fmt: skip
def test_therapy_class_is_a_class_rule(  # type: ignore[no-untyped-def]
    parse, text: str, classes: tuple[str, ...], timing: str | None, within_days: int | None
) -> None:
    rule = _one(text, parse).rule
    assert isinstance(rule, MedicationRule), rule
    assert rule.classes == classes
    assert set(rule.classes) <= known_classes()
    assert rule.drugs == ()
    if timing is not None:
        assert rule.timing == timing
    assert rule.within_days == within_days


def test_anticancer_therapy_includes_its_classes() -> None:
    members = class_members("anticancer_therapy")
    for part in ("chemotherapy", "immune_checkpoint_inhibitors", "endocrine_therapy"):
        assert class_members(part) <= members
    assert {"imatinib", "trastuzumab", "cisplatin", "pembrolizumab", "letrozole"} <= members
    assert {"anticancer_therapy", "chemotherapy"} <= drug_classes("carboplatin")
    assert "anticancer_therapy" in drug_classes("osimertinib")
    assert "chemotherapy" not in drug_classes("osimertinib")
    assert "anticancer_therapy" not in drug_classes("lorazepam")


def _answer(rule: MedicationRule, medications: list[dict[str, object]]) -> str:
    profile = read_profile(
        {"id": "P1", "age": 60, "sex": "female", "medications": medications,
         "past_medications": []}
    )  # fmt: skip
    status, _evidence = evaluate_rule(rule, prepare(profile), date(2026, 12, 1))
    return status


@pytest.mark.parametrize(
    ("text", "drug", "expected"),
    [
        ("Current anticancer therapy", "letrozole", "met"),
        ("Current anticancer therapy", "metformin", "not_met"),
        ("Ongoing treatment with antibiotics", "amoxicillin", "met"),
        ("Ongoing treatment with antibiotics", "omeprazole", "not_met"),
    ],
)
def test_the_matcher_decides_the_class_rule(  # type: ignore[no-untyped-def]
    parse, text: str, drug: str, expected: str
) -> None:
    rule = _one(text, parse).rule
    assert isinstance(rule, MedicationRule), rule
    medications = [{"text": drug, "since": "2026-01"}]
    assert _answer(rule, medications) == expected
