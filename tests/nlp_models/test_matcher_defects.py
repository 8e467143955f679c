"""Output defects found by the matcher: each wrongly excluded or mis-typed a patient."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.drugs import class_phrases, drug_classes, known_classes, normalize_drug
from nlp_models.values import find_values
from trialmatch.core.criteria import Criterion
from trialmatch.core.rules import ConditionRule, MedicationRule

DEMO = Path(__file__).resolve().parents[2] / "trialmatch" / "demo_data" / "ctgov"


def _demo_criterion(trial: str, needle: str, parse) -> Criterion:  # type: ignore[no-untyped-def]
    record = json.loads((DEMO / f"{trial}.json").read_text(encoding="utf-8"))
    text = record["protocolSection"]["eligibilityModule"]["eligibilityCriteria"]
    return next(c for c in parse(text) if needle in c.text)


def _one(text: str, parse, kind: str = "exclusion") -> Criterion:  # type: ignore[no-untyped-def]
    header = "Inclusion Criteria:" if kind == "inclusion" else "Exclusion Criteria:"
    criteria = parse(f"{header}\n\n* {text}\n")
    assert len(criteria) == 1, criteria
    return criteria[0]


def test_continued_benzodiazepine_use_is_a_current_class_rule(
    nct05935553: dict[str, Criterion],
) -> None:
    criterion = next(c for c in nct05935553.values() if c.text.startswith("Continued use"))
    rule = criterion.rule
    assert isinstance(rule, MedicationRule)
    assert rule.drugs == ()
    assert rule.classes in (("benzodiazepines",), ("benzodiazepines", "z_drugs"))
    assert rule.timing == "current"
    assert rule.min_duration_days == 84


def test_dependence_exceptions_are_clean_terms(nct05935553: dict[str, Criterion]) -> None:
    rule = nct05935553["E6"].rule
    assert isinstance(rule, ConditionRule)
    assert rule.any_of == ("substance dependence",)
    assert rule.excluding == ("benzodiazepine dependence", "nicotine dependence")
    assert not set(rule.any_of) & set(rule.excluding)


def test_dependence_exception_never_repeats_the_rule(parse) -> None:  # type: ignore[no-untyped-def]
    text = "Dependence on substances or drugs other than benzodiazepines and nicotine dependence"
    rule = _one(text, parse).rule
    assert isinstance(rule, ConditionRule)
    assert rule.excluding == ("benzodiazepine dependence", "nicotine dependence")


def test_unauthorized_therapies_name_classes_by_id(nct05935553: dict[str, Criterion]) -> None:
    rule = nct05935553["E8"].rule
    assert isinstance(rule, MedicationRule)
    assert set(rule.classes) == {"antipsychotics", "tricyclic_antidepressants"}
    assert set(rule.classes) <= known_classes()
    for drug in rule.drugs:
        assert normalize_drug(drug) == drug, drug  # generic names only, no MeSH headings
        assert "agents" not in drug and "," not in drug


@pytest.mark.parametrize(
    "phrase", ["neuroleptic", "neuroleptics", "antipsychotics", "tricyclic antidepressants",
               "benzodiazepines", "opioids", "anticoagulants", "antidepressants"],
)  # fmt: skip
def test_class_phrase_never_normalises_to_a_drug(phrase: str) -> None:
    assert normalize_drug(phrase) is None


def test_class_phrase_as_a_patient_drug_still_has_its_class() -> None:
    assert "benzodiazepines" in drug_classes("benzodiazepine")
    assert class_phrases()["neuroleptics"] == "antipsychotics"
    assert normalize_drug("insulin") == "insulin"  # a class phrase that is also a drug


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Participants with HBV infection must be treated with antiviral therapy", "inclusion"),
        ("Male subjects must not freeze sperm during the study (T-DXd)", "exclusion"),
        ("Patients with diabetes should be on a stable dose of metformin", "inclusion"),
        ("If HIV positive, must have an undetectable viral load", "inclusion"),
    ],
)
def test_requirement_on_a_subgroup_is_not_a_plain_rule(text: str, kind: str, parse) -> None:  # type: ignore[no-untyped-def]
    criterion = _one(text, parse, kind)
    assert criterion.rule is None
    assert criterion.category == "not_evaluable"
    assert criterion.reason


def test_familial_hypercholesterolemia_keeps_its_qualifiers(parse) -> None:  # type: ignore[no-untyped-def]
    criterion = _demo_criterion("NCT05923281", "homozygotes", parse)
    assert isinstance(criterion.rule, ConditionRule)
    assert criterion.rule.any_of == ("homozygous familial hypercholesterolemia",)


def test_fibrolamellar_hcc_keeps_the_specific_term(parse) -> None:  # type: ignore[no-untyped-def]
    criterion = _demo_criterion("NCT05883644", "fibrolamellar", parse)
    assert isinstance(criterion.rule, ConditionRule)
    assert "carcinoma" not in criterion.rule.any_of
    assert "fibrolamellar hepatocellular carcinoma" in criterion.rule.any_of


def test_difficulty_distinguishing_migraine_is_no_migraine_rule(parse) -> None:  # type: ignore[no-untyped-def]
    criterion = _one("Difficulty distinguishing migraine from tension-type headache", parse)
    assert criterion.rule is None


def test_nulliparous_is_obstetric_history_not_sex(parse) -> None:  # type: ignore[no-untyped-def]
    criterion = _demo_criterion("NCT04766866", "Nulliparous", parse)
    assert criterion.rule is None
    assert criterion.reason == "obstetric history"


@pytest.mark.parametrize("placeholder", ["N/A", "None", "-", "n/a.", "Not applicable"])
def test_placeholder_items_are_no_criteria(placeholder: str, parse) -> None:  # type: ignore[no-untyped-def]
    text = f"Inclusion Criteria:\n\n* Age 18 or older\n\nExclusion Criteria:\n\n* {placeholder}\n"
    criteria = parse(text)
    assert [c.kind for c in criteria] == ["inclusion"]


def test_markdown_escaped_comparator_keeps_offsets_and_parses(parse) -> None:  # type: ignore[no-untyped-def]
    text = "Inclusion Criteria:\n\n* \\>18 years old\n* ANC \\>= 1.5 x 10^9/L\n"
    criteria = parse(text)
    assert criteria[0].text == "\\>18 years old"
    for criterion in criteria:
        assert text[criterion.start : criterion.end] == criterion.text
    assert criteria[0].rule is not None
    assert getattr(criteria[0].rule, "min", None) == 18
    assert getattr(criteria[0].rule, "min_inclusive", None) is False
    (value,) = find_values("\\>18 years old")
    assert (value.comparator, value.value) == (">", 18.0)
    assert find_values("ANC \\>= 1.5 x 10^9/L")[0].comparator == ">="


def test_dictionary_drug_name_wins_over_a_longer_chia_term(parse) -> None:  # type: ignore[no-untyped-def]
    # "prednisone, or equivalent" is a Chia-derived drug term with no normalised name
    criterion = _one("Current use of prednisone, or equivalent, above 10 mg/day", parse)
    assert isinstance(criterion.rule, MedicationRule)
    assert "prednisone" in criterion.rule.drugs


def test_a_lab_is_not_a_drug(parse) -> None:  # type: ignore[no-untyped-def]
    criterion = _one("Alanine aminotransferase > 3 x ULN", parse, "inclusion")
    assert not [e for e in criterion.entities if e.type == "drug"]
    assert criterion.category == "measurement"


def test_an_age_is_no_time_expression(parse) -> None:  # type: ignore[no-untyped-def]
    criterion = _one("Patients over 18 years old", parse, "inclusion")
    assert not [e for e in criterion.entities if e.type == "temporal"]
