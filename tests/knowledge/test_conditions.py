"""The one condition vocabulary: consistent data, stable normalisation, and parser and
matcher agreeing on abbreviations ("CHF", "PTSD", "HIV")."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge import conditions
from knowledge.conditions import (
    abbreviations,
    canonical_condition,
    degree_phrases,
    qualifier_words,
    synonyms,
    term_matches,
    term_tokens,
)
from matcher.facts import prepare
from matcher.loaders import read_profile
from matcher.rules import evaluate_rule
from nlp_models.parser import parse_eligibility
from trialmatch.core.rules import ConditionRule

TODAY = date(2026, 12, 4)
_VOCABULARY = sorted(
    {*abbreviations(), *(key.upper() for key in abbreviations()), *synonyms().values()}
    | {word for phrase in conditions._data()["phrases"] for word in phrase.split()}
    | {"history", "of", "the", "Chronic", "a", "uncontrolled", "-", ",", "AIDS", "Stage"}
)
names = st.lists(st.sampled_from(_VOCABULARY), min_size=1, max_size=5).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(names)
def test_normalising_twice_changes_nothing(name: str) -> None:
    once = canonical_condition(name)
    assert canonical_condition(once) == once
    assert term_tokens(once) == term_tokens(name)


@pytest.mark.parametrize("abbreviation", sorted(abbreviations()))
def test_every_abbreviation_matches_its_written_out_form_both_ways(abbreviation: str) -> None:
    written = abbreviations()[abbreviation]
    for spelled in (abbreviation, abbreviation.upper()):
        assert term_matches(spelled, written), (spelled, written)
        assert term_matches(written, spelled), (written, spelled)


@pytest.mark.parametrize("variant", sorted(synonyms()))
def test_every_synonym_compares_equal_to_its_preferred_name(variant: str) -> None:
    assert term_tokens(variant) == term_tokens(synonyms()[variant])


def test_no_preferred_name_is_rewritten_again() -> None:
    for preferred in synonyms().values():
        assert canonical_condition(preferred) == preferred


def test_degree_phrases_are_qualifiers_the_matcher_asks_about() -> None:
    for phrase in degree_phrases():
        assert set(phrase.split()) - {"controlled"} <= qualifier_words(), phrase


@pytest.mark.parametrize(
    ("criterion", "recorded"),
    [
        ("CHF", "CHF"),
        ("CHF", "Congestive heart failure"),
        ("congestive heart failure", "CHF"),
        ("PTSD", "PTSD"),
        ("PTSD", "Posttraumatic stress disorder"),
        ("post-traumatic stress disorder", "PTSD"),
        ("HIV", "HIV infection"),
        ("hiv infection", "HIV"),
        ("T2DM", "type 2 diabetes"),
    ],
)
def test_a_parsed_criterion_and_a_recorded_condition_agree(criterion: str, recorded: str) -> None:
    parsed = [
        c for c in parse_eligibility(f"Exclusion Criteria:\n- History of {criterion}") if c.rule
    ]
    rule = parsed[0].rule
    assert isinstance(rule, ConditionRule)
    facts = prepare(read_profile({"id": "P-1", "conditions": [{"text": recorded}]}))
    assert evaluate_rule(rule, facts, TODAY)[0] == "met", (rule.any_of, recorded)
