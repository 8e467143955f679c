"""A profile prepared once for evaluation: drugs normalised, condition texts resolved."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from knowledge import concepts
from knowledge.conditions import expanded_tokens, is_suspected, names_family_history
from knowledge.drugs import drug_classes, drug_route, names_a_kind_of_treatment, normalize_drug
from knowledge.icd10 import describe_code, is_icd10_system
from knowledge.measurements import canonical_measurement, convert_value
from trialmatch.core.patient import (
    ConditionFact,
    MedicationFact,
    ObservationFact,
    PastMedicationFact,
    PatientProfile,
)


@cache
def drug_name(text: str) -> str:
    """Canonical generic name, or the cleaned text when the drug is not known."""
    return normalize_drug(text) or " ".join(text.lower().split())


@cache
def classes_of(drug: str, route: str | None = None) -> frozenset[str]:
    return drug_classes(drug, route)


@dataclass(frozen=True)
class Drug:
    name: str
    classes: frozenset[str]
    current: MedicationFact | None = None
    past: PastMedicationFact | None = None
    route: str | None = None  # when the record says ("fluticasone inhaler": inhaled)
    kind_only: bool = False  # names a kind of treatment, not one drug ("chemotherapy")

    @property
    def label(self) -> str:
        fact = self.current or self.past
        return fact.text if fact is not None else self.name


@dataclass(frozen=True)
class Condition:
    fact: ConditionFact
    texts: tuple[str, ...]  # the patient's text and the code's description
    # each text's words and broader words (`conditions.expanded_tokens`), computed once per
    # patient rather than once per criterion that names a condition
    expanded: tuple[frozenset[str], ...] = ()
    # the terminology concepts it names (`knowledge.concepts`), its own code's included
    concepts: frozenset[str] = frozenset()
    family: bool = False  # "family history of …": a relative's, never the patient's own
    suspected: bool = False  # "suspected …": not confirmed


@dataclass(frozen=True)
class PatientFacts:
    profile: PatientProfile
    current_drugs: tuple[Drug, ...] | None
    past_drugs: tuple[Drug, ...] | None
    conditions: tuple[Condition, ...] | None
    # canonical measurement name -> the patient's observations of it, grouped once
    observations: dict[str, tuple[ObservationFact, ...]] | None = field(
        default=None, compare=False, hash=False
    )


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
    observations = None
    if profile.observations is not None:
        grouped: dict[str, list[ObservationFact]] = {}
        for item in profile.observations:
            grouped.setdefault(canonical_measurement_name(item.text), []).append(item)
        observations = {name: tuple(items) for name, items in grouped.items()}
    return PatientFacts(profile, current, past, conditions, observations)


def warm_up() -> None:
    """Load the knowledge a profile's facts are read with (drug names, units): done once
    before worker processes start, they inherit it instead of each loading it."""
    normalize_drug("aspirin")
    convert_value(1.0, "mg/dL", "mmol/L", "glucose")


@cache
def canonical_measurement_name(name: str) -> str:
    """The canonical id of a lab or vital sign ("eGFR" -> "egfr"), else the cleaned name."""
    return canonical_measurement(name) or " ".join(name.lower().split())


def _drug(
    text: str, current: MedicationFact | None = None, past: PastMedicationFact | None = None
) -> Drug:
    name = drug_name(text)
    route = drug_route(text)
    return Drug(
        name=name,
        classes=classes_of(name, route),
        current=current,
        past=past,
        route=route,
        kind_only=names_a_kind_of_treatment(text),
    )


def _condition(fact: ConditionFact) -> Condition:
    texts = [fact.text]
    code_concepts: frozenset[str] = frozenset()
    if fact.code:
        description = describe_code(fact.code, fact.system)
        if description and description != fact.text:
            texts.append(description)
        if is_icd10_system(fact.system):
            code_concepts = concepts.code_concepts(fact.code)
    family = names_family_history(fact.text)
    named = frozenset().union(*(concepts.concepts_in(text) for text in texts), code_concepts)
    return Condition(
        fact=fact,
        texts=tuple(texts),
        expanded=tuple(expanded_tokens(text) for text in texts),
        concepts=frozenset() if family else named,
        family=family,
        suspected=is_suspected(fact.text),
    )
