"""The engine's fast path (compiled plans, memoised rules, deferred records) = the plain one."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from matcher.candidates import TrialIndex
from matcher.engine import EngineCounts, match_all
from matcher.evaluation import evaluate_criteria, match_pair, structured_checks
from matcher.facts import prepare
from matcher.loaders import read_profile
from tests.matcher.test_matcher_nct05935553 import CASES
from trialmatch.core.criteria import Criterion, Kind
from trialmatch.core.match import MatchResult
from trialmatch.core.rules import AgeRule, ConditionRule, GroupRule, Rule
from trialmatch.core.trial import Trial

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("low", "high", "text"),
    [
        (18.0, None, "Age 18 years or older (registry)"),
        (None, 65.0, "Age up to 65 years (registry)"),
        (18.0, 65.0, "Age 18 to 65 years (registry)"),
    ],
)
def test_registry_age_text(
    example_trial: Trial, low: float | None, high: float | None, text: str
) -> None:
    trial = dataclasses.replace(example_trial, minimum_age_years=low, maximum_age_years=high)
    facts = prepare(read_profile({"id": "P-1", "age": 40}))
    check = next(item for item in structured_checks(trial, facts) if item.id == "registry-age")
    assert (check.text, check.status, check.evidence) == (text, "met", "age 40")


def _same(fast: MatchResult, plain: MatchResult) -> None:
    assert fast.reasons == plain.reasons  # read first: built without the other records
    assert fast.criteria_document() == plain.criteria_document()
    assert (fast.verdict, fast.score, fast.distance_km, fast.site) == (
        plain.verdict,
        plain.score,
        plain.distance_km,
        plain.site,
    )
    assert fast.criteria == plain.criteria
    assert fast.unknown_count == plain.unknown_count


@pytest.mark.parametrize("rule_memo", [True, False])
def test_engine_gives_the_results_of_match_pair(
    example_trial: Trial,
    nct_criteria: list[Criterion],
    baseline: Callable[..., dict[str, Any]],
    rule_memo: bool,
) -> None:
    profiles = [
        read_profile({**baseline(**changes), "id": f"P-{number}"})
        for number, (_name, changes, _verdict) in enumerate(CASES)
    ]
    # two trials stating the same rules: the second is answered from the memo
    twin = dataclasses.replace(example_trial, trial_id="NCT05935553-TWIN")
    criteria = {example_trial.trial_id: nct_criteria, twin.trial_id: list(nct_criteria)}
    counts = EngineCounts()
    outcomes = list(
        match_all(
            TrialIndex([example_trial, twin]),
            profiles,
            criteria,
            TODAY,
            counts=counts,
            rule_memo=rule_memo,
        )
    )
    assert counts.failed == 0
    assert len(outcomes) >= len(CASES)  # most profiles are candidates for both
    for outcome in outcomes:
        assert outcome.result is not None
        trial = outcome.candidate.trial
        plain = match_pair(
            prepare(outcome.profile),
            trial,
            criteria[trial.trial_id],
            TODAY,
            outcome.candidate.distance_km,
            outcome.candidate.site,
            outcome.candidate.relevance,
        )
        _same(outcome.result, plain)
    groups = [item for item in nct_criteria if isinstance(item.rule, GroupRule)]
    evaluable = sum(1 for item in nct_criteria if item.rule) - len(groups)
    if rule_memo:
        assert counts.rule_evaluations <= len(profiles) * evaluable
    else:
        assert counts.rule_evaluations >= len(outcomes) * evaluable


def _crit(identifier: str, rule: Rule | None, group: str | None = None) -> Criterion:
    kind: Kind = "inclusion"
    return Criterion(identifier, kind, f"text of {identifier}", 0, 0, "other", group, rule=rule)


def test_duplicate_ids_show_the_first_result_and_orphans_stand_alone() -> None:
    facts = prepare(read_profile({"id": "P-1", "age": 30, "conditions": []}))
    results = evaluate_criteria(
        [
            _crit("I1", AgeRule(min=18)),
            _crit("I1", AgeRule(min=40)),  # a parsing slip: same id, shows I1's result
            _crit("I2", ConditionRule(("asthma",)), group="I9"),  # parent missing
        ],
        facts,
        TODAY,
    )
    assert [(item.id, item.status, item.group) for item in results] == [
        ("I1", "met", None),
        ("I1", "met", None),
        ("I2", "unknown", None),
    ]
    assert results[1].text == "text of I1"


def test_a_group_containing_itself_fails_the_pair_only(example_trial: Trial) -> None:
    looping = [_crit("I1", GroupRule("all"), group="I2"), _crit("I2", GroupRule("all"), "I1")]
    profile = read_profile({"id": "P-1", "age": 30})
    counts = EngineCounts()
    index = TrialIndex([example_trial])
    list(match_all(index, [profile], {example_trial.trial_id: looping}, TODAY, counts=counts))
    assert counts.candidate_pairs == 1
    assert counts.failed == 1
    # recorded by kind, place and position, never by message
    (failure,) = counts.failures
    assert failure.kind.startswith("ValueError at plan.py:")
    assert failure.describe().endswith(f"patient #1 of the run, trial {example_trial.trial_id}")
