"""No patient data in a log record, a stored run error, a traceback or command output.

The whole pipeline runs through the command line: crawl from the loopback
snapshot server, parse, import (clean, refused and invalid profiles in JSON
Lines, CSV and a FHIR bundle), match, then a nightly run and `runs`. Every
log record down to DEBUG is captured, tracebacks included. Two faults are
injected where nothing real would raise: evaluating one patient raises an
error quoting its facts, and writing the lists in the nightly run raises one
quoting another patient's. Then no profile value may appear in the log, in
the run tables, or in command output, except the pseudonyms the import
lists and, of course, the referral lists themselves.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import matcher.engine
import trialmatch.steps.match_step
from db.connection import open_database
from trialmatch.cli import app
from trialmatch.core.patient import TOP_LEVEL_KEYS
from trialmatch.demo_data.ctgov import load_snapshot_studies
from trialmatch.snapshot_server import SnapshotServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "patients"
RUN_TABLES = ("match_runs", "nightly_runs", "crawl_runs", "crawl_errors")

# Listed: eligible for NCT05935553, with facts found nowhere else.
LISTED = {
    "id": "P-CANARY-LISTED",
    "age": 41,
    "sex": "female",
    "pregnant": False,
    "conditions": [
        {"text": "benzodiazepine use disorder", "code": "F13.20", "system": "icd10cm"},
        {"text": "quillorian tremor", "since": "2017-05"},
    ],
    "medications": [{"text": "lorazepam", "dose": 6.4321, "unit": "mg/day", "since": "2021-01"}],
    "past_medications": [],
    "observations": [
        {"text": "zarquine level", "value": 731.77, "unit": "mmol/L", "date": "2026-10-01"}
    ],
    "allergies": [{"text": "vellomycin"}],
    "location": {"lat": 45.7612, "lon": 4.8351},
    "max_travel_km": 150,
}
# Its every evaluation raises an error that quotes its facts.
FAULTY = {
    "id": "P-CANARY-FAULTY",
    "age": 52,
    "sex": "male",
    "conditions": [{"text": "benzodiazepine use disorder"}, {"text": "drossel palsy"}],
    "medications": [{"text": "diazepam", "dose": 61.875, "unit": "mg/day", "since": "2020-02"}],
    "location": {"lat": 45.7, "lon": 4.8},
}
REFUSED = [
    {"id": "P-CANARY-R1", "medications": [{"text": "lorazepam, prescribed by dr moreaucanary"}]},
    {"id": "jean.canaryson", "age": 40},
    {"id": "P-CANARY-R3", "conditions": [{"text": "born 3 March 1961 in Plouzanet"}]},
    {"id": "P-CANARY-R4", "observations": [{"text": "see MRN 88123456", "value": 1}]},
]
INVALID = [
    {"id": "P-CANARY-I1", "age": "forty-seven and a half", "Hortensia Field": 1},
    {"id": "P-CANARY-I2", "conditions": [{"text": "grellish fever", "since": "last Tuesday"}]},
]
CSV = (
    "id,age,sex,conditions,medications\n"
    "P-CANARY-C1,58,male,benzodiazepine use disorder,alprazolam|4.125|mg/day\n"
    "P-CANARY-C2,unknown-age,female,tressing syndrome,bromazepam|3|mg/day\n"
)


def _run(*arguments: str, ok: bool = True) -> str:
    result = CliRunner().invoke(app, list(arguments))
    if ok:
        assert result.exit_code == 0, result.output
    return result.output


class _Everything(logging.Handler):
    """Every record, formatted with its traceback, as text."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.texts: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))


@pytest.fixture
def captured() -> Iterator[_Everything]:
    handler = _Everything()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


FORMAT_WORDS = TOP_LEVEL_KEYS | {"text", "code", "system", "since", "until", "unit", "value"}


def _values(data: Any) -> Iterator[str]:
    """Every value of a profile, and every key the format does not define."""
    if isinstance(data, dict):
        for key, item in data.items():
            if key not in FORMAT_WORDS:
                yield str(key)
            yield from _values(item)
    elif isinstance(data, list):
        for item in data:
            yield from _values(item)
    elif isinstance(data, float):
        yield repr(data)
    elif isinstance(data, str):
        yield data


def _fhir_identifiers() -> set[str]:
    bundle = json.loads((FIXTURES / "synthea_epilepsy_male.json").read_text(encoding="utf-8"))
    patient = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    found = {patient["id"], patient["birthDate"]}
    for name in patient["name"]:
        found.update(name.get("given", []))
        found.add(name["family"])
    for address in patient["address"]:
        found.update(address["line"])
    found.update(telecom["value"] for telecom in patient["telecom"])
    found.update(identifier["value"] for identifier in patient["identifier"])
    return found


def _faulty_evaluation(real: Any) -> Any:
    def evaluate(memo: Any, trial: Any, plan: Any) -> Any:
        profile = memo.facts.profile
        if profile.id == FAULTY["id"]:
            facts = ", ".join(condition.text for condition in profile.conditions)
            raise ValueError(f"cannot compare {facts} at {profile.medications[0].dose} mg/day")
        return real(memo, trial, plan)

    return evaluate


def _faulty_lists(real: Any) -> Any:
    class Faulty(real):  # type: ignore[misc,valid-type]
        def add(self, pair: Any, entry_body: bytes) -> None:
            if pair.patient_id == LISTED["id"]:
                evidence = entry_body.decode("utf-8")
                raise OSError(f"disk full while writing {LISTED['id']}: {evidence}")
            super().add(pair, entry_body)

    return Faulty


def test_no_profile_value_outside_the_referral_lists(
    tmp_path: Path, captured: _Everything, monkeypatch: pytest.MonkeyPatch
) -> None:
    database, out = tmp_path / "trialmatch.db", tmp_path / "lists"
    profiles = tmp_path / "profiles.jsonl"
    fixture_profiles = json.loads((FIXTURES / "nct05935553_profiles.json").read_text())
    every = [*fixture_profiles, LISTED, FAULTY, *REFUSED, *INVALID]
    profiles.write_text("".join(json.dumps(item) + "\n" for item in every), encoding="utf-8")
    (tmp_path / "more.csv").write_text(CSV, encoding="utf-8")
    monkeypatch.setenv("TRIALMATCH_REQUEST_DELAY", "0")
    monkeypatch.setattr(
        matcher.engine, "evaluate_pair", _faulty_evaluation(matcher.engine.evaluate_pair)
    )
    outputs = []
    with SnapshotServer(load_snapshot_studies(), max_page_size=25) as server:
        monkeypatch.setenv("TRIALMATCH_CTGOV_BASE_URL", server.base_url)
        outputs.append(_run("crawl", "--registry", "ctgov", "--db", str(database)))
        outputs.append(_run("parse", "--db", str(database)))
        imported = [
            _run("patients", "import", str(path), "--db", str(database), *flag)
            for path in (profiles, tmp_path / "more.csv", FIXTURES / "synthea_epilepsy_male.json")
            for flag in ((), ("--json",))
        ]
        outputs.append(_run("match", "--db", str(database), "--out", str(out)))
        outputs.append(_run("match", "--db", str(database), "--out", str(out), "--json"))
        referrals = (out / "referrals.json").read_text(encoding="utf-8")
        monkeypatch.setattr(
            trialmatch.steps.match_step,
            "ReferralWriter",
            _faulty_lists(trialmatch.steps.match_step.ReferralWriter),
        )
        monkeypatch.setenv("TRIALMATCH_OUT_DIR", str(out))
        outputs.append(_run("nightly", "--db", str(database), ok=False))
        outputs.append(_run("runs", "--db", str(database)))
        outputs.append(_run("runs", "--db", str(database), "--json"))
    with open_database(database) as opened:
        stored = [json.dumps(list(opened[table].rows), default=str) for table in RUN_TABLES]

    # the faults happened, were recorded, and the lists carry the listed patient's facts
    log = "\n".join(captured.texts)
    assert "ValueError at test_no_patient_data_in_logs.py" in log
    assert "OSError at test_no_patient_data_in_logs.py" in " ".join(stored)
    assert "Traceback" in log
    assert LISTED["id"] in referrals and "6.4321" in referrals
    assert "imported 9 profiles" in imported[0] and "refused 4" in imported[0]

    pseudonyms = {str(item["id"]) for item in every if "." not in str(item["id"])}
    pseudonyms |= {"P-CANARY-C1", "P-CANARY-C2"}
    every_value = {text for item in every for text in _values(item) if len(text) > 3}
    every_value |= {"alprazolam|4.125", "tressing syndrome", "4.125", "unknown-age"}
    every_value |= {"moreaucanary", "Plouzanet", "3 March 1961", "88123456", "grellish"}
    every_value |= _fhir_identifiers()
    trial_text = _trial_text(database)
    # a value the public trial records also carry ("lorazepam") says nothing of a patient
    private = {text for text in every_value if text.lower() not in trial_text}
    assert {"quillorian tremor", "moreaucanary", "Hortensia Field", FAULTY["id"]} <= private
    for channel, texts in (("log", [log]), ("run tables", stored)):
        leaked = sorted(text for text in private for where in texts if text in where)
        assert not leaked, f"{channel}: {leaked}"
    shown = "\n".join(outputs + imported)
    leaked = sorted(text for text in private - pseudonyms if text in shown)
    assert not leaked, f"command output: {leaked}"


def _trial_text(database: Path) -> str:
    with open_database(database) as opened:
        rows = opened.execute("SELECT raw, eligibility_text FROM trials").fetchall()
    return re.sub(r"\s+", " ", " ".join(str(value) for row in rows for value in row)).lower()
