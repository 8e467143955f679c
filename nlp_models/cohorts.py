"""Cohorts inside a criteria list: "DEMENTIA PATIENTS:", "Part 1", "Healthy volunteers:".

Many studies list the criteria of each group they enrol under its own
heading. Read as one list, every group's criteria would be required of every
patient: a patient with dementia would have to be a healthy control too. When
a section has two or more cohort headings, each heading takes the items
after it (up to the next heading) as its children, and one item spanning the
cohorts combines them: a patient need only fit one cohort (inclusion), and is
excluded only when the exclusions of every cohort exclude them.
"""

from __future__ import annotations

import re

from nlp_models.items import Item
from nlp_models.statements import is_heading

# a group of people, named by who they are or by the study's parts
_GROUP_WORDS = (
    r"patients?|subjects?|participants?|volunteers?|controls?|individuals?|persons?|people|"
    r"group|cohort|arm|part|category|population|children|adults|adolescents|infants|women|"
    r"men|boys|girls|donors?|siblings?|relatives|family\s+members|carriers?|probands?|"
    r"smokers|non-?smokers"
)
_COHORT = re.compile(
    rf"^\W*(?:(?:{_GROUP_WORDS})\b[^:]{{0,60}}|[^:]{{0,60}}\b(?:{_GROUP_WORDS})(?:\s*\([^)]*\))?)"
    r"\s*:\s*$|\(\s*n\s*=\s*\d+\s*\)\s*:?\s*$|^\W*(?:part|cohort|group|arm|stage)\s+"
    r"(?:[A-Z]|\d+|[ivx]+)\b[^.]{0,60}:?\s*$",
    re.IGNORECASE,
)
# a lead-in to a list of requirements, not a group: "Patients must have the following:"
_REQUIREMENT = re.compile(
    r"\b(?:must|should|shall|will|have|has|had|are|is|meet|fulfil|satisfy|include|following|"
    r"criteria|inclusion|exclusion)\b",
    re.IGNORECASE,
)
_SHOUTED = re.compile(r"^[^a-z]*[A-Z]{3}[^a-z]*:\s*$")
_MAX_HEADING_WORDS = 10


def is_cohort_heading(text: str) -> bool:
    """ "DEMENTIA PATIENTS:", "Lyme Arthritis (N=10)", "Part 2:": a group of the study."""
    stripped = text.strip()
    if not stripped or len(stripped.split()) > _MAX_HEADING_WORDS or is_heading(stripped):
        return False
    if _REQUIREMENT.search(stripped.split("(")[0]):
        return False
    return _COHORT.search(stripped) is not None or _SHOUTED.match(stripped) is not None


def with_cohorts(items: list[Item], text: str) -> list[Item]:
    """The top-level items, with cohorts grouped under one item when there are two or more."""
    heads = [
        index for index, item in enumerate(items) if is_cohort_heading(text[item.start : item.end])
    ]
    if len(heads) < 2:
        return items
    first = heads[0]
    cohorts = []
    for number, head in enumerate(heads):
        until = heads[number + 1] if number + 1 < len(heads) else len(items)
        heading = items[head]
        heading.children = [*heading.children, *items[head + 1 : until]]
        cohorts.append(heading)
    end = _last_end(items[-1])
    spanning = Item(items[first].start, end, items[first].indent, "none", cohorts, cohorts=True)
    return [*items[:first], spanning]


def _last_end(item: Item) -> int:
    return _last_end(item.children[-1]) if item.children else item.end
