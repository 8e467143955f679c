"""The match step of the nightly run: incremental matching and the referral lists.

1. Read the studies, their criteria and the profiles once (`match_inputs`).
2. Split the patients between worker processes (a stable hash of the id),
   each evaluating its share into a shard of its own (`match_worker`): the
   workers share nothing they write, and inherit what they read.
3. Merge the shards into the database in a few statements, and stream the
   referral files from them in one list order (`matcher.referrals`).

Only pairs whose trial, criteria, matcher or patient changed are evaluated
again, except listed pairs (their evidence is rendered for the lists, not
stored) and pairs whose criteria have time windows, on a new day. Pairs no
longer candidates are dropped. Memory stays flat in the number of pairs:
nothing holds them all, only the pairs of one patient and the list order.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import shutil
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import sqlite_utils

from db import matches as match_store
from db import patients as patient_store
from db.connection import open_database
from db.match_shards import ListedPair, Renderings, listed_in_order, merge_shard
from matcher.referrals import ReferralWriter
from trialmatch.core.errors import TrialmatchError, kind_and_place
from trialmatch.core.patient import PatientProfile
from trialmatch.steps import StepReport
from trialmatch.steps.match_inputs import MatchInputs, load_inputs
from trialmatch.steps.match_worker import ShardReport, match_shard, shard_of

LOG = logging.getLogger(__name__)
# below this many patients one process does it all: starting workers costs more
_PATIENTS_PER_WORKER = 200
_MAX_WORKERS = 8


def run_match_step(
    db_path: Path, out_dir: Path, *, today: date | None = None, workers: int | None = None
) -> StepReport:
    """Match every patient against the recruiting trials and write the referral lists."""
    today = today or date.today()
    report = StepReport(name="match")
    with open_database(db_path) as database:
        run_id = match_store.start_run(database, today)
        try:
            inputs, profiles = load_inputs(database, run_id, today, report)
        except Exception as exc:
            _fail(db_path, run_id, report, exc)
    scratch = Path(tempfile.mkdtemp(prefix=f".match-run-{run_id}-", dir=db_path.parent))
    try:
        folders = _evaluate(inputs, profiles, db_path, scratch, _workers(workers, profiles))
        with open_database(db_path) as database:
            _store(database, folders, profiles, report)
            _write_lists(inputs, folders, out_dir, report)
            _count_verdicts(database, report)
            match_store.finish_run(database, run_id, report.counts, "succeeded")
    except Exception as exc:
        _fail(db_path, run_id, report, exc)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return report


def _fail(db_path: Path, run_id: int, report: StepReport, exc: Exception) -> None:
    with open_database(db_path) as database:
        match_store.finish_run(database, run_id, report.counts, "failed")
    # not chained, and by kind and place only (a message may quote a patient's data), but
    # for the workers' failures, which are kinds and places already
    reason = str(exc) if isinstance(exc, WorkersFailed) else kind_and_place(exc)
    raise TrialmatchError(f"match run {run_id} failed: {reason}") from None


class WorkersFailed(TrialmatchError):
    """Worker processes failed; the message names each by number, kind and place."""


def _workers(requested: int | None, profiles: Sequence[PatientProfile]) -> int:
    cores = os.cpu_count() or 1
    wanted = requested if requested is not None else min(cores, _MAX_WORKERS)
    by_size = max(1, len(profiles) // _PATIENTS_PER_WORKER)
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    return max(1, min(wanted, by_size)) if can_fork else 1


def _evaluate(
    inputs: MatchInputs,
    profiles: Sequence[PatientProfile],
    db_path: Path,
    scratch: Path,
    workers: int,
) -> list[Path]:
    shares: list[list[PatientProfile]] = [[] for _ in range(workers)]
    for profile in profiles:
        shares[shard_of(profile.id, workers)].append(profile)
    folders = [scratch / f"shard-{number}" for number in range(workers)]
    if workers == 1:
        match_shard(inputs, db_path, shares[0], folders[0])
        return folders
    # forked workers inherit the inputs as they are: nothing is pickled or loaded twice
    context = multiprocessing.get_context("fork")
    processes = [
        context.Process(target=_work, args=(inputs, db_path, share, folder), daemon=True)
        for share, folder in zip(shares, folders, strict=True)
    ]
    # the collector would write to every inherited object's header and so copy the pages
    # the workers share; frozen, the loaded inputs stay shared
    gc.collect()
    gc.freeze()
    try:
        for process in processes:
            process.start()
    finally:
        gc.unfreeze()
    for process in processes:
        process.join()
    failed = [number for number, process in enumerate(processes) if process.exitcode != 0]
    if failed:
        problems = "; ".join(_worker_problem(folders[number]) for number in failed)
        raise WorkersFailed(f"match worker(s) {failed} failed: {problems}")
    return folders


def _work(
    inputs: MatchInputs, db_path: Path, profiles: Sequence[PatientProfile], folder: Path
) -> None:
    try:
        match_shard(inputs, db_path, profiles, folder)
    except BaseException as exc:
        # by kind and place: a traceback's message could quote a patient's facts
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "failure.txt").write_text(kind_and_place(exc), encoding="utf-8")
        LOG.error("match worker failed: %s", kind_and_place(exc))
        os._exit(1)


def _worker_problem(folder: Path) -> str:
    try:
        return (folder / "failure.txt").read_text(encoding="utf-8")
    except OSError:
        return "ended without a report"


def _store(
    database: sqlite_utils.Database,
    folders: Sequence[Path],
    profiles: Sequence[PatientProfile],
    report: StepReport,
) -> None:
    reports = [ShardReport.read(folder) for folder in folders]
    for folder in folders:
        merge_shard(database.conn, folder)
    patient_store.mark_matched(database, [profile.id for profile in profiles])
    report.counts.update(
        trials=0,
        patients=sum(r.patients for r in reports),
        candidate_pairs=sum(r.candidate_pairs for r in reports),
        evaluated=sum(r.evaluated for r in reports),
        unchanged=sum(r.unchanged for r in reports),
        dropped=sum(r.dropped for r in reports),
        failed=sum(r.failed for r in reports),
        workers=len(folders),
    )
    failures = [failure for r in reports for failure in r.failures]
    if failures:
        failed = report.counts["failed"]
        report.errors.append(f"{failed} pairs could not be evaluated (first: {failures[0]})")


def _write_lists(
    inputs: MatchInputs, folders: Sequence[Path], out_dir: Path, report: StepReport
) -> None:
    report.counts["trials"] = len(inputs.index)
    writer: ReferralWriter[ListedPair] = ReferralWriter(out_dir, inputs.titles)
    renderings = Renderings(folders)
    try:
        for pair in listed_in_order(folders):
            writer.add(pair, renderings.entry(pair))
        counts = writer.finish(renderings.fragment)
    except BaseException:
        writer.abort()
        raise
    finally:
        renderings.close()
    report.counts.update(listed=counts.listed, new=counts.new, sites=counts.sites)
    LOG.info("referral lists written to %s (%d pairs)", out_dir, counts.listed)


def _count_verdicts(database: sqlite_utils.Database, report: StepReport) -> None:
    verdicts = match_store.count_by_verdict(database)
    report.counts.update(
        eligible=verdicts.get("eligible", 0),
        possible=verdicts.get("possible", 0),
        ineligible=verdicts.get("ineligible", 0),
    )
