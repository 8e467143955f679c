"""The guard against its corpus: every identifier-bearing profile refused, every clean one kept.

`anonymity_corpus/identifying.jsonl` holds one case a line: a profile that
carries one direct identifier, the field it is in and the kind the refusal
must name. `clean.jsonl` holds profiles that must pass: eponyms, long lab
values, codes, gene variants, staging, karyotypes, scores, doses, dates of
month precision and look-alikes of titles, addresses and numbers.
``python bench/anonymity.py`` prints the counts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from db.connection import open_database
from db.patients import count_patients, store_patients
from matcher.anonymity import check_anonymous
from matcher.loaders import load_file
from trialmatch.core.errors import IdentifierRefused

CORPUS = Path(__file__).resolve().parent / "anonymity_corpus"


def _cases(name: str) -> list[dict[str, Any]]:
    lines = (CORPUS / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


IDENTIFYING = _cases("identifying.jsonl")
CLEAN = _cases("clean.jsonl")


def _values(data: Any, *, keys: bool = True) -> list[str]:
    """Every string and long number in *data*, keys included unless *keys* is false."""
    if isinstance(data, dict):
        named = [str(key) for key in data] if keys else []
        return named + [text for item in data.values() for text in _values(item, keys=keys)]
    if isinstance(data, list):
        return [text for item in data for text in _values(item, keys=keys)]
    if isinstance(data, str) or (isinstance(data, int) and abs(data) >= 1000):
        return [str(data)]
    return []


def test_the_corpus_is_large_enough() -> None:
    assert len(IDENTIFYING) >= 100 and len(CLEAN) >= 100
    assert len({case["case"] for case in IDENTIFYING + CLEAN}) == len(IDENTIFYING) + len(CLEAN)


@pytest.mark.parametrize("case", IDENTIFYING, ids=[case["case"] for case in IDENTIFYING])
def test_identifier_bearing_profile_is_refused(case: dict[str, Any]) -> None:
    with pytest.raises(IdentifierRefused) as caught:
        check_anonymous(case["profile"], "corpus")
    refusal = caught.value
    assert refusal.field == case["field"]
    assert refusal.reason.startswith(f"carries {case['kind']}"), refusal.reason
    # the message names where and what, never the value (field names are ours to show)
    for text in _values(case["profile"]):
        if text not in case["field"] and text not in {"female", "male"} and len(text) > 3:
            assert text not in str(refusal), text


@pytest.mark.parametrize("case", CLEAN, ids=[case["case"] for case in CLEAN])
def test_clean_profile_is_kept(case: dict[str, Any]) -> None:
    check_anonymous(case["profile"], "corpus")


def test_a_file_of_the_whole_corpus_imports_the_clean_and_stores_nothing_else(
    tmp_path: Path,
) -> None:
    mixed = [case["profile"] for pair in zip(IDENTIFYING, CLEAN, strict=False) for case in pair]
    mixed += [case["profile"] for case in CLEAN[len(IDENTIFYING) :]]
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps(item) + "\n" for item in mixed), encoding="utf-8")
    result = load_file(path)
    assert sorted(profile.id for profile in result.profiles) == sorted(
        case["profile"]["id"] for case in CLEAN
    )
    assert len(result.refused) == len(IDENTIFYING)
    assert len(result.rejections) == len(IDENTIFYING)
    with open_database(tmp_path / "corpus.db") as database:
        store_patients(database, result.profiles, source="corpus.jsonl")
        assert count_patients(database) == len(CLEAN)
        dump = "\n".join(database.conn.iterdump())
    shared = {text for case in CLEAN for text in _values(case["profile"])}
    for case in IDENTIFYING:
        values = _values(case["profile"], keys=False)
        # a single plain word ("asthma") may be part of a clean profile's text
        own = [text for text in values if text not in shared and not text.isalpha()]
        assert own and not [text for text in own if text in dump], case["case"]
