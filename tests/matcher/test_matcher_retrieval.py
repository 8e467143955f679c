"""Candidate retrieval, condition normalisation, and the synthetic patient generator."""

from __future__ import annotations

import dataclasses
import json

import pytest

from knowledge.conditions import relevant, term_matches
from matcher.anonymity import check_anonymous
from matcher.candidates import TrialIndex, haversine_km
from matcher.loaders import read_profile
from matcher.synthetic import generate_patients
from trialmatch.core.patient import Location, PatientProfile
from trialmatch.core.trial import Site, Trial


@pytest.mark.parametrize(
    ("patient", "trial_term"),
    [
        ("benzodiazepine use disorder", "Benzodiazepine Dependence"),
        ("BUD", "Benzodiazepine Dependence"),
        ("Sedative, hypnotic or anxiolytic dependence, uncomplicated", "Benzodiazepine Dependence"),
        ("alcohol use disorder", "Substance-Related Disorders"),
        ("breast cancer", "Metastatic Breast Cancer"),
        ("type 2 diabetes mellitus", "Diabetes Mellitus, Type 2"),
        ("T2DM", "Type 2 Diabetes"),
        ("kidney failure", "Renal Insufficiency"),
    ],
)
def test_relevant_names(patient: str, trial_term: str) -> None:
    assert relevant(patient, trial_term)


@pytest.mark.parametrize(
    ("patient", "trial_term"),
    [
        ("asthma", "Benzodiazepine Dependence"),
        ("lung cancer", "Breast Cancer"),
        ("asthma", "Atopic Dermatitis"),
    ],
)
def test_irrelevant_names(patient: str, trial_term: str) -> None:
    assert not relevant(patient, trial_term)


def test_exception_words_match_narrower_conditions() -> None:
    assert term_matches("nicotine", "tobacco use disorder")
    assert term_matches("benzodiazepines", "Benzodiazepine dependence")
    assert not term_matches("nicotine", "alcohol use disorder")


def test_haversine_lyon_paris() -> None:
    assert haversine_km(45.76, 4.84, 48.86, 2.35) == pytest.approx(392, abs=5)


def _profile(**values: object) -> PatientProfile:
    return read_profile({"id": "P-1", **values})


def test_index_finds_by_condition_distance_age_and_sex(example_trial: Trial) -> None:
    far_copy = dataclasses.replace(
        example_trial,
        trial_id="NCT-FAR",
        sites=(Site(facility="Lille", latitude=50.63, longitude=3.06),),
    )
    women_only = dataclasses.replace(example_trial, trial_id="NCT-WOMEN", sex="FEMALE")
    closed = dataclasses.replace(example_trial, trial_id="NCT-CLOSED", overall_status="COMPLETED")
    index = TrialIndex([example_trial, far_copy, women_only, closed])
    assert len(index) == 3
    near_lyon = {"location": {"lat": 45.7, "lon": 4.8}, "max_travel_km": 100}
    bud = {"conditions": [{"text": "BUD"}]}
    found = index.candidates(_profile(age=40, sex="male", **bud, **near_lyon))
    assert [c.trial.trial_id for c in found] == ["NCT05935553"]
    assert found[0].distance_km == pytest.approx(6.5, abs=1) and found[0].site is not None
    anywhere = index.candidates(_profile(age=40, sex="female", **bud))
    assert {c.trial.trial_id for c in anywhere} == {"NCT05935553", "NCT-FAR", "NCT-WOMEN"}
    assert all(c.distance_km is None for c in anywhere)
    assert index.candidates(_profile(age=70, **bud)) == []
    assert index.candidates(_profile(conditions=[{"text": "asthma"}])) == []


def test_unknown_conditions_keep_every_trial_but_none_recorded_only_healthy(
    example_trial: Trial,
) -> None:
    healthy = dataclasses.replace(example_trial, trial_id="NCT-HEALTHY", healthy_volunteers=True)
    index = TrialIndex([example_trial, healthy])
    assert len(index.candidates(_profile())) == 2
    assert [c.trial.trial_id for c in index.candidates(_profile(conditions=[]))] == ["NCT-HEALTHY"]


def test_title_words_retrieve_too(example_trial: Trial) -> None:
    titled = dataclasses.replace(
        example_trial,
        trial_id="NCT-TITLE",
        conditions=(),
        mesh_terms=(),
        keywords=(),
        brief_title="Baclofen in adults with chronic migraine",
    )
    index = TrialIndex([titled])
    assert len(index.candidates(_profile(conditions=[{"text": "Chronic migraine"}]))) == 1


def test_synthetic_patients_are_seeded_valid_and_anonymous(example_trial: Trial) -> None:
    first = generate_patients([example_trial], 50, seed=3)
    again = generate_patients([example_trial], 50, seed=3)
    other = generate_patients([example_trial], 50, seed=4)
    assert [p.to_dict() for p in first] == [p.to_dict() for p in again]
    assert [p.to_dict() for p in first] != [p.to_dict() for p in other]
    for profile in first:
        check_anonymous(profile.to_dict())
        assert read_profile(json.loads(json.dumps(profile.to_dict()))) == profile
    located = [p.location for p in first if p.location is not None]
    assert located and all(
        haversine_km(loc.lat, loc.lon, 45.75, 4.85) < 100
        for loc in located
        if isinstance(loc, Location)
    )
    assert any(p.conditions and p.conditions[0].text == "Benzodiazepine Dependence" for p in first)


def test_synthetic_patients_need_a_recruiting_trial(example_trial: Trial) -> None:
    closed = dataclasses.replace(example_trial, overall_status="COMPLETED")
    with pytest.raises(ValueError, match="recruiting trial"):
        generate_patients([closed], 5, seed=1)
