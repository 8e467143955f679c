"""One worker of a match run: its share of the patients, evaluated and rendered into a shard.

For each patient: the stored pairs are read, the candidates retrieved, and
each candidate pair is evaluated unless it was ineligible and nothing it
depends on changed (trial, criteria, matcher, profile, and the date for
criteria with time windows). A listed pair is evaluated on every run even when
unchanged, because its evidence is rendered, not stored; its row is written
only when something about it changed. Stored pairs that are no longer
candidates are dropped. Patients go to workers by a stable hash of their id.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from db.connection import BUSY_TIMEOUT_SECONDS
from db.match_shards import ShardWriter
from db.matches import EvaluatedAgainst, StoredPair, listed_since, pair_row, stored_pairs
from matcher.engine import Engine, EngineCounts, PairOutcome
from matcher.referrals import checklist_text, entry_body, html_fragment
from trialmatch.core.patient import PatientProfile
from trialmatch.core.trial import Trial
from trialmatch.steps.match_inputs import MatchInputs

LOG = logging.getLogger(__name__)
REPORT_FILE = "report.json"


@dataclass
class ShardReport:
    patients: int = 0
    candidate_pairs: int = 0
    evaluated: int = 0  # pairs whose stored row changed
    unchanged: int = 0  # pairs whose stored row still holds (listed ones rendered again)
    dropped: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)  # by kind and position, never by fact

    def write(self, folder: Path) -> None:
        (folder / REPORT_FILE).write_text(json.dumps(asdict(self)), encoding="utf-8")

    @classmethod
    def read(cls, folder: Path) -> ShardReport:
        return cls(**json.loads((folder / REPORT_FILE).read_text(encoding="utf-8")))


def shard_of(patient_id: str, shards: int) -> int:
    """The worker a patient goes to: stable across runs and processes."""
    return zlib.crc32(patient_id.encode()) % shards


def match_shard(
    inputs: MatchInputs, db_path: Path, profiles: Sequence[PatientProfile], folder: Path
) -> ShardReport:
    """Evaluate *profiles* and write the shard in *folder*; the report is written there too."""
    report = ShardReport()
    connection = sqlite3.connect(
        f"{db_path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_SECONDS
    )
    writer = ShardWriter(folder)
    counts = EngineCounts()
    engine = Engine(inputs.index, inputs.criteria, inputs.today, counts=counts)
    try:
        for profile in profiles:
            _match_patient(inputs, engine, connection, writer, profile, report)
    finally:
        connection.close()
        writer.close()
    report.patients = counts.patients
    report.candidate_pairs = counts.candidate_pairs
    report.failed = counts.failed
    report.failures = [failure.describe() for failure in counts.failures[:20]]
    report.write(folder)
    return report


def _match_patient(
    inputs: MatchInputs,
    engine: Engine,
    connection: sqlite3.Connection,
    writer: ShardWriter,
    profile: PatientProfile,
    report: ShardReport,
) -> None:
    stored = stored_pairs(connection, profile.id)
    renew = profile.id in inputs.needing
    evaluated_on = inputs.today.isoformat()
    patient_hash = profile.content_hash

    def against(trial: Trial) -> EvaluatedAgainst:
        trial_id = trial.trial_id
        return EvaluatedAgainst(
            inputs.trial_hashes[trial_id], inputs.versions[trial_id], patient_hash, evaluated_on
        )

    def holds(earlier: StoredPair | None, trial: Trial) -> bool:
        if renew or earlier is None or not earlier.against.same_inputs(against(trial)):
            return False
        return trial.trial_id not in inputs.dated or earlier.against.evaluated_on == evaluated_on

    def reuse(_profile: PatientProfile, trial: Trial) -> bool:
        earlier = stored.get(trial.trial_id)
        return earlier is not None and earlier.verdict == "ineligible" and holds(earlier, trial)

    seen: set[str] = set()
    failures_before = len(engine.counts.failures)
    for outcome in engine.match(profile, reuse, inputs.answers.get(profile.id)):
        trial = outcome.candidate.trial
        seen.add(trial.trial_id)
        if outcome.result is None:
            report.unchanged += 1
            continue
        earlier = stored.get(trial.trial_id)
        _write(inputs, writer, outcome, earlier, holds(earlier, trial), against(trial), report)
    # a pair that failed to evaluate keeps its stored row: the failure is reported, not a drop
    seen.update(failure.trial_id for failure in engine.counts.failures[failures_before:])
    for trial_id in stored.keys() - seen:
        writer.dropped(profile.id, trial_id)
        report.dropped += 1


def _write(
    inputs: MatchInputs,
    writer: ShardWriter,
    outcome: PairOutcome,
    earlier: StoredPair | None,
    inputs_held: bool,
    against: EvaluatedAgainst,
    report: ShardReport,
) -> None:
    result, evaluation = outcome.result, outcome.evaluation
    assert result is not None and evaluation is not None
    listed = result.verdict != "ineligible"
    first_listed = listed_since(
        earlier.first_listed_run if earlier is not None else None, listed, inputs.run_id
    )
    same = (
        inputs_held
        and earlier is not None
        and (earlier.verdict, earlier.score)
        == (
            result.verdict,
            result.score,
        )
    )
    if same:
        report.unchanged += 1
    else:
        report.evaluated += 1
        writer.pair(
            pair_row(
                patient_id=result.patient_id,
                trial_id=result.trial_id,
                verdict=result.verdict,
                score=result.score,
                distance_km=result.distance_km,
                site=result.site,
                open_questions=evaluation.unknowns,
                statuses=evaluation.status_codes(),
                failed=[] if listed else evaluation.failed_ids(),
                first_listed_run=first_listed,
                run_id=inputs.run_id,
                against=against,
            )
        )
    if listed:
        writer.listed(
            patient_id=result.patient_id,
            trial_id=result.trial_id,
            verdict=result.verdict,
            open_questions=evaluation.unknowns,
            distance_km=result.distance_km,
            score=result.score,
            site=result.site,
            new=first_listed == inputs.run_id,
            checklist=checklist_text(result),
            entry=entry_body(result),
            fragment=html_fragment(result, inputs.titles.get(result.trial_id, "")),
        )
