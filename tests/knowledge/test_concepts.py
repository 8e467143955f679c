"""The concept layer: MeSH and ICD-10-CM names read as concepts, with their hierarchies."""

from __future__ import annotations

import pytest

from knowledge import concepts
from knowledge.concepts import ancestors, closure, code_concepts, concepts_in, reading, relation


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Turner's Syndrome", "Turner syndrome"),
        ("thyroid cancer", "thyroid neoplasms"),
        ("heart attack", "myocardial infarction"),
        ("hypocortisolism", "adrenal insufficiency"),  # through the vocabulary's synonyms
        ("acid reflux", "gastroesophageal reflux disease"),
    ],
)
def test_different_words_name_the_same_concept(one: str, other: str) -> None:
    assert concepts_in(one)
    assert concepts_in(one) & concepts_in(other)


@pytest.mark.parametrize(
    ("narrow", "broad"),
    [
        ("Alzheimer disease", "dementia"),
        ("papillary thyroid cancer", "thyroid neoplasms"),
        ("Duchenne muscular dystrophy", "neuromuscular disease"),
        ("Marfan syndrome", "connective tissue disease"),
    ],
)
def test_a_narrower_record_meets_a_broader_term_and_not_the_reverse(
    narrow: str, broad: str
) -> None:
    assert relation(concepts_in(broad), concepts_in(narrow)) == "same_or_narrower"
    assert relation(concepts_in(narrow), concepts_in(broad)) == "broader"


def test_unrelated_concepts_stay_unrelated() -> None:
    assert relation(concepts_in("asthma"), concepts_in("gout")) == "unrelated"
    assert relation(frozenset(), concepts_in("gout")) == "unrelated"


def test_words_no_concept_covers_are_kept_apart() -> None:
    found, left = reading("T4 breast cancer")
    assert found and "t4" in left


def test_non_before_a_name_is_part_of_it_not_a_negation() -> None:
    lung = concepts_in("non-small cell lung cancer")
    assert any("Non-Small-Cell" in concept for concept in lung)


def test_icd10_codes_carry_their_chapter_hierarchy() -> None:
    e11 = code_concepts("E11.9")
    assert e11
    assert any(concept.startswith("icd:E11") for concept in closure(e11))
    assert all(concept in closure(e11) for concept in e11)
    assert not code_concepts("not a code")


def test_every_ancestor_is_a_known_concept() -> None:
    for concept in concepts_in("papillary thyroid cancer"):
        for broader in ancestors(concept):
            assert concepts.known(broader), broader
