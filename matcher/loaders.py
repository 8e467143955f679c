"""Patient files to profiles: JSON list, JSON Lines, CSV and FHIR R4 Bundles.

Each entry is checked by the anonymisation guard, then validated; a bad or
refused entry becomes a `Rejection` (where, field, reason — never the
offending value) and the other entries of the file are still imported.
Pseudonyms derived from source ids (FHIR ``Patient.id``) are keyed with the
installation's secret, which the caller hands in as a `PseudonymKey`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from knowledge.icd10 import describe_code
from matcher.anonymity import check_anonymous, id_identifier_kind
from trialmatch.core.errors import IdentifierRefused, ProfileError
from trialmatch.core.patient import PSEUDONYM_PATTERN, PatientProfile
from trialmatch.core.profile_reader import profile_from_dict
from trialmatch.core.pseudonyms import PseudonymKey

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rejection:
    """One entry not imported: where it was, the field, why; no patient data."""

    where: str
    reason: str
    field: str | None = None
    patient_id: str | None = None  # the pseudonym, only when it is itself safe to show
    identifier: bool = False  # refused by the anonymisation guard

    def describe(self) -> str:
        who = f" (id {self.patient_id})" if self.patient_id else ""
        named = f"field '{self.field}': " if self.field else ""
        return f"{self.where}{who}: {named}{self.reason}"


@dataclass(frozen=True)
class BadEntry:
    """An entry that could not even be read into an object, with its id if known and the
    raw cells it came from (the guard reads them: a malformed row may still name someone)."""

    error: ProfileError
    patient_id: str | None = None
    raw: Mapping[str, Any] | None = None


@dataclass
class ImportResult:
    profiles: list[PatientProfile] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    def extend(self, other: ImportResult) -> None:
        self.profiles.extend(other.profiles)
        self.rejections.extend(other.rejections)

    @property
    def refused(self) -> list[Rejection]:
        return [item for item in self.rejections if item.identifier]


def load_files(
    paths: Iterable[Path], *, today: date | None = None, pseudonyms: PseudonymKey | None = None
) -> ImportResult:
    result = ImportResult()
    for path in paths:
        result.extend(load_file(Path(path), today=today, pseudonyms=pseudonyms))
    return result


def load_file(
    path: Path, *, today: date | None = None, pseudonyms: PseudonymKey | None = None
) -> ImportResult:
    """Every profile of one file; a file that cannot be read at all is one rejection.

    *today* is the date FHIR birth dates are turned into ages against;
    *pseudonyms* keys the pseudonyms of FHIR patients (without it a bundle is
    refused: an unkeyed hash of a record number could be recomputed).
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return _unreadable(path, f"cannot read the file ({exc.__class__.__name__})")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        from matcher.csv_loader import entries_from_csv

        return import_entries(entries_from_csv(text, str(path)))
    if suffix in (".jsonl", ".ndjson"):
        return import_entries(_entries_from_json_lines(text, str(path)))
    return _load_json_document(text, path, today, pseudonyms)


def _load_json_document(
    text: str, path: Path, today: date | None, pseudonyms: PseudonymKey | None
) -> ImportResult:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        if "\n{" in text.strip():  # several objects, one a line: JSON Lines
            return import_entries(_entries_from_json_lines(text, str(path)))
        return _unreadable(path, f"not JSON (line {exc.lineno}, column {exc.colno})")
    if isinstance(document, Mapping) and document.get("resourceType") == "Bundle":
        from matcher.fhir import profile_entry_from_bundle

        entry = profile_entry_from_bundle(document, f"{path}: bundle", pseudonyms, today)
        return import_entries([entry])
    if isinstance(document, Mapping):
        document = [document]
    if not isinstance(document, list):
        return _unreadable(path, "expected a JSON list of profiles, JSON Lines or a FHIR Bundle")
    return import_entries(
        (f"{path}: entry {index}", item) for index, item in enumerate(document, start=1)
    )


def _entries_from_json_lines(text: str, where: str) -> Iterator[tuple[str, Any]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield f"{where}:{number}", json.loads(line)
        except json.JSONDecodeError as exc:
            yield f"{where}:{number}", ProfileError(f"not JSON (column {exc.colno})")


def read_profile(data: Any, where: str = "") -> PatientProfile:
    """One input object as a profile; a condition given only by its ICD-10-CM code gets the
    code's description as its text. ProfileError names the field."""
    return profile_from_dict(data, where, describe_code=describe_code)


def import_entries(entries: Iterable[tuple[str, Any]]) -> ImportResult:
    """Guard and validate each (where, raw object or ProfileError) entry."""
    result = ImportResult()
    seen: dict[str, str] = {}
    for where, raw in entries:
        try:
            if isinstance(raw, BadEntry):
                if raw.raw is not None:
                    check_anonymous(raw.raw, where)
                raise raw.error
            if isinstance(raw, ProfileError):
                raise raw
            check_anonymous(raw, where)
            profile = read_profile(raw, where)
        except ProfileError as exc:
            result.rejections.append(_rejection(where, raw, exc))
            continue
        if profile.id in seen:
            reason = f"duplicate id, already given at {seen[profile.id]}"
            result.rejections.append(Rejection(where, reason, "id", profile.id))
            continue
        seen[profile.id] = where
        result.profiles.append(profile)
    LOG.info("read %d profiles, %d rejected", len(result.profiles), len(result.rejections))
    return result


def _rejection(where: str, raw: Any, error: ProfileError) -> Rejection:
    return Rejection(
        where=where,
        reason=error.reason,
        field=error.field,
        patient_id=_safe_id(raw, error),
        identifier=isinstance(error, IdentifierRefused),
    )


def _safe_id(raw: Any, error: ProfileError) -> str | None:
    """The entry's pseudonym when showing it reveals nothing (it is not the identifier)."""
    if isinstance(raw, BadEntry):
        raw = {"id": raw.patient_id}
    if error.field == "id" or not isinstance(raw, Mapping):
        return None
    value = raw.get("id")
    if isinstance(value, str) and PSEUDONYM_PATTERN.match(value) and not id_identifier_kind(value):
        return value
    return None


def _unreadable(path: Path, reason: str) -> ImportResult:
    return ImportResult(rejections=[Rejection(str(path), reason)])
