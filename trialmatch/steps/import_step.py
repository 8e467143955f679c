"""The import step: saved registry files into the database through a registry's source."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from crawler.importer import ImportReport, import_files
from crawler.sources import get_source
from db import open_database
from db.locks import exclusive_lock
from trialmatch.core.settings import Settings
from trialmatch.progress import progress_bar
from trialmatch.steps import StepReport


def run_import(
    settings: Settings, registry: str, paths: Sequence[Path], *, quiet: bool = False
) -> ImportReport:
    """Import *paths* with the *registry* source; `ConfigError` for an unknown registry."""
    source = get_source(registry)
    with (
        exclusive_lock(settings.db, "crawl"),
        _progress(quiet, registry) as on_progress,
        open_database(settings.db) as database,
    ):
        return import_files(database, source, paths, on_progress=on_progress)


def report_of(report: ImportReport, registry: str) -> StepReport:
    counts = {
        "files": report.files,
        "records": report.records,
        "new": report.stored.new,
        "changed": report.stored.changed,
        "unchanged": report.stored.unchanged,
        "shadowed": report.stored.shadowed,
        "refused": len(report.refused),
    }
    return StepReport(f"import {registry}", counts, [str(error) for error in report.refused])


@contextmanager
def _progress(quiet: bool, registry: str) -> Iterator[Callable[[ImportReport], None] | None]:
    with progress_bar(f"importing {registry} records", quiet=quiet, keep=True) as report:
        if report is None:
            yield None
            return

        def on_progress(done: ImportReport) -> None:
            report(done.records, None, f"records, {done.files} files, {len(done.refused)} refused")

        yield on_progress
