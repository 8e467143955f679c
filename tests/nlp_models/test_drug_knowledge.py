"""The drug API the matcher relies on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.drugs import (
    class_members,
    drug_classes,
    equivalent_dose,
    known_classes,
    normalize_drug,
)

CLASSES_DIR = Path(__file__).resolve().parents[2] / "nlp_models" / "data" / "drug_classes"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Xanax", "alprazolam"),
        ("Ativan", "lorazepam"),
        ("sodium valproate", "valproic acid"),
        ("Depakote", "valproic acid"),
        ("Seroquel", "quetiapine"),
        ("propranolol hydrochloride", "propranolol"),
        ("  ZOLPIDEM ", "zolpidem"),
        ("cancer", None),
        ("", None),
    ],
)
def test_normalize_drug(name: str, expected: str | None) -> None:
    assert normalize_drug(name) == expected


def test_required_classes_exist() -> None:
    required = {
        "benzodiazepines", "z_drugs", "antipsychotics", "tricyclic_antidepressants", "ssris",
        "snris", "maois", "opioids", "anticoagulants", "antiplatelets",
        "systemic_corticosteroids", "immunosuppressants", "anticonvulsants",
        "cyp3a4_strong_inhibitors", "cyp3a4_strong_inducers", "beta_blockers",
    }  # fmt: skip
    assert required <= known_classes()
    assert class_members("neuroleptics") == class_members("antipsychotics") != frozenset()
    assert class_members("no_such_class") == frozenset()


def test_every_class_file_cites_its_source() -> None:
    for path in CLASSES_DIR.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["id"] == path.stem and data["source"] and data["members"]


@pytest.mark.parametrize(
    ("drug", "classes"),
    [
        ("quetiapine", {"antipsychotics"}),
        ("lorazepam", {"benzodiazepines"}),
        ("zopiclone", {"z_drugs"}),
        ("Xanax", {"benzodiazepines"}),
        ("amitriptyline", {"tricyclic_antidepressants"}),
        ("ketoconazole", {"cyp3a4_strong_inhibitors"}),
        ("rifampicin", {"cyp3a4_strong_inducers"}),
    ],
)
def test_drug_classes(drug: str, classes: set[str]) -> None:
    assert classes <= drug_classes(drug)


@pytest.mark.parametrize(
    ("drug", "dose", "reference", "expected"),
    [
        ("lorazepam", 6, "diazepam", 60.0),
        ("Ativan", 1, "diazepam", 10.0),
        ("zolpidem", 20, "diazepam", 10.0),
        ("zopiclone", 15, "diazepam", 10.0),
        ("eszopiclone", 7.5, "diazepam", 10.0),
        ("diazepam", 25, "diazepam", 25.0),
        ("oxycodone", 20, "morphine", 30.0),
        ("tramadol", 100, "morphine", 20.0),
        ("methylprednisolone", 4, "prednisone", 5.0),
        ("dexamethasone", 0.75, "prednisone", 5.0),
        ("baclofen", 30, "diazepam", None),
        ("lorazepam", 1, "unknown_reference", None),
    ],
)
def test_equivalent_dose(drug: str, dose: float, reference: str, expected: float | None) -> None:
    result = equivalent_dose(drug, dose, reference)
    assert result == (None if expected is None else pytest.approx(expected))
