"""Match results per (patient, trial) and the match runs that produced them.

A row remembers what it was evaluated against (trial content hash, criteria
parser version, patient hash), so a run re-evaluates only pairs where one of
them changed. ``first_listed_run`` is the run that first put the pair in the
referral lists: a pair is *new* in the run whose id that is. Ineligible pairs
stay here, with their reasons, but are not listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trialmatch.core import canonical
from trialmatch.core.clock import utc_now
from trialmatch.core.match import MatchResult, criteria_from_document
from trialmatch.core.runs import MatchRunStatus

if TYPE_CHECKING:
    import sqlite_utils


@dataclass(frozen=True)
class EvaluatedAgainst:
    """What a stored result was computed from, and on which date (ISO, as "today")."""

    trial_hash: str
    criteria_version: str
    patient_hash: str
    evaluated_on: str | None = None

    def same_inputs(self, other: EvaluatedAgainst) -> bool:
        return (self.trial_hash, self.criteria_version, self.patient_hash) == (
            other.trial_hash,
            other.criteria_version,
            other.patient_hash,
        )


@dataclass(frozen=True)
class StoredMatch:
    result: MatchResult
    new: bool


def start_run(database: sqlite_utils.Database, today: dt.date) -> int:
    with database.conn:
        cursor = database.execute(
            "INSERT INTO match_runs (started, status, today) VALUES (?, ?, ?)",
            [utc_now(), "running", today.isoformat()],
        )
        return int(cursor.lastrowid or 0)


def finish_run(
    database: sqlite_utils.Database, run_id: int, counts: dict[str, int], status: MatchRunStatus
) -> None:
    with database.conn:
        database.table("match_runs").update(
            run_id, {"finished": utc_now(), "status": status, "counts": canonical.dumps(counts)}
        )


def evaluated_against(database: sqlite_utils.Database) -> dict[tuple[str, str], EvaluatedAgainst]:
    sql = (
        "SELECT patient_id, trial_id, trial_hash, criteria_version, patient_hash, evaluated_on"
        " FROM matches"
    )
    return {
        (row[0], row[1]): EvaluatedAgainst(row[2], row[3], row[4], row[5])
        for row in database.execute(sql).fetchall()
    }


def save_results(
    database: sqlite_utils.Database,
    results: Iterable[tuple[MatchResult, EvaluatedAgainst]],
    run_id: int,
) -> int:
    """Upsert evaluated pairs in one transaction; returns how many were written."""
    rows = [_to_row(result, against, run_id) for result, against in results]
    if not rows:
        return 0
    first_listed = _first_listed(database, [(row["patient_id"], row["trial_id"]) for row in rows])
    for row in rows:
        earlier = first_listed.get((row["patient_id"], row["trial_id"]))
        row["first_listed_run"] = (
            earlier if earlier is not None else (run_id if row["listed"] else None)
        )
    with database.conn:
        database.table("matches").upsert_all(rows, pk=("patient_id", "trial_id"))
    return len(rows)


def _to_row(result: MatchResult, against: EvaluatedAgainst, run_id: int) -> dict[str, Any]:
    return {
        "patient_id": result.patient_id,
        "trial_id": result.trial_id,
        "verdict": result.verdict,
        "score": result.score,
        "distance_km": result.distance_km,
        "criteria": canonical.dumps(result.criteria_document()),
        "listed": int(result.verdict != "ineligible"),
        "last_run": run_id,
        "trial_hash": against.trial_hash,
        "criteria_version": against.criteria_version,
        "patient_hash": against.patient_hash,
        "evaluated_on": against.evaluated_on,
        "evaluated_at": utc_now(),
    }


def _first_listed(
    database: sqlite_utils.Database, pairs: list[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    wanted = set(pairs)
    sql = "SELECT patient_id, trial_id, first_listed_run FROM matches"
    sql += " WHERE first_listed_run IS NOT NULL"
    return {
        (row[0], row[1]): int(row[2])
        for row in database.execute(sql).fetchall()
        if (row[0], row[1]) in wanted
    }


def touch_pairs(
    database: sqlite_utils.Database, pairs: Iterable[tuple[str, str]], run_id: int
) -> None:
    """Record that unchanged pairs were still candidates in this run."""
    with database.conn:
        database.conn.executemany(
            "UPDATE matches SET last_run = ? WHERE patient_id = ? AND trial_id = ?",
            [(run_id, patient_id, trial_id) for patient_id, trial_id in pairs],
        )


def delete_stale(database: sqlite_utils.Database, run_id: int) -> int:
    """Drop pairs that were not candidates in this run (trial closed, patient moved)."""
    with database.conn:
        cursor = database.execute("DELETE FROM matches WHERE last_run < ?", [run_id])
    return int(cursor.rowcount or 0)


def listed_matches(database: sqlite_utils.Database, run_id: int) -> Iterator[StoredMatch]:
    """Pairs in the referral lists, best first; `new` when first listed in *run_id*."""
    sql = "SELECT * FROM matches WHERE listed = 1 ORDER BY trial_id, score DESC, patient_id"
    for row in database.query(sql):
        yield StoredMatch(result=match_from_row(row), new=row["first_listed_run"] == run_id)


def match_from_row(row: dict[str, Any]) -> MatchResult:
    site, criteria = criteria_from_document(canonical.loads(row["criteria"]))
    return MatchResult(
        patient_id=row["patient_id"],
        trial_id=row["trial_id"],
        verdict=row["verdict"],
        score=float(row["score"]),
        distance_km=row["distance_km"],
        criteria=tuple(criteria),
        site=site,
    )


def count_by_verdict(database: sqlite_utils.Database) -> dict[str, int]:
    rows = database.execute("SELECT verdict, count(*) FROM matches GROUP BY verdict").fetchall()
    return {str(row[0]): int(row[1]) for row in rows}
