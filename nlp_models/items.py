"""Split a section into list items and nest sub-items under their parent.

Markers: markdown bullets (``*``, ``-``, ``•``), numbers (``1.``, ``1)``,
``(1)``), letters (``a.``, ``(b)``) and roman numerals (``ii.``). A line
without a marker continues the previous item when it is indented under it
or plainly continues its sentence; otherwise it is an item of its own. An
item is a child of the item before it when it is indented deeper, or when it
sits at the same indent with another marker style right after a parent that
ends with a colon ("1. Any of the following:" / "a. …").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from nlp_models.sections import iter_lines

_MARKER = re.compile(
    r"^(?P<indent>[ \t]*)(?P<marker>[*\-•·–○◦▪■+●](?=\s)|o(?=\s)|\d{1,2}[.)](?!\d)|\(\d{1,2}\)|"
    r"[a-zA-Z][.)](?=\s)|\([a-zA-Z]\)|(?:i{1,3}|iv|v|vi{1,3}|ix|x)[.)](?=\s)|"
    r"\((?:i{1,3}|iv|v|vi{1,3}|ix|x)\))[ \t]*"
)
_SENTENCE_END = (".", ":", ";", "!", "?")
_MARKER_ONLY = re.compile(r"\s*(?:\(?(?:[a-zA-Z]|\d{1,2}|[ivx]{1,4})[.)]|[*\-•·–])\s*")


@dataclass
class Item:
    start: int  # first character of the item's text (after its marker)
    end: int  # one past its last non-blank character
    indent: int
    style: str  # "bullet", "number", "letter", "roman" or "none"
    children: list[Item] = field(default_factory=list)
    cohorts: bool = False  # spans the study's cohorts, its children (`nlp_models.cohorts`)

    def text(self, source: str) -> str:
        return source[self.start : self.end]


def _style(marker: str) -> str:
    bare = marker.strip("().")
    if marker[0] in "*-•·–○◦▪■+●" or marker == "o":
        return "bullet"
    if bare[:-1].isdigit() or bare.isdigit() or bare.rstrip(")").isdigit():
        return "number"
    if re.fullmatch(r"(?:i{1,3}|iv|v|vi{1,3}|ix|x)\)?", bare):
        return "roman"
    return "letter"


def _indent_width(indent: str) -> int:
    return len(indent.replace("\t", "    "))


def _flat_items(text: str, start: int, end: int) -> list[Item]:
    items: list[Item] = []
    blank_before = False
    for offset, line in iter_lines(text, start, end):
        if not line.strip():
            blank_before = True
            continue
        match = _MARKER.match(line)
        stripped = line.rstrip()
        if (match and match.end() >= len(stripped)) or _MARKER_ONLY.fullmatch(line):
            continue  # a marker alone on its line ("Inclusion Criteria:a.")
        if not any(character.isalnum() for character in stripped):
            continue  # punctuation left of a header (":"), no item and no lead-in
        if match:
            item_start = offset + match.end()
            items.append(
                Item(item_start, offset + len(stripped), _indent_width(match.group("indent")),
                     _style(match.group("marker")))
            )  # fmt: skip
        elif items and _continues(items[-1], text, line, blank_before):
            items[-1].end = offset + len(stripped)
        else:
            lead = len(line) - len(line.lstrip())
            items.append(
                Item(offset + lead, offset + len(stripped), _indent_width(line[:lead]), "none")
            )
        blank_before = False
    return items


def _continues(previous: Item, text: str, line: str, blank_before: bool) -> bool:
    indent = _indent_width(line[: len(line) - len(line.lstrip())])
    if previous.style != "none" and indent > previous.indent and not blank_before:
        return True
    previous_text = text[previous.start : previous.end].rstrip()
    first = line.lstrip()[:1]
    return not blank_before and not previous_text.endswith(_SENTENCE_END) and first.islower()


def _is_child(item: Item, parent: Item, text: str) -> bool:
    if item.indent > parent.indent:
        return True
    opens_list = text[parent.start : parent.end].rstrip().endswith(":")
    if not opens_list or item.indent != parent.indent:
        return False
    return item.style != parent.style or _continues_enumeration(item, parent, text)


# a lead-in and its entries as plain lines ("… within the following categories:" /
# "Hereditary connective tissue disorders;" / "Phacomatoses;" / …): each entry but the last
# ends with ";" or "," (or "or", "and"), so the entries are the lead-in's children
_ENTRY_GOES_ON = re.compile(r"(?:[;,]|\b(?:or|and|and/or))\s*$", re.IGNORECASE)


def is_enumeration(item: Item, text: str) -> bool:
    """Whether the item's children are the entries of one list, each but the last going on."""
    entries = item.children
    return len(entries) >= 2 and all(
        not entry.children and _ENTRY_GOES_ON.search(text[entry.start : entry.end])
        for entry in entries[:-1]
    )


def _continues_enumeration(item: Item, parent: Item, text: str) -> bool:
    if not (item.style == parent.style == "none"):
        return False
    if not parent.children:
        return True
    previous = parent.children[-1]
    return _ENTRY_GOES_ON.search(text[previous.start : previous.end]) is not None


# an item that only says there is nothing ("N/A", "None", "-") is no criterion
_PLACEHOLDER = re.compile(
    r"[\W_]*(?:n/?a|none|nil|not\s+applicable|no(?:ne)?\s+(?:other\s+)?(?:criteria|"
    r"exclusions?|inclusions?|exclusion\s+criteria|inclusion\s+criteria))?[\W_]*",
    re.IGNORECASE,
)


def _without_placeholders(items: list[Item], text: str) -> list[Item]:
    kept = []
    for item in items:
        item.children = _without_placeholders(item.children, text)
        if item.children or not _PLACEHOLDER.fullmatch(text[item.start : item.end]):
            kept.append(item)
    return kept


def split_items(text: str, start: int, end: int) -> list[Item]:
    """Top-level items of text[start:end], each with its nested children."""
    roots: list[Item] = []
    stack: list[Item] = []
    for item in _flat_items(text, start, end):
        while stack and not _is_child(item, stack[-1], text):
            stack.pop()
        (stack[-1].children if stack else roots).append(item)
        stack.append(item)
    return _without_placeholders(roots, text)
