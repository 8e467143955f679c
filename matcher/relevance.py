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

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TypeVar

from knowledge import concepts
from knowledge.conditions import (
    coded,
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

_Key = TypeVar("_Key")

SAME = 1.0  # the topic is the patient's condition (or broader words of it)
BROADER_TOPIC = 0.85  # the topic is a broader concept ("Dementia" for Alzheimer disease)
NARROWER_TOPIC = 0.75  # the topic is narrower than the condition ("HER2+ breast cancer")
IN_TITLE = 0.6  # only the title names the condition
OPEN = 0.3  # the trial names no disease: open to anyone its criteria admit
# a topic only its inclusion criteria name counts less than one its registry record names
REQUIRED_ONLY = 0.6
# how much the words a trial shares with the patient refine the closest relation
WORDS_SHARE = 0.25
# how central a condition is to the patient: the first recorded is the main problem
MAIN, OTHER, INACTIVE, SUSPECTED = 1.0, 0.7, 0.6, 0.9


@dataclass(frozen=True)
class ConditionIndex:
    """The topics of a list of trials, indexed by words and by concepts (positions in the list)."""

    # each key maps the trials it is a topic of to how strongly (1, or `REQUIRED_ONLY`)
    by_words: dict[frozenset[str], dict[int, float]]
    word_postings: dict[str, list[frozenset[str]]]
    by_concept: dict[str, dict[int, float]]
    under_concept: dict[str, dict[int, float]]  # trials with a topic narrower than the concept
    title_words: dict[str, set[int]]
    open_trials: frozenset[int]  # trials that name no disease, or take healthy people too
    trial_words: list[frozenset[str]]  # the words of each trial's title and topics
    rarity: dict[str, float]  # inverse document frequency of those words

    @classmethod
    def of(
        cls, trials: Sequence[Trial], required: Mapping[str, Iterable[str]] | None = None
    ) -> ConditionIndex:
        """*required*: per trial id, the condition names its inclusion criteria require."""
        by_words: dict[frozenset[str], dict[int, float]] = {}
        by_concept: dict[str, dict[int, float]] = {}
        under_concept: dict[str, dict[int, float]] = {}
        title_words: dict[str, set[int]] = {}
        open_trials: set[int] = set()
        for position, trial in enumerate(trials):
            title = _title(trial)
            wanted = (required or {}).get(trial.trial_id, ())
            topics = _topics(trial, wanted)
            for concept in concepts.concepts_in(title):
                topics.setdefault(concept_name_text(concept), IN_TITLE)
            for text, strength in topics.items():
                tokens = term_tokens(text)
                if tokens:
                    _put(by_words, tokens, position, strength)
                for concept in concepts.concepts_in(text):
                    _put(by_concept, concept, position, strength)
                    for broader in concepts.ancestors(concept):
                        _put(under_concept, broader, position, strength)
            for token in term_tokens(title):
                title_words.setdefault(token, set()).add(position)
            if _takes_anyone(trial, title):
                open_trials.add(position)
        postings: dict[str, list[frozenset[str]]] = {}
        for tokens in by_words:
            for token in tokens:
                postings.setdefault(token, []).append(tokens)
        trial_words = [
            frozenset().union(*(term_tokens(text) for text in (*_topics(trial, ()), _title(trial))))
            for trial in trials
        ]
        counts: dict[str, int] = {}
        for found in trial_words:
            for word in found:
                counts[word] = counts.get(word, 0) + 1
        rarity = {word: math.log(1 + len(trials) / count) for word, count in counts.items()}
        opened = frozenset(open_trials)
        return cls(
            by_words, postings, by_concept, under_concept, title_words, opened, trial_words, rarity
        )

    def related(self, conditions: Sequence[ConditionFact]) -> dict[int, float]:
        """The trials the patient's conditions relate to, each with its relevance.

        The closest relation decides; the share of the patient's words (weighted
        by centrality and rarity) that the trial's title and topics also use
        refines it, so that of two trials related alike, the one about more of
        the patient comes first.
        """
        found: dict[int, float] = dict.fromkeys(self.open_trials, OPEN)
        words: dict[str, float] = {}
        for rank, fact in enumerate(conditions):
            weight = centrality(fact, rank)
            if weight == 0.0:
                continue
            for word in term_tokens(fact.text):
                words[word] = max(words.get(word, 0.0), weight * self.rarity.get(word, 0.0))
            for position, closeness in self._related_to(fact).items():
                score = weight * closeness
                if score > found.get(position, 0.0):
                    found[position] = score
        total = sum(words.values())
        if not total:
            return found
        own = frozenset(words)
        return {
            position: (1 - WORDS_SHARE) * score
            + WORDS_SHARE * sum(words[w] for w in own & self.trial_words[position]) / total
            for position, score in found.items()
        }

    def _related_to(self, fact: ConditionFact) -> dict[int, float]:
        found: dict[int, float] = {}

        def note(trials: Mapping[int, float], closeness: float) -> None:
            for position, strength in trials.items():
                score = closeness * strength
                if score > found.get(position, 0.0):
                    found[position] = score

        for text in condition_texts(fact):
            note(dict.fromkeys(self._in_titles(text), 1.0), IN_TITLE)
            for tokens in self._matching_words(text):
                note(self.by_words[tokens], SAME)
        own = condition_concepts(fact)
        for concept in own:
            note(self.by_concept.get(concept, {}), SAME)
            note(self.under_concept.get(concept, {}), NARROWER_TOPIC)
            for broader in concepts.ancestors(concept):
                note(self.by_concept.get(broader, {}), BROADER_TOPIC)
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


def _topics(trial: Trial, required: Iterable[str]) -> dict[str, float]:
    """Each topic text of the trial, and how strongly it speaks for the trial's subject."""
    found = dict.fromkeys(required, REQUIRED_ONLY)
    found.update(dict.fromkeys((*trial.conditions, *trial.keywords, *trial.mesh_terms), 1.0))
    return found


def _title(trial: Trial) -> str:
    return f"{trial.brief_title} {trial.official_title}"


def concept_name_text(concept: str) -> str:
    """A concept written out, so it is indexed by words and concepts like a named topic."""
    return concepts.name_of(concept)


def takes_healthy(trial: Trial) -> bool:
    """Whether the study takes healthy volunteers (its record says so, or lists "Healthy")."""
    return bool(trial.healthy_volunteers) or any(_NO_DISEASE.match(t) for t in trial.conditions)


def _takes_anyone(trial: Trial, title: str) -> bool:
    """A trial whose record and title name no disease, or that takes healthy people too."""
    if takes_healthy(trial):
        return True
    registry = (*trial.conditions, *trial.keywords, *trial.mesh_terms)
    return not any(names_disease(text) for text in registry) and not concepts.concepts_in(title)


def _put(index: dict[_Key, dict[int, float]], key: _Key, position: int, strength: float) -> None:
    trials = index.setdefault(key, {})
    if strength > trials.get(position, 0.0):
        trials[position] = strength


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


# conditions that say the study takes people without a disease (as controls, or only them)
_NO_DISEASE = re.compile(
    r"^\W*(?:healthy|normal)(?:\s+(?:volunteers?|subjects?|adults?|controls?))?\W*$", re.I
)


@dataclass(frozen=True)
class Topic:
    text: str
    tokens: frozenset[str]
    concepts: frozenset[str]


@cache
def study_population(conditions: tuple[str, ...]) -> tuple[Topic, ...] | None:
    """The diseases a trial's registry conditions name, a broad one dropped when a narrower
    one is named too ("Heart Diseases" beside "Myocarditis"); None when they name none
    ("Vital Signs", "Healthy", nothing)."""
    named = [
        Topic(text, term_tokens(text), concepts.concepts_in(text))
        for text in conditions
        if names_disease(text)
    ]
    if not named:
        return None
    narrower = frozenset().union(*(concepts.closure(t.concepts) - t.concepts for t in named))
    kept = tuple(t for t in named if not t.concepts or not t.concepts <= narrower)
    return kept or tuple(named)


@cache
def names_topic(term: str, topics: tuple[Topic, ...]) -> bool:
    """Whether a condition term is (or is a form of) one of the study's topics."""
    tokens, named = term_tokens(term), concepts.concepts_in(term)
    for topic in topics:
        if tokens and (topic.tokens <= tokens or tokens <= topic.tokens):
            return True
        if concepts.relation(topic.concepts, named) == "same_or_narrower":
            return True
    return False


@cache
def names_disease(text: str) -> bool:
    """Whether a condition text names a disease: a terminology concept, or words only
    coded conditions use ("Benzodiazepine Dependence"); "Vital Signs", "Healthy" do not."""
    if _NO_DISEASE.match(text) or not term_tokens(text):
        return False
    return bool(concepts.concepts_in(text)) or coded(text)
