"""`/matches/{patient_id}/{trial_id}`: a match criterion by criterion; answers and decisions.

The pair is evaluated again on every view (`trialmatch.web.pairs`). Forms
post to the match's own address plus ``/answer``, ``/decision`` or
``/note``, and come back to the page (post, redirect, get). A coordinator
limited to sites gets "no such page" for a match at another site, as for a
match that does not exist.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute

from db import review as review_store
from db.review_lists import stored_pair
from matcher.anonymity import text_identifier_kind
from trialmatch.core.accounts import User
from trialmatch.core.clock import utc_now
from trialmatch.core.match import CriterionResult
from trialmatch.core.review import (
    ANSWER_LABELS,
    ANSWER_VALUES,
    NOTE_MAX_CHARS,
    REJECT_REASONS,
    STATE_LABELS,
    Decision,
    DecisionState,
    QuestionAnswer,
    StoredPair,
)
from trialmatch.web.app import HttpError, Redirect, ReviewSite, Visit, route
from trialmatch.web.pairs import EvaluatedPair, evaluate_now, with_answer, write_back

STATUS_LABELS = {
    "met": "met",
    "not_met": "not met",
    "unknown": "unknown",
    "not_evaluable": "to check",
}
ACTIONS: dict[str, DecisionState] = {
    "refer": "referred",
    "contact": "contacted",
    "reject": "rejected",
}
PATH = "/matches/{patient_id}/{trial_id}"


def routes(site: ReviewSite) -> list[BaseRoute]:
    return [
        route(PATH, site.page(match_page)),
        route(PATH + "/answer", site.page(answer), "POST"),
        route(PATH + "/decision", site.page(decide), "POST"),
        route(PATH + "/note", site.page(note), "POST"),
    ]


def visible(user: User, stored: StoredPair) -> bool:
    return user.sees_every_site or stored.site in user.sites


def _pair_of(visit: Visit) -> EvaluatedPair:
    params = visit.request.path_params
    stored = stored_pair(visit.database, (params["patient_id"], params["trial_id"]))
    if stored is None or not visible(visit.user, stored):
        raise HttpError(404, "There is no such match.")
    pair = evaluate_now(visit.database, stored)
    if pair is None:
        raise HttpError(404, "This match's patient or trial is no longer stored.")
    return pair


def match_page(visit: Visit) -> Response:
    pair = _pair_of(visit)
    key = (pair.stored.patient_id, pair.stored.trial_id)
    review = review_store.review_of(
        review_store.decision_of(visit.database, key),
        pair.stored.trial_hash,
        pair.stored.patient_hash,
    )
    answered = {item.id for item in pair.result.criteria if _answer_for(pair, item)}
    return visit.render(
        "match.html",
        pair=pair,
        result=pair.result,
        review=review,
        questions=_questions(pair),
        answered=answered,
        outdated=[
            given
            for given in pair.answers.values()
            if not any(_answer_for(pair, item) is given for item in pair.result.criteria)
        ],
        audit=review_store.audit_of(visit.database, key),
        status_labels=STATUS_LABELS,
        state_labels=STATE_LABELS,
        answer_labels=ANSWER_LABELS,
        reject_reasons=REJECT_REASONS,
        note_max=NOTE_MAX_CHARS,
    )


def _answer_for(pair: EvaluatedPair, item: CriterionResult) -> QuestionAnswer | None:
    given = pair.answers.get(item.id)
    return given if given is not None and given.applies_to(item.id, item.text) else None


def _questions(pair: EvaluatedPair) -> list[tuple[CriterionResult, QuestionAnswer | None]]:
    """The checklist: open questions, and those already answered (to change the answer)."""
    found = []
    for item in pair.result.criteria:
        given = _answer_for(pair, item)
        open_question = item.status in ("unknown", "not_evaluable") and item.question
        if item.category != "group" and (open_question or given is not None):
            found.append((item, given))
    return found


def answer(visit: Visit) -> Response:
    pair = _pair_of(visit)
    criterion = next(
        (item for item in pair.result.criteria if item.id == visit.field("criterion")), None
    )
    value = visit.field("value")
    if criterion is None or value not in ANSWER_VALUES:
        raise HttpError(400, "Choose yes, no or not applicable for a question of this match.")
    given = QuestionAnswer(
        criterion_id=criterion.id,
        criterion_text=criterion.text,
        value=value,
        note=_note(visit),
        by=visit.user.name,
        at=utc_now(),
    )
    after = with_answer(pair, given)
    key = (pair.stored.patient_id, pair.stored.trial_id)
    review_store.record_answer(
        visit.database, key, given, before=pair.result.verdict, after=after.result.verdict
    )
    write_back(visit.database, after)
    raise Redirect(_address(pair) + f"#q-{criterion.id}")


def decide(visit: Visit) -> Response:
    pair = _pair_of(visit)
    state = ACTIONS.get(visit.field("action"))
    if state is None:
        raise HttpError(400, "Refer, mark contacted or reject.")
    reason = ""
    if state == "rejected":
        reason = visit.field("reason_text") or visit.field("reason")
        if not reason:
            raise HttpError(400, "A rejection needs a reason: choose one or write it.")
        reason = _checked_text(reason[:NOTE_MAX_CHARS])
    key = (pair.stored.patient_id, pair.stored.trial_id)
    before = review_store.review_of(
        review_store.decision_of(visit.database, key),
        pair.stored.trial_hash,
        pair.stored.patient_hash,
    ).state
    decision = Decision(
        state=state,
        by=visit.user.name,
        at=utc_now(),
        trial_hash=pair.stored.trial_hash,
        patient_hash=pair.stored.patient_hash,
        reason=reason,
    )
    detail = "; ".join(part for part in (reason, _note(visit)) if part)
    review_store.record_decision(visit.database, key, decision, before=before, detail=detail)
    raise Redirect(_address(pair) + "#decision")


def note(visit: Visit) -> Response:
    pair = _pair_of(visit)
    text = _note(visit)
    if not text:
        raise HttpError(400, "The note is empty.")
    key = (pair.stored.patient_id, pair.stored.trial_id)
    state = review_store.review_of(
        review_store.decision_of(visit.database, key),
        pair.stored.trial_hash,
        pair.stored.patient_hash,
    ).state
    review_store.add_note(
        visit.database, key, user=visit.user.name, at=utc_now(), state=state, note=text
    )
    raise Redirect(_address(pair) + "#audit")


def _note(visit: Visit) -> str:
    text = visit.field("note")
    if len(text) > NOTE_MAX_CHARS:
        raise HttpError(400, f"A note has at most {NOTE_MAX_CHARS} characters.")
    return _checked_text(text)


def _checked_text(text: str) -> str:
    """Free text a coordinator types must not identify the patient (the profile's own guard)."""
    kind = text_identifier_kind(text) if text else None
    if kind is not None:
        raise HttpError(
            400, f"The text seems to hold a direct identifier ({kind}); write it without one."
        )
    return text


def _address(pair: EvaluatedPair) -> str:
    from urllib.parse import quote

    stored = pair.stored
    return f"/matches/{quote(stored.patient_id, safe='')}/{quote(stored.trial_id, safe='')}"
