"""Ordered, named migrations recorded in the `_migrations` table.

Each area of the schema keeps its own list (`db.schema_trials`,
`db.schema_criteria`, `db.schema_matching`, `db.schema_review`); they run in that order, each
list in its own order, each migration once, inside a transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from db import schema_criteria, schema_matching, schema_review, schema_trials
from trialmatch.core.clock import utc_now

if TYPE_CHECKING:
    import sqlite_utils

Migration = tuple[str, Callable[["sqlite_utils.Database"], None]]
MIGRATIONS_TABLE = "_migrations"


def all_migrations() -> list[Migration]:
    ordered = [
        *schema_trials.MIGRATIONS,
        *schema_criteria.MIGRATIONS,
        *schema_matching.MIGRATIONS,
        *schema_review.MIGRATIONS,
    ]
    names = [name for name, _ in ordered]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise RuntimeError(f"duplicate migration names: {', '.join(duplicates)}")
    return ordered


def migration_names() -> list[str]:
    return [name for name, _ in all_migrations()]


def apply_migrations(database: sqlite_utils.Database) -> list[str]:
    """Apply the migrations not yet recorded; return the names applied."""
    database.execute(
        f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (name TEXT PRIMARY KEY, applied_at TEXT)"
    )
    done = {row[0] for row in database.execute(f"SELECT name FROM {MIGRATIONS_TABLE}").fetchall()}
    applied = []
    for name, migrate in all_migrations():
        if name in done:
            continue
        with database.conn:
            migrate(database)
            database.execute(
                f"INSERT INTO {MIGRATIONS_TABLE} (name, applied_at) VALUES (?, ?)",
                [name, utc_now()],
            )
        applied.append(name)
    return applied
