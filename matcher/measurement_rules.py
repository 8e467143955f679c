"""Measurement rules: the latest matching observation, converted, then compared.

Observations are matched by canonical name (``canonical_measurement``: "eGFR"
-> "egfr"), restricted to the rule's ``within_days`` window when it has one
(an undated observation is then unknown), and the most recent is used. The
value is converted to the rule's unit with ``convert_value`` before comparing;
one that cannot be converted leaves the criterion unknown. A lab that is not
in the profile is unknown, never absent.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import date
from functools import lru_cache

from knowledge.measurements import convert_value
from matcher.facts import PatientFacts, canonical_measurement_name
from trialmatch.core.dates import days_since
from trialmatch.core.match import Status
from trialmatch.core.patient import ObservationFact
from trialmatch.core.rules import MeasurementRule

Answer = tuple[Status, str]
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "=": operator.eq,
    "!=": operator.ne,
}


def evaluate_measurement(rule: MeasurementRule, facts: PatientFacts, today: date) -> Answer:
    if facts.profile.observations is None:
        return "unknown", "observations not recorded"
    wanted = canonical_measurement_name(rule.name)
    if facts.observations is not None:
        candidates = list(facts.observations.get(wanted, ()))
    else:
        named = facts.profile.observations
        candidates = [item for item in named if canonical_measurement_name(item.text) == wanted]
    if not candidates:
        return "unknown", f"no {rule.name} recorded"
    chosen = _latest_in_window(candidates, rule.within_days, today)
    if chosen is None:
        return "unknown", f"no {rule.name} within {rule.within_days} days"
    value = _converted(chosen, rule, wanted)
    shown = f"{chosen.text} {chosen.value:g} {chosen.unit or ''}".rstrip()
    shown += f" ({chosen.date})" if chosen.date else ""
    if value is None:
        return "unknown", f"{shown}: unit not convertible to {rule.unit}"
    if rule.upper is not None:
        holds = rule.value <= value <= rule.upper
    else:
        holds = _COMPARE[rule.comparator](value, rule.value)
    return ("met" if holds else "not_met"), shown


def _latest_in_window(
    candidates: list[ObservationFact], window: int | None, today: date
) -> ObservationFact | None:
    dated = sorted((item for item in candidates if item.date), key=lambda item: str(item.date))
    if window is None:
        return dated[-1] if dated else candidates[-1]
    for item in reversed(dated):
        _fewest, most = days_since(str(item.date), today)
        if most <= window:
            return item
    return None


def _converted(item: ObservationFact, rule: MeasurementRule, name: str) -> float | None:
    if rule.unit is None or item.unit is None or item.unit == rule.unit:
        return item.value
    return _convert(item.value, item.unit, rule.unit, name)


@lru_cache(maxsize=65536)
def _convert(value: float, from_unit: str, to_unit: str, name: str) -> float | None:
    try:
        return convert_value(value, from_unit, to_unit, measurement=name)
    except (ValueError, AttributeError, TypeError, KeyError):
        # pint raises its own subclasses of these for units it does not know
        return None
