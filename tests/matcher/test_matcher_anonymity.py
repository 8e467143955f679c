"""The anonymisation guard: each kind of direct identifier is refused, nothing stored."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from db.connection import open_database
from db.patients import count_patients, store_patients
from matcher.anonymity import check_anonymous
from matcher.loaders import load_file
from trialmatch.core.errors import IdentifierRefused

IDENTIFIERS: list[tuple[str, dict[str, Any], str]] = [
    ("name-key", {"name": "Jane Doe"}, "name"),
    ("first-name-key", {"first_name": "Jane"}, "first_name"),
    ("surname-key", {"surname": "Doe"}, "surname"),
    ("fhir-given", {"given": ["Jane"]}, "given"),
    (
        "name-in-text-title",
        {"conditions": [{"text": "seen with Mr. John Smith"}]},
        "conditions[0].text",
    ),
    (
        "name-in-text-label",
        {"conditions": [{"text": "patient name: Jane Doe"}]},
        "conditions[0].text",
    ),
    ("email-key", {"email": "someone@example.org"}, "email"),
    (
        "email-in-text",
        {"medications": [{"text": "ask jane.doe@example.org"}]},
        "medications[0].text",
    ),
    ("phone-key", {"phone": "06 12 34 56 78"}, "phone"),
    ("phone-us-in-text", {"conditions": [{"text": "call 555-961-9901"}]}, "conditions[0].text"),
    (
        "phone-intl-in-text",
        {"conditions": [{"text": "tel +33 6 12 34 56 78"}]},
        "conditions[0].text",
    ),
    ("phone-fr-in-text", {"conditions": [{"text": "tél 06 12 34 56 78"}]}, "conditions[0].text"),
    ("street-address-key", {"address": "12 rue de la Paix"}, "address"),
    (
        "street-address-in-text",
        {"conditions": [{"text": "lives at 849 Koch Crossroad"}]},
        "conditions[0].text",
    ),
    (
        "french-address-in-text",
        {"conditions": [{"text": "habite 12 rue Victor Hugo"}]},
        "conditions[0].text",
    ),
    ("birth-date-key", {"birth_date": "1980-02-03"}, "birth_date"),
    ("dob-key", {"dob": "03/02/1980"}, "dob"),
    (
        "birth-date-in-text",
        {"conditions": [{"text": "born 1980-02-03, asthma"}]},
        "conditions[0].text",
    ),
    ("dob-in-text", {"conditions": [{"text": "DOB: 03/02/1980"}]}, "conditions[0].text"),
    ("ssn-key", {"ssn": "999-61-3984"}, "ssn"),
    ("ssn-in-text", {"conditions": [{"text": "SSN 999-61-3984"}]}, "conditions[0].text"),
    ("nir-in-text", {"conditions": [{"text": "NIR 1 85 05 78 006 084 36"}]}, "conditions[0].text"),
    ("nir-digits-in-text", {"conditions": [{"text": "n° 185057800608436"}]}, "conditions[0].text"),
    ("nhs-in-text", {"conditions": [{"text": "NHS 943 476 5919"}]}, "conditions[0].text"),
    ("nhs-digits-in-text", {"conditions": [{"text": "nhs 9434765919"}]}, "conditions[0].text"),
    ("nhs-as-id", {"id": "9434765919"}, "id"),
    # a field the format does not know is never named: its name may be the identifier
    ("national-id-number-value", {"reference": 9434765919}, "(unknown field)"),
    ("identifier-as-field-name", {"Dr Jean Moreau": "referring"}, "(unknown field)"),
]


@pytest.mark.parametrize(
    ("extra", "field"), [c[1:] for c in IDENTIFIERS], ids=[c[0] for c in IDENTIFIERS]
)
def test_each_identifier_is_refused_naming_the_field(
    baseline: Callable[..., dict[str, Any]], extra: dict[str, Any], field: str
) -> None:
    profile = {**baseline(), **extra}
    with pytest.raises(IdentifierRefused) as caught:
        check_anonymous(profile, "entry 1")
    assert caught.value.field == field
    assert "entry 1" in str(caught.value)


@pytest.mark.parametrize(
    ("extra", "field"), [c[1:] for c in IDENTIFIERS], ids=[c[0] for c in IDENTIFIERS]
)
def test_refusal_message_never_repeats_the_value(
    baseline: Callable[..., dict[str, Any]], extra: dict[str, Any], field: str
) -> None:
    with pytest.raises(IdentifierRefused) as caught:
        check_anonymous({**baseline(), **extra})
    for value in extra.values():
        text = json.dumps(value).strip('"[]')
        assert text not in str(caught.value)


CLEAN_TEXTS = [
    "benzodiazepine use disorder",
    "Type 2 diabetes mellitus without complications",
    "M. tuberculosis infection",
    "eGFR 85 mL/min/1.73m2 on 2026-10-01",
    "lorazepam 2.5 mg three times a day",
    "Alzheimer disease",
    "Parkinson's disease",
    "stage 3 chronic kidney disease since 2019-03-14",
]


@pytest.mark.parametrize("text", CLEAN_TEXTS)
def test_clinical_text_passes(baseline: Callable[..., dict[str, Any]], text: str) -> None:
    check_anonymous(baseline(conditions=[{"text": text}]))


def test_dated_facts_and_numbers_pass(baseline: Callable[..., dict[str, Any]]) -> None:
    profile = baseline(
        observations=[
            {"text": "platelets", "value": 250000000000, "unit": "/L", "date": "2026-10-01"}
        ]
    )
    check_anonymous(profile)


def test_refused_profiles_store_nothing_and_others_are_imported(
    tmp_path: Path, baseline: Callable[..., dict[str, Any]]
) -> None:
    entries = [baseline(id="P-OK-1")]
    entries += [
        {**baseline(id=f"P-BAD-{n}"), **extra} for n, (_, extra, _) in enumerate(IDENTIFIERS)
    ]
    entries.append(baseline(id="P-OK-2"))
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    result = load_file(path)
    assert [profile.id for profile in result.profiles] == ["P-OK-1", "P-OK-2"]
    assert len(result.refused) == len(IDENTIFIERS)
    database = open_database(tmp_path / "patients.db")
    store_patients(database, result.profiles)
    assert count_patients(database) == 2
    dump = "\n".join(database.conn.iterdump())
    assert "P-BAD" not in dump and "Smith" not in dump and "999-61-3984" not in dump


def test_refused_listing_names_entry_and_field(
    tmp_path: Path, baseline: Callable[..., dict[str, Any]]
) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps([baseline(), {**baseline(id="P-X"), "email": "a@b.org"}]))
    (refusal,) = load_file(path).refused
    assert (
        refusal.describe()
        == f"{path}: entry 2 (id P-X): field 'email': carries contact details; profile refused"
    )


def test_a_fact_called_name_is_not_a_person(baseline: Callable[..., dict[str, Any]]) -> None:
    check_anonymous(baseline(medications=[{"name": "lorazepam", "dose": 6, "unit": "mg/day"}]))
    with pytest.raises(IdentifierRefused):
        check_anonymous(baseline(medications=[{"name": "from Dr. House"}]))


def test_an_unknown_field_is_refused_without_its_name(
    tmp_path: Path, baseline: Callable[..., dict[str, Any]]
) -> None:
    path = tmp_path / "unknown.json"
    path.write_text(json.dumps([{**baseline(id="P-U"), "Moreau": "yes"}]), encoding="utf-8")
    (rejection,) = load_file(path).rejections
    assert not rejection.identifier
    assert "Moreau" not in rejection.describe()
    assert rejection.describe().startswith(f"{path}: entry 1 (id P-U): unknown field")


def test_a_malformed_csv_row_carrying_an_identifier_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(
        "id,age,medications\nP-1,forty,lorazepam (dr moreau)|2|mg\nP-2,51,zolpidem\n",
        encoding="utf-8",
    )
    result = load_file(path)
    assert [profile.id for profile in result.profiles] == ["P-2"]
    (refusal,) = result.refused
    assert refusal.field == "medications" and "moreau" not in refusal.describe()


def test_an_identifying_id_is_neither_stored_nor_shown(
    tmp_path: Path, baseline: Callable[..., dict[str, Any]]
) -> None:
    path = tmp_path / "ids.json"
    path.write_text(json.dumps([baseline(id="jean.dupont"), baseline(id="P-1")]))
    result = load_file(path)
    (refusal,) = result.refused
    assert refusal.field == "id" and refusal.patient_id is None
    assert "jean.dupont" not in refusal.describe()
    assert [profile.id for profile in result.profiles] == ["P-1"]
