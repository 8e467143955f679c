"""A crawl killed with SIGKILL mid-way resumes from its checkpoint: none lost, none doubled."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlite_utils
from crawl_testing import crawl_with, stored_ids
from support.faulty_server import FaultyServer

from crawler.sources import ctgov
from db.runs import checkpoint_page, get_crawl_run, start_crawl_run
from trialmatch.core.runs import PageCounts
from trialmatch.core.settings import Settings

CLI = [sys.executable, "-c", "from trialmatch.cli import main; main()"]


def _checkpointed_pages(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    connection = sqlite3.connect(db_path, timeout=5)
    try:
        row = connection.execute("SELECT max(pages) FROM crawl_runs").fetchone()
    except sqlite3.OperationalError:  # the schema is still being created
        return 0
    finally:
        connection.close()
    return int(row[0] or 0)


def _start_crawl(settings: Settings, tmp_path: Path) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "TRIALMATCH_CONFIG": str(tmp_path / "absent.toml"),
        "TRIALMATCH_REQUEST_DELAY": "0",
        "TRIALMATCH_PAGE_SIZE": str(settings.page_size),
    }
    command = [*CLI, "crawl", "--base-url", settings.ctgov_base_url, "--db", str(settings.db)]
    return subprocess.Popen(
        [*command, "--full", "--quiet"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _kill_after_first_checkpoint(process: subprocess.Popen[bytes], db_path: Path) -> None:
    deadline = time.monotonic() + 20
    while _checkpointed_pages(db_path) < 1:
        if process.poll() is not None or time.monotonic() > deadline:
            stderr = process.stderr.read().decode() if process.stderr else ""
            process.kill()
            process.wait()
            pytest.fail(f"crawl ended or stalled before its first checkpoint: {stderr}")
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    if process.stderr:
        process.stderr.close()


def test_killed_crawl_resumes_from_its_checkpoint(
    settings: Settings,
    server: FaultyServer,
    database: sqlite_utils.Database,
    crawlable_ids: set[str],
    tmp_path: Path,
) -> None:
    server.page_delay = 0.3
    process = _start_crawl(settings, tmp_path)

    _kill_after_first_checkpoint(process, settings.db)

    assert process.returncode == -signal.SIGKILL
    killed = get_crawl_run(database, 1)
    assert killed.status == "running" and killed.cursor is not None
    assert 1 <= killed.pages < 9
    # The page's studies and its checkpoint were committed together.
    assert len(stored_ids(database)) == killed.studies_new == killed.pages * settings.page_size

    server.page_delay = 0.0
    requests_before = len(server.requests_to("/api/v2/studies"))
    resumed = crawl_with(settings, full=True)

    assert resumed.id == killed.id
    assert (resumed.status, resumed.message) == ("succeeded", "resumed from a checkpoint")
    assert stored_ids(database) == crawlable_ids
    assert resumed.studies_new == len(crawlable_ids)
    assert resumed.studies_changed == resumed.studies_unchanged == 0
    first_after_resume = server.requests_to("/api/v2/studies")[requests_before]
    assert first_after_resume["pageToken"] == killed.cursor


def test_a_different_query_abandons_the_interrupted_run(
    settings: Settings, server: FaultyServer, database: sqlite_utils.Database
) -> None:
    stale = start_crawl_run(
        database,
        registry="ctgov",
        mode="full",
        query=ctgov.full_query(settings.page_size),
        base_url=settings.ctgov_base_url,
    )
    checkpoint_page(database, stale.id, cursor="stale-token", counts=PageCounts())
    database.conn.commit()

    run = crawl_with(settings, since=dt.date(2026, 1, 1))

    assert run.id != stale.id and run.status == "succeeded"
    assert get_crawl_run(database, stale.id).status == "abandoned"
    assert all("pageToken" not in q for q in server.requests_to("/api/v2/studies"))


def test_a_page_and_its_checkpoint_commit_together_or_not_at_all(
    settings: Settings, database: sqlite_utils.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from db import runs

    def die_at_checkpoint(*args: object, **kwargs: object) -> None:
        raise RuntimeError("killed between the page's studies and its cursor")

    monkeypatch.setattr(runs, "checkpoint_page", die_at_checkpoint)

    with pytest.raises(RuntimeError, match="killed between"):
        crawl_with(settings)

    assert stored_ids(database) == set()  # the studies rolled back with the checkpoint
    run = get_crawl_run(database, 1)
    assert (run.status, run.pages, run.cursor) == ("interrupted", 0, None)
