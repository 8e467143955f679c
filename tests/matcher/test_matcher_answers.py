"""A coordinator's answers taken as statuses: the verdict changes where an answer settles it."""

from __future__ import annotations

from datetime import date

import pytest

from matcher.answers import answered, review_pair
from trialmatch.core.criteria import Criterion
from trialmatch.core.patient import ConditionFact, PatientProfile
from trialmatch.core.review import QuestionAnswer
from trialmatch.core.rules import ConditionRule, GroupRule, PregnancyRule
from trialmatch.core.trial import Trial

TODAY = date(2026, 12, 1)
PATIENT = PatientProfile(
    id="P-ANSWERS-1", age=40, sex="female", conditions=(ConditionFact("asthma"),)
)
TRIAL = Trial(
    registry="ctgov",
    trial_id="NCT00000001",
    source_url="http://127.0.0.1/",
    overall_status="RECRUITING",
    conditions=("asthma",),
)
CONSENT = Criterion("I1", "inclusion", "Able to give informed consent", 0, 29, "not_evaluable")
PREGNANT = Criterion("E1", "exclusion", "Pregnancy", 30, 39, "pregnancy", rule=PregnancyRule())
GROUP = Criterion("I2", "inclusion", "Women must", 40, 50, "group", rule=GroupRule(logic="all"))
PART = Criterion("I2.1", "inclusion", "use contraception", 51, 68, "not_evaluable", group="I2")
ASTHMA = Criterion(
    "I3", "inclusion", "Asthma", 69, 75, "condition", rule=ConditionRule(("asthma",))
)


def _verdict(criteria: list[Criterion], *answers: QuestionAnswer) -> str:
    given = {answer.criterion_id: answer for answer in answers}
    result = review_pair(PATIENT, TRIAL, criteria, TODAY, given, distance_km=None, site=None)
    return result.verdict


def _answer(criterion: Criterion, value: str) -> QuestionAnswer:
    return QuestionAnswer(criterion.id, criterion.text, value, by="ada", at="2026-12-01T09:00")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "value", "status"),
    [
        ("inclusion", "yes", "met"),
        ("inclusion", "no", "not_met"),
        ("inclusion", "not_applicable", "met"),
        ("exclusion", "yes", "met"),
        ("exclusion", "no", "not_met"),
        ("exclusion", "not_applicable", "not_met"),
    ],
)
def test_an_answer_is_a_status(kind: str, value: str, status: str) -> None:
    found, evidence = answered(kind, QuestionAnswer("I1", "x", value))  # type: ignore[arg-type]
    assert found == status
    assert evidence.startswith("answered by the coordinator")


def test_answers_settle_the_verdict() -> None:
    criteria = [ASTHMA, CONSENT, PREGNANT]
    assert _verdict(criteria) == "possible"  # pregnancy not recorded: a question
    assert _verdict(criteria, _answer(PREGNANT, "no")) == "eligible"
    assert _verdict(criteria, _answer(PREGNANT, "yes")) == "ineligible"
    assert _verdict(criteria, _answer(PREGNANT, "no"), _answer(CONSENT, "no")) == "ineligible"
    assert _verdict(criteria, _answer(PREGNANT, "not_applicable")) == "eligible"


def test_an_answer_to_a_part_settles_its_group() -> None:
    criteria = [ASTHMA, GROUP, PART]
    assert _verdict(criteria, _answer(PART, "no")) == "ineligible"
    assert _verdict(criteria, _answer(PART, "yes")) == "eligible"


def test_an_answer_given_for_another_text_no_longer_applies() -> None:
    stale = QuestionAnswer("E1", "Breastfeeding", "yes", by="ada")
    assert _verdict([ASTHMA, PREGNANT], stale) == "possible"


def test_a_registry_check_can_be_answered() -> None:
    no_conditions = Trial(
        registry="ctgov",
        trial_id="NCT00000002",
        source_url="http://127.0.0.1/",
        overall_status="RECRUITING",
    )
    result = review_pair(PATIENT, no_conditions, [ASTHMA], TODAY, {}, distance_km=None, site=None)
    check = next(item for item in result.criteria if item.id == "registry-conditions")
    assert check.status == "unknown" and result.verdict == "possible"
    given = {check.id: QuestionAnswer(check.id, check.text, "yes")}
    after = review_pair(PATIENT, no_conditions, [ASTHMA], TODAY, given, distance_km=None, site=None)
    assert after.verdict == "eligible"
