"""Measurement rules: a lab or vital sign compared with a threshold.

The value nearest after the measurement name is taken ("ANC ≥ 1,500/mm3",
"creatinine clearance of at least 60 mL/min", "ALT ≤ 2.5 x ULN"); a range
gives ``>=`` with an ``upper`` bound; a bare list of scores ("ECOG 0, 1 or
2") gives ``<=`` its largest value.
"""

from __future__ import annotations

from nlp_models.records import Entity, MeasurementRule
from nlp_models.temporal import find_temporal
from nlp_models.values import ValueMention, find_values

_MAX_GAP_CHARS = 60
_TIME_UNITS = frozenset({"years", "months", "weeks", "days", "hours"})


def _nearest_measurement(value: ValueMention, measurements: list[Entity]) -> Entity | None:
    """The measurement named closest before the value, within a short gap."""
    before = [m for m in measurements if m.end <= value.start <= m.end + _MAX_GAP_CHARS]
    return max(before, key=lambda m: m.end, default=None)


def measurement_rule(text: str, entities: tuple[Entity, ...]) -> MeasurementRule | None:
    measurements = [e for e in entities if e.type == "measurement" and e.normalized]
    if not measurements:
        return None
    window = next((m.days for m in find_temporal(text) if m.kind == "window"), None)
    values = [v for v in find_values(text) if v.unit not in _TIME_UNITS]
    for value in values:
        named = _nearest_measurement(value, measurements)
        if named is None or named.normalized is None:
            continue
        following = [v for v in values if v.start >= value.start and
                     _nearest_measurement(v, measurements) is named]  # fmt: skip
        rule = _rule(named.normalized, following, window)
        if rule is not None:
            return rule
    return None


def _rule(name: str, values: list[ValueMention], window: int | None) -> MeasurementRule | None:
    first = values[0]
    if first.comparator == "range" and first.upper is not None:
        return MeasurementRule(name=name, comparator=">=", value=first.value, upper=first.upper,
                               unit=first.unit, within_days=window)  # fmt: skip
    if first.comparator != "=":
        return MeasurementRule(name=name, comparator=first.comparator, value=first.value,
                               unit=first.unit, within_days=window)  # fmt: skip
    bare = [value for value in values if value.comparator == "=" and value.unit is None]
    if len(bare) >= 2:
        return MeasurementRule(name=name, comparator="<=", value=max(v.value for v in bare),
                               within_days=window)  # fmt: skip
    return MeasurementRule(name=name, comparator="=", value=first.value, unit=first.unit,
                           within_days=window)  # fmt: skip
