"""Migrations of the review page's tables: accounts, sessions, answers, decisions, audit log.

None of them refers to `matches` by a foreign key: answers and decisions
outlive the nightly runs that drop and re-create match rows, so a pair that
comes back finds them again. The audit log is append-only, enforced by
triggers: no UPDATE or DELETE of it ever succeeds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from db.match_site import SITE_INDEX_SQL

if TYPE_CHECKING:
    import sqlite_utils

    from db.migrations import Migration


def _create_accounts(database: sqlite_utils.Database) -> None:
    database.execute(
        """CREATE TABLE users (
            name TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,  -- argon2id, with its parameters and salt
            sites TEXT NOT NULL DEFAULT '[]',  -- JSON list of site names; empty: every site
            admin INTEGER NOT NULL DEFAULT 0,
            disabled INTEGER NOT NULL DEFAULT 0,
            created TEXT NOT NULL,
            password_changed TEXT NOT NULL
        )"""
    )
    database.execute(
        """CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,  -- SHA-256 of the cookie's token: no usable key
            user_name TEXT NOT NULL REFERENCES users(name),
            csrf_token TEXT NOT NULL,
            created TEXT NOT NULL,
            last_seen TEXT NOT NULL
        )"""
    )
    database.execute("CREATE INDEX sessions_user ON sessions(user_name)")


def _create_review(database: sqlite_utils.Database) -> None:
    database.execute(
        """CREATE TABLE answers (
            patient_id TEXT NOT NULL,
            trial_id TEXT NOT NULL,
            criterion_id TEXT NOT NULL,
            criterion_text TEXT NOT NULL,  -- the text asked about: a changed criterion drops it
            value TEXT NOT NULL,  -- trialmatch.core.review.AnswerValue
            note TEXT NOT NULL DEFAULT '',
            user_name TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (patient_id, trial_id, criterion_id)
        )"""
    )
    database.execute(
        """CREATE TABLE decisions (
            patient_id TEXT NOT NULL,
            trial_id TEXT NOT NULL,
            state TEXT NOT NULL,  -- trialmatch.core.review.DecisionState
            reason TEXT NOT NULL DEFAULT '',
            user_name TEXT NOT NULL,
            at TEXT NOT NULL,
            trial_hash TEXT NOT NULL,  -- the match's hashes when decided: when they
            patient_hash TEXT NOT NULL,  -- differ from the row's, it needs re-review
            PRIMARY KEY (patient_id, trial_id)
        )"""
    )
    database.execute("CREATE INDEX decisions_state ON decisions(state)")
    database.execute(
        """CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            patient_id TEXT NOT NULL,
            trial_id TEXT NOT NULL,
            user_name TEXT NOT NULL,
            at TEXT NOT NULL,
            action TEXT NOT NULL,  -- trialmatch.core.review.AuditAction
            before TEXT NOT NULL,
            after TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT ''
        )"""
    )
    database.execute("CREATE INDEX audit_log_pair ON audit_log(patient_id, trial_id)")
    for event in ("UPDATE", "DELETE"):
        database.execute(
            f"""CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log
                BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"""
        )


def _index_lists(database: sqlite_utils.Database) -> None:
    # The morning list reads listed pairs by verdict then score; the index covers the
    # filters that need no other table, so counting a filtered list never reads rows.
    database.execute(
        "CREATE INDEX matches_listed_order ON matches"
        "(verdict, score DESC, patient_id, trial_id, distance_km, first_listed_run)"
        " WHERE listed = 1"
    )
    # a coordinator's list: the listed pairs at their sites, in the same order
    database.execute(
        f"CREATE INDEX matches_listed_site ON matches({SITE_INDEX_SQL},"
        " verdict, score DESC, patient_id, trial_id, distance_km, first_listed_run)"
        " WHERE listed = 1"
    )
    database.execute("CREATE INDEX match_runs_status ON match_runs(status)")


MIGRATIONS: list[Migration] = [
    ("review_0001_accounts", _create_accounts),
    ("review_0002_answers_decisions_audit", _create_review),
    ("review_0003_list_index", _index_lists),
]
