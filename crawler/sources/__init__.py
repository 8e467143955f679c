"""Registry sources, indexed by name.

A source is a module exposing ``NAME`` and a pure ``parse(page, url) ->
Iterator[Trial]``. The loader imports the modules listed in
``SOURCE_MODULES`` and refuses two sources claiming one name, so a typo in a
new source cannot silently shadow an existing one.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from functools import cache
from types import ModuleType
from typing import Any, Protocol, cast

from trialmatch.core.errors import ConfigError
from trialmatch.core.trial import Trial

SOURCE_MODULES = ("crawler.sources.ctgov",)


class Source(Protocol):
    NAME: str

    def parse(self, page: Any, url: str) -> Iterator[Trial]: ...


def index_sources(modules: Iterable[ModuleType]) -> dict[str, Source]:
    """Index *modules* by their ``NAME``; a duplicate or nameless source is an error."""
    index: dict[str, Source] = {}
    for module in modules:
        name = getattr(module, "NAME", None)
        if not isinstance(name, str) or not callable(getattr(module, "parse", None)):
            raise ConfigError(f"source module {module.__name__} lacks NAME or parse()")
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
