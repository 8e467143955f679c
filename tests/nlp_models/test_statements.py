"""What is a requirement and what is not: cohorts, prose, permissions, polarity, headers
broken over lines, and the words at a condition's edges. One general rule per test."""

from __future__ import annotations

from trialmatch.core.rules import AgeRule, ConditionRule, GroupRule, PregnancyRule


def test_cohorts_are_alternatives_each_with_all_its_items(parse) -> None:  # type: ignore[no-untyped-def]
    criteria = parse(
        "Inclusion Criteria:\n\nPATIENTS WITH PARKINSON DISEASE:\n\n* Diagnosis of Parkinson "
        "disease\n* Age 40 to 80 years\n\nHEALTHY VOLUNTEERS:\n\n* No neurological disease\n"
        "* Age 40 to 80 years\n"
    )
    top = [c for c in criteria if c.group is None]
    assert len(top) == 1 and top[0].rule == GroupRule(logic="any")
    cohorts = [c for c in criteria if c.group == top[0].id]
    assert len(cohorts) == 2 and all(c.rule == GroupRule(logic="all") for c in cohorts)
    patients = [c for c in criteria if c.group == cohorts[0].id]
    assert {type(c.rule) for c in patients} == {ConditionRule, AgeRule}


def test_prose_about_the_population_is_no_requirement(parse) -> None:  # type: ignore[no-untyped-def]
    first = parse(
        "Inclusion Criteria:\n\nThe majority of patients with lupus are women, so most "
        "participants will be women.\n* Diagnosis of systemic lupus erythematosus\n"
    )[0]
    assert first.rule is None and first.category == "not_evaluable"


def test_a_permission_is_no_requirement(parse) -> None:  # type: ignore[no-untyped-def]
    allowed = parse("Inclusion Criteria:\n\n* Patients may take stable doses of methotrexate\n")[0]
    assert allowed.rule is None and "permission" in (allowed.reason or "")


def test_negative_inclusions_keep_their_polarity(parse) -> None:  # type: ignore[no-untyped-def]
    age, pregnancy = parse(
        "Inclusion Criteria:\n\n* No patients less than or equal to 5 years old\n"
        "* No females who are pregnant or breast feeding\n"
    )
    assert age.rule == AgeRule(min=5, min_inclusive=False)
    assert pregnancy.rule == PregnancyRule(states=("pregnant", "lactating"), negated=True)


def test_a_combined_header_broken_over_two_lines_opens_one_list(parse) -> None:  # type: ignore[no-untyped-def]
    criteria = parse(
        "Inclusion Criteria:\nInclusion/\n\nExclusion Criteria:\n: \n\n Age 18 years and older, "
        "\n\n Diagnosis of hypogonadism \n"
    )
    assert [c.kind for c in criteria] == ["inclusion", "inclusion"]
    assert criteria[0].rule == AgeRule(min=18)


def test_punctuation_alone_is_no_lead_in(parse) -> None:  # type: ignore[no-untyped-def]
    criteria = parse("Exclusion Criteria:\n: \n\n Prior stroke, \n\n Active hepatitis, \n")
    assert all(c.group is None for c in criteria) and len(criteria) == 2


def test_a_condition_loses_the_joining_word_a_broken_line_leaves(parse) -> None:  # type: ignore[no-untyped-def]
    rule = parse("Inclusion Criteria:\n\n* Confirmed diagnosis of hypogonadism with\n")[0].rule
    assert isinstance(rule, ConditionRule) and rule.any_of == ("hypogonadism",)


def test_a_gestational_age_is_no_pregnancy(parse) -> None:  # type: ignore[no-untyped-def]
    born = parse("Inclusion Criteria:\n\n* Infants born at less than 32 weeks gestational age\n")
    assert not any(isinstance(c.rule, PregnancyRule) for c in born)
    pregnant = parse("Exclusion Criteria:\n\n* Current gestation\n")[0]
    assert isinstance(pregnant.rule, PregnancyRule)


def test_a_family_history_stays_a_relatives(parse) -> None:  # type: ignore[no-untyped-def]
    family = parse("Exclusion Criteria:\n\n* Family history of hip fracture\n")[0].rule
    assert isinstance(family, ConditionRule)
    assert family.any_of == ("family history of hip fracture",)
    both = parse("Exclusion Criteria:\n\n* Personal or family history of breast cancer\n")[0].rule
    assert isinstance(both, ConditionRule)
    assert set(both.any_of) == {"breast cancer", "family history of breast cancer"}


def test_non_joined_to_a_name_is_no_negation(parse) -> None:  # type: ignore[no-untyped-def]
    rule = parse("Exclusion Criteria:\n\n* Non-Hodgkin lymphoma\n")[0].rule
    assert isinstance(rule, ConditionRule) and not rule.negated


def test_unwilling_to_stop_a_drug_is_for_a_person_to_ask(parse) -> None:  # type: ignore[no-untyped-def]
    criterion = parse("Exclusion Criteria:\n\n* Unwilling or unable to discontinue tizanidine\n")[0]
    assert criterion.rule is None and criterion.category == "not_evaluable"


def test_an_enumeration_of_plain_lines_nests_under_its_lead_in(parse) -> None:  # type: ignore[no-untyped-def]
    criteria = parse(
        "Exclusion Criteria:\n\n* Hereditary disorders within the following categories:\n"
        "Connective tissue disorders;\nPhacomatoses;\nMuscular dystrophies\n"
    )
    assert criteria[0].rule == GroupRule(logic="any")
    assert [c.group for c in criteria[1:]] == [criteria[0].id] * 3


def test_a_sex_alone_as_a_scope_is_no_requirement(parse) -> None:  # type: ignore[no-untyped-def]
    scope = parse("Inclusion Criteria:\n\n* For women,\n")[0]
    assert scope.rule is None
    assert parse("Inclusion Criteria:\n\n* Women only\n")[0].rule is not None


def test_a_kind_of_pregnancy_or_one_that_is_over_is_no_pregnancy_now(parse) -> None:  # type: ignore[no-untyped-def]
    for text in ("Tubal pregnancy confirmed by surgery", "A recently completed pregnancy"):
        criterion = parse(f"Exclusion Criteria:\n\n* {text}\n")[0]
        assert not isinstance(criterion.rule, PregnancyRule), text


def test_no_pregnant_women_inside_a_line_asks_for_none(parse) -> None:  # type: ignore[no-untyped-def]
    text = "Inclusion Criteria:\n\n* Suspected Cushing's syndrome No pregnant women\n"
    rule = parse(text)[0].rule
    assert rule == PregnancyRule(states=("pregnant",), negated=True)


def test_a_need_or_cause_stays_with_its_condition(parse) -> None:  # type: ignore[no-untyped-def]
    needs = parse("Exclusion Criteria:\n\n* Diabetes requiring medication other than metformin\n")
    assert isinstance(needs[0].rule, ConditionRule)
    assert needs[0].rule.any_of == ("diabetes mellitus requiring medication",)
    caused = parse("Exclusion Criteria:\n\n* Seizures secondary to brain metastases\n")[0].rule
    assert isinstance(caused, ConditionRule)
    assert caused.any_of == ("seizures secondary to brain metastases",)
