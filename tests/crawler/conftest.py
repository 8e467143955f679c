"""Fixtures of the crawler suite: one loopback API v2 server for the session,
real records from shared/data, and settings with tiny delays."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from crawl_testing import FIXTURES, Study, nct_id, status_of
from support.faulty_server import FaultyServer

from db import open_database
from trialmatch.core.settings import Settings
from trialmatch.core.trial import CRAWLED_STATUSES, study_status
from trialmatch.demo_data.ctgov import load_snapshot_studies


@pytest.fixture(scope="session")
def snapshot_studies() -> list[Study]:
    """The 120 real API v2 records bundled for the demo (copied from shared/data)."""
    return load_snapshot_studies()


@pytest.fixture(scope="session")
def crawlable_ids(snapshot_studies: list[Study]) -> set[str]:
    return {nct_id(s) for s in snapshot_studies if study_status(status_of(s)) in CRAWLED_STATUSES}


@pytest.fixture(scope="session")
def session_server() -> Iterator[FaultyServer]:
    with FaultyServer() as server:
        yield server


@pytest.fixture
def server(session_server: FaultyServer, snapshot_studies: list[Study]) -> FaultyServer:
    """The session's server, reset to the snapshot with no faults for this test."""
    session_server.reset(snapshot_studies)  # tests change copies, never these dicts
    return session_server


@pytest.fixture
def settings(tmp_path: Path, server: FaultyServer) -> Settings:
    """Polite in shape, quick in numbers: every wait is a few milliseconds."""
    return Settings(
        db=tmp_path / "trialmatch.db",
        out_dir=tmp_path / "out",
        ctgov_base_url=server.base_url,
        page_size=10,
        contact="tests@example.invalid",
        request_delay=0.0,
        request_timeout=0.5,
        max_retries=3,
        backoff_base=0.01,
        backoff_max=0.05,
    )


@pytest.fixture
def database(settings: Settings) -> Iterator[sqlite_utils.Database]:
    database = open_database(settings.db)
    yield database
    database.close()


@pytest.fixture
def fixture_json() -> Callable[[str], Any]:
    def load(name: str) -> Any:
        return json.loads((FIXTURES / name).read_text(encoding="utf-8"))

    return load


@pytest.fixture
def fixture_bytes() -> Callable[[str], bytes]:
    return lambda name: (FIXTURES / name).read_bytes()
