"""Every criterion of NCT05935553 (benzodiazepine use disorder, baclofen) parsed as expected."""

from __future__ import annotations

import pytest

from trialmatch.core.criteria import Criterion
from trialmatch.core.rules import (
    AgeRule,
    AllergyRule,
    ConditionRule,
    DoseRange,
    GroupRule,
    MedicationRule,
    PregnancyRule,
)

EXPECTED_IDS = [
    *("I1", "I2", "I2.1", "I2.2", "I2.3", "I3", "I4", "I5", "I6", "I7", "I8", "I9"),
    *(f"E{n}" for n in range(1, 13)),
]


def test_ids_kinds_and_offsets(nct05935553: dict[str, Criterion], nct05935553_text: str) -> None:
    assert list(nct05935553) == EXPECTED_IDS
    for criterion in nct05935553.values():
        assert criterion.kind == ("inclusion" if criterion.id.startswith("I") else "exclusion")
        assert nct05935553_text[criterion.start : criterion.end] == criterion.text
        for entity in criterion.entities:
            assert nct05935553_text[entity.start : entity.end] == entity.text


def test_age(nct05935553: dict[str, Criterion]) -> None:
    assert nct05935553["I1"].category == "age"
    assert nct05935553["I1"].rule == AgeRule(min=18, max=65)


def test_childbearing_group(nct05935553: dict[str, Criterion]) -> None:
    group = nct05935553["I2"]
    assert group.category == "group"
    assert group.rule == GroupRule(logic="all", applies_to="women_of_childbearing_potential")
    children = [c for c in nct05935553.values() if c.group == "I2"]
    assert [c.id for c in children] == ["I2.1", "I2.2", "I2.3"]
    assert children[0].rule == PregnancyRule(states=("pregnant",), negated=True)
    for child in children[1:]:
        assert child.rule is None
        assert child.category == "not_evaluable"
        assert child.reason


def test_benzodiazepine_use_disorder(nct05935553: dict[str, Criterion]) -> None:
    rule = nct05935553["I3"].rule
    assert isinstance(rule, ConditionRule)
    assert rule.any_of == ("benzodiazepine use disorder",)


def test_diazepam_equivalent_dose(nct05935553: dict[str, Criterion]) -> None:
    rule = nct05935553["I4"].rule
    assert isinstance(rule, MedicationRule)
    assert rule.classes == ("benzodiazepines", "z_drugs")
    assert rule.dose == DoseRange(min=50, max=200, equivalent="diazepam")
    assert rule.within_days == 28


def test_continued_use_for_twelve_weeks(nct05935553: dict[str, Criterion]) -> None:
    rule = nct05935553["I5"].rule
    assert isinstance(rule, MedicationRule)
    assert rule.classes == ("benzodiazepines",)
    assert rule.min_duration_days == 84


@pytest.mark.parametrize("ident", ["I6", "I7", "I8", "I9", "E3", "E11", "E12"])
def test_not_evaluable(nct05935553: dict[str, Criterion], ident: str) -> None:
    criterion = nct05935553[ident]
    assert criterion.rule is None
    assert criterion.category == "not_evaluable"
    assert criterion.reason


@pytest.mark.parametrize(
    ("ident", "conditions"),
    [
        ("E1", ("liver cirrhosis",)),
        ("E2", ("cancer", "hiv infection", "epilepsy", "chronic respiratory failure",
                "renal failure")),
        ("E4", ("schizophrenia", "persistent delusional disorder", "schizophreniform disorder",
                "schizoaffective disorder", "bipolar disorder", "autism spectrum disorder")),
        ("E5", ("suicidal ideation",)),
    ],
)  # fmt: skip
def test_excluded_conditions(
    nct05935553: dict[str, Criterion], ident: str, conditions: tuple[str, ...]
) -> None:
    rule = nct05935553[ident].rule
    assert isinstance(rule, ConditionRule)
    assert rule.any_of == conditions
    assert not rule.negated


def test_dependence_with_exceptions(nct05935553: dict[str, Criterion]) -> None:
    criterion = nct05935553["E6"]
    assert criterion.rule == ConditionRule(
        any_of=("substance dependence",),
        excluding=("benzodiazepine dependence", "nicotine dependence"),
    )
    excepted = [e for e in criterion.entities if e.exception]
    assert any(e.text == "benzodiazepines" for e in excepted)


def test_past_baclofen(nct05935553: dict[str, Criterion]) -> None:
    rule = nct05935553["E7"].rule
    assert isinstance(rule, MedicationRule)
    assert rule.drugs == ("baclofen",)
    assert rule.timing == "ever"


def test_forbidden_drugs_and_classes(nct05935553: dict[str, Criterion]) -> None:
    rule = nct05935553["E8"].rule
    assert isinstance(rule, MedicationRule)
    assert rule.timing == "current"
    assert set(rule.classes) == {"antipsychotics", "tricyclic_antidepressants"}
    expected = {"pregabalin", "topiramate", "ketamine", "sodium oxybate", "gabapentin",
                "valproic acid", "melatonin", "buspirone", "hydroxyzine", "propranolol",
                "bisoprolol", "etifoxine", "carbamazepine", "clonidine", "paroxetine"}  # fmt: skip
    assert set(rule.drugs) == expected
    assert len(rule.drugs) == len(expected)  # sodium valproate is valproic acid: once


def test_pregnant_or_nursing(nct05935553: dict[str, Criterion]) -> None:
    assert nct05935553["E9"].rule == PregnancyRule(states=("pregnant", "lactating"))


def test_hypersensitivity_to_baclofen(nct05935553: dict[str, Criterion]) -> None:
    rule = nct05935553["E10"].rule
    assert isinstance(rule, AllergyRule)
    assert "baclofen" in rule.substances


def test_document_round_trip(nct05935553: dict[str, Criterion]) -> None:
    from nlp_models.version import PARSER_VERSION
    from trialmatch.core.criteria import criteria_from_document, criteria_to_document

    criteria = list(nct05935553.values())
    document = criteria_to_document(criteria, PARSER_VERSION)
    assert criteria_from_document(document) == criteria
