"""The acceptance path of the matcher issue, through the command line only.

A loopback server speaking ClinicalTrials.gov API v2 serves the bundled
snapshot; `crawl`, `parse`, `patients import` and `match` run as a user
would run them; the hand-built NCT05935553 profiles get their verdicts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from trialmatch.cli import app
from trialmatch.demo_data.ctgov import load_snapshot_studies
from trialmatch.snapshot_server import SnapshotServer

PROFILES = Path(__file__).resolve().parents[1] / "fixtures" / "patients"
LISTED = {"P-ELIG-F": "eligible", "P-ELIG-M-ZDRUG": "eligible", "P-POSS-NOPREG": "possible"}
LEFT_OUT = {"P-INEL-QUETIAPINE", "P-INEL-BACLOFEN", "P-INEL-ALCOHOL", "P-INEL-DOSE"}


def _run(*arguments: str) -> str:
    result = CliRunner().invoke(app, list(arguments))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def referrals(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("acceptance")
    database, out = str(folder / "trialmatch.db"), folder / "lists"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRIALMATCH_REQUEST_DELAY", "0")
        with SnapshotServer(load_snapshot_studies(), max_page_size=25) as server:
            _run("crawl", "--registry", "ctgov", "--base-url", server.base_url, "--db", database)
        _run("parse", "--db", database)
        _run("patients", "import", str(PROFILES / "nct05935553_profiles.json"), "--db", database)
        _run("match", "--db", database, "--out", str(out))
    return list(json.loads((out / "referrals.json").read_text(encoding="utf-8")))


def test_eligible_and_possible_patients_are_listed(referrals: list[dict[str, Any]]) -> None:
    verdicts = {
        entry["patient_id"]: entry["verdict"]
        for entry in referrals
        if entry["trial_id"] == "NCT05935553"
    }
    assert {patient: verdicts.get(patient) for patient in LISTED} == LISTED


def test_ineligible_patients_are_left_out(referrals: list[dict[str, Any]]) -> None:
    listed = {entry["patient_id"] for entry in referrals if entry["trial_id"] == "NCT05935553"}
    assert not listed & LEFT_OUT


def test_every_criterion_carries_status_and_evidence(referrals: list[dict[str, Any]]) -> None:
    entry = next(e for e in referrals if e["patient_id"] == "P-ELIG-F")
    assert entry["distance_km"] is not None and entry["distance_km"] < 5
    statuses = {criterion["status"] for criterion in entry["criteria"]}
    assert statuses <= {"met", "not_met", "unknown", "not_evaluable"}
    assert all(criterion["evidence"] for criterion in entry["criteria"])
    dose = next(c for c in entry["criteria"] if "200 mg-diazepam" in c["text"])
    assert dose["status"] == "met"
    assert "60" in dose["evidence"], dose
