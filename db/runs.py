"""Crawl runs, crawl errors and nightly runs: the record of what ran and how it went.

A crawl run's ``cursor`` is the token of the next page to fetch. The crawl
writes it with `checkpoint_page` inside the same transaction as that page's
studies, so after a kill the stored studies and the cursor always agree.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, cast

import sqlite_utils

EXCERPT_CHARS = 500
RESUMABLE_STATUSES = ("running", "interrupted", "failed")
COUNT_COLUMNS = (
    "pages",
    "studies_new",
    "studies_changed",
    "studies_unchanged",
    "studies_failed",
    "studies_skipped",
)


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class CrawlRun:
    id: int
    registry: str
    mode: str
    query: dict[str, str]
    base_url: str | None
    started: str
    finished: str | None
    status: str
    pages: int
    studies_new: int
    studies_changed: int
    studies_unchanged: int
    studies_failed: int
    studies_skipped: int
    cursor: str | None
    message: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> CrawlRun:
        values: dict[str, Any] = {name: row.get(name) for name in cls.__dataclass_fields__}
        values["query"] = json.loads(row.get("query") or "{}")
        for name in COUNT_COLUMNS:
            values[name] = row.get(name) or 0
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))


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


def start_crawl_run(
    database: sqlite_utils.Database,
    *,
    registry: str,
    mode: str,
    query: dict[str, str],
    base_url: str,
) -> CrawlRun:
    row = {
        "registry": registry,
        "base_url": base_url,
        "mode": mode,
        "query": json.dumps(query, sort_keys=True),
        "started": now_utc(),
        "status": "running",
    }
    with database.atomic():
        run_id = database.table("crawl_runs").insert(row).last_pk
    return get_crawl_run(database, int(cast(int, run_id)))


def get_crawl_run(database: sqlite_utils.Database, run_id: int) -> CrawlRun:
    return CrawlRun.from_row(database.table("crawl_runs").get(run_id))


def resumable_crawl_run(database: sqlite_utils.Database, registry: str) -> CrawlRun | None:
    """The latest run of *registry* that stopped midway with a cursor, if it is the latest."""
    rows = list(
        database.query(
            "SELECT * FROM crawl_runs WHERE registry = ? ORDER BY id DESC LIMIT 1", [registry]
        )
    )
    if not rows:
        return None
    run = CrawlRun.from_row(rows[0])
    return run if run.status in RESUMABLE_STATUSES and run.cursor else None


def reopen_crawl_run(database: sqlite_utils.Database, run_id: int) -> None:
    with database.atomic():
        database.execute(
            "UPDATE crawl_runs SET status = 'running', finished = NULL,"
            " message = 'resumed from checkpoint' WHERE id = ?",
            [run_id],
        )


def checkpoint_page(
    database: sqlite_utils.Database, run_id: int, *, cursor: str | None, counts: PageCounts
) -> None:
    """Count one committed page and move the cursor; call inside the page's transaction."""
    database.execute(
        """UPDATE crawl_runs SET pages = pages + 1, cursor = ?,
               studies_new = studies_new + ?, studies_changed = studies_changed + ?,
               studies_unchanged = studies_unchanged + ?, studies_failed = studies_failed + ?,
               studies_skipped = studies_skipped + ?
           WHERE id = ?""",
        [
            cursor,
            counts.new,
            counts.changed,
            counts.unchanged,
            counts.failed,
            counts.skipped,
            run_id,
        ],
    )


def finish_crawl_run(
    database: sqlite_utils.Database, run_id: int, *, status: str, message: str | None = None
) -> CrawlRun:
    with database.atomic():
        database.execute(
            "UPDATE crawl_runs SET status = ?, finished = ?, message = ? WHERE id = ?",
            [status, now_utc(), message, run_id],
        )
    return get_crawl_run(database, run_id)


def abandon_crawl_run(database: sqlite_utils.Database, run_id: int, reason: str) -> None:
    with database.atomic():
        database.execute(
            "UPDATE crawl_runs SET status = 'abandoned', finished = ?, cursor = NULL,"
            " message = ? WHERE id = ?",
            [now_utc(), reason, run_id],
        )


def record_crawl_error(
    database: sqlite_utils.Database, run_id: int, *, url: str, error: str, excerpt: str = ""
) -> None:
    row = {
        "run_id": run_id,
        "url": url,
        "error": error,
        "excerpt": excerpt[:EXCERPT_CHARS],
        "at": now_utc(),
    }
    with database.atomic():
        database.table("crawl_errors").insert(row)


def crawl_errors(database: sqlite_utils.Database, run_id: int) -> list[CrawlError]:
    rows = database.query(
        "SELECT run_id, url, error, excerpt, at FROM crawl_errors WHERE run_id = ? ORDER BY id",
        [run_id],
    )
    return [CrawlError(**row) for row in rows]


def last_successful_crawl_start(
    database: sqlite_utils.Database, registry: str
) -> dt.datetime | None:
    row = database.execute(
        "SELECT max(started) FROM crawl_runs WHERE registry = ? AND status = 'succeeded'",
        [registry],
    ).fetchone()
    return dt.datetime.fromisoformat(row[0]) if row and row[0] else None


def recent_crawl_runs(database: sqlite_utils.Database, limit: int = 10) -> list[CrawlRun]:
    rows = database.query("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT ?", [limit])
    return [CrawlRun.from_row(row) for row in rows]


# --- nightly runs ------------------------------------------------------------


@dataclass(frozen=True)
class NightlyRun:
    id: int
    trigger: str
    started: str
    finished: str | None
    status: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> NightlyRun:
        return cls(
            id=row["id"],
            trigger=row["trigger"],
            started=row["started"],
            finished=row.get("finished"),
            status=row["status"],
            counts=json.loads(row.get("counts") or "{}"),
            errors=json.loads(row.get("errors") or "[]"),
        )

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))


def start_nightly_run(database: sqlite_utils.Database, trigger: str) -> int:
    row = {"trigger": trigger, "started": now_utc(), "status": "running", "counts": "{}"}
    with database.atomic():
        return int(cast(int, database.table("nightly_runs").insert(row).last_pk))


def finish_nightly_run(
    database: sqlite_utils.Database,
    run_id: int,
    *,
    status: str,
    counts: dict[str, dict[str, int]],
    errors: list[str],
) -> NightlyRun:
    with database.atomic():
        database.execute(
            "UPDATE nightly_runs SET finished = ?, status = ?, counts = ?, errors = ? WHERE id = ?",
            [now_utc(), status, json.dumps(counts), json.dumps(errors), run_id],
        )
    return NightlyRun.from_row(database.table("nightly_runs").get(run_id))


def recent_nightly_runs(database: sqlite_utils.Database, limit: int = 10) -> list[NightlyRun]:
    rows = database.query("SELECT * FROM nightly_runs ORDER BY id DESC LIMIT ?", [limit])
    return [NightlyRun.from_row(row) for row in rows]
