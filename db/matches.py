"""Match results per (patient, trial) and the match runs that produced them.

A row is compact: the verdict, score, nearest site and distance, how many
questions stay open, every result's status as one letter (``statuses``), and
for an ineligible pair the ids of the criteria that fail it (``failed``).
Evidence is not stored: it is a pure function of the profile and the
criteria, rendered when a list or a page needs it. A row also remembers what
it was evaluated against (trial content hash, criteria version, patient
hash, the date for criteria with time windows), so a run re-evaluates only
pairs where one of them changed. ``first_listed_run`` is the run that first
put the pair in the referral lists: a pair is *new* in the run whose id that
is.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trialmatch.core import canonical
from trialmatch.core.clock import utc_now
from trialmatch.core.runs import MatchRunStatus

if TYPE_CHECKING:
    import sqlite_utils

# the columns of a stored pair, in the order `pair_row` gives them
MATCH_COLUMNS = (
    "patient_id",
    "trial_id",
    "verdict",
    "score",
    "distance_km",
    "site",
    "open_questions",
    "statuses",
    "failed",
    "listed",
    "first_listed_run",
    "last_run",
    "trial_hash",
    "criteria_version",
    "patient_hash",
    "evaluated_on",
    "evaluated_at",
)


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
class StoredPair:
    """What a run needs to know of a stored pair to decide whether to evaluate it again."""

    against: EvaluatedAgainst
    verdict: str
    score: float
    first_listed_run: int | None


def listed_since(first_listed_run: int | None, listed: bool, run_id: int) -> int | None:
    """The run that first listed a pair: the stored one, else this run when it lists it."""
    if listed and first_listed_run is None:
        return run_id
    return first_listed_run


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


def stored_pairs(connection: sqlite3.Connection, patient_id: str) -> dict[str, StoredPair]:
    """The stored pairs of one patient, by trial id."""
    sql = (
        "SELECT trial_id, trial_hash, criteria_version, patient_hash, evaluated_on, verdict,"
        " score, first_listed_run FROM matches WHERE patient_id = ?"
    )
    return {
        row[0]: StoredPair(EvaluatedAgainst(row[1], row[2], row[3], row[4]), row[5], row[6], row[7])
        for row in connection.execute(sql, (patient_id,))
    }


def pair_row(
    *,
    patient_id: str,
    trial_id: str,
    verdict: str,
    score: float,
    distance_km: float | None,
    site: str | None,
    open_questions: int,
    statuses: str,
    failed: list[str],
    first_listed_run: int | None,
    run_id: int,
    against: EvaluatedAgainst,
) -> tuple[Any, ...]:
    """One row of `MATCH_COLUMNS`."""
    return (
        patient_id,
        trial_id,
        verdict,
        score,
        distance_km,
        site,
        open_questions,
        statuses,
        ",".join(failed) if failed else None,
        int(verdict != "ineligible"),
        first_listed_run,
        run_id,
        against.trial_hash,
        against.criteria_version,
        against.patient_hash,
        against.evaluated_on,
        utc_now(),
    )


def store_pair(database: sqlite_utils.Database, row: tuple[Any, ...]) -> None:
    """Store one pair (a row of `MATCH_COLUMNS`) over its earlier row."""
    columns = ", ".join(MATCH_COLUMNS)
    marks = ", ".join("?" * len(MATCH_COLUMNS))
    with database.conn:
        database.execute(f"INSERT OR REPLACE INTO matches ({columns}) VALUES ({marks})", row)


def count_by_verdict(database: sqlite_utils.Database) -> dict[str, int]:
    rows = database.execute("SELECT verdict, count(*) FROM matches GROUP BY verdict").fetchall()
    return {str(row[0]): int(row[1]) for row in rows}
