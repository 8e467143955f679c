"""Rule semantics beyond NCT05935553: measurements, groups, negation, windows, exceptions."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from knowledge.conditions import coded
from matcher.evaluation import evaluate_criteria, kleene_all, kleene_any, verdict_of
from matcher.facts import prepare
from matcher.loaders import read_profile
from matcher.rules import evaluate_rule
from trialmatch.core.criteria import Criterion, Kind
from trialmatch.core.rules import (
    ConditionRule,
    DoseRange,
    GroupRule,
    MeasurementRule,
    MedicationRule,
    Rule,
)

TODAY = date(2026, 11, 24)


def _status(rule: Rule, **profile: Any) -> str:
    facts = prepare(read_profile({"id": "P-1", **profile}))
    return evaluate_rule(rule, facts, TODAY)[0]


EGFR = {"text": "eGFR", "value": 85, "unit": "mL/min/1.73m2", "date": "2026-10-01"}
CREATININE = {"text": "creatinine", "value": 120, "unit": "umol/L", "date": "2026-11-20"}


@pytest.mark.parametrize(
    ("rule", "observations", "expected"),
    [
        (MeasurementRule("egfr", ">=", 60, "mL/min/1.73m2"), [EGFR], "met"),
        (MeasurementRule("egfr", "<", 30, "mL/min/1.73m2"), [EGFR], "not_met"),
        (MeasurementRule("egfr", ">=", 60, "mL/min/1.73m2", within_days=30), [EGFR], "unknown"),
        (MeasurementRule("egfr", ">=", 60, "mL/min/1.73m2", within_days=60), [EGFR], "met"),
        (MeasurementRule("creatinine", "<", 1.5, "mg/dL"), [CREATININE], "met"),
        (MeasurementRule("creatinine", "<", 1.2, "mg/dL"), [CREATININE], "not_met"),
        (MeasurementRule("egfr", ">=", 60, None, negated=True), [EGFR], "not_met"),
        (MeasurementRule("egfr", ">=", 50, None, upper=90), [EGFR], "met"),
        (
            MeasurementRule("alt", "<=", 3, "x ULN"),
            [{"text": "ALT", "value": 40, "unit": "U/L"}],
            "unknown",
        ),
        (MeasurementRule("hba1c", "<", 8, "%"), [EGFR], "unknown"),
        (MeasurementRule("hba1c", "<", 8, "%"), None, "unknown"),
    ],
    ids=[
        "egfr-met",
        "egfr-not-met",
        "outside-window",
        "inside-window",
        "converted-met",
        "converted-not-met",
        "negated",
        "between",
        "uln-not-convertible",
        "lab-missing",
        "observations-missing",
    ],
)
def test_measurements(
    rule: MeasurementRule, observations: list[dict[str, Any]] | None, expected: str
) -> None:
    profile: dict[str, Any] = {} if observations is None else {"observations": observations}
    assert _status(rule, **profile) == expected


def test_latest_observation_is_used() -> None:
    old = {**EGFR, "value": 20, "date": "2025-01-01"}
    assert _status(MeasurementRule("egfr", ">=", 60), observations=[EGFR, old]) == "met"


@pytest.mark.parametrize(
    ("rule", "profile", "expected"),
    [
        (
            MedicationRule(classes=("ssris",), except_drugs=("sertraline",)),
            {"medications": [{"text": "sertraline"}]},
            "not_met",
        ),
        (MedicationRule(classes=("ssris",)), {"medications": [{"text": "Zoloft"}]}, "met"),
        (
            MedicationRule(drugs=("warfarin",), timing="past", within_days=90),
            {"past_medications": [{"text": "warfarin", "until": "2026-10"}]},
            "met",
        ),
        (
            MedicationRule(drugs=("warfarin",), timing="past", within_days=90),
            {"past_medications": [{"text": "warfarin", "until": "2024"}], "medications": []},
            "not_met",
        ),
        (
            MedicationRule(drugs=("warfarin",), timing="past", within_days=90),
            {"past_medications": [{"text": "warfarin"}]},
            "unknown",
        ),
        (MedicationRule(drugs=("warfarin",), timing="past"), {"medications": []}, "unknown"),
        (
            MedicationRule(classes=("opioids",), dose=DoseRange(max=90, equivalent="morphine")),
            {"medications": [{"text": "oxycodone", "dose": 40, "unit": "mg/day"}]},
            "met",
        ),
        (
            MedicationRule(
                classes=("benzodiazepines",), dose=DoseRange(min=50, equivalent="diazepam")
            ),
            {"medications": [{"text": "lorazepam", "dose": 6, "unit": "g/week"}]},
            "unknown",
        ),
        (
            MedicationRule(drugs=("metformin",), dose=DoseRange(min=1000)),
            {"medications": [{"text": "metformin", "dose": 1.5, "unit": "g/day"}]},
            "met",
        ),
        (
            MedicationRule(drugs=("metformin",), negated=True),
            {"medications": [{"text": "metformin"}]},
            "not_met",
        ),
    ],
    ids=[
        "except-drug",
        "brand-in-class",
        "past-in-window",
        "past-out-of-window",
        "past-undated",
        "past-list-missing",
        "morphine-equivalent",
        "unit-not-daily",
        "grams-converted",
        "negated",
    ],
)
def test_medications(rule: MedicationRule, profile: dict[str, Any], expected: str) -> None:
    assert _status(rule, **profile) == expected


@pytest.mark.parametrize(
    ("rule", "conditions", "expected"),
    [
        (
            ConditionRule(("epilepsy",), history=True),
            [{"text": "epilepsy", "active": False}],
            "met",
        ),
        (ConditionRule(("epilepsy",)), [{"text": "epilepsy", "active": False}], "not_met"),
        (ConditionRule(("epilepsy",), negated=True), [{"text": "asthma"}], "met"),
        (ConditionRule(("diabetes",)), [{"code": "E11.9", "system": "icd10cm"}], "met"),
        (ConditionRule(("diabetes",)), None, "unknown"),
    ],
    ids=["history-counts-inactive", "inactive-not-current", "negated", "icd-code", "missing"],
)
def test_conditions(
    rule: ConditionRule, conditions: list[dict[str, Any]] | None, expected: str
) -> None:
    profile: dict[str, Any] = {} if conditions is None else {"conditions": conditions}
    assert _status(rule, **profile) == expected


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("benzodiazepine dependence", True),
        ("breast cancer", True),
        ("NSCLC", True),  # an abbreviation the term data expands
        ("COVID-19", True),
        ("measurable disease", False),
        ("target lesions", False),
        ("database", False),
        ("dining rooms", False),  # only an external-cause title (Y92) has it
    ],
)
def test_coded_terms(term: str, expected: bool) -> None:
    assert coded(term) is expected


def _kind_statuses(
    rule: ConditionRule,
    kind: Kind,
    conditions: list[dict[str, Any]],
    study: tuple[str, ...] = (),
) -> str:
    facts = prepare(read_profile({"id": "P-1", "conditions": conditions}))
    criterion = Criterion("C1", kind, "text", 0, 4, "condition", None, rule=rule)
    return evaluate_criteria([criterion], facts, TODAY, study)[0].status


def test_a_needed_condition_the_record_lacks_is_asked_about() -> None:
    asthma = [{"text": "asthma"}]
    needed = ConditionRule(("measurable disease", "target lesion"))
    assert _kind_statuses(needed, "inclusion", asthma) == "unknown"
    assert _kind_statuses(ConditionRule(("systemic hypertension",)), "inclusion", asthma) == (
        "unknown"
    )
    # an exclusion's absent condition stays absent (closed world)
    assert _kind_statuses(needed, "exclusion", asthma) == "not_met"
    # "no measurable disease" as an exclusion needs it present: unknown as well
    negated = ConditionRule(("measurable disease",), negated=True)
    assert _kind_statuses(negated, "exclusion", asthma) == "unknown"
    # a record can still name it
    assert _kind_statuses(needed, "inclusion", [{"text": "measurable disease"}]) == "met"


@pytest.mark.parametrize(
    ("term", "study"),
    [
        ("breast cancer", ("Breast Cancer",)),
        ("HER2-positive breast cancer", ("Breast Neoplasms",)),  # a form of the topic
        ("dementia", ("Alzheimer Disease", "Dementia")),
    ],
)
def test_a_needed_condition_the_study_is_about_is_not_met_when_absent(
    term: str, study: tuple[str, ...]
) -> None:
    # the record would show the very disease the study is about
    rule = ConditionRule((term,))
    asthma = [{"text": "asthma"}]
    assert _kind_statuses(rule, "inclusion", asthma, study) == "not_met"
    assert _kind_statuses(rule, "inclusion", asthma, ("Asthma",)) == "unknown"


@pytest.mark.parametrize(
    ("kind", "conditions", "expected"),
    [
        ("exclusion", [{"text": "Essential hypertension"}], "unknown"),
        ("exclusion", [{"text": "uncontrolled hypertension"}], "met"),
        ("exclusion", [{"text": "asthma"}], "not_met"),
        ("exclusion", [{"text": "Essential hypertension", "active": False}], "not_met"),
        ("inclusion", [{"text": "Essential hypertension"}], "unknown"),
        ("inclusion", [{"text": "asthma"}], "unknown"),
    ],
    ids=["base-only", "qualified", "absent", "past-only", "inclusion-base", "inclusion-absent"],
)
def test_a_qualified_condition_asks_about_the_qualifier(
    kind: Kind, conditions: list[dict[str, Any]], expected: str
) -> None:
    # "uncontrolled hypertension" used to exclude every hypertensive patient (qualifier
    # dropped) or none (qualifier kept, never recorded)
    rule = ConditionRule(("uncontrolled hypertension",))
    assert _kind_statuses(rule, kind, conditions) == expected


def test_a_code_description_naming_the_qualifier_is_met() -> None:
    rule = ConditionRule(("severe asthma",))
    # J45.50 "Severe persistent asthma, uncomplicated": the description carries the degree
    coded = [{"text": "asthma", "code": "J45.50", "system": "icd10cm"}]
    assert _kind_statuses(rule, "exclusion", coded) == "met"


def test_kleene_logic() -> None:
    assert kleene_all(["met", "unknown"]) == "unknown"
    assert kleene_all(["met", "unknown", "not_met"]) == "not_met"
    assert kleene_any(["not_met", "unknown"]) == "unknown"
    assert kleene_any(["unknown", "met"]) == "met"


def _crit(
    identifier: str, rule: Rule | None, group: str | None = None, kind: Kind = "inclusion"
) -> Criterion:
    category = "other" if rule else "not_evaluable"
    return Criterion(identifier, kind, identifier, 0, 0, category, group, rule=rule)


def test_any_group_and_applies_to() -> None:
    criteria = [
        _crit("I1", GroupRule("any", "female")),
        _crit("I1.1", ConditionRule(("asthma",)), "I1"),
        _crit("I1.2", ConditionRule(("copd",)), "I1"),
        _crit("I1.3", None, "I1"),
    ]

    def statuses(**profile: Any) -> dict[str, str]:
        facts = prepare(read_profile({"id": "P-1", **profile}))
        return {r.id: r.status for r in evaluate_criteria(criteria, facts, TODAY)}

    assert statuses(sex="female", conditions=[{"text": "COPD"}])["I1"] == "met"
    assert statuses(sex="female", conditions=[])["I1"] == "unknown"  # neither recorded: ask
    assert statuses(sex="male", conditions=[]) == {
        "I1": "met",
        "I1.1": "met",
        "I1.2": "met",
        "I1.3": "met",
    }
    assert statuses(conditions=[])["I1"] == "unknown"  # sex unknown: the group may not apply


def test_not_evaluable_does_not_block_eligible() -> None:
    facts = prepare(read_profile({"id": "P-1", "conditions": [{"text": "asthma"}]}))
    results = evaluate_criteria(
        [
            _crit("I1", ConditionRule(("asthma",))),
            _crit("I2", None),
            _crit("E1", None, kind="exclusion"),
        ],
        facts,
        TODAY,
    )
    assert verdict_of(results) == "eligible"
