"""Full and incremental crawls against the loopback API v2 server."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import sqlite_utils
from crawl_testing import Study, crawl_with, nct_id, status_of, stored_ids, table_rows, with_status
from support.faulty_server import FaultyServer

from crawler.client import build_client
from crawler.crawl import crawl_one_study
from crawler.polite import PoliteFetcher
from db.runs import crawl_errors
from db.trials import get_trial, iter_trials
from trialmatch.core.errors import FetchError
from trialmatch.core.settings import Settings
from trialmatch.core.trial import MATCHABLE_STATUSES

STUDIES = "/api/v2/studies"
TODAY = dt.date.today().isoformat()


def _without_token(query: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in query.items() if key != "pageToken"}


def test_full_crawl_follows_every_page_with_the_same_query(
    settings: Settings,
    server: FaultyServer,
    database: sqlite_utils.Database,
    crawlable_ids: set[str],
) -> None:
    run = crawl_with(settings)

    requests = server.requests_to(STUDIES)
    assert run.status == "succeeded", run.message
    assert run.mode == "full"
    assert stored_ids(database) == crawlable_ids
    assert run.pages == len(requests) == -(-len(crawlable_ids) // settings.page_size)
    assert run.studies_new == len(crawlable_ids)
    assert "pageToken" not in requests[0]
    assert all("pageToken" in query for query in requests[1:])
    assert all(_without_token(query) == requests[0] for query in requests)
    assert requests[0]["filter.overallStatus"] == (
        "ENROLLING_BY_INVITATION,NOT_YET_RECRUITING,RECRUITING"
    )
    assert run.cursor is None


def test_pages_shorter_than_asked_are_followed_to_the_end(
    settings: Settings,
    server: FaultyServer,
    database: sqlite_utils.Database,
    crawlable_ids: set[str],
) -> None:
    server.max_page_size = 4  # the server caps pageSize below what we ask

    run = crawl_with(dataclasses.replace(settings, page_size=50))

    assert run.status == "succeeded"
    assert stored_ids(database) == crawlable_ids
    assert run.pages == -(-len(crawlable_ids) // 4)
    assert {query["pageSize"] for query in server.requests_to(STUDIES)} == {"50"}


def test_enrolling_by_invitation_is_stored_but_not_matchable(
    settings: Settings,
    server: FaultyServer,
    database: sqlite_utils.Database,
    snapshot_studies: list[Study],
) -> None:
    completed = next(s for s in snapshot_studies if status_of(s) == "COMPLETED")
    server.put_study(with_status(completed, "ENROLLING_BY_INVITATION", "2026-01-01"))

    crawl_with(settings)

    trial = get_trial(database, nct_id(completed))
    assert trial.overall_status == "ENROLLING_BY_INVITATION"
    matchable = {t.trial_id for t in iter_trials(database, MATCHABLE_STATUSES)}
    assert nct_id(completed) not in matchable


def test_incremental_crawl_brings_a_closure_and_skips_unknown_closed_studies(
    settings: Settings,
    server: FaultyServer,
    database: sqlite_utils.Database,
    snapshot_studies: list[Study],
) -> None:
    crawl_with(settings)
    recruiting = next(s for s in snapshot_studies if status_of(s) == "RECRUITING")
    never_seen_closed = next(s for s in snapshot_studies if status_of(s) == "COMPLETED")
    database.execute("UPDATE trials SET needs_parse = 0")
    server.put_study(with_status(recruiting, "COMPLETED", TODAY))
    server.put_study(with_status(never_seen_closed, "COMPLETED", TODAY))

    run = crawl_with(settings)

    query = server.requests_to(STUDIES)[-1]
    assert run.mode == "incremental"
    assert "filter.overallStatus" not in query
    since = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    assert query["filter.advanced"] == f"AREA[LastUpdatePostDate]RANGE[{since},MAX]"
    assert (run.studies_changed, run.studies_new, run.studies_skipped) == (1, 0, 1)
    assert get_trial(database, nct_id(recruiting)).overall_status == "COMPLETED"
    assert nct_id(never_seen_closed) not in stored_ids(database)
    matchable = {t.trial_id for t in iter_trials(database, MATCHABLE_STATUSES)}
    assert nct_id(recruiting) not in matchable
    marked = database.execute("SELECT trial_id FROM trials WHERE needs_parse = 1").fetchall()
    assert marked == [(nct_id(recruiting),)]


def test_incremental_crawl_from_a_given_date(
    settings: Settings,
    server: FaultyServer,
    database: sqlite_utils.Database,
    snapshot_studies: list[Study],
) -> None:
    since = dt.date(2025, 7, 1)
    expected = {
        nct_id(s)
        for s in snapshot_studies
        if status_of(s) in {"RECRUITING", "NOT_YET_RECRUITING"}
        and s["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] >= "2025-07-01"
    }

    run = crawl_with(settings, since=since)

    assert run.mode == "incremental"
    assert expected and stored_ids(database) == expected


def test_second_crawl_with_nothing_new_writes_only_its_run_record(
    settings: Settings, server: FaultyServer, database: sqlite_utils.Database
) -> None:
    crawl_with(settings)
    before = {table: table_rows(database, table) for table in ("trials", "sites", "crawl_errors")}
    runs_before = table_rows(database, "crawl_runs")

    incremental = crawl_with(settings)
    full_again = crawl_with(settings, full=True)

    assert {t: table_rows(database, t) for t in before} == before
    assert table_rows(database, "crawl_runs")[: len(runs_before)] == runs_before
    assert len(table_rows(database, "crawl_runs")) == len(runs_before) + 2
    assert incremental.pages == 1 and incremental.studies_new + incremental.studies_changed == 0
    stored = len(stored_ids(database))
    assert (full_again.studies_new, full_again.studies_changed) == (0, 0)
    assert full_again.studies_unchanged == stored


def test_a_bad_record_is_recorded_and_the_page_goes_on(
    settings: Settings,
    server: FaultyServer,
    database: sqlite_utils.Database,
    snapshot_studies: list[Study],
    crawlable_ids: set[str],
) -> None:
    broken = with_status(
        next(s for s in snapshot_studies if status_of(s) == "RECRUITING"),
        "RECRUITING",
        "2026-01-01",
    )
    broken["protocolSection"]["eligibilityModule"]["sex"] = "SOMETIMES"
    server.put_study(broken)

    run = crawl_with(settings)

    assert run.status == "succeeded"
    assert run.studies_failed == 1
    assert stored_ids(database) == crawlable_ids - {nct_id(broken)}
    (error,) = crawl_errors(database, run.id)
    assert nct_id(broken) in error.error and "SOMETIMES" in error.excerpt


def test_one_study_by_its_id(settings: Settings, database: sqlite_utils.Database) -> None:
    with build_client(settings) as client:
        fetcher = PoliteFetcher(client, settings)
        trial = crawl_one_study(
            database, fetcher, base_url=settings.ctgov_base_url, nct_id="NCT05935553"
        )
        with pytest.raises(FetchError) as missing:
            crawl_one_study(
                database, fetcher, base_url=settings.ctgov_base_url, nct_id="NCT00000000"
            )

    assert trial.trial_id == "NCT05935553"
    assert get_trial(database, "NCT05935553").sites == trial.sites
    assert missing.value.status == 404


def test_the_demo_crawls_the_bundled_snapshot_through_the_real_code_path(
    settings: Settings, database: sqlite_utils.Database, crawlable_ids: set[str]
) -> None:
    from trialmatch.steps.crawl_step import run_snapshot_crawl_step

    report = run_snapshot_crawl_step(dataclasses.replace(settings, page_size=1000), quiet=True)

    assert report.errors == []
    assert report.counts["new"] == len(crawlable_ids) == 89
    assert stored_ids(database) == crawlable_ids
