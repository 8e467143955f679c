"""Bad input gives a result or a clear CriteriaParseError, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trialmatch.core.criteria import Criterion
from trialmatch.core.errors import CriteriaParseError


def _check(text: str, criteria: list[Criterion]) -> None:
    for criterion in criteria:
        assert text[criterion.start : criterion.end] == criterion.text
        for entity in criterion.entities:
            assert text[entity.start : entity.end] == entity.text


def test_empty_text(parse) -> None:  # type: ignore[no-untyped-def]
    assert parse("") == []
    assert parse("   \n\n \t") == []


@pytest.mark.slow
def test_one_megabyte_of_text(parse) -> None:  # type: ignore[no-untyped-def]
    line = "* Patients with type 2 diabetes and HbA1c between 7% and 10% within 3 months\n"
    text = "Inclusion Criteria:\n" + line * (1_000_000 // len(line))
    criteria = parse(text)
    assert len(criteria) == 1_000_000 // len(line)
    _check(text, criteria[:50])


def test_one_megabyte_without_line_breaks(parse) -> None:  # type: ignore[no-untyped-def]
    text = "word " * 200_000
    criteria = parse(text)
    assert len(criteria) == 1
    assert criteria[0].rule is None


def test_binary_garbage_is_refused() -> None:
    from nlp_models.parser import parse_eligibility

    garbage = bytes(range(256)).decode("latin-1") * 20
    with pytest.raises(CriteriaParseError, match="binary"):
        parse_eligibility(garbage)


def test_too_long_text_is_refused() -> None:
    from nlp_models.parser import parse_eligibility

    with pytest.raises(CriteriaParseError, match="limit"):
        parse_eligibility("x" * 2_000_001)


def test_html_markup(parse) -> None:  # type: ignore[no-untyped-def]
    text = "<ul><li>Inclusion Criteria:</li><li>Age &ge; 18 years</li></ul><br/><b>HIV</b>"
    _check(text, parse(text))


def test_another_language(parse) -> None:  # type: ignore[no-untyped-def]
    text = (
        "Critères d'inclusion :\n- Patients âgés de 18 à 65 ans\n"
        "Critères de non-inclusion :\n- Femmes enceintes\n- 患者年龄小于18岁"
    )
    criteria = parse(text)
    assert criteria
    _check(text, criteria)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_any_text(text: str) -> None:
    from nlp_models.parser import parse_eligibility

    try:
        criteria = parse_eligibility(text)
    except CriteriaParseError:
        return
    _check(text, criteria)


_PIECES = st.sampled_from(
    ["Inclusion Criteria:", "Exclusion Criteria:", "\n", "\n\n", "* ", "  * ", "1. ", "a) ",
     "age ≥ 18 years", "HbA1c < 7%", "no history of epilepsy", "other than", "within 6 months",
     "between", "and", "mg", ":", "lorazepam", "pregnant", "consent", "x ULN", "1,500/mm3"]
)  # fmt: skip


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_criteria_like_text(text: str) -> None:
    from nlp_models.parser import parse_eligibility

    _check(text, parse_eligibility(text))
