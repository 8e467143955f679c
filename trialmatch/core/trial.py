"""Typed records a registry source produces: `Trial`, its `Site`s and `Registration`s.

``overall_status`` is the registry's own word (ClinicalTrials.gov's
``RECRUITING``, ANZCTR's ``Closed: follow-up continuing`` …); `Trial.status`
maps it onto the one vocabulary `StudyStatus` (`trialmatch.core.statuses`).
Which statuses are crawled and matched is said here once, in that vocabulary.

One record is one *registration*: a study's entry in one registry. A study
registered in several registries is read (`db.studies.iter_studies`) as one
`Trial`: the chosen registration's record, with every registration of the
study in ``registrations``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from trialmatch.core import canonical
from trialmatch.core.statuses import STUDY_STATUSES, StudyStatus, study_status

__all__ = [
    "CRAWLED_STATUSES",
    "MATCHABLE_STATUSES",
    "SEXES",
    "STUDY_STATUSES",
    "Registration",
    "Site",
    "StudyStatus",
    "Trial",
    "TrialSex",
    "study_status",
]

TrialSex = Literal["ALL", "FEMALE", "MALE"]
SEXES: frozenset[str] = frozenset(get_args(TrialSex))
# Statuses whose studies are offered to patients; "enrolling by invitation" is
# stored but never matched, since the sponsor picks who enrols.
MATCHABLE_STATUSES: frozenset[StudyStatus] = frozenset({"recruiting", "not yet recruiting"})
CRAWLED_STATUSES: frozenset[StudyStatus] = frozenset(
    {"recruiting", "not yet recruiting", "enrolling by invitation"}
)


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
        return self.status is None or study_status(self.status) in MATCHABLE_STATUSES


@dataclass(frozen=True)
class Registration:
    """One registry's entry for a study, as listed on the study's record.

    ``registry`` issued ``registry_id`` (``ctgov`` for an NCT number, even when
    the record came through WHO ICTRP, which ``source`` then says);
    ``registry_status`` is that registry's own word and ``status`` its
    vocabulary status, so conflicting statuses stay visible.
    """

    registry: str
    registry_id: str
    url: str
    registry_status: str | None
    last_update: str | None
    criteria_language: str | None = None
    source: str | None = None
    chosen: bool = False  # the registration whose criteria stand for the study
    content_hash: str = ""

    @property
    def status(self) -> StudyStatus:
        return study_status(self.registry_status)

    def to_dict(self) -> dict[str, Any]:
        return {
            "registry": self.registry,
            "registry_id": self.registry_id,
            "url": self.url,
            "status": self.status,
            "registry_status": self.registry_status,
            "last_update": self.last_update,
            "criteria_language": self.criteria_language,
            "chosen": self.chosen,
        }


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
    # Other registries' numbers for this study (NCT, EudraCT, EU CT, ISRCTN, ACTRN, UTN, …).
    secondary_ids: tuple[str, ...] = ()
    # The registration's page for people (``source_url`` may be an API address).
    page_url: str | None = None
    # ISO 639-1 code of the eligibility text's language, as identified; None when
    # there is no text or too little to tell.
    criteria_language: str | None = None
    # Set on a study's record (`db.studies.iter_studies`): the study and all its registrations.
    study_id: str | None = None
    registrations: tuple[Registration, ...] = ()

    def __post_init__(self) -> None:
        if not self.registry or not self.trial_id:
            raise ValueError("a trial needs a registry and an id")
        if self.sex not in SEXES:
            raise ValueError(f"trial {self.trial_id}: sex {self.sex!r} not one of {sorted(SEXES)}")
        low, high = self.minimum_age_years, self.maximum_age_years
        if low is not None and high is not None and low > high:
            raise ValueError(f"trial {self.trial_id}: minimum age {low} above maximum {high}")

    @property
    def status(self) -> StudyStatus:
        """``overall_status`` in the one vocabulary."""
        return study_status(self.overall_status)

    @property
    def is_matchable(self) -> bool:
        return self.status in MATCHABLE_STATUSES

    @property
    def criteria_in_english(self) -> bool:
        """Whether the eligibility text may be parsed (English, or too short to tell)."""
        return self.criteria_language in (None, "en")

    @property
    def conflicting_statuses(self) -> bool:
        """Whether the study's registrations disagree on its status (unknowns aside)."""
        known = {r.status for r in self.registrations if r.status != "unknown"}
        return len(known) > 1

    @property
    def content_hash(self) -> str:
        """Hash of the raw registry record: same record, same hash, no rewrite.

        A study's record also hashes its registrations, so a status or page
        changed in another registry is a changed study.
        """
        if not self.registrations:
            return canonical.content_hash(self.raw)
        return canonical.content_hash(
            {
                "record": canonical.content_hash(self.raw),
                "registrations": [
                    r.to_dict() | {"hash": r.content_hash} for r in self.registrations
                ],
            }
        )
