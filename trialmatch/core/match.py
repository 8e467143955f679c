"""Typed results: one `CriterionResult` per criterion, one `MatchResult` per pair."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, get_args

from trialmatch.core.criteria import Category, Kind
from trialmatch.core.errors import UnknownRecordVersion

MATCH_FORMAT_VERSION = 1
Status = Literal["met", "not_met", "unknown", "not_evaluable"]
STATUSES: frozenset[str] = frozenset(get_args(Status))
Verdict = Literal["eligible", "possible", "ineligible"]
VERDICTS: frozenset[str] = frozenset(get_args(Verdict))


@dataclass(frozen=True)
class CriterionResult:
    """How one criterion fares for one patient, with the fact used or missing."""

    id: str
    kind: Kind
    text: str
    status: Status
    evidence: str
    category: Category = "other"
    group: str | None = None
    question: str | None = None  # for the checklist, when status is unknown/not_evaluable

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"criterion status {self.status!r} not one of {sorted(STATUSES)}")

    @property
    def favourable(self) -> bool:
        """Met for an inclusion criterion, not met for an exclusion criterion."""
        wanted = "met" if self.kind == "inclusion" else "not_met"
        return self.status == wanted

    @property
    def failed(self) -> bool:
        unwanted = "not_met" if self.kind == "inclusion" else "met"
        return self.status == unwanted

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "text": self.text,
            "status": self.status,
            "evidence": self.evidence,
            "category": self.category,
        }
        if self.group is not None:
            data["group"] = self.group
        if self.question is not None:
            data["question"] = self.question
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CriterionResult:
        return cls(
            id=str(data["id"]),
            kind=data["kind"],
            text=str(data["text"]),
            status=data["status"],
            evidence=str(data.get("evidence", "")),
            category=data.get("category", "other"),
            group=data.get("group"),
            question=data.get("question"),
        )


@dataclass(frozen=True)
class MatchResult:
    patient_id: str
    trial_id: str
    verdict: Verdict
    score: float
    distance_km: float | None
    criteria: tuple[CriterionResult, ...]
    site: str | None = None  # the nearest recruiting site, "facility, city"

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict {self.verdict!r} not one of {sorted(VERDICTS)}")
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"score {self.score} outside 0..1")

    @property
    def unknown_count(self) -> int:
        return sum(1 for item in self.criteria if item.status == "unknown" and item.group is None)

    @property
    def checklist(self) -> list[CriterionResult]:
        # a group's parent is asked through its parts, not as a question of its own
        return [
            item
            for item in self.criteria
            if item.status in ("unknown", "not_evaluable") and item.category != "group"
        ]

    @property
    def reasons(self) -> list[CriterionResult]:
        """The criteria that make the pair ineligible."""
        return [item for item in self.criteria if item.failed and item.group is None]

    def criteria_document(self) -> dict[str, Any]:
        """The stored JSON: every criterion, or for an ineligible pair only its reasons
        (most pairs are ineligible; their full evaluation would dwarf the rest)."""
        kept = self.reasons if self.verdict == "ineligible" else self.criteria
        return {
            "version": MATCH_FORMAT_VERSION,
            "site": self.site,
            "criteria": [item.to_dict() for item in kept],
        }


def criteria_from_document(document: Mapping[str, Any]) -> tuple[str | None, list[CriterionResult]]:
    if document.get("version") != MATCH_FORMAT_VERSION:
        raise UnknownRecordVersion(f"match criteria version {document.get('version')!r}")
    items = [CriterionResult.from_dict(item) for item in document.get("criteria", [])]
    return document.get("site"), items


class CriteriaBuilder(Protocol):
    def criteria(self) -> tuple[CriterionResult, ...]: ...

    def reasons(self) -> list[CriterionResult]: ...


class DeferredMatchResult(MatchResult):
    """A `MatchResult` whose per-criterion records are built on first use.

    Most candidate pairs are ineligible and only their reasons are stored;
    building every criterion's evidence and question for them would dominate
    the run. ``criteria`` is left unset until read, then built and kept; equal
    to the eager `MatchResult` in every field once built.
    """

    @classmethod
    def create(
        cls,
        *,
        patient_id: str,
        trial_id: str,
        verdict: Verdict,
        score: float,
        distance_km: float | None,
        site: str | None,
        builder: CriteriaBuilder,
    ) -> DeferredMatchResult:
        result = cls.__new__(cls)
        # frozen: set the fields as the dataclass __init__ would, all but `criteria`
        result.__dict__.update(
            patient_id=patient_id,
            trial_id=trial_id,
            verdict=verdict,
            score=score,
            distance_km=distance_km,
            site=site,
            _builder=builder,
        )
        result.__post_init__()
        return result

    def __getattr__(self, name: str) -> Any:
        # reached only when `criteria` is not built yet (or for a missing attribute)
        builder = self.__dict__.get("_builder")
        if name != "criteria" or builder is None:
            raise AttributeError(name)
        built = builder.criteria()
        object.__setattr__(self, "criteria", built)
        return built

    @property
    def reasons(self) -> list[CriterionResult]:
        builder = self.__dict__.get("_builder")
        if "criteria" in self.__dict__ or builder is None:
            return super().reasons
        return list(builder.reasons())
