"""The one condition vocabulary: names to canonical names, and names to comparable words.

Both the parser and the matcher read conditions through here
(``data/conditions.json``), so a criterion about "CHF" and a patient whose
record says "CHF" (or "congestive heart failure") agree.

* `canonical_condition` is the name the parser puts in a condition rule: a
  whole name that is an abbreviation or a synonym becomes its preferred form
  ("Cirrhosis of the liver" -> "liver cirrhosis", "CHF" -> "congestive heart
  failure"); an upper-case abbreviation inside a name is written out
  ("HIV-associated nephropathy"); the rest is lower-cased and trimmed.
* `term_tokens` is what is compared: the canonical name's words, phrases
  rewritten ("use disorder" -> "dependence", "malignant neoplasm" ->
  "cancer"), words mapped to one spelling ("kidney" -> "renal"), stop words
  and generic words ("disorder", "unspecified") dropped, plurals folded.
  Since it starts from `canonical_condition`, normalising a name first
  changes nothing: ``term_tokens(canonical_condition(x)) == term_tokens(x)``.
* `expanded_tokens` adds a patient condition's broader words ("alcohol" ->
  "substance", "carcinoma" -> "cancer"). A term *matches* a patient condition
  when all of its words are among the condition's expanded words:
  "Benzodiazepine Dependence" and "benzodiazepine use disorder" are both
  {benzodiazepine, dependence}; "dependence on substances" matches "alcohol
  use disorder".
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from knowledge.icd10 import condition_titles

DATA_FILE = Path(__file__).resolve().parent / "data" / "conditions.json"
TERMS_FORMAT_VERSION = 2
_WORD = re.compile(r"[a-z0-9]+")
_UPPER_WORD = re.compile(r"\b[A-Z][A-Z0-9]{1,6}\b")
_SPACES = re.compile(r"\s+")
_LEADING_ARTICLES = re.compile(r"^(?:(?:a|an|the|any|other)\s+)+")
_NOT_PLURAL = frozenset({"diabetes", "herpes", "rabies", "scabies", "measles", "mumps", "rickets"})


@cache
def _data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    if data.get("version") != TERMS_FORMAT_VERSION:
        raise ValueError(f"{DATA_FILE}: version {data.get('version')!r} not readable")
    return data


@cache
def _whole_names() -> dict[str, str]:
    """Whole names (abbreviations and synonyms) to their preferred form, followed to the end.

    "dm" -> "diabetes" -> "diabetes mellitus" is stored as "dm" -> "diabetes
    mellitus", so a canonical name is never itself rewritten again.
    """
    names: dict[str, str] = {**_data()["synonyms"], **_data()["abbreviations"]}
    resolved: dict[str, str] = {}
    for name in names:
        seen = {name}
        target = names[name]
        while target in names and names[target] != target:
            if target in seen:
                raise ValueError(f"{DATA_FILE}: the names {sorted(seen)} rewrite one another")
            seen.add(target)
            target = names[target]
        resolved[name] = target
    return resolved


def _written_out(match: re.Match[str]) -> str:
    return str(_data()["abbreviations"].get(match.group(0).lower(), match.group(0)))


@cache
def canonical_condition(name: str) -> str:
    """The preferred lower-case name of a condition ("CHF" -> "congestive heart failure")."""
    cleaned = _clean(name)
    found = _whole_names().get(cleaned)
    if found is not None:
        return found
    # inside a longer name only upper-case words count ("ALL" yes, "all" no)
    expanded = _clean(_UPPER_WORD.sub(_written_out, name))
    return _whole_names().get(expanded, expanded)


def _clean(name: str) -> str:
    cleaned = _SPACES.sub(" ", name.strip().lower()).strip(" .,;:-*")
    return _LEADING_ARTICLES.sub("", cleaned)


@cache
def _phrase_pattern() -> re.Pattern[str]:
    phrases = sorted(_data()["phrases"], key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in phrases) + r")\b")


def _singular(word: str) -> str:
    if word in _NOT_PLURAL:
        return word
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is", "sis")):
        return word[:-1]
    return word


@cache
def term_tokens(text: str) -> frozenset[str]:
    """The comparable words of a condition name."""
    return _tokens(canonical_condition(text))


def _tokens(canonical: str) -> frozenset[str]:
    lowered = _SPACES.sub(" ", canonical.replace("-", " ").replace(",", " "))
    phrases: dict[str, str] = _data()["phrases"]
    for _ in range(2):  # a rewrite may complete another phrase ("hiv" + " infection")
        lowered = _phrase_pattern().sub(lambda match: phrases[match.group(0)], lowered)
    token_map: dict[str, str] = _data()["tokens"]
    stopwords = frozenset(_data()["stopwords"])
    words: set[str] = set()
    for raw in _WORD.findall(lowered):
        mapped = token_map.get(raw) or token_map.get(_singular(raw)) or _singular(raw)
        words.update(word for word in mapped.split() if word not in stopwords)
    return frozenset(words)


@cache
def expanded_tokens(text: str) -> frozenset[str]:
    """A patient condition's words plus their broader words."""
    hypernyms: dict[str, list[str]] = _data()["hypernyms"]
    words = set(term_tokens(text))
    for word in list(words):
        words.update(hypernyms.get(word, ()))
    return frozenset(words)


def term_matches(term: str, condition_text: str) -> bool:
    """Whether criterion *term* names the patient's condition (or something broader)."""
    wanted = term_tokens(term)
    return bool(wanted) and wanted <= expanded_tokens(condition_text)


def relevant(condition_text: str, trial_term: str) -> bool:
    """Whether a patient condition bears on a trial's condition, keyword or MeSH term.

    Either the trial's term is the condition or broader ("Substance-Related
    Disorders" for alcohol use disorder), or the condition is broader than the
    trial's term ("breast cancer" for "Metastatic Breast Cancer").
    """
    term = term_tokens(trial_term)
    if not term:
        return False
    return term <= expanded_tokens(condition_text) or term_tokens(condition_text) <= term


def abbreviations() -> dict[str, str]:
    """Every abbreviation the vocabulary knows (lower case) -> its written-out form."""
    return dict(_data()["abbreviations"])


def synonym_of(name: str) -> str | None:
    """The preferred name of a whole name the vocabulary knows (lower case), else None."""
    return _whole_names().get(name)


def synonyms() -> dict[str, str]:
    """Whole names (lower case) -> the preferred name, abbreviations included."""
    return dict(_whole_names())


@cache
def coded_vocabulary() -> frozenset[str]:
    """Every comparable word a coded condition can carry.

    The words of the ICD-10-CM condition titles, and those the rewrites, abbreviations
    and broader words of ``data/conditions.json`` produce. Titles are split
    into single words first: a phrase rewrite only yields words already listed
    among its replacements, and it keeps this to well under a second.
    """
    data = _data()
    words = {word for title in condition_titles() for word in _WORD.findall(title.lower())}
    produced = [
        *data["phrases"].values(),
        *data["tokens"].values(),
        *_whole_names().values(),
        *(broader for values in data["hypernyms"].values() for broader in values),
    ]
    vocabulary: set[str] = set()
    for text in (*words, *produced):
        vocabulary.update(_tokens(_clean(text)))
    return frozenset(vocabulary)


def coded(term: str) -> bool:
    """Whether a coded condition could match *term*: each of its words can occur in one.

    "measurable disease" or "target lesion(s) in the database" cannot: no
    record says so, and its absence from a profile tells nothing. Qualifiers
    ("uncontrolled") do not count: the condition they qualify may be coded.
    """
    tokens = without_qualifiers(term_tokens(term))
    return bool(tokens) and tokens <= coded_vocabulary()


@cache
def stopwords() -> frozenset[str]:
    """Words that say nothing about which condition is meant ("disorder", "history", "known")."""
    return frozenset(_data()["stopwords"])


@cache
def qualifier_words() -> frozenset[str]:
    """Words of degree or control ("uncontrolled", "severe") that records seldom carry."""
    return frozenset(_data()["qualifiers"])


def without_qualifiers(tokens: frozenset[str]) -> frozenset[str]:
    """A term's words less its qualifiers: what a recorded condition can confirm."""
    return tokens - qualifier_words()


_FAMILY = re.compile(
    r"^\W*(?:(?:a|positive|strong|known)\s+)?(?:family\s+(?:history|hx)|fhx?)\b|"
    r"\b(?:in\s+(?:a|his|her|the)\s+)?(?:first[- ]degree\s+)?relatives?\b",
    re.IGNORECASE,
)
_SUSPECTED = re.compile(
    r"^\W*(?:suspected|possible|probable|presumed|presumptive|likely|query|rule[- ]out|r/o)\b",
    re.IGNORECASE,
)


def names_family_history(text: str) -> bool:
    """ "Family history of hip fracture": a relative's condition, not the patient's own."""
    return _FAMILY.search(text) is not None


def is_suspected(text: str) -> bool:
    """ "Suspected Meniere disease": a diagnosis the record does not confirm."""
    return _SUSPECTED.search(text) is not None


def degree_phrases() -> tuple[str, ...]:
    """The degree and control phrases the parser keeps in a condition's name."""
    return tuple(_data()["degree_phrases"])
