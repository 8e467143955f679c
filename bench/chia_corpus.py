"""Reading the Chia corpus (brat standoff, CC BY 4.0) for training and evaluation.

Chia ships one ``.txt`` and one ``.ann`` per trial and section
(``NCT00050349_inc``). Discontinuous spans (``0 5;10 15``) are read as the
span from the first start to the last end, the usual relaxed reading.
Negation is a ``Negation`` entity linked to what it negates by
``Has_negation`` relations.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from shared_data import SHARED

CHIA_DIR = SHARED / "data" / "annotated_criteria" / "chia" / "chia_without_scope"

# Chia label -> our entity type
CHIA_TYPES: dict[str, str] = {
    "Condition": "condition",
    "Drug": "drug",
    "Procedure": "procedure",
    "Measurement": "measurement",
    "Observation": "observation",
    "Value": "value",
    "Temporal": "temporal",
    "Person": "person",
    "Device": "device",
}
EVAL_TYPES: tuple[str, ...] = ("condition", "drug", "measurement", "value", "temporal", "person")
_ENTITY_LINE = re.compile(r"^(T\d+)\t(\S+) ([\d ;]+)\t(.*)$")


@dataclass(frozen=True)
class GoldEntity:
    type: str
    start: int
    end: int
    negated: bool


@dataclass
class ChiaDocument:
    name: str  # NCT00050349_inc
    trial: str
    kind: str  # inclusion / exclusion
    text: str
    entities: list[GoldEntity] = field(default_factory=list)


def _read_ann(
    path: Path,
) -> tuple[dict[str, tuple[str, list[tuple[int, int]], str]], set[str]]:
    spans: dict[str, tuple[str, list[tuple[int, int]], str]] = {}
    negation_ids: set[str] = set()
    negated: set[str] = set()
    relations: list[tuple[str, str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _ENTITY_LINE.match(line)
        if match:
            ident, label, offsets = match.group(1), match.group(2), match.group(3)
            fragments = [(int(a), int(b)) for a, b in re.findall(r"(\d+) (\d+)", offsets)]
            spans[ident] = (label, fragments, match.group(4))
            if label == "Negation":
                negation_ids.add(ident)
        elif line.startswith("R"):
            parts = line.split("\t")[1].split()
            if len(parts) == 3:
                relations.append((parts[0], parts[1][5:], parts[2][5:]))
    for name, arg1, arg2 in relations:
        if name == "Has_negation":
            negated.add(arg1 if arg2 in negation_ids else arg2)
    return spans, negated


def _crlf_mapper(text: str) -> list[int]:
    """Start offsets of each line as they were in a CRLF copy of the text."""
    starts = [0] + [index + 1 for index, char in enumerate(text) if char == "\n"]
    return [start + line for line, start in enumerate(starts)]


def _to_lf(offset: int, crlf_starts: list[int]) -> int:
    line = bisect.bisect_right(crlf_starts, offset) - 1
    return offset - max(line, 0)


def _align(text: str, fragments: list[tuple[int, int]], written: str, crlf: list[int]) -> int:
    """Offset shift that makes the first fragment read as annotated.

    Part of Chia was annotated on a CRLF copy of the text: offsets drift by one
    character per line. The annotation's own text tells which reading is right.
    """
    first_start, first_end = fragments[0]
    expected = written[: first_end - first_start]
    if text[first_start:first_end] == expected:
        return 0
    shifted = _to_lf(first_start, crlf)
    if text[shifted : shifted + len(expected)] == expected:
        return shifted - first_start
    found = text.find(expected, max(first_start - 40, 0), first_end + 40)
    return found - first_start if found != -1 and expected.strip() else 0


def read_document(txt_path: Path) -> ChiaDocument:
    name = txt_path.stem
    trial, _, section = name.partition("_")
    text = txt_path.read_text(encoding="utf-8")
    spans, negated = _read_ann(txt_path.with_suffix(".ann"))
    crlf = _crlf_mapper(text)
    entities = []
    for ident, (label, fragments, written) in spans.items():
        if label not in CHIA_TYPES or not fragments:
            continue
        shift = _align(text, fragments, written, crlf)
        start = min(a for a, _ in fragments) + shift
        end = max(b for _, b in fragments) + shift
        if 0 <= start < end <= len(text):
            entities.append(GoldEntity(CHIA_TYPES[label], start, end, ident in negated))
    kind = "exclusion" if section.startswith("exc") else "inclusion"
    return ChiaDocument(name, trial, kind, text, sorted(entities, key=lambda e: e.start))


def trial_ids(directory: Path = CHIA_DIR) -> list[str]:
    return sorted({path.stem.partition("_")[0] for path in directory.glob("*.txt")})


# The split of the 600 trials, fixed once (2026-12) and never to be chosen again.
#
# The folder's first 200 trials (every 5th of Chia's 1,000 by NCT ID) are, in
# NCT order, every third of the 600: the later 400 were every other one of the
# remaining 800. Those 200 keep the parts they had in the 200-trial split (in
# their own NCT order: index % 5 == 4 test, == 0 dev, else train), so no trial
# an earlier model was trained on becomes a test trial and the earlier test
# trials stay out of training. Each of the 400 added trials goes by a hash of
# its NCT ID: SHA-256 of the ASCII ID, first 8 bytes as a big-endian integer,
# % 5 == 0 test, == 1 dev, else train.
TEST, DEV, TRAIN = "test", "dev", "train"


def _earlier_trials(ordered_trials: list[str]) -> list[str]:
    return ordered_trials[::3]


def _hashed_part(trial: str) -> str:
    bucket = int.from_bytes(hashlib.sha256(trial.encode("ascii")).digest()[:8], "big") % 5
    return TEST if bucket == 0 else DEV if bucket == 1 else TRAIN


def trial_parts(ordered_trials: list[str]) -> dict[str, str]:
    """Each trial's part: ``train``, ``dev`` or ``test`` (the rule above)."""
    earlier = _earlier_trials(ordered_trials)
    parts = {trial: _hashed_part(trial) for trial in ordered_trials}
    for index, trial in enumerate(earlier):
        parts[trial] = TEST if index % 5 == 4 else DEV if index % 5 == 0 else TRAIN
    return parts


def is_added_trial(trial: str, ordered_trials: list[str]) -> bool:
    """One of the 400 trials added to the folder after the 200-trial split was used."""
    return trial not in set(_earlier_trials(ordered_trials))


# train: what models and lexicons learn from; dev: what chooses settings;
# train+dev: the shipped model's training data once dev has chosen; test: read
# once, at the end, for the reported figures; test-added: its trials that were
# added with the 400 (no choice of any earlier round was made on them either).
SPLITS = ("train", "dev", "train+dev", "test", "test-added", "all")


def _in_split(split: str, part: str, added: bool) -> bool:
    if split == "all":
        return True
    if split == "train+dev":
        return part in (TRAIN, DEV)
    if split == "test-added":
        return part == TEST and added
    return part == split


def iter_documents(split: str, directory: Path = CHIA_DIR) -> Iterator[ChiaDocument]:
    """Documents of a split (see ``SPLITS``), in file-name order."""
    if split not in SPLITS:
        raise ValueError(f"unknown Chia split {split!r}; expected one of {SPLITS}")
    ordered = trial_ids(directory)
    parts = trial_parts(ordered)
    earlier = set(_earlier_trials(ordered))
    for txt_path in sorted(directory.glob("*.txt")):
        trial = txt_path.stem.partition("_")[0]
        if _in_split(split, parts[trial], trial not in earlier):
            yield read_document(txt_path)


def iter_lines(document: ChiaDocument) -> Iterator[tuple[int, str, list[GoldEntity]]]:
    """(offset, line text, entities inside the line) for each non-empty line."""
    offset = 0
    for line in document.text.split("\n"):
        end = offset + len(line)
        inside = [
            GoldEntity(e.type, e.start - offset, e.end - offset, e.negated)
            for e in document.entities
            if e.start >= offset and e.end <= end
        ]
        if line.strip():
            yield offset, line, inside
        offset = end + 1
