"""Rules about the person: age range, sex, pregnancy and lactation."""

from __future__ import annotations

import re

from nlp_models.records import AgeRule, PregnancyRule, SexRule
from nlp_models.values import ValueMention, find_values

_AGE_CUE = re.compile(
    r"\b(?:age[ds]?|years?\s+old|year-old|yrs?\s+old|years\s+of\s+age|adults?|old(?:er)?|"
    r"younger|birthday)\b",
    re.IGNORECASE,
)
_AGE_UNITS = {"years": 1.0, "months": 1 / 12, "weeks": 1 / 52, "days": 1 / 365}
_OLDER_AFTER = re.compile(
    r"^\W*(?:of\s+age\s+)?(?:or|and)\s+(?:older|above|over|more|greater|up)|^\s*\+", re.I
)
_YOUNGER_AFTER = re.compile(
    r"^\W*(?:of\s+age\s+)?(?:or|and)\s+(?:younger|below|under|less)", re.IGNORECASE
)
_LOWER_BEFORE = re.compile(
    r"(?:over|above|older\s+than|at\s+least|minimum|from)\W*(?:the\s+)?(?:age\s+of\s+)?$", re.I
)
_UPPER_BEFORE = re.compile(
    r"(?:under|below|younger\s+than|up\s+to|maximum)\W*(?:the\s+)?(?:age\s+of\s+)?$", re.I
)


def _age_values(text: str) -> list[ValueMention]:
    values = []
    for value in find_values(text):
        if value.unit in _AGE_UNITS or (
            value.unit is None and re.search(r"\bage[ds]?\W{0,12}$", text[: value.start], re.I)
        ):
            values.append(value)
    return values


def age_rule(text: str) -> AgeRule | None:
    """'Patients aged ≥ 18 years to ≤ 65 years' -> AgeRule(min=18, max=65)."""
    if not _AGE_CUE.search(text):
        return None
    bounds: dict[str, tuple[float, bool]] = {}
    for value in _age_values(text):
        scale = _AGE_UNITS.get(value.unit or "years", 1.0)
        if value.comparator == "range" and value.upper is not None:
            bounds.setdefault("min", (value.value * scale, value.lower_inclusive))
            bounds.setdefault("max", (value.upper * scale, value.upper_inclusive))
            continue
        side, inclusive = _side(text, value)
        if side is not None:
            bounds.setdefault(side, (value.value * scale, inclusive))
    if not bounds:
        return None
    low, high = bounds.get("min"), bounds.get("max")
    if low and high and low[0] > high[0]:
        return None
    return AgeRule(
        min=None if low is None else _tidy(low[0]),
        max=None if high is None else _tidy(high[0]),
        min_inclusive=True if low is None else low[1],
        max_inclusive=True if high is None else high[1],
    )


def _side(text: str, value: ValueMention) -> tuple[str | None, bool]:
    if value.comparator in (">=", ">"):
        return "min", value.comparator == ">="
    if value.comparator in ("<=", "<"):
        return "max", value.comparator == "<="
    after, before = text[value.end : value.end + 30], text[max(0, value.start - 30) : value.start]
    if _OLDER_AFTER.search(after) or _LOWER_BEFORE.search(before):
        return "min", not re.search(r"over|above|older\s+than", before, re.I)
    if _YOUNGER_AFTER.search(after) or _UPPER_BEFORE.search(before):
        return "max", not re.search(r"under|below|younger\s+than", before, re.I)
    return None, True


def _tidy(number: float) -> float:
    return float(round(number, 2))


_FEMALE = re.compile(r"\b(?:females?|women|woman|girls?|post-?menopausal|pre-?menopausal)\b", re.I)
_MALE = re.compile(r"\b(?:males?|men|man|boys?)\b", re.I)
_SEX_FILLER = re.compile(
    r"\b(?:and|or|only|patients?|subjects?|participants?|healthy|adults?|volunteers?|gender|"
    r"sex|either|both|all|must|be|are|is|who|aged|the|study|of|any|non-pregnant|ambulatory)\b|[\W\d]",
    re.IGNORECASE,
)


def sex_rule(text: str) -> SexRule | None:
    """'Male or female' -> both; 'Postmenopausal women' -> female; only sex-only criteria."""
    female, male = bool(_FEMALE.search(text)), bool(_MALE.search(text))
    if not (female or male):
        return None
    rest = _SEX_FILLER.sub(" ", _MALE.sub(" ", _FEMALE.sub(" ", text)))
    if len(rest.split()) > 1:
        return None
    allowed = tuple(sex for sex, present in (("female", female), ("male", male)) if present)
    return SexRule(allowed=allowed)


_PREGNANT = re.compile(r"\bpregnan\w*|\bgestation\w*", re.IGNORECASE)
_LACTATING = re.compile(r"\b(?:lactat\w*|breast[- ]?feed\w*|breast[- ]?fed|nursing)\b", re.I)
_NOT_A_STATE = re.compile(
    r"\b(?:agree\w*|willing\w*|plan\w*|intend\w*|wish\w*|desire|contracept\w*|prevent\w*|"
    r"avoid\w*|use|using|become|father|partner|future)\b",
    re.IGNORECASE,
)
_NEGATIVE = re.compile(
    r"\bnegative\b[^.;]{0,40}\bpregnancy\s+test|pregnancy\s+test[^.;]{0,20}\bnegative|"
    r"\bnot\s+(?:be\s+)?(?:currently\s+)?(?:pregnant|breast[- ]?feeding|lactating|nursing)|"
    r"\bnon-?pregnant|\bnon-?lactating",
    re.IGNORECASE,
)


def pregnancy_rule(text: str) -> PregnancyRule | None:
    """'Pregnant or nursing women' -> pregnant, lactating; 'negative pregnancy test' -> negated."""
    pregnant, lactating = _PREGNANT.search(text), _LACTATING.search(text)
    first = min((m.start() for m in (pregnant, lactating) if m), default=None)
    if first is None or _NOT_A_STATE.search(text[:first]) or first > 80:
        return None
    states = tuple(s for s, m in (("pregnant", pregnant), ("lactating", lactating)) if m)
    return PregnancyRule(states=states, negated=bool(_NEGATIVE.search(text)))
