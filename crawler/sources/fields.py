"""Field readers every registry source shares: ages, sexes, dates, text, ids.

Pure functions of strings. Registries write the same things many ways
("18 Years", "15Y", "6M", "No limit", "65+"; "Both males and females",
"Female: yes Male: yes"; "2/11/2015", "17 February 2020", "01/10/2026");
each reader here says what it accepts and returns None for what it cannot
read, so a source never guesses.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable
from typing import cast

from trialmatch.core.registry_ids import find_registry_ids
from trialmatch.core.trial import TrialSex

EXCERPT_CHARS = 300

_AGE = re.compile(
    r"^\s*(?:>=?|≥|over|from)?\s*(\d+(?:[.,]\d+)?)\s*\+?\s*"
    r"(y(?:ears?|rs?)?|m(?:onths?)?|w(?:eeks?|ks?)?|d(?:ays?)?|h(?:ours?)?)?"
    r"(?:\s*-?\s*old)?\s*(?:\(.*\))?\s*$",
    re.IGNORECASE,
)
_YEARS_PER_UNIT = {"y": 1.0, "m": 1 / 12, "w": 7 / 365.25, "d": 1 / 365.25, "h": 1 / 8766}
_NO_LIMIT = frozenset(
    {"", "n/a", "na", "no limit", "none", "not stated", "not applicable", "-", "??"}
)


def parse_age_years(text: str | None, *, unit: str | None = None) -> float | None:
    """``"18 Years"``, ``"15Y"``, ``"6M"``, ``"65+"``, ``"20years-old"`` → years; no limit → None.

    *unit* is the registry's separate unit field, where it has one
    (ANZCTR's ``<inclusiveminagetype>Months``).
    """
    if text is None:
        return None
    value = text.strip()
    if value.casefold() in _NO_LIMIT:
        return None
    match = _AGE.match(value)
    if match is None:
        return None
    number = float(match.group(1).replace(",", "."))
    unit_word = (match.group(2) or unit or "years").strip().casefold()
    factor = _YEARS_PER_UNIT.get(unit_word[:1])
    if factor is None:
        return None
    return round(number * factor, 4)


def age_limits(low: float | None, high: float | None) -> tuple[float | None, float | None]:
    """Limits a `Trial` accepts: a maximum of 0 is "no limit" (WHO, ReBEC); swapped ones fixed."""
    if high == 0:
        high = None
    if low is not None and high is not None and low > high:
        low, high = high, low
    return low, high


_FEMALE = re.compile(r"\b(female|females|women|woman|f)\b", re.IGNORECASE)
_MALE = re.compile(r"\b(male|males|men|man|m)\b", re.IGNORECASE)
_BOTH = re.compile(r"\b(both|all|any|either)\b", re.IGNORECASE)
_NOT = re.compile(r"(female|male)\s*:\s*no\b", re.IGNORECASE)


def parse_sex(text: str | None) -> TrialSex:
    """Who may take part: ``ALL`` unless the text names one sex only."""
    if not text:
        return "ALL"
    cleaned = strip_markup(text)
    refused = {word.casefold() for word in _NOT.findall(cleaned)}
    cleaned = _NOT.sub(" ", cleaned)
    if _BOTH.search(cleaned):
        return "ALL"
    female = bool(_FEMALE.search(cleaned)) and "female" not in refused
    male = bool(_MALE.search(cleaned)) and "male" not in refused
    if female and not male:
        return "FEMALE"
    if male and not female:
        return "MALE"
    return "ALL"


def sex_of(female: bool | None, male: bool | None) -> TrialSex:
    """From two yes/no answers (CTIS, EUCTR): one sex only when the other is a clear no."""
    if female and male is False:
        return "FEMALE"
    if male and female is False:
        return "MALE"
    return "ALL"


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}


def parse_date(text: str | None, *, day_first: bool = True) -> str | None:
    """An ISO date (``YYYY-MM-DD``) from the forms registries write; None if unreadable.

    ``2026-07-27T09:27:35Z``, ``20200217``, ``17 February 2020``,
    ``July 15, 2026``, and numeric ``D/M/YYYY`` (``M/D/YYYY`` with
    ``day_first=False``).
    """
    if not text:
        return None
    value = text.strip()
    for parse in (_iso, _compact, _words, _numeric):
        found = parse(value, day_first)
        if found is not None:
            return found
    return None


def _valid(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _iso(value: str, day_first: bool) -> str | None:
    match = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})", value)
    return _valid(*map(int, match.groups())) if match else None


def _compact(value: str, day_first: bool) -> str | None:
    match = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", value)
    return _valid(*map(int, match.groups())) if match else None


def _words(value: str, day_first: bool) -> str | None:
    match = re.fullmatch(r"(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})", value)
    if match:
        month = _MONTHS.get(match.group(2).casefold())
        return None if month is None else _valid(int(match.group(3)), month, int(match.group(1)))
    match = re.fullmatch(r"([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})", value)
    if match:
        month = _MONTHS.get(match.group(1).casefold())
        return None if month is None else _valid(int(match.group(3)), month, int(match.group(2)))
    match = re.fullmatch(r"([A-Za-z]+)\.?\s+(\d{4})", value)
    if match:
        month = _MONTHS.get(match.group(1).casefold())
        return None if month is None else _valid(int(match.group(2)), month, 1)
    return None


def _numeric(value: str, day_first: bool) -> str | None:
    match = re.match(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})", value)
    if not match:
        return None
    first, second, year = map(int, match.groups())
    day, month = (first, second) if day_first else (second, first)
    return _valid(year, month, day)


def latest_date(*dates: str | None) -> str | None:
    known = [date for date in dates if date]
    return max(known) if known else None


_BREAKS = re.compile(r"<\s*br\s*/?\s*>", re.IGNORECASE)
# Only real markup goes: registry text is full of "<" and ">" that are comparisons.
_TAGS = re.compile(
    r"</?(?:p|div|span|b|i|u|em|strong|sup|sub|ul|ol|li|table|tbody|thead|tr|td|th|font|a)"
    r"(?:\s[^<>]{0,200})?/?>",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")


def strip_markup(text: str) -> str:
    """Registry text as plain text: ``<br>`` as line breaks, entities decoded, soft hyphens gone."""
    # Markup first, entities after: "&lt; 5 kg" must not become a tag to strip.
    value = text.replace("\r\n", "\n").replace("\r", "\n")
    value = _BREAKS.sub("\n", value)
    value = _TAGS.sub(" ", value)
    value = html.unescape(value)
    value = _BREAKS.sub("\n", value)  # a "<br>" written as "&lt;br&gt;" (WHO ICTRP)
    # EUCTR writes the soft hyphen of its source documents as "¬" ("allo¬graft").
    value = value.replace("\u00ac", "").replace("\u00ad", "")
    value = _SPACES.sub(" ", value)
    value = "\n".join(line.rstrip() for line in value.split("\n"))
    return _BLANK_LINES.sub("\n\n", value).strip()


def clean(text: str | None) -> str:
    """A one-line field: markup stripped, whitespace collapsed."""
    if not text:
        return ""
    return " ".join(strip_markup(text).split())


_HEADINGS_ONLY = re.compile(r"(?i)\b(?:in|ex)clusion\s+criteria\b|[:\s\-]")


def criteria_text(inclusion: str | None, exclusion: str | None) -> str | None:
    """Inclusion and exclusion lists as one text with the headings the parser knows.

    A list that is nothing but its heading ("Inclusion criteria:") is no list.
    """
    parts = []
    inclusion_text = _listed(inclusion)
    exclusion_text = _listed(exclusion)
    if inclusion_text:
        parts.append(_headed("Inclusion Criteria:", inclusion_text))
    if exclusion_text:
        parts.append(_headed("Exclusion Criteria:", exclusion_text))
    return "\n\n".join(parts) or None


def _listed(text: str | None) -> str:
    value = strip_markup(text or "")
    return value if _HEADINGS_ONLY.sub("", value) else ""


def _headed(heading: str, text: str) -> str:
    # A registry that already heads its list ("Inclusion criteria: …") keeps its own heading.
    if text[:30].casefold().startswith(heading[:9].casefold()):
        return text
    return f"{heading}\n{text}"


_SPLIT_LIST = re.compile(r"\s*;\s*")


def split_list(text: str | None) -> tuple[str, ...]:
    """``"A;B; C"`` → ``("A", "B", "C")``, blanks and repeats dropped."""
    if not text:
        return ()
    items = (clean(item) for item in _SPLIT_LIST.split(text))
    return tuple(dict.fromkeys(item for item in items if item))


def secondary_ids(texts: Iterable[str | None], own_id: str) -> tuple[str, ...]:
    """Other registries' numbers written in *texts*.

    The record's own number is left out, and so is any other number of its
    own registry: a registry holds one registration per study, so another of
    its numbers names another study ("Part 2 of this study: ACTRN…").
    """
    found: dict[str, None] = {}
    own = find_registry_ids(own_id)
    own_keys = {registry_id.link_key for registry_id in own}
    own_registries = {_issuer(registry_id.registry) for registry_id in own}
    for text in texts:
        for registry_id in find_registry_ids(text or ""):
            if registry_id.link_key in own_keys:
                continue
            if _issuer(registry_id.registry) in own_registries:
                continue
            found[registry_id.id] = None
    return tuple(found)


def _issuer(registry: str) -> str:
    return "euctr" if registry == "eudract" else registry


def canonical_id(text: str) -> str:
    """A record's own number as its registry writes it (``ACTRN…p`` → ``ACTRN…``)."""
    found = find_registry_ids(text)
    return found[0].id if len(found) == 1 else text.strip()


def excerpt(text: str | bytes) -> str:
    if isinstance(text, bytes):
        text = text[: EXCERPT_CHARS * 4].decode("utf-8", errors="replace")
    return text[:EXCERPT_CHARS]


def as_sex(value: str) -> TrialSex:
    return cast(TrialSex, value)
