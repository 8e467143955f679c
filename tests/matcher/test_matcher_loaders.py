"""Loading profiles: JSON, JSON Lines, CSV (with line numbers) and FHIR R4 Bundles."""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import date
from pathlib import Path

import pytest

from matcher.loaders import load_file, read_profile
from trialmatch.core.errors import ProfileError
from trialmatch.core.pseudonyms import PseudonymKey

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "patients"
# shared/ sits beside the repository (in CI too); TRIALMATCH_SHARED overrides.
SHARED = Path(os.environ.get("TRIALMATCH_SHARED", Path(__file__).resolve().parents[3] / "shared"))
SYNTHEA = SHARED / "data" / "fhir_r4_synthea"
TODAY = date(2026, 11, 24)


@pytest.fixture
def pseudonyms(tmp_path: Path) -> PseudonymKey:
    """A key of its own for each test, created on first use like an installation's."""
    return PseudonymKey(tmp_path / "secret" / "trialmatch.secret")


def test_json_list_loads_every_profile() -> None:
    result = load_file(FIXTURES / "nct05935553_profiles.json")
    assert not result.rejections
    assert len(result.profiles) == 7
    first = result.profiles[0]
    assert first.conditions is not None and first.conditions[0].code == "F13.20"
    assert first.medications is not None and first.medications[0].dose == 6.0


def test_code_only_condition_gets_its_icd10_description() -> None:
    profile = read_profile({"id": "P-1", "conditions": [{"code": "F13.20", "system": "icd10cm"}]})
    assert profile.conditions is not None
    assert "anxiolytic dependence" in profile.conditions[0].text


def test_json_lines_reports_line_numbers_and_keeps_good_lines() -> None:
    result = load_file(FIXTURES / "profiles.jsonl")
    assert [profile.id for profile in result.profiles] == ["L-1", "L-5"]
    described = [item.describe() for item in result.rejections]
    path = FIXTURES / "profiles.jsonl"
    assert described == [
        f"{path}:3 (id L-2): field 'age': expected a number",
        f"{path}:4 (id L-3): field 'email': carries contact details; profile refused",
        f"{path}:5: not JSON (column 2)",
    ]


def test_csv_profiles_with_lists_and_parts() -> None:
    result = load_file(FIXTURES / "profiles.csv")
    assert not result.rejections, [item.describe() for item in result.rejections]
    first, second, third = result.profiles
    assert first.location is not None and first.location.lat == 45.76
    assert first.past_medications == () and first.allergies == ()
    assert second.conditions is not None and len(second.conditions) == 2
    assert second.medications is not None and [m.text for m in second.medications] == [
        "alprazolam",
        "zolpidem",
    ]
    assert second.past_medications is not None and second.past_medications[0].until == "2018"
    assert third.conditions is None and third.medications is None  # empty cell: not recorded


def test_csv_errors_name_line_and_column() -> None:
    result = load_file(FIXTURES / "bad.csv")
    path = FIXTURES / "bad.csv"
    assert [profile.id for profile in result.profiles] == ["B-1", "B-8"]
    assert [item.describe() for item in result.rejections] == [
        f"{path}:3 (id B-2): field 'age': expected a number",
        f"{path}:4 (id B-3): field 'sex': expected 'female' or 'male'",
        f"{path}:5 (id B-4): field 'medications[0].dose': expected a number",
        f"{path}:6 (id B-5): field 'conditions[0].active': expected true or false",
        f"{path}:7 (id B-6): field 'lat/lon': expected both lat and lon, or neither",
        f"{path}:8: expected 7 cells as in the header, found 3",
    ]


def test_csv_without_id_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "no_id.csv"
    path.write_text("age,sex\n42,female\n", encoding="utf-8")
    (rejection,) = load_file(path).rejections
    assert rejection.describe() == f"{path}:1: field 'id': the header row has no 'id' column"


def test_csv_identifier_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_text("id,name,age\nP-1,Jane Doe,42\n", encoding="utf-8")
    result = load_file(path)
    assert not result.profiles
    assert result.refused[0].field == "name"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"age": 42}, "id"),
        ({"id": "P-1", "age": -1}, "age"),
        ({"id": "P-1", "sex": "x"}, "sex"),
        ({"id": "P-1", "conditions": [{"text": ""}]}, "conditions[0].text"),
        ({"id": "P-1", "medications": [{"text": "x", "since": "March"}]}, "medications[0].since"),
        ({"id": "P-1", "observations": [{"text": "eGFR"}]}, "observations[0].value"),
        ({"id": "P-1", "location": {"lat": 99, "lon": 0}}, "location"),
        ({"id": "P-1", "weight": 80}, None),  # an unknown field is not named
        ({"id": "P-1", "conditions": [{"text": "x", "Moreau": 1}]}, "conditions[0]"),
        ({"id": "P-1", "sex": "male", "pregnant": True}, "pregnant"),
    ],
    ids=[
        "no-id",
        "negative-age",
        "bad-sex",
        "empty-text",
        "bad-date",
        "no-value",
        "bad-lat",
        "unknown-field",
        "unknown-field-in-a-fact",
        "male-pregnant",
    ],
)
def test_validation_names_the_field(data: dict[str, object], field: str | None) -> None:
    with pytest.raises(ProfileError) as caught:
        read_profile(data, "file.json: entry 1")
    assert caught.value.field == field
    assert str(caught.value).startswith("file.json: entry 1: ")
    assert "weight" not in str(caught.value) and "Moreau" not in str(caught.value)


def test_fhir_bundle_keeps_only_allowed_facts(pseudonyms: PseudonymKey) -> None:
    result = load_file(FIXTURES / "synthea_epilepsy_male.json", today=TODAY, pseudonyms=pseudonyms)
    (profile,) = result.profiles
    assert profile.id.startswith("FHIR-") and "fc712d1f" not in profile.id
    assert profile.age == 33 and profile.sex == "male"
    # the bundle gives 14 decimals; two are kept (about a kilometre)
    assert profile.location is not None and (profile.location.lat, profile.location.lon) == (
        42.33,
        -71.02,
    )
    assert profile.conditions is not None and "Epilepsy" in [c.text for c in profile.conditions]
    assert profile.medications is not None and [m.text for m in profile.medications] == [
        "Clonazepam",
        "Carbamazepine",
    ]
    assert profile.observations is not None and "bmi" in [o.text for o in profile.observations]
    stored = json.dumps(profile.to_dict())
    for secret in (
        "Atencio",
        "Alberto",
        "999-61-3984",
        "1993-06-07",
        "Koch Crossroad",
        "555-961-9901",
    ):
        assert secret not in stored


def test_fhir_pseudonym_is_keyed_by_the_installation_secret(tmp_path: Path) -> None:
    bundle = FIXTURES / "synthea_epilepsy_male.json"
    first = PseudonymKey(tmp_path / "a.secret")
    (one,) = load_file(bundle, today=TODAY, pseudonyms=first).profiles
    (again,) = load_file(
        bundle, today=TODAY, pseudonyms=PseudonymKey(tmp_path / "a.secret")
    ).profiles
    (other,) = load_file(
        bundle, today=TODAY, pseudonyms=PseudonymKey(tmp_path / "b.secret")
    ).profiles
    assert one.id == again.id != other.id
    assert re.fullmatch(r"FHIR-[a-z]{16}", one.id)
    # the unkeyed pseudonym anybody could recompute from the record number is gone
    patient_id = next(
        entry["resource"]["id"]
        for entry in json.loads(bundle.read_text())["entry"]
        if entry["resource"]["resourceType"] == "Patient"
    )
    digest = hashlib.sha256(patient_id.encode()).digest()
    assert one.id != "FHIR-" + "".join(chr(97 + byte % 26) for byte in digest[:12])


def test_fhir_bundle_without_a_key_is_refused(tmp_path: Path) -> None:
    result = load_file(FIXTURES / "synthea_epilepsy_male.json", today=TODAY)
    (rejection,) = result.rejections
    assert not result.profiles and rejection.field == "Patient.id"
    assert "no pseudonym key" in rejection.reason


def test_fhir_bundle_without_patient_is_refused_clearly(pseudonyms: PseudonymKey) -> None:
    result = load_file(FIXTURES / "synthea_practitioners_only.json", pseudonyms=pseudonyms)
    (rejection,) = result.rejections
    assert not result.profiles
    assert "expected a Patient resource in the bundle (found Practitioner)" in rejection.describe()


def test_invalid_fhir_resource_names_entry_and_field(
    tmp_path: Path, pseudonyms: PseudonymKey
) -> None:
    document = json.loads((FIXTURES / "synthea_hypertension_female.json").read_text())
    condition = next(e for e in document["entry"] if e["resource"]["resourceType"] == "Condition")
    condition["resource"]["onsetDateTime"] = "not a date"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    (rejection,) = load_file(path, pseudonyms=pseudonyms).rejections
    assert "invalid FHIR in entry of Condition" in rejection.reason
    assert rejection.field == "resource.onsetDateTime"
    assert condition["resource"]["id"] not in rejection.describe()


def test_invalid_fhir_never_quotes_the_value_nor_an_unknown_key(
    tmp_path: Path, pseudonyms: PseudonymKey
) -> None:
    document = json.loads((FIXTURES / "synthea_hypertension_female.json").read_text())
    patient = next(e for e in document["entry"] if e["resource"]["resourceType"] == "Patient")
    patient["resource"]["birthDate"] = "Jeanne Moreau"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    (rejection,) = load_file(path, pseudonyms=pseudonyms).rejections
    assert "Moreau" not in rejection.describe() and patient["resource"]["id"] not in (
        rejection.describe()
    )
    patient["resource"]["birthDate"] = "1970-01-01"
    patient["resource"]["Jeanne Moreau"] = "x"
    path.write_text(json.dumps(document), encoding="utf-8")
    (rejection,) = load_file(path, pseudonyms=pseudonyms).rejections
    assert "Moreau" not in rejection.describe()


@pytest.mark.skipif(not SYNTHEA.is_dir(), reason="shared Synthea data not present")
def test_every_shared_synthea_bundle(pseudonyms: PseudonymKey) -> None:
    imported, refused = 0, list[str]()
    for path in sorted(SYNTHEA.glob("*.json")):
        result = load_file(path, today=TODAY, pseudonyms=pseudonyms)
        imported += len(result.profiles)
        refused.extend(item.describe() for item in result.rejections)
    assert imported == 22
    assert len(refused) == 1 and "practitionerInformation" in refused[0]
