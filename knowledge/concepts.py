"""Conditions as concepts of real terminologies, with their hierarchies.

``data/concepts.json.gz`` (built by ``bench/build_concepts.py`` from the MeSH
disease descriptors, trees C and F03, and the ICD-10-CM tabular list with its
inclusion terms) holds every concept's name and parents, and every written
form of a concept (MeSH entry terms, ICD-10-CM titles and inclusion terms)
keyed by its bag of normalised words, so "Turner's Syndrome", "Turner
syndrome (45,XO)" and "syndrome, Turner" are one key.

* `concepts_in` finds the concepts a text names: the whole text when it is
  one written form, else its longest runs of words that are ("gastric
  adenocarcinoma, diffuse type" -> Stomach Neoplasms, Adenocarcinoma). A
  tumour word after a site is also read as that site's neoplasm ("gastric
  adenocarcinoma" -> Stomach Neoplasms); a word after "non" is not named.
* `ancestors` climbs the hierarchy ("Alzheimer Disease" -> Dementia -> Brain
  Diseases -> …); `relation` says whether a recorded concept is the wanted
  one or narrower (``"same_or_narrower"``), broader (``"broader"``), or
  neither.

Concepts are resolved once per text and cached: once per trial and per
patient, never per pair.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

from knowledge.conditions import canonical_condition, synonym_of

DATA_FILE = Path(__file__).resolve().parent / "data" / "concepts.json.gz"
CONCEPTS_FORMAT_VERSION = 1
MAX_WINDOW = 6
Relation = Literal["same_or_narrower", "broader", "unrelated"]

_WORD = re.compile(r"[a-z0-9]+")
# words that carry no meaning for which concept is named
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "and",
        "or",
        "in",
        "on",
        "to",
        "for",
        "with",
        "without",
        "by",
        "at",
        "from",
        "its",
        "their",
        "his",
        "her",
        "as",
        "nos",
        "unspecified",
        "other",
        "type",
        "form",
    ]
)
# one spelling for the same word (British and American, Latin and English roots)
SPELLINGS = {
    "tumour": "tumor",
    "oesophageal": "esophageal",
    "oesophagus": "esophagus",
    "leukaemia": "leukemia",
    "anaemia": "anemia",
    "haemophilia": "hemophilia",
    "haemorrhage": "hemorrhage",
    "oedema": "edema",
    "paediatric": "pediatric",
    "coeliac": "celiac",
    "diarrhoea": "diarrhea",
    "ischaemic": "ischemic",
    "ischaemia": "ischemia",
    "haematological": "hematologic",
    "hematological": "hematologic",
    "gynaecological": "gynecologic",
    "oestrogen": "estrogen",
}
# a morphology word after a site names that site's neoplasm ("gastric adenocarcinoma")
TUMOUR_WORDS = frozenset(
    [
        "cancer",
        "carcinoma",
        "adenocarcinoma",
        "tumor",
        "malignancy",
        "neoplasm",
        "sarcoma",
        "lymphoma",
    ]
)
_NOT_PLURAL = frozenset(
    [
        "diabetes",
        "herpes",
        "rabies",
        "scabies",
        "measles",
        "mumps",
        "rickets",
        "lupus",
        "virus",
        "status",
        "mellitus",
        "pancreas",
        "bronchitis",
        "arthritis",
        "hepatitis",
        "sclerosis",
        "stenosis",
        "fibrosis",
        "psoriasis",
    ]
)
# single words too vague to name a concept on their own inside a longer text
_TOO_VAGUE_ALONE = frozenset(
    [
        "disease",
        "disorder",
        "syndrome",
        "condition",
        "chronic",
        "acute",
        "infection",
        "pain",
        "failure",
        "injury",
        "abnormality",
        "lesion",
        "mass",
        "symptom",
        "sign",
        "history",
        "deficiency",
        "insufficiency",
    ]
)


def singular(word: str) -> str:
    if word in _NOT_PLURAL or len(word) <= 4:
        return word
    if word.endswith("ies") and len(word) > 5:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "sis")):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """The normalised words of a text, in order: lower case, singular, one spelling."""
    lowered = text.lower().replace("'s ", " ").replace("’s ", " ")
    return [singular(SPELLINGS.get(word, word)) for word in _WORD.findall(lowered)]


def bag(tokens: Iterable[str]) -> str:
    """The key of a written form: its meaningful words, sorted, once each."""
    return " ".join(sorted({token for token in tokens if token not in STOPWORDS}))


@cache
def _data() -> dict[str, object]:
    with gzip.open(DATA_FILE, "rt", encoding="utf-8") as handle:
        data: dict[str, object] = json.load(handle)
    if data.get("version") != CONCEPTS_FORMAT_VERSION:
        raise ValueError(f"{DATA_FILE}: version {data.get('version')!r} not readable")
    return data


def _concepts() -> dict[str, list[object]]:
    concepts: dict[str, list[object]] = _data()["concepts"]  # type: ignore[assignment]
    return concepts


def _variants() -> dict[str, list[str]]:
    variants: dict[str, list[str]] = _data()["variants"]  # type: ignore[assignment]
    return variants


def known(concept: str) -> bool:
    return concept in _concepts()


def code_concepts(code: str) -> frozenset[str]:
    """The ICD-10-CM concept of a code, or of its nearest listed parent ("E23.01" -> E23.0)."""
    cleaned = code.strip().upper()
    if "." not in cleaned and len(cleaned) > 3:
        cleaned = f"{cleaned[:3]}.{cleaned[3:]}"
    while cleaned:
        if known(f"icd:{cleaned}"):
            return frozenset({f"icd:{cleaned}"})
        cleaned = cleaned[:-1].rstrip(".")
    return frozenset()


def name_of(concept: str) -> str:
    return str(_concepts()[concept][0])


def parents(concept: str) -> tuple[str, ...]:
    entry = _concepts().get(concept)
    return tuple(entry[1]) if entry else ()  # type: ignore[arg-type]


@cache
def ancestors(concept: str) -> frozenset[str]:
    """Every broader concept, however far up."""
    found: set[str] = set()
    todo = list(parents(concept))
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(parents(current))
    return frozenset(found)


def concepts_in(text: str) -> frozenset[str]:
    """The concepts *text* names (see the module docstring)."""
    return reading(text)[0]


@lru_cache(maxsize=200_000)
def reading(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """The concepts *text* names, and its words no concept covers ("t4" in "T4 tumor")."""
    tokens = words(text)
    if not tokens:
        return frozenset(), frozenset()
    whole = _variants().get(bag(tokens)) or _variants().get(bag(words(canonical_condition(text))))
    if whole:
        return frozenset(whole), frozenset()
    negated = {index + 1 for index, token in enumerate(tokens) if token == "non"}
    found: set[str] = set()
    taken: set[int] = set()
    for size in range(min(len(tokens), MAX_WINDOW), 0, -1):
        for start in range(len(tokens) - size + 1):
            span = range(start, start + size)
            if taken.intersection(span) or negated.intersection(span):
                continue
            window = tokens[start : start + size]
            named = _named_by(window)
            if named:
                found.update(named)
                taken.update(span)
    left = frozenset(
        token
        for index, token in enumerate(tokens)
        if index not in taken and token not in STOPWORDS and token != "non"
    )
    return frozenset(found), left


_KIND_WORDS = frozenset({"disease", "disorder"})


def _named_by(window: list[str]) -> list[str]:
    if len(window) == 1 and (window[0] in _TOO_VAGUE_ALONE or len(window[0]) < 4):
        return []
    named = list(_variants().get(bag(window), ()))
    if not named and _KIND_WORDS.intersection(window):
        # MeSH says "diseases" where ICD-10-CM and trials say "disorders"
        for kind in sorted(_KIND_WORDS):
            swapped = [kind if word in _KIND_WORDS else word for word in window]
            named = list(_variants().get(bag(swapped), ()))
            if named:
                break
    if not named and len(window) > 1:
        preferred = synonym_of(" ".join(window))
        if preferred is not None:
            named = list(_variants().get(bag(words(preferred)), ()))
    tumour = [index for index, token in enumerate(window) if token in TUMOUR_WORDS]
    if tumour and len(window) > 1:
        as_neoplasm = [*window[: tumour[0]], "neoplasm", *window[tumour[0] + 1 :]]
        named += _variants().get(bag(as_neoplasm), ())
    return named


@cache
def closure(concepts: frozenset[str]) -> frozenset[str]:
    """The concepts and all their ancestors."""
    found = set(concepts)
    for concept in concepts:
        found |= ancestors(concept)
    return frozenset(found)


def relation(wanted: frozenset[str], recorded: frozenset[str]) -> Relation:
    """How recorded concepts stand to wanted ones: the same or narrower (a descendant
    meets it), broader (a less specific record: ask), or unrelated."""
    if not wanted or not recorded:
        return "unrelated"
    if wanted & closure(recorded):
        return "same_or_narrower"
    if recorded & closure(wanted):
        return "broader"
    return "unrelated"


def depth(concept: str) -> int:
    """How far below a root of its hierarchy the concept sits (a root is 0)."""
    entry = _concepts().get(concept)
    if not entry or not entry[1]:
        return 0
    return 1 + min(depth(parent) for parent in parents(concept))
