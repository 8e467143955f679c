"""What one match worker produced, kept apart until the run merges it.

Each worker of a match run writes a shard folder of its own: a small SQLite
file of the pairs to store, the pairs to drop and the listed pairs with their
list order, and two append-only files holding each listed pair's rendered
JSON entry and HTML fragment. Workers share nothing they write; the run then
merges every shard into ``matches`` in a few statements, and streams the
lists from the shards in one global order (`listed_in_order`).
"""

from __future__ import annotations

import heapq
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from db.matches import MATCH_COLUMNS

PAIRS_FILE = "pairs.db"
ENTRIES_FILE = "entries.json"
FRAGMENTS_FILE = "fragments.html"
_BATCH = 2000
_NO_DISTANCE = 1e18  # sorts a pair of unknown distance after every known one

_LISTED_COLUMNS = (
    "rank",  # 0 eligible, 1 possible
    "open_questions",
    "distance_key",
    "score",
    "patient_id",
    "trial_id",
    "site",
    "new",
    "verdict",
    "distance_km",
    "checklist",
    "entry_at",
    "entry_size",
    "fragment_at",
    "fragment_size",
)
_ORDER = "rank, open_questions, distance_key, score DESC, patient_id, trial_id"


@dataclass(frozen=True)
class ListedPair:
    """A listed pair as a shard holds it: its list order, its facts and where its renderings are."""

    shard: int
    rank: int
    open_questions: int
    distance_key: float
    score: float
    patient_id: str
    trial_id: str
    site: str | None
    new: bool
    verdict: str
    distance_km: float | None
    checklist: str
    entry_at: int
    entry_size: int
    fragment_at: int
    fragment_size: int

    def order(self) -> tuple[Any, ...]:
        return (
            self.rank,
            self.open_questions,
            self.distance_key,
            -self.score,
            self.patient_id,
            self.trial_id,
        )


class ShardWriter:
    """Writes one worker's shard; rows are batched, the renderings appended."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in (PAIRS_FILE, ENTRIES_FILE, FRAGMENTS_FILE):
            (folder / name).unlink(missing_ok=True)
        self.folder = folder
        self._connection = sqlite3.connect(folder / PAIRS_FILE)
        # a scratch file: a crash loses the shard, and the run fails and is run again
        self._connection.execute("PRAGMA journal_mode=OFF")
        self._connection.execute("PRAGMA synchronous=OFF")
        self._connection.execute(f"CREATE TABLE pairs ({', '.join(MATCH_COLUMNS)})")
        self._connection.execute("CREATE TABLE dropped (patient_id, trial_id)")
        self._connection.execute(f"CREATE TABLE listed ({', '.join(_LISTED_COLUMNS)})")
        self._entries: IO[bytes] = (folder / ENTRIES_FILE).open("wb")
        self._fragments: IO[bytes] = (folder / FRAGMENTS_FILE).open("wb")
        self._pairs: list[tuple[Any, ...]] = []
        self._dropped: list[tuple[str, str]] = []
        self._listed: list[tuple[Any, ...]] = []

    def pair(self, row: tuple[Any, ...]) -> None:
        self._pairs.append(row)
        if len(self._pairs) >= _BATCH:
            self._flush()

    def dropped(self, patient_id: str, trial_id: str) -> None:
        self._dropped.append((patient_id, trial_id))

    def listed(
        self,
        *,
        patient_id: str,
        trial_id: str,
        verdict: str,
        open_questions: int,
        distance_km: float | None,
        score: float,
        site: str | None,
        new: bool,
        checklist: str,
        entry: bytes,
        fragment: bytes,
    ) -> None:
        entry_at, fragment_at = self._entries.tell(), self._fragments.tell()
        self._entries.write(entry)
        self._fragments.write(fragment)
        distance_key = _NO_DISTANCE if distance_km is None else distance_km
        self._listed.append(
            (
                0 if verdict == "eligible" else 1,
                open_questions,
                distance_key,
                score,
                patient_id,
                trial_id,
                site,
                int(new),
                verdict,
                distance_km,
                checklist,
                entry_at,
                len(entry),
                fragment_at,
                len(fragment),
            )
        )
        if len(self._listed) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        with self._connection:
            marks = ", ".join("?" * len(MATCH_COLUMNS))
            self._connection.executemany(f"INSERT INTO pairs VALUES ({marks})", self._pairs)
            self._connection.executemany("INSERT INTO dropped VALUES (?, ?)", self._dropped)
            marks = ", ".join("?" * len(_LISTED_COLUMNS))
            self._connection.executemany(f"INSERT INTO listed VALUES ({marks})", self._listed)
        self._pairs.clear()
        self._dropped.clear()
        self._listed.clear()

    def close(self) -> None:
        self._flush()
        with self._connection:
            self._connection.execute(f"CREATE INDEX listed_order ON listed ({_ORDER})")
        self._connection.close()
        self._entries.close()
        self._fragments.close()


def merge_shard(connection: sqlite3.Connection, folder: Path) -> tuple[int, int]:
    """Store a shard's pairs in ``matches`` and drop its dropped ones; (stored, dropped)."""
    columns = ", ".join(MATCH_COLUMNS)
    updates = ", ".join(
        f"{column} = excluded.{column}"
        for column in MATCH_COLUMNS
        if column not in ("patient_id", "trial_id")
    )
    connection.execute("ATTACH DATABASE ? AS shard", (str(folder / PAIRS_FILE),))
    try:
        with connection:
            stored = connection.execute(
                f"INSERT INTO matches ({columns}) SELECT {columns} FROM shard.pairs WHERE true"
                f" ON CONFLICT (patient_id, trial_id) DO UPDATE SET {updates}"
            ).rowcount
            dropped = connection.execute(
                "DELETE FROM matches WHERE (patient_id, trial_id) IN"
                " (SELECT patient_id, trial_id FROM shard.dropped)"
            ).rowcount
    finally:
        connection.execute("DETACH DATABASE shard")
    return int(stored), int(dropped)


def listed_in_order(folders: Sequence[Path]) -> Iterator[ListedPair]:
    """Every shard's listed pairs, merged into one list order: eligible first, then fewer
    open questions, then the nearer site, then the higher score, then the ids."""
    connections = [sqlite3.connect(folder / PAIRS_FILE) for folder in folders]
    try:
        streams = [_listed_of(number, connection) for number, connection in enumerate(connections)]
        yield from heapq.merge(*streams, key=ListedPair.order)
    finally:
        for connection in connections:
            connection.close()


def _listed_of(shard: int, connection: sqlite3.Connection) -> Iterator[ListedPair]:
    sql = (
        "SELECT rank, open_questions, distance_key, score, patient_id, trial_id, site, new,"
        " verdict, distance_km, checklist, entry_at, entry_size, fragment_at, fragment_size"
        f" FROM listed ORDER BY {_ORDER}"
    )
    for row in connection.execute(sql):
        yield ListedPair(
            shard=shard,
            rank=row[0],
            open_questions=row[1],
            distance_key=row[2],
            score=row[3],
            patient_id=row[4],
            trial_id=row[5],
            site=row[6],
            new=bool(row[7]),
            verdict=row[8],
            distance_km=row[9],
            checklist=row[10],
            entry_at=row[11],
            entry_size=row[12],
            fragment_at=row[13],
            fragment_size=row[14],
        )


class Renderings:
    """Reads listed pairs' rendered entry and fragment back from their shards."""

    def __init__(self, folders: Sequence[Path]) -> None:
        self._entries = [(folder / ENTRIES_FILE).open("rb") for folder in folders]
        self._fragments = [(folder / FRAGMENTS_FILE).open("rb") for folder in folders]

    def entry(self, pair: ListedPair) -> bytes:
        return _read(self._entries[pair.shard], pair.entry_at, pair.entry_size)

    def fragment(self, pair: ListedPair) -> bytes:
        return _read(self._fragments[pair.shard], pair.fragment_at, pair.fragment_size)

    def close(self) -> None:
        for handle in (*self._entries, *self._fragments):
            handle.close()


def _read(handle: IO[bytes], at: int, size: int) -> bytes:
    handle.seek(at)
    return handle.read(size)
