"""Three-valued evaluation of one rule against one patient.

A rule states a fact; the answer is whether the fact holds for the patient:
``met``, ``not_met`` or ``unknown`` (the profile lacks what is needed), with
the evidence. ``negated`` flips met and not met. The criterion's kind is not
looked at here (see `matcher.evaluation`).

Closed world over recorded lists: when a profile has a ``conditions`` (or
``medications``, ``past_medications``) list, a condition or drug missing
from it is absent; when the list itself is missing, the answer is unknown.
Measurements are never closed-world: a lab not in the profile is unknown.
Nor is a condition a criterion requires when no coded record could name it
("measurable disease", "target lesions"): `compile_rule` with ``open_world``
answers unknown for its absence, so a parse that names no disease does not
fail every patient.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from knowledge.allergies import allergen, names_allergy
from knowledge.concepts import reading, relation
from knowledge.conditions import (
    names_family_history,
    term_matches,
    term_tokens,
    without_qualifiers,
)
from knowledge.conditions import (
    stopwords as condition_stopwords,
)
from matcher.facts import Condition, PatientFacts, classes_of, drug_name
from matcher.measurement_rules import evaluate_measurement
from matcher.medication_rules import MedicationCheck
from matcher.relevance import Topic
from trialmatch.core.match import Status
from trialmatch.core.rules import (
    AgeRule,
    AllergyRule,
    ConditionRule,
    MeasurementRule,
    MedicationRule,
    PregnancyRule,
    Rule,
    SexRule,
)

Answer = tuple[Status, str]
# Women this old are taken as not of childbearing potential (documented in the report).
CHILDBEARING_AGE_LIMIT = 55


def flip(answer: Answer, negated: bool) -> Answer:
    status, evidence = answer
    if not negated or status not in ("met", "not_met"):
        return answer
    return ("not_met" if status == "met" else "met"), evidence


def evaluate_rule(rule: Rule, facts: PatientFacts, today: date, open_world: bool = False) -> Answer:
    """Whether the rule's fact holds for the patient (*open_world*: see `ConditionCheck`)."""
    return compile_rule(rule, open_world)(facts, today)


Check = Callable[[PatientFacts, date], Answer]


def compile_rule(rule: Rule, open_world: bool = False) -> Check:
    """The check of a rule, its terms and names normalised once (per distinct rule).

    Condition, allergy and medication rules (most of a trial's rules) get their
    per-rule work done here rather than per patient. *open_world*: see `ConditionCheck`.
    """
    if isinstance(rule, ConditionRule):
        return _negatable(ConditionCheck(rule, open_world), rule.negated)
    if isinstance(rule, AllergyRule):
        return _negatable(AllergyCheck(rule, open_world), rule.negated)
    if isinstance(rule, MedicationRule):
        medication = MedicationCheck(rule)
        if rule.negated:
            return lambda facts, today: flip(medication(facts, today), True)
        return medication
    if isinstance(rule, AgeRule):
        return lambda facts, _today: evaluate_age(rule, facts)
    if isinstance(rule, SexRule):
        return lambda facts, _today: evaluate_sex(rule, facts)
    if isinstance(rule, PregnancyRule):
        return lambda facts, _today: flip(evaluate_pregnancy(rule, facts), rule.negated)
    if isinstance(rule, MeasurementRule):
        return lambda facts, today: flip(evaluate_measurement(rule, facts, today), rule.negated)
    return lambda _facts, _today: ("not_evaluable", f"no machine check for a {rule.field} rule")


def _negatable(check: Callable[[PatientFacts], Answer], negated: bool) -> Check:
    if negated:
        return lambda facts, _today: flip(check(facts), True)
    return lambda facts, _today: check(facts)


def _within(value: float, low: float | None, high: float | None, closed: tuple[bool, bool]) -> bool:
    if low is not None and (value < low or (value == low and not closed[0])):
        return False
    return not (high is not None and (value > high or (value == high and not closed[1])))


def evaluate_age(rule: AgeRule, facts: PatientFacts) -> Answer:
    age = facts.profile.age
    if age is None:
        return "unknown", "age not recorded"
    inside = _within(age, rule.min, rule.max, (rule.min_inclusive, rule.max_inclusive))
    return ("met" if inside else "not_met"), f"age {age:g}"


def evaluate_sex(rule: SexRule, facts: PatientFacts) -> Answer:
    sex = facts.profile.sex
    if sex is None:
        return "unknown", "sex not recorded"
    return ("met" if sex in rule.allowed else "not_met"), f"sex {sex}"


def evaluate_pregnancy(rule: PregnancyRule, facts: PatientFacts) -> Answer:
    profile = facts.profile
    if profile.sex == "male":
        return "not_met", "male"
    answers = [_pregnancy_state(state, facts) for state in rule.states]
    if any(status == "met" for status, _ in answers):
        return "met", "; ".join(evidence for status, evidence in answers if status == "met")
    evidence = "; ".join(evidence for _, evidence in answers)
    if any(status == "unknown" for status, _ in answers):
        return "unknown", evidence
    return "not_met", evidence


def _yes_no(value: bool) -> Status:
    return "met" if value else "not_met"


def _pregnancy_state(state: str, facts: PatientFacts) -> Answer:
    profile = facts.profile
    if state == "pregnant":
        if profile.pregnant is None:
            return "unknown", "pregnancy not recorded"
        return _yes_no(profile.pregnant), f"pregnant: {str(profile.pregnant).lower()}"
    if profile.lactating is not None:
        return _yes_no(profile.lactating), f"lactating: {str(profile.lactating).lower()}"
    if profile.pregnant is False:
        # DESIGN.md's format records only `pregnant`; false is read as "neither pregnant
        # nor nursing" unless the profile records `lactating` itself.
        return "not_met", "lactating not recorded; pregnant: false read as not nursing"
    return "unknown", "breastfeeding not recorded"


class ConditionCheck:
    """A condition rule with its terms normalised once (compiled per distinct rule).

    A recorded condition meets a term when its words include the term's
    (`knowledge.conditions`), or when its concept is the term's or narrower
    (`knowledge.concepts`: "Alzheimer disease" meets "dementia"). A record
    broader than the term ("lung cancer" for "non-small cell lung cancer"),
    a suspected diagnosis, or one that lacks the term's qualifiers
    ("Essential hypertension" for "uncontrolled hypertension") leaves the
    answer unknown: the coordinator asks. A relative's condition ("family
    history of …") only meets a term about family history.

    *open_world* is for a criterion that needs the condition present: when no
    term is one a coded condition could match (`conditions.coded`), its
    absence from the profile is unknown rather than not met.
    """

    __slots__ = ("absent", "another", "excluding", "family", "history", "terms")

    def __init__(self, rule: ConditionRule, open_world: bool = False) -> None:
        # a term without words matches nothing (`conditions.term_matches`)
        usable = [term for term in rule.any_of if term_tokens(term)]
        # "personal or family history of breast cancer": the patient's own condition meets
        # the own terms, a relative's the family-history terms
        self.terms = _Terms.of([term for term in usable if not names_family_history(term)])
        self.family = _Terms.of([term for term in usable if names_family_history(term)])
        self.excluding = tuple(_Term.of(term) for term in rule.excluding if term_tokens(term))
        self.history = rule.history
        self.another = rule.another
        listing = _listing(rule.any_of)
        self.absent: Answer = ("not_met", f"no recorded condition is {listing}")
        if open_world:
            self.absent = ("unknown", f"no coded condition names {listing}: ask")

    def __call__(self, facts: PatientFacts) -> Answer:
        if facts.conditions is None:
            return "unknown", "conditions not recorded"
        past_only: str | None = None
        partly: Answer | None = None
        for condition in facts.conditions:
            terms = self.family if condition.family else self.terms
            found = self._named(condition, terms) if terms.all else None
            if found is None:
                continue
            term, exact = found
            if not (condition.fact.active or self.history):
                past_only = past_only or condition.fact.text
                continue
            text = condition.fact.text
            if exact and condition.suspected:
                partly = partly or ("unknown", f"'{text}' is not confirmed: ask ('{term}')")
            elif exact and self.another:
                partly = partly or (
                    "unknown",
                    f"condition '{text}' recorded: ask whether it is another than the one "
                    f"the study is about ('{term}')",
                )
            elif exact:
                state = "" if condition.fact.active else "past "
                return "met", f"{state}condition '{text}' (matches '{term}')"
            else:  # the code's description may still name it in full
                partly = partly or (
                    "unknown",
                    f"condition '{text}' recorded; whether it is '{term}' is not: ask",
                )
        if partly is not None:
            return partly
        if past_only is not None:
            return "not_met", f"only past (inactive) condition '{past_only}'"
        return self.absent

    def _named(self, condition: Condition, terms: _Terms) -> tuple[str, bool] | None:
        """The term the condition names, and whether fully (False: broader, or not as qualified)."""
        if any(term.tokens <= words for words in condition.expanded for term in self.excluding):
            return None
        for words in condition.expanded:
            named = next((term.text for term in terms.all if term.tokens <= words), None)
            if named is not None:
                return named, True
        for words in condition.expanded:
            qualified = next((text for text, base in terms.unqualified if base <= words), None)
            if qualified is not None:
                return qualified, False
        recorded = condition.concepts
        if any(relation(term.concepts, recorded) == "same_or_narrower" for term in self.excluding):
            return None
        partly: str | None = None
        for term in terms.all:
            related = relation(term.concepts, recorded)
            if related == "same_or_narrower" and term.complete:
                return term.text, True
            if related != "unrelated":
                partly = partly or term.text
        return None if partly is None else (partly, False)


@dataclass(frozen=True, slots=True)
class _Terms:
    """A rule's terms, and each qualified one's words without its qualifiers."""

    all: tuple[_Term, ...]
    unqualified: tuple[tuple[str, frozenset[str]], ...]

    @classmethod
    def of(cls, texts: list[str]) -> _Terms:
        terms = tuple(_Term.of(text) for text in texts)
        unqualified = tuple(
            (term.text, base)
            for term in terms
            if (base := without_qualifiers(term.tokens)) and base != term.tokens
        )
        return cls(terms, unqualified)


@dataclass(frozen=True, slots=True)
class _Term:
    text: str
    tokens: frozenset[str]
    concepts: frozenset[str]
    # every meaningful word is part of a concept: "T4 tumor" is more than "tumor", so a
    # tumour recorded only meets it partly
    complete: bool

    @classmethod
    def of(cls, text: str) -> _Term:
        named, left = reading(text)
        return cls(text, term_tokens(text), named, left <= condition_stopwords())


def _listing(terms: tuple[str, ...]) -> str:
    shown = ", ".join(f"'{term}'" for term in terms[:4])
    return shown + (", …" if len(terms) > 4 else "")


class AllergyCheck:
    """An allergy rule against the allergy list, and against allergies recorded as conditions.

    A recorded allergy counts when it is to one of the rule's substances (by
    canonical drug name, or by condition words for what is no drug: "latex"),
    or to a drug of one of its classes (a lorazepam allergy for "allergy to
    benzodiazepines"), or names the class itself.
    """

    __slots__ = ("classes", "listing", "names", "open_world", "substances")

    def __init__(self, rule: AllergyRule, open_world: bool = False) -> None:
        self.open_world = open_world
        self.substances = tuple(dict.fromkeys(rule.substances))
        self.names = frozenset(drug_name(substance) for substance in rule.substances)
        self.classes = frozenset(rule.classes)
        shown = (*self.substances, *(name.replace("_", " ") for name in rule.classes))
        self.listing = _listing(shown)

    def __call__(self, facts: PatientFacts) -> Answer:
        records: list[str] = list(facts.profile.allergies or ())
        if facts.conditions is not None:
            records += [c.fact.text for c in facts.conditions if names_allergy(c.fact.text)]
        for record in records:
            if self._matches(record):
                return "met", f"allergy '{record}'"
        if facts.profile.allergies is None and facts.conditions is None:
            return "unknown", "allergies not recorded"
        source = "allergies" if facts.profile.allergies is not None else "conditions"
        if self.open_world and facts.profile.allergies is None:
            return "unknown", f"no recorded allergy to {self.listing} (from {source}): ask"
        return "not_met", f"no recorded allergy to {self.listing} (from {source})"

    def _matches(self, record: str) -> bool:
        substance = allergen(record)
        name = drug_name(substance)
        if name in self.names or (self.classes and classes_of(name) & self.classes):
            return True
        return any(term_matches(wanted, substance) for wanted in self.substances)


def evaluate_population(topics: Sequence[Topic], facts: PatientFacts) -> Answer:
    """Whether the patient has one of the diseases the study is registered for.

    Met by a recorded condition that names one (by words, or as the same or a
    narrower concept); unknown when the record is broader, suspected, or names
    none of them: the criteria then decide, but the pair is not eligible on
    the registry's word alone.
    """
    if facts.conditions is None:
        return "unknown", "conditions not recorded"
    listing = _listing(tuple(topic.text for topic in topics))
    partly: Answer | None = None
    for condition in facts.conditions:
        topic, exact = _topic_of(condition, topics)
        if topic is None:
            continue
        text = condition.fact.text
        if exact and not condition.suspected:
            return "met", f"condition '{text}' (the study is about '{topic}')"
        partly = partly or ("unknown", f"condition '{text}'; whether it is '{topic}': ask")
    return partly or ("unknown", f"no recorded condition is among the study's {listing}: ask")


def evaluate_healthy(facts: PatientFacts) -> Answer:
    """Whether the patient can take part as a healthy volunteer: no condition recorded."""
    if facts.conditions is None:
        return "unknown", "conditions not recorded"
    own = [c.fact.text for c in facts.conditions if not c.family and c.fact.active]
    if not own:
        return "met", "no active condition recorded"
    return "unknown", f"condition '{own[0]}' recorded: ask whether it allows taking part"


def _topic_of(condition: Condition, topics: Sequence[Topic]) -> tuple[str | None, bool]:
    """The study topic a recorded condition names, and whether it is that topic or narrower."""
    if condition.family:
        return None, False
    related_to: str | None = None
    for topic in topics:
        related = relation(topic.concepts, condition.concepts)
        named = any(topic.tokens <= words for words in condition.expanded)
        if named or related == "same_or_narrower":
            return topic.text, True
        if related != "unrelated":
            related_to = related_to or topic.text
    return related_to, False


def without_studied(facts: PatientFacts, topics: Sequence[Topic]) -> PatientFacts:
    """The patient's facts less the conditions that are what the study is about."""
    if facts.conditions is None:
        return facts
    kept = tuple(c for c in facts.conditions if not _topic_of(c, topics)[1])
    return facts if len(kept) == len(facts.conditions) else replace(facts, conditions=kept)
