"""Migrations of the matching tables: patients, matches and match runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils

    from db.migrations import Migration


def _create_patients(database: sqlite_utils.Database) -> None:
    database.table("patients").create(
        {
            "patient_id": str,
            "profile": str,  # JSON of the profile, with its "version"
            "content_hash": str,
            "needs_match": int,
            "imported_at": str,
            "source": str,  # the file it was imported from
        },
        pk="patient_id",
        not_null={"profile", "content_hash"},
        defaults={"needs_match": 1},
    )
    database.table("patients").create_index(["needs_match"])


def _create_matches(database: sqlite_utils.Database) -> None:
    database.table("match_runs").create(
        {
            "id": int,
            "started": str,
            "finished": str,
            "status": str,  # trialmatch.core.runs.MatchRunStatus
            "counts": str,  # JSON {name: n}
            "today": str,  # the date rules were evaluated against
        },
        pk="id",
    )
    database.table("matches").create(
        {
            "patient_id": str,
            "trial_id": str,
            "verdict": str,  # trialmatch.core.match.Verdict
            "score": float,
            "distance_km": float,
            "criteria": str,  # JSON of every result (until matching_0004)
            "listed": int,  # 1 when in the referral lists (not ineligible)
            "first_listed_run": int,  # the run that first listed the pair
            "last_run": int,  # the run that last saw the pair as a candidate
            "trial_hash": str,  # what the pair was evaluated against ...
            "criteria_version": str,  # ... the criteria parser's version
            "patient_hash": str,  # ... and the profile's content hash
            "evaluated_at": str,
        },
        pk=("patient_id", "trial_id"),
        foreign_keys=[("patient_id", "patients", "patient_id")],
    )
    database.table("matches").create_index(["trial_id"])
    database.table("matches").create_index(["verdict"])


def _add_evaluated_on(database: sqlite_utils.Database) -> None:
    # the date rules were evaluated against: a result with time windows is only reused
    # on that date (pairs stored before this have none, so they are evaluated again)
    database.table("matches").add_column("evaluated_on", str)


def _compact_matches(database: sqlite_utils.Database) -> None:
    # a pair keeps its statuses as letters and, when ineligible, the ids of the criteria
    # that fail it; its evidence is rendered when a list or a page needs it (a pure
    # function of the profile and the criteria), so the documents of every pair go
    table = database.table("matches")
    # an index on the site read out of the documents (review_0003 before this) goes first
    had_site_index = database.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'matches_listed_site'"
    ).fetchone()
    database.execute("DROP INDEX IF EXISTS matches_listed_site")
    table.add_column("site", str)  # the nearest recruiting site of a listed pair
    table.add_column("open_questions", int)  # top-level criteria left unknown
    table.add_column("statuses", str)  # one letter per result (matcher.plan.STATUS_CODES)
    table.add_column("failed", str)  # an ineligible pair's failing criteria, comma-separated
    table.transform(drop={"criteria"})
    table.create_index(["listed", "verdict", "open_questions", "distance_km"])
    if had_site_index:
        database.execute(
            "CREATE INDEX matches_listed_site ON matches(site, verdict, score DESC, patient_id,"
            " trial_id, distance_km, first_listed_run) WHERE listed = 1"
        )


def _drop_listed_index(database: sqlite_utils.Database) -> None:
    # nothing reads listed pairs in that order (the lists come from the run's shards),
    # and the planner took it over the review page's own indexes: a page filtered by
    # "new" read every listed row (bench/review.py: 570–740 ms, 100 ms without it)
    database.execute("DROP INDEX IF EXISTS idx_matches_listed_verdict_open_questions_distance_km")


MIGRATIONS: list[Migration] = [
    ("matching_0001_patients", _create_patients),
    ("matching_0002_matches_and_runs", _create_matches),
    ("matching_0003_evaluated_on", _add_evaluated_on),
    ("matching_0004_compact_results", _compact_matches),
    ("matching_0005_no_listed_order_index", _drop_listed_index),
]
