"""Which trials are about a patient, and how closely: the condition index of the recruiting trials.

A trial's topics are its registry conditions, keywords and MeSH terms, and
the conditions its inclusion criteria require (so a trial whose registry
conditions say little, "Vital Signs", is still found through them). Each
topic is indexed twice:

* by its comparable words (`knowledge.conditions`): a patient condition
  whose words include the topic's (or whose words the topic's include:
  "breast cancer" for "HER2+ metastatic breast cancer") relates to it;
* by its concepts (`knowledge.concepts`): a patient concept that is the
  topic's or narrower ("Alzheimer disease" for "Dementia") relates to it,
  and so does a topic narrower than a patient concept.

Titles are a fallback: a condition all of whose words are in a trial's
title, or a concept the title names. A trial none of whose topics or title
names a disease ("Vital Signs", "Healthy", none at all) is open to any
patient its criteria admit, at the lowest relevance.

Relevance is in 0..1: how closely the best-matching patient condition
relates (the same concept or words above a broader or narrower one, above a
title), times how central the condition is to the patient (the first
recorded, active, confirmed condition is the main problem). A relative's
condition ("family history of …") relates to nothing. Everything here is
computed once per trial (indexing) and once per patient condition.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from knowledge import concepts
from knowledge.conditions import (
    expanded_tokens,
    is_suspected,
    names_family_history,
    term_tokens,
)
from knowledge.icd10 import describe_code, is_icd10_system
from trialmatch.core.criteria import Criterion
from trialmatch.core.patient import ConditionFact
from trialmatch.core.rules import ConditionRule
from trialmatch.core.trial import Trial

SAME = 1.0  # the topic is the patient's condition (or broader words of it)
BROADER_TOPIC = 0.85  # the topic is a broader concept ("Dementia" for Alzheimer disease)
NARROWER_TOPIC = 0.75  # the topic is narrower than the condition ("HER2+ breast cancer")
IN_TITLE = 0.6  # only the title names the condition
OPEN = 0.3  # the trial names no disease: open to anyone its criteria admit
# how central a condition is to the patient: the first recorded is the main problem
MAIN, OTHER, INACTIVE, SUSPECTED = 1.0, 0.7, 0.6, 0.9


@dataclass(frozen=True)
class ConditionIndex:
    """The topics of a list of trials, indexed by words and by concepts (positions in the list)."""

    by_words: dict[frozenset[str], set[int]]
    word_postings: dict[str, list[frozenset[str]]]
    by_concept: dict[str, set[int]]
    under_concept: dict[str, set[int]]  # trials with a topic narrower than the concept
    title_words: dict[str, set[int]]
    title_concepts: dict[str, set[int]]
    open_trials: frozenset[int]  # trials that name no disease at all

    @classmethod
    def of(
        cls, trials: Sequence[Trial], required: Mapping[str, Iterable[str]] | None = None
    ) -> ConditionIndex:
        """*required*: per trial id, the condition names its inclusion criteria require."""
        by_words: dict[frozenset[str], set[int]] = {}
        by_concept: dict[str, set[int]] = {}
        under_concept: dict[str, set[int]] = {}
        title_words: dict[str, set[int]] = {}
        title_concepts: dict[str, set[int]] = {}
        open_trials: set[int] = set()
        for position, trial in enumerate(trials):
            named = False
            for text in _topics(trial, (required or {}).get(trial.trial_id, ())):
                tokens = term_tokens(text)
                if tokens:
                    by_words.setdefault(tokens, set()).add(position)
                for concept in concepts.concepts_in(text):
                    named = True
                    by_concept.setdefault(concept, set()).add(position)
                    for broader in concepts.ancestors(concept):
                        under_concept.setdefault(broader, set()).add(position)
            title = f"{trial.brief_title} {trial.official_title}"
            for token in term_tokens(title):
                title_words.setdefault(token, set()).add(position)
            for concept in concepts.concepts_in(title):
                named = True
                title_concepts.setdefault(concept, set()).add(position)
            if not named:
                open_trials.add(position)
        postings: dict[str, list[frozenset[str]]] = {}
        for tokens in by_words:
            for token in tokens:
                postings.setdefault(token, []).append(tokens)
        return cls(
            by_words,
            postings,
            by_concept,
            under_concept,
            title_words,
            title_concepts,
            frozenset(open_trials),
        )

    def related(self, conditions: Sequence[ConditionFact]) -> dict[int, float]:
        """The trials the patient's conditions relate to, each with its relevance."""
        found: dict[int, float] = dict.fromkeys(self.open_trials, OPEN)
        for rank, fact in enumerate(conditions):
            weight = centrality(fact, rank)
            if weight == 0.0:
                continue
            for position, closeness in self._related_to(fact).items():
                score = weight * closeness
                if score > found.get(position, 0.0):
                    found[position] = score
        return found

    def _related_to(self, fact: ConditionFact) -> dict[int, float]:
        found: dict[int, float] = {}

        def note(positions: Iterable[int], closeness: float) -> None:
            for position in positions:
                if closeness > found.get(position, 0.0):
                    found[position] = closeness

        for text in condition_texts(fact):
            note(self._in_titles(text), IN_TITLE)
            for tokens in self._matching_words(text):
                note(self.by_words[tokens], SAME)
        own = condition_concepts(fact)
        for concept in own:
            note(self.by_concept.get(concept, ()), SAME)
            note(self.under_concept.get(concept, ()), NARROWER_TOPIC)
            note(self.title_concepts.get(concept, ()), IN_TITLE)
            for broader in concepts.ancestors(concept):
                note(self.by_concept.get(broader, ()), BROADER_TOPIC)
                note(self.title_concepts.get(broader, ()), IN_TITLE)
        return found

    def _in_titles(self, text: str) -> set[int]:
        words = term_tokens(text)
        if not words:
            return set()
        postings = sorted((self.title_words.get(word, set()) for word in words), key=len)
        return set.intersection(*postings) if postings[0] else set()

    def _matching_words(self, text: str) -> set[frozenset[str]]:
        own, expanded = term_tokens(text), expanded_tokens(text)
        matched: set[frozenset[str]] = set()
        for token in expanded:  # topics the condition is (or is narrower than)
            for tokens in self.word_postings.get(token, ()):
                if tokens <= expanded:
                    matched.add(tokens)
        if own:  # topics narrower than the condition ("breast cancer" -> "HER2+ ...")
            rarest = min(own, key=lambda token: len(self.word_postings.get(token, ())))
            matched.update(t for t in self.word_postings.get(rarest, ()) if own <= t)
        return matched


def required_conditions(criteria: Iterable[Criterion]) -> tuple[str, ...]:
    """The conditions a trial's inclusion criteria require the patient to have."""
    found: dict[str, None] = {}
    for criterion in criteria:
        rule = criterion.rule
        if criterion.kind == "inclusion" and isinstance(rule, ConditionRule) and not rule.negated:
            found.update(dict.fromkeys(rule.any_of))
    return tuple(found)


def _topics(trial: Trial, required: Iterable[str]) -> set[str]:
    return {*trial.conditions, *trial.keywords, *trial.mesh_terms, *required}


def centrality(fact: ConditionFact, rank: int) -> float:
    """How much a condition speaks for the patient: 0 for a relative's condition."""
    if names_family_history(fact.text):
        return 0.0
    weight = MAIN if rank == 0 else OTHER
    if not fact.active:
        weight *= INACTIVE
    if is_suspected(fact.text):
        weight *= SUSPECTED
    return weight


@cache
def _code_texts(code: str, system: str | None) -> tuple[str, ...]:
    description = describe_code(code, system)
    return (description,) if description else ()


def condition_texts(fact: ConditionFact) -> tuple[str, ...]:
    """The condition's own text, and its code's description when that says more."""
    extra = _code_texts(fact.code, fact.system) if fact.code else ()
    return (fact.text, *(text for text in extra if text != fact.text))


def condition_concepts(fact: ConditionFact) -> frozenset[str]:
    found = frozenset().union(*(concepts.concepts_in(text) for text in condition_texts(fact)))
    if fact.code and is_icd10_system(fact.system):
        found |= concepts.code_concepts(fact.code)
    return found
