"""Records of what ran and how it went: crawl runs, their errors, nightly runs.

A crawl run's ``cursor`` is the token of the next page to fetch; a run that
stopped midway with a cursor (running, interrupted or failed) can be resumed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal, get_args

from trialmatch.core import canonical

# "import": a run of `trialmatch import`, recorded under the registry name "<name> import".
CrawlMode = Literal["full", "incremental", "import"]
CrawlStatus = Literal["running", "succeeded", "failed", "interrupted", "abandoned"]
RESUMABLE_STATUSES: tuple[CrawlStatus, ...] = ("running", "interrupted", "failed")
NightlyStatus = Literal["running", "succeeded", "failed", "interrupted"]
MatchRunStatus = Literal["running", "succeeded", "failed"]
Trigger = Literal["manual", "schedule", "demo"]
TRIGGERS: frozenset[str] = frozenset(get_args(Trigger))
COUNT_COLUMNS = (
    "pages",
    "studies_new",
    "studies_changed",
    "studies_unchanged",
    "studies_failed",
    "studies_skipped",
)


@dataclass(frozen=True)
class CrawlRun:
    id: int
    registry: str
    mode: CrawlMode
    query: dict[str, str]
    base_url: str | None
    started: str
    finished: str | None
    status: CrawlStatus
    pages: int
    studies_new: int
    studies_changed: int
    studies_unchanged: int
    studies_failed: int
    studies_skipped: int
    cursor: str | None
    message: str | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> CrawlRun:
        values: dict[str, Any] = {item.name: row.get(item.name) for item in fields(cls)}
        values["query"] = canonical.loads(row.get("query") or "{}")
        for name in COUNT_COLUMNS:
            values[name] = row.get(name) or 0
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        return {item.name: getattr(self, item.name) for item in fields(self)}

    @property
    def resumable(self) -> bool:
        return self.status in RESUMABLE_STATUSES and bool(self.cursor)


@dataclass(frozen=True)
class PageCounts:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class CrawlError:
    run_id: int
    url: str
    error: str
    excerpt: str
    at: str


@dataclass(frozen=True)
class NightlyRun:
    id: int
    trigger: Trigger
    started: str
    finished: str | None
    status: NightlyStatus
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> NightlyRun:
        return cls(
            id=row["id"],
            trigger=row["trigger"],
            started=row["started"],
            finished=row.get("finished"),
            status=row["status"],
            counts=canonical.loads(row.get("counts") or "{}"),
            errors=canonical.loads(row.get("errors") or "[]"),
        )

    def to_json(self) -> dict[str, Any]:
        return {item.name: getattr(self, item.name) for item in fields(self)}


@dataclass(frozen=True)
class MatchRun:
    id: int
    started: str
    finished: str | None
    status: MatchRunStatus
    today: str | None
    counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> MatchRun:
        return cls(
            id=row["id"],
            started=row["started"],
            finished=row.get("finished"),
            status=row["status"],
            today=row.get("today"),
            counts=canonical.loads(row.get("counts") or "{}"),
        )
