"""Medication rules: drugs and classes, timing, duration, and summed equivalent doses.

* The ``medications`` list is what the patient takes now; ``past_medications``
  what they took before. ``timing`` "current" reads the first, "past" the
  second, "ever" both.
* A drug matches a rule when it is one of the rule's drugs or belongs to one
  of its classes (``drug_classes``: quetiapine is an antipsychotic), and is
  not one of its ``except_drugs`` / ``except_classes``.
* A record that names only a kind of treatment ("chemotherapy", "disease-
  modifying therapy") that may be one of the rule's drugs is a question, not
  a no. A drug's route counts: an inhaled corticosteroid is no systemic one.
* ``min_duration_days``: some matching current drug started at least that long
  ago (a partial date decides only when all its days agree).
* ``within_days`` for past drugs: stopped within the window before today.
* ``dose``: the daily doses of every matching current drug, converted to the
  reference drug (``equivalent_dose``) when the range is an equivalent, summed
  (lorazepam 6 mg/day + zolpidem 10 mg/day = 65 mg diazepam). A dose that is
  missing or not convertible makes the sum unknown, unless the known part
  already exceeds the maximum.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from knowledge.drugs import canonical_class, class_members, equivalent_dose
from matcher.facts import Drug, PatientFacts, drug_name
from trialmatch.core.dates import days_since
from trialmatch.core.match import Status
from trialmatch.core.rules import DoseRange, MedicationRule

Answer = tuple[Status, str]
_MG_PER_DAY_UNITS = {
    "mg/day": 1.0,
    "mg/d": 1.0,
    "mg per day": 1.0,
    "mg daily": 1.0,
    "mg/24h": 1.0,
    "mg": 1.0,  # a bare "mg" on a current medication is read as the daily dose
    "g/day": 1000.0,
    "g/d": 1000.0,
    "mcg/day": 0.001,
    "µg/day": 0.001,
    "ug/day": 0.001,
}


def evaluate_medication(rule: MedicationRule, facts: PatientFacts, today: date) -> Answer:
    return MedicationCheck(rule)(facts, today)


class MedicationCheck:
    """A medication rule with its names and classes normalised once (per distinct rule)."""

    __slots__ = ("absent", "classes", "except_classes", "excepted", "named", "rule")

    def __init__(self, rule: MedicationRule) -> None:
        self.rule = rule
        self.named = frozenset(drug_name(name) for name in rule.drugs)
        self.excepted = frozenset(drug_name(name) for name in rule.except_drugs)
        self.classes = frozenset(_classes(rule.classes))
        self.except_classes = frozenset(_classes(rule.except_classes))
        self.absent: Answer = ("not_met", f"no {_named(rule)} among {_where(rule.timing)}")

    def matches(self, drug: Drug) -> bool:
        if drug.name in self.excepted or drug.classes & self.except_classes:
            return False
        return drug.name in self.named or bool(drug.classes & self.classes)

    def could_be(self, entry: Drug) -> bool:
        """Whether a kind of treatment the record names may be one of the rule's drugs.

        "chemotherapy" may be cisplatin; "disease-modifying therapy", of no
        class we know, may be any drug; "NSAID" is no benzodiazepine.
        """
        if not entry.classes:
            return True
        return any(
            self.named & class_members(class_id) or class_id in self.classes
            for class_id in entry.classes
        )

    def __call__(self, facts: PatientFacts, today: date) -> Answer:
        rule = self.rule
        windowed = rule.within_days is not None and rule.timing != "current"
        # "in the last 28 days" covers what the patient still takes today
        timing = "ever" if windowed else rule.timing
        drugs, missing = _drugs_for_timing(timing, facts)
        matching = [drug for drug in drugs if self.matches(drug)]
        if windowed:
            matching, unsure = _in_window(matching, rule.within_days or 0, today)
        else:
            unsure = []
        if not matching:
            if unsure:
                return "unknown", f"{_describe(unsure[0])}; not known if within the window"
            if missing:
                return "unknown", f"{' and '.join(missing)} not recorded"
            vague = [drug for drug in drugs if drug.kind_only and self.could_be(drug)]
            if vague:
                return "unknown", f"{_describe(vague[0])}: which drug is not recorded"
            return self.absent
        answers: list[Answer] = [("met", ", ".join(_describe(drug) for drug in matching))]
        current = [drug for drug in matching if drug.current is not None]
        if rule.min_duration_days is not None:
            answers.append(_duration(rule.min_duration_days, current, today))
        if rule.dose is not None:
            answers.append(_dose(rule.dose, current))
        return _all_of(answers)


def _drugs_for_timing(timing: str, facts: PatientFacts) -> tuple[list[Drug], list[str]]:
    drugs: list[Drug] = []
    missing: list[str] = []
    if timing in ("current", "ever"):
        if facts.current_drugs is None:
            missing.append("current medications")
        else:
            drugs.extend(facts.current_drugs)
    if timing in ("past", "ever"):
        if facts.past_drugs is None:
            missing.append("past medications")
        else:
            drugs.extend(facts.past_drugs)
    return drugs, missing


def _classes(names: Iterable[str]) -> set[str]:
    return {canonical_class(name) or name for name in names}


def _named(rule: MedicationRule) -> str:
    names = [*rule.drugs, *(name.replace("_", " ") for name in rule.classes)]
    shown = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
    return shown


def _where(timing: str) -> str:
    return {
        "current": "current medications",
        "past": "past medications",
        "ever": "current or past medications",
    }[timing]


def _describe(drug: Drug) -> str:
    if drug.current is not None:
        dose = drug.current
        amount = f" {dose.dose:g} {dose.unit or ''}".rstrip() if dose.dose is not None else ""
        since = f" since {dose.since}" if dose.since else ""
        return f"takes {drug.label}{amount}{since}"
    until = drug.past.until if drug.past is not None else None
    return f"took {drug.label} (past{', until ' + until if until else ''})"


def _in_window(drugs: list[Drug], window: int, today: date) -> tuple[list[Drug], list[Drug]]:
    """The drugs surely taken within *window* days, and those that may have been."""
    surely, maybe = [], []
    for drug in drugs:
        until = drug.past.until if drug.past is not None else None
        if drug.current is not None:
            surely.append(drug)
        elif until is None:
            maybe.append(drug)
        else:
            fewest, most = days_since(until, today)
            if most <= window:
                surely.append(drug)
            elif fewest <= window:
                maybe.append(drug)
    return surely, maybe


def _duration(min_days: int, current: list[Drug], today: date) -> Answer:
    unsure = []
    for drug in current:
        since = drug.current.since if drug.current is not None else None
        if since is None:
            unsure.append(f"start date of {drug.label} not recorded")
            continue
        fewest, most = days_since(since, today)
        if fewest >= min_days:
            return "met", f"{drug.label} since {since} (at least {min_days} days)"
        if most >= min_days:
            unsure.append(f"{drug.label} since {since}: not known if {min_days} days")
    if unsure:
        return "unknown", "; ".join(unsure)
    return "not_met", f"taken for less than {min_days} days"


def _dose(dose: DoseRange, current: list[Drug]) -> Answer:
    total, unknown, parts = 0.0, [], []
    for drug in current:
        amount = _daily_mg(drug, dose.equivalent)
        if amount is None:
            unknown.append(drug.label)
            continue
        total += amount
        parts.append(f"{drug.label} {amount:g}")
    reference = f" {dose.equivalent}-equivalent" if dose.equivalent else ""
    evidence = f"total {total:g} mg/day{reference} ({' + '.join(parts) or 'nothing known'})"
    above_max = dose.max is not None and (
        total > dose.max or (total == dose.max and not dose.max_inclusive)
    )
    if above_max:
        return "not_met", evidence
    if unknown:
        return "unknown", evidence + f"; dose not known for {', '.join(unknown)}"
    closed = (dose.min_inclusive, dose.max_inclusive)
    inside = (dose.min is None or total > dose.min or (total == dose.min and closed[0])) and (
        dose.max is None or total < dose.max or (total == dose.max and closed[1])
    )
    return ("met" if inside else "not_met"), evidence


def _daily_mg(drug: Drug, equivalent: str | None) -> float | None:
    fact = drug.current
    if fact is None or fact.dose is None:
        return None
    factor = _MG_PER_DAY_UNITS.get((fact.unit or "mg/day").strip().lower())
    if factor is None:
        return None
    mg = fact.dose * factor
    if equivalent is None:
        return mg
    return equivalent_dose(drug.name, mg, equivalent)


def _all_of(answers: list[Answer]) -> Answer:
    statuses = [status for status, _ in answers]
    evidence = "; ".join(text for _, text in answers)
    if "not_met" in statuses:
        failing = "; ".join(text for status, text in answers if status == "not_met")
        return "not_met", failing
    if "unknown" in statuses:
        return "unknown", evidence
    return "met", evidence
