"""Answers, decisions and the audit log in SQLite, through nightly runs of the real match step."""

from __future__ import annotations

import sqlite3

import pytest
from review_data import HOSTILE_ID, HOSTILE_PATIENT, ReviewData

from db import open_database
from db import review as review_store
from db.review_lists import count_states, list_page, stored_pair, title_query
from trialmatch.core.clock import utc_now
from trialmatch.core.review import Decision, MatchFilter, QuestionAnswer
from trialmatch.steps.match_step import run_match_step
from trialmatch.web.pairs import evaluate_now

PAIR = (HOSTILE_PATIENT, HOSTILE_ID)


def _decide(data: ReviewData, state: str = "referred") -> None:
    with open_database(data.db) as database:
        stored = stored_pair(database, PAIR)
        assert stored is not None
        decision = Decision(
            state=state,  # type: ignore[arg-type]
            by="ada",
            at=utc_now(),
            trial_hash=stored.trial_hash,
            patient_hash=stored.patient_hash,
        )
        review_store.record_decision(database, PAIR, decision, before="to_review")


def test_the_audit_log_is_never_rewritten(review_data: ReviewData) -> None:
    _decide(review_data)
    with open_database(review_data.db) as database:
        assert review_store.audit_of(database, PAIR)
        for statement in ("UPDATE audit_log SET user_name = 'eve'", "DELETE FROM audit_log"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                database.execute(statement)
        assert all(entry.user == "ada" for entry in review_store.audit_of(database, PAIR))


def test_a_changed_profile_or_trial_needs_re_review(review_data: ReviewData) -> None:
    _decide(review_data)
    with open_database(review_data.db) as database:
        referred = count_states(database, MatchFilter(), None, None)["referred"]
        assert referred >= 1
        with database.conn:
            database.execute(
                "UPDATE matches SET patient_hash = 'changed' WHERE patient_id = ? AND trial_id = ?",
                list(PAIR),
            )
        stored = stored_pair(database, PAIR)
        assert stored is not None
        review = review_store.review_of(
            review_store.decision_of(database, PAIR), stored.trial_hash, stored.patient_hash
        )
        assert review.state == "needs_rereview"
        assert review.changes == ["the patient's profile changed since the decision"]
        counts = count_states(database, MatchFilter(), None, None)
        assert counts["referred"] == referred - 1 and counts["needs_rereview"] >= 1
        page = list_page(database, MatchFilter(state="needs_rereview"), sites=None)
        assert PAIR in {(pair.patient_id, pair.trial_id) for pair in page.pairs}


def test_answers_and_decisions_outlive_nightly_runs(review_data: ReviewData) -> None:
    with open_database(review_data.db) as database:
        stored = stored_pair(database, PAIR)
        assert stored is not None
        pair = evaluate_now(database, stored)
        assert pair is not None and pair.result.verdict == "eligible"
        question = next(item for item in pair.result.criteria if item.status == "not_evaluable")
        answer = QuestionAnswer(question.id, question.text, "no", by="ada", at=utc_now())
        review_store.record_answer(database, PAIR, answer, before="eligible", after="ineligible")
        database.execute("UPDATE patients SET needs_match = 1")  # every pair evaluated again
        database.conn.commit()
    _decide(review_data, "contacted")
    run_match_step(review_data.db, review_data.folder / "referrals")
    with open_database(review_data.db) as database:
        stored = stored_pair(database, PAIR)
        assert stored is not None and stored.verdict == "ineligible" and not stored.listed
        assert review_store.answers_of(database, PAIR)[question.id].value == "no"
        decision = review_store.decision_of(database, PAIR)
        assert decision is not None and decision.state == "contacted"
    run_match_step(review_data.db, review_data.folder / "referrals")  # reused pairs too
    with open_database(review_data.db) as database:
        stored = stored_pair(database, PAIR)
        assert stored is not None and stored.verdict == "ineligible"


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("diabetes", '{brief_title official_title} : ("diabetes"*)'),
        ('type 2 "diab', '{brief_title official_title} : ("type" "2" "diab"*)'),
        ("NEAR( OR ) AND -", '{brief_title official_title} : ("NEAR" "OR" "AND"*)'),
        ("", None),
    ],
    ids=["word", "quotes", "operators", "empty"],
)
def test_title_words_become_a_safe_query(text: str, query: str | None) -> None:
    assert title_query(text) == query
