"""Which trials relate to a patient, and how closely: by concept, title and required
conditions, with the patient's main problem first."""

from __future__ import annotations

from matcher.relevance import OPEN, ConditionIndex
from trialmatch.core.patient import ConditionFact
from trialmatch.core.trial import Trial


def _trial(trial_id: str, title: str, *conditions: str, healthy: bool = False) -> Trial:
    return Trial(
        registry="ctgov",
        trial_id=trial_id,
        source_url="",
        brief_title=title,
        official_title=None,
        overall_status="RECRUITING",
        conditions=conditions,
        healthy_volunteers=healthy,
    )


TRIALS = [
    _trial("NCT00000001", "Memory training in older adults", "Dementia"),
    _trial("NCT00000002", "Inhaled therapy", "Asthma"),
    _trial("NCT00000003", "Surgery for papillary thyroid cancer", "Thyroid Neoplasms"),
    _trial("NCT00000004", "Blood pressure and sleep", "Vital Signs"),
    _trial("NCT00000005", "Gout flares", "Gout"),
    _trial("NCT00000006", "Pain after knee surgery", "Postoperative Pain"),
    _trial("NCT00000007", "Exercise and mood", "Depression"),
]
REQUIRED = {"NCT00000006": ("gout",)}


def _related(*conditions: str, **fields: object) -> dict[str, float]:
    index = ConditionIndex.of(TRIALS, REQUIRED)
    facts = [ConditionFact(text=text, **fields) for text in conditions]  # type: ignore[arg-type]
    return {TRIALS[position].trial_id: score for position, score in index.related(facts).items()}


def test_a_broader_registry_condition_finds_the_trial() -> None:
    assert "NCT00000001" in _related("Alzheimer disease")


def test_a_narrower_topic_finds_the_trial() -> None:
    assert "NCT00000003" in _related("thyroid cancer")


def test_unrelated_trials_are_not_found() -> None:
    found = _related("Alzheimer disease")
    assert "NCT00000002" not in found and "NCT00000005" not in found


def test_a_trial_naming_no_disease_is_open_to_all_but_ranks_low() -> None:
    found = _related("asthma")
    assert 0 < found["NCT00000004"] <= OPEN
    assert found["NCT00000002"] > found["NCT00000004"]


def test_the_conditions_criteria_require_find_the_trial() -> None:
    found = _related("gout")
    assert "NCT00000006" in found
    assert found["NCT00000005"] > found["NCT00000006"]  # the topic ranks above the criteria


def test_the_main_problem_ranks_first() -> None:
    found = _related("gout", "asthma")
    assert found["NCT00000005"] > found["NCT00000002"]


def test_an_icd10_code_alone_finds_the_trial() -> None:
    index = ConditionIndex.of(TRIALS, REQUIRED)
    fact = ConditionFact(text="condition", code="F03.90", system="icd10cm")
    found = {TRIALS[p].trial_id for p in index.related([fact])}
    assert "NCT00000001" in found


def test_a_relatives_disease_finds_nothing() -> None:
    found = _related("family history of gout")
    assert "NCT00000005" not in found
