"""EUCTR and ISRCTN crawls against a local server replaying recorded responses."""

from __future__ import annotations

import datetime as dt

import sqlite_utils
from registry_files import converted, raw
from support.replay_server import ReplayServer, Request

from crawler.client import build_client
from crawler.crawl import crawl_registry, plan_crawl
from crawler.paging import OnlineRegistry
from crawler.sources import euctr, isrctn
from db.trials import get_trial, known_trial_ids
from trialmatch.core.runs import CrawlRun
from trialmatch.core.settings import Settings

SEARCH_PAGE = raw("euctr/euctr_search_query_2015-000590-12.html").read_bytes()
DOWNLOAD = (converted("euctr/euctr_fulltext_download_2_trials.txt")).read_bytes()
ALL_TRIALS = raw("isrctn/isrctn_api_allTrials_query_5trials.xml").read_bytes()
NO_TRIALS = b'<allTrials totalCount="0" xmlns="http://www.67bricks.com/isrctn"></allTrials>'


def _crawl(
    settings: Settings,
    database: sqlite_utils.Database,
    online: OnlineRegistry,
    base_url: str,
    since: dt.date | None = None,
) -> CrawlRun:
    with build_client(settings) as client:
        from crawler.polite import PoliteFetcher

        fetcher = PoliteFetcher(client, settings)
        plan = plan_crawl(database, page_size=10, since=since, full=since is None, online=online)
        return crawl_registry(database, fetcher, online, base_url=base_url, plan=plan)


def test_euctr_pages_by_search_page_and_reads_the_full_text_download(
    settings: Settings, database: sqlite_utils.Database
) -> None:
    routes = {
        ("GET", "/ctr-search/search"): lambda _: (200, "text/html", SEARCH_PAGE),
        ("GET", "/ctr-search/rest/download/full"): lambda _: (200, "text/plain", DOWNLOAD),
    }
    with ReplayServer(routes) as server:
        run = _crawl(settings, database, euctr.ONLINE, server.base_url)

    assert (run.status, run.pages) == ("succeeded", 1)  # "Displaying page 1 of 1."
    asked = [(r.path, r.query) for r in server.requests if r.path != "/robots.txt"]
    assert asked == [
        ("/ctr-search/search", {"status": "ongoing", "page": "1"}),
        (
            "/ctr-search/rest/download/full",
            {"status": "ongoing", "page": "1", "mode": "current_page"},
        ),
    ]
    assert run.studies_new == 8  # the member-state records of the download
    assert get_trial(database, "2021-002179-21-HU").overall_status == "Ongoing"


def _isrctn_window(request: Request) -> tuple[int, str, bytes]:
    # the recorded records were all last edited in 2025-2026
    query = request.query["q"]
    start = query.split("GE ", 1)[1][:10]
    return 200, "application/xml", ALL_TRIALS if start.startswith(("2025", "2026")) else NO_TRIALS


def test_isrctn_walks_windows_of_edit_dates(
    settings: Settings, database: sqlite_utils.Database
) -> None:
    routes = {("GET", "/api/query/format/default"): _isrctn_window}
    since = dt.date(2025, 1, 1)
    with ReplayServer(routes) as server:
        run = _crawl(settings, database, isrctn.ONLINE, server.base_url, since=since)

    assert (run.status, run.mode) == ("succeeded", "incremental")
    windows = [r.query["q"] for r in server.requests if r.path.startswith("/api/")]
    assert windows[0] == (
        "lastEdited GE 2025-01-01T00:00:00.000Z AND lastEdited LT 2025-02-01T00:00:00.000Z"
    )
    assert run.pages == len(windows) and len(windows) >= 23  # monthly windows up to today
    assert known_trial_ids(database, ["ISRCTN41823570", "ISRCTN15873887"]) == {
        "ISRCTN41823570",
        "ISRCTN15873887",
    }
