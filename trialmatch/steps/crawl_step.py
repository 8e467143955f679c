"""The crawl step: wire settings, client, fetcher, database and progress bar together.

One registry per call; `trialmatch.nightly` runs one step per registry of
the ``registries`` setting, so one registry being down stops no other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from crawler.client import build_client
from crawler.crawl import (
    PageProgress,
    ProgressCallback,
    crawl_one_study,
    crawl_registry,
    plan_crawl,
)
from crawler.paging import OnlineRegistry
from crawler.polite import PoliteFetcher
from crawler.sources import get_source, online_sources
from db import open_database
from db.locks import exclusive_lock
from db.runs import crawl_errors
from trialmatch.core.errors import ConfigError
from trialmatch.core.runs import CrawlRun
from trialmatch.core.settings import Settings
from trialmatch.core.trial import Trial
from trialmatch.progress import progress_bar
from trialmatch.steps import StepReport


def run_crawl_step(
    settings: Settings,
    *,
    registry: str = "ctgov",
    since: dt.date | None = None,
    quiet: bool = False,
    full: bool = False,
    should_stop: Callable[[], bool] | None = None,
    name: str = "crawl",
) -> StepReport:
    """Crawl *registry* (incrementally when it can) and report the counts."""
    run = crawl(
        settings, registry=registry, since=since, quiet=quiet, full=full, should_stop=should_stop
    )
    return report_of(run, settings, name=name)


def online_registry(registry: str) -> OnlineRegistry:
    """The paging of *registry*; `ConfigError` when it has none (file imports only)."""
    get_source(registry)  # an unknown registry is a clean error naming the known ones
    online: OnlineRegistry | None = online_sources().get(registry)
    if online is None:
        crawlable = ", ".join(sorted(online_sources()))
        raise ConfigError(
            f"registry {registry!r} has no online interface to crawl (crawlable: {crawlable});"
            f" use: trialmatch import --registry {registry} FILE…"
        )
    return online


def crawl(
    settings: Settings,
    *,
    registry: str = "ctgov",
    since: dt.date | None = None,
    quiet: bool = False,
    full: bool = False,
    should_stop: Callable[[], bool] | None = None,
) -> CrawlRun:
    online = online_registry(registry)
    with (
        exclusive_lock(settings.db, "crawl"),
        _progress(quiet, registry) as on_page,
        open_database(settings.db) as database,
        build_client(settings) as client,
    ):
        fetcher = PoliteFetcher(client, settings)
        plan = plan_crawl(
            database, page_size=settings.page_size, since=since, full=full, online=online
        )
        return crawl_registry(
            database,
            fetcher,
            online,
            base_url=online.base_url(settings),
            plan=plan,
            on_page=on_page,
            should_stop=should_stop,
        )


def crawl_study(settings: Settings, nct_id: str) -> Trial:
    """Fetch and store one study by its NCT id."""
    with open_database(settings.db) as database, build_client(settings) as client:
        fetcher = PoliteFetcher(client, settings)
        return crawl_one_study(database, fetcher, base_url=settings.ctgov_base_url, nct_id=nct_id)


def report_of(run: CrawlRun, settings: Settings, *, name: str = "crawl") -> StepReport:
    counts = {
        "pages": run.pages,
        "new": run.studies_new,
        "changed": run.studies_changed,
        "unchanged": run.studies_unchanged,
        "failed": run.studies_failed,
        "skipped": run.studies_skipped,
    }
    with open_database(settings.db) as database:
        errors = [f"{error.url}: {error.error}" for error in crawl_errors(database, run.id)]
    if run.status != "succeeded":
        errors.append(f"crawl run {run.id} {run.status}: {run.message or ''}".rstrip(": "))
    return StepReport(name=name, counts=counts, errors=errors)


REGISTRY_NAMES = {
    "ctgov": "ClinicalTrials.gov",
    "ctis": "EU CTIS",
    "euctr": "EU Clinical Trials Register",
    "isrctn": "ISRCTN",
}


@contextmanager
def _progress(quiet: bool, registry: str = "ctgov") -> Iterator[ProgressCallback | None]:
    label = f"crawling {REGISTRY_NAMES.get(registry, registry)}"
    with progress_bar(label, quiet=quiet, keep=True) as report:
        if report is None:
            yield None
            return

        def on_page(page: PageProgress) -> None:
            report(page.studies, page.total, f"studies, {page.pages} pages")

        yield on_page


def run_snapshot_crawl_step(settings: Settings, *, quiet: bool = False) -> StepReport:
    """The demo's crawl: the bundled snapshot served on loopback, crawled like the real API.

    Only the address changes (and the delay, since we are only asking ourselves);
    robots.txt, paging, retries and checkpoints are the real code path.
    """
    from trialmatch.demo_data.ctgov import load_snapshot_studies
    from trialmatch.snapshot_server import SnapshotServer

    with SnapshotServer(load_snapshot_studies()) as server:
        local = settings.with_overrides({"ctgov_base_url": server.base_url, "request_delay": 0.0})
        return run_crawl_step(local, quiet=quiet)
