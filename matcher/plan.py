"""A trial's criteria compiled once, then evaluated per patient from memoised rule answers.

Why: a nightly run evaluates every candidate (patient, trial) pair, about
ninety trials per patient, each with a dozen or more criteria. Most of that
work does not depend on the pair:

* per trial, once (`CriteriaPlan`): each rule is compiled (`rules.compile_rule`),
  the group structure is resolved (which criterion
  answers for which, the order children before parents, which results are
  top-level), and a rule-less criterion's fixed answer is set;
* per patient, once per distinct rule: a rule is a frozen value, so equal
  rules ("aged 18 or over", "pregnant", "takes a benzodiazepine") give equal
  answers for one patient however many trials state them. `PatientMemo`
  keeps those answers while the patient's candidates are evaluated;
* per pair: only statuses are combined into the verdict (`tally`). The
  per-criterion `CriterionResult` records (text, evidence, checklist
  question) are built when first asked for (`CriteriaPlan.results`, through
  `evaluation.Evaluation` and `results.DeferredMatchResult`), which for most
  ineligible pairs is only their reasons (`CriteriaPlan.reasons`).

The results are those of the straightforward recursive evaluation this
replaces, duplicates of criterion ids included: a criterion whose id was
already evaluated shows that earlier result.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from knowledge.conditions import names_family_history
from matcher.facts import PatientFacts
from matcher.relevance import Topic, names_topic
from matcher.rules import (
    CHILDBEARING_AGE_LIMIT,
    Answer,
    compile_rule,
    evaluate_age,
    evaluate_healthy,
    evaluate_population,
    evaluate_sex,
    without_studied,
)
from trialmatch.core.criteria import SILENT_REASONS, Criterion
from trialmatch.core.match import CriterionResult, Status, Verdict
from trialmatch.core.patient import Sex
from trialmatch.core.rules import AgeRule, AllergyRule, ConditionRule, GroupRule, Rule, SexRule

NOT_CONCERNED = "does not apply: "
COHORT_NOTE = " (one of two alternative groups the criteria describe)"
STUDIED_NOTE = "; the study is about this condition: ask which form the exclusion means"


class RuleKey:
    """One distinct rule; interned, so it is hashed by identity in the memos."""

    __slots__ = ("__weakref__", "check", "rule")

    def __init__(self, rule: Rule, open_world: bool) -> None:
        self.rule = rule
        self.check = compile_rule(rule, open_world)


# weak: a key lives as long as some compiled plan uses it, so no stale entry can be
# confused with a new rule, and a long-lived process does not accumulate them
_KEYS: weakref.WeakValueDictionary[tuple[Rule, bool], RuleKey] = weakref.WeakValueDictionary()


def _key(rule: Rule, open_world: bool) -> RuleKey:
    try:
        found = _KEYS.get((rule, open_world))
    except TypeError:  # a rule holding a list (hand-built): evaluated, just not shared
        return RuleKey(rule, open_world)
    if found is None:
        found = _KEYS[(rule, open_world)] = RuleKey(rule, open_world)
    return found


def _contrary_pairs(
    criteria: Sequence[Criterion], rule_keys: Sequence[tuple[int, RuleKey]]
) -> tuple[tuple[int, int], ...]:
    """Inclusions side by side that require a condition and its absence ("girls with
    Turner syndrome" / "age-matched girls without Turner syndrome as controls"): no one
    could meet both, so they describe two groups of the study, either of which will do."""
    seen: dict[tuple[str | None, frozenset[str], bool], int] = {}
    pairs = []
    for position, key in rule_keys:
        criterion, rule = criteria[position], key.rule
        if criterion.kind != "inclusion" or not isinstance(rule, ConditionRule):
            continue
        terms = frozenset(rule.any_of)
        partner = seen.get((criterion.group, terms, not rule.negated))
        if partner is not None:
            pairs.append((partner, position))
        seen.setdefault((criterion.group, terms, rule.negated), position)
    return tuple(pairs)


def _needs_presence(rule: Rule, kind: str) -> bool:
    """A condition or allergy the criterion needs the patient to have ("Diagnosed with …"
    as an inclusion, "No history of …" as an exclusion): its absence from the record is
    a question, not a no (`rules.ConditionCheck`)."""
    needs = isinstance(rule, ConditionRule | AllergyRule)
    return needs and (kind == "inclusion") != rule.negated  # type: ignore[union-attr]


class PatientMemo:
    """Answers already computed for one patient (and one `today`), by rule."""

    __slots__ = ("answers", "enabled", "evaluated", "facts", "registry", "studied", "today")

    def __init__(self, facts: PatientFacts, today: date, *, enabled: bool = True) -> None:
        self.facts = facts
        self.today = today
        self.answers: dict[RuleKey, Answer] = {}
        self.registry: dict[tuple[object, ...], Answer] = {}
        self.studied: dict[tuple[Topic, ...], PatientFacts] = {}
        self.enabled = enabled  # off: every rule of every pair is evaluated (worst case)
        self.evaluated = 0  # rule evaluations actually run

    def answer(self, key: RuleKey) -> Answer:
        found = self.answers.get(key) if self.enabled else None
        if found is None:
            self.evaluated += 1
            found = key.check(self.facts, self.today)
            if self.enabled:
                self.answers[key] = found
        return found

    def registry_age(self, low: float | None, high: float | None) -> Answer:
        found = self.registry.get(("age", low, high))
        if found is None:
            found = evaluate_age(AgeRule(min=low, max=high), self.facts)
            self.registry["age", low, high] = found
        return found

    def without_studied(self, topics: tuple[Topic, ...]) -> PatientFacts:
        found = self.studied.get(topics)
        if found is None:
            found = self.studied[topics] = without_studied(self.facts, topics)
        return found

    def registry_population(self, topics: tuple[Topic, ...]) -> Answer:
        found = self.registry.get(("population", topics))
        if found is None:
            found = evaluate_population(topics, self.facts)
            self.registry["population", topics] = found
        return found

    def registry_healthy(self) -> Answer:
        found = self.registry.get(("healthy",))
        if found is None:
            found = self.registry["healthy",] = evaluate_healthy(self.facts)
        return found

    def registry_sex(self, sex: Sex) -> Answer:
        found = self.registry.get(("sex", sex))
        if found is None:
            found = evaluate_sex(SexRule(allowed=(sex,)), self.facts)
            self.registry["sex", sex] = found
        return found


@dataclass(frozen=True, slots=True)
class _Node:
    position: int
    criterion: Criterion
    key: RuleKey | None  # the compiled rule; None for groups and rule-less criteria
    group: GroupRule | None
    kids: tuple[int, ...]  # for a group: the positions whose results its children show
    kid_ids: tuple[str, ...]  # and the ids those results carry
    fixed: Answer | None  # a rule-less criterion: always not evaluable


@dataclass(frozen=True, slots=True)
class _Shown:
    """What the result at one position of the list shows, resolved at compile time."""

    source: int  # the position whose answer is shown (itself, or the first with its id)
    parent: int | None  # the group's position, when the result belongs to a group
    top: bool  # judged on its own: counts for the verdict


class CriteriaPlan:
    """A criteria list compiled for evaluation, once per trial (the engine keeps them per run)."""

    def __init__(self, criteria: Sequence[Criterion]) -> None:
        self.criteria = tuple(criteria)
        by_id = {criterion.id: position for position, criterion in enumerate(self.criteria)}
        children: dict[str, list[int]] = {}
        for position, criterion in enumerate(self.criteria):
            if criterion.group is not None and criterion.group in by_id:
                children.setdefault(criterion.group, []).append(position)
        owner: dict[str, int] = {}
        kids_of: dict[int, tuple[int, ...]] = {}
        order: list[int] = []
        on_stack: set[int] = set()

        def visit(position: int) -> int:
            # the order and sharing of the recursive evaluation: a criterion whose id is
            # already evaluated shows that result; children are evaluated before parents
            identifier = self.criteria[position].id
            if identifier not in owner:
                if position in on_stack:
                    raise ValueError(f"criteria group {identifier!r} contains itself")
                on_stack.add(position)
                if isinstance(self.criteria[position].rule, GroupRule):
                    kids_of[position] = tuple(visit(kid) for kid in children.get(identifier, []))
                on_stack.discard(position)
                order.append(position)
                owner[identifier] = position
            return owner[identifier]

        sources = [visit(position) for position in range(len(self.criteria))]
        self.nodes = tuple(self._node(position, kids_of.get(position, ())) for position in order)
        shown = []
        for source in sources:
            group = self.criteria[source].group
            parent = owner[group] if group is not None and group in by_id else None
            shown.append(_Shown(source, parent, group is None or group not in by_id))
        self.shown = tuple(shown)
        self.size = len(self.criteria)
        # per pair, only rule answers and groups are filled in; fixed answers are copied
        template: list[Answer] = [("not_evaluable", "")] * self.size
        for node in self.nodes:
            if node.fixed is not None:
                template[node.position] = node.fixed
        self.template = template
        self.rule_keys = tuple((node.position, node.key) for node in self.nodes if node.key)
        self.exclusion_conditions = tuple(
            (position, key)
            for position, key in self.rule_keys
            if self.criteria[position].kind == "exclusion"
            and isinstance(key.rule, ConditionRule)
            and not key.rule.negated
        )
        # needed conditions, with the closed-world check used when the study is about them
        self.needed_conditions = tuple(
            (position, key.rule, _key(key.rule, False))
            for position, key in self.rule_keys
            if isinstance(key.rule, ConditionRule)
            and _needs_presence(key.rule, self.criteria[position].kind)
        )
        self.contrary = _contrary_pairs(self.criteria, self.rule_keys)
        self._about: dict[tuple[Topic, ...], frozenset[int]] = {}
        self.groups = tuple(node for node in self.nodes if node.group is not None)
        # records by (position, answer): most answers that recur across patients are the
        # same ("no recorded condition is …"), and records are immutable, so they are shared
        self._records: dict[tuple[int, Answer], CriterionResult] = {}
        # what the verdict reads: each top-level result's source, wanted and unwanted status
        self.tops = tuple(
            (item.source, _WANTED[kind], _UNWANTED[kind])
            for item in shown
            if item.top
            for kind in (self.criteria[item.source].kind,)
        )

    def _node(self, position: int, kids: tuple[int, ...]) -> _Node:
        criterion = self.criteria[position]
        rule = criterion.rule
        if rule is None:
            fixed: Answer = ("not_evaluable", criterion.reason or "to be checked by a person")
            return _Node(position, criterion, None, None, (), (), fixed)
        if isinstance(rule, GroupRule):
            kid_ids = tuple(self.criteria[kid].id for kid in kids)
            return _Node(position, criterion, None, rule, kids, kid_ids, None)
        key = _key(rule, _needs_presence(rule, criterion.kind))
        return _Node(position, criterion, key, None, (), (), None)

    def answers(self, memo: PatientMemo, topics: tuple[Topic, ...] | None = None) -> list[Answer]:
        """Each position's own answer (before group settling), for one patient.

        *topics*: what the study is about (`relevance.study_population`). An
        exclusion met only by the very condition the study is about cannot mean
        it as it reads ("rosacea" in a rosacea trial means other forms of it):
        it is asked about instead.
        """
        answers = self.template.copy()
        known = memo.answers
        for position, key in self.rule_keys:
            found = known.get(key)
            answers[position] = memo.answer(key) if found is None else found
        if topics:
            about = self._about_study(topics)
            for position, _rule, closed in self.needed_conditions:
                if position in about and answers[position][0] == "unknown":
                    answers[position] = memo.answer(closed)
            for position, key in self.exclusion_conditions:
                status, evidence = answers[position]
                if status == "met":
                    others = memo.without_studied(topics)
                    if others is not memo.facts and key.check(others, memo.today)[0] != "met":
                        answers[position] = ("unknown", evidence + STUDIED_NOTE)
        for one, other in self.contrary:
            # cases and controls: whoever meets one of the two needs not meet the other
            met = next((answers[p] for p in (one, other) if answers[p][0] == "met"), None)
            if met is not None:
                answers[one] = answers[other] = ("met", f"{met[1]}{COHORT_NOTE}")
        # rules depend on nothing else; groups come children first
        for node in self.groups:
            answers[node.position] = _group_answer(node, answers, memo.facts)
        return answers

    def _about_study(self, topics: tuple[Topic, ...]) -> frozenset[int]:
        """The positions of needed conditions that name what the study is about: a record
        without them is taken as the patient not having it (the record would say so)."""
        found = self._about.get(topics)
        if found is None:
            found = self._about[topics] = frozenset(
                position
                for position, rule, _closed in self.needed_conditions
                if any(
                    names_topic(term, topics) and not names_family_history(term)
                    for term in rule.any_of
                )
            )
        return found

    def settle_groups(self, answers: list[Answer], facts: PatientFacts) -> None:
        """Fill in each group's answer from its parts' again (after a part's answer changed,
        as a coordinator's answer changes it: `matcher.answers`)."""
        for node in self.groups:
            answers[node.position] = _group_answer(node, answers, facts)

    def results(self, answers: Sequence[Answer]) -> list[CriterionResult]:
        """The per-criterion records, settled: a group that does not concern the
        patient answers for its parts too (no questions)."""
        own: dict[int, CriterionResult] = {}
        settled = []
        for shown in self.shown:
            result = own.get(shown.source)
            if result is None:
                result = own[shown.source] = self._record(shown.source, answers[shown.source])
            if shown.parent is None and result.group is not None:
                result = replace(result, group=None)  # its parent is missing: judged alone
            elif shown.parent is not None:
                status, evidence = answers[shown.parent]
                if evidence.startswith(NOT_CONCERNED):
                    result = replace(result, status=status, evidence=evidence, question=None)
            settled.append(result)
        return settled

    def _record(self, position: int, answer: Answer) -> CriterionResult:
        found = self._records.get((position, answer))
        if found is None:
            found = _record(self.criteria[position], answer)
            if len(self._records) >= _RECORDS_KEPT:  # bounded; recurring answers come back
                self._records.clear()
            self._records[position, answer] = found
        return found

    def status_codes(self, answers: Sequence[Answer]) -> str:
        """Each result's status as one letter (`STATUS_CODES`), in the order of `results`:
        what is stored of a pair; its evidence is a pure function of the inputs."""
        codes = []
        for shown in self.shown:
            status = answers[shown.source][0]
            if shown.parent is not None:
                settled, evidence = answers[shown.parent]
                if evidence.startswith(NOT_CONCERNED):
                    status = settled
            codes.append(STATUS_CODES[status])
        return "".join(codes)

    def failed_ids(self, answers: Sequence[Answer]) -> list[str]:
        """The ids of the top-level criteria that make the pair ineligible."""
        return [
            self.criteria[shown.source].id
            for shown in self.shown
            if shown.top and answers[shown.source][0] == _UNWANTED[self.criteria[shown.source].kind]
        ]

    def reasons(self, answers: Sequence[Answer]) -> list[CriterionResult]:
        """The top-level results that fail, without building the others."""
        failing = []
        for shown in self.shown:
            criterion = self.criteria[shown.source]
            if shown.top and answers[shown.source][0] == _UNWANTED[criterion.kind]:
                result = self._record(shown.source, answers[shown.source])
                failing.append(replace(result, group=None) if result.group else result)
        return failing


_RECORDS_KEPT = 64
STATUS_CODES: dict[Status, str] = {"met": "m", "not_met": "n", "unknown": "u", "not_evaluable": "e"}
_WANTED: dict[str, Status] = {"inclusion": "met", "exclusion": "not_met"}
_UNWANTED: dict[str, Status] = {"inclusion": "not_met", "exclusion": "met"}


def tally(
    plan: CriteriaPlan | None, answers: Sequence[Answer], registry: Sequence[Answer]
) -> tuple[Verdict, int]:
    """The verdict and the number of top-level unknowns, from statuses alone.

    *registry* are the implicit inclusion checks (age, sex); *plan* None is a
    trial whose criteria are not parsed yet (one unknown inclusion criterion).
    """
    failed, favourable, unknowns = False, True, 0
    for status, _ in registry:  # inclusion criteria
        if status == "not_met":
            failed = True
        elif status == "unknown":
            favourable = False
            unknowns += 1
    if plan is None:
        favourable = False
        unknowns += 1
    else:
        for source, wanted, unwanted in plan.tops:
            status = answers[source][0]
            if status == unwanted:
                failed = True
            elif status != wanted and status != "not_evaluable":
                favourable = False
                unknowns += status == "unknown"
    if failed:
        return "ineligible", unknowns
    return ("eligible" if favourable else "possible"), unknowns


def _record(criterion: Criterion, answer: Answer) -> CriterionResult:
    status, evidence = answer
    return CriterionResult(
        id=criterion.id,
        kind=criterion.kind,
        text=criterion.text,
        status=status,
        evidence=evidence,
        category=criterion.category,
        group=criterion.group,
        question=None
        if criterion.reason in SILENT_REASONS
        else question_for(criterion.kind, criterion.text, status),
    )


def _group_answer(node: _Node, answers: Sequence[Answer], facts: PatientFacts) -> Answer:
    rule = node.group
    assert rule is not None
    kind = node.criterion.kind
    trivially: Status = "met" if kind == "inclusion" else "not_met"
    outside = outside_scope(rule, facts)
    if outside is not None:
        return trivially, f"{NOT_CONCERNED}{outside}"
    statuses = [answers[kid][0] for kid in node.kids if answers[kid][0] != "not_evaluable"]
    if not statuses:
        return "not_evaluable", "every part is checked by a person"
    combined = kleene_all(statuses) if rule.logic == "all" else kleene_any(statuses)
    shown = zip(node.kid_ids, node.kids, strict=True)
    # each part's own evidence, so the coordinator sees why without opening the parts
    evidence = "; ".join(f"{kid_id} {answers[kid][0]}: {answers[kid][1]}" for kid_id, kid in shown)
    scope_unsure = rule.applies_to is not None and facts.profile.sex is None
    if scope_unsure and combined != trivially:
        return "unknown", evidence + "; sex not recorded, so it may not apply"
    return combined, evidence


def outside_scope(rule: GroupRule, facts: PatientFacts) -> str | None:
    sex, age = facts.profile.sex, facts.profile.age
    if rule.applies_to in ("women_of_childbearing_potential", "female") and sex == "male":
        return "male"
    if rule.applies_to == "male" and sex == "female":
        return "female"
    is_wocbp_rule = rule.applies_to == "women_of_childbearing_potential"
    if is_wocbp_rule and sex == "female" and age is not None and age > CHILDBEARING_AGE_LIMIT:
        return f"age {age:g}, taken as not of childbearing potential"
    return None


def kleene_all(statuses: Sequence[str]) -> Status:
    if "not_met" in statuses:
        return "not_met"
    return "unknown" if "unknown" in statuses else "met"


def kleene_any(statuses: Sequence[str]) -> Status:
    if "met" in statuses:
        return "met"
    return "unknown" if "unknown" in statuses else "not_met"


def question_for(kind: str, text: str, status: str) -> str | None:
    if status == "unknown":
        prefix = "Ask: does the patient meet" if kind == "inclusion" else "Ask: does this apply"
        return f"{prefix} — “{text}”?"
    if status == "not_evaluable":
        prefix = "Verify" if kind == "inclusion" else "Verify it does not apply"
        return f"{prefix}: “{text}”"
    return None
