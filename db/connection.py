"""Opening the database file: WAL mode, foreign keys, migrations applied."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from db.migrations import apply_migrations
from trialmatch.core.errors import StorageError


def open_database(path: Path | str) -> sqlite_utils.Database:
    """Open (creating if needed) the database at *path*, migrated to the latest schema."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(str(path), timeout=30.0)
        database = sqlite_utils.Database(connection)
        database.execute("PRAGMA journal_mode=WAL")
        database.execute("PRAGMA foreign_keys=ON")
        database.execute("PRAGMA synchronous=NORMAL")
        apply_migrations(database)
    except (OSError, sqlite3.Error) as exc:
        raise StorageError(f"cannot open database {path}: {exc}") from exc
    return database
