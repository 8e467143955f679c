"""The CTIS crawl against a local server replaying recorded portal responses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlite_utils
from registry_files import raw
from support.replay_server import ReplayServer, Request, json_bytes

from crawler.client import build_client
from crawler.crawl import crawl_registry, plan_crawl
from crawler.polite import PoliteFetcher
from crawler.sources import ctis
from db.runs import crawl_errors
from db.trials import get_trial
from trialmatch.core.runs import CrawlRun
from trialmatch.core.settings import Settings

PAGE_ONE = raw("ctis/search-breast-cancer-page1.json").read_bytes()
PAST_THE_LAST = raw("ctis/search-breast-cancer-page1000.json").read_bytes()
REFUSED = raw("ctis/search-refused-body.json").read_bytes()
RETRIEVED = raw("ctis/retrieve-authorised-2026-525672-26-01.json").read_bytes()
UNKNOWN = raw("ctis/retrieve-unknown.json").read_bytes()


def _search(request: Request) -> tuple[int, str, bytes]:
    # The recorded first page, then the recorded page past the last one.
    page = request.body["pagination"]["page"]
    return json_bytes(200, PAGE_ONE if page == 1 else PAST_THE_LAST)


def _retrieve(request: Request) -> tuple[int, str, bytes]:
    # The one full record recorded; the other number answers {} as for an unknown one.
    known = request.path.endswith("/2026-525672-26-01")
    return json_bytes(200, RETRIEVED if known else UNKNOWN)


@pytest.fixture
def portal() -> Iterator[ReplayServer]:
    routes = {
        ("POST", "/ctis-public-api/search"): _search,
        ("GET", "/ctis-public-api/retrieve/*"): _retrieve,
    }
    with ReplayServer(routes) as server:
        yield server


def _crawl(settings: Settings, database: sqlite_utils.Database, base_url: str) -> CrawlRun:
    with build_client(settings) as client:
        fetcher = PoliteFetcher(client, settings)
        plan = plan_crawl(database, page_size=2, online=ctis.ONLINE)
        return crawl_registry(database, fetcher, ctis.ONLINE, base_url=base_url, plan=plan)


def test_pages_to_the_end_retrieving_each_trial(
    settings: Settings, database: sqlite_utils.Database, portal: ReplayServer
) -> None:
    run = _crawl(settings, database, f"{portal.base_url}/ctis-public-api")

    assert run.status == "succeeded"
    assert run.pages == 2  # the recorded page, then the empty page past the last
    searches = [r.body for r in portal.requests if r.method == "POST"]
    assert [body["pagination"]["page"] for body in searches] == [1, 2]
    assert searches[0]["searchCriteria"] == {"status": [2, 3, 4]}
    assert searches[0]["pagination"]["size"] == 2
    retrieved = [r.path for r in portal.requests if "/retrieve/" in r.path]
    assert retrieved == [
        "/ctis-public-api/retrieve/2026-525672-26-01",
        "/ctis-public-api/retrieve/2024-518348-19-00",
    ]
    trial = get_trial(database, "2026-525672-26-01")
    assert (trial.registry, trial.overall_status, trial.status) == (
        "ctis",
        "Authorised, recruitment pending",
        "not yet recruiting",
    )
    assert (trial.sex, trial.minimum_age_years, trial.maximum_age_years) == ("FEMALE", 18.0, 64.0)
    assert trial.eligibility_text is not None
    assert "1. Women aged 35 to 50 years." in trial.eligibility_text
    assert trial.criteria_language == "en"
    # the number CTIS does not know is quarantined; the run goes on
    assert run.studies_new == 1 and run.studies_failed == 1
    errors = crawl_errors(database, run.id)
    assert [e.url.rsplit("/", 1)[-1] for e in errors] == ["2024-518348-19-00"]
    assert "gave no record" in errors[0].error


def test_a_refused_request_fails_the_run_and_keeps_its_cursor(
    settings: Settings, database: sqlite_utils.Database
) -> None:
    routes = {("POST", "/api/search"): lambda _: json_bytes(200, REFUSED)}
    with ReplayServer(routes) as server:
        run = _crawl(settings, database, f"{server.base_url}/api")

    assert run.status == "failed"
    assert run.cursor is None and run.pages == 0
    assert "CTIS refused the search" in (run.message or "")
    assert [e.error for e in crawl_errors(database, run.id)] == [run.message]


def test_an_incremental_crawl_retrieves_only_rows_updated_since(
    settings: Settings, database: sqlite_utils.Database, portal: ReplayServer
) -> None:
    import datetime as dt

    with build_client(settings) as client:
        fetcher = PoliteFetcher(client, settings)
        plan = plan_crawl(database, page_size=2, since=dt.date(2026, 10, 2), online=ctis.ONLINE)
        run = crawl_registry(
            database,
            fetcher,
            ctis.ONLINE,
            base_url=f"{portal.base_url}/ctis-public-api",
            plan=plan,
        )

    assert (run.status, run.mode) == ("succeeded", "incremental")
    searches = [r.body for r in portal.requests if r.method == "POST"]
    assert searches[0]["searchCriteria"] == {}  # every status: closures must be seen
    # both rows were last updated on 01/10/2026, before the date asked for
    assert not [r for r in portal.requests if "/retrieve/" in r.path]
