"""The parse step: parse the eligibility text of every trial marked for it, store the criteria.

A trial whose text cannot be parsed is logged, counted and left marked (so a
later run tries again); it never aborts the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import sqlite_utils

from db import open_database
from db.criteria import count_pending, iter_pending, store_criteria
from nlp_models.parser import parse_eligibility
from nlp_models.version import PARSER_VERSION
from trialmatch.errors import CriteriaParseError, StorageError
from trialmatch.steps import StepReport

LOG = logging.getLogger(__name__)
ProgressCallback = Callable[[int, int], None]  # (done, total)


def run_parse_step(
    db_path: Path,
    *,
    reparse_all: bool = False,
    on_progress: ProgressCallback | None = None,
) -> StepReport:
    """Parse pending trials (every trial with `reparse_all`) and store their criteria."""
    report = StepReport(
        name="parse", counts={"parsed": 0, "failed": 0, "criteria": 0, "not_evaluable": 0}
    )
    database = open_database(db_path)
    try:
        total = count_pending(database, everything=reparse_all)
        for done, pending in enumerate(iter_pending(database, everything=reparse_all), start=1):
            _parse_one(database, pending.trial_id, pending.eligibility_text, report)
            if on_progress is not None:
                on_progress(done, total)
    finally:
        database.close()
    LOG.info("parse step: %s", report.counts)
    return report


def _parse_one(
    database: sqlite_utils.Database, trial_id: str, text: str, report: StepReport
) -> None:
    try:
        criteria = parse_eligibility(text)
        store_criteria(database, trial_id, criteria, PARSER_VERSION)
    except (CriteriaParseError, StorageError) as exc:
        _record_failure(trial_id, str(exc), report)
        return
    except Exception as exc:  # one bad record must not stop the run; it is kept for a re-run
        LOG.exception("unexpected failure parsing trial %s", trial_id)
        _record_failure(trial_id, f"{type(exc).__name__}: {exc}", report)
        return
    report.counts["parsed"] += 1
    report.counts["criteria"] += len(criteria)
    report.counts["not_evaluable"] += sum(1 for c in criteria if not c.evaluable)


def _record_failure(trial_id: str, message: str, report: StepReport) -> None:
    LOG.warning("trial %s not parsed: %s", trial_id, message)
    report.counts["failed"] += 1
    report.errors.append(f"{trial_id}: {message}")
