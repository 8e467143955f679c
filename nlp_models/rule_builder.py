"""Choose the category and the machine rule of one criterion, or say why a person must check it.

Order matters: a group parent first; then pregnancy (so "negative pregnancy
test" is not taken for a test to schedule); then what only a person can
check (consent, social security, the investigator's judgement, willingness,
contraception, driving, …); then age, sex, measurements, drugs and
conditions.

A criterion that states several checks ("ALT and AST ≤ 2.5 x ULN", "women
aged 18 to 45 years", "age outside 18 to 65 years") gets a `GroupRule` and
one `RulePart` per check; the parser turns the parts into child criteria.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from nlp_models.rule_condition import condition_rule
from nlp_models.rule_finish import allergy_rule, finish_rule
from nlp_models.rule_measurement import measurement_findings
from nlp_models.rule_medication import medication_rule
from nlp_models.rule_person import AgesOutside, age_rule, pregnancy_rule, sex_rule
from nlp_models.statements import DESCRIPTION_REASON, is_heading, statement_kind
from trialmatch.core.criteria import HEADING_REASON, PERMISSION_REASON, Category, Entity
from trialmatch.core.rules import (
    AgeRule,
    AllergyRule,
    GroupRule,
    MedicationRule,
    NegatableRule,
    Rule,
)

NOT_EVALUABLE_FILE = Path(__file__).resolve().parent / "data" / "not_evaluable.json"
_ANY_OF = re.compile(
    r"\b(?:any|one|at\s+least\s+one|either)\s+(?:\w+\s+){0,2}(?:of\s+)?(?:the\s+)?following\b|"
    r"\bone\s+or\s+more\s+of\b|\beither\b",
    re.IGNORECASE,
)
_ALL_OF = re.compile(r"\ball\s+(?:of\s+)?(?:the\s+)?following\b|\bboth\b", re.IGNORECASE)
_CHILDBEARING = re.compile(
    r"child[- ]?bearing|wocbp|of\s+reproductive\s+(?:potential|age)|able\s+to\s+(?:become|get)\s+"
    r"pregnant",
    re.IGNORECASE,
)
_EITHER_SEX = r"(?!\s*(?:/|,|or\b|and\b|&)\s*(?:fe)?(?:males?|men|man|women|woman)\b)"
_FEMALE_ONLY = re.compile(rf"^\W*(?:for\s+)?(?:females?|women|woman)\b{_EITHER_SEX}", re.I)
_MALE_ONLY = re.compile(rf"^\W*(?:for\s+)?(?:males?|men|man)\b{_EITHER_SEX}", re.I)
_CONDITION_CUE = re.compile(
    r"^\W*(?:(?:a\s+|any\s+)?(?:known\s+|documented\s+|confirmed\s+|prior\s+|previous\s+)?"
    r"(?:history|diagnosis|presence|evidence)\s+of|patients?\s+with|subjects?\s+with|"
    r"known|active|uncontrolled|severe|chronic|acute)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RulePart:
    """One check of a criterion that states several; offsets are in the criterion text."""

    category: Category
    rule: Rule
    start: int
    end: int


@dataclass(frozen=True)
class Decision:
    category: Category
    rule: Rule | None
    reason: str | None = None
    parts: tuple[RulePart, ...] = ()


@cache
def _not_evaluable_patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    data = json.loads(NOT_EVALUABLE_FILE.read_text(encoding="utf-8"))
    return tuple((re.compile(p["regex"], re.IGNORECASE), p["reason"]) for p in data["patterns"])


def not_evaluable_reason(text: str) -> str | None:
    for pattern, reason in _not_evaluable_patterns():
        if pattern.search(text):
            return reason
    return None


def group_decision(text: str, kind: str, *, enumeration: bool = False) -> Decision:
    """A parent item: how its children combine and whom it concerns.

    *enumeration*: the children are entries of one list ("Hereditary connective
    tissue disorders;" / "Phacomatoses;" / …), alternatives unless the text
    says all of them must hold.
    """
    if _ANY_OF.search(text):
        logic = "any"
    elif _ALL_OF.search(text):
        logic = "all"
    else:  # each exclusion item excludes alone
        logic = "any" if kind == "exclusion" or enumeration else "all"
    applies_to = None
    if _CHILDBEARING.search(text):
        applies_to = "women_of_childbearing_potential"
    elif _FEMALE_ONLY.search(text):
        applies_to = "female"
    elif _MALE_ONLY.search(text):
        applies_to = "male"
    group = GroupRule(logic=logic, applies_to=applies_to)  # type: ignore[arg-type]
    own_age = age_rule(text) if logic == "all" and applies_to is None else None
    if isinstance(own_age, AgeRule) and not _AGE_AT_EVENT.search(text):
        # "A man or woman, 20 years of age or above … who meets all the following": the
        # parent's own age limit is one more check that must hold with its sub-items
        return Decision("group", group, parts=(RulePart("age", own_age, 0, len(text)),))
    return Decision("group", group)


def cohorts_decision(kind: str) -> Decision:
    """The item spanning a section's cohorts: a patient fits one cohort's criteria, and is
    excluded only when every cohort's exclusions exclude them."""
    return Decision("group", GroupRule(logic="any" if kind == "inclusion" else "all"))


_REQUIREMENT_NEGATION = re.compile(r"\b(?:must|should|shall|may|will)\s+not\b|\bcannot\b", re.I)


def decide(text: str, entities: tuple[Entity, ...], kind: str = "inclusion") -> Decision:
    """Category and rule of a criterion that has no sub-items.

    An exclusion written as a requirement ("Patients must not have received
    prior chemotherapy") names what excludes: its negation is the section's,
    not the fact's.
    """
    decision = _finished(_decide(text, entities, kind), text, entities)
    rule = decision.rule
    negated_fact = isinstance(rule, NegatableRule) and rule.negated
    if kind == "exclusion" and negated_fact and _REQUIREMENT_NEGATION.search(text):
        assert isinstance(rule, NegatableRule)
        return replace(decision, rule=replace(rule, negated=False))
    if kind == "inclusion" and (_NEGATIVE_LEAD.match(text) or _EXCLUDES.search(text)):
        return _turned(decision, len(text))
    if kind == "inclusion" and isinstance(rule, MedicationRule):
        return replace(decision, rule=_dose_cap(rule))
    return decision


# an exclusion listed among inclusion criteria: "Patients with aspirin allergies … will be
# excluded", "Women who are breast-feeding are not eligible"
_EXCLUDES = re.compile(
    r"\b(?:will|shall|would)\s+(?:also\s+)?be\s+excluded\b|\b(?:is|are)\s+(?:also\s+)?"
    r"(?:excluded|not\s+eligible|ineligible)\b",
    re.IGNORECASE,
)


def _dose_cap(rule: MedicationRule) -> MedicationRule:
    """ "Simvastatin not more than 40 mg/day" among inclusions caps the dose of whoever takes
    it: the rule is "takes more than 40 mg/day of it", turned, so not taking it meets it."""
    dose = rule.dose
    if dose is None or dose.max is None or dose.min is not None or rule.negated:
        return rule
    above = replace(dose, min=dose.max, max=None, min_inclusive=not dose.max_inclusive)
    return replace(rule, dose=above, negated=True)


# an inclusion written as a negative ("No patients less than or equal to 5 years old", "No
# females who are pregnant"): what it names keeps the patient out, so the rule is turned
_NEGATIVE_LEAD = re.compile(
    r"^\W*(?:no|not|none)\b(?!\s+(?:more|less|greater|fewer|older|younger|later|earlier|"
    r"lower|higher|longer|shorter)\s+than)(?!\s+(?:applicable|required|known)\b)",
    re.IGNORECASE,
)


def _turned(decision: Decision, length: int) -> Decision:
    rule = decision.rule
    if isinstance(rule, AgeRule):
        turned = _outside(rule)
        if isinstance(turned, AgeRule):
            return replace(decision, rule=turned)
        parts = tuple(RulePart("age", part, 0, length) for part in (turned.below, turned.above))
        return replace(decision, rule=GroupRule(logic="any"), parts=parts)
    if isinstance(rule, NegatableRule) and not rule.negated:
        return replace(decision, rule=replace(rule, negated=True))
    return decision


def _outside(rule: AgeRule) -> AgeRule | AgesOutside:
    """The ages a rule leaves out: below its minimum, or above its maximum."""
    if rule.min is not None and rule.max is not None:
        return AgesOutside(
            below=AgeRule(max=rule.min, max_inclusive=not rule.min_inclusive),
            above=AgeRule(min=rule.max, min_inclusive=not rule.max_inclusive),
        )
    if rule.max is not None:
        return AgeRule(min=rule.max, min_inclusive=not rule.max_inclusive)
    return AgeRule(max=rule.min, max_inclusive=not rule.min_inclusive)


def _finished(decision: Decision, text: str, entities: tuple[Entity, ...]) -> Decision:
    """Every rule of the decision completed from the text (`rule_finish`); parts read
    only their own text, since their entities stay with the parent."""
    rule = finish_rule(decision.rule, text, entities)
    parts = tuple(
        replace(part, rule=finished, category=_category_of(finished, part.category))
        for part in decision.parts
        if (finished := finish_rule(part.rule, text[part.start : part.end], ())) is not None
    )
    return replace(decision, rule=rule, category=_category_of(rule, decision.category), parts=parts)


def _category_of(rule: Rule | None, category: Category) -> Category:
    return "allergy" if isinstance(rule, AllergyRule) else category


# obstetric history ("nulliparous women") is no sex rule: a multiparous woman must not meet it
_OBSTETRIC = re.compile(
    r"\b(?:nulli|primi|multi|pluri)(?:parous|parity|gravid\w*)\b|\bparity\b|"
    r"\b(?:gravida|para)\s*\d|\bG\d+P\d+\b",
    re.IGNORECASE,
)
_MODAL = r"(?:must|should|shall|needs?\s+to|ha(?:s|ve)\s+to|(?:is|are)\s+required\s+to|will\s+need)"
# a requirement on a subgroup ("Participants with HBV infection must be treated …", "Male
# subjects must not freeze sperm", "If HIV positive, …") is conditional on belonging to the
# subgroup: as a plain condition or drug rule it would exclude everyone in the subgroup
_SUBGROUP_REQUIREMENT = re.compile(
    rf"^\W*(?:(?:if|when|whenever|in\s+case\s+of|for\s+(?:those|patients|participants|"
    rf"subjects)\s+(?:with|who))\b[^.;:]{{1,100}}?,"
    rf"|(?:(?:male|female)s?|men|women|(?:male|female)\s+(?:patients?|subjects?|participants?)"
    # "Controls should have no signs of Sjogren's syndrome": the study's other arm
    rf"|(?:(?:healthy|normal)\s+)?(?:controls?|control\s+(?:subjects?|participants?|group))"
    rf"|(?:(?:patients?|subjects?|participants?|individuals?|those|women|men)\s+"
    rf"(?:with|who|whose|on|receiving|taking)\b[^.;:]{{1,100}}?))\s+{_MODAL}\b)",
    re.IGNORECASE,
)


def _decide(text: str, entities: tuple[Entity, ...], kind: str) -> Decision:
    if is_heading(text):
        return Decision("other", None, HEADING_REASON)
    statement = statement_kind(text)
    if statement == "permission":
        return Decision("other", None, PERMISSION_REASON)
    if statement == "description":
        return Decision("not_evaluable", None, DESCRIPTION_REASON)
    if _OBSTETRIC.search(text):
        return Decision("not_evaluable", None, "obstetric history")
    pregnancy = pregnancy_rule(text)
    age = age_rule(text)
    age_at_event = age is not None and _AGE_AT_EVENT.search(text) is not None
    if age_at_event:
        age = None  # not the patient's age today
    if pregnancy is not None:
        if kind == "inclusion" and isinstance(age, AgeRule):
            # "non-pregnant female subjects (20-65 years of age)": both must hold
            return _all_parts(text, [("pregnancy", pregnancy), ("age", age)])
        return Decision("pregnancy", pregnancy)
    allergy = allergy_rule(text, entities)
    if allergy is not None:
        return Decision("allergy", allergy)
    if isinstance(age, AgesOutside):
        whole = len(text)
        parts = (RulePart("age", age.below, 0, whole), RulePart("age", age.above, 0, whole))
        return Decision("age", GroupRule(logic="any"), parts=parts)
    if age_at_event:
        return Decision("not_evaluable", None, "age at an earlier event (onset, diagnosis)")
    if age is not None:  # "must be >18 years of age at the time of signing the consent"
        sex = sex_rule(_AGE_WORDS.sub(" ", text)) if kind == "inclusion" else None
        if sex is not None and len(sex.allowed) == 1:  # "adult females 18 years or older"
            return _all_parts(text, [("sex", sex), ("age", age)])
        return Decision("age", age)
    reason = not_evaluable_reason(text)
    if reason is not None:
        return Decision("not_evaluable", None, reason)
    if _SUBGROUP_REQUIREMENT.search(text):
        return Decision("not_evaluable", None, "requirement on a subgroup of patients")
    return _evaluable(text, entities, kind)


# "less than 50 years of age at the time of migraine onset", "diagnosed before the age of 40":
# the age at an earlier event, which a profile's current age cannot answer
_AGE_AT_EVENT = re.compile(
    r"\bat\s+(?:the\s+)?(?:time\s+of\s+)?(?:(?:the\s+)?first\s+)?(?:[\w-]+\s+){0,2}?"
    r"(?:onset|diagnosis|menarche|menopause|first\s+(?:symptoms?|episode|seizure|event))\b|"
    r"\b(?:onset|diagnos\w+|menarche|menopause)\s+(?:\w+\s+){0,3}?(?:before|after|under|over|"
    r"prior\s+to|at)\s+(?:the\s+)?age\b|\bage\s+(?:at|of)\s+(?:onset|diagnosis|menarche)\b",
    re.IGNORECASE,
)
# an age phrase, taken out before asking whether the rest of the criterion only names a sex
_AGE_WORDS = re.compile(
    r"\b(?:\d+(?:\.\d+)?|years?|yrs?|months?|old(?:er)?|younger|above|over|under|below|"
    r"age[ds]?|of|to|or|and|at|least|more|less|than|equal|inclusive|between)\b|[≥≤<>=+()\-–]",
    re.IGNORECASE,
)


# "or" between checks, not inside one comparator ("40 kg or over", "150 mmHg or less")
_ALTERNATIVE = re.compile(
    r"\bor\b(?!\s+(?:over|more|less|above|below|greater|higher|lower|fewer|equal|older|younger|"
    r"under|up)\b)",
    re.IGNORECASE,
)


def _all_parts(text: str, checks: list[tuple[Category, Rule]]) -> Decision:
    parts = tuple(RulePart(category, rule, 0, len(text)) for category, rule in checks)
    return Decision(checks[-1][0], GroupRule(logic="all"), parts=parts)


def _evaluable(text: str, entities: tuple[Entity, ...], kind: str) -> Decision:
    sex = sex_rule(text)
    if sex is not None:
        return Decision("sex", sex)
    findings = measurement_findings(text, entities)
    if len(findings) == 1:
        return Decision("measurement", findings[0].rule)
    if findings:
        parts = tuple(RulePart("measurement", f.rule, f.start, f.end) for f in findings)
        between = text[findings[0].start : findings[-1].end]
        # each exclusion threshold excludes alone; "creatinine ≤ 1.5 mg/dL or creatinine
        # clearance ≥ 60 mL/min" lets either one include
        alternatives = kind == "exclusion" or _ALTERNATIVE.search(between)
        group = GroupRule(logic="any") if alternatives else GroupRule(logic="all")
        return Decision("measurement", group, parts=parts)
    condition = condition_rule(text, entities)
    if condition is not None and condition.excluding:
        return Decision("condition", condition)  # "dependence … other than benzodiazepines"
    medication = medication_rule(text, entities)
    if medication is not None:
        return Decision("medication", medication)
    if condition is not None:
        return Decision("condition", condition)
    if _CONDITION_CUE.search(text):
        fallback = condition_rule(text, (*entities, _whole(text)))
        if fallback is not None:
            return Decision("condition", fallback)
    return Decision("not_evaluable", None, _fallback_reason(entities))


def _whole(text: str) -> Entity:
    """A stand-in condition entity for a criterion whose head phrase names the condition."""
    return Entity(type="condition", text="", start=0, end=0)


def _fallback_reason(entities: tuple[Entity, ...]) -> str:
    if any(e.type == "procedure" for e in entities):
        return "procedure history to check with the patient"
    if any(e.type == "measurement" for e in entities):
        return "measurement without a threshold the parser understood"
    return "no machine-readable rule recognised"
