"""Single criteria from real registry records and the rules they become."""

from __future__ import annotations

import pytest

from trialmatch.core.criteria import HEADING_REASON, Criterion
from trialmatch.core.rules import (
    AgeRule,
    AllergyRule,
    ConditionRule,
    MeasurementRule,
    MedicationRule,
    PregnancyRule,
    SexRule,
)


def _one(parse, text: str, kind: str = "Inclusion") -> Criterion:  # type: ignore[no-untyped-def]
    criteria = parse(f"{kind} Criteria:\n\n* {text}\n")
    assert len(criteria) == 1
    return criteria[0]  # type: ignore[no-any-return,unused-ignore]


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Age more than 3 years and less than 16 years.",
         AgeRule(min=3, max=16, min_inclusive=False, max_inclusive=False)),
        ("18 years of age or older", AgeRule(min=18)),
        ("Adults aged 18-75 years", AgeRule(min=18, max=75)),
        ("Participant must be \\>18 years of age at the time of signing the informed consent.",
         AgeRule(min=18, min_inclusive=False)),
        ("Children between 5-11 years of age, inclusive, at enrollment.", AgeRule(min=5, max=11)),
        ("Male or female", SexRule(allowed=("female", "male"))),
        ("Postmenopausal women", SexRule(allowed=("female",))),
    ],
)  # fmt: skip
def test_person_rules(parse, text: str, rule: object) -> None:  # type: ignore[no-untyped-def]
    assert _one(parse, text).rule == rule


@pytest.mark.parametrize(
    ("text", "name", "comparator", "value", "unit"),
    [
        ("ANC ≥ 1,500/mm3", "anc", ">=", 1500, "/mm3"),
        ("Platelets >= 100 x 10^9/L", "platelets", ">=", 100, "10^9/L"),
        ("ALT ≤ 2.5 x ULN", "alt", "<=", 2.5, "x ULN"),
        ("Estimated glomerular filtration rate (eGFR) \\<60 mL/min/1•73 m2", "egfr", "<", 60,
         "mL/min/1.73m2"),
        ("Must have an ECOG performance status of 0 or 1.", "ecog", "<=", 1, None),
        ("Creatinine clearance of at least 60 mL/min", "creatinine_clearance", ">=", 60, "mL/min"),
        ("BMI greater than or equal to (≥) 27.0 kg/m2 at screening", "bmi", ">=", 27, "kg/m2"),
        ("Platelets not less than 100,000/mm3", "platelets", ">=", 100000, "/mm3"),
        ("Total bilirubin not above 1.5 mg/dL", "bilirubin", "<=", 1.5, "mg/dL"),
        ("ANC \\< 1.5 x 10\\^9/L", "anc", "<", 1.5, "10^9/L"),  # registry-escaped
        ("eGFR lesser than 30 mL/min", "egfr", "<", 30, "mL/min"),
    ],
)  # fmt: skip
def test_measurement_rules(  # type: ignore[no-untyped-def]
    parse, text: str, name: str, comparator: str, value: float, unit: str | None
) -> None:
    rule = _one(parse, text).rule
    assert isinstance(rule, MeasurementRule)
    assert (rule.name, rule.comparator, rule.value, rule.unit) == (name, comparator, value, unit)


def test_malignancy_with_exception(parse) -> None:  # type: ignore[no-untyped-def]
    text = "History of malignancy within 5 years, with the exception of basal cell carcinoma"
    rule = _one(parse, text, "Exclusion").rule
    assert isinstance(rule, ConditionRule)
    assert "cancer" in rule.any_of
    assert rule.excluding == ("basal cell carcinoma",)
    assert rule.history and rule.within_days == 1825


def test_no_history_in_inclusion_is_negated(parse) -> None:  # type: ignore[no-untyped-def]
    criterion = _one(parse, "No history of epilepsy")
    assert criterion.rule == ConditionRule(any_of=("epilepsy",), history=True, negated=True)
    assert criterion.entities[0].negated


def test_exclusion_written_as_a_requirement(parse) -> None:  # type: ignore[no-untyped-def]
    text = "Patients must not have received any prior chemotherapy."
    rule = _one(parse, text, "Exclusion").rule
    assert isinstance(rule, MedicationRule)
    assert rule.classes == ("chemotherapy",) and not rule.negated


def test_strong_cyp3a4_inhibitors_within_window(parse) -> None:  # type: ignore[no-untyped-def]
    text = "Use of strong CYP3A4 inhibitors within 14 days prior to randomization"
    rule = _one(parse, text, "Exclusion").rule
    assert isinstance(rule, MedicationRule)
    assert rule.classes == ("cyp3a4_strong_inhibitors",)
    assert rule.within_days == 14


def test_opioid_dose_in_morphine_equivalents(parse) -> None:  # type: ignore[no-untyped-def]
    rule = _one(parse, "Opioid use above 90 mg morphine equivalents per day").rule
    assert isinstance(rule, MedicationRule)
    assert rule.classes == ("opioids",)
    assert rule.dose is not None and rule.dose.equivalent == "morphine" and rule.dose.min == 90


def test_breastfeeding(parse) -> None:  # type: ignore[no-untyped-def]
    rule = _one(parse, "Women who are breastfeeding", "Exclusion").rule
    assert rule == PregnancyRule(states=("lactating",))


def test_lower_and_upper_bound_of_one_lab_make_a_range(parse) -> None:  # type: ignore[no-untyped-def]
    rule = _one(parse, "Body Mass Index (BMI) \\>= 18.5 and \\<= 32 kg/m2").rule
    assert rule == MeasurementRule("bmi", ">=", 18.5, "kg/m2", upper=32)


def test_a_numbered_day_is_no_threshold(parse) -> None:  # type: ignore[no-untyped-def]
    text = "Treatment with drugs that can prolong the QT interval within 14 days prior to Day 1."
    assert not isinstance(_one(parse, text, "Exclusion").rule, MeasurementRule)


@pytest.mark.parametrize(
    "text",
    [
        "Less than 50 years of age at the time of migraine onset.",
        "Age at onset of symptoms ≥ 60 years",
        "Women 45 years or older at menopause",
    ],
)
def test_age_at_an_earlier_event_is_for_a_person_to_check(parse, text: str) -> None:  # type: ignore[no-untyped-def]
    criterion = _one(parse, text)
    assert criterion.rule is None
    assert criterion.reason == "age at an earlier event (onset, diagnosis)"


def test_age_at_consent_is_the_current_age(parse) -> None:  # type: ignore[no-untyped-def]
    text = "Aged 18 to 65 years at the time of signing the informed consent"
    assert _one(parse, text).rule == AgeRule(min=18, max=65)


@pytest.mark.parametrize(
    "text", ["Medical Conditions", "Type of Participant and Disease Characteristics", "Age:"]
)
def test_a_template_sub_heading_is_no_criterion(parse, text: str) -> None:  # type: ignore[no-untyped-def]
    criterion = _one(parse, text)
    assert criterion.rule is None
    assert criterion.reason == HEADING_REASON


def test_a_criterion_that_starts_like_a_heading_is_read(parse) -> None:  # type: ignore[no-untyped-def]
    criterion = _one(parse, "Age 18 to 65 years", "Inclusion")
    assert criterion.rule == AgeRule(min=18, max=65)


@pytest.mark.parametrize(
    ("text", "name", "low", "high"),
    [
        ("ECOG performance status 0 to 2.", "ecog", 0, 2),
        ("Karnofsky 70 to 100", "karnofsky", 70, 100),
    ],
)
def test_a_score_range_written_with_to(  # type: ignore[no-untyped-def]
    parse, text: str, name: str, low: float, high: float
) -> None:
    # was "ecog = 0": every patient at ECOG 1 failed
    assert _one(parse, text).rule == MeasurementRule(name, ">=", low, None, upper=high)


@pytest.mark.parametrize(
    "text",
    [
        "An FEV1 <60% predicted post albuterol bronchodilator.",
        "PC20 < 4 mg/ml by methacholine challenge test",
    ],
)
def test_a_drug_given_for_a_test_is_no_medication_taken(parse, text: str) -> None:  # type: ignore[no-untyped-def]
    # as "currently taking albuterol" the exclusion turned away every asthma patient on it
    assert not isinstance(_one(parse, text, "Exclusion").rule, MedicationRule)


def test_a_contraindication_is_for_the_investigator(parse) -> None:  # type: ignore[no-untyped-def]
    # not "currently taking empagliflozin", which excluded exactly those who tolerate it
    text = (
        "Contraindications to the use of empagliflozin or linagliptin (per Prescribing Information)"
    )
    criterion = _one(parse, text, "Exclusion")
    assert criterion.rule is None
    assert criterion.reason is not None and "contraindication" in criterion.reason
    allergy = _one(parse, "Hypersensitivity or contraindication to baclofen", "Exclusion")
    assert allergy.rule == AllergyRule(substances=("baclofen",))
    assert allergy.category == "allergy"


def test_degree_words_stay_in_condition_names(parse) -> None:  # type: ignore[no-untyped-def]
    rule = _one(parse, "uncontrolled hypertension or diabetes.", "Exclusion").rule
    assert isinstance(rule, ConditionRule)
    assert rule.any_of == ("uncontrolled hypertension", "uncontrolled diabetes mellitus")
    severe = _one(parse, "Patients with severe asthma").rule
    assert isinstance(severe, ConditionRule) and severe.any_of == ("severe asthma",)


def test_the_head_word_of_a_condition_is_no_condition_of_its_own(parse) -> None:  # type: ignore[no-untyped-def]
    # "infection" alone excluded every patient with any infection on record
    text = "Has a known history of Human Immunodeficiency Virus (HIV) infection."
    rule = _one(parse, text, "Exclusion").rule
    assert isinstance(rule, ConditionRule) and "infection" not in rule.any_of
    alone = _one(parse, "Has an active infection requiring systemic therapy", "Exclusion").rule
    # the need stays with it: a recorded infection leaves the systemic therapy to ask about
    assert isinstance(alone, ConditionRule)
    assert alone.any_of == ("active infection requiring systemic therapy",)


def test_a_slash_shares_the_head_noun(parse) -> None:  # type: ignore[no-untyped-def]
    # "renal" alone excluded every patient with any kidney condition
    text = "Chronic diseases: renal/hepatic failure, any malignancy"
    rule = _one(parse, text, "Exclusion").rule
    assert isinstance(rule, ConditionRule)
    assert rule.any_of[:2] == ("renal failure", "hepatic failure")


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("Cardiovascular or pulmonary disease", ("cardiovascular disease", "pulmonary disease")),
        ("Severe cardiovascular diseases;", ("severe cardiovascular diseases",)),
        ("Asthma or Chronic Obstructive pulmonary Disease",
         ("asthma", "chronic obstructive pulmonary disease")),
    ],
)  # fmt: skip
def test_organ_words_share_the_head_and_keep_the_degree(  # type: ignore[no-untyped-def]
    parse, text: str, terms: tuple[str, ...]
) -> None:
    rule = _one(parse, text, "Exclusion").rule
    assert isinstance(rule, ConditionRule) and rule.any_of == terms


@pytest.mark.parametrize(
    "text",
    [
        "Have normal screening laboratories for white blood cells (WBC), platelets, sodium, "
        "potassium, bicarbonate",
        "Confirmed by ECG, as well as troponin I and CK-MB levels above normal",
        "Patients suspected to have vitamin B12 deficiency defined as a plasma vitamin B12 below "
        "the reference interval",
    ],
)
def test_a_measured_substance_is_no_medication_required(parse, text: str) -> None:  # type: ignore[no-untyped-def]
    # as "currently taking bicarbonate / troponin / vitamin B12" the inclusion failed everyone
    assert not isinstance(_one(parse, text).rule, MedicationRule)


def test_naive_to_a_drug_means_never_treated(parse) -> None:  # type: ignore[no-untyped-def]
    rule = _one(parse, "Subjects are dapsone-naive.").rule
    assert rule == MedicationRule(drugs=("dapsone",), timing="ever", negated=True)


def test_a_dose_belongs_to_a_drug_in_its_clause(parse) -> None:  # type: ignore[no-untyped-def]
    text = (
        "Infants who have already received postnatal vitamin D supplementation; "
        "prematurity (<37 weeks)/low birthweight (<2500 g)"
    )
    rule = _one(parse, text, "Exclusion").rule
    assert isinstance(rule, MedicationRule) and rule.dose is None


def test_a_negative_pregnancy_test_named_late_in_the_criterion(parse) -> None:  # type: ignore[no-untyped-def]
    text = (
        "Females of child-bearing potential (FOCP) must have a negative serum beta human "
        "chorionic gonadotropin (HCG) pregnancy test"
    )
    assert _one(parse, text).rule == PregnancyRule(states=("pregnant",), negated=True)


def test_not_on_a_treatment_naming_a_class_is_negated(parse) -> None:  # type: ignore[no-untyped-def]
    text = "Atrial fibrillation and not on oral anticoagulation (OAC) therapy but eligible"
    rule = _one(parse, text).rule
    assert isinstance(rule, MedicationRule) and rule.classes == ("anticoagulants",)
    assert rule.negated


def test_sensitivity_to_a_drug_is_an_allergy(parse) -> None:  # type: ignore[no-untyped-def]
    rule = _one(parse, "Sensitivity to pilocarpine", "Exclusion").rule
    assert rule == AllergyRule(substances=("pilocarpine",))
    index = _one(parse, "Insulin sensitivity index below 2", "Exclusion").rule
    assert not isinstance(index, MedicationRule)


@pytest.mark.parametrize(
    "text",
    [
        "Additional requirements for pregnancy testing during and after study intervention as "
        "described in the protocol.",
        "Pregnancy will not be considered as exclusion criteria.",
        "Not seeking pregnancy during the study period",
        "A male volunteer with sexual partners who are pregnant must use condoms",
    ],
)
def test_words_about_pregnancy_that_ask_for_none(parse, text: str) -> None:  # type: ignore[no-untyped-def]
    # each was "the patient must be pregnant"
    assert not isinstance(_one(parse, text).rule, PregnancyRule)


def test_an_aside_on_testing_does_not_negate_an_excluded_pregnancy(parse) -> None:  # type: ignore[no-untyped-def]
    text = (
        "Pregnancy (a negative serum or urine pregnancy test should be available for women of "
        "child-bearing potential before study entry)"
    )
    rule = _one(parse, text, "Exclusion").rule
    assert isinstance(rule, PregnancyRule) and not rule.negated


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("Known HIV infection or active hepatitis B or C infection.",
         ("hepatitis b", "hepatitis c", "hiv infection")),
        ("Hepatitis A, B, or C", ("hepatitis a", "hepatitis b", "hepatitis c")),
        ("Active hepatitis B (HBsAg positive) or hepatitis C (HCV RNA positive)",
         ("hepatitis b", "hepatitis c")),
    ],
)  # fmt: skip
def test_each_letter_of_a_hepatitis_list_is_a_hepatitis(  # type: ignore[no-untyped-def]
    parse, text: str, terms: tuple[str, ...]
) -> None:
    # "hepatitis B or C infection" named "c infection"; "HBsAg positive" was a drug taken
    rule = _one(parse, text, "Exclusion").rule
    assert isinstance(rule, ConditionRule) and rule.any_of == terms
