"""The last step of every rule the parser emits: complete it from the criterion's entities.

The matcher evaluates rules as they are and never reads a criterion's text,
so what the text adds is put into the rule here:

* a condition rule gets the drugs named as exceptions ("dependence on
  substances other than benzodiazepines") in ``excluding``;
* a medication rule gets the classes its entities name (``class:…``), and a
  class listed among its drugs ("benzodiazepines") moves to ``classes``;
* a condition rule that is about an allergy ("Hypersensitivity to latex",
  "known allergies: penicillin") becomes an `AllergyRule`.
"""

from __future__ import annotations

import re
from dataclasses import replace

from knowledge import drugs as drug_knowledge
from knowledge.allergies import ALLERGY_WORDS, allergen
from knowledge.conditions import term_tokens
from nlp_models.rule_medication import CLASS_PREFIX
from trialmatch.core.criteria import Entity
from trialmatch.core.rules import AllergyRule, ConditionRule, MedicationRule, Rule

_ALLERGY = re.compile(
    r"\b(?:hypersensitiv\w*|allerg\w*|anaphyla\w*|intoleran\w*|"
    r"(?:hyper)?sensi(?:tiv|bil)\w*\s+to)\b",
    re.IGNORECASE,
)


def finish_rule(rule: Rule | None, text: str, entities: tuple[Entity, ...]) -> Rule | None:
    """*rule* completed from the criterion's *text* and *entities* (offsets in *text*)."""
    if isinstance(rule, ConditionRule):
        rule = with_entity_exceptions(rule, entities)
        if is_about_allergy(rule, text):
            return allergy_of(rule)
        return rule
    if isinstance(rule, MedicationRule):
        return with_entity_classes(rule, entities)
    return rule


def with_entity_exceptions(rule: ConditionRule, entities: tuple[Entity, ...]) -> ConditionRule:
    """Exceptions named in the text ("other than benzodiazepines and nicotine") added.

    An exception as broad as the rule's own terms would void the rule, so it
    is taken as a parsing slip and dropped; one an exclusion already names is
    not named twice.
    """
    already = [term_tokens(term) for term in rule.excluding]
    named = [
        entity.text
        for entity in entities
        if entity.exception
        and entity.type == "drug"
        # "other than benzodiazepines" is already "benzodiazepine dependence" in a dependence rule
        and not any(term_tokens(entity.text) <= tokens for tokens in already)
    ]
    own = [term_tokens(term) for term in rule.any_of]
    kept = tuple(
        term
        for term in dict.fromkeys((*rule.excluding, *named))
        if term_tokens(term) and not any(term_tokens(term) <= tokens for tokens in own)
    )
    if kept == rule.excluding:
        return rule
    return replace(rule, excluding=kept)


def with_entity_classes(rule: MedicationRule, entities: tuple[Entity, ...]) -> MedicationRule:
    """Drug names that are class names moved to classes; classes the text names added."""
    classes = list(rule.classes)
    drugs = []
    for name in rule.drugs:
        class_id = class_named(name)
        if class_id is None:
            drugs.append(name)
        else:
            classes.append(class_id)
    except_classes = list(rule.except_classes)
    for entity in entities:
        normalized = entity.normalized or ""
        if entity.type == "drug" and normalized.startswith(CLASS_PREFIX):
            target = except_classes if entity.exception else classes
            target.append(normalized.removeprefix(CLASS_PREFIX))
    if not drugs and not classes:
        return rule
    return replace(
        rule,
        drugs=tuple(drugs),
        classes=tuple(dict.fromkeys(classes)),
        except_classes=tuple(dict.fromkeys(except_classes)),
    )


def class_named(name: str) -> str | None:
    """The class id a drug-list entry names ("Benzodiazepines", "class:ssris"), if any."""
    cleaned = " ".join(name.lower().removeprefix(CLASS_PREFIX).split())
    return drug_knowledge.canonical_class(cleaned) or drug_knowledge.class_phrases().get(cleaned)


def is_about_allergy(rule: ConditionRule, text: str) -> bool:
    """A criterion that opens with an allergy word, or whose every term names an allergy."""
    lowered = text.lower().lstrip("*- ").lstrip()
    if lowered.startswith(ALLERGY_WORDS) or lowered.startswith("known allerg"):
        return True
    return all(any(word in term.lower() for word in ALLERGY_WORDS) for term in rule.any_of)


def allergy_of(rule: ConditionRule) -> Rule:
    """The allergy rule a condition rule about allergies states; itself when it names nothing."""
    substances: list[str] = []
    classes: list[str] = []
    for term in rule.any_of:
        name = allergen(term)
        if not name:
            continue
        class_id = class_named(name)
        if class_id is not None:
            classes.append(class_id)
        else:
            substances.append(drug_knowledge.normalize_drug(name) or name)
    if not substances and not classes:
        return rule
    return AllergyRule(
        substances=tuple(dict.fromkeys(substances)),
        classes=tuple(dict.fromkeys(classes)),
        negated=rule.negated,
    )


def allergy_rule(text: str, entities: tuple[Entity, ...]) -> AllergyRule | None:
    """'Hypersensitivity to baclofen' -> AllergyRule(substances=('baclofen',)).

    The drugs and drug classes the criterion's entities name; None when it
    names none (a condition rule about the allergy may still follow).
    """
    if not _ALLERGY.search(text):
        return None
    substances: list[str] = []
    classes: list[str] = []
    for entity in entities:
        if entity.type != "drug":
            continue
        name = entity.normalized or entity.text.lower()
        if name.startswith(CLASS_PREFIX):
            classes.append(name.removeprefix(CLASS_PREFIX))
        else:
            substances.append(name)
    if not substances and not classes:
        return None
    return AllergyRule(
        substances=tuple(dict.fromkeys(substances)), classes=tuple(dict.fromkeys(classes))
    )
