"""The nightly run: steps in order, every run recorded, one run at a time."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from crawl_testing import stored_ids
from support.faulty_server import FaultyServer

from db import runs
from db.locks import exclusive_lock
from db.runs import recent_crawl_runs, recent_nightly_runs
from trialmatch import nightly
from trialmatch.core.errors import RunLocked
from trialmatch.core.settings import Settings
from trialmatch.steps import StepReport, match_step, parse_step


@pytest.fixture
def steps_called(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Stand-ins for the parse and match steps, so these tests see only the nightly's wiring."""
    called: list[str] = []

    def parse(db: Path, *, reparse_all: bool) -> StepReport:
        called.append(f"parse {Path(db).name} reparse_all={reparse_all}")
        return StepReport("parse", counts={"parsed": 3})

    def match(db: Path, out_dir: Path) -> StepReport:
        called.append(f"match {Path(db).name} {Path(out_dir).name}")
        return StepReport("match", counts={"matched": 2})

    monkeypatch.setattr(parse_step, "run_parse_step", parse, raising=False)
    monkeypatch.setattr(match_step, "run_match_step", match, raising=False)
    return called


@pytest.fixture(autouse=True)
def no_stop_request() -> Iterator[None]:
    nightly.stop_requested.clear()
    yield
    nightly.stop_requested.clear()


def test_nightly_crawls_then_parses_then_matches_and_records_the_run(
    settings: Settings,
    database: sqlite_utils.Database,
    crawlable_ids: set[str],
    steps_called: list[str],
) -> None:
    report = nightly.run_nightly(settings, quiet=True)

    assert report.status == "succeeded", report.errors
    assert [step.name for step in report.steps] == ["crawl", "parse", "match"]
    assert steps_called == ["parse trialmatch.db reparse_all=False", "match trialmatch.db out"]
    assert stored_ids(database) == crawlable_ids
    (run,) = recent_nightly_runs(database)
    assert (run.id, run.trigger, run.status) == (report.run_id, "manual", "succeeded")
    assert run.counts["crawl"]["new"] == len(crawlable_ids)
    assert run.counts["match"] == {"matched": 2}
    assert run.finished is not None and run.errors == []


def test_a_step_that_raises_is_recorded_and_the_next_steps_still_run(
    settings: Settings,
    database: sqlite_utils.Database,
    steps_called: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken_parse(db: Path, *, reparse_all: bool) -> StepReport:
        raise RuntimeError("the spaCy model is missing")

    monkeypatch.setattr(parse_step, "run_parse_step", broken_parse)

    report = nightly.run_nightly(settings, quiet=True)

    assert report.status == "failed"
    assert report.errors == ["parse: RuntimeError: the spaCy model is missing"]
    assert steps_called == ["match trialmatch.db out"]
    (run,) = recent_nightly_runs(database)
    assert run.status == "failed" and run.errors == report.errors


def test_a_failed_crawl_is_recorded_and_parse_and_match_still_run(
    settings: Settings,
    server: FaultyServer,
    database: sqlite_utils.Database,
    steps_called: list[str],
) -> None:
    server.robots_txt = "User-agent: *\nDisallow: /\n"

    report = nightly.run_nightly(settings, quiet=True)

    assert report.status == "failed"
    assert any("robots.txt forbids" in error for error in report.errors)
    assert len(steps_called) == 2


def test_a_second_nightly_while_one_runs_is_refused(
    settings: Settings, database: sqlite_utils.Database, steps_called: list[str]
) -> None:
    with exclusive_lock(settings.db, "nightly"), pytest.raises(RunLocked, match="nightly"):
        nightly.run_nightly(settings, quiet=True)

    assert recent_nightly_runs(database) == []
    assert steps_called == []


def test_the_lock_holds_across_processes_and_dies_with_its_holder(
    settings: Settings, steps_called: list[str]
) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from db.locks import exclusive_lock\n"
            "with exclusive_lock(sys.argv[1], 'nightly'):\n"
            "    print('held', flush=True)\n"
            "    time.sleep(60)\n",
            str(settings.db),
        ],
        stdout=subprocess.PIPE,
    )
    assert holder.stdout is not None and holder.stdout.readline() == b"held\n"

    with pytest.raises(RunLocked, match=f"process {holder.pid}"):
        nightly.run_nightly(settings, quiet=True)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    holder.stdout.close()

    assert nightly.run_nightly(settings, quiet=True).status == "succeeded"


def test_a_stop_request_interrupts_at_a_page_boundary(
    settings: Settings,
    database: sqlite_utils.Database,
    steps_called: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checkpoint = runs.checkpoint_page

    def checkpoint_then_ctrl_c(*args: Any, **kwargs: Any) -> None:
        checkpoint(*args, **kwargs)
        nightly.stop_requested.set()  # what the scheduler does on Ctrl-C

    monkeypatch.setattr(runs, "checkpoint_page", checkpoint_then_ctrl_c)

    report = nightly.run_nightly(settings, quiet=True)

    assert report.status == "interrupted"
    assert steps_called == []
    (crawl_run,) = recent_crawl_runs(database)
    assert crawl_run.status == "interrupted"
    assert crawl_run.pages == 1 and crawl_run.cursor is not None
    assert len(stored_ids(database)) == settings.page_size


def test_the_scheduled_job_takes_only_primitives(
    settings: Settings,
    server: FaultyServer,
    database: sqlite_utils.Database,
    steps_called: list[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("TRIALMATCH_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("TRIALMATCH_CTGOV_BASE_URL", server.base_url)
    monkeypatch.setenv("TRIALMATCH_REQUEST_DELAY", "0")
    monkeypatch.setenv("TRIALMATCH_OUT_DIR", str(settings.out_dir))

    nightly.scheduled_nightly(str(settings.db))
    with exclusive_lock(settings.db, "nightly"):
        nightly.scheduled_nightly(str(settings.db))  # locked: skipped with a warning, no raise

    (run,) = recent_nightly_runs(database)
    assert run.trigger == "schedule" and run.status == "succeeded"


def test_nightly_since_a_date_crawls_incrementally(
    settings: Settings, database: sqlite_utils.Database, steps_called: list[str]
) -> None:
    import datetime as dt

    nightly.run_nightly(dataclasses.replace(settings), since=dt.date(2026, 1, 1), quiet=True)

    (crawl_run,) = recent_crawl_runs(database)
    assert crawl_run.mode == "incremental"
    assert "RANGE[2026-01-01,MAX]" in crawl_run.query["filter.advanced"]


def test_each_registry_is_its_own_step_and_one_down_stops_no_other(
    settings: Settings,
    database: sqlite_utils.Database,
    crawlable_ids: set[str],
    steps_called: list[str],
) -> None:
    # CTIS answers nothing (a port no one listens on); ClinicalTrials.gov answers.
    down = dataclasses.replace(
        settings, registries=("ctgov", "ctis"), ctis_base_url="http://127.0.0.1:9/ctis"
    )

    report = nightly.run_nightly(down, quiet=True)

    names = [step.name for step in report.steps]
    assert names == ["crawl ctgov", "crawl ctis", "parse", "match"]
    by_name = {step.name: step for step in report.steps}
    assert by_name["crawl ctgov"].counts["new"] == len(crawlable_ids)
    assert by_name["crawl ctis"].errors and not by_name["crawl ctgov"].errors
    assert len(steps_called) == 2  # parse and match ran all the same
    assert report.status == "failed"
    assert stored_ids(database) == crawlable_ids
