"""The crawl step: wire settings, client, fetcher, database and progress bar together."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from crawler.client import build_client
from crawler.crawl import PageProgress, ProgressCallback, crawl_ctgov, crawl_one_study, plan_crawl
from crawler.polite import PoliteFetcher
from db import open_database
from db.locks import exclusive_lock
from db.runs import crawl_errors
from trialmatch.core.runs import CrawlRun
from trialmatch.core.settings import Settings
from trialmatch.core.trial import Trial
from trialmatch.progress import progress_bar
from trialmatch.steps import StepReport


def run_crawl_step(
    settings: Settings,
    *,
    since: dt.date | None = None,
    quiet: bool = False,
    full: bool = False,
    should_stop: Callable[[], bool] | None = None,
) -> StepReport:
    """Crawl ClinicalTrials.gov (incrementally when it can) and report the counts."""
    run = crawl(settings, since=since, quiet=quiet, full=full, should_stop=should_stop)
    return report_of(run, settings)


def crawl(
    settings: Settings,
    *,
    since: dt.date | None = None,
    quiet: bool = False,
    full: bool = False,
    should_stop: Callable[[], bool] | None = None,
) -> CrawlRun:
    with (
        exclusive_lock(settings.db, "crawl"),
        _progress(quiet) as on_page,
        open_database(settings.db) as database,
        build_client(settings) as client,
    ):
        fetcher = PoliteFetcher(client, settings)
        plan = plan_crawl(database, page_size=settings.page_size, since=since, full=full)
        return crawl_ctgov(
            database,
            fetcher,
            base_url=settings.ctgov_base_url,
            plan=plan,
            on_page=on_page,
            should_stop=should_stop,
        )


def crawl_study(settings: Settings, nct_id: str) -> Trial:
    """Fetch and store one study by its NCT id."""
    with open_database(settings.db) as database, build_client(settings) as client:
        fetcher = PoliteFetcher(client, settings)
        return crawl_one_study(database, fetcher, base_url=settings.ctgov_base_url, nct_id=nct_id)


def report_of(run: CrawlRun, settings: Settings) -> StepReport:
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
    return StepReport(name="crawl", counts=counts, errors=errors)


@contextmanager
def _progress(quiet: bool) -> Iterator[ProgressCallback | None]:
    with progress_bar("crawling ClinicalTrials.gov", quiet=quiet, keep=True) as report:
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
