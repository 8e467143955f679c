"""Numeric values with comparators and units: "≥ 18 years", "between 50 mg and 200 mg",
"1,500/mm3", "1.5 x 10^9/L", "≤ 2.5 x ULN", "18-65 years", "at least 12 weeks".

`find_values(text)` returns `ValueMention`s with character offsets, a
canonical comparator (``>=``, ``>``, ``<=``, ``<``, ``=``, or ``range``), the
number(s) and the unit as written (normalised spelling). Pure regular
expressions: they run on every criterion and must stay fast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from trialmatch.core.rules import Comparator

NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+(?:[.,]\d+)?|\.\d+)"
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
    "eighteen": 18, "twenty": 20, "thirty": 30, "a": 1, "an": 1,
}  # fmt: skip
NUMBER_WORD = r"(?:" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
UNIT = (
    r"(?:(?:[x×]|times)\s*(?:the\s+)?(?:institutional\s+|local\s+)?(?:upper\s+limits?\s+"
    r"(?:of\s+)?(?:the\s+)?(?:normal|nl)(?:\s+range)?|ULN)|ULN|"
    r"(?:[x×]\s*)?10\s*(?:\\?\^|\*\*|e)?\s*[0-9⁹³]{1,2}\s*/\s*(?:L|l|µL|uL|μL|mm3|mm³)|"
    r"(?:cells|cell)?\s*/\s*(?:mm3|mm³|mm\^3|µL|uL|μL|mcL|cmm)|G/L|"
    r"mL\s*/\s*min(?:ute)?\s*(?:/\s*1[.,•·]73\s*m(?:2|²|\^2))?|ml\s*/\s*min(?:/1\.73\s*m2)?|"
    r"mg\s*/\s*dl|mg\s*/\s*dL|g\s*/\s*dl|g\s*/\s*dL|g\s*/\s*L|g/l|mg\s*/\s*L|ng\s*/\s*mL|"
    r"pg\s*/\s*mL|µg\s*/\s*L|ug\s*/\s*L|[µμu]mol\s*/\s*L|mmol\s*/\s*L|mmol\s*/\s*mol|"
    r"mEq\s*/\s*L|m?IU\s*/\s*L|m?IU\s*/\s*mL|U\s*/\s*L|IU|"
    r"kg\s*/\s*m(?:2|²|\^2)|kg|lbs?|cm|mm\s*Hg|mmHg|msec|ms|bpm|"
    r"mg\s*/\s*(?:day|d)|mg-diazepam|mg\s+diazepam|mg|mcg|µg|ug|g|mL|ml|L|cc|"
    r"%|percent|"
    r"years?|yrs?|months?|mos?|weeks?|wks?|days?|hours?|hrs?|minutes?|mins?)"
)
# a negated bound is the opposite inclusive bound: "not less than 100" is ≥ 100
_NOT = r"no[t]?\s+"
_LOWER = (
    rf"{_NOT}(?:less|lower|fewer|younger)\s+than|{_NOT}(?:below|under)|"
    r"≥|>=|=>|≧|⩾|>|greater\s+than\s+or\s+equal\s+to|at\s+least|more\s+than|greater\s+than|"
    r"over|above|older\s+than|higher\s+than|exceeding|in\s+excess\s+of|minimum(?:\s+of)?|"
    r"min\.?|from"
)
_UPPER = (
    rf"{_NOT}(?:more|greater|higher|older)\s+than|{_NOT}(?:above|over|exceeding)|"
    r"≤|<=|=<|≦|⩽|<|less\s+than\s+or\s+equal\s+to|up\s+to|less\s+than|below|"
    r"under|younger\s+than|lower\s+than|lesser\s+than|fewer\s+than|maximum(?:\s+of)?|max\.?|to|until"
)
_TRAILING_LOWER = (
    r"(?:(?:or|and)\s+(?:older|above|more|greater|higher|over)|\+|and\s+up)(?!\s+than)"
)
_TRAILING_UPPER = r"(?:or|and)\s+(?:younger|below|less|lower|under|fewer)(?!\s+than)"
_COMPARATOR_WORDS: dict[str, Comparator] = {
    "≥": ">=", ">=": ">=", "=>": ">=", "≧": ">=", "⩾": ">=", ">": ">",
    "≤": "<=", "<=": "<=", "=<": "<=", "≦": "<=", "⩽": "<=", "<": "<",
}  # fmt: skip
_STRICT_WORDS = ("more than", "greater than", "over", "above", "older than", "higher than",
                 "exceeding", "in excess of", "less than", "below", "under", "younger than",
                 "lower than", "lesser than", "fewer than")  # fmt: skip


def _quantity(number_group: str, unit_group: str) -> str:
    return (
        # a number joined to a word by a hyphen is part of a name ("COVID-19", "IL-6")
        rf"(?<![\w.,])(?<![A-Za-z]-)(?P<{number_group}>{NUMBER}|{NUMBER_WORD}\b)"
        rf"(?:\s*(?P<{unit_group}>{UNIT})(?![A-Za-z]))?"
    )


_RANGE = re.compile(
    rf"(?:between\s+|from\s+)?(?:{_LOWER})?\s*{_quantity('lo', 'lo_unit')}"
    rf"\s*(?:-|–|—|to|and|through)\s*(?:{_UPPER})?\s*"
    rf"{_quantity('hi', 'hi_unit')}(?!\.?\d)",
    re.IGNORECASE,
)
_SINGLE = re.compile(
    rf"(?:(?P<cmp>{_LOWER}|{_UPPER}|=|equal\s+to)\s*(?:\(\s*\\?(?:[≥≤<>]=?|=[<>])\s*\)\s*)?)?"
    rf"{_quantity('num', 'unit')}(?!\.?\d)"
    rf"(?:\s*(?P<trail_lo>{_TRAILING_LOWER})|\s*(?P<trail_hi>{_TRAILING_UPPER}))?",
    re.IGNORECASE,
)
_TIMES_TEN = re.compile(r"^[x×]\s*10", re.IGNORECASE)


@dataclass(frozen=True)
class ValueMention:
    start: int
    end: int
    comparator: Comparator | Literal["range"]
    value: float
    upper: float | None = None
    unit: str | None = None
    lower_inclusive: bool = True
    upper_inclusive: bool = True


def parse_number(text: str) -> float:
    word = text.strip().lower()
    if word in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[word])
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", word):
        return float(word.replace(",", ""))
    return float(word.replace(",", "."))


def normalize_unit(unit: str | None) -> str | None:
    """One spelling per unit: 'x ULN', '10^9/L', '/mm3', 'years', 'mg/dL' …"""
    if not unit:
        return None
    compact = re.sub(r"\s+", " ", unit.strip())
    lowered = compact.lower()
    if "uln" in lowered or "upper limit" in lowered:
        return "x ULN"
    if re.match(r"(?:[x×]\s*)?10", lowered):
        power = re.search(r"10\s*(?:\\?\^|\*\*|e)?\s*([0-9⁹³]{1,2})", lowered)
        exponent = (power.group(1) if power else "9").replace("⁹", "9").replace("³", "3")
        return f"10^{exponent}/" + ("L" if lowered.endswith("l") and "ul" not in lowered else "uL")
    if lowered.startswith(("cells/", "cell/", "/")):
        per = lowered.split("/", 1)[1].strip()
        return "/mm3" if per.startswith(("mm", "cmm")) else "/uL"
    time_units = {"y": "years", "m": "months", "w": "weeks", "d": "days", "h": "hours"}
    if re.fullmatch(r"(?:years?|yrs?|months?|mos?|weeks?|wks?|days?|hours?|hrs?)", lowered):
        return time_units[lowered[0]]
    if lowered.startswith("mg") and "diazepam" in lowered:
        return "mg"
    return _litre_case(re.sub(r"1[,•·]73", "1.73", compact.replace(" ", "")).replace("²", "2"))


def _litre_case(unit: str) -> str:
    """'mg/dl' -> 'mg/dL', 'ml/min' -> 'mL/min', 'umol/l' -> 'umol/L'."""
    unit = re.sub(r"(?i)\bml(?=/|$)", "mL", unit)
    unit = re.sub(r"(?i)(?<=/)dl\b", "dL", unit)
    return re.sub(r"(?<=/)l\b", "L", unit)


def _comparator(word: str | None, default: Comparator) -> tuple[Comparator, bool]:
    """Canonical comparator and whether it is strict, from the written form."""
    if not word:
        return default, False
    cleaned = re.sub(r"\s+", " ", word.strip().lower())
    if cleaned in _COMPARATOR_WORDS:
        symbol = _COMPARATOR_WORDS[cleaned]
        return symbol, symbol in (">", "<")
    strict = cleaned in _STRICT_WORDS
    lower = re.fullmatch(_LOWER, cleaned, re.IGNORECASE) is not None
    if cleaned in ("=", "equal to"):
        return "=", False
    if lower:
        return (">" if strict else ">="), strict
    return ("<" if strict else "<="), strict


def _range_mention(match: re.Match[str]) -> ValueMention | None:
    low, high = parse_number(match.group("lo")), parse_number(match.group("hi"))
    unit = match.group("hi_unit") or match.group("lo_unit")
    if low > high or _looks_like_list(match.group(0)):
        return None
    text = match.group(0).lower()
    return ValueMention(
        start=match.start() + len(match.group(0)) - len(match.group(0).lstrip()),
        end=match.end(),
        comparator="range",
        value=low,
        upper=high,
        unit=normalize_unit(unit),
        lower_inclusive=not re.search(r"(?:more|greater|older) than|>(?!=)|over", text),
        upper_inclusive=not re.search(r"(?:less|younger) than|<(?!=)|under", text),
    )


def _looks_like_list(text: str) -> bool:
    # "1 and 2" in "grade 1 and 2" is a list, not a range; only "-"/"to" ranges without units
    return " and " in text.lower() and not re.search(r"between|from", text, re.IGNORECASE)


@lru_cache(maxsize=4096)
def find_values(text: str) -> tuple[ValueMention, ...]:
    """Every value in `text`, in text order (cached: each criterion asks several times)."""
    return tuple(_find_values(text))


_ANY_NUMBER = re.compile(rf"\d|\b(?!an?\b){NUMBER_WORD}\b", re.IGNORECASE)


def _find_values(text: str) -> list[ValueMention]:
    """Ranges first, then single values outside ranges."""
    if not _ANY_NUMBER.search(text):
        return []  # most criteria carry no number: skip the long patterns
    mentions: list[ValueMention] = []
    taken: list[tuple[int, int]] = []
    for match in _RANGE.finditer(text):
        if not (match.group("lo_unit") or match.group("hi_unit")) and not re.search(
            r"between|from|-|–", match.group(0), re.IGNORECASE
        ):
            continue
        mention = _range_mention(match)
        if mention is not None:
            mentions.append(mention)
            taken.append((mention.start, mention.end))
    for match in _SINGLE.finditer(text):
        if any(start < match.end() and match.start() < end for start, end in taken):
            continue
        mention = _single_mention(match)
        if mention is not None:
            mentions.append(mention)
    return sorted(mentions, key=lambda m: m.start)


def _single_mention(match: re.Match[str]) -> ValueMention | None:
    number = match.group("num")
    if number.lower() in ("a", "an") and not match.group("unit"):
        return None
    if match.group("cmp"):
        comparator, strict = _comparator(match.group("cmp"), "=")
    elif match.group("trail_lo"):
        comparator, strict = ">=", False
    elif match.group("trail_hi"):
        comparator, strict = "<=", False
    else:
        comparator, strict = _comparator(match.group("cmp"), "=")
    if not match.group("unit") and comparator == "=" and number.isalpha():
        return None
    del strict
    start = match.start() if match.group("cmp") else match.start("num")
    return ValueMention(
        start=start,
        end=match.end(),
        comparator=comparator,
        value=parse_number(number),
        unit=normalize_unit(match.group("unit")),
    )
