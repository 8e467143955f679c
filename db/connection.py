"""Opening the database file: WAL mode, foreign keys, a busy timeout, migrations applied.

`open_database` is the one way to open it for work (use it with ``with``:
the database closes on leaving). `reading` opens it for a quick look (``trialmatch
runs``, ``users list``): a plain read-only connection that spares the
command sqlite-utils' import, unless the file is new or its schema is behind.
Storage functions that only read take either (`Readable`). `for_request`
opens a migrated database for one request of the review page, and
`immediate` is a write transaction that takes the write lock first.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from db.migrations import MIGRATIONS_TABLE, migration_names
from trialmatch.core.errors import DatabaseBusy, StorageError

if TYPE_CHECKING:
    import sqlite_utils

    Readable: TypeAlias = sqlite_utils.Database | sqlite3.Connection

# a writer (the nightly run) holds the lock for at most one transaction at a time
BUSY_TIMEOUT_SECONDS = 30.0


def open_database(path: Path | str) -> sqlite_utils.Database:
    """Open (creating if needed) the database at *path*, migrated to the latest schema."""
    import sqlite_utils  # here, not at the top: read-only commands start without it

    from db.migrations import apply_migrations

    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS)
        database = sqlite_utils.Database(connection)
        database.execute("PRAGMA journal_mode=WAL")
        database.execute("PRAGMA foreign_keys=ON")
        database.execute("PRAGMA synchronous=NORMAL")
        apply_migrations(database)
    except (OSError, sqlite3.Error) as exc:
        raise StorageError(f"cannot open database {path}: {exc}") from exc
    return database


@contextmanager
def reading(path: Path | str) -> Iterator[Readable]:
    """The database at *path* for reading only; closed on leaving."""
    path = Path(path)
    connection = _read_only(path) if path.is_file() else None
    if connection is None:
        with open_database(path) as database:
            yield database
        return
    try:
        yield connection
    finally:
        connection.close()


def _read_only(path: Path) -> sqlite3.Connection | None:
    """A read-only connection, or None when the schema needs migrating first."""
    try:
        connection = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_SECONDS
        )
        done = {row[0] for row in connection.execute(f"SELECT name FROM {MIGRATIONS_TABLE}")}
    except sqlite3.Error:
        return None
    if not set(migration_names()) <= done:
        connection.close()
        return None
    return connection


def for_request(path: Path | str) -> sqlite_utils.Database:
    """A connection for one request of the review page (the database is already migrated).

    Many threads serve requests; each request has its own connection, closed
    when it ends, so read transactions stay short while the nightly run writes.
    """
    import sqlite_utils

    try:
        connection = sqlite3.connect(
            str(path), timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False
        )
        connection.execute("PRAGMA foreign_keys=ON")
    except sqlite3.Error as exc:
        raise StorageError(f"cannot open database {path}: {exc}") from exc
    return sqlite_utils.Database(connection)


def connection_of(database: Readable) -> sqlite3.Connection:
    return database if isinstance(database, sqlite3.Connection) else database.conn


@contextmanager
def immediate(database: Readable) -> Iterator[sqlite3.Connection]:
    """A write transaction holding the write lock from its start, committed on leaving.

    A deferred transaction that reads first cannot always take the lock later
    (another writer moved on, and the busy handler does not wait then);
    taking it first waits up to the busy timeout, and past that the caller
    gets `DatabaseBusy`, never sqlite's "database is locked".
    """
    connection = connection_of(database)
    try:
        connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise DatabaseBusy(f"the database is busy: {exc}") from exc
    try:
        yield connection
    except BaseException:
        connection.rollback()
        raise
    try:
        connection.commit()
    except sqlite3.OperationalError as exc:
        raise DatabaseBusy(f"the database is busy: {exc}") from exc


def rows(database: Readable, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """The rows of a query as dicts, from either kind of connection."""
    cursor = connection_of(database).execute(sql, list(params))
    names = [column[0] for column in cursor.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def iter_rows(
    database: Readable, sql: str, params: Sequence[Any] = (), *, batch: int = 1000
) -> Iterator[dict[str, Any]]:
    """The rows of a query as dicts, fetched a batch at a time (for long results)."""
    cursor = connection_of(database).execute(sql, list(params))
    names = [column[0] for column in cursor.description or ()]
    while found := cursor.fetchmany(batch):
        for row in found:
            yield dict(zip(names, row, strict=True))
