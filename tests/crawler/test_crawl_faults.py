"""Faults the crawl must ride through: 429, 503, cut bodies, stalls, bad JSON, robots.txt."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import httpx
import pytest
import sqlite_utils
from crawl_testing import crawl_with, stored_ids
from support.faulty_server import INVALID_JSON, TRUNCATE, Fault, FaultyServer

from crawler.client import build_client
from crawler.polite import MAX_RETRY_AFTER_SECONDS, PoliteFetcher, parse_retry_after
from crawler.sources import ctgov
from db.runs import crawl_errors
from trialmatch.core.errors import FetchError, RobotsDisallowed, UnsupportedFormat
from trialmatch.core.settings import Settings

STUDIES = "/api/v2/studies"


def test_429_waits_as_long_as_retry_after_asks(
    settings: Settings,
    server: FaultyServer,
    database: sqlite_utils.Database,
    crawlable_ids: set[str],
) -> None:
    server.script(STUDIES, [None, Fault.http(429, retry_after="7")])
    sleeps: list[float] = []

    run = crawl_with(settings, sleeps=sleeps)

    assert run.status == "succeeded"
    assert stored_ids(database) == crawlable_ids
    assert max(sleeps) >= 7.0  # far above the 0.05 s backoff ceiling: Retry-After won
    second_page_requests = server.requests_to(STUDIES)[1:3]
    assert second_page_requests[0] == second_page_requests[1]


def test_retry_after_beyond_a_quarter_hour_gives_up(
    settings: Settings, server: FaultyServer
) -> None:
    server.script(STUDIES, [Fault.http(429, retry_after=str(int(MAX_RETRY_AFTER_SECONDS) + 1))])

    with build_client(settings) as client, pytest.raises(FetchError, match="retry in"):
        PoliteFetcher(client, settings).fetch(server.base_url + "/studies", {}, lambda b, u: b)


@pytest.mark.parametrize(
    "fault",
    [Fault.http(503), Fault.http(500), Fault.http(408), TRUNCATE, INVALID_JSON],
    ids=["503", "500", "408", "body-cut-short", "invalid-json"],
)
def test_transient_fault_on_a_page_is_retried_and_nothing_is_lost(
    settings: Settings,
    server: FaultyServer,
    database: sqlite_utils.Database,
    crawlable_ids: set[str],
    fault: Fault,
) -> None:
    server.script(STUDIES, [None, None, fault, fault])

    run = crawl_with(settings, sleeps=[])

    assert run.status == "succeeded"
    assert stored_ids(database) == crawlable_ids
    assert run.studies_new == len(crawlable_ids)
    assert len(server.requests_to(STUDIES)) == run.pages + 2


def test_a_stall_longer_than_the_timeout_is_retried(
    settings: Settings,
    server: FaultyServer,
    database: sqlite_utils.Database,
    crawlable_ids: set[str],
) -> None:
    server.script(STUDIES, [None, Fault.stall(settings.request_timeout * 4)])

    run = crawl_with(settings)

    assert run.status == "succeeded"
    assert stored_ids(database) == crawlable_ids


def test_a_page_that_stays_bad_is_recorded_and_the_next_crawl_resumes_there(
    settings: Settings,
    server: FaultyServer,
    database: sqlite_utils.Database,
    crawlable_ids: set[str],
) -> None:
    attempts = settings.max_retries + 1
    server.script(STUDIES, [None, None, *[INVALID_JSON] * attempts])

    failed = crawl_with(settings, sleeps=[])

    assert failed.status == "failed"
    assert failed.pages == 2 and failed.cursor is not None
    (error,) = crawl_errors(database, failed.id)
    assert "invalid JSON" in error.error
    assert "not json" in error.excerpt
    assert "pageToken=" in error.url

    resumed = crawl_with(settings, sleeps=[])

    assert resumed.id == failed.id
    assert resumed.status == "succeeded"
    assert stored_ids(database) == crawlable_ids
    assert resumed.studies_new == len(crawlable_ids)
    assert server.requests_to(STUDIES)[-resumed.pages + 2]["pageToken"] == failed.cursor


def test_503_for_good_fails_the_run_with_its_status(
    settings: Settings, server: FaultyServer, database: sqlite_utils.Database
) -> None:
    server.script(STUDIES, [Fault.http(503)] * (settings.max_retries + 1))

    run = crawl_with(settings, sleeps=[])

    assert run.status == "failed"
    assert "503" in (run.message or "")
    assert stored_ids(database) == set()
    assert len(server.requests_to(STUDIES)) == settings.max_retries + 1


def test_a_404_is_not_retried(settings: Settings, server: FaultyServer) -> None:
    with build_client(settings) as client, pytest.raises(FetchError) as raised:
        PoliteFetcher(client, settings).fetch(server.base_url + "/nowhere", {}, lambda b, u: b)

    assert raised.value.status == 404
    assert len(server.requests_to("/api/v2/nowhere")) == 1


def test_robots_txt_that_disallows_stops_the_crawl_before_any_request(
    settings: Settings, server: FaultyServer, database: sqlite_utils.Database
) -> None:
    server.robots_txt = "User-agent: trialmatch\nDisallow: /api/\n"

    run = crawl_with(settings)

    assert run.status == "failed"
    assert server.requests_to(STUDIES) == []
    (error,) = crawl_errors(database, run.id)
    assert "robots.txt forbids" in error.error


def test_robots_txt_for_other_agents_does_not_stop_us(
    settings: Settings,
    server: FaultyServer,
    crawlable_ids: set[str],
    database: sqlite_utils.Database,
) -> None:
    server.robots_txt = "User-agent: otherbot\nDisallow: /\n"

    assert crawl_with(settings).status == "succeeded"
    assert stored_ids(database) == crawlable_ids


def test_robots_crawl_delay_spaces_the_requests(settings: Settings, server: FaultyServer) -> None:
    server.robots_txt = "User-agent: *\nCrawl-delay: 3\n"
    sleeps: list[float] = []

    run = crawl_with(settings, sleeps=sleeps)

    spacing = [wait for wait in sleeps if wait > 2.5]
    assert len(spacing) == run.pages  # robots.txt, then each page, each 3 s apart


def test_configured_delay_spaces_the_requests(settings: Settings, server: FaultyServer) -> None:
    sleeps: list[float] = []

    run = crawl_with(dataclasses.replace(settings, request_delay=5.0), sleeps=sleeps)

    assert len([wait for wait in sleeps if 4.5 < wait <= 5.0]) == run.pages  # robots.txt too


def test_unreachable_robots_txt_means_disallow_all(
    settings: Settings, server: FaultyServer
) -> None:
    server.script("/robots.txt", [Fault.http(503)] * (settings.max_retries + 1))

    with build_client(settings) as client, pytest.raises(RobotsDisallowed, match="unreachable"):
        fetcher = PoliteFetcher(client, settings, sleep=lambda _: None)
        fetcher.fetch(server.base_url + "/studies", {}, lambda b, u: b)


def test_missing_robots_txt_allows_everything(settings: Settings, server: FaultyServer) -> None:
    server.script("/robots.txt", [Fault.http(404)])

    with build_client(settings) as client:
        body = PoliteFetcher(client, settings).fetch(
            server.base_url + "/studies/NCT05935553", {}, lambda b, u: b
        )

    assert b"NCT05935553" in body


def test_robots_can_be_switched_off_for_a_benchmark(
    settings: Settings, server: FaultyServer
) -> None:
    crawl_with(dataclasses.replace(settings, obey_robots=False))

    assert server.requests_to("/robots.txt") == []


def test_the_client_names_us_and_our_contact() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["User-Agent"])
        return httpx.Response(200, json={"studies": []})

    settings = Settings(contact="ops@hospital.example", obey_robots=False)
    with build_client(settings, transport=httpx.MockTransport(handler)) as client:
        PoliteFetcher(client, settings).fetch(
            "https://registry.example/studies", {}, lambda b, u: b
        )

    assert seen and seen[0].startswith("trialmatch/") and "ops@hospital.example" in seen[0]


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        ("Wed, 25 Nov 2026 00:02:00 GMT", 120.0),
        ("Tue, 24 Nov 2026 23:00:00 GMT", 0.0),
        ("soon", None),
        (None, None),
    ],
    ids=["delta-seconds", "http-date", "date-in-the-past", "garbage", "absent"],
)
def test_retry_after_header_forms(header: str | None, seconds: float | None) -> None:
    now = dt.datetime(2026, 11, 25, 0, 0, tzinfo=dt.UTC)

    assert parse_retry_after(header, now=now) == seconds


def test_a_v1_payload_is_refused_at_once_not_retried(
    fixture_bytes: Callable[[str], bytes],
) -> None:
    requests: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(str(request.url))
        return httpx.Response(200, content=fixture_bytes("v1_NCT00023673.json"))

    settings = Settings(obey_robots=False, request_delay=0.0)
    with build_client(settings, transport=httpx.MockTransport(handler)) as client:
        fetcher = PoliteFetcher(client, settings)
        with pytest.raises(UnsupportedFormat, match="API v1"):
            fetcher.fetch(
                "https://registry.example/api/v2/studies/NCT00023673", {}, ctgov.read_page
            )

    assert len(requests) == 1
