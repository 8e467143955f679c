"""`/export.csv` and `/export.xlsx`: the filtered list, every page of it, in list order.

Registry text is untrusted: a CSV cell that a spreadsheet would read as a
formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return) is prefixed with an apostrophe; XLSX cells are written as strings,
never as formulas.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from starlette.responses import Response
from starlette.routing import BaseRoute

from db.review_lists import iter_listed
from trialmatch.core.clock import utc_now
from trialmatch.core.review import STATE_LABELS, ListedPair
from trialmatch.web.app import ReviewSite, Visit, route
from trialmatch.web.filters import filter_from

COLUMNS = (
    "patient_id",
    "trial_id",
    "title",
    "verdict",
    "score",
    "distance_km",
    "site",
    "new",
    "state",
    "decided_by",
    "decided_at",
    "reason",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def routes(site: ReviewSite) -> list[BaseRoute]:
    return [
        route("/export.csv", site.page(export_csv)),
        route("/export.xlsx", site.page(export_xlsx)),
    ]


def _listed(visit: Visit) -> Iterator[ListedPair]:
    chosen = filter_from(visit.request.query_params, visit.user)
    return iter_listed(visit.database, chosen, sites=visit.sites())


def _cells(pair: ListedPair) -> list[str | float | None]:
    decision = pair.review.decision
    return [
        pair.patient_id,
        pair.trial_id,
        pair.title,
        pair.verdict,
        pair.score,
        pair.distance_km,
        pair.site or "",
        "yes" if pair.new else "",
        STATE_LABELS[pair.review.state],
        decision.by if decision else "",
        decision.at if decision else "",
        decision.reason if decision else "",
    ]


def _inert(value: str | float | None) -> str | float | None:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(pairs: Iterable[ListedPair]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for pair in pairs:
        writer.writerow([_inert(cell) for cell in _cells(pair)])
    return buffer.getvalue()


def export_csv(visit: Visit) -> Response:
    return Response(
        csv_text(_listed(visit)),
        media_type="text/csv; charset=utf-8",
        headers=_attachment("csv"),
    )


def xlsx_bytes(pairs: Iterable[ListedPair]) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "constant_memory": True})
    sheet = workbook.add_worksheet("matches")
    for column, name in enumerate(COLUMNS):
        sheet.write_string(0, column, name)
    for row, pair in enumerate(pairs, start=1):
        for column, cell in enumerate(_cells(pair)):
            if isinstance(cell, float | int):
                sheet.write_number(row, column, cell)
            elif cell:
                sheet.write_string(row, column, cell)
    workbook.close()
    return buffer.getvalue()


def export_xlsx(visit: Visit) -> Response:
    return Response(xlsx_bytes(_listed(visit)), media_type=XLSX, headers=_attachment("xlsx"))


def _attachment(extension: str) -> dict[str, str]:
    stamp = utc_now()[:10]
    return {"content-disposition": f'attachment; filename="matches-{stamp}.{extension}"'}
