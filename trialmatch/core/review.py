"""Records of the review page: accounts, answers to open questions, decisions, the audit log.

A coordinator answers an open question of a match (`QuestionAnswer`): the
matcher then takes the answer as the criterion's status. A decision
(`Decision`) is the state of a match in the coordinator's work (referred,
contacted, rejected) and remembers the trial and profile hashes it was made
on: when the match row's hashes differ, the match needs re-review. Every
action is one `AuditEntry`, appended and never rewritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

AnswerValue = Literal["yes", "no", "not_applicable"]
ANSWER_VALUES: tuple[AnswerValue, ...] = get_args(AnswerValue)
ANSWER_LABELS: dict[str, str] = {"yes": "yes", "no": "no", "not_applicable": "not applicable"}

DecisionState = Literal["referred", "contacted", "rejected"]
DECISION_STATES: tuple[DecisionState, ...] = get_args(DecisionState)
# What the lists filter and count by: a decision's state, none yet, or one made on
# what has since changed.
ReviewState = Literal["to_review", "referred", "contacted", "rejected", "needs_rereview"]
REVIEW_STATES: tuple[ReviewState, ...] = get_args(ReviewState)
STATE_LABELS: dict[str, str] = {
    "to_review": "to review",
    "referred": "referred",
    "contacted": "contacted",
    "rejected": "rejected",
    "needs_rereview": "needs re-review",
}
REJECT_REASONS: tuple[str, ...] = (
    "does not meet a criterion",
    "patient declined",
    "patient unreachable",
    "site cannot take the patient",
    "already in another study",
)
AuditAction = Literal["answer", "refer", "contact", "reject", "note"]

NOTE_MAX_CHARS = 2000


@dataclass(frozen=True)
class QuestionAnswer:
    """A coordinator's answer to one criterion of one pair.

    ``criterion_text`` is the text the question was asked about: when the
    trial's criteria change and the id now names another text, the answer no
    longer applies (`applies_to`).
    """

    criterion_id: str
    criterion_text: str
    value: AnswerValue
    note: str = ""
    by: str = ""
    at: str = ""

    def __post_init__(self) -> None:
        if self.value not in ANSWER_VALUES:
            raise ValueError(f"answer {self.value!r} not one of {list(ANSWER_VALUES)}")

    def applies_to(self, criterion_id: str, text: str) -> bool:
        return criterion_id == self.criterion_id and text == self.criterion_text

    @property
    def label(self) -> str:
        return ANSWER_LABELS[self.value]


@dataclass(frozen=True)
class Decision:
    state: DecisionState
    by: str
    at: str
    trial_hash: str  # what the match was when decided
    patient_hash: str
    reason: str = ""  # a rejection's reason


@dataclass(frozen=True)
class Review:
    """Where a pair stands: its decision (if any) against the match's current hashes."""

    decision: Decision | None
    trial_changed: bool = False
    profile_changed: bool = False

    @property
    def state(self) -> ReviewState:
        if self.decision is None:
            return "to_review"
        if self.trial_changed or self.profile_changed:
            return "needs_rereview"
        return self.decision.state

    @property
    def changes(self) -> list[str]:
        changed = []
        if self.trial_changed:
            changed.append("the trial's record (and so its criteria) changed since the decision")
        if self.profile_changed:
            changed.append("the patient's profile changed since the decision")
        return changed


@dataclass(frozen=True)
class AuditEntry:
    """One action on a pair: who, when, what, and the state before and after."""

    id: int
    patient_id: str
    trial_id: str
    user: str
    at: str
    action: AuditAction
    before: str
    after: str
    detail: str = ""


@dataclass(frozen=True)
class MatchFilter:
    """The filters of the morning list; every field optional."""

    trial_id: str | None = None
    site: str | None = None
    verdict: str | None = None
    state: ReviewState | None = None
    new_only: bool = False
    max_distance_km: float | None = None
    text: str | None = None  # words of the trial titles
    patient_id: str | None = None

    def to_query(self) -> dict[str, str]:
        """The filter as query parameters (what the page's links carry)."""
        values: dict[str, Any] = {
            "trial": self.trial_id,
            "site": self.site,
            "verdict": self.verdict,
            "state": self.state,
            "new": "1" if self.new_only else None,
            "max_km": None if self.max_distance_km is None else f"{self.max_distance_km:g}",
            "q": self.text,
        }
        return {key: str(value) for key, value in values.items() if value not in (None, "")}


@dataclass(frozen=True)
class ListedPair:
    """One row of a list page."""

    patient_id: str
    trial_id: str
    title: str
    verdict: str
    score: float
    distance_km: float | None
    site: str | None
    new: bool
    review: Review


@dataclass(frozen=True)
class ListPage:
    pairs: tuple[ListedPair, ...]
    total: int  # pairs the filter selects
    page: int
    per_page: int
    counts: Mapping[str, int] = field(default_factory=dict)  # per review state

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class StoredPair:
    """A pair's stored match row, as the review page reads it (no evidence: it is re-evaluated)."""

    patient_id: str
    trial_id: str
    verdict: str
    score: float
    distance_km: float | None
    site: str | None
    listed: bool
    first_listed_run: int | None
    last_run: int | None
    trial_hash: str
    patient_hash: str
    criteria_version: str
    evaluated_at: str
    evaluated_on: str | None  # the date the run evaluated it against ("today")
