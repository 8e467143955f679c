"""The match step of the nightly run: incremental matching and the referral lists.

Only pairs whose trial (content hash), criteria (parser version and content)
or patient (profile hash, or re-imported) changed since they were last
evaluated are re-evaluated; the others keep their stored result, except
where the trial's criteria have time windows or durations ("within 28 days",
"for more than 12 weeks"): those answers move with the date, so such a pair
is evaluated again on each new day. Pairs no longer candidates are dropped.
The three referral files are rewritten from every listed pair, new ones marked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import sqlite_utils

from db import criteria as criteria_store
from db import matches as match_store
from db import patients as patient_store
from db import review as review_store
from db.connection import open_database
from db.trials import iter_trials
from matcher.candidates import TrialIndex
from matcher.engine import EngineCounts, PairOutcome, match_all
from matcher.referrals import ReferralEntry, write_referrals
from matcher.relevance import required_conditions
from matcher.version import matcher_version
from nlp_models.parser import parse_eligibility
from nlp_models.version import PARSER_VERSION
from trialmatch.core.criteria import (
    UNPARSED_VERSION,
    Criterion,
    criteria_to_document,
    criteria_version,
)
from trialmatch.core.errors import TrialmatchError, kind_and_place
from trialmatch.core.match import MatchResult
from trialmatch.core.patient import PatientProfile
from trialmatch.core.trial import MATCHABLE_STATUSES, Trial
from trialmatch.steps import StepReport

LOG = logging.getLogger(__name__)
BATCH = 2000


def run_match_step(db_path: Path, out_dir: Path, *, today: date | None = None) -> StepReport:
    """Match every patient against the recruiting trials and write the referral lists."""
    today = today or date.today()
    report = StepReport(name="match")
    with open_database(db_path) as database:
        run_id = match_store.start_run(database, today)
        try:
            _match(database, run_id, today, report)
            _write_lists(database, run_id, out_dir, report)
        except Exception as exc:
            match_store.finish_run(database, run_id, report.counts, "failed")
            # by kind and place only, and not chained: the message may quote a patient's data
            raise TrialmatchError(f"match run {run_id} failed: {kind_and_place(exc)}") from None
        match_store.finish_run(database, run_id, report.counts, "succeeded")
    return report


def _match(database: sqlite_utils.Database, run_id: int, today: date, report: StepReport) -> None:
    trials = list(iter_trials(database, MATCHABLE_STATUSES))
    criteria, versions = _criteria_of(database, trials, report)
    index = TrialIndex(
        trials, {key: required_conditions(found or ()) for key, found in criteria.items()}
    )
    profiles = _profiles(database, report)
    needing = patient_store.patients_needing_match(database)
    stored = match_store.evaluated_against(database)
    # coordinators' answers on the review page: those pairs are evaluated again with them
    answers = review_store.answers_by_pair(database)

    dated = {trial_id for trial_id, found in criteria.items() if found and _has_windows(found)}
    evaluated_on = today.isoformat()

    # the matcher's own version too: an upgraded matcher evaluates every pair again
    matcher = matcher_version()

    def against(profile: PatientProfile, trial: Trial) -> match_store.EvaluatedAgainst:
        version = f"{versions[trial.trial_id]}+{matcher}"
        return match_store.EvaluatedAgainst(
            trial.content_hash, version, profile.content_hash, evaluated_on
        )

    def reuse(profile: PatientProfile, trial: Trial) -> bool:
        if profile.id in needing:
            return False
        earlier = stored.get((profile.id, trial.trial_id))
        if earlier is None or not earlier.same_inputs(against(profile, trial)):
            return False
        return trial.trial_id not in dated or earlier.evaluated_on == evaluated_on

    counts = EngineCounts()
    evaluated: list[tuple[MatchResult, match_store.EvaluatedAgainst]] = []
    unchanged: list[tuple[str, str]] = []
    for outcome in match_all(
        index, profiles, criteria, today, reuse=reuse, counts=counts, answers=answers
    ):
        _collect(outcome, against, evaluated, unchanged)
        if len(evaluated) >= BATCH:
            match_store.save_results(database, evaluated, run_id)
            evaluated.clear()
    match_store.save_results(database, evaluated, run_id)
    match_store.touch_pairs(database, unchanged, run_id)
    dropped = match_store.delete_stale(database, run_id)
    patient_store.mark_matched(database, [profile.id for profile in profiles])
    report.counts.update(
        trials=len(index),
        patients=counts.patients,
        candidate_pairs=counts.candidate_pairs,
        evaluated=counts.evaluated,
        unchanged=counts.reused,
        dropped=dropped,
        failed=counts.failed,
    )
    if counts.failed:
        first = counts.failures[0].describe()
        report.errors.append(f"{counts.failed} pairs could not be evaluated (first: {first})")


def _has_windows(criteria: Sequence[Criterion]) -> bool:
    """Whether an answer may change with the date alone (a time window or duration)."""
    for criterion in criteria:
        rule = criterion.rule
        if getattr(rule, "within_days", None) is not None:
            return True
        if getattr(rule, "min_duration_days", None) is not None:
            return True
    return False


def _collect(
    outcome: PairOutcome,
    against: Callable[[PatientProfile, Trial], match_store.EvaluatedAgainst],
    evaluated: list[tuple[MatchResult, match_store.EvaluatedAgainst]],
    unchanged: list[tuple[str, str]],
) -> None:
    pair = (outcome.profile.id, outcome.candidate.trial.trial_id)
    if outcome.result is None:
        unchanged.append(pair)
    else:
        evaluated.append((outcome.result, against(outcome.profile, outcome.candidate.trial)))


def _profiles(database: sqlite_utils.Database, report: StepReport) -> list[PatientProfile]:
    profiles = []
    rows = database.query("SELECT patient_id, profile FROM patients ORDER BY patient_id")
    for position, row in enumerate(rows, start=1):
        try:
            profiles.append(patient_store.patient_from_row(row))
        except (TrialmatchError, ValueError, KeyError) as exc:
            # by position: an id stored before the guard refused identifying ids may be one
            problem = f"stored profile #{position} (by id) unreadable: {kind_and_place(exc)}"
            report.errors.append(problem)
    return profiles


def _criteria_of(
    database: sqlite_utils.Database, trials: Sequence[Trial], report: StepReport
) -> tuple[dict[str, Sequence[Criterion] | None], dict[str, str]]:
    """Each trial's parsed criteria and a version string naming parser and content."""
    stored = criteria_store.stored_criteria_by_trial(database, [t.trial_id for t in trials])
    criteria: dict[str, Sequence[Criterion] | None] = {}
    versions: dict[str, str] = {}
    parsed_here: dict[str, list[Criterion]] = {}
    for trial in trials:
        found, version = _read_stored(stored.get(trial.trial_id), trial.trial_id)
        if not found and trial.eligibility_text:
            # not parsed yet (or the parse step failed): parse now rather than list blindly
            found = _parse_now(trial.eligibility_text, parsed_here, report)
            version = _criteria_version(found)
        criteria[trial.trial_id] = found
        versions[trial.trial_id] = version
    return criteria, versions


def _read_stored(
    stored: criteria_store.StoredCriteria | None, trial_id: str
) -> tuple[list[Criterion] | None, str]:
    if stored is None:
        return None, _criteria_version(None)
    try:
        return stored.criteria(), stored.version
    except TrialmatchError as exc:
        LOG.info("stored criteria of %s unreadable: %s", trial_id, exc.__class__.__name__)
        return None, _criteria_version(None)


def _parse_now(
    text: str, cache: dict[str, list[Criterion]], report: StepReport
) -> list[Criterion] | None:
    if text not in cache:
        try:
            cache[text] = list(parse_eligibility(text))
        except TrialmatchError as exc:
            report.errors.append(f"criteria could not be parsed: {exc}")
            return None
    return cache[text]


def _criteria_version(criteria: Sequence[Criterion] | None) -> str:
    if criteria is None:
        return UNPARSED_VERSION
    return criteria_version(criteria_to_document(criteria, PARSER_VERSION))


def _write_lists(
    database: sqlite_utils.Database, run_id: int, out_dir: Path, report: StepReport
) -> None:
    titles = dict(database.execute("SELECT trial_id, brief_title FROM trials").fetchall())
    entries = [
        ReferralEntry(stored.result, stored.new, titles.get(stored.result.trial_id) or "")
        for stored in match_store.listed_matches(database, run_id)
    ]
    write_referrals(entries, out_dir)
    verdicts = match_store.count_by_verdict(database)
    report.counts.update(
        listed=len(entries),
        new=sum(1 for entry in entries if entry.new),
        eligible=verdicts.get("eligible", 0),
        possible=verdicts.get("possible", 0),
        ineligible=verdicts.get("ineligible", 0),
    )
    LOG.info("referral lists written to %s (%d pairs)", out_dir, len(entries))
