"""Measurement rules: labs and vital signs compared with thresholds.

Each value is given to the measurement named nearest before it ("ANC ≥
1,500/mm3", "creatinine clearance of at least 60 mL/min", "ALT ≤ 2.5 x
ULN"); measurements listed just before it share it ("ALT and AST ≤ 2.5 x
ULN", "AST/ALT > 3 x ULN"). A range gives ``>=`` with an ``upper`` bound; a
bare list of scores ("ECOG 0, 1 or 2") gives ``<=`` its largest value. One
criterion may name several measurements, each with its own rule
("ANC ≥ 1500/mm3, platelets ≥ 100,000/mm3 and hemoglobin ≥ 9 g/dL").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from nlp_models.temporal import find_temporal
from nlp_models.values import ValueMention, find_values
from trialmatch.core.criteria import Entity
from trialmatch.core.rules import MeasurementRule

_MAX_GAP_CHARS = 60
_TIME_UNITS = frozenset({"years", "months", "weeks", "days", "hours"})
# what may stand between measurements that share the value after them
_COORDINATION = re.compile(
    r"^\s*[)\]]?\s*(?:\([^()]{0,25}\)\s*)?(?:,|/|&|\band/or\b|\band\b|\bor\b)\s*"
    r"(?:(?:serum|total)\s+)?$",
    re.IGNORECASE,
)


_OPENING = re.compile(r"\s*[(\[]\s*")  # between a written-out name and its abbreviation
# "Day 1", "visit 2", "cohort 3": a number that names something, not a threshold
_ORDINAL_BEFORE = re.compile(
    r"\b(?:day|week|month|visit|cycle|part|phase|cohort|arm|step|dose|version)\s*$", re.I
)


# "CTCAE grade ≥ 2", "stage 3": a number on a scale of its own, not the nearby lab's threshold
_SCALE_BEFORE = re.compile(r"\b(?:grade|stage)\s*(?:of\s*)?$", re.I)
# "albumin-to-creatinine ratio", "protein/creatinine ratio": neither lab alone
_RATIO_AFTER = re.compile(r"^[\s/-]*(?:to[\s-]+)?(?:[a-z]+[\s/-]+)?ratio\b", re.I)
# "change in body weight > 5 kg", "weight loss of 10%", "stable weight": not a level
_CHANGE_BEFORE = re.compile(
    r"\b(?:(?:change|increase|decrease|reduction|gain|loss|variation|fluctuation|deviation|"
    r"drop|rise|difference|decline)s?\s+(?:in|of)|stable)\s+(?:(?:the|body|serum|total|"
    r"plasma|blood|his|her|their)\s+)*$",
    re.I,
)
_CHANGE_AFTER = re.compile(
    r"^\s*(?:(?:must|should)\s+be\s+stable|(?:change|loss|gain|variation|fluctuation|"
    r"reduction|decline|drop|increase|decrease)s?)\b",
    re.I,
)


# "FEV1/FVC < 0.7": over a quantity that is no lab of ours, a ratio ("AST/ALT" are two labs)
_OVER_ANOTHER = re.compile(r"^\s*/\s*[A-Za-z]")
# "weight and height within the 3rd-97th percentile": a rank among peers, not a level
_PERCENTILE = re.compile(r"\b(?:percentiles?|centiles?)\b", re.IGNORECASE)
# what may stand between a lab and a bare number that is its threshold ("ECOG performance
# status 0 or 1", "MMSE score: 23"); "LDL (fenofibrate, omega 3 …)" has no threshold
_BARE_GAP = re.compile(
    r"[\s:]*(?:(?:of|is|was|score|scores|status|level|levels|value|values|performance|count|"
    r"index|at|a|an|the|total|serum|plasma)\b[\s:]*)*",
    re.IGNORECASE,
)


def _names_a_level(text: str, measurement: Entity, measurements: list[Entity]) -> bool:
    """Whether the mention is the measurement's own value, not a ratio or a change of it."""
    after = text[measurement.end : measurement.end + 40]
    before = text[max(0, measurement.start - 60) : measurement.start]
    over = _OVER_ANOTHER.match(after)
    if over and not any(m.start == measurement.end + over.end() - 1 for m in measurements):
        return False
    return not (
        _RATIO_AFTER.match(after) or _CHANGE_BEFORE.search(before) or _CHANGE_AFTER.match(after)
    )


# "blood pressure not controlled with 2 or fewer antihypertensive medications": a count
_COUNTED_AFTER = re.compile(
    r"\s*(?:or\s+(?:fewer|less|more|greater)\s+)?"
    # words of the counted thing's name only ("antihypertensive", "prior"): "ECOG <= 1 at the
    # screening visit" counts nothing
    r"(?:(?!(?:at|in|on|for|during|within|before|after|of|per|over|between|the|an?|and|or|"
    r"with|by|from|to)\b)[a-z-]+\s+){0,2}?(?:medications?|"
    r"drugs?|agents?|episodes?|attacks?|exacerbations?|lines?|cycles?|regimens?|visits?|"
    r"hospitali[sz]ations?|admissions?|seizures?|events?|measurements?|readings?|occasions?|"
    r"doses?|tablets?|cigarettes?|drinks?|classes)\b",
    re.IGNORECASE,
)


def _threshold_of(text: str, value: ValueMention, named: Entity) -> bool:
    """Whether *value* can be *named*'s threshold: not a percentile, not a count of things,
    and a bare number (no comparator, no unit) only right after the name."""
    if _PERCENTILE.search(text, named.end, min(len(text), value.end + 15)):
        return False
    if value.unit is None and _COUNTED_AFTER.match(text, value.end):
        return False
    if value.comparator != "=" or value.unit is not None or text[value.start] == "=":
        return True
    return _BARE_GAP.fullmatch(text, named.end, value.start) is not None


@dataclass(frozen=True)
class MeasurementFinding:
    """One measurement rule and the part of the criterion text it reads (name to value)."""

    rule: MeasurementRule
    start: int
    end: int


def _nearest_measurement(value: ValueMention, measurements: list[Entity]) -> Entity | None:
    """The measurement named closest before the value, within a short gap."""
    before = [m for m in measurements if m.end <= value.start <= m.end + _MAX_GAP_CHARS]
    return max(before, key=lambda m: m.end, default=None)


def measurement_findings(text: str, entities: tuple[Entity, ...]) -> list[MeasurementFinding]:
    """Every measurement of the criterion with a threshold, once per measurement, in text order."""
    measurements = sorted(
        (e for e in entities if e.type == "measurement" and e.normalized), key=lambda e: e.start
    )
    if not measurements:
        return []
    window = next((m.days for m in find_temporal(text) if m.kind == "window"), None)
    values = [
        v
        for v in find_values(text)
        if v.unit not in _TIME_UNITS
        and not (v.comparator == "=" and _ORDINAL_BEFORE.search(text[: v.start]))
        and not _SCALE_BEFORE.search(text[: v.start])
    ]
    owners = [_nearest_measurement(value, measurements) for value in values]
    found: dict[str, MeasurementFinding] = {}
    for index, (value, named) in enumerate(zip(values, owners, strict=True)):
        if named is None or named.normalized is None or named.normalized in found:
            continue
        if not _names_a_level(text, named, measurements) or not _threshold_of(text, value, named):
            continue
        following = [v for v, owner in zip(values[index:], owners[index:], strict=True)
                     if owner is named]  # fmt: skip
        if found and following[0].comparator == "=":
            continue  # after the first check, a number without a comparator is seldom a
            # threshold ("CLcr = [140 - age] × weight / (72 × creatinine)")
        rule = _rule(named.normalized, _score_range(text, following), window)
        if rule is None:
            continue
        rule = _fraction_as_percent(rule)
        start = _written_out_start(text, named, measurements)
        found[named.normalized] = MeasurementFinding(rule, start, value.end)
        for listed in _listed_before(text, named, measurements):
            if listed.normalized is not None and listed.normalized not in found:
                shared = replace(rule, name=listed.normalized)
                begins = _written_out_start(text, listed, measurements)
                found[listed.normalized] = MeasurementFinding(shared, begins, value.end)
    return sorted(found.values(), key=lambda finding: finding.start)


def _spelt_out_before(text: str, earlier: Entity, later: Entity) -> bool:
    """'Body Mass Index (BMI)': `earlier` is `later` written out, just before its abbreviation."""
    return (
        earlier.normalized == later.normalized
        and earlier.end <= later.start
        and _OPENING.fullmatch(text, earlier.end, later.start) is not None
    )


def _written_out_start(text: str, named: Entity, measurements: list[Entity]) -> int:
    """Where "Body Mass Index (BMI)" starts when the value follows the abbreviation."""
    spelt = (m for m in measurements if _spelt_out_before(text, m, named))
    return next((m.start for m in spelt), named.start)


def _listed_before(text: str, named: Entity, measurements: list[Entity]) -> list[Entity]:
    """Measurements coordinated just before `named` ("ALT and AST", "AST/ALT"), nearest first."""
    listed: list[Entity] = []
    head = named
    for candidate in reversed([m for m in measurements if m.end <= named.start]):
        if _spelt_out_before(text, candidate, head):
            head = candidate  # "alanine aminotransferase (ALT)": one mention, written out
            continue
        if not _COORDINATION.match(text[candidate.end : head.start]):
            break
        listed.append(candidate)
        head = candidate
    return listed


_TO = re.compile(r"\s*(?:to|through)\b", re.I)


def _score_range(text: str, values: list[ValueMention]) -> list[ValueMention]:
    """'ECOG 0 to 2': a range, which `values` leaves as '= 0' and '<= 2' without a unit."""
    if len(values) < 2:
        return values
    first, second = values[0], values[1]
    if (
        first.comparator == "="
        and first.unit is None
        and second.comparator == "<="
        and second.value > first.value
        and not text[first.end : second.start].strip()
        and _TO.match(text, second.start)
    ):
        joined = replace(first, end=second.end, comparator="range", upper=second.value,
                         unit=second.unit)  # fmt: skip
        return [joined, *values[2:]]
    return values


_PERCENT_MEASUREMENTS = frozenset({"lvef", "oxygen_saturation"})


def _fraction_as_percent(rule: MeasurementRule) -> MeasurementRule:
    """'ejection fraction < 0.4' is 40 %, the unit records carry."""
    if rule.name not in _PERCENT_MEASUREMENTS or rule.unit is not None or not 0 < rule.value <= 1:
        return rule
    upper = None if rule.upper is None else round(rule.upper * 100, 6)
    return replace(rule, value=round(rule.value * 100, 6), upper=upper, unit="%")


def _rule(name: str, values: list[ValueMention], window: int | None) -> MeasurementRule | None:
    first = values[0]
    if first.comparator == "range" and first.upper is not None:
        return MeasurementRule(name=name, comparator=">=", value=first.value, upper=first.upper,
                               unit=first.unit, within_days=window)  # fmt: skip
    ceiling = next((v for v in values[1:] if v.comparator in ("<=", "<")), None)
    if first.comparator in (">=", ">") and ceiling is not None and ceiling.value >= first.value:
        # "BMI >= 18.5 and <= 32 kg/m2": one range, the unit written once
        return MeasurementRule(name=name, comparator=">=", value=first.value,
                               upper=ceiling.value, unit=first.unit or ceiling.unit,
                               within_days=window)  # fmt: skip
    comparator = first.comparator
    if comparator != "=" and comparator != "range":
        return MeasurementRule(name=name, comparator=comparator, value=first.value,
                               unit=first.unit, within_days=window)  # fmt: skip
    bare = [value for value in values if value.comparator == "=" and value.unit is None]
    if len(bare) >= 2:
        return MeasurementRule(name=name, comparator="<=", value=max(v.value for v in bare),
                               within_days=window)  # fmt: skip
    return MeasurementRule(name=name, comparator="=", value=first.value, unit=first.unit,
                           within_days=window)  # fmt: skip
