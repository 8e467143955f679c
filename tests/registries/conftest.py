"""Fixtures of the registry suite: the saved registry files of shared/data, a database, settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils

from db import open_database
from trialmatch.core.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        db=tmp_path / "trialmatch.db",
        out_dir=tmp_path / "out",
        page_size=10,
        contact="tests@example.invalid",
        request_delay=0.0,
        request_timeout=2.0,
        max_retries=1,
        backoff_base=0.01,
        backoff_max=0.02,
    )


@pytest.fixture
def database(settings: Settings) -> Iterator[sqlite_utils.Database]:
    database = open_database(settings.db)
    yield database
    database.close()
