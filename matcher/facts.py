"""A profile prepared once for evaluation: drugs normalised, condition texts resolved."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from matcher.icd import describe_code
from matcher.profiles import (
    ConditionFact,
    MedicationFact,
    PastMedicationFact,
    PatientProfile,
)
from nlp_models.drug_knowledge import drug_classes, normalize_drug


@cache
def drug_name(text: str) -> str:
    """Canonical generic name, or the cleaned text when the drug is not known."""
    return normalize_drug(text) or " ".join(text.lower().split())


@cache
def classes_of(drug: str) -> frozenset[str]:
    return drug_classes(drug)


@dataclass(frozen=True)
class Drug:
    name: str
    classes: frozenset[str]
    current: MedicationFact | None = None
    past: PastMedicationFact | None = None

    @property
    def label(self) -> str:
        fact = self.current or self.past
        return fact.text if fact is not None else self.name


@dataclass(frozen=True)
class Condition:
    fact: ConditionFact
    texts: tuple[str, ...]  # the patient's text and the code's description


@dataclass(frozen=True)
class PatientFacts:
    profile: PatientProfile
    current_drugs: tuple[Drug, ...] | None
    past_drugs: tuple[Drug, ...] | None
    conditions: tuple[Condition, ...] | None


def prepare(profile: PatientProfile) -> PatientFacts:
    current = None
    if profile.medications is not None:
        current = tuple(_drug(fact.text, current=fact) for fact in profile.medications)
    past = None
    if profile.past_medications is not None:
        past = tuple(_drug(fact.text, past=fact) for fact in profile.past_medications)
    conditions = None
    if profile.conditions is not None:
        conditions = tuple(_condition(fact) for fact in profile.conditions)
    return PatientFacts(profile, current, past, conditions)


def _drug(
    text: str, current: MedicationFact | None = None, past: PastMedicationFact | None = None
) -> Drug:
    name = drug_name(text)
    return Drug(name=name, classes=classes_of(name), current=current, past=past)


def _condition(fact: ConditionFact) -> Condition:
    texts = [fact.text]
    if fact.code:
        description = describe_code(fact.code, fact.system)
        if description and description != fact.text:
            texts.append(description)
    return Condition(fact=fact, texts=tuple(texts))
