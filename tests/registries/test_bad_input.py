"""Bad input: a clear error that says what and where, and nothing else lost."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import sqlite_utils
from registry_files import raw

from crawler.importer import import_files
from crawler.sources import get_source
from db.trials import count_trials
from trialmatch.core.errors import SourceParseError
from trialmatch.core.trial import Trial

WHO_OLD = raw("who_ictrp/ICTRP-Results_18Mar2020_covid19.xml")


def _outcomes(source: str, data: bytes, where: str = "test") -> list[Trial | SourceParseError]:
    return list(get_source(source).read_records(io.BytesIO(data), where))


def test_malformed_xml_keeps_the_records_before_the_break() -> None:
    data = WHO_OLD.read_bytes()
    cut = data[: len(data) // 2]  # an export cut short, mid-record

    outcomes = _outcomes("who-ictrp", cut, "cut.xml")

    *trials, failure = outcomes
    assert trials and all(isinstance(t, Trial) for t in trials)
    assert isinstance(failure, SourceParseError)
    assert f"malformed XML after record {len(trials)}" in str(failure)
    assert failure.position.startswith("line ") and "column" in failure.position
    assert "cut.xml" in str(failure)


def test_a_record_without_its_id_is_refused_the_others_go_on() -> None:
    data = WHO_OLD.read_bytes().replace(b"<TrialID>ChiCTR2000029935</TrialID>", b"", 1)

    outcomes = _outcomes("who-ictrp", data)

    failures = [o for o in outcomes if isinstance(o, SourceParseError)]
    assert [(f.reason, f.position) for f in failures] == [
        ("a record without a TrialID", "record 2")
    ]
    assert sum(isinstance(o, Trial) for o in outcomes) == 577


def test_an_euctr_page_cut_before_its_criteria_is_read_without_them() -> None:
    page = raw("euctr/euctr_trial_2015-000590-12_DE.html").read_bytes()
    cut = page[: page.index(b'<td class="first">E.3</td>')]

    (trial,) = _outcomes("euctr", cut, "cut.html")

    assert isinstance(trial, Trial) and trial.trial_id == "2015-000590-12-DE"
    assert trial.eligibility_text is None
    assert "no_eligibility_section" in trial.flags


def test_an_html_page_of_no_trial_is_refused() -> None:
    page = raw("ctgov_classic/ct2_invalid_url_path_error_page_2017.html").read_bytes()

    (failure,) = _outcomes("euctr", page, "error.html")

    assert isinstance(failure, SourceParseError)
    assert "no EudraCT number on the page" in failure.reason


def test_empty_exports_say_so() -> None:
    empty_xml = (
        b"<?xml version='1.0' encoding='UTF-8' ?><Trials_downloaded_from_ICTRP>\n"
        b"</Trials_downloaded_from_ICTRP>"
    )
    assert [str(o) for o in _outcomes("who-ictrp", empty_xml, "empty.xml")] == [
        "who-ictrp: the export holds no trial (empty.xml)"
    ]
    header_only = b"TrialID,Public title,Recruitment Status\n"
    assert [o.reason for o in _outcomes("who-ictrp", header_only)] == [  # type: ignore[union-attr]
        "the export holds no trial"
    ]
    assert [o.reason for o in _outcomes("euctr", b"")] == ["an empty file"]  # type: ignore[union-attr]


def test_an_empty_file_and_a_truncated_zip_are_refused_by_name(
    database: sqlite_utils.Database, tmp_path: Path
) -> None:
    archive = tmp_path / "AllAPIJSON.zip"
    with zipfile.ZipFile(archive, "w") as writer:
        for path in sorted((Path(__file__).parents[1] / "fixtures/ctgov").glob("NCT*.json")):
            writer.write(path, f"NCT/{path.name}")
    whole = archive.read_bytes()
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(whole[: len(whole) * 2 // 3])
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")

    report = import_files(database, get_source("ctgov"), [archive, truncated, empty])

    reasons = {Path(e.url).name: e.reason for e in report.refused}
    assert reasons == {
        "truncated.zip": reasons["truncated.zip"],
        "empty.json": "an empty file",
    }
    assert reasons["truncated.zip"].startswith("not a readable zip archive (truncated or damaged)")
    assert report.records == 5 and count_trials(database) == 5


def test_a_damaged_member_of_a_zip_is_refused_alone(
    database: sqlite_utils.Database, tmp_path: Path
) -> None:
    archive = tmp_path / "bulk.zip"
    fixtures = sorted((Path(__file__).parents[1] / "fixtures/ctgov").glob("NCT*.json"))
    with zipfile.ZipFile(archive, "w") as writer:
        for path in fixtures:
            writer.write(path, path.name)
        writer.writestr("NCT99999999.json", b'{"protocolSection": {"identificationModule": ')

    report = import_files(database, get_source("ctgov"), [archive])

    assert report.records == len(fixtures)
    (refusal,) = report.refused
    assert refusal.url.endswith("bulk.zip!NCT99999999.json")
    assert refusal.reason.startswith("invalid JSON")
