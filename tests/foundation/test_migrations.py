from __future__ import annotations

from pathlib import Path

from db import open_database
from db.migrations import MIGRATIONS_TABLE, all_migrations


def test_every_migration_applied_once_and_recorded(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    database = open_database(path)
    recorded = [
        row["name"] for row in database.query(f"SELECT name FROM {MIGRATIONS_TABLE} ORDER BY rowid")
    ]
    assert recorded == [name for name, _ in all_migrations()]
    database.conn.close()

    reopened = open_database(path)
    again = [
        row["name"] for row in reopened.query(f"SELECT name FROM {MIGRATIONS_TABLE} ORDER BY rowid")
    ]
    assert again == recorded
    assert reopened.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    reopened.conn.close()


def test_schema_has_the_tables_the_design_names(tmp_path: Path) -> None:
    database = open_database(tmp_path / "store.db")
    tables = set(database.table_names())
    assert {"trials", "sites", "crawl_runs", "crawl_errors", "nightly_runs"} <= tables
    assert "trials_fts" in tables
    database.conn.close()
