"""The nightly schedule: APScheduler 3.x, a cron trigger, a persistent SQLite job store.

The job is stored by reference (``trialmatch.nightly:scheduled_nightly``)
with primitive arguments (the database path), so it survives a restart and
can be tested without a scheduler. Coalescing turns a night of missed runs
into one; ``max_instances=1`` and a single worker keep one run at a time; a
run missed by less than the misfire grace time still happens.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from tzlocal import get_localzone

from trialmatch.core.errors import ConfigError
from trialmatch.core.settings import Settings

log = logging.getLogger(__name__)

JOB_ID = "trialmatch-nightly"
JOB_FUNCTION = "trialmatch.nightly:scheduled_nightly"


def job_store_path(database_path: Path | str) -> Path:
    """The scheduler's own SQLite file, beside the database it serves."""
    path = Path(database_path)
    return path.with_name(f"{path.name}.schedule.sqlite")


def schedule_timezone(settings: Settings) -> dt.tzinfo:
    if not settings.schedule_timezone:
        return get_localzone()
    try:
        return ZoneInfo(settings.schedule_timezone)
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"unknown schedule timezone {settings.schedule_timezone!r}") from exc


def cron_trigger(expression: str, timezone: dt.tzinfo) -> CronTrigger:
    """A trigger for a standard crontab line (day of week 0 or 7 = Sunday)."""
    parts = expression.split()
    if len(parts) != 5:
        raise ConfigError(f"invalid cron expression {expression!r}: expected 5 fields")
    minute, hour, day, month, day_of_week = parts
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=_named_days(day_of_week),
            timezone=timezone,
        )
    except ValueError as exc:
        raise ConfigError(f"invalid cron expression {expression!r}: {exc}") from exc


# APScheduler 3 numbers days from Monday = 0, and its from_crontab keeps the
# numbers, so "1-5" would mean Tuesday to Saturday; day names are unambiguous.
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _named_days(field: str) -> str:
    if field == "*" or not any(char.isdigit() for char in field):
        return field
    days: list[int] = []
    for part in field.split(","):
        days.extend(_cron_days(part))
    return ",".join(dict.fromkeys(_CRON_DAYS[day] for day in sorted(days)))


def _cron_days(part: str) -> range:
    span, _, step_text = part.partition("/")
    step = int(step_text) if step_text else 1
    if span == "*":
        return range(0, 7, step)
    first, _, last = span.partition("-")
    if not (first.isdigit() and (not last or last.isdigit())):
        raise ConfigError(f"day of week {part!r}: use numbers 0-7 or names, not both")
    low, high = int(first), int(last or (first if not step_text else 7))
    if not 0 <= low <= high <= 7:
        raise ConfigError(f"day of week {part!r} out of range 0-7")
    return range(low, high + 1, step)


def build_scheduler(
    settings: Settings,
    *,
    cron: str | None = None,
    scheduler_class: type[BaseScheduler] = BlockingScheduler,
) -> BaseScheduler:
    """A scheduler holding the nightly job (not started; `run_schedule` starts it)."""
    timezone = schedule_timezone(settings)
    trigger = cron_trigger(cron or settings.schedule_cron, timezone)
    store_path = job_store_path(settings.db)
    store_path.parent.mkdir(parents=True, exist_ok=True)
    job_defaults: dict[str, Any] = {
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": settings.misfire_grace_seconds,
    }
    scheduler = scheduler_class(
        jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{store_path}")},
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults=job_defaults,
        timezone=timezone,
    )
    scheduler.add_job(
        JOB_FUNCTION,
        trigger=trigger,
        args=[str(settings.db)],
        id=JOB_ID,
        name="trialmatch nightly: crawl, parse, match",
        replace_existing=True,
        **job_defaults,
    )
    return scheduler


def next_run_time(settings: Settings, *, cron: str | None = None) -> dt.datetime | None:
    timezone = schedule_timezone(settings)
    trigger = cron_trigger(cron or settings.schedule_cron, timezone)
    return trigger.get_next_fire_time(None, dt.datetime.now(timezone))


def run_schedule(
    settings: Settings,
    *,
    cron: str | None = None,
    on_started: Callable[[], None] | None = None,
    on_stop: Callable[[], None] | None = None,
) -> None:
    """Run the nightly job on schedule until Ctrl-C, then stop cleanly.

    *on_started* is called once the scheduler is running (and Ctrl-C is
    handled here). On Ctrl-C *on_stop* asks a running job to stop at its next
    checkpoint and the scheduler waits for it; a second Ctrl-C abandons the
    wait (the crawl resumes from its checkpoint next time).
    """
    scheduler = build_scheduler(settings, cron=cron)
    if on_started is not None:
        scheduler.add_listener(lambda _event: on_started(), EVENT_SCHEDULER_STARTED)
    log.info("nightly job scheduled; next run %s", next_run_time(settings, cron=cron))
    try:
        scheduler.start()  # blocks until shutdown
    except (KeyboardInterrupt, SystemExit):
        log.info("stopping the scheduler")
        if on_stop is not None:
            on_stop()
        if scheduler.running:
            scheduler.shutdown(wait=True)
