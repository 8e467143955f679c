"""Fixtures of the matcher tests: NCT05935553, its hand-written criteria, profiles."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from crawler.sources.ctgov import parse_study
from trialmatch.core.criteria import Criterion
from trialmatch.core.rules import (
    AgeRule,
    AllergyRule,
    ConditionRule,
    DoseRange,
    GroupRule,
    MedicationRule,
    PregnancyRule,
    Rule,
)
from trialmatch.core.trial import Trial

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "patients"
EXAMPLE = FIXTURES.parent / "ctgov" / "NCT05935553.json"
TODAY = date(2026, 11, 24)


def _criterion(
    identifier: str,
    kind: str,
    text: str,
    rule: Rule | None,
    category: str,
    group: str | None = None,
) -> Criterion:
    return Criterion(
        id=identifier,
        kind=kind,  # type: ignore[arg-type]
        text=text,
        start=0,
        end=len(text),
        category=category,
        group=group,
        rule=rule,
        reason=None if rule is not None else "checked by a person",
    )


def hand_written_criteria() -> list[Criterion]:
    """NCT05935553's criteria as the parser is meant to produce them."""
    forbidden = (
        "pregabalin topiramate ketamine sodium oxybate gabapentin valproic acid melatonin "
        "buspirone hydroxyzine propranolol bisoprolol etifoxine carbamazepine clonidine paroxetine"
    )
    drugs = tuple(
        name.replace("_", " ")
        for name in forbidden.replace("sodium oxybate", "sodium_oxybate")
        .replace("valproic acid", "valproic_acid")
        .split()
    )
    return [
        _criterion(
            "I1", "inclusion", "Patients aged ≥ 18 years to ≤ 65 years", AgeRule(18, 65), "age"
        ),
        _criterion(
            "I2",
            "inclusion",
            "For women of childbearing potential :",
            GroupRule("all", "women_of_childbearing_potential"),
            "group",
        ),
        _criterion(
            "I2.1",
            "inclusion",
            "negative pregnancy test at inclusion",
            PregnancyRule(("pregnant",), negated=True),
            "pregnancy",
            "I2",
        ),
        _criterion("I2.2", "inclusion", "use of effective contraception", None, "other", "I2"),
        _criterion(
            "I2.3", "inclusion", "agrees to carry out pregnancy tests", None, "consent", "I2"
        ),
        _criterion(
            "I3",
            "inclusion",
            "BUD of any severity defined according to DSM 5 criteria",
            ConditionRule(("benzodiazepine use disorder",)),
            "condition",
        ),
        _criterion(
            "I4",
            "inclusion",
            "Average daily benzodiazepine dosage between 50 mg and 200 mg-diazepam",
            MedicationRule(
                drugs=("zolpidem", "zopiclone", "eszopiclone"),
                classes=("benzodiazepines",),
                within_days=28,
                dose=DoseRange(50, 200, equivalent="diazepam"),
            ),
            "medication",
        ),
        _criterion(
            "I5",
            "inclusion",
            "Continued use of benzodiazepines for more than 12 weeks",
            MedicationRule(classes=("benzodiazepines",), min_duration_days=84),
            "medication",
        ),
        _criterion(
            "I6", "inclusion", "At least one history of BUD treatment failure", None, "other"
        ),
        _criterion(
            "I7",
            "inclusion",
            "Patient affiliated to a social security system.",
            None,
            "administrative",
        ),
        _criterion("I8", "inclusion", "Patient capable of giving consent.", None, "consent"),
        _criterion(
            "E1",
            "exclusion",
            "Cirrhosis of the liver",
            ConditionRule(("cirrhosis of the liver",)),
            "condition",
        ),
        _criterion(
            "E2",
            "exclusion",
            "Patients with significant medical conditions such as cancer, HIV, epilepsy, …",
            ConditionRule(
                ("cancer", "HIV", "epilepsy", "chronic respiratory failure", "renal failure")
            ),
            "condition",
        ),
        _criterion(
            "E3",
            "exclusion",
            "The following psychiatric conditions: schizophrenic disorder, …",
            ConditionRule(
                (
                    "schizophrenic disorder",
                    "persistent delusional disorder",
                    "schizophreniform disorder",
                    "schizoaffective disorder",
                    "bipolar disorder",
                    "autism spectrum disorder",
                )
            ),
            "condition",
        ),
        _criterion(
            "E4", "exclusion", "Suicidal state", ConditionRule(("suicidal state",)), "condition"
        ),
        _criterion(
            "E5",
            "exclusion",
            "Dependence on substances or drugs other than benzodiazepines and nicotine",
            ConditionRule(
                ("dependence on substances or drugs",), excluding=("benzodiazepines", "nicotine")
            ),
            "condition",
        ),
        _criterion(
            "E6",
            "exclusion",
            "History of baclofen use for all indications",
            MedicationRule(drugs=("baclofen",), timing="ever"),
            "medication",
        ),
        _criterion(
            "E7",
            "exclusion",
            "Unauthorized combination therapies will be: pregabalin, …",
            MedicationRule(drugs=drugs, classes=("antipsychotics", "tricyclic_antidepressants")),
            "medication",
        ),
        _criterion(
            "E8",
            "exclusion",
            "Pregnant or nursing women",
            PregnancyRule(("pregnant", "lactating")),
            "pregnancy",
        ),
        _criterion(
            "E9",
            "exclusion",
            "Hypersensitivity to baclofen or microcrystalline cellulose.",
            AllergyRule(substances=("baclofen", "microcrystalline cellulose")),
            "allergy",
        ),
        _criterion("E10", "exclusion", "Participants under guardianship", None, "administrative"),
    ]


BASELINE: dict[str, Any] = {
    "id": "P-BASE",
    "age": 42,
    "sex": "female",
    "pregnant": False,
    "conditions": [
        {
            "text": "benzodiazepine use disorder",
            "code": "F13.20",
            "system": "icd10cm",
            "active": True,
        }
    ],
    "medications": [{"text": "lorazepam", "dose": 6, "unit": "mg/day", "since": "2021-01"}],
    "past_medications": [],
    "observations": [],
    "location": {"lat": 45.76, "lon": 4.84},
    "max_travel_km": 150,
}


@pytest.fixture
def baseline() -> Callable[..., dict[str, Any]]:
    """A profile eligible for NCT05935553, with the given fields replaced."""

    def build(**changes: Any) -> dict[str, Any]:
        data = copy.deepcopy(BASELINE)
        for key, value in changes.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        return data

    return build


@pytest.fixture(scope="session")
def example_trial() -> Trial:
    record = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return parse_study(record, "https://clinicaltrials.gov/api/v2/studies/NCT05935553")


@pytest.fixture(scope="session")
def criteria() -> list[Criterion]:
    return hand_written_criteria()


@pytest.fixture(scope="session")
def parsed_criteria(example_trial: Trial) -> list[Criterion]:
    """NCT05935553's criteria as the real parser gives them (the end-to-end path)."""
    from nlp_models.parser import parse_eligibility

    return list(parse_eligibility(example_trial.eligibility_text or ""))


@pytest.fixture(params=["hand-written", "parser"])
def nct_criteria(request: pytest.FixtureRequest, criteria: list[Criterion]) -> list[Criterion]:
    if request.param == "hand-written":
        return criteria
    parsed: list[Criterion] = request.getfixturevalue("parsed_criteria")
    return parsed
