"""Exact drug-name lookup in the drug dictionary (``data/drug_dictionary.json.gz``).

The dictionary is that of the pinned ``drug-named-entity-recognition``
package (DrugBank, MeSH, NHS and MedlinePlus names, brand names included),
cut by ``bench/build_drug_dictionary.py`` to what the parser reads: each
name's generic name, whether DrugBank lists it, and whether MeSH files it
only as a pharmacological action. `find_drug_names` matches as the package's
``find_drugs(tokens, is_ignore_case=True)`` does: each pair of neighbouring
tokens first, then each token no pair took.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DICTIONARY_FILE = Path(__file__).resolve().parent / "data" / "drug_dictionary.json.gz"


@dataclass(frozen=True)
class DictionaryDrug:
    name: str  # the dictionary's generic name as written ("Abacavir"); "" when it has none
    in_drugbank: bool
    mesh_action_only: bool  # MeSH files it only under pharmacological actions (tree D27)


@cache
def _variants() -> dict[str, tuple[DictionaryDrug, ...]]:
    """Lower-case name -> the drugs it names."""
    with gzip.open(DICTIONARY_FILE, "rt", encoding="utf-8") as handle:
        document = json.load(handle)
    drugs = [DictionaryDrug(str(name), bool(bank), bool(action))
             for name, bank, action in document["drugs"]]  # fmt: skip
    return {
        variant: tuple(drugs[number] for number in numbers)
        for variant, numbers in document["variants"].items()
    }


def find_drug_names(tokens: list[str]) -> list[tuple[DictionaryDrug, int, int]]:
    """(drug, first token, end token) of each exact, case-insensitive match."""
    variants = _variants()
    found: list[tuple[DictionaryDrug, int, int]] = []
    taken: set[int] = set()
    for index in range(len(tokens) - 1):
        named = variants.get(f"{tokens[index]} {tokens[index + 1]}".lower())
        if named:
            found.extend((drug, index, index + 2) for drug in named)
            taken.update((index, index + 1))
    for index, token in enumerate(tokens):
        named = variants.get(token.lower()) if index not in taken else None
        if named:
            found.extend((drug, index, index + 1) for drug in named)
            taken.add(index)
    return found
