"""`parse_eligibility`: eligibility text -> `Criterion` records.

Sections (`nlp_models.sections`) -> list items and sub-items
(`nlp_models.items`) -> one spaCy pass over every item (`nlp_models.pipeline`)
-> entities with context -> a category and rule per item
(`nlp_models.rule_builder`). Parents of sub-items become groups, and so
does an item that states several checks: each check becomes a child
criterion (``I3.r1``, ``I3.r2``) with the part of the text it reads.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

from spacy.tokens import Doc

from nlp_models.cohorts import with_cohorts
from nlp_models.context import ENTITY_KEY, entity_flags
from nlp_models.doc_text import source_text
from nlp_models.entities import normalized_of
from nlp_models.items import Item, is_enumeration, split_items
from nlp_models.pipeline import get_pipeline
from nlp_models.rule_builder import cohorts_decision, decide, group_decision
from nlp_models.sections import find_sections
from trialmatch.core.criteria import Criterion, Entity
from trialmatch.core.errors import CriteriaParseError

LOG = logging.getLogger(__name__)
MAX_TEXT_CHARS = 2_000_000
MAX_ITEM_CHARS = 5_000  # longer "items" are run-on text: rules only, no spaCy pass
# control characters (C0 but tab/line breaks, DEL, C1) and U+FFFD: rare in any real text
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")
_MAX_CONTROL_SHARE = 0.1


@dataclass(frozen=True)
class _Placed:
    item: Item
    id: str
    kind: str
    group: str | None


def _placed(items: list[Item], kind: str, prefix: str, group: str | None) -> Iterator[_Placed]:
    for number, item in enumerate(items, start=1):
        ident = f"{prefix}{number}" if group is None else f"{group}.{number}"
        yield _Placed(item, ident, kind, group)
        yield from _placed(item.children, kind, prefix, ident)


def _check_text(text: str) -> None:
    if not isinstance(text, str):
        raise CriteriaParseError(f"eligibility text must be a string, not {type(text).__name__}")
    if len(text) > MAX_TEXT_CHARS:
        raise CriteriaParseError(
            f"eligibility text of {len(text):,} characters is over the {MAX_TEXT_CHARS:,} limit"
        )
    sample = text[:20_000]
    if sample and len(_CONTROL.findall(sample)) > len(sample) * _MAX_CONTROL_SHARE:
        raise CriteriaParseError("eligibility text looks like binary data, not text")


def _entities(doc: Doc | None, offset: int) -> tuple[tuple[Entity, ...], tuple[Entity, ...]]:
    """The entities of one criterion: offsets in the whole text, and in the criterion (rules).

    Both come from one pass over the spans, so each span's label, text and
    offsets are read from spaCy once (building them twice showed in profiles).
    """
    if doc is None:
        return (), ()
    text = source_text(doc)
    placed: list[Entity] = []
    local: list[Entity] = []
    for span in doc.spans.get(ENTITY_KEY, []):
        flags = entity_flags(doc, span)
        label, start, end = span.label_, span.start_char, span.end_char
        fields = (
            flags.get("negated", False),
            flags.get("historical", False),
            flags.get("hypothetical", False),
            flags.get("family", False),
            flags.get("exception", False),
            normalized_of(doc, span),
        )
        mention = text[start:end]  # == span.text: the Doc's text is the criterion text
        placed.append(Entity(label, mention, offset + start, offset + end, *fields))
        local.append(Entity(label, mention, start, end, *fields))
    return tuple(placed), tuple(local)


def _criteria(placed: _Placed, text: str, doc: Doc | None) -> Iterator[Criterion]:
    """The item's criterion, then one child per check when it states several."""
    item = placed.item
    criterion_text = text[item.start : item.end]
    entities, local = _entities(doc, item.start)
    if item.cohorts:
        decision = cohorts_decision(placed.kind)
    elif item.children:
        decision = group_decision(
            criterion_text, placed.kind, enumeration=is_enumeration(item, text)
        )
    else:
        decision = decide(criterion_text, local, placed.kind)
    yield Criterion(
        id=placed.id,
        kind=placed.kind,  # type: ignore[arg-type]
        text=criterion_text,
        start=item.start,
        end=item.end,
        category=decision.category,
        group=placed.group,
        entities=entities,
        rule=decision.rule,
        reason=decision.reason,
    )
    for number, part in enumerate(decision.parts, start=1):
        yield Criterion(
            id=f"{placed.id}.r{number}",  # "r": a check of the item, not one of its sub-items
            kind=placed.kind,  # type: ignore[arg-type]
            text=criterion_text[part.start : part.end],
            start=item.start + part.start,
            end=item.start + part.end,
            category=part.category,
            group=placed.id,
            rule=part.rule,
        )


def _all_placed(text: str) -> list[_Placed]:
    placed: list[_Placed] = []
    counters = {"inclusion": 0, "exclusion": 0}
    for section in find_sections(text):
        prefix = "I" if section.kind == "inclusion" else "E"
        items = with_cohorts(split_items(text, section.start, section.end), text)
        for entry in _placed(items, section.kind, prefix, None):
            if entry.group is None:  # numbering continues across repeated sections
                counters[section.kind] += 1
                entry = _Placed(entry.item, f"{prefix}{counters[section.kind]}", entry.kind, None)
                placed.append(entry)
                top = entry.id
            else:
                placed.append(_renumbered(entry, top))
    return placed


def _renumbered(entry: _Placed, top: str) -> _Placed:
    """Children keep their path below the (renumbered) top-level id."""
    path = entry.id.split(".", 1)[1]
    group = top if entry.group is not None and "." not in entry.group else None
    if group is None and entry.group is not None:
        group = f"{top}.{entry.group.split('.', 1)[1]}"
    return _Placed(entry.item, f"{top}.{path}", entry.kind, group)


def parse_eligibility(text: str) -> list[Criterion]:
    """The criteria of one eligibility text, in text order; pure apart from cached data files."""
    outcome = parse_texts([text])[0]
    if isinstance(outcome, CriteriaParseError):
        raise outcome
    return outcome


def parse_texts(texts: list[str]) -> list[list[Criterion] | CriteriaParseError]:
    """Criteria of many texts, with one spaCy pass over all their items (faster in bulk)."""
    placements: list[list[_Placed] | CriteriaParseError] = []
    for text in texts:
        try:
            _check_text(text)
            placements.append(_all_placed(text))
        except CriteriaParseError as exc:
            placements.append(exc)
    jobs = [
        (index, entry)
        for index, placed in enumerate(placements)
        if not isinstance(placed, CriteriaParseError)
        for entry in placed
        if entry.item.end - entry.item.start <= MAX_ITEM_CHARS
    ]
    pieces = (texts[index][e.item.start : e.item.end] for index, e in jobs)
    docs = {
        id(entry): doc for (_, entry), doc in zip(jobs, get_pipeline().pipe(pieces), strict=True)
    }
    return [
        placed
        if isinstance(placed, CriteriaParseError)
        else [
            criterion
            for entry in placed
            for criterion in _criteria(entry, text, docs.get(id(entry)))
        ]
        for text, placed in zip(texts, placements, strict=True)
    ]
