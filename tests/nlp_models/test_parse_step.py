"""The parse step against a real database: pending trials parsed, stored, marks cleared."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from db import open_database
from db.criteria import load_criteria, parser_version_of
from nlp_models.version import PARSER_VERSION
from trialmatch.cli import app
from trialmatch.core.errors import TrialNotFound
from trialmatch.steps.parse_step import run_parse_step


def _add_trial(db_path: Path, trial_id: str, text: str, needs_parse: int = 1) -> None:
    database = open_database(db_path)
    database.table("trials").insert(
        {"trial_id": trial_id, "registry": "ctgov", "content_hash": "h", "source_url": "u",
         "eligibility_text": text, "needs_parse": needs_parse}
    )  # fmt: skip
    database.close()


@pytest.fixture
def db_path(tmp_path: Path, nct05935553_text: str) -> Path:
    path = tmp_path / "trialmatch.db"
    _add_trial(path, "NCT05935553", nct05935553_text)
    _add_trial(path, "NCT00000001", "Inclusion Criteria:\n* Adults 18-75 years\n", needs_parse=0)
    _add_trial(path, "NCT00000002", "\x00\x01\x02" * 500)  # binary garbage
    return path


def test_parse_step_parses_pending_and_skips_failures(pipeline, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    report = run_parse_step(db_path)
    assert report.counts["parsed"] == 1
    assert report.counts["failed"] == 1
    assert report.errors and report.errors[0].startswith("NCT00000002")
    database = open_database(db_path)
    criteria = load_criteria(database, "NCT05935553")
    assert criteria[0].id == "I1"
    assert parser_version_of(database, "NCT05935553") == PARSER_VERSION
    pending = {row["trial_id"]: row["needs_parse"] for row in database["trials"].rows}
    assert pending == {"NCT05935553": 0, "NCT00000001": 0, "NCT00000002": 1}
    with pytest.raises(TrialNotFound):
        load_criteria(database, "NCT00000001")
    database.close()


def test_reparse_all(pipeline, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    report = run_parse_step(db_path, reparse_all=True)
    assert report.counts["parsed"] == 2
    database = open_database(db_path)
    assert load_criteria(database, "NCT00000001")[0].category == "age"
    database.close()


def test_parse_command(pipeline, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, ["parse", "--db", str(db_path), "--json"])
    assert result.exit_code == 0, result.output
    assert '"parsed": 1' in result.stdout


def test_criteria_of_an_older_parser_are_parsed_again(pipeline, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    run_parse_step(db_path)
    database = open_database(db_path)
    database.execute("UPDATE criteria SET parser_version = 'nlp-0.9.0'")
    database.conn.commit()
    database.close()
    report = run_parse_step(db_path)
    assert report.counts["outdated"] == 1
    assert report.counts["parsed"] == 1
    database = open_database(db_path)
    assert parser_version_of(database, "NCT05935553") == PARSER_VERSION
    database.close()
    # the binary garbage stays marked and fails again; nothing else is parsed
    counts = run_parse_step(db_path).counts
    assert (counts["parsed"], counts["failed"], counts["outdated"]) == (0, 1, 0)


def test_only_a_studys_chosen_english_registration_is_parsed(pipeline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import os

    from crawler.importer import import_files
    from crawler.sources import get_source

    shared = Path(os.environ.get("TRIALMATCH_SHARED", Path(__file__).parents[3] / "shared"))
    path = tmp_path / "trialmatch.db"
    database = open_database(path)
    euctr = shared / "data/registries/euctr/euctr_fulltext_download_2_trials.txt"
    who = shared / "data/registries/who_ictrp/ntd_ictrp_extract.csv"
    if not (euctr.is_file() and who.is_file()):
        pytest.skip(f"shared data not found at {shared}")
    import_files(database, get_source("euctr"), [euctr])
    import_files(database, get_source("who-ictrp"), [who])
    database.execute("UPDATE trials SET needs_parse = 0 WHERE registry = 'who-ictrp'")
    database.execute(
        "UPDATE trials SET needs_parse = 1 WHERE trial_id IN ('2009-017467-42-ES', 'NCT05957978')"
    )
    database.conn.commit()
    database.close()

    report = run_parse_step(path)

    database = open_database(path)
    parsed = {row[0] for row in database.execute("SELECT trial_id FROM criteria").fetchall()}
    # one registration per EUCTR study (the chosen one), and the two marked WHO records
    assert parsed == {"2021-002179-21-PT", "2022-002568-62-ES", "2009-017467-42-ES", "NCT05957978"}
    assert report.counts["not_english"] == 1
    (spanish,) = load_criteria(database, "2009-017467-42-ES")
    assert (spanish.category, spanish.rule) == ("not_evaluable", None)
    assert "written in 'es', not English" in (spanish.reason or "")
    assert "adultos igual o mayores de 18" in spanish.text  # kept whole for a person to read
    assert len(load_criteria(database, "NCT05957978")) > 1
    database.close()


def test_parser_version_covers_every_file_that_shapes_a_parse() -> None:
    # what the pipeline and the knowledge it reads load: lexicons, rule data, the trained
    # model's files (some without a suffix), the drug dictionary; notes need not count
    from nlp_models import version

    root = Path(version.__file__).resolve().parent.parent
    folders = [root / "nlp_models", root / "knowledge"]
    read = [
        path
        for folder in folders
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.name != "TRAINING.txt"
    ]
    assert any(path.parent.name == "ner" for path in read)  # the model's files are there
    uncovered = [p for p in read if p.suffix not in version._SUFFIXES and p.suffix != ""]
    assert uncovered == []
