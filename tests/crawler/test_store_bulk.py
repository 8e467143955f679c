"""The crawl's bulk store: multi-row INSERTs keep FTS5, sites, hashes and raw records right."""

from __future__ import annotations

import dataclasses
import inspect
import json

import pytest
import sqlite_utils

from db.trials import MAX_ROWS_PER_STATEMENT, get_trial, store_trials
from trialmatch.core.trial import Site, Trial

# Past one full chunk and into every smaller power of two: 256 + 128 + … + 1.
MANY = 2 * MAX_ROWS_PER_STATEMENT - 1


def trial(index: int, *, title: str = "Baclofen", status: str = "RECRUITING") -> Trial:
    return Trial(
        registry="ctgov",
        trial_id=f"NCT9{index:07d}",
        source_url=f"https://example.invalid/NCT9{index:07d}",
        brief_title=f"{title} study{index}",
        overall_status=status,
        conditions=("Benzodiazepine Dependence", "Müller syndrome"),
        eligibility_text=f"Inclusion Criteria:\n\n* aged ≥ 18 years\n* marker{index}",
        sites=tuple(
            Site(facility=f"Site {n}", country="France", latitude=45.0, longitude=4.0 + n)
            for n in range(index % 4)
        ),
        raw={"id": index, "title": title, "status": status, "é": [1.5, None, True]},
    )


def search(database: sqlite_utils.Database, words: str) -> list[str]:
    return sorted(hit["trial_id"] for hit in database.table("trials").search(words))


def fts_is_consistent(database: sqlite_utils.Database) -> bool:
    """The index as the store left it equals the index rebuilt from the trials table.

    (SQLite 3.40's 'integrity-check' does not compare an external-content
    index with its content, so the comparison is made by hand.)
    """

    def snapshot() -> tuple[list[tuple[object, ...]], dict[str, list[str]]]:
        sizes = [tuple(row) for row in database.execute("SELECT * FROM trials_fts_docsize")]
        words = ("baclofen", "ketamine", "müller", "marker7", "study1", "benzodiazepine")
        return sorted(sizes), {word: search(database, word) for word in words}

    before = snapshot()
    database.execute("INSERT INTO trials_fts(trials_fts) VALUES ('rebuild')")
    return snapshot() == before


def test_many_trials_are_stored_with_sites_hashes_and_raw_records(
    database: sqlite_utils.Database,
) -> None:
    trials = [trial(index) for index in range(MANY)]

    counts = store_trials(database, trials)

    assert (counts.new, counts.changed, counts.unchanged) == (MANY, 0, 0)
    assert database.execute("SELECT count(*) FROM trials").fetchone()[0] == MANY
    expected_sites = sum(len(t.sites) for t in trials)
    assert database.execute("SELECT count(*) FROM sites").fetchone()[0] == expected_sites
    for original in (trials[0], trials[MAX_ROWS_PER_STATEMENT], trials[-1]):
        stored = get_trial(database, original.trial_id)
        assert stored == original and stored.raw == original.raw
        row = database.execute(
            "SELECT content_hash, typeof(raw), raw FROM trials WHERE trial_id = ?",
            [original.trial_id],
        ).fetchone()
        assert row[0] == original.content_hash
        assert row[1] == "text"  # bound as bytes, stored as JSON text
        assert json.loads(row[2]) == {"version": 1, "record": original.raw}
    assert fts_is_consistent(database)


def test_fts_follows_inserts_and_updates(database: sqlite_utils.Database) -> None:
    store_trials(database, [trial(index) for index in range(MANY)])
    assert search(database, "marker7") == ["NCT90000007"]
    assert len(search(database, "baclofen")) == MANY
    assert len(search(database, "müller")) == MANY  # stored as words, not \\u escapes

    changed = [trial(index, title="Ketamine", status="COMPLETED") for index in range(0, MANY, 2)]
    counts = store_trials(database, [*changed, trial(1)])

    assert (counts.new, counts.changed, counts.unchanged) == (0, len(changed), 1)
    assert search(database, "ketamine") == sorted(t.trial_id for t in changed)
    assert len(search(database, "baclofen")) == MANY - len(changed)
    assert fts_is_consistent(database)


def test_a_trial_listed_twice_is_written_once_in_its_last_form(
    database: sqlite_utils.Database,
) -> None:
    counts = store_trials(database, [trial(1), trial(1, title="Ketamine")])

    assert (counts.new, counts.changed) == (1, 0)
    assert get_trial(database, "NCT90000001").brief_title == "Ketamine study1"
    assert search(database, "ketamine") == ["NCT90000001"]
    assert fts_is_consistent(database)


def test_site_init_takes_exactly_its_fields_in_order() -> None:
    parameters = list(inspect.signature(Site.__init__).parameters)[1:]
    assert parameters == [field.name for field in dataclasses.fields(Site)]
    site = Site("Hospital", "Lyon", None, "69003", "France", "RECRUITING", 45.7, 4.8)
    assert dataclasses.replace(site, city="Bron").city == "Bron"
    assert site == Site(facility="Hospital", city="Lyon", zip="69003", country="France",
                        status="RECRUITING", latitude=45.7, longitude=4.8)  # fmt: skip
    with pytest.raises(dataclasses.FrozenInstanceError):
        site.city = "Bron"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [(45.0, None), (None, 4.0), (91.0, 4.0), (45.0, 181.0)],
    ids=["latitude-only", "longitude-only", "latitude-range", "longitude-range"],
)
def test_site_still_refuses_bad_coordinates(
    latitude: float | None, longitude: float | None
) -> None:
    with pytest.raises(ValueError):
        Site(facility="x", latitude=latitude, longitude=longitude)
