"""The anonymised `PatientProfile` record (DESIGN.md format).

A list field that is absent from the input (``conditions`` not given) is
``None`` here: the fact is unknown and every criterion needing it is
`unknown`. A list that is present, even empty, is the complete record of that
kind (closed world): a condition or drug not in it is taken as absent.

Beyond DESIGN.md a profile may carry ``lactating`` (bool) and ``allergies``
(list of ``{"text": ...}``), since FHIR AllergyIntolerance is imported.
Input objects are validated into profiles by `trialmatch.core.profile_reader`.

Two facts are coarsened by the records themselves, so no loader can store
them precisely: a location keeps two decimals (about 1 km; a distance moves
by less than a kilometre) and an age of 90 or more is 90, as the HIPAA Safe
Harbor rule aggregates ages over 89.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal, get_args

from trialmatch.core import canonical
from trialmatch.core.errors import ProfileError

PROFILE_FORMAT_VERSION = 1
Sex = Literal["female", "male"]
SEXES: frozenset[str] = frozenset(get_args(Sex))
PSEUDONYM_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
LOCATION_DECIMALS = 2
OLDEST_AGE_STORED = 90.0
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
        # a home to the metre identifies its household; 0.01 degree is about a kilometre
        object.__setattr__(self, "lat", round(float(self.lat), LOCATION_DECIMALS))
        object.__setattr__(self, "lon", round(float(self.lon), LOCATION_DECIMALS))


@dataclass(frozen=True)
class PatientProfile:
    id: str
    age: float | None = None
    sex: Sex | None = None
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
        if not PSEUDONYM_PATTERN.match(self.id):
            raise ProfileError("expected a pseudonym of letters, digits, . _ : -", field="id")
        if self.age is not None and not 0 <= self.age <= 130:
            raise ProfileError("expected an age in years between 0 and 130", field="age")
        if self.age is not None and self.age >= OLDEST_AGE_STORED:
            object.__setattr__(self, "age", OLDEST_AGE_STORED)  # few are that old: it identifies
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
        return canonical.content_hash(self.to_dict())


def _without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}
