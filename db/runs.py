"""Storing crawl runs, crawl errors and nightly runs (the records are `trialmatch.core.runs`).

The crawl writes a run's cursor with `checkpoint_page` inside the same
transaction as that page's studies, so after a kill the stored studies and
the cursor always agree.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, cast

from db.connection import rows
from trialmatch.core import canonical
from trialmatch.core.clock import utc_now
from trialmatch.core.runs import (
    CrawlError,
    CrawlMode,
    CrawlRun,
    CrawlStatus,
    NightlyRun,
    NightlyStatus,
    PageCounts,
    Trigger,
)

if TYPE_CHECKING:
    import sqlite_utils

    from db.connection import Readable

EXCERPT_CHARS = 500


def start_crawl_run(
    database: sqlite_utils.Database,
    *,
    registry: str,
    mode: CrawlMode,
    query: dict[str, str],
    base_url: str,
) -> CrawlRun:

    row = {
        "registry": registry,
        "base_url": base_url,
        "mode": mode,
        "query": canonical.canonical_dumps(query),
        "started": utc_now(),
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
    return run if run.resumable else None


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
    database: sqlite_utils.Database,
    run_id: int,
    *,
    status: CrawlStatus,
    message: str | None = None,
) -> CrawlRun:
    with database.atomic():
        database.execute(
            "UPDATE crawl_runs SET status = ?, finished = ?, message = ? WHERE id = ?",
            [status, utc_now(), message, run_id],
        )
    return get_crawl_run(database, run_id)


def abandon_crawl_run(database: sqlite_utils.Database, run_id: int, reason: str) -> None:
    with database.atomic():
        database.execute(
            "UPDATE crawl_runs SET status = 'abandoned', finished = ?, cursor = NULL,"
            " message = ? WHERE id = ?",
            [utc_now(), reason, run_id],
        )


def record_crawl_error(
    database: sqlite_utils.Database, run_id: int, *, url: str, error: str, excerpt: str = ""
) -> None:
    row = {
        "run_id": run_id,
        "url": url,
        "error": error,
        "excerpt": excerpt[:EXCERPT_CHARS],
        "at": utc_now(),
    }
    with database.atomic():
        database.table("crawl_errors").insert(row)


def crawl_errors(database: Readable, run_id: int) -> list[CrawlError]:
    found = rows(
        database,
        "SELECT run_id, url, error, excerpt, at FROM crawl_errors WHERE run_id = ? ORDER BY id",
        [run_id],
    )
    return [CrawlError(**row) for row in found]


def last_successful_crawl_start(
    database: sqlite_utils.Database, registry: str
) -> dt.datetime | None:
    row = database.execute(
        "SELECT max(started) FROM crawl_runs WHERE registry = ? AND status = 'succeeded'",
        [registry],
    ).fetchone()
    return dt.datetime.fromisoformat(row[0]) if row and row[0] else None


def recent_crawl_runs(database: Readable, limit: int = 10) -> list[CrawlRun]:
    found = rows(database, "SELECT * FROM crawl_runs ORDER BY id DESC LIMIT ?", [limit])
    return [CrawlRun.from_row(row) for row in found]


# --- nightly runs ------------------------------------------------------------


def start_nightly_run(database: sqlite_utils.Database, trigger: Trigger) -> int:
    row = {"trigger": trigger, "started": utc_now(), "status": "running", "counts": "{}"}
    with database.atomic():
        return int(cast(int, database.table("nightly_runs").insert(row).last_pk))


def finish_nightly_run(
    database: sqlite_utils.Database,
    run_id: int,
    *,
    status: NightlyStatus,
    counts: dict[str, dict[str, int]],
    errors: list[str],
) -> NightlyRun:
    with database.atomic():
        database.execute(
            "UPDATE nightly_runs SET finished = ?, status = ?, counts = ?, errors = ? WHERE id = ?",
            [utc_now(), status, canonical.dumps(counts), canonical.dumps(errors), run_id],
        )
    return NightlyRun.from_row(database.table("nightly_runs").get(run_id))


def recent_nightly_runs(database: Readable, limit: int = 10) -> list[NightlyRun]:
    found = rows(database, "SELECT * FROM nightly_runs ORDER BY id DESC LIMIT ?", [limit])
    return [NightlyRun.from_row(row) for row in found]
