"""A pair evaluated again on the spot, with its answers; the result written back.

Never read from stored evidence: the match page shows what the matcher says
now, from the stored profile, the study record, the trial's stored criteria
and the date of the run that last saw the pair. After an answer the result
is stored over the pair's match row (same inputs, same run), so the lists
show the verdict the answer settled.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import sqlite_utils

from db import criteria as criteria_store
from db import matches as match_store
from db import review as review_store
from db.patients import get_patient
from db.review_lists import run_today
from db.studies import study_of
from db.trials import get_trial
from matcher.answers import review_pair
from matcher.plan import STATUS_CODES
from trialmatch.core.criteria import Criterion
from trialmatch.core.errors import TrialNotFound
from trialmatch.core.match import MatchResult
from trialmatch.core.patient import PatientProfile
from trialmatch.core.review import QuestionAnswer, StoredPair
from trialmatch.core.trial import Trial


@dataclass(frozen=True)
class EvaluatedPair:
    stored: StoredPair
    result: MatchResult  # evaluated now, answers applied
    trial: Trial  # the study record when the pair's trial is its chosen registration
    criteria: list[Criterion] | None  # None: not parsed yet
    profile: PatientProfile
    answers: dict[str, QuestionAnswer]
    today: dt.date


def trial_record(database: sqlite_utils.Database, trial_id: str) -> Trial:
    """The study record of *trial_id* if it is the study's chosen registration, else its own."""
    study = study_of(database, trial_id)
    if study is not None and study.trial_id == trial_id:
        return study
    return get_trial(database, trial_id)


def evaluate_now(database: sqlite_utils.Database, stored: StoredPair) -> EvaluatedPair | None:
    """The pair evaluated now; None when its profile or trial is no longer stored."""
    profile = get_patient(database, stored.patient_id)
    if profile is None:
        return None
    try:
        trial = trial_record(database, stored.trial_id)
    except TrialNotFound:
        return None
    try:
        criteria: list[Criterion] | None = criteria_store.load_criteria(database, stored.trial_id)
    except TrialNotFound:
        criteria = None
    answers = review_store.answers_of(database, (stored.patient_id, stored.trial_id))
    today = _today(database, stored)
    result = review_pair(
        profile,
        trial,
        criteria,
        today,
        answers,
        distance_km=stored.distance_km,
        site=stored.site,
    )
    return EvaluatedPair(stored, result, trial, criteria, profile, answers, today)


def _today(database: sqlite_utils.Database, stored: StoredPair) -> dt.date:
    day = run_today(database, stored.last_run) or stored.evaluated_on
    return dt.date.fromisoformat(day) if day else dt.date.today()


def write_back(database: sqlite_utils.Database, pair: EvaluatedPair) -> None:
    """Store the pair's new result over its match row, as evaluated against the same inputs."""
    stored, result = pair.stored, pair.result
    against = match_store.EvaluatedAgainst(
        stored.trial_hash, stored.criteria_version, stored.patient_hash, stored.evaluated_on
    )
    run = stored.last_run or 0
    listed = result.verdict != "ineligible"
    first_listed = match_store.listed_since(stored.first_listed_run, listed, run)
    row = match_store.pair_row(
        patient_id=result.patient_id,
        trial_id=result.trial_id,
        verdict=result.verdict,
        score=result.score,
        distance_km=result.distance_km,
        site=result.site,
        open_questions=result.unknown_count,
        statuses="".join(STATUS_CODES[item.status] for item in result.criteria),
        failed=[] if listed else [item.id for item in result.reasons],
        first_listed_run=first_listed,
        run_id=run,
        against=against,
    )
    match_store.store_pair(database, row)


def with_answer(pair: EvaluatedPair, answer: QuestionAnswer) -> EvaluatedPair:
    """The pair evaluated again with one more (or a changed) answer."""
    answers = pair.answers | {answer.criterion_id: answer}
    result = review_pair(
        pair.profile,
        pair.trial,
        pair.criteria,
        pair.today,
        answers,
        distance_km=pair.stored.distance_km,
        site=pair.stored.site,
    )
    return dataclasses.replace(pair, result=result, answers=answers)
