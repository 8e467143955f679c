"""Values with comparators and units; time windows and durations in days."""

from __future__ import annotations

import pytest

from nlp_models.temporal import find_temporal
from nlp_models.values import find_values


@pytest.mark.parametrize(
    ("text", "comparator", "value", "upper", "unit"),
    [
        ("ANC ≥ 1,500/mm3", ">=", 1500, None, "/mm3"),
        ("ANC >= 1.5 x 10^9/L", ">=", 1.5, None, "10^9/L"),
        ("ALT ≤ 2.5 x ULN", "<=", 2.5, None, "x ULN"),
        ("bilirubin > 1.5 times the upper limit of normal", ">", 1.5, None, "x ULN"),
        ("PTT ≤1.5 × ULN", "<=", 1.5, None, "x ULN"),
        ("AST greater than (\\>) 3 times the upper limit of normal", ">", 3, None, "x ULN"),
        ("ALT ≤ 2.5 × the ULN", "<=", 2.5, None, "x ULN"),
        ("bilirubin ≤ 2 x upper limit normal (ULN)", "<=", 2, None, "x ULN"),
        ("AST ≤ 3 x institutional upper limit of normal", "<=", 3, None, "x ULN"),
        ("creatinine => 2 mg/dL", ">=", 2, None, "mg/dL"),
        ("between 50 mg and 200 mg-diazepam", "range", 50, 200, "mg"),
        ("age 18-65 years", "range", 18, 65, "years"),
        ("40 to 75 years old", "range", 40, 75, "years"),
        ("at least 12 weeks", ">=", 12, None, "weeks"),
        ("more than 2 episodes", ">", 2, None, None),
        ("no more than 3 prior lines", "<=", 3, None, None),
        ("not less than 100,000/mm3", ">=", 100000, None, "/mm3"),
        ("HbA1c not below 7%", ">=", 7, None, "%"),
        ("no lower than 9 g/dL", ">=", 9, None, "g/dL"),
        ("not under 30 mL/min", ">=", 30, None, "mL/min"),
        ("not above 1.5 mg/dL", "<=", 1.5, None, "mg/dL"),
        ("not older than 70 years", "<=", 70, None, "years"),
        ("fewer than 3 episodes", "<", 3, None, None),
        ("up to 10 mg", "<=", 10, None, "mg"),
        ("eGFR < 30 mL/min/1.73 m2", "<", 30, None, "mL/min/1.73m2"),
    ],
)
def test_values(
    text: str, comparator: str, value: float, upper: float | None, unit: str | None
) -> None:
    found = find_values(text)
    assert found, text
    mention = found[0]
    assert (mention.comparator, mention.value, mention.upper, mention.unit) == (
        comparator, value, upper, unit
    )  # fmt: skip


@pytest.mark.parametrize(
    "text", ["HbA1c", "HbA1c measured by MINI 7.0.2", "CD4 count", "COVID-19 infection"]
)
def test_numbers_inside_words_are_not_values(text: str) -> None:
    assert find_values(text) == ()


@pytest.mark.parametrize(
    ("text", "kind", "days", "anchor"),
    [
        ("over the 28 days prior to inclusion", "window", 28, "inclusion"),
        ("within 6 months", "window", 180, "inclusion"),
        ("during the last year", "window", 365, "inclusion"),
        ("4 weeks before randomization", "window", 28, "randomization"),
        ("for more than 12 weeks", "duration", 84, None),
        ("for at least 3 months", "duration", 90, None),
    ],
)
def test_time(text: str, kind: str, days: int, anchor: str | None) -> None:
    mention = find_temporal(text)[0]
    assert (mention.kind, mention.days, mention.anchor) == (kind, days, anchor)
