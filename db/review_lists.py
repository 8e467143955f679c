"""The review page's lists of matches: filtered, ordered, paged, counted per review state.

Reads only the columns the lists need (never the stored evidence; the site
through `db.match_site`). Listed pairs are read in the order of the index
``matches_listed_order`` (verdict, then score, best first), so a page is a
walk along the index that stops when the page is full. Counts per state are
the number of listed pairs the filter selects, less those with a decision,
which are counted from the (small) decisions table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from db.connection import iter_rows, rows
from db.match_site import SITE_SOURCE, SITE_SQL, site_of
from db.review import decision_from_row, review_of
from trialmatch.core.review import ListedPair, ListPage, MatchFilter, StoredPair
from trialmatch.core.runs import MatchRun

if TYPE_CHECKING:
    from db.connection import Readable

LIST_COLUMNS = (
    "m.patient_id, m.trial_id, m.verdict, m.score, m.distance_km, m.listed,"
    " m.first_listed_run, m.last_run, m.trial_hash, m.patient_hash, m.criteria_version,"
    f" m.evaluated_at, {SITE_SOURCE}"
)
DECISION_COLUMNS = (
    "d.state, d.reason, d.user_name, d.at, d.trial_hash AS decided_trial_hash,"
    " d.patient_hash AS decided_patient_hash"
)
ORDER = "m.verdict, m.score DESC, m.patient_id, m.trial_id"
SAME_PAIR = "d.patient_id = m.patient_id AND d.trial_id = m.trial_id"
CHANGED = "(d.trial_hash IS NOT m.trial_hash OR d.patient_hash IS NOT m.patient_hash)"
# "needs re-review" wins over the decision's own state
STATE_SQL = f"CASE WHEN {CHANGED} THEN 'needs_rereview' ELSE d.state END"


@dataclass
class _Where:
    clauses: list[str] = field(default_factory=lambda: ["m.listed = 1"])
    params: list[Any] = field(default_factory=list)

    def add(self, clause: str, *params: Any) -> None:
        self.clauses.append(clause)
        self.params.extend(params)

    @property
    def sql(self) -> str:
        return " AND ".join(self.clauses)


def latest_run(database: Readable) -> int | None:
    """The id of the latest successful match run (what "new" is relative to)."""
    found = rows(database, "SELECT max(id) AS id FROM match_runs WHERE status = 'succeeded'")
    return None if not found or found[0]["id"] is None else int(found[0]["id"])


def _where(chosen: MatchFilter, sites: Sequence[str] | None, latest: int | None) -> _Where:
    """The filter as SQL, all but the review state; *sites* None: every site."""
    where = _Where()
    if sites is not None:
        marks = ",".join("?" * len(sites)) or "NULL"
        where.add(f"{SITE_SQL} IN ({marks})", *sites)
    if chosen.site:
        where.add(f"{SITE_SQL} = ?", chosen.site)
    if chosen.trial_id:
        where.add("m.trial_id = ?", chosen.trial_id)
    if chosen.patient_id:
        where.add("m.patient_id = ?", chosen.patient_id)
    if chosen.verdict:
        where.add("m.verdict = ?", chosen.verdict)
    if chosen.new_only:
        where.add("m.first_listed_run = ?", latest if latest is not None else -1)
    if chosen.max_distance_km is not None:
        where.add("m.distance_km <= ?", chosen.max_distance_km)
    query = title_query(chosen.text or "")
    if query:
        where.add(
            "m.trial_id IN (SELECT t.trial_id FROM trials_fts JOIN trials AS t"
            " ON t.rowid = trials_fts.rowid WHERE trials_fts MATCH ?)",
            query,
        )
    return where


def _state_clause(state: str | None) -> tuple[str, list[Any]]:
    if state is None:
        return "", []
    if state == "to_review":
        return f" AND NOT EXISTS (SELECT 1 FROM decisions AS d WHERE {SAME_PAIR})", []
    if state == "needs_rereview":
        return f" AND EXISTS (SELECT 1 FROM decisions AS d WHERE {SAME_PAIR} AND {CHANGED})", []
    return (
        f" AND EXISTS (SELECT 1 FROM decisions AS d WHERE {SAME_PAIR} AND d.state = ?"
        f" AND NOT {CHANGED})",
        [state],
    )


def title_query(text: str) -> str | None:
    """Free text as an FTS5 query over trial titles: every word, the last one as a prefix."""
    words = re.findall(r"\w+", text)
    if not words:
        return None
    quoted = [f'"{word}"' for word in words]
    quoted[-1] += "*"
    return "{brief_title official_title} : (" + " ".join(quoted) + ")"


def count_states(
    database: Readable, chosen: MatchFilter, sites: Sequence[str] | None, latest: int | None
) -> dict[str, int]:
    """How many pairs the filter (its state aside) selects in each review state."""
    where = _where(chosen, sites, latest)
    total = rows(
        database, f"SELECT count(*) AS n FROM matches AS m WHERE {where.sql}", where.params
    )
    counts = dict.fromkeys(("to_review", "referred", "contacted", "rejected", "needs_rereview"), 0)
    decided = rows(
        database,
        f"SELECT {STATE_SQL} AS state, count(*) AS n FROM decisions AS d"
        f" JOIN matches AS m ON {SAME_PAIR} WHERE {where.sql} GROUP BY 1",
        where.params,
    )
    for row in decided:
        counts[row["state"]] = int(row["n"])
    counts["to_review"] = int(total[0]["n"]) - sum(int(row["n"]) for row in decided)
    return counts


def list_page(
    database: Readable,
    chosen: MatchFilter,
    *,
    sites: Sequence[str] | None,
    page: int = 1,
    per_page: int = 50,
) -> ListPage:
    """One page of the filtered list, best first, with counts per review state."""
    latest = latest_run(database)
    counts = count_states(database, chosen, sites, latest)
    total = counts[chosen.state] if chosen.state else sum(counts.values())
    page = max(1, min(page, max(1, -(-total // per_page))))
    pairs = tuple(
        _pairs(database, chosen, sites, latest, limit=per_page, offset=(page - 1) * per_page)
    )
    return ListPage(pairs=pairs, total=total, page=page, per_page=per_page, counts=counts)


def iter_listed(
    database: Readable, chosen: MatchFilter, *, sites: Sequence[str] | None
) -> Iterator[ListedPair]:
    """Every pair the filter selects, in list order (for exports), read as one query."""
    yield from _pairs(database, chosen, sites, latest_run(database), limit=-1, offset=0)


def _pairs(
    database: Readable,
    chosen: MatchFilter,
    sites: Sequence[str] | None,
    latest: int | None,
    *,
    limit: int,
    offset: int,
) -> Iterator[ListedPair]:
    where = _where(chosen, sites, latest)
    state_sql, state_params = _state_clause(chosen.state)
    # the page's pairs first, from the index alone (a deep page skips index entries, not
    # joined rows), then their columns, decisions and titles
    found = iter_rows(
        database,
        f"SELECT {LIST_COLUMNS}, {DECISION_COLUMNS}, t.brief_title, t.official_title"
        " FROM (SELECT m.patient_id, m.trial_id FROM matches AS m"
        f" WHERE {where.sql}{state_sql} ORDER BY {ORDER} LIMIT ? OFFSET ?) AS page"
        " JOIN matches AS m ON m.patient_id = page.patient_id AND m.trial_id = page.trial_id"
        f" LEFT JOIN decisions AS d ON {SAME_PAIR}"
        f" LEFT JOIN trials AS t ON t.trial_id = m.trial_id ORDER BY {ORDER}",
        [*where.params, *state_params, limit, offset],
    )
    for row in found:
        yield _listed(row, latest)


def _listed(row: dict[str, Any], latest: int | None) -> ListedPair:
    decision = None
    if row["state"] is not None:
        decision = decision_from_row(
            row
            | {"trial_hash": row["decided_trial_hash"], "patient_hash": row["decided_patient_hash"]}
        )
    return ListedPair(
        patient_id=row["patient_id"],
        trial_id=row["trial_id"],
        title=row["brief_title"] or row["official_title"] or "",
        verdict=row["verdict"],
        score=float(row["score"]),
        distance_km=row["distance_km"],
        site=site_of(row),
        new=latest is not None and row["first_listed_run"] == latest,
        review=review_of(decision, row["trial_hash"], row["patient_hash"]),
    )


def stored_pair(database: Readable, pair: tuple[str, str]) -> StoredPair | None:
    """The pair's match row (listed or not), without its evidence."""
    found = rows(
        database,
        f"SELECT {LIST_COLUMNS}, m.evaluated_on FROM matches AS m"
        " WHERE m.patient_id = ? AND m.trial_id = ?",
        list(pair),
    )
    if not found:
        return None
    row = found[0]
    return StoredPair(
        patient_id=row["patient_id"],
        trial_id=row["trial_id"],
        verdict=row["verdict"],
        score=float(row["score"]),
        distance_km=row["distance_km"],
        site=site_of(row),
        listed=bool(row["listed"]),
        first_listed_run=row["first_listed_run"],
        last_run=row["last_run"],
        trial_hash=row["trial_hash"],
        patient_hash=row["patient_hash"],
        criteria_version=row["criteria_version"],
        evaluated_at=row["evaluated_at"],
        evaluated_on=row["evaluated_on"],
    )


def run_today(database: Readable, run_id: int | None) -> str | None:
    """The date a match run evaluated rules against."""
    if run_id is None:
        return None
    found = rows(database, "SELECT today FROM match_runs WHERE id = ?", [run_id])
    return found[0]["today"] if found else None


def recent_match_runs(database: Readable, limit: int = 10) -> list[MatchRun]:
    found = rows(database, "SELECT * FROM match_runs ORDER BY id DESC LIMIT ?", [limit])
    return [MatchRun.from_row(row) for row in found]


def matches_by_site(
    database: Readable, trial_id: str, sites: Sequence[str] | None
) -> dict[str | None, tuple[int, float | None]]:
    """For one trial: per nearest site, how many listed pairs and the nearest distance."""
    where = _where(MatchFilter(trial_id=trial_id), sites, None)
    found = rows(
        database,
        f"SELECT {SITE_SQL} AS site, count(*) AS n, min(m.distance_km) AS nearest"
        f" FROM matches AS m WHERE {where.sql} GROUP BY 1",
        where.params,
    )
    return {row["site"]: (int(row["n"]), row["nearest"]) for row in found}
