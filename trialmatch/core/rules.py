"""The machine rules a parsed criterion carries: one frozen record per kind of fact.

A rule states a fact about a patient ("aged 18 to 65", "takes an
antipsychotic", "allergic to baclofen"). The matcher decides whether the
fact holds; the criterion's `kind` decides what that means: an inclusion
criterion must hold, an exclusion criterion must not. ``negated`` on a rule
turns the fact around ("no history of epilepsy").

Rules are finished by the parser: drug classes named in the text are in
``classes``, exceptions ("other than benzodiazepines") in ``excluding`` or
``except_*``, an allergy is an `AllergyRule`. The matcher evaluates them as
they are and never reads the criterion's text again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal, get_args

from trialmatch.core.patient import Sex

Comparator = Literal[">", ">=", "<", "<=", "=", "!="]
COMPARATORS: frozenset[str] = frozenset(get_args(Comparator))
Timing = Literal["current", "past", "ever"]
DoseReference = Literal["diazepam", "morphine", "prednisone"]
PregnancyState = Literal["pregnant", "lactating"]
GroupLogic = Literal["all", "any"]
GroupScope = Literal["women_of_childbearing_potential", "female", "male"]
RuleField = Literal[
    "age", "sex", "condition", "allergy", "medication", "measurement", "pregnancy", "group"
]


def _check(value: object, allowed: object, what: str) -> None:
    choices = get_args(allowed)
    if value not in choices:
        raise ValueError(f"{what} {value!r} not one of {sorted(map(str, choices))}")


@dataclass(frozen=True)
class AgeRule:
    """The patient's age in years lies in [min, max] (bounds optional)."""

    min: float | None = None
    max: float | None = None
    min_inclusive: bool = True
    max_inclusive: bool = True
    field: Literal["age"] = "age"

    def __post_init__(self) -> None:
        if self.min is None and self.max is None:
            raise ValueError("an age rule needs a minimum or a maximum")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"age minimum {self.min} above maximum {self.max}")


@dataclass(frozen=True)
class SexRule:
    """The patient's sex is one of `allowed`."""

    allowed: tuple[Sex, ...]
    field: Literal["sex"] = "sex"

    def __post_init__(self) -> None:
        if not self.allowed or not set(self.allowed) <= set(get_args(Sex)):
            raise ValueError(f"sex rule allows {self.allowed!r}; expected female and/or male")


@dataclass(frozen=True)
class ConditionRule:
    """The patient has (or had, when `history`) any of the conditions.

    Terms are canonical condition names (`knowledge.conditions`). `excluding`
    names conditions that do not count ("dependence on substances other than
    benzodiazepines and nicotine"). `within_days` limits to conditions active
    or diagnosed in that window before the anchor (today). `another`: named
    as another condition than the one the trial is about ("another primary
    cancer", "other CNS disease"), so a recorded condition that meets it may
    be that very one, and a person checks.
    """

    any_of: tuple[str, ...]
    excluding: tuple[str, ...] = ()
    history: bool = False
    negated: bool = False
    within_days: int | None = None
    another: bool = False
    field: Literal["condition"] = "condition"

    def __post_init__(self) -> None:
        if not self.any_of:
            raise ValueError("a condition rule names at least one condition")


@dataclass(frozen=True)
class AllergyRule:
    """The patient is allergic (hypersensitive, intolerant) to any of the substances.

    `substances` are canonical drug names, or the lower-case name of what is
    no drug ("latex", "shellfish"); `classes` are drug class ids
    (``benzodiazepines``): an allergy to any member counts.
    """

    substances: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    negated: bool = False
    field: Literal["allergy"] = "allergy"

    def __post_init__(self) -> None:
        if not self.substances and not self.classes:
            raise ValueError("an allergy rule names at least one substance or class")


@dataclass(frozen=True)
class DoseRange:
    """A daily dose range, optionally as an equivalent of a reference drug.

    ``equivalent`` is ``"diazepam"`` (benzodiazepines and Z-drugs, Ashton),
    ``"morphine"`` (oral morphine milligram equivalents) or ``"prednisone"``;
    the patient's doses of every drug the rule names are converted and summed.
    """

    min: float | None = None
    max: float | None = None
    unit: str = "mg/day"
    equivalent: DoseReference | None = None
    min_inclusive: bool = True
    max_inclusive: bool = True

    def __post_init__(self) -> None:
        if self.min is None and self.max is None:
            raise ValueError("a dose range needs a minimum or a maximum")
        if self.equivalent is not None:
            _check(self.equivalent, DoseReference, "dose equivalent")


@dataclass(frozen=True)
class MedicationRule:
    """The patient takes (``current``), took (``past``) or ever took a drug.

    Drugs are canonical lower-case generic names; classes are ids of the class
    files under ``knowledge/data/drug_classes/`` (``benzodiazepines``).
    `min_duration_days` is "for more than 12 weeks"; `within_days` is the
    look-back window ("over the 28 days prior to inclusion").
    """

    drugs: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    except_drugs: tuple[str, ...] = ()
    except_classes: tuple[str, ...] = ()
    timing: Timing = "current"
    within_days: int | None = None
    min_duration_days: int | None = None
    dose: DoseRange | None = None
    negated: bool = False
    field: Literal["medication"] = "medication"

    def __post_init__(self) -> None:
        if not self.drugs and not self.classes:
            raise ValueError("a medication rule names at least one drug or class")
        _check(self.timing, Timing, "medication timing")


@dataclass(frozen=True)
class MeasurementRule:
    """A lab or vital sign compared with a threshold, in the given unit.

    `name` is a canonical measurement id (``egfr``, ``creatinine_clearance``,
    ``hba1c``, ``anc``, ``platelets``, ``alt``, ``ast``, ``bilirubin``,
    ``bmi``, ``ecog``, ``karnofsky``, …). A threshold relative to the upper
    limit of normal has unit ``"x ULN"``.
    """

    name: str
    comparator: Comparator
    value: float
    unit: str | None = None
    upper: float | None = None  # for "between X and Y": value is the lower bound
    within_days: int | None = None
    negated: bool = False
    field: Literal["measurement"] = "measurement"

    def __post_init__(self) -> None:
        _check(self.comparator, Comparator, "comparator")


@dataclass(frozen=True)
class PregnancyRule:
    """The patient is in any of `states`."""

    states: tuple[PregnancyState, ...] = ("pregnant",)
    negated: bool = False
    field: Literal["pregnancy"] = "pregnancy"

    def __post_init__(self) -> None:
        if not self.states or not set(self.states) <= set(get_args(PregnancyState)):
            raise ValueError(f"pregnancy states {self.states!r}; expected pregnant/lactating")


@dataclass(frozen=True)
class GroupRule:
    """A parent criterion: its children (same `group` id) combine by `logic`.

    `applies_to` narrows who the group concerns ("For women of childbearing
    potential:"): a patient outside it satisfies the group trivially.
    """

    logic: GroupLogic = "all"
    applies_to: GroupScope | None = None
    field: Literal["group"] = "group"

    def __post_init__(self) -> None:
        _check(self.logic, GroupLogic, "group logic")
        if self.applies_to is not None:
            _check(self.applies_to, GroupScope, "group scope")


Rule = (
    AgeRule
    | SexRule
    | ConditionRule
    | AllergyRule
    | MedicationRule
    | MeasurementRule
    | PregnancyRule
    | GroupRule
)
# the rules whose fact a criterion may state the other way round ("no history of …")
NegatableRule = ConditionRule | AllergyRule | MedicationRule | MeasurementRule | PregnancyRule
RULE_TYPES: dict[str, type[Any]] = {
    "age": AgeRule,
    "sex": SexRule,
    "condition": ConditionRule,
    "allergy": AllergyRule,
    "medication": MedicationRule,
    "measurement": MeasurementRule,
    "pregnancy": PregnancyRule,
    "group": GroupRule,
}


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    data: dict[str, Any] = {"field": rule.field}
    for item in fields(rule):
        if item.name == "field":
            continue
        value = getattr(rule, item.name)
        if isinstance(value, DoseRange):
            value = {part.name: getattr(value, part.name) for part in fields(value)}
        elif isinstance(value, tuple):
            value = list(value)
        data[item.name] = value
    return data


def rule_from_dict(data: Mapping[str, Any]) -> Rule:
    """A rule read back; ValueError names what is wrong (kind, field or value)."""
    field_name = data.get("field")
    rule_type = RULE_TYPES.get(str(field_name))
    if rule_type is None:
        raise ValueError(f"unknown rule field {field_name!r}")
    known = {item.name for item in fields(rule_type)}
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name == "field":
            continue
        if name not in known:
            raise ValueError(f"a {field_name} rule has no field {name!r}")
        if name == "dose" and value is not None:
            value = DoseRange(**value)
        elif isinstance(value, list):
            value = tuple(value)
        values[name] = value
    rule: Rule = rule_type(**values)
    return rule
