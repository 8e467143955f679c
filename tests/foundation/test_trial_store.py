from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils

from db import open_database
from db.trials import get_trial, iter_trials, store_trials
from trialmatch.core.errors import TrialNotFound
from trialmatch.core.trial import Site, Trial


@pytest.fixture
def database(tmp_path: Path) -> Iterator[sqlite_utils.Database]:
    database = open_database(tmp_path / "store.db")
    yield database
    database.conn.close()


def make_trial(status: str = "RECRUITING", title: str = "Baclofen") -> Trial:
    return Trial(
        registry="ctgov",
        trial_id="NCT05935553",
        source_url="https://example.invalid/NCT05935553",
        brief_title=title,
        overall_status=status,
        conditions=("Benzodiazepine Dependence",),
        minimum_age_years=18,
        maximum_age_years=65,
        eligibility_text="Inclusion Criteria:\n\n* Patients aged ≥ 18 years",
        sites=(Site(facility="Hospices Civils de Lyon", latitude=45.7, longitude=4.8),),
        raw={"protocolSection": {"statusModule": {"overallStatus": status}}},
    )


def test_unchanged_record_writes_nothing(database: sqlite_utils.Database) -> None:
    assert store_trials(database, [make_trial()]).new == 1
    database.execute("UPDATE trials SET needs_parse = 0")
    database.conn.commit()
    changes_before = database.conn.total_changes

    counts = store_trials(database, [make_trial()])

    assert (counts.new, counts.changed, counts.unchanged) == (0, 0, 1)
    assert database.conn.total_changes == changes_before


def test_changed_record_is_rewritten_and_marked_for_parsing(
    database: sqlite_utils.Database,
) -> None:
    store_trials(database, [make_trial()])
    first_seen = database.execute("SELECT first_seen FROM trials").fetchone()[0]
    database.execute("UPDATE trials SET needs_parse = 0")
    database.conn.commit()

    counts = store_trials(database, [make_trial(status="COMPLETED")])

    assert counts.changed == 1
    row = database.execute("SELECT needs_parse, first_seen, overall_status FROM trials").fetchone()
    assert row == (1, first_seen, "COMPLETED")
    assert database.execute("SELECT count(*) FROM sites").fetchone()[0] == 1


def test_round_trip_and_lookup(database: sqlite_utils.Database) -> None:
    store_trials(database, [make_trial()])
    stored = get_trial(database, "NCT05935553")
    assert stored == make_trial()
    assert stored.raw == make_trial().raw
    assert [trial.trial_id for trial in iter_trials(database, {"RECRUITING"})] == ["NCT05935553"]
    assert list(iter_trials(database, {"COMPLETED"})) == []
    with pytest.raises(TrialNotFound, match="no trial 'NCT0000'"):
        get_trial(database, "NCT0000")


def test_full_text_search_finds_conditions(database: sqlite_utils.Database) -> None:
    store_trials(database, [make_trial()])
    hits = list(database.table("trials").search("benzodiazepine"))
    assert [hit["trial_id"] for hit in hits] == ["NCT05935553"]
