"""The list filters read from a request's query: unknown or malformed values are ignored."""

from __future__ import annotations

from collections.abc import Mapping

from trialmatch.core.accounts import User
from trialmatch.core.match import VERDICTS
from trialmatch.core.review import REVIEW_STATES, MatchFilter

MAX_TEXT = 200


def filter_from(query: Mapping[str, str], user: User) -> MatchFilter:
    state = query.get("state") or None
    verdict = query.get("verdict") or None
    site = _text(query.get("site"))
    if site and not user.sees_every_site and site not in user.sites:
        site = None  # a site of someone else's: the user's own sites apply anyway
    return MatchFilter(
        trial_id=_text(query.get("trial")),
        site=site,
        verdict=verdict if verdict in VERDICTS else None,
        state=state if state in REVIEW_STATES else None,
        new_only=query.get("new") == "1",
        max_distance_km=_number(query.get("max_km")),
        text=_text(query.get("q")),
    )


def page_number(query: Mapping[str, str]) -> int:
    try:
        return max(1, int(query.get("page", "1")))
    except ValueError:
        return 1


def _text(value: str | None) -> str | None:
    text = (value or "").strip()[:MAX_TEXT]
    return text or None


def _number(value: str | None) -> float | None:
    try:
        number = float(value or "")
    except ValueError:
        return None
    return number if 0 <= number < 1e6 else None
