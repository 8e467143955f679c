"""Conditions and drugs judged with their hierarchies: a narrower record meets a term, a
broader one is a question, a relative's disease is never the patient's own; the registry's
conditions as an implicit inclusion."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from matcher.evaluation import evaluate_criteria, structured_checks
from matcher.facts import prepare
from matcher.loaders import read_profile
from matcher.rules import evaluate_rule
from trialmatch.core.criteria import Criterion, Kind
from trialmatch.core.rules import ConditionRule, MedicationRule, Rule
from trialmatch.core.trial import Trial

TODAY = date(2026, 12, 4)


def _facts(conditions: list[str] = (), **profile: Any):  # type: ignore[no-untyped-def,assignment]
    return prepare(
        read_profile({"id": "P-1", "conditions": [{"text": c} for c in conditions], **profile})
    )


def _status(rule: Rule, conditions: list[str] = (), **profile: Any) -> str:  # type: ignore[assignment]
    return evaluate_rule(rule, _facts(conditions, **profile), TODAY)[0]


@pytest.mark.parametrize(
    ("term", "record"),
    [
        ("dementia", "Alzheimer disease"),
        ("neuromuscular disease", "Duchenne muscular dystrophy"),
        ("connective tissue disorder", "Marfan syndrome"),
        ("systemic hypertension", "hypertension"),
        ("Turner's syndrome", "Turner syndrome (45,XO)"),
        ("thyroid neoplasms", "papillary thyroid cancer"),
    ],
)
def test_the_concept_or_a_narrower_one_meets_the_term(term: str, record: str) -> None:
    assert _status(ConditionRule((term,)), [record]) == "met"


@pytest.mark.parametrize(
    ("term", "record"),
    [
        ("Alzheimer disease", "dementia"),
        ("papillary thyroid cancer", "thyroid cancer"),
    ],
)
def test_a_broader_record_is_a_question(term: str, record: str) -> None:
    assert _status(ConditionRule((term,)), [record]) == "unknown"


def test_unrelated_conditions_do_not_meet() -> None:
    rule = ConditionRule(("asthma",))
    assert _status(rule, ["gout"]) == "not_met"


def test_a_relatives_disease_is_never_the_patients_own() -> None:
    own = ConditionRule(("hip fracture",))
    family = ConditionRule(("family history of hip fracture",))
    assert _status(own, ["family history of hip fracture"]) == "not_met"
    assert _status(family, ["hip fracture"]) == "not_met"
    assert _status(family, ["family history of hip fracture"]) == "met"
    both = ConditionRule(("breast cancer", "family history of breast cancer"))
    assert _status(both, ["breast cancer"]) == "met"
    assert _status(both, ["family history of breast cancer"]) == "met"
    assert _status(both, ["family history of gout"]) == "not_met"


def test_a_suspected_diagnosis_is_a_question() -> None:
    assert _status(ConditionRule(("asthma",)), ["suspected asthma"]) == "unknown"


def _criterion(kind: Kind, rule: Rule) -> Criterion:
    return Criterion("C1", kind, "text", 0, 4, "condition", None, rule=rule)


def test_an_exclusion_met_only_by_the_studied_condition_is_asked_about() -> None:
    # "other osteoporosis treatment" read as the disease: the study is about it
    rule = ConditionRule(("osteoporosis",))
    facts = _facts(["osteoporosis"])
    studied = evaluate_criteria([_criterion("exclusion", rule)], facts, TODAY, ("Osteoporosis",))
    assert studied[0].status == "unknown"
    elsewhere = evaluate_criteria([_criterion("exclusion", rule)], facts, TODAY, ("Asthma",))
    assert elsewhere[0].status == "met"


def test_another_of_the_studied_kind_needs_a_second_one() -> None:
    rule = ConditionRule(("malignancy",), another=True)
    assert _status(rule, ["breast cancer"]) == "unknown"
    assert _status(rule, ["asthma"]) == "not_met"


def _trial(conditions: tuple[str, ...], healthy: bool = False) -> Trial:
    return Trial(
        registry="ctgov",
        trial_id="NCT00000001",
        source_url="",
        brief_title="A study",
        official_title=None,
        overall_status="RECRUITING",
        conditions=conditions,
        healthy_volunteers=healthy,
    )


def _population(trial: Trial, conditions: list[str]) -> str:
    checks = structured_checks(trial, _facts(conditions))
    return next(check.status for check in checks if check.id == "registry-conditions")


@pytest.mark.parametrize(
    ("study", "healthy", "record", "status"),
    [
        (("Dementia",), False, ["Alzheimer disease"], "met"),
        (("Alzheimer Disease",), False, ["dementia"], "unknown"),
        (("Asthma",), False, ["gout"], "unknown"),  # the record may be incomplete: ask
        (("Asthma",), True, [], "met"),  # a healthy volunteer
        (("Healthy",), False, [], "met"),
        (("Vital Signs",), False, ["gout"], "unknown"),  # names no disease
    ],
)
def test_the_registry_conditions_are_an_implicit_inclusion(
    study: tuple[str, ...], healthy: bool, record: list[str], status: str
) -> None:
    assert _population(_trial(study, healthy), record) == status


def _medications(*texts: str) -> dict[str, Any]:
    return {"medications": [{"text": text} for text in texts], "past_medications": []}


@pytest.mark.parametrize(
    ("rule", "taken", "status"),
    [
        (MedicationRule(drugs=("octreotide",)), "octreotide LAR", "met"),
        (MedicationRule(drugs=("interferon beta-1a",)), "Avonex", "met"),
        (MedicationRule(classes=("systemic_corticosteroids",)), "fluticasone inhaler", "not_met"),
        (MedicationRule(classes=("systemic_corticosteroids",)), "prednisone 5 mg tablets", "met"),
        (MedicationRule(classes=("inhaled_corticosteroids",)), "fluticasone inhaler", "met"),
        (MedicationRule(drugs=("natalizumab",)), "disease-modifying therapy", "unknown"),
        (MedicationRule(drugs=("cisplatin",)), "chemotherapy", "unknown"),
        (MedicationRule(classes=("benzodiazepines",)), "NSAID", "not_met"),
    ],
)
def test_drugs_by_form_brand_route_and_kind(rule: MedicationRule, taken: str, status: str) -> None:
    assert _status(rule, **_medications(taken)) == status


def test_a_needed_family_history_the_record_lacks_is_a_question_even_on_the_topic() -> None:
    # profiles note a family history only when someone asked: its absence says nothing
    rule = ConditionRule(("family history of dementia",))
    facts = _facts(["Alzheimer disease"])
    results = evaluate_criteria([_criterion("inclusion", rule)], facts, TODAY, ("Dementia",))
    assert results[0].status == "unknown"


def test_a_record_of_the_bare_condition_leaves_a_need_or_cause_to_ask() -> None:
    rule = ConditionRule(("diabetes mellitus requiring medication",))
    assert _status(rule, ["type 2 diabetes mellitus"]) == "unknown"
    assert _status(rule, ["asthma"]) == "not_met"


def test_inclusions_needing_a_condition_and_its_absence_are_two_groups() -> None:
    turner = ("turner syndrome",)
    cases = Criterion(
        "I1", "inclusion", "Girls with Turner syndrome", 0, 4, "condition", None,
        rule=ConditionRule(turner),
    )  # fmt: skip
    controls = Criterion(
        "I2", "inclusion", "Girls without Turner syndrome as controls", 5, 9, "condition", None,
        rule=ConditionRule(turner, negated=True),
    )  # fmt: skip
    for record in (["Turner syndrome (45,XO)"], ["asthma"]):
        results = evaluate_criteria([cases, controls], _facts(record), TODAY)
        assert [r.status for r in results] == ["met", "met"], record
