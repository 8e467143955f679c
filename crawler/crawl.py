"""The crawl loop every online registry shares: full or incremental, checkpointed, resumable.

A registry's source says how to page through it (`crawler.paging.OnlineRegistry`:
ClinicalTrials.gov by ``pageToken``, CTIS by page number, EUCTR by search
page, ISRCTN by windows of edit dates); this loop does the rest. Each page's
studies and the cursor of the next page are committed in one transaction, so
a crawl killed at any instant resumes from its checkpoint with no study lost
and none counted twice. The same query is sent on every page; only the
cursor changes. A record that does not parse is quarantined in
``crawl_errors`` and the page goes on; a page that stays unreadable after
the fetcher's retries (or that the registry refuses) is recorded there too
and ends the run as ``failed`` with its cursor kept: the next crawl resumes
from that page.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlite_utils

from crawler.language import with_criteria_language
from crawler.paging import CrawlPlan, OnlineRegistry, SourcePage
from crawler.polite import PoliteFetcher
from crawler.sources import ctgov
from db import runs
from db.trials import PreparedTrial, known_trial_ids, prepare_trials, store_prepared, store_trials
from trialmatch.core.errors import FetchError, SourceParseError
from trialmatch.core.runs import CrawlRun, CrawlStatus, PageCounts
from trialmatch.core.trial import CRAWLED_STATUSES, Trial

__all__ = [
    "CrawlPlan",
    "PageProgress",
    "ProgressCallback",
    "crawl_ctgov",
    "crawl_one_study",
    "crawl_registry",
    "plan_crawl",
]

log = logging.getLogger(__name__)

# The registry dates its posts in US Eastern time; a day of overlap costs a
# few unchanged records (content hashes make them no-ops) and loses none.
INCREMENTAL_OVERLAP = dt.timedelta(days=1)


@dataclass(frozen=True)
class _LoadedPage:
    """A page's studies parsed and encoded for storage, and where the next page is."""

    prepared: list[PreparedTrial]
    failures: list[SourceParseError]
    next_page_token: str | None
    total_count: int | None


@dataclass(frozen=True)
class PageProgress:
    run_id: int
    pages: int
    studies: int
    total: int | None


ProgressCallback = Callable[[PageProgress], None]


def plan_crawl(
    database: sqlite_utils.Database,
    *,
    page_size: int,
    since: dt.date | None = None,
    full: bool = False,
    online: OnlineRegistry = ctgov.ONLINE,
) -> CrawlPlan:
    """Full on request or when nothing succeeded yet; otherwise since the last success."""
    if full:
        return online.plan(page_size=page_size, since=None)
    if since is None:
        last_start = runs.last_successful_crawl_start(database, online.name)
        if last_start is None:
            return online.plan(page_size=page_size, since=None)
        since = last_start.date() - INCREMENTAL_OVERLAP
    return online.plan(page_size=page_size, since=since)


def crawl_ctgov(
    database: sqlite_utils.Database,
    fetcher: PoliteFetcher,
    *,
    base_url: str,
    plan: CrawlPlan,
    on_page: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> CrawlRun:
    """Crawl ClinicalTrials.gov: `crawl_registry` with its source."""
    return crawl_registry(
        database,
        fetcher,
        ctgov.ONLINE,
        base_url=base_url,
        plan=plan,
        on_page=on_page,
        should_stop=should_stop,
    )


def crawl_registry(
    database: sqlite_utils.Database,
    fetcher: PoliteFetcher,
    online: OnlineRegistry,
    *,
    base_url: str,
    plan: CrawlPlan,
    on_page: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> CrawlRun:
    """Run (or resume) the crawl *plan* of *online* against *base_url*; return the finished run."""
    run, cursor = _start_or_resume(database, online.name, base_url, plan)
    crawler = _PageLoop(
        database, fetcher, online, run, on_page, should_stop, resumed=cursor is not None
    )
    try:
        with _cyclic_gc_paused():
            return crawler.run_from(cursor)
    except BaseException:
        # Ctrl-C or a bug: the committed checkpoint stays, and the run says so.
        runs.finish_crawl_run(database, run.id, status="interrupted", message="interrupted")
        raise


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause the cycle collector while pages of a million fresh objects come and go.

    Decoded JSON holds no cycles, so reference counting frees each page; but
    the collector would scan every new dict again and again, which measured
    as a third of the crawl. The few cycles made meanwhile are collected at
    the end.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
            gc.collect()


def _start_or_resume(
    database: sqlite_utils.Database, registry: str, base_url: str, plan: CrawlPlan
) -> tuple[CrawlRun, str | None]:
    previous = runs.resumable_crawl_run(database, registry)
    if previous is not None:
        if previous.query == plan.query and previous.base_url == base_url:
            log.info("resuming crawl run %d from its checkpoint", previous.id)
            runs.reopen_crawl_run(database, previous.id)
            return runs.get_crawl_run(database, previous.id), previous.cursor
        runs.abandon_crawl_run(database, previous.id, "superseded by a crawl with another query")
    run = runs.start_crawl_run(
        database, registry=registry, mode=plan.mode, query=plan.query, base_url=base_url
    )
    return run, None


class _PageLoop:
    def __init__(
        self,
        database: sqlite_utils.Database,
        fetcher: PoliteFetcher,
        online: OnlineRegistry,
        run: CrawlRun,
        on_page: ProgressCallback | None,
        should_stop: Callable[[], bool] | None,
        *,
        resumed: bool,
    ) -> None:
        self.database = database
        self.fetcher = fetcher
        self.online = online
        self.run = run
        self.base_url = run.base_url or ""
        self.on_page = on_page
        self.should_stop = should_stop
        self.pages = run.pages
        self.studies = run.studies_new + run.studies_changed + run.studies_unchanged
        self.total: int | None = None
        self.resumed = resumed

    def run_from(self, cursor: str | None) -> CrawlRun:
        # Sequential on purpose: loading page N+1 on a thread while page N was
        # stored (bench/crawl.py, 2 busy cores) won no wall time, cost more
        # CPU per study, and took peak memory from ~360 MB to 513-564 MB.
        token = cursor
        while True:
            if self._stop_requested():
                return self._finish("interrupted", "stopped on request")
            try:
                page = self._load(token)
            except (FetchError, SourceParseError) as exc:
                self._record_page_error(exc)
                return self._finish("failed", str(exc))
            next_token = page.next_page_token
            self._commit_page(page)
            del page
            # With the cycle collector paused, the few cycles a page leaves
            # (clients, exceptions) are cleared here, while little else lives.
            gc.collect(1)
            if next_token is None:
                return self._finish(
                    "succeeded", "resumed from a checkpoint" if self.resumed else None
                )
            if next_token == token:
                return self._finish("failed", f"page token {token!r} did not advance")
            token = next_token

    def _stop_requested(self) -> bool:
        return self.should_stop is not None and self.should_stop()

    def _load(self, token: str | None) -> _LoadedPage:
        """Fetch, decode, parse and encode one page for storage (no database needed)."""
        page: SourcePage = self.online.load_page(
            self.fetcher, self.base_url, dict(self.run.query), token
        )
        for failure in page.failures:
            log.warning("skipping a record: %s", failure)
        trials = [with_criteria_language(trial) for trial in page.trials]
        return _LoadedPage(
            prepared=prepare_trials(trials),
            failures=page.failures,
            next_page_token=page.next_cursor,
            total_count=page.total,
        )

    def _commit_page(self, page: _LoadedPage) -> None:
        prepared, skipped = self._drop_unknown_closed(page.prepared)
        failures = page.failures
        with self.database.atomic():
            stored = store_prepared(self.database, prepared)
            for error in failures:
                runs.record_crawl_error(
                    self.database,
                    self.run.id,
                    url=error.url,
                    error=str(error),
                    excerpt=error.excerpt,
                )
            counts = PageCounts(
                stored.new, stored.changed, stored.unchanged, len(failures), skipped
            )
            runs.checkpoint_page(
                self.database, self.run.id, cursor=page.next_page_token, counts=counts
            )
        self._report_progress(page, len(prepared) + skipped + len(failures))

    def _drop_unknown_closed(self, trials: list[PreparedTrial]) -> tuple[list[PreparedTrial], int]:
        # An incremental crawl sees every study updated lately, most of them
        # closed ones we never stored; only studies we crawl or already hold
        # are kept, so a closure still reaches the record it closes.
        if self.run.mode != "incremental":
            return trials, 0
        closed_ids = [t.trial_id for t in trials if t.status not in CRAWLED_STATUSES]
        known = known_trial_ids(self.database, closed_ids)
        kept = [t for t in trials if t.status in CRAWLED_STATUSES or t.trial_id in known]
        return kept, len(trials) - len(kept)

    def _report_progress(self, page: _LoadedPage, studies: int) -> None:
        self.pages += 1
        self.studies += studies
        if page.total_count is not None:
            self.total = page.total_count
        if self.on_page is not None:
            self.on_page(PageProgress(self.run.id, self.pages, self.studies, self.total))

    def _record_page_error(self, exc: FetchError | SourceParseError) -> None:
        log.warning("crawl run %d: page failed for good: %s", self.run.id, exc)
        excerpt = exc.excerpt if isinstance(exc, SourceParseError) else ""
        runs.record_crawl_error(
            self.database, self.run.id, url=exc.url, error=str(exc), excerpt=excerpt
        )

    def _finish(self, status: CrawlStatus, message: str | None) -> CrawlRun:
        return runs.finish_crawl_run(self.database, self.run.id, status=status, message=message)


def crawl_one_study(
    database: sqlite_utils.Database, fetcher: PoliteFetcher, *, base_url: str, nct_id: str
) -> Trial:
    """Fetch, parse and store one study by its NCT id."""
    url = ctgov.study_url(base_url, nct_id)
    page = fetcher.fetch(url, {"format": "json"}, ctgov.read_page)
    trials, failures = ctgov.parse_records(page, url)
    trials = [with_criteria_language(trial) for trial in trials]
    if failures:
        raise failures[0]
    if not trials:
        raise SourceParseError(f"no study in the response for {nct_id}", registry="ctgov", url=url)
    store_trials(database, trials)
    return trials[0]
