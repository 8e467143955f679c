"""Input objects validated into `PatientProfile` records, each problem named by its field.

Lenient where people are ("F" is female, ``{"name": "lorazepam"}`` is a
medication's text, a year alone is a date), strict where a wrong value would
change a verdict (an age of 150, a dose below zero, an unknown field).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, cast

from trialmatch.core.dates import is_partial_date
from trialmatch.core.errors import ProfileError, UnknownRecordVersion
from trialmatch.core.patient import (
    PROFILE_FORMAT_VERSION,
    SEXES,
    TOP_LEVEL_KEYS,
    ConditionFact,
    Location,
    MedicationFact,
    ObservationFact,
    PastMedicationFact,
    PatientProfile,
    Sex,
)

# (code, system) -> the code's description, or None when the code is unknown
CodeDescriber = Callable[[str, str | None], str | None]


def profile_from_stored(data: Mapping[str, Any]) -> PatientProfile:
    """Read a stored profile back; refuses format versions it does not know."""
    if data.get("version") != PROFILE_FORMAT_VERSION:
        raise UnknownRecordVersion(f"patient profile version {data.get('version')!r}")
    return profile_from_dict(data)


def profile_from_dict(
    data: Any, where: str = "", *, describe_code: CodeDescriber | None = None
) -> PatientProfile:
    """Validate one input object; ProfileError names the field and what was expected.

    *describe_code* gives the text of a condition recorded only by its code
    (the matcher passes the ICD-10-CM index); without it such a condition is refused.
    """
    if not isinstance(data, Mapping):
        raise ProfileError("expected a JSON object", where=where)
    reader = _Reader(data, where, describe_code)
    return reader.profile()


class _Reader:
    """Reads one profile object, each problem raised with its field path."""

    def __init__(
        self, data: Mapping[str, Any], where: str, describe_code: CodeDescriber | None
    ) -> None:
        self.data = data
        self.where = where
        self.describe_code = describe_code

    def fail(self, field_name: str, expected: str) -> ProfileError:
        return ProfileError(f"expected {expected}", field=field_name, where=self.where)

    def unknown_field(self, parent: str | None, allowed: list[str]) -> ProfileError:
        # never the field's name: a column or key can itself be a name or a number
        return ProfileError(
            f"unknown field (expected only {', '.join(allowed)})", field=parent, where=self.where
        )

    def profile(self) -> PatientProfile:
        if set(self.data) - TOP_LEVEL_KEYS:
            raise self.unknown_field(None, sorted(TOP_LEVEL_KEYS))
        version = self.data.get("version", PROFILE_FORMAT_VERSION)
        if version != PROFILE_FORMAT_VERSION:
            raise self.fail("version", f"format version {PROFILE_FORMAT_VERSION}")
        if not isinstance(self.data.get("id"), str):
            raise self.fail("id", "a pseudonym string (required)")
        try:
            return PatientProfile(
                id=self.data["id"],
                age=self.number("age", self.data.get("age")),
                sex=self.sex(),
                pregnant=self.boolean("pregnant"),
                lactating=self.boolean("lactating"),
                conditions=self.facts("conditions", self.condition),
                medications=self.facts("medications", self.medication),
                past_medications=self.facts("past_medications", self.past_medication),
                observations=self.facts("observations", self.observation),
                allergies=self.facts("allergies", self.allergy),
                location=self.location(),
                max_travel_km=self.number("max_travel_km", self.data.get("max_travel_km")),
            )
        except ProfileError as exc:
            if exc.where:
                raise
            raise ProfileError(exc.reason, field=exc.field, where=self.where) from None

    def number(self, name: str, value: Any) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(name, "a number")
        if not math.isfinite(value):
            raise self.fail(name, "a finite number")
        return float(value)

    def boolean(self, name: str) -> bool | None:
        value = self.data.get(name)
        if value is not None and not isinstance(value, bool):
            raise self.fail(name, "true or false")
        return value

    def sex(self) -> Sex | None:
        value = self.data.get("sex")
        if value is None:
            return None
        spelled = value.strip().lower() if isinstance(value, str) else ""
        spelled = {"f": "female", "m": "male"}.get(spelled, spelled)
        if spelled not in SEXES:
            raise self.fail("sex", "'female' or 'male'")
        return cast(Sex, spelled)

    def facts(self, name: str, read: Any) -> tuple[Any, ...] | None:
        items = self.data.get(name)
        if items is None:
            return None
        if not isinstance(items, list):
            raise self.fail(name, "a list")
        return tuple(read(f"{name}[{index}]", item) for index, item in enumerate(items))

    def text(self, path: str, item: Mapping[str, Any], name: str, required: bool) -> str | None:
        value = item.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{path}.{name}", "a non-empty string")
        return value.strip()

    def date(self, path: str, item: Mapping[str, Any], name: str) -> str | None:
        value = item.get(name)
        if value is None:
            return None
        if isinstance(value, int) and 1900 <= value <= 2100:
            return str(value)
        if not isinstance(value, str) or not is_partial_date(value):
            raise self.fail(f"{path}.{name}", "a date YYYY, YYYY-MM or YYYY-MM-DD")
        return value.strip()

    def mapping(self, path: str, item: Any, allowed: set[str]) -> Mapping[str, Any]:
        if isinstance(item, str) and "text" in allowed:
            return {"text": item}
        if not isinstance(item, Mapping):
            raise self.fail(path, "an object")
        if "name" in item and "text" not in item:  # {"name": "lorazepam"} reads as its text
            item = {("text" if key == "name" else key): value for key, value in item.items()}
        if set(item) - allowed:
            raise self.unknown_field(path, sorted(allowed))
        return item

    def condition(self, path: str, raw: Any) -> ConditionFact:
        item = self.mapping(path, raw, {"text", "code", "system", "active", "since"})
        code = self.text(path, item, "code", required=False)
        system = self.text(path, item, "system", required=False)
        text = self.text(path, item, "text", required=code is None)
        if text is None:
            text = None if self.describe_code is None else self.describe_code(str(code), system)
            if text is None:
                raise self.fail(f"{path}.code", "a known ICD-10-CM code, or a text")
        active = item.get("active", True)
        if not isinstance(active, bool):
            raise self.fail(f"{path}.active", "true or false")
        since = self.date(path, item, "since")
        return ConditionFact(text=text, code=code, system=system, active=active, since=since)

    def medication(self, path: str, raw: Any) -> MedicationFact:
        item = self.mapping(path, raw, {"text", "dose", "unit", "since"})
        dose = self.number(f"{path}.dose", item.get("dose"))
        if dose is not None and dose < 0:
            raise self.fail(f"{path}.dose", "a dose of 0 or more")
        return MedicationFact(
            text=str(self.text(path, item, "text", required=True)),
            dose=dose,
            unit=self.text(path, item, "unit", required=False),
            since=self.date(path, item, "since"),
        )

    def past_medication(self, path: str, raw: Any) -> PastMedicationFact:
        item = self.mapping(path, raw, {"text", "until"})
        return PastMedicationFact(
            text=str(self.text(path, item, "text", required=True)),
            until=self.date(path, item, "until"),
        )

    def observation(self, path: str, raw: Any) -> ObservationFact:
        item = self.mapping(path, raw, {"text", "value", "unit", "date"})
        value = self.number(f"{path}.value", item.get("value"))
        if value is None:
            raise self.fail(f"{path}.value", "a number (required)")
        return ObservationFact(
            text=str(self.text(path, item, "text", required=True)),
            value=value,
            unit=self.text(path, item, "unit", required=False),
            date=self.date(path, item, "date"),
        )

    def allergy(self, path: str, raw: Any) -> str:
        item = self.mapping(path, raw, {"text"})
        return str(self.text(path, item, "text", required=True))

    def location(self) -> Location | None:
        value = self.data.get("location")
        if value is None:
            return None
        if not isinstance(value, Mapping) or set(value) != {"lat", "lon"}:
            raise self.fail("location", "an object with lat and lon")
        lat = self.number("location.lat", value["lat"])
        lon = self.number("location.lon", value["lon"])
        try:
            return Location(lat=float(lat or 0.0), lon=float(lon or 0.0))
        except ValueError as exc:
            raise self.fail("location", str(exc)) from None
