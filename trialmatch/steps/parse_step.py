"""The parse step: parse the eligibility text of every trial marked for it, store the criteria.

Trials whose stored criteria an older parser version wrote are marked first,
so a parser upgrade reaches them without ``--all``.

Only each study's chosen registration is parsed, and only English text: a
text in another language (`Trial.criteria_language`) is stored as one
criterion for a person to read (category ``not_evaluable``), never parsed
as if it were English, so the study is still listed with its criteria.

A trial whose text cannot be parsed is logged, counted and left marked (so a
later run tries again); it never aborts the run. Texts are parsed in batches
by a `nlp_models.batch.ParserPool`: one spaCy pass per chunk of trials rather
than per trial, on every CPU.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlite_utils

from db import open_database
from db.criteria import (
    PendingTrial,
    count_pending,
    iter_pending,
    mark_outdated,
    store_criteria,
)
from nlp_models.batch import Outcome, ParserPool, default_workers
from nlp_models.parser import parse_eligibility
from nlp_models.version import PARSER_VERSION
from trialmatch.core.criteria import Criterion
from trialmatch.core.errors import CriteriaParseError, StorageError
from trialmatch.steps import StepReport

LOG = logging.getLogger(__name__)
ProgressCallback = Callable[[int, int], None]  # (done, total)
# trials per parse_many call: enough for every worker to get several chunks,
# few enough that progress is reported and criteria are stored as it goes
_BATCH = 512


def run_parse_step(
    db_path: Path,
    *,
    reparse_all: bool = False,
    on_progress: ProgressCallback | None = None,
    workers: int | None = None,
) -> StepReport:
    """Parse pending trials (every trial with `reparse_all`) and store their criteria.

    `workers`: parser processes (default: one per CPU).
    """
    report = StepReport(
        name="parse",
        counts={
            "parsed": 0,
            "failed": 0,
            "criteria": 0,
            "not_evaluable": 0,
            "outdated": 0,
            "not_english": 0,
        },
    )
    workers = default_workers() if workers is None else workers
    with open_database(db_path) as database, ParserPool(workers) as pool:
        if not reparse_all:
            report.counts["outdated"] = mark_outdated(database, PARSER_VERSION)
        total = count_pending(database, everything=reparse_all)
        done = 0
        for batch in _batches(iter_pending(database, everything=reparse_all)):
            outcomes = _parse_batch(pool, batch)
            for pending, outcome in zip(batch, outcomes, strict=True):
                _store_one(database, pending.trial_id, outcome, report)
                done += 1
                if on_progress is not None:
                    on_progress(done, total)
    LOG.info("parse step: %s", report.counts)
    return report


def _batches(pending: Iterator[PendingTrial]) -> Iterator[list[PendingTrial]]:
    batch: list[PendingTrial] = []
    for trial in pending:
        batch.append(trial)
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _parse_batch(pool: ParserPool, batch: list[PendingTrial]) -> list[Outcome | Exception]:
    english = [pending for pending in batch if pending.in_english]
    texts = [pending.eligibility_text for pending in english]
    parsed: list[Outcome | Exception]
    try:
        parsed = list(pool.parse(texts))
    except Exception:  # a bug on one text: parse the batch one by one to isolate it
        LOG.warning("batch parse failed; parsing its %d trials one by one", len(batch))
        parsed = [_parse_alone(text) for text in texts]
    by_id: dict[str, Outcome | Exception] = dict(
        zip((pending.trial_id for pending in english), parsed, strict=True)
    )
    return [
        by_id[pending.trial_id] if pending.trial_id in by_id else for_a_person(pending)
        for pending in batch
    ]


def for_a_person(pending: PendingTrial) -> list[Criterion]:
    """A text not in English as one criterion a person reads: kept whole, never parsed."""
    text = pending.eligibility_text
    if not text.strip():
        return []
    return [
        Criterion(
            id="I1",
            kind="inclusion",
            text=text,
            start=0,
            end=len(text),
            category="not_evaluable",
            reason=f"the criteria are written in '{pending.language}', not English:"
            " not parsed; read them with the patient",
        )
    ]


def _parse_alone(text: str) -> Outcome | Exception:
    try:
        return parse_eligibility(text)
    except Exception as exc:  # kept as this trial's failure; the others go on
        LOG.exception("unexpected failure parsing one trial's text")
        return exc


def _store_one(
    database: sqlite_utils.Database,
    trial_id: str,
    outcome: Outcome | Exception,
    report: StepReport,
) -> None:
    if isinstance(outcome, CriteriaParseError):
        _record_failure(trial_id, str(outcome), report)
        return
    if isinstance(outcome, Exception):
        _record_failure(trial_id, f"{type(outcome).__name__}: {outcome}", report)
        return
    try:
        store_criteria(database, trial_id, outcome, PARSER_VERSION)
    except StorageError as exc:
        _record_failure(trial_id, str(exc), report)
        return
    except Exception as exc:  # one bad record must not stop the run; it is kept for a re-run
        LOG.exception("unexpected failure storing trial %s", trial_id)
        _record_failure(trial_id, f"{type(exc).__name__}: {exc}", report)
        return
    report.counts["parsed"] += 1
    if any(c.reason and "not English" in c.reason for c in outcome):
        report.counts["not_english"] += 1
    report.counts["criteria"] += len(outcome)
    report.counts["not_evaluable"] += sum(1 for c in outcome if not c.evaluable)


def _record_failure(trial_id: str, message: str, report: StepReport) -> None:
    LOG.warning("trial %s not parsed: %s", trial_id, message)
    report.counts["failed"] += 1
    report.errors.append(f"{trial_id}: {message}")
