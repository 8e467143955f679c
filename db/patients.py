"""Storing anonymised patient profiles.

Re-importing a profile with a known id replaces it; when its content changed
it is marked `needs_match` so the next match run re-evaluates its pairs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from db.connection import rows
from trialmatch.core import canonical
from trialmatch.core.clock import utc_now
from trialmatch.core.patient import PatientProfile
from trialmatch.core.profile_reader import profile_from_stored

if TYPE_CHECKING:
    import sqlite_utils

    from db.connection import Readable


@dataclass
class PatientStoreCounts:
    new: int = 0
    changed: int = 0
    unchanged: int = 0


def patient_to_row(profile: PatientProfile, *, now: str, source: str) -> dict[str, Any]:
    return {
        "patient_id": profile.id,
        "profile": canonical.dumps(profile.to_dict()),
        "content_hash": profile.content_hash,
        "needs_match": 1,
        "imported_at": now,
        "source": source,
    }


def patient_from_row(row: dict[str, Any]) -> PatientProfile:
    return profile_from_stored(canonical.loads(row["profile"]))


def store_patients(
    database: sqlite_utils.Database, profiles: Iterable[PatientProfile], source: str = ""
) -> PatientStoreCounts:
    """Upsert profiles in one transaction, each marked for re-matching."""
    batch = list(profiles)
    counts = PatientStoreCounts()
    known = _known_hashes(database, [profile.id for profile in batch])
    now = utc_now()
    rows = []
    for profile in batch:
        previous = known.get(profile.id)
        # an unchanged re-import is still rewritten, hence marked for re-matching
        counts.unchanged += previous == profile.content_hash
        counts.new += previous is None
        counts.changed += previous not in (None, profile.content_hash)
        rows.append(patient_to_row(profile, now=now, source=source))
    if rows:
        with database.conn:
            database.table("patients").upsert_all(rows, pk="patient_id")
    return counts


def _known_hashes(database: sqlite_utils.Database, ids: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT patient_id, content_hash FROM patients WHERE patient_id IN ({marks})"
        found.update(dict(database.execute(sql, chunk).fetchall()))
    return found


def iter_patients(database: sqlite_utils.Database) -> Iterator[PatientProfile]:
    for row in database.query("SELECT * FROM patients ORDER BY patient_id"):
        yield patient_from_row(row)


def count_patients(database: sqlite_utils.Database) -> int:
    return int(database.execute("SELECT count(*) FROM patients").fetchone()[0])


def patients_needing_match(database: sqlite_utils.Database) -> set[str]:
    rows = database.execute("SELECT patient_id FROM patients WHERE needs_match = 1").fetchall()
    return {row[0] for row in rows}


def mark_matched(database: sqlite_utils.Database, patient_ids: Iterable[str]) -> None:
    ids = list(patient_ids)
    with database.conn:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            database.execute(
                f"UPDATE patients SET needs_match = 0 WHERE patient_id IN ({marks})", chunk
            )


def get_patient(database: Readable, patient_id: str) -> PatientProfile | None:
    """One stored profile, or None."""
    found = rows(database, "SELECT profile FROM patients WHERE patient_id = ?", [patient_id])
    return patient_from_row(found[0]) if found else None
