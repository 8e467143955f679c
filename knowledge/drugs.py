"""Drug names, drug classes and dose equivalence, from ``knowledge/data``.

* Names are normalised through the drug dictionary of the
  ``drug-named-entity-recognition`` package (DrugBank/MeSH/NHS names, brand
  names included, offline; ``knowledge.drug_dictionary``), then through
  ``data/drug_aliases.json`` (salts to their parent, spelling variants).
* Classes are ``data/drug_classes/<id>.json``: ``members`` (generic names),
  ``aliases`` (how criteria name the class), the ``source`` of the list and,
  for a class made of others ("anticancer therapy"), the classes it
  ``includes``, whose members are its members too.
* Dose equivalence tables are ``data/equivalence/<reference>.json``, each with
  its citation: ``diazepam`` (Ashton), ``morphine`` (CDC 2022 MME factors),
  ``prednisone`` (glucocorticoid equivalence).

Every loader is cached: the files are read once per process.
"""

from __future__ import annotations

import json
import logging
import re
from functools import cache
from pathlib import Path
from typing import Any

from knowledge.drug_dictionary import DictionaryDrug, find_drug_names
from knowledge.drug_forms import bare_drug_text, route_of

LOG = logging.getLogger(__name__)
_SPACES = re.compile(r"\s+")
DATA_DIR = Path(__file__).resolve().parent / "data"


def _data_json(*parts: str) -> Any:
    return json.loads(DATA_DIR.joinpath(*parts).read_text(encoding="utf-8"))


@cache
def _aliases() -> dict[str, str]:
    aliases: dict[str, str] = _data_json("drug_aliases.json")["aliases"]
    return aliases


@cache
def _salt_words() -> frozenset[str]:
    return frozenset(_data_json("drug_aliases.json")["salt_words"])


def _clean(name: str) -> str:
    return _SPACES.sub(" ", name.strip().lower().replace("’", "'")).strip(" .,;:()")


def is_class_entry(entry: DictionaryDrug) -> bool:
    """A dictionary entry that names a drug class, not a drug ("neuroleptic").

    The dictionary carries MeSH pharmacological-action headings (tree D27,
    "Antipsychotic Agents") and chemical groups without a DrugBank id
    ("Benzodiazepines"); criteria use both as classes.
    """
    if entry.mesh_action_only:
        return True
    return not entry.in_drugbank and _clean(entry.name.lower()) in class_phrases()


def _dictionary_name(name: str) -> str | None:
    """The dictionary's generic name when the whole of `name` is one drug (not a class)."""
    tokens = name.split(" ")
    for entry, start, end in find_drug_names(tokens):
        if start == 0 and end == len(tokens) and entry.name:
            return None if is_class_entry(entry) else entry.name.lower()
    return None


def _strip_salts(name: str) -> str:
    words = [word for word in name.split(" ") if word not in _salt_words()]
    return " ".join(words)


@cache
def normalize_drug(name: str) -> str | None:
    """Canonical lower-case generic name ("Xanax" -> "alprazolam"), None if unknown."""
    cleaned = _clean(name)
    if not cleaned:
        return None
    if cleaned in class_phrases() and cleaned not in _raw_members() and cleaned not in _aliases():
        return None  # a class phrase ("neuroleptics") names many drugs, never one
    bare = _clean(bare_drug_text(cleaned))
    for candidate in dict.fromkeys((cleaned, _strip_salts(cleaned), bare, _strip_salts(bare))):
        if not candidate:
            continue
        if candidate in _aliases():
            return _aliases()[candidate]
        found = _dictionary_name(candidate)
        if found is not None:
            # the dictionary names some products with their route ("… intramuscular")
            found = _clean(bare_drug_text(found)) or found
            return _aliases().get(found, _aliases().get(_strip_salts(found), found))
        if candidate in _raw_members():
            return candidate
    return None


@cache
def _class_files() -> dict[str, dict[str, Any]]:
    folder = DATA_DIR / "drug_classes"
    classes: dict[str, dict[str, Any]] = {}
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".json"):
            data = json.loads(entry.read_text(encoding="utf-8"))
            classes[data["id"]] = data
    return classes


@cache
def _raw_members() -> frozenset[str]:
    return frozenset(m for data in _class_files().values() for m in data["members"])


@cache
def _class_id_aliases() -> dict[str, str]:
    mapping = {class_id: class_id for class_id in _class_files()}
    for class_id, data in _class_files().items():
        for alias in data.get("id_aliases", ()):
            mapping[alias] = class_id
    return mapping


def canonical_class(class_id: str) -> str | None:
    """The class id for an id or id alias ("neuroleptics" -> "antipsychotics")."""
    return _class_id_aliases().get(class_id.strip().lower())


@cache
def class_members(class_id: str) -> frozenset[str]:
    """Normalised generic names of the class's members; empty for an unknown class."""
    canonical = canonical_class(class_id)
    if canonical is None:
        return frozenset()
    data = _class_files()[canonical]
    included = (class_members(part) for part in data.get("includes", ()))
    own = frozenset(normalize_drug(member) or member for member in data["members"])
    return own.union(*included)


def known_classes() -> frozenset[str]:
    return frozenset(_class_files())


@cache
def _membership() -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for class_id in _class_files():
        for member in class_members(class_id):
            index.setdefault(member, set()).add(class_id)
    return {drug: frozenset(ids) for drug, ids in index.items()}


def drug_classes(drug: str, route: str | None = None) -> frozenset[str]:
    """Class ids the drug belongs to; the name is normalised first.

    A class that holds for some routes only (``"routes"`` in its file: systemic
    corticosteroids are oral or parenteral) leaves out a drug given another
    way; a drug whose route is not known keeps every class of its name.
    """
    normalized = normalize_drug(drug) or _clean(drug)
    named_class = class_phrases().get(_clean(drug))  # "a benzodiazepine" as the drug taken
    found = _membership().get(normalized, frozenset())
    if not named_class and not found and names_a_kind_of_treatment(drug):
        named_class = _class_named_within(_clean(drug))  # "glucocorticoid replacement therapy"
    if named_class:
        found = found | {named_class}
    if route is None:
        return found
    return frozenset(
        class_id for class_id in found if route in _class_files()[class_id].get("routes", (route,))
    )


# "disease-modifying therapy", "blood pressure medication", "chemotherapy": a kind of
# treatment written where one drug should be; which drug it was is not known
_KIND_OF_TREATMENT = re.compile(
    r"\b(?:therapy|therapies|treatment|treatments|medication|medications|medicine|medicines|"
    r"drug|drugs|agent|agents|regimen|pills?)\b",
    re.IGNORECASE,
)


@cache
def names_a_kind_of_treatment(text: str) -> bool:
    """Whether *text* names a kind of treatment rather than one drug."""
    cleaned = _clean(text)
    if normalize_drug(cleaned) is not None:
        return False
    return cleaned in class_phrases() or _KIND_OF_TREATMENT.search(cleaned) is not None


@cache
def _class_phrase_pattern() -> re.Pattern[str]:
    phrases = sorted(class_phrases(), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, phrases)) + r")\b")


def _class_named_within(text: str) -> str | None:
    found = _class_phrase_pattern().search(text)
    return class_phrases()[found.group(0)] if found else None


def drug_route(text: str) -> str | None:
    """How the drug named by *text* is given, when the text says ("budesonide inhaler")."""
    return route_of(text)


@cache
def class_phrases() -> dict[str, str]:
    """Every way criteria name a class (lower case) -> class id."""
    phrases: dict[str, str] = {}
    for class_id, data in _class_files().items():
        for alias in data["aliases"]:
            phrases[_clean(alias)] = class_id
    return phrases


@cache
def known_drug_names() -> dict[str, str]:
    """Names our own data files know (aliases, class members) -> canonical name."""
    names = {alias: target for alias, target in _aliases().items()}
    for class_id in _class_files():
        for member in _class_files()[class_id]["members"]:
            names.setdefault(member, normalize_drug(member) or member)
    return names


def class_source(class_id: str) -> str | None:
    canonical = canonical_class(class_id)
    return None if canonical is None else str(_class_files()[canonical]["source"])


@cache
def _equivalence_factors(reference: str) -> dict[str, float]:
    """mg/day of `reference` per mg/day of each drug."""
    try:
        table = _data_json("equivalence", f"{reference}.json")
    except FileNotFoundError:
        return {}
    if "conversion_factor" in table:
        factors = {drug: float(f) for drug, f in table["conversion_factor"].items()}
    else:
        reference_dose = float(table["reference_dose_mg"])
        doses: dict[str, float] = table["equivalent_to_reference_mg"]
        factors = {drug: reference_dose / float(dose) for drug, dose in doses.items()}
    # the table names drugs as its source does; index them by our canonical names too
    return factors | {normalize_drug(drug) or drug: f for drug, f in factors.items()}


def equivalence_references() -> frozenset[str]:
    return frozenset({"diazepam", "morphine", "prednisone"})


def equivalent_dose(drug: str, mg_per_day: float, reference: str) -> float | None:
    """`mg_per_day` of `drug` as mg/day of `reference`; None when not in that table.

    lorazepam 6 mg/day -> 60.0 mg/day diazepam (Ashton: lorazepam 1 mg = diazepam 10 mg).
    """
    factors = _equivalence_factors(reference.strip().lower())
    normalized = normalize_drug(drug) or _clean(drug)
    factor = factors.get(normalized)
    if factor is None:
        return None
    return round(mg_per_day * factor, 6)
