"""Time expressions normalised to days, with their anchor.

Two kinds: a *window* looks back from an anchor ("within 6 months", "over
the 28 days prior to inclusion", "during the last year", "4 weeks before
randomization"); a *duration* says how long something lasted ("for more than
12 weeks", "for at least 3 months"). Also bare temporal words Chia annotates
("current", "previous", "history", "during the study"), as mentions without
days.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from nlp_models.values import NUMBER, NUMBER_WORD, parse_number

_DAYS_PER_UNIT = {"day": 1, "week": 7, "month": 30, "year": 365, "hour": 1 / 24}
_UNIT = r"(?P<unit>days?|weeks?|wks?|months?|mos?|years?|yrs?|hours?|hrs?)"
_AMOUNT = rf"(?P<num>{NUMBER}|{NUMBER_WORD})"
_ANCHOR = (
    r"(?P<anchor>inclusion|enrol?lment|randomi[sz]ation|screening|baseline|study\s+entry|"
    r"entry|the\s+first\s+dose|first\s+dose|day\s+1|registration|consent|signing|study\s+start|"
    r"the\s+start\s+of\s+(?:the\s+)?study|study\s+(?:drug|treatment|day\s+1)|visit\s+1|"
    r"treatment\s+start|initiation|the\s+study|the\s+trial)"
)
_WINDOWS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        rf"(?:within|in|during|over|for)\s+(?:the\s+)?(?:last|past|previous|preceding|prior)?\s*"
        rf"{_AMOUNT}?\s*{_UNIT}(?:\s+(?:prior\s+to|before|preceding|of)\s+{_ANCHOR})?",
        rf"{_AMOUNT}\s*{_UNIT}\s+(?:prior\s+to|before|preceding)\s+{_ANCHOR}",
        rf"(?:in|during|within)\s+the\s+(?:last|past|previous|preceding)\s+{_UNIT}",
    )
)
_DURATIONS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        rf"for\s+(?P<cmp>more\s+than|at\s+least|over|longer\s+than|a\s+minimum\s+of|>=?|≥)?"
        rf"\s*{_AMOUNT}\s*{_UNIT}(?:\s+or\s+(?:more|longer))?",
        rf"(?:lasting|duration\s+of)\s+(?P<cmp>more\s+than|at\s+least|>=?|≥)?\s*"
        rf"{_AMOUNT}\s*{_UNIT}",
    )
)
_WORDS = re.compile(
    r"\b(?:current(?:ly)?|previous(?:ly)?|prior|history|past|recent(?:ly)?|ongoing|active|"
    r"during\s+the\s+(?:study|trial)|at\s+(?:the\s+time\s+of\s+)?(?:screening|inclusion|"
    r"enrol?lment|baseline|randomi[sz]ation)|at\s+least\s+\w+\s+(?:days?|weeks?|months?|years?)|"
    r"in\s+the\s+future|throughout\s+the\s+(?:trial|study)(?:\s+period)?|concomitant(?:ly)?|"
    r"chronic|acute|ever)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TemporalMention:
    start: int
    end: int
    kind: str  # "window", "duration" or "mention"
    days: int | None = None
    anchor: str | None = None
    comparator: str | None = None  # for durations: ">", ">=" or None


def _days(amount: str | None, unit: str) -> int:
    count = parse_number(amount) if amount else 1.0
    key = next(name for name in _DAYS_PER_UNIT if unit.lower().startswith(name[0]))
    if unit.lower().startswith("mo"):
        key = "month"
    return round(count * _DAYS_PER_UNIT[key])


def _anchor(match: re.Match[str]) -> str:
    anchor = match.groupdict().get("anchor")
    return re.sub(r"\s+", " ", anchor.lower()) if anchor else "inclusion"


@lru_cache(maxsize=4096)
def find_temporal(text: str) -> tuple[TemporalMention, ...]:
    """Windows, durations and bare temporal words, in text order (cached)."""
    return tuple(_find_temporal(text))


def _find_temporal(text: str) -> list[TemporalMention]:
    """Windows, durations, then bare temporal words outside them, in text order."""
    mentions: list[TemporalMention] = []
    for match in _matches(_DURATIONS, text):
        written = (match.groupdict().get("cmp") or "").lower()
        comparator = ">" if written.startswith(("more", "over", "longer", ">")) else ">="
        if "≥" in written or ">=" in written:
            comparator = ">="
        days = _days(match.group("num"), match.group("unit"))
        if not _overlaps(match.start(), match.end(), mentions):
            mentions.append(
                TemporalMention(match.start(), match.end(), "duration", days, None, comparator)
            )
    for match in _matches(_WINDOWS, text):
        if _overlaps(match.start(), match.end(), mentions):
            continue
        days = _days(match.groupdict().get("num"), match.group("unit"))
        mentions.append(TemporalMention(match.start(), match.end(), "window", days, _anchor(match)))
    for match in _WORDS.finditer(text):
        if not _overlaps(match.start(), match.end(), mentions):
            mentions.append(TemporalMention(match.start(), match.end(), "mention"))
    return sorted(mentions, key=lambda mention: mention.start)


def _matches(patterns: tuple[re.Pattern[str], ...], text: str) -> list[re.Match[str]]:
    found = [match for pattern in patterns for match in pattern.finditer(text)]
    return sorted(found, key=lambda match: (match.start(), -match.end()))


def _overlaps(start: int, end: int, mentions: list[TemporalMention]) -> bool:
    return any(m.start < end and start < m.end for m in mentions)
