"""Import → match → referral lists, incremental re-matching, through the CLI and the step."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from db.connection import open_database
from db.trials import store_trials
from trialmatch.cli import app
from trialmatch.core.trial import Trial
from trialmatch.steps.match_step import run_match_step

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "patients"
TODAY = date(2026, 11, 24)
EXPECTED = {
    "P-ELIG-F": "eligible",
    "P-ELIG-M-ZDRUG": "eligible",
    "P-POSS-NOPREG": "possible",
}
INELIGIBLE = {"P-INEL-QUETIAPINE", "P-INEL-BACLOFEN", "P-INEL-ALCOHOL", "P-INEL-DOSE"}


@pytest.fixture
def database_path(tmp_path: Path, example_trial: Trial) -> Path:
    path = tmp_path / "trialmatch.db"
    store_trials(open_database(path), [example_trial])
    return path


def _import(database_path: Path, *files: Path) -> str:
    result = CliRunner().invoke(
        app, ["patients", "import", *map(str, files), "--db", str(database_path)]
    )
    assert result.exit_code == 0, result.output
    return result.output


def _listed(out: Path) -> dict[str, dict[str, Any]]:
    entries = json.loads((out / "referrals.json").read_text(encoding="utf-8"))
    return {entry["patient_id"]: entry for entry in entries}


def test_import_prints_counts_and_refusals(database_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "mixed.json"
    path.write_text(
        json.dumps(
            [
                {"id": "P-1", "age": 40},
                {"id": "P-2", "phone": "555-961-9901"},
                {"id": "P-3", "age": "x"},
            ]
        ),
        encoding="utf-8",
    )
    output = _import(database_path, path)
    assert (
        "imported 1 profiles (1 new, 0 changed), refused 1 carrying an identifier, 1 invalid"
        in output
    )
    assert "entry 2 (id P-2): field 'phone': carries contact details" in output
    assert "entry 3 (id P-3): field 'age': expected a number" in output
    assert "555-961-9901" not in output


def test_match_lists_the_right_verdicts(database_path: Path, tmp_path: Path) -> None:
    _import(database_path, FIXTURES / "nct05935553_profiles.json")
    out = tmp_path / "out"
    report = run_match_step(database_path, out, today=TODAY)
    listed = _listed(out)
    assert {pid: entry["verdict"] for pid, entry in listed.items()} == EXPECTED
    assert all(entry["new"] for entry in listed.values())
    assert listed["P-ELIG-F"]["distance_km"] == pytest.approx(1.4, abs=0.2)
    assert report.counts["ineligible"] == len(INELIGIBLE)
    rows = (
        open_database(database_path)
        .execute("SELECT patient_id, failed, statuses FROM matches WHERE verdict = 'ineligible'")
        .fetchall()
    )
    assert {row[0] for row in rows} == INELIGIBLE
    # kept compactly: the criteria that fail the pair, and every result's status as a letter
    failed = {row[0]: row[1].split(",") for row in rows}
    (reason,) = failed["P-INEL-BACLOFEN"]
    assert reason.startswith("E")
    assert all(row[2] and set(row[2]) <= set("mnue") for row in rows)


def test_three_files_are_written(database_path: Path, tmp_path: Path) -> None:
    _import(database_path, FIXTURES / "nct05935553_profiles.json")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["match", "--db", str(database_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 pairs listed (3 new)" in result.output
    with (out / "referrals.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["patient_id"] for row in rows} == set(EXPECTED)
    by_id = {row["patient_id"]: row for row in rows}
    assert by_id["P-ELIG-F"]["verdict"] == "eligible" and by_id["P-ELIG-F"]["new"] == "yes"
    assert by_id["P-POSS-NOPREG"]["distance_km"] == ""
    assert "Ask: does this apply" in by_id["P-POSS-NOPREG"]["checklist"]
    index = (out / "referrals.html").read_text(encoding="utf-8")
    assert "NCT05935553" in index and "Hospices Civils de Lyon" in index
    pages = {path.name: path.read_text(encoding="utf-8") for path in (out / "sites").iterdir()}
    assert len(pages) == 2  # the Lyon site, and the pairs of patients with no location
    html = "".join(pages.values())
    assert "@media print" in html and "P-POSS-NOPREG" in html and "P-INEL" not in html
    assert "To ask or check with the patient" in html
    assert all(f'href="sites/{name}"' in index for name in pages)


def test_html_escapes_everything(database_path: Path, tmp_path: Path) -> None:
    profile = {
        "id": "P-ESC",
        "age": 40,
        "sex": "male",
        "conditions": [{"text": "benzodiazepine use disorder <script>alert(1)</script>"}],
        "medications": [{"text": "lorazepam", "dose": 6, "unit": "mg/day", "since": "2020"}],
        "past_medications": [],
    }
    path = tmp_path / "escape.json"
    path.write_text(json.dumps([profile]), encoding="utf-8")
    _import(database_path, path)
    run_match_step(database_path, tmp_path / "out", today=TODAY)
    out = tmp_path / "out"
    pages = [out / "referrals.html", *(out / "sites").iterdir()]
    html = "".join(path.read_text(encoding="utf-8") for path in pages)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_rematching_is_incremental(database_path: Path, tmp_path: Path) -> None:
    _import(database_path, FIXTURES / "nct05935553_profiles.json")
    out = tmp_path / "out"
    first = run_match_step(database_path, out, today=TODAY)
    assert first.counts["evaluated"] == 7
    second = run_match_step(database_path, out, today=TODAY)
    assert second.counts["evaluated"] == 0 and second.counts["unchanged"] == 7
    assert not any(entry["new"] for entry in _listed(out).values())

    changed = json.loads((FIXTURES / "nct05935553_profiles.json").read_text(encoding="utf-8"))
    dose = next(p for p in changed if p["id"] == "P-INEL-DOSE")
    dose["medications"][0]["dose"] = 6
    path = tmp_path / "changed.json"
    path.write_text(json.dumps([dose]), encoding="utf-8")
    assert "0 new, 1 changed" in _import(database_path, path)
    third = run_match_step(database_path, out, today=TODAY)
    assert third.counts["evaluated"] == 1 and third.counts["unchanged"] == 6
    listed = _listed(out)
    assert listed["P-INEL-DOSE"]["verdict"] == "eligible" and listed["P-INEL-DOSE"]["new"]
    assert not listed["P-ELIG-F"]["new"]


def test_a_result_with_time_windows_is_evaluated_again_on_a_later_day(
    database_path: Path, tmp_path: Path
) -> None:
    profiles = json.loads((FIXTURES / "nct05935553_profiles.json").read_text(encoding="utf-8"))
    recent = next(p for p in profiles if p["id"] == "P-ELIG-F")
    recent["medications"][0]["since"] = "2026-11-04"  # 20 days of lorazepam, not 12 weeks
    path = tmp_path / "recent.json"
    path.write_text(json.dumps([recent]), encoding="utf-8")
    _import(database_path, path)
    out = tmp_path / "out"
    assert run_match_step(database_path, out, today=TODAY).counts["evaluated"] == 1
    assert _listed(out) == {}  # "continued use … for more than 12 weeks" not met yet
    # NCT05935553 counts 28-day and 12-week spans: a stored answer may be stale a day later
    later = run_match_step(database_path, out, today=date(2027, 2, 10))
    assert later.counts["evaluated"] == 1 and later.counts["unchanged"] == 0
    assert _listed(out)["P-ELIG-F"]["verdict"] == "eligible"
    same_day = run_match_step(database_path, out, today=date(2027, 2, 10))
    assert same_day.counts["unchanged"] == 1


def test_a_result_without_time_windows_is_kept_on_a_later_day(
    tmp_path: Path, example_trial: Trial
) -> None:
    timeless = Trial(
        **{
            **vars(example_trial),
            "trial_id": "NCT00000018",
            "eligibility_text": "Inclusion Criteria:\n\n* Aged 18 to 65 years\n",
            "raw": {**example_trial.raw, "timeless": True},
        }
    )
    database_path = tmp_path / "timeless.db"
    store_trials(open_database(database_path), [timeless])
    _import(database_path, FIXTURES / "nct05935553_profiles.json")
    out = tmp_path / "out"
    first = run_match_step(database_path, out, today=TODAY)
    later = run_match_step(database_path, out, today=date(2027, 2, 10))
    assert later.counts["evaluated"] == 0
    assert later.counts["unchanged"] == first.counts["evaluated"] > 0


def test_changed_trial_is_rematched_and_closed_trial_dropped(
    database_path: Path, tmp_path: Path, example_trial: Trial
) -> None:
    _import(database_path, FIXTURES / "nct05935553_profiles.json")
    out = tmp_path / "out"
    run_match_step(database_path, out, today=TODAY)
    database = open_database(database_path)
    raw = {**example_trial.raw, "edited": True}
    store_trials(database, [Trial(**{**vars(example_trial), "raw": raw})])
    assert run_match_step(database_path, out, today=TODAY).counts["evaluated"] == 7
    closed = Trial(
        **{**vars(example_trial), "overall_status": "COMPLETED", "raw": {**raw, "closed": 1}}
    )
    store_trials(database, [closed])
    report = run_match_step(database_path, out, today=TODAY)
    assert report.counts["dropped"] == 7 and _listed(out) == {}


def test_fhir_and_csv_import_through_the_cli(database_path: Path) -> None:
    output = _import(
        database_path,
        FIXTURES / "synthea_epilepsy_male.json",
        FIXTURES / "synthea_practitioners_only.json",
        FIXTURES / "profiles.csv",
    )
    assert "imported 4 profiles" in output
    assert "expected a Patient resource in the bundle (found Practitioner)" in output


@pytest.mark.parametrize("path", [("patients", "import"), ("match",)], ids=" ".join)
def test_commands_have_help_with_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Example: trialmatch " + " ".join(path) in result.output


def test_end_to_end_through_the_parse_step(database_path: Path, tmp_path: Path) -> None:
    parse_step = pytest.importorskip("trialmatch.steps.parse_step")
    parsed = parse_step.run_parse_step(database_path)
    assert not parsed.errors, parsed.errors
    _import(database_path, FIXTURES / "nct05935553_profiles.json", FIXTURES / "profiles.csv")
    out = tmp_path / "out"
    run_match_step(database_path, out, today=TODAY)
    verdicts = {pid: entry["verdict"] for pid, entry in _listed(out).items()}
    assert {pid: verdicts.get(pid) for pid in EXPECTED} == EXPECTED
    assert not INELIGIBLE & set(verdicts)
    assert verdicts["C-1"] == "eligible" and verdicts["C-3"] == "possible"
    assert "C-2" not in verdicts  # past baclofen, 45 mg diazepam-equivalent
