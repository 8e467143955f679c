"""Typed records of parsed eligibility criteria: `Criterion`, `Entity` and rules.

A rule states a fact about a patient ("aged 18 to 65", "takes an
antipsychotic"). The matcher decides whether the fact holds; the
criterion's `kind` decides what that means: an inclusion criterion must hold,
an exclusion criterion must not. ``negated`` on a rule turns the fact around
("no history of epilepsy"). A criterion whose rule is None is checked by a
person: its category is ``not_evaluable`` and `reason` says why.

`to_dict` gives the JSON of ``trialmatch parse-text`` (see DESIGN.md);
`from_dict` reads it back and refuses versions it does not know.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from trialmatch.errors import UnknownRecordVersion

CRITERIA_FORMAT_VERSION = 1
# the reason of an item that only heads the items after it ("Medical Conditions")
HEADING_REASON = "a heading, not a criterion"

Kind = Literal["inclusion", "exclusion"]
KINDS: frozenset[str] = frozenset({"inclusion", "exclusion"})
CATEGORIES: frozenset[str] = frozenset(
    {
        "age",
        "sex",
        "condition",
        "medication",
        "procedure",
        "measurement",
        "pregnancy",
        "consent",
        "administrative",
        "group",
        "other",
        "not_evaluable",
    }
)
ENTITY_TYPES: frozenset[str] = frozenset(
    {
        "condition",
        "drug",
        "procedure",
        "measurement",
        "observation",
        "value",
        "temporal",
        "person",
        "device",
    }
)
COMPARATORS: frozenset[str] = frozenset({">", ">=", "<", "<=", "=", "!="})


@dataclass(frozen=True)
class Entity:
    type: str
    text: str
    start: int
    end: int
    negated: bool = False
    historical: bool = False
    hypothetical: bool = False
    family: bool = False
    exception: bool = False  # named as an exception: "other than benzodiazepines"
    normalized: str | None = None  # canonical name: drug, class id, lab id, condition

    def __post_init__(self) -> None:
        if self.type not in ENTITY_TYPES:
            raise ValueError(f"entity type {self.type!r} not one of {sorted(ENTITY_TYPES)}")
        if not 0 <= self.start <= self.end:
            raise ValueError(f"entity offsets {self.start}..{self.end} are not a span")

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": self.type,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "negated": self.negated,
        }
        for flag in ("historical", "hypothetical", "family", "exception"):
            if getattr(self, flag):
                data[flag] = True
        if self.normalized is not None:
            data["normalized"] = self.normalized
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Entity:
        return cls(
            type=data["type"],
            text=data["text"],
            start=int(data["start"]),
            end=int(data["end"]),
            negated=bool(data.get("negated", False)),
            historical=bool(data.get("historical", False)),
            hypothetical=bool(data.get("hypothetical", False)),
            family=bool(data.get("family", False)),
            exception=bool(data.get("exception", False)),
            normalized=data.get("normalized"),
        )


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
    """The patient's sex is one of `allowed` ("female", "male")."""

    allowed: tuple[str, ...]
    field: Literal["sex"] = "sex"

    def __post_init__(self) -> None:
        if not self.allowed or not set(self.allowed) <= {"female", "male"}:
            raise ValueError(f"sex rule allows {self.allowed!r}; expected female and/or male")


@dataclass(frozen=True)
class ConditionRule:
    """The patient has (or had, when `history`) any of the conditions.

    `excluding` names conditions that do not count ("dependence on substances
    other than benzodiazepines and nicotine"). `within_days` limits to
    conditions active or diagnosed in that window before the anchor (today).
    """

    any_of: tuple[str, ...]
    excluding: tuple[str, ...] = ()
    history: bool = False
    negated: bool = False
    within_days: int | None = None
    field: Literal["condition"] = "condition"

    def __post_init__(self) -> None:
        if not self.any_of:
            raise ValueError("a condition rule names at least one condition")


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
    equivalent: str | None = None
    min_inclusive: bool = True
    max_inclusive: bool = True

    def __post_init__(self) -> None:
        if self.min is None and self.max is None:
            raise ValueError("a dose range needs a minimum or a maximum")


@dataclass(frozen=True)
class MedicationRule:
    """The patient takes (``current``), took (``past``) or ever took a drug.

    Drugs are canonical lower-case generic names; classes are ids of the class
    files under ``nlp_models/data/drug_classes/`` (``benzodiazepines``).
    `min_duration_days` is "for more than 12 weeks"; `within_days` is the
    look-back window ("over the 28 days prior to inclusion").
    """

    drugs: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    except_drugs: tuple[str, ...] = ()
    except_classes: tuple[str, ...] = ()
    timing: Literal["current", "past", "ever"] = "current"
    within_days: int | None = None
    min_duration_days: int | None = None
    dose: DoseRange | None = None
    negated: bool = False
    field: Literal["medication"] = "medication"

    def __post_init__(self) -> None:
        if not self.drugs and not self.classes:
            raise ValueError("a medication rule names at least one drug or class")
        if self.timing not in ("current", "past", "ever"):
            raise ValueError(f"medication timing {self.timing!r} unknown")


@dataclass(frozen=True)
class MeasurementRule:
    """A lab or vital sign compared with a threshold, in the given unit.

    `name` is a canonical measurement id (``egfr``, ``creatinine_clearance``,
    ``hba1c``, ``anc``, ``platelets``, ``alt``, ``ast``, ``bilirubin``,
    ``bmi``, ``ecog``, ``karnofsky``, …). A threshold relative to the upper
    limit of normal has unit ``"x ULN"``.
    """

    name: str
    comparator: str
    value: float
    unit: str | None = None
    upper: float | None = None  # for "between X and Y": value is the lower bound
    within_days: int | None = None
    negated: bool = False
    field: Literal["measurement"] = "measurement"

    def __post_init__(self) -> None:
        if self.comparator not in COMPARATORS:
            raise ValueError(f"comparator {self.comparator!r} not one of {sorted(COMPARATORS)}")


@dataclass(frozen=True)
class PregnancyRule:
    """The patient is in any of `states` ("pregnant", "lactating")."""

    states: tuple[str, ...] = ("pregnant",)
    negated: bool = False
    field: Literal["pregnancy"] = "pregnancy"

    def __post_init__(self) -> None:
        if not self.states or not set(self.states) <= {"pregnant", "lactating"}:
            raise ValueError(f"pregnancy states {self.states!r}; expected pregnant/lactating")


@dataclass(frozen=True)
class GroupRule:
    """A parent criterion: its children (same `group` id) combine by `logic`.

    `applies_to` narrows who the group concerns ("For women of childbearing
    potential:"): a patient outside it satisfies the group trivially.
    """

    logic: Literal["all", "any"] = "all"
    applies_to: Literal["women_of_childbearing_potential", "female", "male"] | None = None
    field: Literal["group"] = "group"

    def __post_init__(self) -> None:
        if self.logic not in ("all", "any"):
            raise ValueError(f"group logic {self.logic!r} unknown")


Rule = (
    AgeRule | SexRule | ConditionRule | MedicationRule | MeasurementRule | PregnancyRule | GroupRule
)
_RULE_TYPES: dict[str, type[Any]] = {
    "age": AgeRule,
    "sex": SexRule,
    "condition": ConditionRule,
    "medication": MedicationRule,
    "measurement": MeasurementRule,
    "pregnancy": PregnancyRule,
    "group": GroupRule,
}


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    data: dict[str, Any] = {"field": rule.field}
    for name, value in vars(rule).items():
        if name == "field":
            continue
        if isinstance(value, DoseRange):
            value = {key: item for key, item in vars(value).items()}
        elif isinstance(value, tuple):
            value = list(value)
        data[name] = value
    return data


def rule_from_dict(data: Mapping[str, Any]) -> Rule:
    field_name = data.get("field")
    rule_type = _RULE_TYPES.get(str(field_name))
    if rule_type is None:
        raise ValueError(f"unknown rule field {field_name!r}")
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name == "field":
            continue
        if name == "dose" and value is not None:
            value = DoseRange(**value)
        elif isinstance(value, list):
            value = tuple(value)
        values[name] = value
    rule: Rule = rule_type(**values)
    return rule


@dataclass(frozen=True)
class Criterion:
    """One eligibility criterion with its span in the source text.

    `id` is stable within one parse ("I1", "I2", "I2.1", "E3"); `group` is the
    id of the parent criterion whose `GroupRule` combines this one.
    """

    id: str
    kind: Kind
    text: str
    start: int
    end: int
    category: str
    group: str | None = None
    entities: tuple[Entity, ...] = ()
    rule: Rule | None = None
    reason: str | None = None  # why a person must check it, when rule is None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"criterion kind {self.kind!r} not inclusion/exclusion")
        if self.category not in CATEGORIES:
            raise ValueError(f"criterion category {self.category!r} unknown")
        if not 0 <= self.start <= self.end:
            raise ValueError(f"criterion offsets {self.start}..{self.end} are not a span")

    @property
    def evaluable(self) -> bool:
        return self.rule is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "category": self.category,
            "group": self.group,
            "entities": [entity.to_dict() for entity in self.entities],
            "rule": None if self.rule is None else rule_to_dict(self.rule),
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Criterion:
        rule = data.get("rule")
        return cls(
            id=str(data["id"]),
            kind=data["kind"],
            text=data["text"],
            start=int(data["start"]),
            end=int(data["end"]),
            category=data["category"],
            group=data.get("group"),
            entities=tuple(Entity.from_dict(item) for item in data.get("entities", ())),
            rule=None if rule is None else rule_from_dict(rule),
            reason=data.get("reason"),
        )


def criteria_to_document(criteria: list[Criterion], parser_version: str) -> dict[str, Any]:
    """The versioned JSON document stored beside a trial."""
    return {
        "version": CRITERIA_FORMAT_VERSION,
        "parser_version": parser_version,
        "criteria": [criterion.to_dict() for criterion in criteria],
    }


def criteria_from_document(document: Mapping[str, Any]) -> list[Criterion]:
    version = document.get("version")
    if version != CRITERIA_FORMAT_VERSION:
        raise UnknownRecordVersion(f"criteria document version {version!r} is not readable")
    return [Criterion.from_dict(item) for item in document.get("criteria", [])]
