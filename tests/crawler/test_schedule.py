"""The APScheduler schedule, checked without waiting for 02:00."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from trialmatch.core.errors import ConfigError
from trialmatch.core.settings import Settings
from trialmatch.nightly import scheduled_nightly
from trialmatch.schedule import JOB_ID, build_scheduler, cron_trigger, job_store_path, next_run_time


@pytest.fixture
def schedule_settings(tmp_path: Path) -> Settings:
    return Settings(db=tmp_path / "trialmatch.db", schedule_timezone="Europe/Paris")


def _fields(trigger: CronTrigger) -> dict[str, str]:
    return {field.name: str(field) for field in trigger.fields}


def test_the_nightly_job_runs_at_two_coalesced_one_at_a_time(schedule_settings: Settings) -> None:
    scheduler = build_scheduler(schedule_settings)

    job = scheduler.get_job(JOB_ID)

    assert isinstance(job.trigger, CronTrigger)
    fields = _fields(job.trigger)
    assert (fields["hour"], fields["minute"], fields["day_of_week"]) == ("2", "0", "*")
    assert str(job.trigger.timezone) == "Europe/Paris"
    assert job.coalesce is True
    assert job.max_instances == 1
    assert job.misfire_grace_time == schedule_settings.misfire_grace_seconds
    assert job.func is scheduled_nightly
    assert job.args == (str(schedule_settings.db),)
    executor = scheduler._executors["default"]  # one worker: runs never overlap in-process
    assert isinstance(executor, ThreadPoolExecutor)
    assert executor._pool._max_workers == 1


def test_a_cron_override_and_a_bad_one(schedule_settings: Settings) -> None:
    job = build_scheduler(schedule_settings, cron="30 1 * * 1-5").get_job(JOB_ID)

    fields = _fields(job.trigger)
    # Crontab's 1-5 is Monday to Friday (APScheduler's own numbers start at Monday = 0).
    assert (fields["hour"], fields["minute"]) == ("1", "30")
    assert fields["day_of_week"] == "mon,tue,wed,thu,fri"
    with pytest.raises(ConfigError, match="invalid cron"):
        build_scheduler(schedule_settings, cron="every night")
    with pytest.raises(ConfigError, match="timezone"):
        build_scheduler(dataclasses.replace(schedule_settings, schedule_timezone="Mars/Olympus"))


@pytest.mark.parametrize(
    ("field", "days"),
    [("0", "sun"), ("7", "sun"), ("1-5", "mon,tue,wed,thu,fri"), ("*/2", "sun,tue,thu,sat"),
     ("6,0", "sun,sat"), ("sat,sun", "sat,sun"), ("*", "*")],
    ids=["sunday-0", "sunday-7", "weekdays", "every-other-day", "list", "names", "any"],
)  # fmt: skip
def test_crontab_days_of_week_mean_what_cron_means(field: str, days: str) -> None:
    trigger = cron_trigger(f"0 2 * * {field}", dt.UTC)

    assert _fields(trigger)["day_of_week"] == days


def test_the_job_store_persists_one_job_across_restarts(schedule_settings: Settings) -> None:
    for _restart in range(2):
        scheduler = build_scheduler(schedule_settings, scheduler_class=BackgroundScheduler)
        scheduler.start(paused=True)
        stored_next_run = scheduler.get_job(JOB_ID).next_run_time
        scheduler.shutdown(wait=False)

    connection = sqlite3.connect(job_store_path(schedule_settings.db))
    try:
        ids = connection.execute("SELECT id FROM apscheduler_jobs").fetchall()
    finally:
        connection.close()
    assert ids == [(JOB_ID,)]
    assert (stored_next_run.hour, stored_next_run.minute) == (2, 0)
    assert stored_next_run == next_run_time(schedule_settings)


def test_ctrl_c_stops_the_scheduler_cleanly(schedule_settings: Settings, tmp_path: Path) -> None:
    environment = {**os.environ, "TRIALMATCH_CONFIG": str(tmp_path / "absent.toml")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from trialmatch.cli import main; main()",
            "schedule",
            "--db",
            str(schedule_settings.db),
        ],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        first_line = process.stdout.readline().decode()
        time.sleep(0.3)  # let the announcement return, so Ctrl-C lands in the scheduler's wait
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert "Ctrl-C stops" in first_line, stderr.decode()
    assert process.returncode == 0, stderr.decode()
    assert "scheduler stopped" in stdout.decode()
