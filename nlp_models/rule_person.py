"""Rules about the person: age range, sex, pregnancy and lactation."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from nlp_models.values import ValueMention, find_values
from trialmatch.core.patient import Sex
from trialmatch.core.rules import AgeRule, PregnancyRule, PregnancyState, SexRule

_AGE_CUE = re.compile(
    r"\b(?:age[ds]?|years?\s+old|year-old|yrs?\s+old|years\s+of\s+age|adults?|old(?:er)?|"
    r"younger|birthday)\b|"
    # "children under 12 years": a group of people bounded in years right after it
    r"\b(?:children|adolescents|infants|boys|girls|men|women)\s+(?:under|over|below|above|"
    r"between|from|≥|≤|<|>|\\[<>])",
    re.IGNORECASE,
)
_AGE_UNITS = {"years": 1.0, "months": 1 / 12, "weeks": 1 / 52, "days": 1 / 365}
_OLDER_AFTER = re.compile(
    r"^\W*(?:old\s+|of\s+age\s+)?(?:or|and)\s+(?:older|above|over|more|greater|up)|^\s*\+",
    re.IGNORECASE,
)
_YOUNGER_AFTER = re.compile(
    r"^\W*(?:old\s+|of\s+age\s+)?(?:or|and)\s+(?:younger|below|under|less)", re.IGNORECASE
)
# "greater than to or equal 18 years": registries' wording is not always tidy
_OR_EQUAL = r"(?:\s+(?:or\s+)?(?:to\s+)?(?:or\s+)?equal(?:\s+to)?)?"
_LOWER_BEFORE = re.compile(
    rf"(?:over|above|older\s+than|greater\s+than|more\s+than|at\s+least|minimum|from)"
    rf"{_OR_EQUAL}\W*(?:the\s+)?(?:age\s+(?:of\s+)?)?$",
    re.IGNORECASE,
)
_UPPER_BEFORE = re.compile(
    rf"(?:under|below|younger\s+than|less\s+than|up\s+to|maximum)"
    rf"{_OR_EQUAL}\W*(?:the\s+)?(?:age\s+(?:of\s+)?)?$",
    re.IGNORECASE,
)
_STRICT_BEFORE = re.compile(r"over|above|older|greater|more|under|below|younger|less", re.I)
_INCLUSIVE_BEFORE = re.compile(r"equal|at\s+least|minimum|from|up\s+to|maximum", re.I)
# "age outside the range of 18 to 65 years", "not between 18 and 65 years of age"
_OUTSIDE_BEFORE = re.compile(
    r"\b(?:outside|not\s+(?:be\s+)?(?:between|within|in))\b[^.;]{0,30}$|\bnot\s+(?:be\s+)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class AgesOutside:
    """An age range the patient must lie outside of: below `below.max` or above `above.min`."""

    below: AgeRule
    above: AgeRule


# "younger than 18 or older than 75 years": the first number borrows the unit after it
_SHARED_UNIT_GAP = re.compile(
    r"^\s*(?:(?:years?|yrs?)\s+)?(?:or|and|to)\s+(?:[a-z]+\s+){0,2}$", re.IGNORECASE
)


# "consent by a guardian if under 16 years old", "If age is 40 to 45 years, a stress test":
# an age that sets off another requirement is no limit of the study's
_CONDITIONAL_BEFORE = re.compile(
    r"\b(?:if|when|whenever|unless|in\s+case\s+of|for\s+those)\b[^.;:()]*$", re.IGNORECASE
)


# "gestational age (42 - 56 days from the last menstrual period)", "36-42 weeks of gestation":
# the pregnancy's age, or the patient's at birth, not the patient's today
_PREGNANCY_AGE = re.compile(
    r"\b(?:gestation\w*|menstrual|pregnan\w*|at\s+birth|postmenstrual)\b", re.I
)


def _age_values(text: str) -> list[ValueMention]:
    found = [
        value
        for value in find_values(text)
        if not _CONDITIONAL_BEFORE.search(text[: value.start])
        and not _PREGNANCY_AGE.search(text[max(0, value.start - 40) : value.end + 60])
    ]
    values = []
    for index, value in enumerate(found):
        following = found[index + 1] if index + 1 < len(found) else None
        if value.unit in _AGE_UNITS or (
            value.unit is None and re.search(r"\bage[ds]?\W{0,12}$", text[: value.start], re.I)
        ):
            values.append(value)
        elif (
            value.unit is None
            and following is not None
            and following.unit in _AGE_UNITS
            and _SHARED_UNIT_GAP.match(text[value.end : following.start])
        ):
            values.append(replace(value, unit=following.unit))
    return values


ADULT_AGE = 18.0
_ADULTS = re.compile(r"\badults?\b(?![- ]onset)", re.IGNORECASE)


def age_rule(text: str) -> AgeRule | AgesOutside | None:
    """'Patients aged ≥ 18 years to ≤ 65 years' -> AgeRule(min=18, max=65).

    'Age outside 18 to 65 years' and 'younger than 18 or older than 65 years'
    give `AgesOutside`.
    """
    if not _AGE_CUE.search(text):
        return None
    bounds: dict[str, tuple[float, bool]] = {}
    for value in _age_values(text):
        scale = _AGE_UNITS.get(value.unit or "years", 1.0)
        if value.comparator == "range" and value.upper is not None:
            youngest, oldest = value.value * scale, value.upper * scale
            if not bounds and _OUTSIDE_BEFORE.search(text[: value.start]):
                return AgesOutside(
                    below=AgeRule(max=_tidy(youngest), max_inclusive=not value.lower_inclusive),
                    above=AgeRule(min=_tidy(oldest), min_inclusive=not value.upper_inclusive),
                )
            bounds.setdefault("min", (youngest, value.lower_inclusive))
            bounds.setdefault("max", (oldest, value.upper_inclusive))
            continue
        side, inclusive = _side(text, value)
        if side is not None:
            bounds.setdefault(side, (value.value * scale, inclusive))
    if not bounds:
        return None
    low, high = bounds.get("min"), bounds.get("max")
    if low is None and high is not None and high[0] > ADULT_AGE and _ADULTS.search(text):
        low = (ADULT_AGE, True)  # "healthy adults under age 60": adults are 18 or older
    if low and high and low[0] == high[0]:
        high = None  # "≥ 18 years; under 18 years with a parent's consent": the limit is 18
    if low and high and low[0] > high[0]:
        return AgesOutside(
            below=AgeRule(max=_tidy(high[0]), max_inclusive=high[1]),
            above=AgeRule(min=_tidy(low[0]), min_inclusive=low[1]),
        )
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
    lower_before, upper_before = _LOWER_BEFORE.search(before), _UPPER_BEFORE.search(before)
    if _OLDER_AFTER.search(after) or lower_before:
        return "min", _inclusive(lower_before)
    if _YOUNGER_AFTER.search(after) or upper_before:
        return "max", _inclusive(upper_before)
    return None, True


def _inclusive(cue: re.Match[str] | None) -> bool:
    """'over 18' excludes 18; 'at least 18', '18 or older' and 'over or equal to 18' include it."""
    if cue is None:
        return True
    return bool(_INCLUSIVE_BEFORE.search(cue.group(0))) or not _STRICT_BEFORE.search(cue.group(0))


def _tidy(number: float) -> float:
    return float(round(number, 2))


_FEMALE = re.compile(r"\b(?:females?|women|woman|girls?|post-?menopausal|pre-?menopausal)\b", re.I)
_MALE = re.compile(r"\b(?:males?|men|man|boys?)\b", re.I)
_SEX_FILLER = re.compile(
    r"\b(?:and|or|only|patients?|subjects?|participants?|healthy|adults?|volunteers?|gender|"
    r"sex|either|both|all|must|be|are|is|who|aged|the|study|of|any|non-pregnant|ambulatory)\b|[\W\d]",
    re.IGNORECASE,
)


# "For women," on its own line: the scope of what follows, not a requirement of its own
_SCOPE_ONLY = re.compile(
    r"^\W*(?:for|in)\s+(?:fe)?(?:males?|men|women|man|woman)\s*[,:;]?\s*$", re.I
)


def sex_rule(text: str) -> SexRule | None:
    """'Male or female' -> both; 'Postmenopausal women' -> female; only sex-only criteria."""
    female, male = bool(_FEMALE.search(text)), bool(_MALE.search(text))
    if not (female or male) or _SCOPE_ONLY.match(text):
        return None
    rest = _SEX_FILLER.sub(" ", _MALE.sub(" ", _FEMALE.sub(" ", text)))
    if len(rest.split()) > 1:
        return None
    both: tuple[tuple[Sex, bool], ...] = (("female", female), ("male", male))
    return SexRule(allowed=tuple(sex for sex, present in both if present))


# "gestational age", "born before 32 weeks of gestation", "gestational diabetes": a birth or
# a disease, not a pregnancy now
_PREGNANT = re.compile(
    r"\bpregnan\w*|(?<!weeks\s)(?<!weeks'\s)(?<!of\s)\bgestation(?:al)?\b"
    r"(?!\s+(?:age|diabetes|weeks?|hypertension|trophoblastic))",
    re.IGNORECASE,
)
_LACTATING = re.compile(r"\b(?:lactat\w*|breast[- ]?feed\w*|breast[- ]?fed|nursing)\b", re.I)
_NOT_A_STATE = re.compile(
    r"\b(?:agree\w*|willing\w*|plan\w*|intend\w*|wish\w*|desire|contracept\w*|prevent\w*|"
    r"avoid\w*|use|using|become|father|partner\w*|future|seek\w*)\b",
    re.IGNORECASE,
)
# "pregnancy testing as described in the protocol", "pregnancy will not be considered as an
# exclusion criterion": about pregnancy, not a pregnancy the criterion asks for
_NOT_ASKED = re.compile(
    r"^\w*\s+(?:test(?:s|ing)?\b|will\s+not\s+be\s+"
    r"considered|is\s+not\s+an?\s+exclusion|(?:is|are)\s+(?:allowed|permitted|acceptable)\b)",
    re.IGNORECASE,
)
_PARENTHESES = re.compile(r"\([^()]*\)")
_NEGATIVE = re.compile(
    r"\bnegative\b[^.;]{0,60}\bpregnancy\s+test|pregnancy\s+test[^.;]{0,20}\bnegative|"
    r"\bnot\s+(?:be\s+)?(?:currently\s+)?(?:pregnant|breast[- ]?feeding|lactating|nursing)|"
    r"\bno\s+(?:pregnant|breast[- ]?feeding|lactating|nursing)\b|"
    r"\bnon-?pregnant|\bnon-?lactating",
    re.IGNORECASE,
)


# "tubal pregnancy", "a recently completed pregnancy": a kind of pregnancy or one that is over,
# a condition or history rather than being pregnant now
_KIND_OR_PAST = re.compile(
    r"\b(?:ectopic|tubal|ampullar|molar|heterotopic|cornual|intrauterine|completed|previous|"
    r"prior|past|earlier|former)\s+pregnan\w*",
    re.IGNORECASE,
)


def pregnancy_rule(text: str) -> PregnancyRule | None:
    """'Pregnant or nursing women' -> pregnant, lactating; 'negative pregnancy test' -> negated."""
    if _KIND_OR_PAST.search(text):
        return None
    pregnant, lactating = _PREGNANT.search(text), _LACTATING.search(text)
    first = min((m.start() for m in (pregnant, lactating) if m), default=None)
    if first is None or _NOT_A_STATE.search(text[:first]):
        return None
    # "Pregnancy (a negative pregnancy test is required …)": the aside explains, it does not negate
    negative = _NEGATIVE.search(_PARENTHESES.sub(" ", text) if first < 3 else text)
    if _NOT_ASKED.match(text[first:]) and not negative:
        return None
    if first > 80 and not negative:  # a far mention is seldom the subject
        return None
    found: tuple[tuple[PregnancyState, object], ...] = (
        ("pregnant", pregnant),
        ("lactating", lactating),
    )
    states = tuple(state for state, mention in found if mention)
    return PregnancyRule(states=states, negated=bool(negative))
