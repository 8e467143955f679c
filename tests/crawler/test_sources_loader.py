from __future__ import annotations

from types import ModuleType

import pytest

from crawler.sources import (
    SOURCE_MODULES,
    all_sources,
    anzctr,
    ctgov,
    ctis,
    get_source,
    index_sources,
    online_sources,
)
from trialmatch.core.errors import ConfigError

REGISTRIES = {"ctgov", "ctis", "euctr", "isrctn", "anzctr", "who-ictrp"}


def test_every_registry_is_indexed_by_its_name() -> None:
    assert get_source("ctgov") is ctgov
    assert get_source("ctis") is ctis
    assert set(all_sources()) == REGISTRIES
    assert len(SOURCE_MODULES) == len(REGISTRIES)


def test_registries_with_an_online_interface_page_through_it() -> None:
    online = online_sources()
    assert set(online) == {"ctgov", "ctis", "euctr", "isrctn"}
    for name, paging in online.items():
        assert paging.name == name
        plan = paging.plan(page_size=50, since=None)
        assert plan.mode == "full"


def test_unknown_source_names_the_known_ones() -> None:
    known = "anzctr, ctgov, ctis, euctr, isrctn, who-ictrp"
    with pytest.raises(ConfigError, match=rf"no registry source 'drks' \(known: {known}\)"):
        get_source("drks")


def _module(name: str, **functions: object) -> ModuleType:
    module = ModuleType(name)
    for attribute, value in functions.items():
        setattr(module, attribute, value)
    return module


def test_two_sources_with_one_name_are_refused() -> None:
    impostor = _module(
        "impostor",
        NAME="ctgov",
        parse=anzctr.parse,
        read_records=anzctr.read_records,
        recognises=anzctr.recognises,
    )

    with pytest.raises(ConfigError, match="two sources named 'ctgov'"):
        index_sources([ctgov, impostor])


def test_a_module_without_the_protocol_is_refused() -> None:
    with pytest.raises(ConfigError, match="lacks parse, read_records, recognises"):
        index_sources([_module("nameless", NAME="x")])
    with pytest.raises(ConfigError, match="lacks NAME"):
        index_sources([_module("anonymous", parse=anzctr.parse)])
