"""Medication rules: drugs and classes, timing, look-back window, duration, dose range.

"Average daily benzodiazepine dosage between 50 mg and 200 mg-diazepam …
over the 28 days prior to inclusion" becomes
``MedicationRule(classes=("benzodiazepines", "z_drugs"), dose=DoseRange(50,
200, equivalent="diazepam"), within_days=28)``: a diazepam-equivalent dose
is summed over benzodiazepines *and* Z-drugs (the Ashton table covers both).
"""

from __future__ import annotations

import re
from typing import Literal

from nlp_models import drug_knowledge
from nlp_models.records import DoseRange, Entity, MedicationRule
from nlp_models.temporal import find_temporal
from nlp_models.values import find_values

CLASS_PREFIX = "class:"
_EQUIVALENT = re.compile(
    r"\bmg[- ]?(?:of\s+)?(diazepam|morphine|prednisone|prednisolone)\b|"
    r"\b(diazepam|morphine|prednisone|prednisolone)[- ]equivalen|\b(MME|MEDD?)\b|"
    r"morphine\s+milligram\s+equivalents?",
    re.IGNORECASE,
)
_EVER = re.compile(r"\b(?:history\s+of|ever\s+(?:used|taken|received|treated)|lifetime)\b", re.I)
_PAST = re.compile(
    r"\b(?:previous(?:ly)?|prior(?!\s+to)|past|former(?:ly)?|discontinued|stopped|received|"
    r"pre-?treated|treated\s+with)\b",
    re.IGNORECASE,
)
_CURRENT = re.compile(
    r"\b(?:current(?:ly)?|ongoing|concomitant|concurrent|unauthori[sz]ed|prohibited|forbidden|"
    r"taking|stable\s+dose|on\s+(?:a\s+)?(?:stable\s+)?(?:treatment|therapy)|use\s+of|"
    r"continued|requir\w+|need\w*)\b",
    re.IGNORECASE,
)


def drug_terms(entities: tuple[Entity, ...]) -> tuple[list[str], list[str], list[str], list[str]]:
    """(drugs, classes, except_drugs, except_classes) named by the drug entities."""
    drugs: list[str] = []
    classes: list[str] = []
    except_drugs: list[str] = []
    except_classes: list[str] = []
    for entity in entities:
        if entity.normalized is None or entity.type not in ("drug", "procedure"):
            continue
        if entity.type == "procedure" and not entity.normalized.startswith(CLASS_PREFIX):
            continue
        if entity.normalized.startswith(CLASS_PREFIX):
            target = except_classes if entity.exception else classes
            name = entity.normalized[len(CLASS_PREFIX) :]
        else:
            target = except_drugs if entity.exception else drugs
            name = entity.normalized
        if name not in target:
            target.append(name)
    return drugs, classes, except_drugs, except_classes


def _equivalent(text: str) -> str | None:
    match = _EQUIVALENT.search(text)
    if match is None:
        return None
    written = next(group for group in match.groups() if group) if any(match.groups()) else "mme"
    written = written.lower()
    if written in ("mme", "med", "medd") or "morphine" in written:
        return "morphine"
    return "prednisone" if written.startswith("predniso") else written


def _dose(text: str) -> DoseRange | None:
    equivalent = _equivalent(text)
    for value in find_values(text):
        if value.unit not in ("mg", "mg/day", "mg/d", "mcg", "g"):
            continue
        factor = {"mcg": 0.001, "g": 1000.0}.get(value.unit, 1.0)
        if value.comparator == "range" and value.upper is not None:
            return DoseRange(min=value.value * factor, max=value.upper * factor,
                             equivalent=equivalent)  # fmt: skip
        if value.comparator in (">=", ">"):
            return DoseRange(min=value.value * factor, equivalent=equivalent,
                             min_inclusive=value.comparator == ">=")  # fmt: skip
        if value.comparator in ("<=", "<"):
            return DoseRange(max=value.value * factor, equivalent=equivalent,
                             max_inclusive=value.comparator == "<=")  # fmt: skip
    return None


def _timing(text: str, dose: DoseRange | None) -> Literal["current", "past", "ever"]:
    if dose is not None:
        return "current"  # a dose criterion is about what the patient takes now
    if _EVER.search(text):
        return "ever"
    if _PAST.search(text) and not _CURRENT.search(text):
        return "past"
    return "current"


# "methacholine challenge", "post-albuterol FEV1", "pre-albuterol-dose (baseline) PC20": a drug
# given for a test, not one the patient takes
_TEST_AFTER = re.compile(
    r"^[\s-]*(?:chloride\s+)?(?:bronchial\s+|inhalation\s+)?(?:challenge|provocation|"
    r"stimulation\s+test|test)\b",
    re.IGNORECASE,
)
_TEST_BEFORE = re.compile(r"\b(?:pre|post)[\s-]*$", re.IGNORECASE)


def _given_for_a_test(text: str, entity: Entity) -> bool:
    return bool(
        _TEST_AFTER.match(text[entity.end : entity.end + 40])
        or _TEST_BEFORE.search(text[max(0, entity.start - 6) : entity.start])
    )


def medication_rule(text: str, entities: tuple[Entity, ...]) -> MedicationRule | None:
    entities = tuple(e for e in entities if not _given_for_a_test(text, e))
    drugs, classes, except_drugs, except_classes = drug_terms(entities)
    if not drugs and not classes:
        return None
    dose = _dose(text)
    counts_z_drugs = dose is not None and dose.equivalent == "diazepam"
    if counts_z_drugs and "benzodiazepines" in classes and "z_drugs" not in classes:
        classes.append("z_drugs")  # the Ashton table counts Z-drugs with benzodiazepines
    if dose is not None and dose.equivalent in drugs:
        drugs.remove(dose.equivalent)  # "mg-diazepam" names the unit, not a drug taken
    covered = {member for class_id in classes for member in drug_knowledge.class_members(class_id)}
    drugs = [drug for drug in drugs if drug not in covered]
    if not drugs and not classes:
        return None
    window, duration = _windows(text)
    timing = _timing(text, dose)
    if window is not None and timing == "current" and dose is None:
        timing = "ever"  # "within 4 weeks prior": taken at any time in the window
    negated = any(e.negated and not e.exception for e in entities if e.type == "drug")
    return MedicationRule(
        drugs=tuple(drugs),
        classes=tuple(classes),
        except_drugs=tuple(except_drugs),
        except_classes=tuple(except_classes),
        timing=timing,
        within_days=window,
        min_duration_days=duration,
        dose=dose,
        negated=negated,
    )


def _windows(text: str) -> tuple[int | None, int | None]:
    window = duration = None
    for mention in find_temporal(text):
        if mention.kind == "window" and window is None:
            window = mention.days
        elif mention.kind == "duration" and duration is None:
            duration = mention.days
    return window, duration
