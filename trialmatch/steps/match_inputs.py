"""What a match run reads before it evaluates: studies, their criteria, and the profiles.

Loaded once by the run, before its workers start (they inherit it): each
matchable study once through its chosen registration, its stored criteria
(parsed on the spot when the parse step has not reached it yet, so it is not
listed blindly), a version per trial naming what its criteria and the matcher
were, and every readable profile.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import sqlite_utils

from db import criteria as criteria_store
from db import patients as patient_store
from db import review as review_store
from db.studies import iter_studies
from matcher.answers import Answers
from matcher.candidates import TrialIndex
from matcher.engine import answers_by_patient
from matcher.facts import warm_up
from matcher.relevance import required_conditions
from matcher.version import matcher_version
from nlp_models.version import PARSER_VERSION
from trialmatch.core.criteria import (
    UNPARSED_VERSION,
    Criterion,
    criteria_to_document,
    criteria_version,
)
from trialmatch.core.errors import TrialmatchError, kind_and_place
from trialmatch.core.patient import PatientProfile
from trialmatch.core.trial import MATCHABLE_STATUSES, Trial
from trialmatch.steps import StepReport

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class MatchInputs:
    """Everything the workers of one run share, read-only."""

    index: TrialIndex
    criteria: Mapping[str, Sequence[Criterion] | None]
    versions: Mapping[str, str]  # per trial: criteria version + matcher version
    trial_hashes: Mapping[str, str]  # per trial: its content hash, computed once
    dated: frozenset[str]  # trials whose answers may move with the date alone
    titles: Mapping[str, str]
    needing: frozenset[str]  # patients (re-)imported since they were last matched
    # coordinators' answers on the review page, by patient then trial: those pairs are
    # evaluated again with them on every run
    answers: Mapping[str, Mapping[str, Answers]]
    today: date
    run_id: int


def load_inputs(
    database: sqlite_utils.Database, run_id: int, today: date, report: StepReport
) -> tuple[MatchInputs, list[PatientProfile]]:
    trials = list(iter_studies(database, MATCHABLE_STATUSES))
    criteria, versions = _criteria_of(database, trials, report)
    index = TrialIndex(
        trials, {key: required_conditions(found or ()) for key, found in criteria.items()}
    )
    # the matcher's own version too: an upgraded matcher evaluates every pair again
    matcher = matcher_version()
    inputs = MatchInputs(
        index=index,
        criteria=criteria,
        versions={trial_id: f"{version}+{matcher}" for trial_id, version in versions.items()},
        trial_hashes={trial.trial_id: trial.content_hash for trial in trials},
        dated=frozenset(
            trial_id for trial_id, found in criteria.items() if found and _has_windows(found)
        ),
        titles={trial.trial_id: trial.brief_title or "" for trial in trials},
        needing=frozenset(patient_store.patients_needing_match(database)),
        answers=answers_by_patient(review_store.answers_by_pair(database)),
        today=today,
        run_id=run_id,
    )
    warm_up()
    return inputs, _profiles(database, report)


def _has_windows(criteria: Sequence[Criterion]) -> bool:
    """Whether an answer may change with the date alone (a time window or duration)."""
    for criterion in criteria:
        rule = criterion.rule
        if getattr(rule, "within_days", None) is not None:
            return True
        if getattr(rule, "min_duration_days", None) is not None:
            return True
    return False


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
        return stored.criteria(entities=False), stored.version  # the matcher reads rules
    except TrialmatchError as exc:
        LOG.info("stored criteria of %s unreadable: %s", trial_id, exc.__class__.__name__)
        return None, _criteria_version(None)


def _parse_now(
    text: str, cache: dict[str, list[Criterion]], report: StepReport
) -> list[Criterion] | None:
    from nlp_models.parser import parse_eligibility  # the parser loads spaCy: only if needed

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
