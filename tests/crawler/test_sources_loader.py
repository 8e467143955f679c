from __future__ import annotations

from types import ModuleType

import pytest

from crawler.sources import all_sources, ctgov, get_source, index_sources
from trialmatch.core.errors import ConfigError


def test_ctgov_is_indexed_by_its_name() -> None:
    assert get_source("ctgov") is ctgov
    assert set(all_sources()) == {"ctgov"}


def test_unknown_source_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"no registry source 'euctr' \(known: ctgov\)"):
        get_source("euctr")


def test_two_sources_with_one_name_are_refused() -> None:
    impostor = ModuleType("impostor")
    impostor.NAME = "ctgov"  # type: ignore[attr-defined]
    impostor.parse = ctgov.parse  # type: ignore[attr-defined]

    with pytest.raises(ConfigError, match="two sources named 'ctgov'"):
        index_sources([ctgov, impostor])


def test_a_module_without_parse_is_refused() -> None:
    nameless = ModuleType("nameless")
    nameless.NAME = "x"  # type: ignore[attr-defined]

    with pytest.raises(ConfigError, match="lacks NAME or parse"):
        index_sources([nameless])
