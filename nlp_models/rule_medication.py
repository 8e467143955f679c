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

from knowledge import drugs as drug_knowledge
from nlp_models.temporal import find_temporal
from nlp_models.values import find_values
from trialmatch.core.criteria import Entity
from trialmatch.core.rules import DoseRange, DoseReference, MedicationRule

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
    r"pre-?treated|treated\s+with|courses?\s+of)\b",
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


def _equivalent(text: str) -> DoseReference | None:
    match = _EQUIVALENT.search(text)
    if match is None:
        return None
    written = next(group for group in match.groups() if group) if any(match.groups()) else "mme"
    written = written.lower()
    if written in ("mme", "med", "medd") or "morphine" in written:
        return "morphine"
    if written.startswith("predniso"):
        return "prednisone"
    return "diazepam" if written == "diazepam" else None


def _dose(text: str, named: list[Entity]) -> DoseRange | None:
    equivalent = _equivalent(text)
    for value in find_values(text):
        if value.unit not in ("mg", "mg/day", "mg/d", "mcg", "g"):
            continue
        if not any(_near(text, value.start, value.end, e) for e in named):
            continue  # "low birthweight (< 2500 g)" is no dose of the drug named far away
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


def _names_a_drug(entity: Entity) -> bool:
    """A drug, or a treatment naming a drug class ("oral anticoagulation therapy")."""
    if entity.type == "drug":
        return True
    return entity.type == "procedure" and (entity.normalized or "").startswith(CLASS_PREFIX)


def _near(text: str, start: int, end: int, entity: Entity) -> bool:
    """Close to the drug's name, in the same clause (no ';' between)."""
    between = text[min(end, entity.end) : max(start, entity.start)]
    close = entity.start - _DOSE_REACH <= end and start <= entity.end + _DOSE_REACH
    return close and ";" not in between and "\n" not in between


def _timing(text: str, dose: DoseRange | None) -> Literal["current", "past", "ever"]:
    if dose is not None:
        return "current"  # a dose criterion is about what the patient takes now
    if _EVER.search(text):
        return "ever"
    if _PAST.search(text) and not _CURRENT.search(text):
        return "past"
    return "current"


# "methacholine challenge", "post-albuterol FEV1", "beta hCG (pregnancy) test", "troponin I and
# CK-MB levels", "vitamin B12 deficiency": a drug given for a test or measured, not one taken
_TEST_AFTER = re.compile(
    r"^[\s-]*(?:\([^()]{1,15}\)\s*)?"
    # up to three words between, none of which starts a new phrase ("warfarin with INR levels"
    # is still warfarin taken)
    r"(?:(?!(?:with|at|for|in|on|to|by|of|from|during|while|after|before)\b)[\w-]+\s+){0,3}?"
    r"(?:challenge|provocation|tests?|levels?|titers?|titres?|assays?|concentrations?|"
    r"deficien\w*|index|ratio)\b",
    re.IGNORECASE,
)
_TEST_BEFORE = re.compile(
    r"\b(?:pre|post|serum|plasma|urine|urinary|blood|negative|positive)(?:[\s-]+beta)?[\s-]*$",
    re.IGNORECASE,
)
# "sodium, potassium, bicarbonate": a drug name listed among lab measurements is an analyte
_LIST_GAP = re.compile(r"^\s*(?:,|;|/|\band\b|\bor\b)\s*(?:\band\b|\bor\b)?\s*$", re.I)
# "dapsone-naive", "naïve to biologics": never treated with it
_NAIVE_AFTER = re.compile(r"^[\s-]*na[iï]ve\b", re.IGNORECASE)
_NAIVE_BEFORE = re.compile(r"\bna[iï]ve\s+(?:to\s+)?(?:any\s+)?$", re.IGNORECASE)
# a dose belongs to a drug named close to it, not to a weight or another number of the text
_DOSE_REACH = 60


# "HBsAg positive", "anti-HCV (antibody) reactive": a test result, not a drug taken
_RESULT_AFTER = re.compile(
    r"^[\s-]*(?:\([^()]{1,15}\)\s*)?(?:sero)?(?:positive|negative|reactive|detectable|"
    r"undetectable)\b",
    re.IGNORECASE,
)


def _given_for_a_test(text: str, entity: Entity) -> bool:
    after = text[entity.end : entity.end + 60]
    return bool(
        _TEST_AFTER.match(after)
        or _RESULT_AFTER.match(after)
        or _TEST_BEFORE.search(text[max(0, entity.start - 16) : entity.start])
    )


def _labs(entities: tuple[Entity, ...]) -> list[Entity]:
    """The lab mentions, not "sodium" in "sodium oxybate"."""
    drugs = [e for e in entities if e.type == "drug"]
    return [
        e
        for e in entities
        if e.type == "measurement" and not any(d.start < e.end and e.start < d.end for d in drugs)
    ]


def _listed_with_labs(text: str, entity: Entity, labs: list[Entity]) -> bool:
    return any(
        (lab.end <= entity.start and _LIST_GAP.match(text[lab.end : entity.start]))
        or (entity.end <= lab.start and _LIST_GAP.match(text[entity.end : lab.start]))
        for lab in labs
    )


def _naive(text: str, entities: tuple[Entity, ...]) -> bool:
    return any(
        e.type in ("drug", "procedure")
        and (
            _NAIVE_AFTER.match(text[e.end : e.end + 10])
            or _NAIVE_BEFORE.search(text[max(0, e.start - 20) : e.start])
        )
        for e in entities
    )


def medication_rule(text: str, entities: tuple[Entity, ...]) -> MedicationRule | None:
    labs = _labs(entities)
    entities = tuple(
        e
        for e in entities
        if not _given_for_a_test(text, e) and not _listed_with_labs(text, e, labs)
    )
    drugs, classes, except_drugs, except_classes = drug_terms(entities)
    if not drugs and not classes:
        return None
    named = [e for e in entities if e.type in ("drug", "procedure") and e.normalized]
    dose = _dose(text, named)
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
    negated = any(e.negated and not e.exception for e in entities if _names_a_drug(e))
    if _naive(text, entities):
        negated, timing = True, "ever"
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
