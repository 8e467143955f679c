"""Reading and writing `Trial` records and their sites.

Writing a trial whose content hash is unchanged touches nothing; a new or
changed trial is (re)written with its sites and marked `needs_parse`.
Encoding (`prepare_trials`: canonical JSON, hash, row tuples) is pure and
separate from writing (`store_prepared`), which sends many rows per INSERT.

A row is one registration. The same registration can reach us twice: from
its own registry and as a copy (WHO ICTRP carries every registry; ANZCTR
mirrors ClinicalTrials.gov studies). The registry's own record wins: a copy
never overwrites it (counted as ``shadowed``), and it replaces a copy. Every
write relinks the registrations it touched into studies (`db.studies`).
"""

from __future__ import annotations

import functools
import itertools
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trialmatch.core import canonical
from trialmatch.core.clock import utc_now
from trialmatch.core.errors import TrialNotFound, UnknownRecordVersion
from trialmatch.core.registry_ids import issuing_registry
from trialmatch.core.trial import Site, Trial

if TYPE_CHECKING:
    import sqlite_utils

RAW_FORMAT_VERSION = 1
# Rows per multi-row INSERT: enough to amortise a statement; few enough that
# SQLite's copies of the bound raw records stay a few megabytes.
MAX_ROWS_PER_STATEMENT = 256
RAW_ENVELOPE = f"""'{{"version":{RAW_FORMAT_VERSION},"record":' || ? || '}}'"""


@dataclass
class StoreCounts:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    shadowed: int = 0  # copies not stored over the registry's own record

    def add(self, other: StoreCounts) -> None:
        self.new += other.new
        self.changed += other.changed
        self.unchanged += other.unchanged
        self.shadowed += other.shadowed


def canonical_json(record: dict[str, Any]) -> str:
    """The form `Trial.content_hash` hashes; stored as is, so it is encoded once."""
    return canonical.canonical_dumps(record)


def trial_to_row(
    trial: Trial, *, now: str, canonical_raw: str | None = None, content_hash: str | None = None
) -> dict[str, Any]:

    encoded = (canonical_json(trial.raw) if canonical_raw is None else canonical_raw).encode()
    content_hash = content_hash or canonical.digest(encoded)
    row = dict(zip(TRIAL_COLUMNS, _trial_values(trial, now, encoded, content_hash), strict=True))
    row["raw"] = f'{{"version":{RAW_FORMAT_VERSION},"record":{encoded.decode()}}}'
    return row


def site_to_row(trial_id: str, site: Site) -> dict[str, Any]:
    return {"trial_id": trial_id, **vars(site)}


SITE_COLUMNS = ("trial_id", *Site.__dataclass_fields__)


def _site_values(trial_id: str, site: Site) -> tuple[Any, ...]:
    # Plain tuples: a big crawl writes tens of sites per study.
    return (
        trial_id,
        site.facility,
        site.city,
        site.state,
        site.zip,
        site.country,
        site.status,
        site.latitude,
        site.longitude,
    )


def trial_from_row(row: dict[str, Any], sites: Iterable[dict[str, Any]] = ()) -> Trial:
    raw_document: dict[str, Any] = (
        canonical.loads(row["raw"]) if row.get("raw") else {"version": RAW_FORMAT_VERSION}
    )
    if raw_document.get("version") != RAW_FORMAT_VERSION:
        raise UnknownRecordVersion(
            f"trial {row['trial_id']}: raw record version {raw_document.get('version')!r}"
        )
    healthy = row.get("healthy_volunteers")
    return Trial(
        registry=row["registry"],
        trial_id=row["trial_id"],
        source_url=row["source_url"],
        brief_title=row.get("brief_title") or "",
        official_title=row.get("official_title") or "",
        overall_status=row.get("overall_status"),
        conditions=tuple(canonical.loads(row.get("conditions") or "[]")),
        keywords=tuple(canonical.loads(row.get("keywords") or "[]")),
        mesh_terms=tuple(canonical.loads(row.get("mesh_terms") or "[]")),
        phases=tuple(canonical.loads(row.get("phases") or "[]")),
        study_type=row.get("study_type"),
        sex=row.get("sex") or "ALL",
        minimum_age_years=row.get("minimum_age_years"),
        maximum_age_years=row.get("maximum_age_years"),
        healthy_volunteers=None if healthy is None else bool(healthy),
        eligibility_text=row.get("eligibility_text"),
        last_update=row.get("last_update"),
        sites=tuple(_site_from_row(site) for site in sites),
        flags=tuple(canonical.loads(row.get("flags") or "[]")),
        raw=raw_document.get("record", {}),
        secondary_ids=tuple(canonical.loads(row.get("secondary_ids") or "[]")),
        page_url=row.get("page_url"),
        criteria_language=row.get("criteria_language"),
    )


def _site_from_row(row: dict[str, Any]) -> Site:
    return Site(**{name: row.get(name) for name in Site.__dataclass_fields__})


@dataclass(frozen=True, slots=True)
class PreparedTrial:
    """A trial encoded for storage: its hash, its row and its sites' rows, no DB needed.

    Built by `prepare_trials`, which is pure: the crawl encodes a page as it
    loads it, so the page's decoded records are freed before its transaction.
    """

    trial_id: str
    overall_status: str | None
    content_hash: str
    values: tuple[Any, ...]  # in TRIAL_COLUMNS order
    sites: list[tuple[Any, ...]]  # in SITE_COLUMNS order
    registry: str = ""
    status: str = "unknown"  # the vocabulary status of overall_status


def prepare_trials(trials: Iterable[Trial], *, now: str | None = None) -> list[PreparedTrial]:
    """Encode *trials* for `store_prepared`; a trial listed twice is kept in its last form."""
    now = now or utc_now()
    prepared = []
    for trial in {trial.trial_id: trial for trial in trials}.values():
        # Encoded once as bytes: hashed as is and bound as is (SQLite's || makes it text).
        encoded = canonical.canonical_bytes(trial.raw)
        content_hash = canonical.digest(encoded)
        prepared.append(
            PreparedTrial(
                trial.trial_id,
                trial.overall_status,
                content_hash,
                _trial_values(trial, now, encoded, content_hash),
                [_site_values(trial.trial_id, site) for site in trial.sites],
                trial.registry,
                trial.status,
            )
        )
    return prepared


def store_trials(database: sqlite_utils.Database, trials: Iterable[Trial]) -> StoreCounts:
    """Upsert a batch in one transaction; unchanged records are not rewritten."""
    return store_prepared(database, prepare_trials(trials))


def store_prepared(database: sqlite_utils.Database, prepared: list[PreparedTrial]) -> StoreCounts:
    """Write the new and changed trials of *prepared*; an unchanged one is not touched."""
    from db.studies import link_registrations

    counts = StoreCounts()
    if not prepared:
        return counts
    stored = _stored(database, [trial.trial_id for trial in prepared])
    known = {trial_id: found[0] for trial_id, found in stored.items()}
    rows: list[tuple[Any, ...]] = []
    sites: list[tuple[Any, ...]] = []
    for trial in prepared:
        if _is_copy_of_stored_original(trial, stored.get(trial.trial_id)):
            counts.shadowed += 1
            continue
        previous = known.get(trial.trial_id)
        if previous == trial.content_hash:
            # Not rewritten at all: a crawl that finds nothing new writes only its run record.
            counts.unchanged += 1
            continue
        if previous is None:
            counts.new += 1
        else:
            counts.changed += 1
        rows.append(trial.values)
        sites.extend(trial.sites)
    if rows:
        # atomic() nests as a savepoint, so a caller can commit this batch
        # together with its own writes (the crawl's page checkpoint).
        with database.atomic():
            _write_changed(database, rows, sites)
            link_registrations(database, [row[0] for row in rows])
    return counts


def _is_copy_of_stored_original(trial: PreparedTrial, stored: tuple[str, str] | None) -> bool:
    """Whether *trial* is a copy (WHO, a mirror) of a registration stored from its own registry."""
    if stored is None or not trial.registry:
        return False
    own = issuing_registry(trial.trial_id)
    return own is not None and stored[1] == own and trial.registry != own


def known_trial_ids(database: sqlite_utils.Database, ids: Iterable[str]) -> set[str]:
    """Which of *ids* are already stored."""
    return set(_known_hashes(database, list(ids)))


def _known_hashes(database: sqlite_utils.Database, ids: list[str]) -> dict[str, str]:
    return {trial_id: found[0] for trial_id, found in _stored(database, ids).items()}


def _stored(database: sqlite_utils.Database, ids: list[str]) -> dict[str, tuple[str, str]]:
    """``{trial_id: (content_hash, registry)}`` of the stored ones among *ids*."""
    if not ids:
        return {}
    rows = database.execute(
        "SELECT trial_id, content_hash, registry FROM trials"
        " WHERE trial_id IN (SELECT value FROM json_each(?))",
        [canonical.dumps(ids)],
    ).fetchall()
    return {row[0]: (row[1], row[2]) for row in rows}


# Column order of `_trial_values`; ``raw`` is bound as the bare canonical
# record and wrapped in its versioned envelope by SQLite, so a page's
# records are never held twice in memory.
TRIAL_COLUMNS = (
    "trial_id",
    "registry",
    "brief_title",
    "official_title",
    "overall_status",
    "conditions",
    "keywords",
    "mesh_terms",
    "phases",
    "study_type",
    "sex",
    "minimum_age_years",
    "maximum_age_years",
    "healthy_volunteers",
    "eligibility_text",
    "last_update",
    "content_hash",
    "source_url",
    "flags",
    "first_seen",
    "last_fetched",
    "last_changed",
    "needs_parse",
    "status",
    "secondary_ids",
    "page_url",
    "criteria_language",
    "raw",
)
_TRIAL_ROW = "(" + ", ".join(RAW_ENVELOPE if c == "raw" else "?" for c in TRIAL_COLUMNS) + ")"
_TRIAL_UPSERT = (
    f"INSERT INTO trials ({', '.join(TRIAL_COLUMNS)}) VALUES {{rows}} ON CONFLICT(trial_id)"
    f" DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in TRIAL_COLUMNS if c != 'first_seen')}"
)
_SITE_ROW = "(" + ", ".join("?" * len(SITE_COLUMNS)) + ")"
_SITE_INSERT = f"INSERT INTO sites ({', '.join(SITE_COLUMNS)}) VALUES {{rows}}"


def _trial_values(trial: Trial, now: str, encoded: bytes, content_hash: str) -> tuple[Any, ...]:
    healthy = trial.healthy_volunteers
    return (
        trial.trial_id,
        trial.registry,
        trial.brief_title,
        trial.official_title,
        trial.overall_status,
        canonical.dumps(trial.conditions),
        canonical.dumps(trial.keywords),
        canonical.dumps(trial.mesh_terms),
        canonical.dumps(trial.phases),
        trial.study_type,
        trial.sex,
        trial.minimum_age_years,
        trial.maximum_age_years,
        None if healthy is None else int(healthy),
        trial.eligibility_text,
        trial.last_update,
        content_hash,
        trial.source_url,
        canonical.dumps(trial.flags),
        now,
        now,
        now,
        1,
        trial.status,
        canonical.dumps(trial.secondary_ids),
        trial.page_url,
        trial.criteria_language,
        encoded,
    )


def _write_changed(
    database: sqlite_utils.Database, rows: list[tuple[Any, ...]], sites: list[tuple[Any, ...]]
) -> None:
    ids = canonical.dumps([row[0] for row in rows])
    database.execute("DELETE FROM sites WHERE trial_id IN (SELECT value FROM json_each(?))", [ids])
    _insert_rows(database.conn, _TRIAL_UPSERT, _TRIAL_ROW, rows)
    _insert_rows(database.conn, _SITE_INSERT, _SITE_ROW, sites)


def _insert_rows(
    conn: sqlite3.Connection, statement: str, row_sql: str, rows: list[tuple[Any, ...]]
) -> None:
    """Many rows per INSERT, in chunks of a power of two rows.

    One statement per chunk rather than executemany's one per row: FTS5
    flushes its pending terms into a new segment at the end of every
    statement, so the trials' insert trigger made a segment (and merges)
    per study; and a step per chunk saves the per-row call overhead. Chunk
    sizes are powers of two so that only a handful of distinct statements
    ever exist: the connection's statement cache keeps each one it sees,
    and a page-sized remainder statement per page would grow memory.
    """
    if not rows:
        return
    size = _largest_chunk(conn, len(rows[0]))
    start = 0
    while start < len(rows):
        while size > len(rows) - start:
            size //= 2
        chunk = rows[start : start + size]
        conn.execute(_chunk_sql(statement, row_sql, size), list(itertools.chain(*chunk)))
        start += size


def _largest_chunk(conn: sqlite3.Connection, width: int) -> int:
    fits = min(MAX_ROWS_PER_STATEMENT, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width)
    return 1 << (max(1, fits).bit_length() - 1)


@functools.lru_cache(maxsize=64)
def _chunk_sql(statement: str, row_sql: str, rows: int) -> str:
    return statement.format(rows=", ".join([row_sql] * rows))


def get_trial(database: sqlite_utils.Database, trial_id: str) -> Trial:
    rows = list(database.query("SELECT * FROM trials WHERE trial_id = ?", [trial_id]))
    if not rows:
        raise TrialNotFound(trial_id)
    sites = database.query("SELECT * FROM sites WHERE trial_id = ? ORDER BY id", [trial_id])
    return trial_from_row(rows[0], sites)


def iter_trials(
    database: sqlite_utils.Database, statuses: Iterable[str] | None = None
) -> Iterator[Trial]:
    """Every stored registration (optionally only those with one of *statuses*), with sites.

    *statuses* are vocabulary statuses (``recruiting``) or a registry's own
    words (``RECRUITING``). For one record per study, see `db.studies.iter_studies`.
    """
    where, params = "", []
    if statuses is not None:
        wanted = sorted(statuses)
        marks = ",".join("?" * len(wanted))
        where = f" WHERE (status IN ({marks}) OR overall_status IN ({marks}))"
        params = wanted + wanted
    sites_by_trial: dict[str, list[dict[str, Any]]] = {}
    site_sql = "SELECT * FROM sites" + (
        f" WHERE trial_id IN (SELECT trial_id FROM trials{where})" if where else ""
    )
    for site in database.query(site_sql + " ORDER BY id", params):
        sites_by_trial.setdefault(site["trial_id"], []).append(site)
    for row in database.query(f"SELECT * FROM trials{where} ORDER BY trial_id", params):
        yield trial_from_row(row, sites_by_trial.get(row["trial_id"], ()))


def count_trials(database: sqlite_utils.Database) -> int:
    return int(database.execute("SELECT count(*) FROM trials").fetchone()[0])
