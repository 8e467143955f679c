"""How a source pages through a registry online: the part of the seam the crawl loop drives.

A registry with an online interface gives its source module an ``ONLINE``
object with this protocol. The crawl loop (`crawler.crawl`) owns everything
else: politeness (every request goes through the `PoliteFetcher` it is
handed), checkpoints (the cursor of the next page is committed with the
page's records), resume, content hashes and the error quarantine.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from trialmatch.core.errors import SourceParseError
from trialmatch.core.runs import CrawlMode
from trialmatch.core.trial import Trial

if TYPE_CHECKING:
    from crawler.polite import PoliteFetcher
    from trialmatch.core.settings import Settings


@dataclass(frozen=True)
class CrawlPlan:
    """What to ask the registry: the same query on every page, only the cursor moves."""

    mode: CrawlMode
    query: dict[str, str]


@dataclass
class SourcePage:
    """One page's records (failures set aside, each on its own), and where the next page is."""

    trials: list[Trial]
    failures: list[SourceParseError] = field(default_factory=list)
    next_cursor: str | None = None
    total: int | None = None


class OnlineRegistry(Protocol):
    name: str

    def base_url(self, settings: Settings) -> str:
        """The configured address of the registry's interface."""
        ...

    def plan(self, *, page_size: int, since: dt.date | None) -> CrawlPlan:
        """A full crawl (*since* None) or the records changed since *since*."""
        ...

    def load_page(
        self,
        fetcher: PoliteFetcher,
        base_url: str,
        query: dict[str, str],
        cursor: str | None,
    ) -> SourcePage:
        """Fetch (through *fetcher*) and parse the page at *cursor* (None: the first)."""
        ...
