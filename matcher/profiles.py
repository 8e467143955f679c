"""The anonymised `PatientProfile` record (DESIGN.md format) and its validation.

A list field that is absent from the input (``conditions`` not given) is
``None`` here: the fact is unknown and every criterion needing it is
`unknown`. A list that is present, even empty, is the complete record of that
kind (closed world): a condition or drug not in it is taken as absent.

Beyond DESIGN.md a profile may carry ``lactating`` (bool) and ``allergies``
(list of ``{"text": ...}``), since FHIR AllergyIntolerance is imported.
A condition given only by an ICD-10-CM code gets its description as text.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from matcher.dates import is_partial_date
from matcher.icd import describe_code
from trialmatch.errors import ProfileError, UnknownRecordVersion

PROFILE_FORMAT_VERSION = 1
SEXES = frozenset({"female", "male"})
_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
TOP_LEVEL_KEYS = frozenset(
    {
        "version",
        "id",
        "age",
        "sex",
        "pregnant",
        "lactating",
        "conditions",
        "medications",
        "past_medications",
        "observations",
        "allergies",
        "location",
        "max_travel_km",
    }
)


@dataclass(frozen=True)
class ConditionFact:
    text: str
    code: str | None = None
    system: str | None = None
    active: bool = True
    since: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return _without_none(vars(self))


@dataclass(frozen=True)
class MedicationFact:
    text: str
    dose: float | None = None
    unit: str | None = None
    since: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return _without_none(vars(self))


@dataclass(frozen=True)
class PastMedicationFact:
    text: str
    until: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return _without_none(vars(self))


@dataclass(frozen=True)
class ObservationFact:
    text: str
    value: float
    unit: str | None = None
    date: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return _without_none(vars(self))


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float

    def __post_init__(self) -> None:
        if not -90 <= self.lat <= 90 or not -180 <= self.lon <= 180:
            raise ValueError("latitude must lie in -90..90 and longitude in -180..180")


@dataclass(frozen=True)
class PatientProfile:
    id: str
    age: float | None = None
    sex: str | None = None
    pregnant: bool | None = None
    lactating: bool | None = None
    conditions: tuple[ConditionFact, ...] | None = None
    medications: tuple[MedicationFact, ...] | None = None
    past_medications: tuple[PastMedicationFact, ...] | None = None
    observations: tuple[ObservationFact, ...] | None = None
    allergies: tuple[str, ...] | None = None
    location: Location | None = None
    max_travel_km: float | None = None

    def __post_init__(self) -> None:
        if not _ID_PATTERN.match(self.id):
            raise ProfileError("expected a pseudonym of letters, digits, . _ : -", field="id")
        if self.age is not None and not 0 <= self.age <= 130:
            raise ProfileError("expected an age in years between 0 and 130", field="age")
        if self.sex is not None and self.sex not in SEXES:
            raise ProfileError("expected 'female' or 'male'", field="sex")
        if self.sex == "male" and self.pregnant:
            raise ProfileError("a male profile cannot be pregnant", field="pregnant")
        if self.max_travel_km is not None and not self.max_travel_km >= 0:
            raise ProfileError("expected a distance in km of 0 or more", field="max_travel_km")

    def to_dict(self) -> dict[str, Any]:
        """The stored JSON, with its format version."""
        data: dict[str, Any] = {"version": PROFILE_FORMAT_VERSION, "id": self.id}
        for name in ("age", "sex", "pregnant", "lactating", "max_travel_km"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        for name in ("conditions", "medications", "past_medications", "observations"):
            facts = getattr(self, name)
            if facts is not None:
                data[name] = [fact.to_dict() for fact in facts]
        if self.allergies is not None:
            data["allergies"] = [{"text": text} for text in self.allergies]
        if self.location is not None:
            data["location"] = {"lat": self.location.lat, "lon": self.location.lon}
        return data

    @cached_property
    def content_hash(self) -> str:
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def profile_from_stored(data: Mapping[str, Any]) -> PatientProfile:
    """Read a stored profile back; refuses format versions it does not know."""
    if data.get("version") != PROFILE_FORMAT_VERSION:
        raise UnknownRecordVersion(f"patient profile version {data.get('version')!r}")
    return profile_from_dict(data)


def profile_from_dict(data: Any, where: str = "") -> PatientProfile:
    """Validate one input object; ProfileError names the field and what was expected."""
    if not isinstance(data, Mapping):
        raise ProfileError("expected a JSON object", where=where)
    reader = _Reader(data, where)
    return reader.profile()


class _Reader:
    """Reads one profile object, each problem raised with its field path."""

    def __init__(self, data: Mapping[str, Any], where: str) -> None:
        self.data = data
        self.where = where

    def fail(self, field_name: str, expected: str) -> ProfileError:
        return ProfileError(f"expected {expected}", field=field_name, where=self.where)

    def profile(self) -> PatientProfile:
        unknown = sorted(set(self.data) - TOP_LEVEL_KEYS)
        if unknown:
            raise self.fail(unknown[0], f"one of the profile fields {sorted(TOP_LEVEL_KEYS)}")
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

    def sex(self) -> str | None:
        value = self.data.get("sex")
        if value is None:
            return None
        spelled = value.strip().lower() if isinstance(value, str) else ""
        spelled = {"f": "female", "m": "male"}.get(spelled, spelled)
        if spelled not in SEXES:
            raise self.fail("sex", "'female' or 'male'")
        return spelled

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
        unknown = sorted(set(item) - allowed)
        if unknown:
            raise self.fail(f"{path}.{unknown[0]}", f"one of {sorted(allowed)}")
        return item

    def condition(self, path: str, raw: Any) -> ConditionFact:
        item = self.mapping(path, raw, {"text", "code", "system", "active", "since"})
        code = self.text(path, item, "code", required=False)
        system = self.text(path, item, "system", required=False)
        text = self.text(path, item, "text", required=code is None)
        if text is None:
            text = describe_code(str(code), system)
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


def _without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}
