"""Studies: registrations of one study linked through their registry ids.

A registration's link keys are its own number and the other registries'
numbers it names (`trialmatch.core.registry_ids.link_key`: NCT, EudraCT,
EU CT, ISRCTN, ACTRN, UTN, WHO secondary ids …). Registrations sharing a
key are one study; `link_registrations` recomputes the studies of the
registrations just written, and of those linked to them, on every write.

For each study:

- its id is the smallest registration id of the study (stable while the
  study keeps its registrations);
- the *chosen* registration, whose criteria are parsed and matched, is the
  most recently updated one with English eligibility text (then any with
  text, then any); a registration from its own registry goes before a copy
  of it at the same date;
- its status is that of its most recently updated registration that states
  one (``unknown`` only when none does); ``conflicting`` marks registrations
  that disagree, so the lists can show it.

`iter_studies` yields one `Trial` per study: the chosen registration's
record, with every registration (id, page, status, registry's word) in
``registrations``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from db.trials import trial_from_row
from trialmatch.core import canonical
from trialmatch.core.registry_ids import issuing_registry, link_keys, registry_page
from trialmatch.core.trial import Registration, Site, Trial, study_status

if TYPE_CHECKING:
    import sqlite_utils

log = logging.getLogger(__name__)

# A key shared by more registrations than this names no single study (a
# sponsor's programme number typed into every trial, say): it links nothing.
MAX_REGISTRATIONS_PER_KEY = 64


@dataclass(frozen=True)
class _Member:
    trial_id: str
    registry: str
    overall_status: str | None
    last_update: str | None
    criteria_language: str | None
    has_text: bool

    @property
    def is_original(self) -> bool:
        """Whether this record came from the registry that issued its number."""
        return issuing_registry(self.trial_id) in (None, self.registry)


def link_registrations(database: sqlite_utils.Database, trial_ids: Iterable[str]) -> None:
    """Refresh the link keys of *trial_ids* and recompute every study they touch."""
    changed = list(dict.fromkeys(trial_ids))
    if not changed:
        return
    with database.atomic():
        _write_keys(database, changed)
        members = _reachable(database, changed)
        _write_studies(database, _components(database, members))


def _write_keys(database: sqlite_utils.Database, trial_ids: list[str]) -> None:
    ids = canonical.dumps(trial_ids)
    database.execute(
        "DELETE FROM trial_links WHERE trial_id IN (SELECT value FROM json_each(?))", [ids]
    )
    rows = database.execute(
        "SELECT trial_id, secondary_ids FROM trials"
        " WHERE trial_id IN (SELECT value FROM json_each(?))",
        [ids],
    ).fetchall()
    links: list[tuple[str, str]] = []
    for trial_id, secondary in rows:
        keys = link_keys([trial_id, *canonical.loads(secondary or "[]")]) or {f"id:{trial_id}"}
        links.extend((trial_id, key) for key in sorted(keys))
    database.conn.executemany("INSERT OR IGNORE INTO trial_links VALUES (?, ?)", links)


def _reachable(database: sqlite_utils.Database, start: list[str]) -> set[str]:
    """The registrations linked to *start*, and those of the studies they were in."""
    previous_studies = database.execute(
        "SELECT DISTINCT study_id FROM study_registrations"
        " WHERE trial_id IN (SELECT value FROM json_each(?))",
        [canonical.dumps(start)],
    ).fetchall()
    seen = set(start)
    if previous_studies:
        seen.update(
            row[0]
            for row in database.execute(
                "SELECT trial_id FROM study_registrations"
                " WHERE study_id IN (SELECT value FROM json_each(?))",
                [canonical.dumps([row[0] for row in previous_studies])],
            ).fetchall()
        )
    frontier = set(seen)
    while frontier:
        rows = database.execute(
            "SELECT link_key, trial_id FROM trial_links WHERE link_key IN"
            " (SELECT link_key FROM trial_links"
            " WHERE trial_id IN (SELECT value FROM json_each(?)))",
            [canonical.dumps(sorted(frontier))],
        ).fetchall()
        by_key: dict[str, list[str]] = {}
        for key, trial_id in rows:
            by_key.setdefault(key, []).append(trial_id)
        linked = {
            trial_id
            for members in by_key.values()
            if len(members) <= MAX_REGISTRATIONS_PER_KEY
            for trial_id in members
        }
        frontier = linked - seen
        seen |= frontier
    return seen


def _components(database: sqlite_utils.Database, trial_ids: set[str]) -> list[list[str]]:
    """Split *trial_ids* into studies: union-find over the keys they share."""
    parent = {trial_id: trial_id for trial_id in trial_ids}

    def root(item: str) -> str:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    rows = database.execute(
        "SELECT link_key, trial_id FROM trial_links"
        " WHERE trial_id IN (SELECT value FROM json_each(?)) ORDER BY link_key",
        [canonical.dumps(sorted(trial_ids))],
    ).fetchall()
    by_key: dict[str, list[str]] = {}
    for key, trial_id in rows:
        by_key.setdefault(key, []).append(trial_id)
    for key, members in by_key.items():
        if len(members) > MAX_REGISTRATIONS_PER_KEY:
            log.warning("link key %s names %d registrations: not linked", key, len(members))
            continue
        first = root(members[0])
        for other in members[1:]:
            parent[root(other)] = first
    groups: dict[str, list[str]] = {}
    for trial_id in sorted(trial_ids):
        groups.setdefault(root(trial_id), []).append(trial_id)
    return list(groups.values())


def _write_studies(database: sqlite_utils.Database, components: list[list[str]]) -> None:
    """Write each component as one study: a few statements for all of them, not per study."""
    all_ids = [trial_id for component in components for trial_id in component]
    members = {member.trial_id: member for member in _members(database, all_ids)}
    old = {
        row[0]: row[1]
        for row in database.execute(
            "SELECT trial_id, study_id FROM study_registrations"
            " WHERE trial_id IN (SELECT value FROM json_each(?))",
            [canonical.dumps(all_ids)],
        ).fetchall()
    }
    trial_rows: list[tuple[str, str, int]] = []
    study_rows: list[tuple[str, str, str, str, int, int]] = []
    for component in components:
        found = [members[trial_id] for trial_id in component if trial_id in members]
        if not found:
            continue
        study_id = min(member.trial_id for member in found)
        chosen = choose_registration(found)
        status_member = _status_member(found)
        statuses = {study_status(m.overall_status) for m in found} - {"unknown"}
        trial_rows.extend((m.trial_id, study_id, int(m.trial_id == chosen.trial_id)) for m in found)
        study_rows.append(
            (
                study_id,
                chosen.trial_id,
                study_status(status_member.overall_status),
                status_member.trial_id,
                len(found),
                int(len(statuses) > 1),
            )
        )
    database.conn.executemany(
        "INSERT INTO study_registrations (trial_id, study_id, chosen) VALUES (?, ?, ?)"
        " ON CONFLICT(trial_id) DO UPDATE SET study_id = excluded.study_id,"
        " chosen = excluded.chosen",
        trial_rows,
    )
    database.conn.executemany(
        "INSERT INTO studies (study_id, chosen_trial_id, status, status_trial_id, registrations,"
        " conflicting) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(study_id) DO UPDATE SET"
        " chosen_trial_id = excluded.chosen_trial_id, status = excluded.status,"
        " status_trial_id = excluded.status_trial_id, registrations = excluded.registrations,"
        " conflicting = excluded.conflicting",
        study_rows,
    )
    _drop_emptied_studies(
        database, {sid for sid in old.values() if sid} - {r[0] for r in study_rows}
    )


def _drop_emptied_studies(database: sqlite_utils.Database, study_ids: set[str]) -> None:
    """Studies whose registrations all moved to another study are no more."""
    if not study_ids:
        return
    ids = canonical.dumps(sorted(study_ids))
    still = {
        row[0]
        for row in database.execute(
            "SELECT DISTINCT study_id FROM study_registrations"
            " WHERE study_id IN (SELECT value FROM json_each(?))",
            [ids],
        ).fetchall()
    }
    gone = sorted(study_ids - still)
    if gone:
        database.execute(
            "DELETE FROM studies WHERE study_id IN (SELECT value FROM json_each(?))",
            [canonical.dumps(gone)],
        )


def _members(database: sqlite_utils.Database, trial_ids: list[str]) -> list[_Member]:
    rows = database.execute(
        "SELECT trial_id, registry, overall_status, last_update, criteria_language,"
        " length(coalesce(eligibility_text, '')) > 0 FROM trials"
        " WHERE trial_id IN (SELECT value FROM json_each(?))",
        [canonical.dumps(trial_ids)],
    ).fetchall()
    return [_Member(row[0], row[1], row[2], row[3], row[4], bool(row[5])) for row in rows]


def choose_registration(members: list[_Member]) -> _Member:
    """The registration whose criteria stand for the study (see the module doc)."""

    def rank(member: _Member) -> tuple[Any, ...]:
        english = member.has_text and member.criteria_language in (None, "en")
        return (english, member.has_text, member.last_update or "", member.is_original)

    best = max(rank(member) for member in members)
    return min((m for m in members if rank(m) == best), key=lambda m: m.trial_id)


def _status_member(members: list[_Member]) -> _Member:
    def rank(member: _Member) -> tuple[Any, ...]:
        says = study_status(member.overall_status) != "unknown"
        return (says, member.last_update or "", member.is_original)

    best = max(rank(member) for member in members)
    return min((m for m in members if rank(m) == best), key=lambda m: m.trial_id)


# --- reading ------------------------------------------------------------------------------


def iter_studies(
    database: sqlite_utils.Database, statuses: Iterable[str] | None = None
) -> Iterator[Trial]:
    """One `Trial` per study (optionally only studies with one of the vocabulary *statuses*).

    The record is the chosen registration's (its id, criteria text, ages,
    sex, conditions), with the sites of every registration, ``study_id``,
    ``overall_status`` the word of the registration that states the study's
    status, and ``registrations``: every registration's registry, id, page
    link, status and registry word. A study whose criteria are not in English
    comes with ``eligibility_text`` None (its text is stored with its
    criteria for a person to read, never parsed as English).
    """
    where, params = "", []
    if statuses is not None:
        wanted = sorted(statuses)
        where = f" WHERE s.status IN ({','.join('?' * len(wanted))})"
        params = wanted
    studies = database.execute(
        "SELECT s.study_id, s.chosen_trial_id, s.status_trial_id FROM studies AS s"
        f"{where} ORDER BY s.study_id",
        params,
    ).fetchall()
    for batch in _batches(studies, 500):
        yield from _study_records(database, batch)


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _study_records(
    database: sqlite_utils.Database, studies: list[tuple[str, str, str]]
) -> Iterator[Trial]:
    study_ids = canonical.dumps([study[0] for study in studies])
    members: dict[str, list[dict[str, Any]]] = {}
    for row in database.query(
        "SELECT r.study_id, t.trial_id, t.registry, t.overall_status, t.last_update,"
        " t.criteria_language, t.page_url, t.content_hash, r.chosen"
        " FROM study_registrations AS r JOIN trials AS t ON t.trial_id = r.trial_id"
        " WHERE r.study_id IN (SELECT value FROM json_each(?)) ORDER BY t.trial_id",
        [study_ids],
    ):
        members.setdefault(row["study_id"], []).append(row)
    sites: dict[str, list[dict[str, Any]]] = {}
    for row in database.query(
        "SELECT sites.*, r.study_id AS study_id FROM sites"
        " JOIN study_registrations AS r ON r.trial_id = sites.trial_id"
        " WHERE r.study_id IN (SELECT value FROM json_each(?))"
        " ORDER BY r.chosen DESC, sites.id",
        [study_ids],
    ):
        sites.setdefault(row["study_id"], []).append(row)
    chosen_rows = {
        row["trial_id"]: row
        for row in database.query(
            "SELECT * FROM trials WHERE trial_id IN (SELECT value FROM json_each(?))",
            [canonical.dumps([study[1] for study in studies])],
        )
    }
    for study_id, chosen_id, status_id in studies:
        chosen = chosen_rows.get(chosen_id)
        if chosen is None:
            continue
        yield _study_record(
            chosen, study_id, status_id, members.get(study_id, []), sites.get(study_id, [])
        )


def _study_record(
    row: dict[str, Any],
    study_id: str,
    status_id: str,
    members: list[dict[str, Any]],
    site_rows: list[dict[str, Any]],
) -> Trial:
    trial = trial_from_row(row)
    registrations = tuple(_registration(member) for member in members)
    status_word = next(
        (member["overall_status"] for member in members if member["trial_id"] == status_id),
        trial.overall_status,
    )
    site_list = [
        Site(
            site["facility"], site["city"], site["state"], site["zip"], site["country"],
            site["status"], site["latitude"], site["longitude"],
        )
        for site in site_rows
    ]  # fmt: skip
    return dataclasses.replace(
        trial,
        overall_status=status_word,
        eligibility_text=trial.eligibility_text if trial.criteria_in_english else None,
        sites=tuple(dict.fromkeys(site_list)),
        study_id=study_id,
        registrations=registrations,
    )


def _registration(member: dict[str, Any]) -> Registration:
    registry_id = member["trial_id"]
    return Registration(
        registry=issuing_registry(registry_id) or member["registry"],
        registry_id=registry_id,
        url=member["page_url"] or registry_page(registry_id) or "",
        registry_status=member["overall_status"],
        last_update=member["last_update"],
        criteria_language=member["criteria_language"],
        source=member["registry"],
        chosen=bool(member["chosen"]),
        content_hash=member["content_hash"],
    )


def study_of(database: sqlite_utils.Database, trial_id: str) -> Trial | None:
    """The study record of the study *trial_id* is registered in, if stored."""
    row = database.execute(
        "SELECT study_id FROM study_registrations WHERE trial_id = ?", [trial_id]
    ).fetchone()
    if row is None or row[0] is None:
        return None
    study = database.execute(
        "SELECT study_id, chosen_trial_id, status_trial_id FROM studies WHERE study_id = ?",
        [row[0]],
    ).fetchone()
    if study is None:
        return None
    found = list(_study_records(database, [tuple(study)]))
    return found[0] if found else None


def count_studies(database: sqlite_utils.Database) -> dict[str, int]:
    """How many studies each registry has a registration in (a study counts in each)."""
    rows = database.execute(
        "SELECT t.registry, count(DISTINCT r.study_id) FROM trials AS t"
        " JOIN study_registrations AS r ON r.trial_id = t.trial_id"
        " GROUP BY t.registry ORDER BY t.registry"
    ).fetchall()
    return {str(registry): int(count) for registry, count in rows}
