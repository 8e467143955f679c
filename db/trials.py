"""Reading and writing `Trial` records and their sites.

Writing a trial whose content hash is unchanged touches nothing but
`last_fetched`; a new or changed trial is (re)written with its sites and
marked `needs_parse`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from crawler import fastjson
from crawler.records import Site, Trial
from trialmatch.errors import TrialNotFound, UnknownRecordVersion

RAW_FORMAT_VERSION = 1
RAW_ENVELOPE = f"""'{{"version":{RAW_FORMAT_VERSION},"record":' || ? || '}}'"""


@dataclass
class StoreCounts:
    new: int = 0
    changed: int = 0
    unchanged: int = 0

    def add(self, other: StoreCounts) -> None:
        self.new += other.new
        self.changed += other.changed
        self.unchanged += other.unchanged


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def canonical_json(record: dict[str, Any]) -> str:
    """The form `Trial.content_hash` hashes; stored as is, so it is encoded once."""
    return fastjson.canonical_dumps(record)


def trial_to_row(
    trial: Trial, *, now: str, canonical_raw: str | None = None, content_hash: str | None = None
) -> dict[str, Any]:
    canonical = canonical_json(trial.raw) if canonical_raw is None else canonical_raw
    return {
        "trial_id": trial.trial_id,
        "registry": trial.registry,
        "brief_title": trial.brief_title,
        "official_title": trial.official_title,
        "overall_status": trial.overall_status,
        "conditions": json.dumps(list(trial.conditions)),
        "keywords": json.dumps(list(trial.keywords)),
        "mesh_terms": json.dumps(list(trial.mesh_terms)),
        "phases": json.dumps(list(trial.phases)),
        "study_type": trial.study_type,
        "sex": trial.sex,
        "minimum_age_years": trial.minimum_age_years,
        "maximum_age_years": trial.maximum_age_years,
        "healthy_volunteers": None
        if trial.healthy_volunteers is None
        else int(trial.healthy_volunteers),
        "eligibility_text": trial.eligibility_text,
        "last_update": trial.last_update,
        "content_hash": content_hash or _sha256(canonical),
        "source_url": trial.source_url,
        "flags": json.dumps(list(trial.flags)),
        "first_seen": now,
        "last_fetched": now,
        "last_changed": now,
        "needs_parse": 1,
        # Spliced rather than re-encoded: the record is already canonical JSON.
        "raw": f'{{"version":{RAW_FORMAT_VERSION},"record":{canonical}}}',
    }


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def site_to_row(trial_id: str, site: Site) -> dict[str, Any]:
    return {"trial_id": trial_id, **vars(site)}


SITE_COLUMNS = ("trial_id", *Site.__dataclass_fields__)


def _site_values(trial_id: str, site: Site) -> tuple[Any, ...]:
    # Tuples straight to executemany: a big crawl writes tens of sites per study.
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
        json.loads(row["raw"]) if row.get("raw") else {"version": RAW_FORMAT_VERSION}
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
        conditions=tuple(json.loads(row.get("conditions") or "[]")),
        keywords=tuple(json.loads(row.get("keywords") or "[]")),
        mesh_terms=tuple(json.loads(row.get("mesh_terms") or "[]")),
        phases=tuple(json.loads(row.get("phases") or "[]")),
        study_type=row.get("study_type"),
        sex=row.get("sex") or "ALL",
        minimum_age_years=row.get("minimum_age_years"),
        maximum_age_years=row.get("maximum_age_years"),
        healthy_volunteers=None if healthy is None else bool(healthy),
        eligibility_text=row.get("eligibility_text"),
        last_update=row.get("last_update"),
        sites=tuple(_site_from_row(site) for site in sites),
        flags=tuple(json.loads(row.get("flags") or "[]")),
        raw=raw_document.get("record", {}),
    )


def _site_from_row(row: dict[str, Any]) -> Site:
    return Site(**{name: row.get(name) for name in Site.__dataclass_fields__})


def store_trials(database: sqlite_utils.Database, trials: Iterable[Trial]) -> StoreCounts:
    """Upsert a batch in one transaction; unchanged records are not rewritten."""
    batch = list(trials)
    counts = StoreCounts()
    if not batch:
        return counts
    now = _now()
    known = _known_hashes(database, [trial.trial_id for trial in batch])
    changed_rows: list[dict[str, Any]] = []
    changed_sites: list[tuple[Any, ...]] = []
    for trial in batch:
        canonical = canonical_json(trial.raw)
        previous = known.get(trial.trial_id)
        content_hash = _sha256(canonical)
        if previous == content_hash:
            # Not rewritten at all: a crawl that finds nothing new writes only its run record.
            counts.unchanged += 1
            continue
        if previous is None:
            counts.new += 1
        else:
            counts.changed += 1
        row = trial_to_row(trial, now=now, canonical_raw=canonical, content_hash=content_hash)
        row["raw"] = canonical  # _write_changed's INSERT wraps it in the envelope
        changed_rows.append(row)
        changed_sites.extend(_site_values(trial.trial_id, site) for site in trial.sites)
    if changed_rows:
        # atomic() nests as a savepoint, so a caller can commit this batch
        # together with its own writes (the crawl's page checkpoint).
        with database.atomic():
            _write_changed(database, changed_rows, changed_sites)
    return counts


def known_trial_ids(database: sqlite_utils.Database, ids: Iterable[str]) -> set[str]:
    """Which of *ids* are already stored."""
    return set(_known_hashes(database, list(ids)))


def _known_hashes(database: sqlite_utils.Database, ids: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for trial_id, content_hash in database.execute(
            f"SELECT trial_id, content_hash FROM trials WHERE trial_id IN ({marks})", chunk
        ).fetchall():
            found[trial_id] = content_hash
    return found


def _write_changed(
    database: sqlite_utils.Database, rows: list[dict[str, Any]], sites: list[tuple[Any, ...]]
) -> None:
    # Plain executemany: sqlite-utils' per-value conversions cost more than
    # the rest of a crawl together, and these rows are already SQLite values.
    ids = [row["trial_id"] for row in rows]
    marks = ",".join("?" * len(ids))
    database.execute(f"DELETE FROM sites WHERE trial_id IN ({marks})", ids)
    columns = list(rows[0])
    # SQLite wraps the canonical record in its versioned envelope, so a page's
    # records are never held twice in memory.
    values = ", ".join(RAW_ENVELOPE if name == "raw" else "?" for name in columns)
    updates = ", ".join(f"{name} = excluded.{name}" for name in columns if name != "first_seen")
    database.conn.executemany(
        f"INSERT INTO trials ({', '.join(columns)}) VALUES ({values})"
        f" ON CONFLICT(trial_id) DO UPDATE SET {updates}",
        [[row[name] for name in columns] for row in rows],
    )
    if sites:
        database.conn.executemany(
            f"INSERT INTO sites ({', '.join(SITE_COLUMNS)})"
            f" VALUES ({', '.join('?' * len(SITE_COLUMNS))})",
            sites,
        )


def get_trial(database: sqlite_utils.Database, trial_id: str) -> Trial:
    rows = list(database.query("SELECT * FROM trials WHERE trial_id = ?", [trial_id]))
    if not rows:
        raise TrialNotFound(trial_id)
    sites = database.query("SELECT * FROM sites WHERE trial_id = ? ORDER BY id", [trial_id])
    return trial_from_row(rows[0], sites)


def iter_trials(
    database: sqlite_utils.Database, statuses: Iterable[str] | None = None
) -> Iterator[Trial]:
    """Every stored trial (optionally only those with one of *statuses*), with sites."""
    where, params = "", []
    if statuses is not None:
        wanted = sorted(statuses)
        where = f" WHERE overall_status IN ({','.join('?' * len(wanted))})"
        params = wanted
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
