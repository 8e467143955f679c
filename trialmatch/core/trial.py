"""Typed records a registry source produces: `Trial` and its `Site`s.

``overall_status`` is the registry's own word (ClinicalTrials.gov's
``RECRUITING``, ``NOT_YET_RECRUITING`` …); which statuses are crawled and
matched is said here once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from trialmatch.core import canonical

TrialSex = Literal["ALL", "FEMALE", "MALE"]
SEXES: frozenset[str] = frozenset(get_args(TrialSex))
# Statuses whose studies are offered to patients; ENROLLING_BY_INVITATION is
# stored but never matched, since the sponsor picks who enrols.
MATCHABLE_STATUSES = frozenset({"RECRUITING", "NOT_YET_RECRUITING"})
CRAWLED_STATUSES = frozenset({"RECRUITING", "NOT_YET_RECRUITING", "ENROLLING_BY_INVITATION"})


@dataclass(frozen=True, init=False)
class Site:
    facility: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    status: str | None = None
    latitude: float | None = None
    longitude: float | None = None

    def __init__(
        self,
        facility: str | None = None,
        city: str | None = None,
        state: str | None = None,
        zip: str | None = None,
        country: str | None = None,
        status: str | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
    ) -> None:
        # Written by hand (a test keeps it in step with the fields): a crawl
        # builds tens of sites per study, and one dict assignment costs half
        # of the generated frozen __init__'s eight object.__setattr__ calls.
        object.__setattr__(
            self,
            "__dict__",
            {
                "facility": facility,
                "city": city,
                "state": state,
                "zip": zip,
                "country": country,
                "status": status,
                "latitude": latitude,
                "longitude": longitude,
            },
        )
        if latitude is not None or longitude is not None:
            self._check_coordinates()

    def _check_coordinates(self) -> None:
        if self.latitude is None or self.longitude is None:
            raise ValueError("a site has both latitude and longitude or neither")
        if not -90 <= self.latitude <= 90:
            raise ValueError(f"latitude {self.latitude} out of range")
        if not -180 <= self.longitude <= 180:
            raise ValueError(f"longitude {self.longitude} out of range")

    @property
    def is_recruiting(self) -> bool:
        # A site without a status inherits the study's; only explicit closures exclude it.
        return self.status in (None, "RECRUITING", "NOT_YET_RECRUITING")


@dataclass(frozen=True)
class Trial:
    registry: str
    trial_id: str
    source_url: str
    brief_title: str = ""
    official_title: str = ""
    overall_status: str | None = None
    conditions: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    mesh_terms: tuple[str, ...] = ()
    phases: tuple[str, ...] = ()
    study_type: str | None = None
    sex: TrialSex = "ALL"
    minimum_age_years: float | None = None
    maximum_age_years: float | None = None
    healthy_volunteers: bool | None = None
    eligibility_text: str | None = None
    last_update: str | None = None
    sites: tuple[Site, ...] = ()
    flags: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        if not self.registry or not self.trial_id:
            raise ValueError("a trial needs a registry and an id")
        if self.sex not in SEXES:
            raise ValueError(f"trial {self.trial_id}: sex {self.sex!r} not one of {sorted(SEXES)}")
        low, high = self.minimum_age_years, self.maximum_age_years
        if low is not None and high is not None and low > high:
            raise ValueError(f"trial {self.trial_id}: minimum age {low} above maximum {high}")

    @property
    def is_matchable(self) -> bool:
        return self.overall_status in MATCHABLE_STATUSES

    @property
    def content_hash(self) -> str:
        """Hash of the raw registry record: same record, same hash, no rewrite."""
        return canonical.content_hash(self.raw)
