"""Answers, decisions and the audit log of the review page; rows never leave this module.

Each action writes its record and its audit entry in one transaction. The
audit log is only ever appended to (triggers refuse UPDATE and DELETE, see
`db.schema_review`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from db.connection import immediate, rows
from trialmatch.core.review import AuditAction, AuditEntry, Decision, QuestionAnswer, Review

if TYPE_CHECKING:
    import sqlite3

    from db.connection import Readable

Pair = tuple[str, str]


def _answer(row: dict[str, Any]) -> QuestionAnswer:
    return QuestionAnswer(
        criterion_id=row["criterion_id"],
        criterion_text=row["criterion_text"],
        value=row["value"],
        note=row["note"],
        by=row["user_name"],
        at=row["at"],
    )


def answers_of(database: Readable, pair: Pair) -> dict[str, QuestionAnswer]:
    """The pair's answers by criterion id."""
    found = rows(
        database,
        "SELECT * FROM answers WHERE patient_id = ? AND trial_id = ? ORDER BY criterion_id",
        list(pair),
    )
    return {row["criterion_id"]: _answer(row) for row in found}


def answers_by_pair(database: Readable) -> dict[Pair, dict[str, QuestionAnswer]]:
    """Every stored answer, by pair then criterion id (the nightly match applies them)."""
    found: dict[Pair, dict[str, QuestionAnswer]] = {}
    for row in rows(database, "SELECT * FROM answers ORDER BY patient_id, trial_id"):
        found.setdefault((row["patient_id"], row["trial_id"]), {})[row["criterion_id"]] = _answer(
            row
        )
    return found


def record_answer(
    database: Readable, pair: Pair, answer: QuestionAnswer, *, before: str, after: str
) -> None:
    """Store (or replace) the answer to one criterion, and audit it."""
    with immediate(database) as connection:
        connection.execute(
            "INSERT OR REPLACE INTO answers (patient_id, trial_id, criterion_id,"
            " criterion_text, value, note, user_name, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                *pair,
                answer.criterion_id,
                answer.criterion_text,
                answer.value,
                answer.note,
                answer.by,
                answer.at,
            ],
        )
        detail = f"{answer.criterion_id}: {answer.label}" + (
            f" — {answer.note}" if answer.note else ""
        )
        _audit(connection, pair, answer.by, answer.at, "answer", before, after, detail)


def decision_of(database: Readable, pair: Pair) -> Decision | None:
    found = rows(
        database, "SELECT * FROM decisions WHERE patient_id = ? AND trial_id = ?", list(pair)
    )
    return decision_from_row(found[0]) if found else None


def decision_from_row(row: dict[str, Any]) -> Decision:
    return Decision(
        state=row["state"],
        by=row["user_name"],
        at=row["at"],
        trial_hash=row["trial_hash"],
        patient_hash=row["patient_hash"],
        reason=row["reason"] or "",
    )


def review_of(decision: Decision | None, trial_hash: str, patient_hash: str) -> Review:
    """A decision judged against the match row's current hashes."""
    if decision is None:
        return Review(None)
    return Review(
        decision,
        trial_changed=decision.trial_hash != trial_hash,
        profile_changed=decision.patient_hash != patient_hash,
    )


def record_decision(
    database: Readable, pair: Pair, decision: Decision, *, before: str, detail: str = ""
) -> None:
    """Store the pair's decision (replacing any earlier one), and audit it."""
    with immediate(database) as connection:
        connection.execute(
            "INSERT OR REPLACE INTO decisions (patient_id, trial_id, state, reason,"
            " user_name, at, trial_hash, patient_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                *pair,
                decision.state,
                decision.reason,
                decision.by,
                decision.at,
                decision.trial_hash,
                decision.patient_hash,
            ],
        )
        action: AuditAction = _ACTIONS[decision.state]
        _audit(connection, pair, decision.by, decision.at, action, before, decision.state, detail)


_ACTIONS: dict[str, AuditAction] = {
    "referred": "refer",
    "contacted": "contact",
    "rejected": "reject",
}


def add_note(database: Readable, pair: Pair, *, user: str, at: str, state: str, note: str) -> None:
    """A note on the pair: an audit entry that leaves the state as it is."""
    with immediate(database) as connection:
        _audit(connection, pair, user, at, "note", state, state, note)


def _audit(
    connection: sqlite3.Connection,
    pair: Pair,
    user: str,
    at: str,
    action: AuditAction,
    before: str,
    after: str,
    detail: str,
) -> None:
    connection.execute(
        "INSERT INTO audit_log (patient_id, trial_id, user_name, at, action, before, after,"
        " detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [*pair, user, at, action, before, after, detail],
    )


def audit_of(database: Readable, pair: Pair) -> list[AuditEntry]:
    """The pair's audit log, oldest first."""
    found = rows(
        database,
        "SELECT * FROM audit_log WHERE patient_id = ? AND trial_id = ? ORDER BY id",
        list(pair),
    )
    return [
        AuditEntry(
            id=row["id"],
            patient_id=row["patient_id"],
            trial_id=row["trial_id"],
            user=row["user_name"],
            at=row["at"],
            action=row["action"],
            before=row["before"],
            after=row["after"],
            detail=row["detail"],
        )
        for row in found
    ]


def decisions_of(database: Readable, pairs: Iterable[Pair]) -> dict[Pair, Decision]:
    """The decisions of the given pairs (a page's worth), in one query."""
    wanted = list(pairs)
    if not wanted:
        return {}
    marks = ",".join("(?, ?)" for _ in wanted)
    found = rows(
        database,
        f"SELECT * FROM decisions WHERE (patient_id, trial_id) IN (VALUES {marks})",
        [value for pair in wanted for value in pair],
    )
    return {(row["patient_id"], row["trial_id"]): decision_from_row(row) for row in found}
