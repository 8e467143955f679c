"""Exact drug-name lookup in the dictionary of the pinned ``drug-named-entity-recognition``.

Importing that package builds a character n-gram index for fuzzy matching,
about two seconds of every process's start; the parser only ever matches
exactly, which needs just the three tables of the dictionary file the package
ships. They are read here straight from that file, and `find_drug_names`
matches as the package's ``find_drugs(tokens, is_ignore_case=True)`` does:
each pair of neighbouring tokens first, then each token no pair took.
"""

from __future__ import annotations

import bz2
import pickle
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

PACKAGE = "drug_named_entity_recognition"
DICTIONARY_FILE = "drug_ner_dictionary.pkl.bz2"

Entry = dict[str, Any]


@cache
def _tables() -> tuple[dict[str, list[str]], dict[str, Entry], dict[str, Entry]]:
    """(variant -> canonical names, canonical name -> data, variant -> variant data)."""
    spec = find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"the {PACKAGE} package is not installed")
    with bz2.open(Path(spec.origin).parent / DICTIONARY_FILE, "rb") as handle:
        # the pinned package's own data file, installed from the package index
        data = pickle.load(handle)
    return (
        data["drug_variant_to_canonical"],
        data["drug_canonical_to_data"],
        data["drug_variant_to_variant_data"],
    )


def _entries(variant: str) -> list[Entry]:
    to_canonical, canonical_data, variant_data = _tables()
    extra = variant_data.get(variant, {})
    return [dict(canonical_data.get(canonical, {})) | extra for canonical in to_canonical[variant]]


def find_drug_names(tokens: list[str]) -> list[tuple[Entry, int, int]]:
    """(dictionary entry, first token, end token) of each exact, case-insensitive match."""
    to_canonical = _tables()[0]
    found: list[tuple[Entry, int, int]] = []
    taken: set[int] = set()
    for index in range(len(tokens) - 1):
        pair = f"{tokens[index]} {tokens[index + 1]}".lower()
        if to_canonical.get(pair):
            found.extend((entry, index, index + 2) for entry in _entries(pair))
            taken.update((index, index + 1))
    for index, token in enumerate(tokens):
        word = token.lower()
        if index not in taken and to_canonical.get(word):
            found.extend((entry, index, index + 1) for entry in _entries(word))
            taken.add(index)
    return found
