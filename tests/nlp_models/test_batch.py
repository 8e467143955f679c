"""`parse_many` and `ParserPool`: worker processes give the same criteria as one process."""

from __future__ import annotations

from pathlib import Path

from spacy.language import Language

from db import open_database
from db.criteria import load_criteria
from nlp_models.batch import ParserPool, default_workers, parse_many
from nlp_models.parser import parse_eligibility
from trialmatch.core.errors import CriteriaParseError
from trialmatch.steps.parse_step import run_parse_step

GARBAGE = "\x00\x01\x02" * 500


def _texts(count: int) -> list[str]:
    return [
        f"Inclusion Criteria:\n* Adults {18 + n % 5}-75 years\n* HbA1c < {7 + n % 3}%\n"
        f"Exclusion Criteria:\n* Pregnancy\n* Use of lorazepam within {n % 12 + 1} months\n"
        for n in range(count)
    ]


def test_workers_give_the_serial_result_in_order(pipeline: Language) -> None:
    texts = _texts(80)
    texts[40] = GARBAGE
    serial = parse_many(texts)
    parallel = parse_many(texts, workers=2)
    assert isinstance(parallel[40], CriteriaParseError)
    assert str(parallel[40]) == str(serial[40])
    del serial[40], parallel[40], texts[40]
    assert parallel == serial
    assert parallel[0] == parse_eligibility(texts[0])


def test_pool_serves_several_calls(pipeline: Language) -> None:
    texts = _texts(70)
    with ParserPool(2) as pool:
        first, second = pool.parse(texts), pool.parse(texts[:3])  # the second: in-process
    assert first[:3] == second
    assert default_workers() >= 1


def test_parse_step_with_workers(pipeline: Language, tmp_path: Path) -> None:
    db_path = tmp_path / "trialmatch.db"
    database = open_database(db_path)
    texts = [*_texts(70), GARBAGE]
    database.table("trials").insert_all(
        {"trial_id": f"NCT{n:08d}", "registry": "ctgov", "content_hash": "h", "source_url": "u",
         "eligibility_text": text, "needs_parse": 1}
        for n, text in enumerate(texts)
    )  # fmt: skip
    database.close()
    seen: list[int] = []
    report = run_parse_step(db_path, workers=2, on_progress=lambda done, total: seen.append(done))
    assert report.counts["parsed"] == 70
    assert report.counts["failed"] == 1
    assert seen == list(range(1, 72))
    database = open_database(db_path)
    assert load_criteria(database, "NCT00000003") == parse_eligibility(texts[3])
    database.close()
