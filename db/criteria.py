"""Reading and writing parsed criteria; rows never leave this module.

The trials table (``db.schema_trials``) marks trials to (re-)parse with
``needs_parse = 1``; `store_criteria` writes a trial's criteria document and
clears the mark in one transaction. Only a study's chosen registration is
parsed (`db.studies`): the other registrations of the study wait, marked,
until one of them is chosen.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from trialmatch.core import canonical
from trialmatch.core.clock import utc_now
from trialmatch.core.criteria import (
    Criterion,
    criteria_from_document,
    criteria_to_document,
    stored_criteria_version,
)
from trialmatch.core.errors import StorageError, TrialNotFound, UnknownRecordVersion

if TYPE_CHECKING:
    import sqlite_utils


# A registration not (yet) linked into a study stands alone, so it is its study's chosen one.
CHOSEN = (
    "coalesce((SELECT chosen FROM study_registrations AS r"
    " WHERE r.trial_id = trials.trial_id), 1) = 1"
)


@dataclass(frozen=True)
class PendingTrial:
    trial_id: str
    eligibility_text: str
    # ISO 639-1 code of the text's language when identified; None: too short to tell
    language: str | None = None

    @property
    def in_english(self) -> bool:
        return self.language in (None, "en")


def iter_pending(
    database: sqlite_utils.Database, *, everything: bool = False
) -> Iterator[PendingTrial]:
    """Chosen registrations marked for parsing (or every chosen one), in id order."""
    where = f"WHERE {CHOSEN}" if everything else f"WHERE needs_parse = 1 AND {CHOSEN}"
    sql = (
        f"SELECT trial_id, eligibility_text, criteria_language FROM trials {where}"
        " ORDER BY trial_id"
    )
    try:
        rows = database.execute(sql).fetchall()
    except sqlite3.Error as exc:
        raise StorageError(f"cannot read trials to parse: {exc}") from exc
    for trial_id, text, language in rows:
        yield PendingTrial(str(trial_id), text or "", language)


def mark_outdated(database: sqlite_utils.Database, parser_version: str) -> int:
    """Mark for parsing every trial whose stored criteria another parser version wrote.

    A parser upgrade (a rule fixed, a model retrained) then reaches the trials
    already parsed on the next run, not only those the registry changed.
    """
    sql = (
        "UPDATE trials SET needs_parse = 1 WHERE needs_parse = 0 AND trial_id IN "
        "(SELECT trial_id FROM criteria WHERE parser_version IS NOT ?)"
    )
    try:
        with database.conn:
            return database.execute(sql, [parser_version]).rowcount
    except sqlite3.Error as exc:
        raise StorageError(f"cannot mark outdated criteria for parsing: {exc}") from exc


def count_pending(database: sqlite_utils.Database, *, everything: bool = False) -> int:
    where = f"WHERE {CHOSEN}" if everything else f"WHERE needs_parse = 1 AND {CHOSEN}"
    return int(database.execute(f"SELECT count(*) FROM trials {where}").fetchone()[0])


def criteria_to_row(
    trial_id: str, criteria: list[Criterion], parser_version: str, *, now: str
) -> dict[str, object]:
    evaluable = sum(1 for criterion in criteria if criterion.evaluable)
    return {
        "trial_id": trial_id,
        "parser_version": parser_version,
        "parsed_at": now,
        # canonical, so the stored text is what `criteria_version` hashes
        "document": canonical.canonical_dumps(criteria_to_document(criteria, parser_version)),
        "criteria_count": len(criteria),
        "evaluable_count": evaluable,
        "not_evaluable_count": len(criteria) - evaluable,
    }


def store_criteria(
    database: sqlite_utils.Database,
    trial_id: str,
    criteria: list[Criterion],
    parser_version: str,
) -> None:
    """Write the trial's criteria and clear its parse mark, in one transaction."""
    row = criteria_to_row(trial_id, criteria, parser_version, now=utc_now())
    try:
        with database.conn:
            database.table("criteria").upsert(row, pk="trial_id")
            database.execute("UPDATE trials SET needs_parse = 0 WHERE trial_id = ?", [trial_id])
    except sqlite3.Error as exc:
        raise StorageError(f"cannot store criteria of trial {trial_id!r}: {exc}") from exc


def load_criteria(database: sqlite_utils.Database, trial_id: str) -> list[Criterion]:
    """The stored criteria of a trial; TrialNotFound when it has none."""
    rows = list(database.query("SELECT document FROM criteria WHERE trial_id = ?", [trial_id]))
    if not rows:
        raise TrialNotFound(trial_id)
    return criteria_from_row(rows[0])


def criteria_from_row(row: dict[str, object], *, entities: bool = True) -> list[Criterion]:
    try:
        document = canonical.loads(str(row["document"]))
    except json.JSONDecodeError as exc:
        raise UnknownRecordVersion(f"criteria document is not JSON: {exc}") from exc
    return criteria_from_document(document, entities=entities)


@dataclass(frozen=True)
class StoredCriteria:
    """A trial's criteria document as stored, and a version that names it."""

    parser_version: str
    document: str

    @property
    def version(self) -> str:
        # the stored text is canonical JSON: hashed as is, not rebuilt from records
        return stored_criteria_version(self.parser_version, self.document)

    def criteria(self, *, entities: bool = True) -> list[Criterion]:
        return criteria_from_row({"document": self.document}, entities=entities)


def stored_criteria_by_trial(
    database: sqlite_utils.Database, trial_ids: list[str]
) -> dict[str, StoredCriteria]:
    """The stored criteria of the given trials, read in one query."""
    rows = database.execute(
        "SELECT trial_id, parser_version, document FROM criteria "
        "WHERE trial_id IN (SELECT value FROM json_each(?))",
        [canonical.dumps(trial_ids)],
    ).fetchall()
    return {
        str(trial_id): StoredCriteria(str(version), str(doc)) for trial_id, version, doc in rows
    }


def parser_version_of(database: sqlite_utils.Database, trial_id: str) -> str | None:
    rows = list(
        database.query("SELECT parser_version FROM criteria WHERE trial_id = ?", [trial_id])
    )
    return None if not rows else str(rows[0]["parser_version"])
