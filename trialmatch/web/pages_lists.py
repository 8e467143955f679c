"""`/`: the morning list of matches, filtered, ordered by verdict then score, paged."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute

from db.review_lists import list_page
from trialmatch.core.match import VERDICTS
from trialmatch.core.review import REVIEW_STATES, STATE_LABELS
from trialmatch.web.app import ReviewSite, Visit, route
from trialmatch.web.filters import filter_from, page_number


def routes(site: ReviewSite) -> list[BaseRoute]:
    return [route("/", site.page(matches))]


def matches(visit: Visit) -> Response:
    query = visit.request.query_params
    chosen = filter_from(query, visit.user)
    found = list_page(
        visit.database,
        chosen,
        sites=visit.sites(),
        page=page_number(query),
        per_page=visit.site.config.per_page,
    )
    return visit.render(
        "matches.html",
        found=found,
        chosen=chosen,
        query=chosen.to_query(),
        verdicts=sorted(VERDICTS),
        states=REVIEW_STATES,
        state_labels=STATE_LABELS,
    )
