"""Registry status words and the one status vocabulary they map onto.

Each registry words recruitment its own way (ClinicalTrials.gov's
``RECRUITING``, ANZCTR's ``Closed: follow-up continuing``, CTIS's
``Authorised, recruitment pending``, WHO ICTRP's ``Not recruiting``). A
record keeps the registry's word (`Trial.overall_status`); `study_status`
maps it onto `StudyStatus` for filtering and matching. Words are compared
case-folded, with ``_``, ``-`` and runs of spaces read as one space, so
``NOT_YET_RECRUITING`` and ``Not yet recruiting`` are one word.

A word that says nothing about recruitment today is ``unknown``, never a
guess: EUCTR's ``Ongoing`` (trials still open there were due to move to
CTIS by 2025, so it is stale more often than not), WHO's ``Authorised``.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

StudyStatus = Literal[
    "recruiting",
    "not yet recruiting",
    "enrolling by invitation",
    "active not recruiting",
    "closed",
    "unknown",
]
STUDY_STATUSES: tuple[StudyStatus, ...] = get_args(StudyStatus)

_RECRUITING = (
    "recruiting",
    "authorised, recruiting",
    "ongoing, recruiting",
    "open",
    "open to recruitment",
    "available",  # expanded access: a patient can still get it
    "temporarily not available",
)
_NOT_YET = (
    "not yet recruiting",
    "authorised, recruitment pending",
    "authorised, not started",
    "pending",
    "planned",
    "not yet open",
    "ongoing, not yet recruiting",
    "restarted",
)
_INVITATION = ("enrolling by invitation",)
_ACTIVE = (
    "active, not recruiting",
    "active not recruiting",
    "ongoing, recruitment ended",
    "closed: follow-up continuing",
    "no longer recruiting",
    "recruitment completed",
    "recruitment ended",
)
_CLOSED = (
    "completed",
    "complete",
    "closed: follow-up complete",
    "closed",
    "terminated",
    "stopped",
    "stopped early",
    "suspended",
    "temporarily halted",
    "halted",
    "withdrawn",
    "not recruiting",  # WHO ICTRP: it gives no finer word
    "ended",
    "prematurely ended",
    "expired",
    "revoked",
    "not authorised",
    "cancelled",
    "no longer available",
    "approved for marketing",
    "withheld",
    "prohibited by ca",
    "suspended by ca",
)
_UNKNOWN = (
    "unknown",
    "unknown status",
    "ongoing",
    "authorised",
    "authorised-recruitment may be ongoing or finished",
    "under evaluation",
    "not available",
    "na",
    "n/a",
)

WORDS: dict[str, StudyStatus] = {
    **dict.fromkeys(_RECRUITING, "recruiting"),
    **dict.fromkeys(_NOT_YET, "not yet recruiting"),
    **dict.fromkeys(_INVITATION, "enrolling by invitation"),
    **dict.fromkeys(_ACTIVE, "active not recruiting"),
    **dict.fromkeys(_CLOSED, "closed"),
    **dict.fromkeys(_UNKNOWN, "unknown"),
}
_SEPARATORS = re.compile(r"[\s_\-]+")


def normalise_word(word: str) -> str:
    """``NOT_YET_RECRUITING`` → ``not yet recruiting``; hyphens inside words kept apart."""
    return _SEPARATORS.sub(" ", word.strip().casefold()).strip()


_NORMALISED = {normalise_word(word): status for word, status in WORDS.items()}


def study_status(word: str | None) -> StudyStatus:
    """The vocabulary status of a registry's status word; ``unknown`` when none or unheard of."""
    if not word:
        return "unknown"
    return _NORMALISED.get(normalise_word(word), "unknown")
