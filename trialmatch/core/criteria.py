"""Parsed eligibility criteria: `Criterion` and `Entity`, and the stored criteria document.

A criterion whose rule is None is checked by a person: its category is
``not_evaluable`` (or ``other`` for a heading) and `reason` says why.

`Criterion.to_dict` gives the JSON of ``trialmatch parse-text`` (see
DESIGN.md); `from_dict` reads it back. A stored criteria document carries
its format version and the parser version that wrote it, and readers refuse
versions they do not know. Its `criteria_version` names both the parser and
the content: the one definition of "these criteria changed".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from trialmatch.core import canonical
from trialmatch.core.errors import UnknownRecordVersion
from trialmatch.core.rules import Rule, rule_from_dict, rule_to_dict

# 2: allergies became their own rule kind, and rules are finished by the parser
CRITERIA_FORMAT_VERSION = 2
# the reason of an item that only heads the items after it ("Medical Conditions")
HEADING_REASON = "a heading, not a criterion"
# the reason of an item that relaxes the others ("Prior radiotherapy allowed")
PERMISSION_REASON = "a permission, not a requirement"
# items that ask the coordinator nothing
SILENT_REASONS = frozenset({HEADING_REASON, PERMISSION_REASON})

Kind = Literal["inclusion", "exclusion"]
KINDS: frozenset[str] = frozenset(get_args(Kind))
Category = Literal[
    "age",
    "sex",
    "condition",
    "allergy",
    "medication",
    "procedure",
    "measurement",
    "pregnancy",
    "consent",
    "administrative",
    "group",
    "other",
    "not_evaluable",
]
CATEGORIES: frozenset[str] = frozenset(get_args(Category))
EntityType = Literal[
    "condition",
    "drug",
    "procedure",
    "measurement",
    "observation",
    "value",
    "temporal",
    "person",
    "device",
]
ENTITY_TYPES: frozenset[str] = frozenset(get_args(EntityType))
_ENTITY_FLAGS = ("historical", "hypothetical", "family", "exception")


@dataclass(frozen=True)
class Entity:
    type: EntityType
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
        for flag in _ENTITY_FLAGS:
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
    category: Category
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
    def from_dict(cls, data: Mapping[str, Any], *, entities: bool = True) -> Criterion:
        """*entities* False leaves them out: the matcher reads only the rules."""
        rule = data.get("rule")
        return cls(
            id=str(data["id"]),
            kind=data["kind"],
            text=data["text"],
            start=int(data["start"]),
            end=int(data["end"]),
            category=data["category"],
            group=data.get("group"),
            entities=tuple(Entity.from_dict(item) for item in data.get("entities", ()))
            if entities
            else (),
            rule=None if rule is None else rule_from_dict(rule),
            reason=data.get("reason"),
        )


def criteria_to_document(criteria: Sequence[Criterion], parser_version: str) -> dict[str, Any]:
    """The versioned JSON document stored beside a trial."""
    return {
        "version": CRITERIA_FORMAT_VERSION,
        "parser_version": parser_version,
        "criteria": [criterion.to_dict() for criterion in criteria],
    }


def criteria_from_document(
    document: Mapping[str, Any], *, entities: bool = True
) -> list[Criterion]:
    version = document.get("version")
    if version != CRITERIA_FORMAT_VERSION:
        raise UnknownRecordVersion(f"criteria document version {version!r} is not readable")
    try:
        return [
            Criterion.from_dict(item, entities=entities) for item in document.get("criteria", [])
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise UnknownRecordVersion(f"criteria document unreadable: {exc}") from exc


def criteria_version(document: Mapping[str, Any]) -> str:
    """ "<parser version>:<hash of the document>": changes when either does."""
    return _version(str(document.get("parser_version")), canonical.content_hash(document))


def stored_criteria_version(parser_version: str, canonical_text: str) -> str:
    """`criteria_version` of a document stored as its canonical JSON, without decoding it."""
    return _version(parser_version, canonical.digest(canonical_text))


def _version(parser_version: str, content_hash: str) -> str:
    return f"{parser_version}:{content_hash[:16]}"


# what a trial's criteria are versioned as before they are parsed
UNPARSED_VERSION = "unparsed"
