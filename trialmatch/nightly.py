"""The nightly run: crawl → parse → match, once, incrementally, under a lock.

Each step is a function of settings returning a `StepReport`. Every registry
named in the ``registries`` setting is crawled as its own step, so one
registry being down does not stop the others. A step that raises is
recorded and the next steps still run: parsing yesterday's trials and
matching them beats sending nobody a list. The run, its counts and its
errors go to ``nightly_runs``; an exclusive lock next to the database makes
a manual ``nightly`` and the scheduled one refuse to overlap (`RunLocked`).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from db import open_database
from db.locks import exclusive_lock
from db.runs import finish_nightly_run, start_nightly_run
from trialmatch.core.errors import RunLocked
from trialmatch.core.runs import NightlyStatus, Trigger
from trialmatch.core.settings import Settings, load_settings
from trialmatch.steps import StepReport, crawl_step, match_step, parse_step

log = logging.getLogger(__name__)

# Set by the scheduler on Ctrl-C: the crawl stops at its next page boundary
# (its checkpoint is already committed) and the later steps are skipped.
stop_requested = threading.Event()


@dataclass
class NightlyReport:
    run_id: int
    trigger: Trigger
    status: NightlyStatus
    steps: list[StepReport] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [f"{step.name}: {error}" for step in self.steps for error in step.errors]


Step = Callable[[], StepReport]


def run_nightly(
    settings: Settings,
    *,
    trigger: Trigger = "manual",
    since: dt.date | None = None,
    quiet: bool = False,
) -> NightlyReport:
    """Run every step once; `RunLocked` if another nightly run is under way."""
    with exclusive_lock(settings.db, "nightly"):
        run_id = _start(settings, trigger)
        report = NightlyReport(run_id=run_id, trigger=trigger, status="running")
        try:
            for name, step in _steps(settings, since=since, quiet=quiet):
                if stop_requested.is_set():
                    report.steps.append(StepReport(name, errors=["skipped: stop requested"]))
                    continue
                report.steps.append(_run_step(name, step))
            report.status = _overall_status(report)
        except BaseException:
            report.status = "interrupted"
            raise
        finally:
            _finish(settings, report)
    return report


def _steps(settings: Settings, *, since: dt.date | None, quiet: bool) -> list[tuple[str, Step]]:
    registries = list(dict.fromkeys(settings.registries))
    return [
        *(_crawl_step(settings, registry, registries, since, quiet) for registry in registries),
        ("parse", lambda: parse_step.run_parse_step(settings.db, reparse_all=False)),
        ("match", lambda: match_step.run_match_step(settings.db, settings.out_dir)),
    ]


def _crawl_step(
    settings: Settings, registry: str, registries: list[str], since: dt.date | None, quiet: bool
) -> tuple[str, Step]:
    # "crawl" alone when one registry is crawled (as before there were several)
    name = "crawl" if len(registries) == 1 else f"crawl {registry}"

    def step() -> StepReport:
        return crawl_step.run_crawl_step(
            settings,
            registry=registry,
            since=since,
            quiet=quiet,
            should_stop=stop_requested.is_set,
            name=name,
        )

    return name, step


def _run_step(name: str, step: Step) -> StepReport:
    try:
        return step()
    except Exception as exc:  # a failed step is recorded; the others still run
        log.exception("nightly step %s failed", name)
        return StepReport(name=name, errors=[f"{type(exc).__name__}: {exc}"])  # named as run


def _overall_status(report: NightlyReport) -> NightlyStatus:
    if stop_requested.is_set():
        return "interrupted"
    return "failed" if report.errors else "succeeded"


def _start(settings: Settings, trigger: Trigger) -> int:
    with open_database(settings.db) as database:
        return start_nightly_run(database, trigger)


def _finish(settings: Settings, report: NightlyReport) -> None:
    counts = {step.name: dict(step.counts) for step in report.steps}
    with open_database(settings.db) as database:
        finish_nightly_run(
            database, report.run_id, status=report.status, counts=counts, errors=report.errors
        )


def scheduled_nightly(db_path: str, config_overrides: dict[str, str] | None = None) -> None:
    """The scheduler's job: primitives in, so it pickles into the job store."""
    overrides: dict[str, object] = {"db": db_path, **(config_overrides or {})}
    settings = load_settings().with_overrides(overrides)
    try:
        report = run_nightly(settings, trigger="schedule", quiet=True)
    except RunLocked as exc:
        log.warning("scheduled nightly run skipped: %s", exc)
        return
    log.info("scheduled nightly run %d %s", report.run_id, report.status)
