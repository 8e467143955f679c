"""Registry sources, indexed by name: the plug-in seam of the crawler.

A source is one module under ``crawler/sources/`` exposing:

- ``NAME``: the registry's name on the command line (``ctgov``, ``ctis`` …);
- ``parse(page: bytes, url: str) -> Iterator[Trial]``: pure, every record of
  one saved page or response; the first unreadable record raises
  `SourceParseError`;
- ``read_records(stream: BinaryIO, where: str) -> Iterator[Trial | SourceParseError]``:
  pure, streaming, every record of a file (an export of 20,000 records is
  read one record at a time); a record that does not parse comes out as a
  `SourceParseError` naming its position and reason, and the rest go on;
- ``recognises(head: bytes, name: str) -> bool``: whether a file beginning
  with *head* is in a format the source reads;
- and, for a registry with an online interface, ``ONLINE``: how to page
  through it (`crawler.paging.OnlineRegistry`).

What every source shares is elsewhere: politeness (`crawler.polite`),
checkpoints, resume and the error quarantine (`crawler.crawl`), content
hashes and storage (`db.trials`), file walking (`crawler.importer`). The
loader imports the modules listed in ``SOURCE_MODULES`` and refuses two
sources claiming one name, so adding a registry is adding a module here.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from functools import cache
from types import ModuleType
from typing import Any, BinaryIO, Protocol, cast

from trialmatch.core.errors import ConfigError, SourceParseError
from trialmatch.core.trial import Trial

SOURCE_MODULES = (
    "crawler.sources.ctgov",
    "crawler.sources.ctis",
    "crawler.sources.euctr",
    "crawler.sources.isrctn",
    "crawler.sources.anzctr",
    "crawler.sources.who_ictrp",
)
REQUIRED = ("parse", "read_records", "recognises")


class Source(Protocol):
    NAME: str

    def parse(self, page: Any, url: str) -> Iterator[Trial]: ...

    def read_records(self, stream: BinaryIO, where: str) -> Iterator[Trial | SourceParseError]: ...

    def recognises(self, head: bytes, name: str) -> bool: ...


def index_sources(modules: Iterable[ModuleType]) -> dict[str, Source]:
    """Index *modules* by their ``NAME``; a duplicate or incomplete source is an error."""
    index: dict[str, Source] = {}
    for module in modules:
        name = getattr(module, "NAME", None)
        missing = [item for item in REQUIRED if not callable(getattr(module, item, None))]
        if not isinstance(name, str) or missing:
            lacking = ", ".join(["NAME"] if not isinstance(name, str) else missing)
            raise ConfigError(f"source module {module.__name__} lacks {lacking}")
        if name in index:
            raise ConfigError(f"two sources named {name!r}: {module.__name__} and another")
        index[name] = cast(Source, module)
    return index


@cache
def all_sources() -> dict[str, Source]:
    return index_sources(importlib.import_module(name) for name in SOURCE_MODULES)


def get_source(name: str) -> Source:
    sources = all_sources()
    if name not in sources:
        known = ", ".join(sorted(sources))
        raise ConfigError(f"no registry source {name!r} (known: {known})")
    return sources[name]


def online_sources() -> dict[str, Any]:
    """The sources that can be crawled, by name, with their ``ONLINE`` paging."""
    return {
        name: source.ONLINE  # type: ignore[attr-defined]
        for name, source in all_sources().items()
        if getattr(source, "ONLINE", None) is not None
    }
