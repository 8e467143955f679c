"""Importing saved pages, API responses and bulk downloads through the registry sources.

`import_files` walks files, folders (recursively, in name order) and zip
archives (a ClinicalTrials.gov bulk download is a zip of one JSON file per
study), hands each file to the source's streaming reader, and stores the
records in batches, so memory stays flat however large the export. A
record that does not parse is reported with its file, position and reason
and the rest go on; a file the source does not read is refused whole, with
what it looks like. Each import is recorded as a run (registry
``"<name> import"``), its refusals in ``crawl_errors``.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO

import sqlite_utils

from crawler.language import with_criteria_language
from crawler.sources import Source, all_sources
from crawler.sources.fields import excerpt
from crawler.sources.xml_records import peek_head, root_name
from db import runs
from db.trials import StoreCounts, prepare_trials, store_prepared
from trialmatch.core.errors import SourceParseError
from trialmatch.core.runs import CrawlRun, CrawlStatus, PageCounts
from trialmatch.core.trial import Trial

log = logging.getLogger(__name__)
BATCH = 500


@dataclass
class ImportReport:
    run: CrawlRun | None = None
    files: int = 0
    records: int = 0
    stored: StoreCounts = field(default_factory=StoreCounts)
    refused: list[SourceParseError] = field(default_factory=list)

    @property
    def refused_any(self) -> bool:
        return bool(self.refused)


@dataclass(frozen=True)
class _Input:
    where: str
    name: str
    open: Callable[[], BinaryIO]


ProgressCallback = Callable[[ImportReport], None]


def import_files(
    database: sqlite_utils.Database,
    source: Source,
    paths: Iterable[Path],
    *,
    on_progress: ProgressCallback | None = None,
    batch_size: int = BATCH,
) -> ImportReport:
    """Read every record of *paths* with *source* and store it; see the module doc."""
    paths = list(paths)
    report = ImportReport()
    report.run = runs.start_crawl_run(
        database,
        registry=f"{source.NAME} import",
        mode="import",
        query={"paths": ",".join(str(path) for path in paths)},
        base_url="",
    )
    batch: list[Trial] = []
    for item in _inputs(paths, source.NAME, report):
        report.files += 1
        for outcome in _read(source, item):
            if isinstance(outcome, SourceParseError):
                _refuse(database, report, outcome)
                continue
            report.records += 1
            batch.append(with_criteria_language(outcome))
            if len(batch) >= batch_size:
                _store(database, report, batch)
                batch = []
                if on_progress is not None:
                    on_progress(report)
    _store(database, report, batch)
    status: CrawlStatus = "failed" if report.refused and not report.records else "succeeded"
    message = f"{len(report.refused)} refused" if report.refused else None
    report.run = runs.finish_crawl_run(database, report.run.id, status=status, message=message)
    if on_progress is not None:
        on_progress(report)
    return report


def _inputs(paths: list[Path], registry: str, report: ImportReport) -> Iterator[_Input]:
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            for file in files:
                yield from _file_inputs(file, registry, report)
        elif path.is_file():
            yield from _file_inputs(path, registry, report)
        else:
            report.refused.append(
                SourceParseError("no such file or folder", registry=registry, url=str(path))
            )


def _file_inputs(path: Path, registry: str, report: ImportReport) -> Iterator[_Input]:
    if not zipfile.is_zipfile(path) and path.suffix.casefold() != ".zip":
        yield _Input(str(path), path.name, lambda: path.open("rb"))
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        report.refused.append(
            SourceParseError(
                f"not a readable zip archive (truncated or damaged): {exc}",
                registry=registry,
                url=str(path),
            )
        )
        return
    with archive:
        for info in archive.infolist():
            if info.is_dir() or Path(info.filename).name.startswith("."):
                continue
            yield _Input(
                f"{path}!{info.filename}",
                Path(info.filename).name,
                lambda info=info: _buffered(archive.open(info)),  # type: ignore[misc]
            )


def _buffered(member: IO[bytes]) -> BinaryIO:
    # a zip member is read through a buffer, so a reader can peek at its head
    return io.BufferedReader(member)  # type: ignore[type-var]


def _read(source: Source, item: _Input) -> Iterator[Trial | SourceParseError]:
    try:
        with item.open() as stream:
            head = peek_head(stream)
            if not head.strip():
                yield SourceParseError("an empty file", registry=source.NAME, url=item.where)
                return
            if not source.recognises(head, item.name):
                yield SourceParseError(
                    f"not a file the {source.NAME} source reads: {describe_file(head, item.name)}",
                    registry=source.NAME,
                    url=item.where,
                    excerpt=excerpt(head),
                )
                return
            yield from source.read_records(stream, item.where)
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        # a zip member cut short, a file that vanished: this file only
        yield SourceParseError(
            f"the file could not be read to its end: {exc}", registry=source.NAME, url=item.where
        )


def _refuse(database: sqlite_utils.Database, report: ImportReport, error: SourceParseError) -> None:
    log.warning("refused: %s", error)
    report.refused.append(error)
    assert report.run is not None
    runs.record_crawl_error(
        database,
        report.run.id,
        url=error.url,
        error=str(error),
        excerpt=error.excerpt,
    )


def _store(database: sqlite_utils.Database, report: ImportReport, batch: list[Trial]) -> None:
    if not batch:
        return
    assert report.run is not None
    with database.atomic():
        stored = store_prepared(database, prepare_trials(batch))
        runs.checkpoint_page(
            database,
            report.run.id,
            cursor=None,
            counts=PageCounts(stored.new, stored.changed, stored.unchanged, 0, stored.shadowed),
        )
    report.stored.add(stored)


# What a file no source reads looks like, so a refusal says what it is.
_FOREIGN_MARKERS: tuple[tuple[bytes, str], ...] = (
    (
        b"<clinical_study",
        "legacy ClinicalTrials.gov XML (<clinical_study>), retired; use API v2 JSON",
    ),
    (b"<rss", "an RSS feed: titles and links only, no eligibility criteria"),
    (b"Invalid URL Path", "a ClinicalTrials.gov error page ('Invalid URL Path'): no study in it"),
    (b"chictr", "a ChiCTR web page; no ChiCTR source: its records come through WHO ICTRP"),
    (
        b"jrct",
        "a jRCT web page; Japanese registries' pages are not read: their records come"
        " through WHO ICTRP (JPRN)",
    ),
    (
        b"UMIN",
        "a UMIN-CTR web page; Japanese registries' pages are not read: their records come"
        " through WHO ICTRP (JPRN)",
    ),
    (b'"$schema"', "a JSON Schema, not a trial record"),
    (b'"drksId"', "a DRKS record; no DRKS source: its records come through WHO ICTRP"),
)


def describe_file(head: bytes, name: str) -> str:
    """What a file beginning with *head* looks like: a registry's format, or a known foreign one."""
    for source_name, source in sorted(all_sources().items()):
        if source.recognises(head, name):
            return f"it looks like a {source_name} file (import it with --registry {source_name})"
    folded = head.lower()
    for marker, description in _FOREIGN_MARKERS:
        if marker.lower() in folded:
            return description
    root = root_name(head)
    if root is not None:
        return f"an XML or HTML document <{root}> of no known registry format"
    return f"no known registry format (it begins {excerpt(head)[:60]!r})"
