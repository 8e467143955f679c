"""The review page's lists read the matches through their own indexes, whatever the filter."""

from __future__ import annotations

from pathlib import Path

import pytest

from db.connection import open_database
from db.review_lists import _where
from trialmatch.core.review import MatchFilter


@pytest.mark.parametrize(
    "chosen",
    [MatchFilter(), MatchFilter(new_only=True), MatchFilter(verdict="eligible", new_only=True)],
    ids=["all", "new", "eligible and new"],
)
def test_counting_a_list_reads_the_listed_pairs_index(tmp_path: Path, chosen: MatchFilter) -> None:
    with open_database(tmp_path / "trialmatch.db") as database:
        rows = [
            (f"P{n}", f"NCT{n:08d}", "possible", 0.5, 1.0, "Site", n % 2, n % 3 + 1)
            for n in range(2000)
        ]
        database.execute("PRAGMA foreign_keys = OFF")  # only the planner is under test
        database.conn.executemany(
            "INSERT INTO matches (patient_id, trial_id, verdict, score, distance_km, site,"
            " listed, first_listed_run) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        database.execute("ANALYZE")
        where = _where(chosen, None, 3)
        plan = " ".join(
            str(step[3])
            for step in database.execute(
                f"EXPLAIN QUERY PLAN SELECT count(*) FROM matches AS m WHERE {where.sql}",
                where.params,
            )
        )
    assert "matches_listed_order" in plan, plan
